# xensim imitates Xen 4.17 or 4.20 (the world file's `xen` line; by default the release of the
# headers it is built with), as each release's own source says (tests/xensim/world.c cites the
# lines): the domctl interface version each accepts, getdomaininfo of an id no domain has,
# XENVER_version. And what xdump meets on a hypervisor of another release than its libraries.
. "$(dirname "$0")/lib.sh"
DOMS='
domain 1
  memory 4M
domain 3
  memory 4M'
world own <<<"$DOMS"
OWN=$("$XSIM" stat "$T/own" | sed -n 's/^xen=//p')
case $OWN in 4.17 | 4.20) ;; *) fail "xensim says xen=$OWN by default" ;; esac
OTHER=$([ "$OWN" = 4.17 ] && echo 4.20 || echo 4.17)
say "built against Xen $OWN's headers, xensim imitates $OWN by default"
for rel in 4.17 4.20; do world "w$rel" <<<"xen $rel$DOMS"; done

# A raw domctl getdomaininfo of domain 2 (absent; 1 and 3 exist) with the interface version given.
cat > "$T/dominfo.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/sys/privcmd.h>
int main(int c, char **v) {
    if (c != 3)
        return 2;
    struct xen_domctl dc;
    memset(&dc, 0, sizeof(dc));
    dc.cmd = XEN_DOMCTL_getdomaininfo;
    dc.interface_version = (uint32_t)strtoul(v[1], NULL, 0);
    dc.domain = (domid_t)atoi(v[2]);
    privcmd_hypercall_t hc = {.op = __HYPERVISOR_domctl, .arg = {(unsigned long)&dc}};
    int fd = open("/dev/xen/privcmd", O_RDWR);
    int rc = fd < 0 ? -1 : ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &hc);
    printf("%d %d %u\n", rc, rc < 0 ? errno : 0, rc < 0 ? 0u : dc.domain);
    return 0;
}
C
cc -std=gnu11 -D__XEN_TOOLS__ -o "$T/dominfo" "$T/dominfo.c" $(pkg-config --cflags xencontrol)
say "4.17 answers getdomaininfo of an absent id with the next domain; 4.20 with ESRCH"
[ "$(sim w4.17 "$T/dominfo" 0x15 2)" = "0 0 3" ] || fail "4.17: getdomaininfo 2 -> $(sim w4.17 "$T/dominfo" 0x15 2)"
[ "$(sim w4.20 "$T/dominfo" 0x17 2)" = "-1 3 0" ] || fail "4.20: getdomaininfo 2 -> $(sim w4.20 "$T/dominfo" 0x17 2)"
[ "$(sim w4.20 "$T/dominfo" 0x17 3)" = "0 0 3" ] || fail "4.20: getdomaininfo 3"
say "each accepts only its own domctl interface version (0x15 for 4.17, 0x17 for 4.20): EACCES"
[ "$(sim w4.17 "$T/dominfo" 0x17 3)" = "-1 13 0" ] || fail "4.17 took version 0x17"
[ "$(sim w4.20 "$T/dominfo" 0x15 3)" = "-1 13 0" ] || fail "4.20 took version 0x15"

say "XENVER_version, through the real libxenctrl"
cat > "$T/ver.c" <<'C'
#include <stdio.h>
#include <xenctrl.h>
int main(void) {
    xc_interface *x = xc_interface_open(NULL, NULL, 0);
    int v = xc_version(x, XENVER_version, NULL);
    printf("%d.%d\n", v >> 16, v & 0xffff);
    return 0;
}
C
cc -std=gnu11 -o "$T/ver" "$T/ver.c" $(pkg-config --cflags --libs xencontrol)
for rel in 4.17 4.20; do
  [ "$(sim "w$rel" "$T/ver")" = "$rel" ] || fail "xen $rel: XENVER_version says $(sim "w$rel" "$T/ver")"
done

say "xdump on its own release dumps; on the other one, Xen refuses its first domctl"
sim "w$OWN" "$XDUMP" 3 "$T/own.core" || fail "xdump on Xen $OWN"
check "w$OWN" 3 "$T/own.core"
expect phys.pages_ok 1024; expect xen.pages_ok 1024
# The list call (sysctl, version 0x15 in both) answers; pausing (domctl) is refused: exit 8
# (a hypercall failed), the reason said, no core left, nothing paused.
expect_rc 8 sim "w$OTHER" "$XDUMP" 3 "$T/other.core"
grep -q "cannot pause domain 3: Permission denied" "$T/stderr" || { cat "$T/stderr"; fail "message"; }
[ ! -e "$T/other.core" ] || fail "a core was left"
[ "$(simstat "w$OTHER" 3 pause_count)" = 0 ] || fail "domain 3 left paused"
