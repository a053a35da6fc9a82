#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# assemble.sh OUTDIR XDUMP_BIN - put together everything a real-Xen run boots, from Debian's
# packages at test time (nothing binary lives in the repository):
#
#   OUTDIR/xen.elf         the hypervisor (Debian's xen-4.17-amd64.gz, or 4.20's, gunzipped:
#                          QEMU's multiboot loader wants the 32-bit ELF)
#   OUTDIR/vmlinuz         Debian's Linux (6.1, or 6.12) for dom0
#   OUTDIR/guest-vmlinux   link to the guests' kernel (Debian's cloud flavour of the same ABI)
#                          with debug symbols, extracted once into the cache from its -dbg package
#   OUTDIR/dom0.cpio       dom0's initramfs (uncompressed: decompressing under TCG is slow):
#                          busybox, the Xen tools, their libraries, the modules, XDUMP_BIN, the
#                          guest initramfs and configs, the scenario scripts
#   OUTDIR/pvguest/        our own tiny PV kernel (fixtures/pvguest), with symbols
#
# The .debs are cached in $XDUMP_REALXEN_CACHE (default /var/cache/xdump-realxen): a second
# run downloads nothing. XDUMP_BIN may be "none" (or missing): the scenarios then run Xen's
# own dumper alone and the host checks report xdump as missing. Idempotent.
# XDUMP_REALXEN_RELEASE=12 (default: Debian 12, Xen 4.17) or 13 (Debian 13, Xen 4.20, the
# libraries from the Debian 13 build root): release.sh.
set -eu

die() { echo "assemble: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: assemble.sh OUTDIR XDUMP_BIN"
OUT=$1
XDUMP_BIN=$2
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${XDUMP_REALXEN_CACHE:-/var/cache/xdump-realxen}
START=$(date +%s.%N)
. "$HERE/release.sh"

elapsed() { echo "$(date +%s.%N) $1" | awk '{printf "%.1f", $1 - $2}'; }
step() { echo "assemble: [$(elapsed "$START") s] $*"; }

for tool in apt-get apt-cache dpkg-deb gunzip xz ldd awk; do
    command -v $tool >/dev/null 2>&1 || die "'$tool' not found (a Debian host is needed)"
done
case $OUT in *,*|*' '*) die "OUTDIR must not contain commas or spaces (QEMU's -initrd list): $OUT" ;; esac
mkdir -p "$OUT" "$CACHE"
OUT=$(cd "$OUT" && pwd)

# ---- 1. the packages, downloaded once --------------------------------------------------------

# The kernel's exact package: the metapackage depends on linux-image-<abi>-amd64.
kernel_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9].*-amd64/ {print $2; exit}'
}
KPKG=$(kernel_pkg || true)
if [ -z "$KPKG" ] && [ "$(id -u)" -eq 0 ] && ! ls "$CACHE"/linux-image-*.deb >/dev/null 2>&1; then
    # A fresh machine may have no package lists yet.
    step "apt-get update (no package lists)"
    apt-get update -qq >/dev/null 2>&1 || true
    KPKG=$(kernel_pkg || true)
fi
if [ -z "$KPKG" ]; then
    # apt lists may be missing (no `apt-get update`): fall back to what the cache has.
    KPKG=$(ls "$CACHE" 2>/dev/null | sed -n 's/^\(linux-image-[0-9][^_]*-amd64\)_.*/\1/p' |
        grep -v -- -cloud- | sort -V | tail -1)
    [ -n "$KPKG" ] || die "cannot resolve linux-image-amd64's kernel package (run apt-get update)"
fi
# The guests run Debian's cloud kernel of the same ABI (what Debian's cloud images boot); its
# vmlinux with debug symbols, from the -dbg package, is for crash, drgn and gdb on the host.
GPKG=$(echo "$KPKG" | sed 's/-amd64$/-cloud-amd64/')
DBGPKG=$GPKG-dbg
PKGS="xen-hypervisor-$XENVER-amd64 xen-utils-$XENVER xen-utils-common xenstore-utils $KPKG $GPKG busybox-static"

# The .deb apt would fetch now (candidate version, one apt-cache call for all); any cached one
# of that package when apt knows no candidate (offline, no lists).
CANDIDATES=$(apt-cache policy $PKGS $DBGPKG 2>/dev/null |
    awk '/^[^ ]/ {sub(":$", "", $1); p = $1} /Candidate:/ {print p, $2}')
deb_for() {
    ver=$(echo "$CANDIDATES" | awk -v p="$1" '$1 == p {print $2}')
    if [ -n "$ver" ] && [ "$ver" != "(none)" ]; then
        ver=$(echo "$ver" | sed 's/:/%3a/')
        echo "$CACHE/$1_${ver}_amd64.deb"
    else
        ls "$CACHE/$1"_*_amd64.deb 2>/dev/null | sort -V | tail -1
    fi
}
DEBS=
missing=
for p in $PKGS; do
    d=$(deb_for "$p")
    [ -n "$d" ] || die "package $p: apt knows no candidate and the cache $CACHE has none"
    [ -f "$d" ] || missing="$missing $p"
    DEBS="$DEBS $d"
done
if [ -n "$missing" ]; then
    step "downloading$missing into $CACHE"
    (cd "$CACHE" && apt-get download $missing >/dev/null 2>"$OUT/apt-download.err") ||
        die "apt-get download$missing failed: $(tail -3 "$OUT/apt-download.err")"
    for d in $DEBS; do [ -f "$d" ] || die "apt-get download did not produce $d"; done
fi
step "packages: $(for d in $DEBS; do basename "$d"; done | tr '\n' ' ')"

# The guest kernel's vmlinux (~590 MB) from its -dbg package (~280 MB): downloaded and extracted
# once per version, kept in the cache; nothing else of the package is unpacked.
DBGDEB=$(deb_for "$DBGPKG")
[ -n "$DBGDEB" ] || die "package $DBGPKG: apt knows no candidate and the cache $CACHE has none"
GVER=${GPKG#linux-image-}
VMLINUX=$CACHE/vmlinux-$GVER-$(basename "$DBGDEB" .deb | sed 's/.*_\(.*\)_amd64/\1/')
if [ ! -s "$VMLINUX" ]; then
    if [ ! -f "$DBGDEB" ]; then
        step "downloading $DBGPKG (debug symbols of the guest kernel, ~280 MB) into $CACHE"
        (cd "$CACHE" && apt-get download "$DBGPKG" >/dev/null 2>"$OUT/apt-download.err") ||
            die "cannot fetch $DBGPKG (the guest kernel's debug symbols, needed by crash/drgn/gdb): $(tail -3 "$OUT/apt-download.err")"
        [ -f "$DBGDEB" ] || die "apt-get download did not produce $DBGDEB"
    fi
    rm -rf "$OUT/dbgx" && mkdir -p "$OUT/dbgx"
    dpkg-deb --fsys-tarfile "$DBGDEB" | tar xf - -C "$OUT/dbgx" "./usr/lib/debug/boot/vmlinux-$GVER" ||
        die "no usr/lib/debug/boot/vmlinux-$GVER in $DBGDEB"
    mv "$OUT/dbgx/usr/lib/debug/boot/vmlinux-$GVER" "$VMLINUX.tmp" && mv "$VMLINUX.tmp" "$VMLINUX"
    rm -rf "$OUT/dbgx"
    step "guest vmlinux extracted: $VMLINUX ($(du -m "$VMLINUX" | cut -f1) MiB)"
fi
ln -sf "$VMLINUX" "$OUT/guest-vmlinux"

# ---- 2. extract (once per set of .debs) ------------------------------------------------------

STAGE=$OUT/debroot
if [ "$(cat "$OUT/debroot.stamp" 2>/dev/null)" != "$DEBS" ]; then
    rm -rf "$STAGE" && mkdir -p "$STAGE"
    for d in $DEBS; do dpkg-deb -x "$d" "$STAGE"; done
    echo "$DEBS" >"$OUT/debroot.stamp"
    step "extracted"
fi
KVER=${KPKG#linux-image-}
# Linux 6.1's package has its modules in /lib/modules, 6.12's in /usr/lib/modules (xz-compressed).
MODDIR=$STAGE/lib/modules/$KVER
[ -d "$MODDIR" ] || MODDIR=$STAGE/usr/lib/modules/$KVER
[ -d "$MODDIR" ] || die "no kernel modules in $STAGE/{,usr/}lib/modules/$KVER"
[ -f "$STAGE/boot/vmlinuz-$GVER" ] || die "no boot/vmlinuz-$GVER in $GPKG"
BUSYBOX=$STAGE/bin/busybox
[ -x "$BUSYBOX" ] || BUSYBOX=$STAGE/usr/bin/busybox # Debian 13
XENBIN=$STAGE/usr/lib/xen-$XENVER/bin
gunzip -c "$STAGE/boot/xen-$XENVER-amd64.gz" >"$OUT/xen.elf"
cp "$STAGE/boot/vmlinuz-$KVER" "$OUT/vmlinuz"

# ---- helpers ------------------------------------------------------------------------------------

# install_busybox ROOT: busybox and a link per applet.
install_busybox() {
    mkdir -p "$1/bin"
    cp "$BUSYBOX" "$1/bin/busybox"
    for a in $("$BUSYBOX" --list); do
        [ -e "$1/bin/$a" ] || ln -s busybox "$1/bin/$a"
    done
}

# ldd_of BINARY: ldd's answer for BINARY where its libraries are: on this host (Debian 12), or
# in the Debian 13 root ($LIBROOT, its loader and its libraries; the binary is copied in).
ldd_of() {
    [ -z "$LIBROOT" ] && { ldd "$1"; return; }
    t=/tmp/xdump-ldd.$$
    cp "$1" "$LIBROOT$t" && chroot "$LIBROOT" ldd "$t"
    rm -f "$LIBROOT$t"
}

# install_libs ROOT BINARY...: every library ldd lists (resolved on this host, or in LIBROOT),
# the loader.
install_libs() {
    root=$1
    shift
    for bin in "$@"; do
        if ldd_of "$bin" | grep -q 'not found'; then
            die "$bin: libraries missing ${LIBROOT:-on this host}: $(ldd_of "$bin" | grep 'not found' | tr -d '\t')
  (install libxen-dev, e.g. with 'make deps')"
        fi
        for lib in $(ldd_of "$bin" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
            dest=$root$lib
            [ -e "$dest" ] && continue
            mkdir -p "$(dirname "$dest")"
            cp -L "$LIBROOT$lib" "$dest"
        done
    done
}

# make_cpio DIR FILE: an uncompressed newc archive of DIR.
make_cpio() {
    (cd "$1" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) >"$2.tmp"
    mv "$2.tmp" "$2"
}

# ---- 3. the guest initramfs ----------------------------------------------------------------

GROOT=$OUT/guestroot
rm -rf "$GROOT" && mkdir -p "$GROOT/proc" "$GROOT/sys" "$GROOT/dev"
install_busybox "$GROOT"
cp "$HERE/guest/init" "$GROOT/init"
chmod 755 "$GROOT/init"
# The pre-copy scenario's writer (guest/sweep.c), static: the guest has busybox and nothing else.
gcc -std=gnu11 -static -O2 -Wall -Wextra -Werror -o "$GROOT/bin/xdump-sweep" "$HERE/guest/sweep.c" ||
    die "tests/realxen/guest/sweep.c does not build static (libc6-dev's libc.a missing?)"
make_cpio "$GROOT" "$OUT/guest.cpio"
step "guest initramfs: $(du -k "$OUT/guest.cpio" | cut -f1) KiB"

# ---- 4. our own PV test kernel -------------------------------------------------------------------

PVG=
if [ -f "$TOP/fixtures/pvguest/Makefile" ]; then
    if make -s -C "$TOP/fixtures/pvguest" O="$OUT/pvguest" >"$OUT/pvguest.log" 2>&1; then
        PVG=$OUT/pvguest/kernel.elf
        step "pvguest kernel: $PVG"
    else
        die "fixtures/pvguest does not build: $(tail -5 "$OUT/pvguest.log")"
    fi
fi

# ---- 5. dom0's initramfs -----------------------------------------------------------------------------

ROOT=$OUT/dom0root
rm -rf "$ROOT"
mkdir -p "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/run" "$ROOT/tmp" "$ROOT/out" \
    "$ROOT/etc/xen" "$ROOT/var/lib/xen/dump" "$ROOT/var/log/xen/console" "$ROOT/usr/bin" \
    "$ROOT/usr/lib/xen-$XENVER/bin" "$ROOT/guest" "$ROOT/scenarios" "$ROOT/lib/modules/$KVER"
install_busybox "$ROOT"

XEN_TOOLS="xl xenstored xen-init-dom0 xenconsoled"
for t in $XEN_TOOLS; do
    cp "$XENBIN/$t" "$ROOT/usr/lib/xen-$XENVER/bin/$t"
    install_libs "$ROOT" "$XENBIN/$t"
done
: >"$ROOT/etc/xen/xl.conf"
# The scenarios read a guest's console tty from xenstore (the multi-call `xenstore read`).
cp "$STAGE/usr/bin/xenstore" "$ROOT/usr/bin/xenstore"
install_libs "$ROOT" "$STAGE/usr/bin/xenstore"
# busybox's date has no %N: the scenarios time the dumps with coreutils' date.
cp "$LIBROOT/bin/date" "$ROOT/usr/bin/date"
install_libs "$ROOT" "$LIBROOT/bin/date"
# glibc dlopens libgcc_s for pthread_cancel: `xl create` aborts without it.
GCCS=$(${LIBROOT:+chroot "$LIBROOT"} ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ {print $NF; exit}')
[ -n "$GCCS" ] || die "libgcc_s.so.1 not found ${LIBROOT:-on this host}"
mkdir -p "$ROOT$(dirname "$GCCS")" && cp -L "$LIBROOT$GCCS" "$ROOT$GCCS"

# xenprobe: what real Xen answers a dumper (probe.c), built against the release's libxen. It
# maps every gfn/mfn of each guest (seconds under TCG): only with XDUMP_REALXEN_PROBE=1, so
# make check stays within its time.
rm -f "$ROOT/usr/bin/xenprobe"
if [ "${XDUMP_REALXEN_PROBE:-0}" = 1 ]; then
    if [ -z "$LIBROOT" ]; then
        gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$OUT/xenprobe" "$HERE/probe.c" -lxenctrl -lxenforeignmemory
    else
        cp "$HERE/probe.c" "$LIBROOT/tmp/xenprobe.c" &&
            chroot "$LIBROOT" gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o /tmp/xenprobe /tmp/xenprobe.c \
                -lxenctrl -lxenforeignmemory && mv "$LIBROOT/tmp/xenprobe" "$OUT/xenprobe"
    fi || die "tests/realxen/probe.c does not build (libxen-dev missing?)"
    cp "$OUT/xenprobe" "$ROOT/usr/bin/xenprobe"
    install_libs "$ROOT" "$OUT/xenprobe"
fi

# ldctl (tests/tools/ldctl.c): a second user of log-dirty for the pre-copy scenario, built
# against the release's libxenctrl (in the Debian 13 root for 13).
if [ -z "$LIBROOT" ]; then
    gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$OUT/ldctl" "$TOP/tests/tools/ldctl.c" -lxenctrl
else
    cp "$TOP/tests/tools/ldctl.c" "$LIBROOT/tmp/ldctl.c" &&
        chroot "$LIBROOT" gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o /tmp/ldctl /tmp/ldctl.c -lxenctrl &&
        mv "$LIBROOT/tmp/ldctl" "$OUT/ldctl"
fi || die "tests/tools/ldctl.c does not build (libxen-dev missing?)"
cp "$OUT/ldctl" "$ROOT/usr/bin/ldctl"
install_libs "$ROOT" "$OUT/ldctl"

if [ "$XDUMP_BIN" != none ] && [ -x "$XDUMP_BIN" ]; then
    cp "$XDUMP_BIN" "$ROOT/usr/bin/xdump"
    install_libs "$ROOT" "$XDUMP_BIN"
    step "xdump: $XDUMP_BIN"
else
    step "xdump: none (XDUMP_BIN=$XDUMP_BIN): Xen's own dumper only"
fi

# Modules, in load order (see /work/shared/real-xen.md): Xen's devices, then virtio-blk for the
# results disk. Those the kernel has built in (Linux 6.12's virtio core) are skipped; xz-compressed
# ones (6.12) are decompressed: busybox's insmod takes plain ELF.
MODS="drivers/xen/xen-evtchn drivers/xen/xen-gntdev drivers/xen/xen-gntalloc
  drivers/xen/xen-privcmd drivers/xen/xenfs/xenfs drivers/virtio/virtio_ring drivers/virtio/virtio
  drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci_legacy_dev
  drivers/virtio/virtio_pci drivers/block/virtio_blk"
: >"$ROOT/lib/modules/$KVER/load-order"
for m in $MODS; do
    grep -qx "kernel/$m.ko" "$MODDIR/modules.builtin" 2>/dev/null && continue
    src=$MODDIR/kernel/$m.ko
    if [ -f "$src" ]; then
        cp "$src" "$ROOT/lib/modules/$KVER/"
    elif [ -f "$src.xz" ]; then
        xz -dc "$src.xz" >"$ROOT/lib/modules/$KVER/$(basename "$m").ko"
    else
        die "module $m.ko not in $KPKG"
    fi
    echo "$(basename "$m").ko" >>"$ROOT/lib/modules/$KVER/load-order"
done

cp "$STAGE/boot/vmlinuz-$GVER" "$ROOT/guest/vmlinuz"
cp "$OUT/guest.cpio" "$ROOT/guest/initrd.cpio"
cp "$HERE"/guest/*.cfg "$ROOT/guest/"
[ -n "$PVG" ] && cp "$PVG" "$ROOT/guest/pvguest.elf"
cp "$HERE"/scenarios/*.sh "$ROOT/scenarios/"
cp "$HERE/dom0/init" "$ROOT/init"
cp "$HERE/dom0/lib.sh" "$ROOT/scenarios/lib.sh"
chmod 755 "$ROOT/init" "$ROOT"/scenarios/*.sh
make_cpio "$ROOT" "$OUT/dom0.cpio"
step "dom0 initramfs: $(du -m "$OUT/dom0.cpio" | cut -f1) MiB (kernel $KVER)"
echo "$KVER" >"$OUT/kernel.version"
step "done: $OUT"
