#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sim13.sh - the end-to-end tests that meet Xen's libraries, run against Debian 13's (Xen 4.20)
# in the Debian 13 root (buildroot.sh) where build13.sh built xdump: xensim then imitates 4.20
# (its headers' release), libxenctrl 4.20 drives it, and Xen 4.20's own dumper
# (xc_domain_dumpcore, libxenguest 4.20) must match the simulated memory page for page
# (t0100) as 4.17's does on the host. SIM13_TESTS: the tests' name words (default below).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${XDUMP_REALXEN_ROOT:-$("$HERE/buildroot.sh")}
TESTS=${SIM13_TESTS:-t0100 t0120 t0125 t0200 t0230 t0600}
chroot "$ROOT" sh -c 'cd /src/xdump && make -s -j"$(nproc)" O=build tests' >/dev/null ||
    { echo "sim13: make tests failed in $ROOT" >&2; exit 1; }
XDUMP_REALXEN_RELEASE=13 XDUMP_REALXEN_ROOT=$ROOT XDUMP_REALXEN_BIND=
. "$HERE/release.sh"
rc=0
for t in $TESTS; do
    out=$(in_root sh -c 'cd /src/xdump && ONLY=$1 tests/e2e/run.sh build' _ "$t") || rc=1
    printf '%s\n' "$out" | grep -v '^e2e:' || { echo "FAIL $t: no such test"; rc=1; }
done
echo "sim13: the end-to-end tests with Xen 4.20's libraries on xensim imitating 4.20 ($TESTS): $([ $rc = 0 ] && echo passed || echo FAILED)"
exit $rc
