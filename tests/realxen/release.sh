# SPDX-License-Identifier: GPL-2.0-or-later
# release.sh - sourced by assemble.sh and check.sh: which Debian release, with its Xen and its
# kernel, a real-Xen run boots. XDUMP_REALXEN_RELEASE:
#
#   12 (default)  Debian 12 bookworm: Xen 4.17, Linux 6.1, the packages of the host's own apt
#                 sources; the Xen tools' libraries are the host's (libxen-dev 4.17).
#   13            Debian 13 trixie: Xen 4.20, Linux 6.12, from a private apt configuration
#                 (buildroot.sh: never the host's /etc/apt); the libraries copied into dom0 are
#                 those of the Debian 13 build root (LIBROOT), where xdump is built too.
#
# Sets REL, XENVER, LIBROOT (empty: the host), and for 13 APT_CONFIG and a cache of its own
# ($CACHE/debian13: the same package names have other versions there).
REL=${XDUMP_REALXEN_RELEASE:-12}
case $REL in
12)
    XENVER=4.17
    LIBROOT=
    ;;
13)
    XENVER=4.20
    LIBROOT=${XDUMP_REALXEN_ROOT:-$("$(dirname "$0")/buildroot.sh")} ||
        { echo "realxen: the Debian 13 build root cannot be made (above)" >&2; exit 1; }
    XDUMP_REALXEN_ROOT=$LIBROOT
    export XDUMP_REALXEN_ROOT
    APT_CONFIG=${CACHE:-${XDUMP_REALXEN_CACHE:-/var/cache/xdump-realxen}}/apt-debian13/apt.conf
    export APT_CONFIG
    [ -z "${CACHE:-}" ] || CACHE=$CACHE/debian13
    ;;
*)
    echo "realxen: XDUMP_REALXEN_RELEASE=$REL: 12 (Xen 4.17) or 13 (Xen 4.20)" >&2
    exit 1
    ;;
esac

# in_root CMD...: run CMD in the Debian 13 root (the host when LIBROOT is empty), with /proc and
# /dev, and the directories named in XDUMP_REALXEN_BIND (the source tree, the results, the
# cache) at the same paths, so that it reads and writes the files the host names (relative
# names too: it starts in the same working directory when that is bound). A private
# mount namespace: nothing stays mounted after it. The root's own PATH: the caller's may name
# wrappers (check.sh's crash, drgn) that the bound source tree makes visible inside too.
in_root() {
    if [ -z "$LIBROOT" ]; then
        "$@"
        return
    fi
    unshare -m --propagation private sh -c '
        r=$1; shift
        mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" || exit 125
        for d in $XDUMP_REALXEN_BIND; do
            mkdir -p "$r$d" && mount --bind "$d" "$r$d" || exit 125
        done
        exec env PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$r" /bin/sh -c '\''cd "$0" 2>/dev/null; exec "$@"'\'' "$PWD" "$@"' \
        in_root "$LIBROOT" "$@"
}
