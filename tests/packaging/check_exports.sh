#!/bin/sh
# Fails unless every symbol that the shared library exports starts with
# uvmapi_. The C ABI is the library's only interface: anything else that leaks
# (the C++ core, std:: template instances, libuv helpers) would become part of
# the ABI by accident and could clash with a host's own symbols.
# Usage: check_exports.sh <libuvmapi.so or libuvmapi.dylib>
set -eu

lib=${1:?usage: check_exports.sh <shared library>}
if [ ! -f "$lib" ]; then
  echo "check_exports: no such file: $lib" >&2
  exit 2
fi
NM=${NM:-nm}

# Defined, global symbols of the dynamic symbol table. Mach-O prefixes C names
# with an underscore.
case "$(uname -s)" in
  Darwin)
    prefix=_uvmapi_
    table=$("$NM" -gU "$lib")
    ;;
  *)
    prefix=uvmapi_
    table=$("$NM" -D --defined-only "$lib")
    ;;
esac

# The name is the last field of each line ("address type name").
names=$(printf '%s\n' "$table" | awk 'NF >= 2 { print $NF }')
count=$(printf '%s\n' "$names" | grep -c . || true)
leaked=$(printf '%s\n' "$names" | grep -v "^$prefix" || true)

echo "check_exports: $lib exports $count symbols"
if [ "$count" -eq 0 ]; then
  echo "check_exports: FAIL: no exported symbols at all (wrong file, or nm failed)" >&2
  exit 1
fi
if [ -n "$leaked" ]; then
  echo "check_exports: FAIL: these exported symbols do not start with $prefix:" >&2
  printf '%s\n' "$leaked" | sed 's/^/  /' >&2
  exit 1
fi
echo "check_exports: OK: all start with $prefix"
