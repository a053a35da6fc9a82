# make install: the command, the library (static, and shared with its soname), the header,
# pkg-config's xdump.pc and the man page land under DESTDIR/PREFIX; a program built against the
# installed header with `pkg-config --cflags --libs xdump` links, and runs on the installed
# library; the installed man page renders.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(sed -n 's/^#define XDUMP_VERSION "\(.*\)"/\1/p' "$ROOT/include/xdump.h")
ABI=$(sed -n 's/^#define XDUMP_ABI \([0-9]*\).*/\1/p' "$ROOT/include/xdump.h")
# The build in $BUILD is installed as it was made: with the sanitizers if it has them (so that
# make, finding something to rebuild, does not mix the two).
san=0 tsan=0
readelf -d "$BUILD/xdump" | grep 'libasan' > /dev/null && san=1
readelf -d "$BUILD/xdump" | grep 'libtsan' > /dev/null && tsan=1
o=${BUILD#"$ROOT"/}
DEST=$T/stage PREFIX=/opt/xdump
P=$DEST$PREFIX

say "make install O=$o DESTDIR=... PREFIX=$PREFIX"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$ROOT" install \
  O="$o" SAN=$san TSAN=$tsan DESTDIR="$DEST" PREFIX="$PREFIX" > "$T/make.out" 2>&1 ||
  { cat "$T/make.out" >&2; fail "make install"; }
for f in bin/xdump lib/libxdump.a "lib/libxdump.so.$VERSION" include/xdump.h \
  lib/pkgconfig/xdump.pc share/man/man1/xdump.1; do
  [ -f "$P/$f" ] || fail "$PREFIX/$f was not installed"
done
[ -x "$P/bin/xdump" ] || fail "bin/xdump is not executable"
[ "$(readlink "$P/lib/libxdump.so.$ABI")" = "libxdump.so.$VERSION" ] || fail "libxdump.so.$ABI link"
[ "$(readlink "$P/lib/libxdump.so")" = "libxdump.so.$ABI" ] || fail "libxdump.so link"
readelf -d "$P/lib/libxdump.so.$VERSION" | grep "SONAME.*\[libxdump\.so\.$ABI\]" > /dev/null ||
  fail "the shared library's soname is not libxdump.so.$ABI"
[ "$("$P/bin/xdump" --version)" = "xdump $VERSION" ] || fail "installed xdump --version"
expect_rc 0 grep -q "^Version: $VERSION\$" "$P/lib/pkgconfig/xdump.pc"
expect_rc 0 grep -q '^Requires.private: .*xencontrol' "$P/lib/pkgconfig/xdump.pc"
# the library uses neither Xen's dumper library nor foreign-memory mappings
expect_rc 1 grep -Eq '^Requires.*(xenguest|xenforeignmemory)' "$P/lib/pkgconfig/xdump.pc"

say "a program built with pkg-config against the installed library"
cat > "$T/prog.c" <<'C'
#include <stdio.h>
#include <xdump.h>

int main(void)
{
    char err[256] = "";
    struct xdump_options o = XDUMP_OPTIONS_INIT;
    struct xdump_result res = XDUMP_RESULT_INIT;
    o.domain = "1", o.output = "/nonexistent/x.core";
    int rc = xdump_dump(&o, &res, err, sizeof(err)); /* no Xen here */
    printf("%s %s %s\n", XDUMP_VERSION, xdump_status_name(XDUMP_E_NODOMAIN),
           xdump_status_name(rc));
    return 0;
}
C
export PKG_CONFIG_PATH=$P/lib/pkgconfig
flags=$(pkg-config --define-variable=prefix="$P" --cflags --libs xdump) || fail "pkg-config xdump"
[[ $flags == *"-I$P/include"* && $flags == *"-L$P/lib"* && $flags == *-lxdump* ]] ||
  fail "pkg-config gives '$flags'"
san_flags=()
[ $san = 1 ] && san_flags=(-fsanitize=address,undefined)
[ $tsan = 1 ] && san_flags=(-fsanitize=thread)
# shellcheck disable=SC2086 # $flags: the words pkg-config gives
cc -std=c11 -Wall -Wextra -Werror "${san_flags[@]}" -o "$T/prog" "$T/prog.c" $flags ||
  fail "building against the installed library"
readelf -d "$T/prog" | grep "NEEDED.*\[libxdump\.so\.$ABI\]" > /dev/null ||
  fail "prog does not need libxdump.so.$ABI"
LD_LIBRARY_PATH=$P/lib ldd "$T/prog" | grep "libxdump.so.$ABI => $P/lib/" > /dev/null ||
  fail "prog does not load the installed library"
out=$(LD_LIBRARY_PATH=$P/lib "$T/prog") || fail "prog failed"
# No /dev/xen/privcmd here: the library's dump answers "permission" (exit status 4).
[ "$out" = "$VERSION no-domain permission" ] || fail "prog printed '$out'"

say "the installed man page"
MANWIDTH=80 man -l "$P/share/man/man1/xdump.1" > "$T/man.txt" 2> "$T/man.err" || fail "man -l"
[ ! -s "$T/man.err" ] || { cat "$T/man.err" >&2; fail "man -l warns"; }
for want in 'EXIT STATUS' 'FILE FORMAT' --keep-partial; do
  grep -q -- "$want" "$T/man.txt" || fail "the man page lacks '$want'"
done
