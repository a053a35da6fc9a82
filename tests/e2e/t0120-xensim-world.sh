# xensim itself: several domains at once, vCPU states, domain states and pause counts seen
# from outside the process, unknown hypercalls logged and refused, sparse memory for free.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  name alpha
  type pvh
  memory 16M
  vcpus 4
  vcpu 1 down                 # never brought up: getvcpucontext -> -ENODATA
  vcpu 2 offline              # taken down by the guest: a context, not online
  vcpu 3 rip=0xffffffff81234567 rsp=0xffffc90000001000 rax=42
  state paused
domain 2
  name beta
  type pv
  memory 16M
  state crashed
domain 3
  name gamma
  type hvm
  ram 0x0 0xff
  ram 0xfffffff00 0xfffffffff  # the top of a 1 TiB+ gfn span
W
say "states as Xen would report them"
[ "$(simstat w 1 pause_count)" = 1 ] || fail "dom1 should start paused"
[ "$(simstat w 2 life)" = shutdown ] && [ "$(simstat w 2 shutdown_reason)" = 3 ] || fail "dom2 crashed"
say "a sparse 64 GiB span costs nothing"
[ "$(du -sk "$T/w" | cut -f1)" -lt 80000 ] || fail "the world takes too much disk"
say "vCPU contexts through Xen's own dumper: offline and set registers"
sim w "$XCDUMP" 1 "$T/x1.core" || fail dumpcore
check w 1 "$T/x1.core"
# A PVH guest has memory at 0xa0-0xbf (no VGA hole, as measured on real Xen); Xen's dumper
# skips those gfns for every auto-translated guest: 32 pages it silently leaves out.
expect xen.pages_ok 4064; expect xen.pfns_missing 32
expect xen.nr_vcpus 3    # vCPU 1 has no context (-ENODATA): Xen's dumper skips it
expect xen.magic 0xf00febee
say "pause and unpause through the real libxenctrl, counted outside the process"
cat > "$T/pause.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <xenctrl.h>
int main(int c, char **v) {
    xc_interface *x = xc_interface_open(NULL, NULL, 0);
    int d = atoi(v[1]), rc = 0;
    for (int i = 2; i < c; i++)
        rc |= v[i][0] == 'p' ? xc_domain_pause(x, d) : xc_domain_unpause(x, d);
    xc_interface_close(x);
    return rc ? 1 : 0;
}
C
cc -std=gnu11 -o "$T/pause" "$T/pause.c" $(pkg-config --cflags --libs xencontrol)
sim w "$T/pause" 2 p p u || fail "pause"
[ "$(simstat w 2 pause_count)" = 1 ] || fail "pause count should be 1"
sim w "$T/pause" 2 u || fail "unpause"
[ "$(simstat w 2 pause_count)" = 0 ] || fail "pause count should be 0"
expect_rc 1 sim w "$T/pause" 2 u   # below zero: Xen refuses (-EINVAL)
say "unknown hypercalls: logged and answered -ENOSYS"
cat > "$T/unknown.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <xenctrl.h>
int main(void) {
    xc_interface *x = xc_interface_open(NULL, NULL, 0);
    uint64_t size;
    /* XEN_DOMCTL_get_paging_mempool_size: not something a dumper needs */
    int rc = xc_get_paging_mempool_size(x, 1, &size);
    printf("%d %d\n", rc, errno);
    return 0;
}
C
cc -std=gnu11 -o "$T/unknown" "$T/unknown.c" $(pkg-config --cflags --libs xencontrol)
[ "$(sim w "$T/unknown")" = "-1 $(printf '%d' 38)" ] || fail "expected -1 ENOSYS"
grep -q "unknown domctl op=85" "$T/w/xensim.log" || fail "not logged"
[ "$("$XSIM" stat "$T/w" | sed -n 's/^unknown=//p')" -ge 1 ] || fail "not counted"
