#!/bin/sh
# Installs the current build into a temporary prefix, then builds and runs the
# out-of-tree C consumer in consumer/ against that prefix only, the way a user
# would. MODE is one of
#   find_package  CMake's find_package(uvmapi 1): the program linked once with
#                 uvmapi::uvmapi (shared) and once with uvmapi::uvmapi_static
#   pkg-config    a plain compiler invocation with `pkg-config --cflags --libs
#                 uvmapi`, then once more with --static against the archive
# The consumer is compiled with the build's own compiler and flags (CC, CFLAGS,
# LDFLAGS, set by CTest), so that sanitizer builds link their runtimes.
# Nothing is downloaded. The temporary directory is removed on exit.
# Usage: consumer_test.sh MODE BUILD_DIR BUILT_LIBRARY CMAKE LIBDIR
#   BUILT_LIBRARY  the shared library in the build tree (must have been built)
#   LIBDIR         the library directory relative to the prefix (CMAKE_INSTALL_LIBDIR)
set -eu

usage='usage: consumer_test.sh MODE BUILD_DIR BUILT_LIBRARY CMAKE LIBDIR'
mode=${1:?$usage} build_dir=${2:?$usage} built=${3:?$usage} cmake=${4:?$usage}
libdir_rel=${5:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
: "${CC:=cc}" "${CFLAGS:=}" "${LDFLAGS:=}" "${PKG_CONFIG:=pkg-config}"
case "$mode" in
  find_package | pkg-config) ;;
  *) echo "consumer_test: unknown mode '$mode' (find_package or pkg-config)" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/uvmapi-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A signal must still run the EXIT trap above.
trap 'exit 1' HUP INT TERM
# The physical path, as CMake reports it (macOS's TMPDIR is under the /var link).
work=$(cd "$work" && pwd -P)

prefix=$work/prefix
libdir=$prefix/$libdir_rel

say() { printf 'consumer_test: %s\n' "$*"; }

# `cmake --install` does not build; say so plainly rather than fail halfway.
if [ ! -f "$built" ]; then
  say "$built is missing: build the project before running the tests" >&2
  exit 1
fi

say "installing $build_dir into $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log" >&2; exit 1; }

case "$mode" in
  find_package)
    "$cmake" -S "$here/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix"
    # The package must come from the prefix, not from an uvmapi installed on the system.
    grep -q "^uvmapi_DIR:PATH=$prefix/" "$work/build/CMakeCache.txt" || {
      say "find_package found uvmapi outside $prefix:"
      grep '^uvmapi_DIR' "$work/build/CMakeCache.txt" >&2
      exit 1
    }
    "$cmake" --build "$work/build"
    # CMake gives the shared consumer an RPATH to $libdir; no library path needed.
    say "running the consumer linked with uvmapi::uvmapi"
    "$work/build/consumer"
    say "running the consumer linked with uvmapi::uvmapi_static"
    "$work/build/consumer_static"
    ;;
  pkg-config)
    PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
    export PKG_CONFIG_PATH
    cflags=$("$PKG_CONFIG" --cflags uvmapi)
    libs=$("$PKG_CONFIG" --libs uvmapi)
    say "pkg-config --cflags --libs uvmapi: $cflags $libs"
    # shellcheck disable=SC2086 # the flags are word lists on purpose
    "$CC" -std=c99 -Wall -Wextra -pedantic $CFLAGS $cflags "$here/consumer/main.c" \
      -o "$work/consumer" $LDFLAGS $libs
    say "running the consumer linked with -luvmapi"
    LD_LIBRARY_PATH=$libdir DYLD_LIBRARY_PATH=$libdir "$work/consumer"

    # The static archive through Libs.private and Requires.private: -luvmapi
    # would pick the shared library, so the archive is named by its path.
    static_libs=
    for flag in $("$PKG_CONFIG" --libs --static uvmapi); do
      [ "$flag" = -luvmapi ] && flag=$libdir/libuvmapi.a
      static_libs="$static_libs $flag"
    done
    say "pkg-config --libs --static uvmapi, with the archive:$static_libs"
    # shellcheck disable=SC2086 # the flags are word lists on purpose
    "$CC" -std=c99 $CFLAGS $cflags "$here/consumer/main.c" \
      -o "$work/consumer_static" $LDFLAGS $static_libs
    say "running the consumer linked with libuvmapi.a"
    "$work/consumer_static"
    ;;
esac
say "OK ($mode)"
