# xensim's log-dirty mode (XEN_DOMCTL_shadow_op) through Debian's real libxenctrl, judged by
# what Xen 4.17's source does (xen/arch/x86/mm/paging.c; the tests/xensim/hypercall.c comments
# cite the lines): the bitmap's layout and its leaves, CLEAN vs PEEK, the errors of
# ../shared/livedump.md's table, and the writing guest (`xensim write`), which marks pages only
# while log-dirty is on and never writes while the domain is paused.
. "$(dirname "$0")/lib.sh"
LDCTL=$BUILD/tests/ldctl
world w <<'W'
domain 5
  type hvm
  memory 160M
domain 6
  type pv
  memory 16M
domain 7
  type pvh
  memory 16M
  pci-passthrough
W
# ld WORLD ARGS...: ldctl's report in $LD; field F of it: ldv F
ld() { local w=$1; shift; LD=$(sim "$w" "$LDCTL" "$@") || true; }
ldv() { printf '%s\n' "$LD" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
ldis() { [ "$(ldv "$1")" = "$2" ] || { printf '%s\n' "$LD" >&2; fail "$3: $1 is '$(ldv "$1")', expected '$2'"; }; }

say "PEEK on a domain not in log-dirty mode succeeds, all zeros (no check in paging_log_dirty_op)"
ld w 5 peek; ldis rc 0 "peek while off"; ldis bits 0 "peek while off"
say "ENABLE, then a second ENABLE: -EINVAL (paging.c l.229-230), not -EBUSY"
ld w 5 enable; ldis rc 0 "enable"
ld w 5 enable; ldis errno EINVAL "second enable"
[ "$(simstat w 5 logdirty)" = 1 ] || fail "log-dirty should be on"
[ "$(simstat w 5 ld_enable_calls)" = 2 ] && [ "$(simstat w 5 ld_enable_ok)" = 1 ] || fail "enable counts"
[ "$(simstat w 5 ld_on_pid)" -gt 0 ] || fail "who turned it on"

say "the writer's pages are marked: pfn N is bit N&7 of byte N>>3, across two 4 KiB leaves"
# descriptor 0x7ff0, sequence 0x7ff1..0x8018: 16 pfns in leaf 0 (pfns < 0x8000), 25 in leaf 1
"$XSIM" write "$T/w" 5 0x7ff0 40 0 0.01 || fail "writer"
[ "$(simstat w 5 writer_pages)" = 41 ] && [ "$(simstat w 5 writer_dirtied)" = 41 ] || fail "writer counts"
ld w 5 peek; ldis bits 41 "peek"; ldis dirty_count 41 "peek"
ldis set 0x7ff0,0x7ff1,0x7ff2,0x7ff3,0x7ff4,0x7ff5,0x7ff6,0x7ff7 "peek"
ld w 5 peek; ldis bits 41 "PEEK does not clear"
say "CLEAN over fewer pfns than a leaf still clears the whole leaf (clear_page, l.513-514)"
ld w 5 clean 0x7ff8; ldis rc 0 "short clean"; ldis bits 8 "short clean"; ldis pages 32760 "short clean"
ldis dirty_count 41 "short clean (stats before clearing)"
ld w 5 peek; ldis bits 25 "after the short clean: leaf 0 empty, leaf 1 whole"; ldis dirty_count 0 "counts reset by CLEAN"
ld w 5 peek 0x8010; ldis bits 16 "a PEEK cut inside leaf 1"
ld w 5 clean; ldis bits 25 "clean"; ld w 5 clean; ldis bits 0 "clean again"
[ "$(simstat w 5 ld_clean_calls)" = 3 ] && [ "$(simstat w 5 ld_peek_calls)" = 5 ] || fail "clean/peek counts"
[ "$(simstat w 5 ld_paused_ns)" -gt 0 ] || fail "CLEAN/PEEK pause the domain"
[ "$(simstat w 5 pause_count)" = 0 ] || fail "CLEAN/PEEK left a controller pause"

say "CLEAN/PEEK with mode bits other than FINAL: -EINVAL (l.748-749); FINAL is counted"
ld w 5 mode 2 clean; ldis errno EINVAL "mode 2"
ld w 5 final; ldis rc 0 "final"; [ "$(simstat w 5 ld_final_calls)" = 1 ] || fail "final count"

say "OFF frees the bitmap; writes after it are not marked"
"$XSIM" write "$T/w" 5 0x100 4 0 0.01
ld w 5 off; ldis rc 0 "off"
[ "$(simstat w 5 logdirty)" = 0 ] && [ "$(simstat w 5 ld_off_while_on)" = 1 ] || fail "off counts"
[ "$(simstat w 5 ld_off_pid)" -gt 0 ] || fail "who turned it off"
"$XSIM" write "$T/w" 5 0x100 4 0 0.01
[ "$(simstat w 5 writer_dirtied)" = 46 ] || fail "a write while off was marked"
ld w 5 enable; ld w 5 peek; ldis bits 0 "a new ENABLE starts empty"; ld w 5 off
ld w 5 off; ldis rc 0 "OFF is idempotent for HAP (hap.c l.688-689)"

say "PV without shadow paging (Debian 12's 4.17.7): ENABLE -EOPNOTSUPP, OFF -EINVAL"
ld w 6 enable; ldis errno EOPNOTSUPP "pv enable"; ld w 6 off; ldis errno EINVAL "pv off"
say "PCI pass-through: -EINVAL (l.220-227); dom0 itself: -EINVAL (l.690-694)"
ld w 7 enable; ldis errno EINVAL "passthrough"; [ "$(simstat w 7 logdirty)" = 0 ] || fail "pdev on"
ld w 0 enable; ldis errno EINVAL "dom0"
say "a dying domain: 0, nothing done (l.696-701)"
"$XSIM" set "$T/w" 5 state=dying; ld w 5 enable; ldis rc 0 "dying"
[ "$(simstat w 5 logdirty)" = 0 ] || fail "log-dirty on on a dying domain"
"$XSIM" set "$T/w" 5 state=running

say "with shadow paging built in, a PV guest is tracked"
world s <<'W'
shadow-paging on
domain 6
  type pv
  memory 16M
W
ld s 6 enable; ldis rc 0 "pv enable with shadow"
"$XSIM" write "$T/s" 6 0x200 3 0 0.01
ld s 6 clean; ldis bits 4 "pv clean"; ldis set 0x200,0x201,0x202,0x203 "pv clean: by pfn"
ld s 6 off; ldis rc 0 "pv off with shadow"

say "the guest writes nothing while paused"
"$XSIM" set "$T/w" 5 pause_count=1
before=$(simstat w 5 writer_pages)
"$XSIM" write "$T/w" 5 0x300 8 0 0.01 & wpid=$!
sleep 0.3
[ "$(simstat w 5 writer_pages)" = "$before" ] || fail "the guest wrote while paused"
"$XSIM" set "$T/w" 5 pause_count=0
wait "$wpid" || fail "writer"
[ "$(simstat w 5 writer_pages)" = $((before + 9)) ] || fail "the writer did not finish"
echo ok
