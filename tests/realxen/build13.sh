#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build13.sh OUTDIR - build xdump as Debian 13 builds it: this source tree (its working tree,
# without build/ and .git) copied into the Debian 13 root (buildroot.sh), `make` run there with
# trixie's gcc against libxen-dev 4.20 (-Wall -Wextra -Werror, the Makefile's), the binary
# copied to OUTDIR/xdump. The root keeps its build/ between runs: make rebuilds what changed.
set -eu
die() { echo "build13: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: build13.sh OUTDIR"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ROOT=${XDUMP_REALXEN_ROOT:-$("$HERE/buildroot.sh")} || die "no Debian 13 root (above)"
T0=$(date +%s.%N)
mkdir -p "$1" "$ROOT/src/xdump"
# The previous copy goes, build/ aside: a file this tree no longer has (a module moved or split)
# would still be compiled there.
find "$ROOT/src/xdump" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
(cd "$TOP" && tar cf - --exclude=./build --exclude=./.git .) | tar xf - -C "$ROOT/src/xdump"
chroot "$ROOT" sh -c 'cd /src/xdump && make -j"$(nproc)" O=build all' >"$1/build13.log" 2>&1 ||
    die "make in the Debian 13 root failed: $(grep -E ': (error|warning):|\*\*\*' "$1/build13.log" | head -5)"
cp "$ROOT/src/xdump/build/xdump" "$1/xdump"
echo "build13: $1/xdump built in $ROOT ($(chroot "$ROOT" gcc --version | head -1), libxen-dev" \
    "$(chroot "$ROOT" dpkg-query -W -f='${Version}' libxen-dev)) in" \
    "$(echo "$(date +%s.%N) $T0" | awk '{printf "%.1f", $1 - $2}') s"
