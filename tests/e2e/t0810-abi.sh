# The library's surface (issue 16): only the public API is exported; the structures carry their
# size, so a caller built with smaller or larger ones is served within its own size; a program
# built against the ABI before sizes (libxdump.so.0) is refused by the dynamic loader, never run
# on a layout it does not know; the header works from C++; the library links only what it uses.
# Judged by what the programs get (corecheck on the core they made, a canary after the result).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ABI=$(sed -n 's/^#define XDUMP_ABI \([0-9]*\).*/\1/p' "$ROOT/include/xdump.h")
LIB=$BUILD/libxdump.so
san=()
readelf -d "$LIB" | grep -q libasan && san=(-fsanitize=address,undefined)
readelf -d "$LIB" | grep -q libtsan && san=(-fsanitize=thread)

say "exported: the public API alone, versioned"
got=$(nm -D --defined-only "$LIB" | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
[ "$got" = "xdump_dump@@XDUMP_1 xdump_status_name@@XDUMP_1 xdump_version@@XDUMP_1 " ] ||
  fail "libxdump.so exports: $got"
say "it links what it uses: not Xen's dumper library, not foreign-memory mappings"
needed=$(readelf -d "$LIB" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
[[ $needed != *xenguest* && $needed != *xenforeignmemory* ]] || fail "libxdump.so needs: $needed"
readelf -d "$LIB" | grep -q "SONAME.*\[libxdump\.so\.$ABI\]" || fail "soname"

world w <<'W'
domain 1
  memory 8M
W
cc -std=c11 -Wall -Wextra -Werror "${san[@]}" -I"$ROOT/include" -o "$T/caller" \
  "$ROOT/tests/abi/caller.c" -L"$BUILD" -lxdump || fail "building the caller"
run() { LD_LIBRARY_PATH=$BUILD sim w "$T/caller" 1 "$T/$1.core" "$1"; }
for mode in new short long; do
  say "a caller with $mode structures"
  out=$(run $mode) || fail "caller $mode"
  [[ $out == "rc=0 pages=2048 "*" canary=intact version=$(sed -n 's/^#define XDUMP_VERSION "\(.*\)"/\1/p' "$ROOT/include/xdump.h") "* ]] ||
    fail "caller $mode: $out"
  check w 1 "$T/$mode.core"; expect xen.pages_ok 2048; expect phys.pages_bad 0
done
say "structures without their size are refused, nothing is dumped"
out=$(run nosize)
[[ $out == "rc=2 "*"canary=intact"*"XDUMP_OPTIONS_INIT"* ]] || fail "caller nosize: $out"
[ ! -e "$T/nosize.core" ] || fail "dumped without sizes"
[ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused"

say "a program built against libxdump.so.0 (the ABI before sizes) is refused at load time"
mkdir "$T/old"
cc -shared -fPIC -Wl,-soname,libxdump.so.0 -o "$T/old/libxdump.so.0" "$ROOT/tests/abi/old.c"
ln -s libxdump.so.0 "$T/old/libxdump.so"
cc -std=c11 -I"$ROOT/include" -o "$T/oldprog" "$ROOT/tests/abi/caller.c" -L"$T/old" -lxdump 2> /dev/null ||
  fail "building against the old soname"
readelf -d "$T/oldprog" | grep -q 'NEEDED.*\[libxdump\.so\.0\]' || fail "oldprog needs libxdump.so.0"
set +e
LD_LIBRARY_PATH=$BUILD "$T/oldprog" 1 "$T/old.core" new > "$T/old.out" 2>&1
rc=$?
set -e
[ $rc = 127 ] && grep -q 'libxdump.so.0: cannot open shared object file' "$T/old.out" ||
  { cat "$T/old.out"; fail "the old program was not refused (exit $rc)"; }

say "the header from C++"
if command -v c++ > /dev/null; then
  c++ -Wall -Wextra -Werror "${san[@]}" -I"$ROOT/include" -o "$T/cxx" "$ROOT/tests/abi/cxx.cc" \
    -L"$BUILD" -lxdump || fail "C++"
  [ "$(LD_LIBRARY_PATH=$BUILD "$T/cxx")" = "$(sed -n 's/^#define XDUMP_VERSION "\(.*\)"/\1/p' "$ROOT/include/xdump.h") busy" ] ||
    fail "C++ program output"
else
  echo "-- SKIP: no C++ compiler (g++)"; exit 77
fi
