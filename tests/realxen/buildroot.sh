#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# buildroot.sh - a Debian 13 (trixie) root made from Debian's packages at test time, cached:
# where xdump is built against Xen 4.20 (libxen-dev 4.20, trixie's gcc), and where trixie's
# crash and drgn read the 4.20 guests' cores. Prints the root's path on stdout.
#
#   $XDUMP_REALXEN_CACHE/debian13-root          the root (mmdebstrap, --variant=apt)
#   $XDUMP_REALXEN_CACHE/debian13-root.stamp    what it was made of: made again when this changes
#   $XDUMP_REALXEN_CACHE/apt-debian13/          a private apt configuration (apt.conf, sources,
#                                               lists, .deb cache) that assemble.sh uses through
#                                               APT_CONFIG to `apt-get download` trixie's Xen and
#                                               kernel; the machine's own /etc/apt is not touched
#
#   XDUMP_DEBIAN13_MIRROR   default http://deb.debian.org/debian (the host bookworm uses)
#
# Needs root and mmdebstrap (tests/deps.sh installs it with `make deps`).
set -eu

die() { echo "buildroot: $*" >&2; exit 1; }
CACHE=${XDUMP_REALXEN_CACHE:-/var/cache/xdump-realxen}
MIRROR=${XDUMP_DEBIAN13_MIRROR:-http://deb.debian.org/debian}
SUITE=trixie
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ROOT=$CACHE/debian13-root
# To build xdump and run its unit tests (the Makefile's DEB_BUILD, read from it), and crash, drgn
# and makedumpfile for the checks (Debian 12's makedumpfile 1.7.2 does not know Linux 6.12).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# DEB_BUILD may run over several lines ending in a backslash: join them before taking the list.
PKGS="$(sed -n '/^DEB_BUILD := /{:a;/\\$/{N;ba};s/^DEB_BUILD := //;s/\\\n/ /g;p}' "$TOP/Makefile") crash python3-drgn makedumpfile"
case $PKGS in *\\*) die "could not read DEB_BUILD from $TOP/Makefile: $PKGS" ;; esac
START=$(date +%s.%N)
step() { echo "buildroot: [$(echo "$(date +%s.%N) $START" | awk '{printf "%.1f", $1 - $2}') s] $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (chroot, mmdebstrap)"
[ -f "$KEYRING" ] || die "$KEYRING missing (Debian package debian-archive-keyring)"
mkdir -p "$CACHE"

# ---- the private apt configuration (also for assemble.sh) ---------------------------------------
A=$CACHE/apt-debian13
mkdir -p "$A/lists/partial" "$A/archives/partial" "$A/parts" "$A/prefs"
echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" >"$A/sources.list.new"
cmp -s "$A/sources.list.new" "$A/sources.list" 2>/dev/null || rm -f "$A/lists/"*Packages* "$A/lists/"*Release*
mv "$A/sources.list.new" "$A/sources.list"
cat >"$A/apt.conf" <<EOF
Dir::Etc::sourcelist "$A/sources.list";
Dir::Etc::sourceparts "$A/parts";
Dir::Etc::preferencesparts "$A/prefs";
Dir::State::Lists "$A/lists";
Dir::State::status "/dev/null";
Dir::Cache "$A";
Dir::Cache::archives "$A/archives";
APT::Architecture "amd64";
EOF
# Lists older than a day are refreshed (a point release moves the candidates); offline, the old
# ones serve.
if [ -z "$(find "$A/lists" -maxdepth 1 -name '*_InRelease' -mtime -1 2>/dev/null)" ]; then
    step "apt-get update ($SUITE, private lists in $A)"
    APT_CONFIG=$A/apt.conf apt-get update -qq >"$A/update.log" 2>&1 ||
        { ls "$A/lists/"*_Packages* >/dev/null 2>&1 || die "apt-get update of $SUITE failed: $(tail -3 "$A/update.log")"; }
fi

# ---- the root ---------------------------------------------------------------------------------
WANT="$SUITE $MIRROR $(echo $PKGS)"
if [ "$(cat "$ROOT.stamp" 2>/dev/null)" != "$WANT" ] || [ ! -x "$ROOT/usr/bin/gcc" ]; then
    command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap not found (make deps installs it)"
    step "making the Debian 13 root $ROOT (mmdebstrap: $(echo $PKGS))"
    rm -rf "$ROOT.tmp" "$ROOT"
    mmdebstrap --quiet --variant=apt --mode=root --keyring="$KEYRING" \
        --include="$(echo $PKGS | tr ' ' ',')" \
        --aptopt='Acquire::Retries "3"' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        "$SUITE" "$ROOT.tmp" "deb $MIRROR $SUITE main" >"$CACHE/debian13-root.log" 2>&1 ||
        die "mmdebstrap failed: $(tail -5 "$CACHE/debian13-root.log")"
    mv "$ROOT.tmp" "$ROOT"
    echo "$WANT" >"$ROOT.stamp"
    step "root made: $(du -sm "$ROOT" | cut -f1) MiB"
fi
echo "$ROOT"
