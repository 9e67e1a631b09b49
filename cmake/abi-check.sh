#!/bin/sh
# The ABI check of libuvmapi.so.1 (`make abi-check`), and the regeneration of
# its baseline (`make abi-baseline`).
#
# What it compares: the committed baseline capi/abi/libuvmapi.so.1.abi, an
# abidw dump of the shared library as released, against the shared library
# built now from the working tree. Both come from the same build (the `abi`
# preset: RelWithDebInfo, so with DWARF, in build-abi/) and the same reading:
# only functions and variables that the library exports, and only types that
# the public headers in capi/include/uvmapi define. A handle's private
# definition (struct uvmapi_runtime in capi/src) is therefore not ABI, while
# every struct, enum and vtable of the headers is.
#
# Exit status: 0 when the ABI is unchanged or only grew (new functions or
# variables, which abidiff reports); 1 when an existing interface changed or
# went away, or when a tool failed. abidiff's status is a bit mask: 1 and 2
# are errors, 8 an incompatible change, 4 any change. libabigail sets 8 only
# for removed functions and variables, and reports a changed struct member, a
# changed parameter or a changed vtable slot with 4 alone, so a change (4) is
# judged again with --no-added-syms: what remains once additions are left out
# is a change to an existing interface, and fails as well.
#
# libabigail reads ELF and DWARF: the check runs on Linux only. Missing tools
# on Linux are a failure, never a silent skip.
# Usage: cmake/abi-check.sh [check|baseline]
set -eu
cd "$(dirname "$0")/.."

mode=${1:-check}
baseline=capi/abi/libuvmapi.so.1.abi
headers=capi/include/uvmapi
library=build-abi/lib/libuvmapi.so.1

case "$mode" in
  check | baseline) ;;
  *) echo "abi-check: unknown mode '$mode' (check or baseline)" >&2; exit 2 ;;
esac

if [ "$(uname -s)" != Linux ]; then
  echo "abi-check: SKIPPED on $(uname -s): libabigail (abidw, abidiff) reads ELF and runs on Linux only"
  exit 0
fi
for tool in abidw abidiff; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "abi-check: $tool not found; install libabigail's tools (Debian/Ubuntu: apt-get install abigail-tools)" >&2
    exit 1
  fi
done

cmake --preset abi
cmake --build --preset abi -j "${JOBS:-2}"

# The reading of the library, shared by the baseline and the check. The
# baseline is written without paths of this machine (corpus, build
# directory, source directories), so that it is the same wherever it is made.
if [ "$mode" = baseline ]; then
  mkdir -p "$(dirname "$baseline")"
  abidw --headers-dir "$headers" --drop-private-types --exported-interfaces-only \
    --no-corpus-path --no-comp-dir-path --short-locs \
    --out-file "$baseline" "$library"
  echo "abi-check: wrote $baseline from $library ($(grep -c '<elf-symbol ' "$baseline") symbols); review and commit it"
  exit 0
fi

if [ ! -f "$baseline" ]; then
  echo "abi-check: no baseline $baseline; make one with 'make abi-baseline'" >&2
  exit 1
fi

# The baseline was filtered by the headers when it was written, so only the
# new library gets --headers-dir2 (libabigail 2.2 aborts when it is asked to
# filter an ABIXML file by headers again).
diff_abi() {
  abidiff --headers-dir2 "$headers" --drop-private-types --exported-interfaces-only \
    --no-corpus-path "$@" "$baseline" "$library"
}

echo "abi-check: abidiff $baseline $library"
status=0
diff_abi || status=$?
if [ $((status & 3)) -ne 0 ]; then
  echo "abi-check: FAIL: abidiff failed (status $status)" >&2
  exit 1
fi
if [ $((status & 8)) -ne 0 ]; then
  echo "abi-check: FAIL: incompatible ABI change (a function or variable was removed)" >&2
  exit 1
fi
if [ $((status & 4)) -ne 0 ]; then
  rest=0
  diff_abi --no-added-syms >/dev/null || rest=$?
  if [ "$rest" -ne 0 ]; then
    echo "abi-check: FAIL: an existing interface changed (see the report above; status $rest without additions)" >&2
    exit 1
  fi
  echo "abi-check: OK: compatible ABI change (additions only); regenerate the baseline with 'make abi-baseline' when releasing"
  exit 0
fi
echo "abi-check: OK: the ABI is unchanged"
