/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ldctl - another user of a domain's log-dirty mode, through Debian's libxenctrl (as `xl
 * migrate`'s saver calls it): the tests' second tracker, and a probe of xensim's emulation.
 *
 *   ldctl DOMID enable|off             xc_shadow_control(ENABLE_LOGDIRTY | OFF)
 *   ldctl DOMID clean|peek|final [N]   xc_logdirty_control() over N pfns (default: the
 *                                      domain's max gpfn + 1); final = CLEAN with
 *                                      XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL
 *   ldctl DOMID mode M clean|peek      CLEAN/PEEK with mode bits M (Xen refuses all but FINAL)
 *
 * Prints "rc=R errno=NAME" and, for clean/peek, "pages=P dirty_count=D bits=B" and the first
 * set pfns ("set=0x10,0x11,..."). Exit 0 when the call succeeded, 1 when it failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>

static const char *ename(int e)
{
    switch (e) {
    case 0:
        return "0";
    case EINVAL:
        return "EINVAL";
    case EOPNOTSUPP:
        return "EOPNOTSUPP";
    case EBUSY:
        return "EBUSY";
    case ESRCH:
        return "ESRCH";
    case ENOSYS:
        return "ENOSYS";
    default:
        return strerror(e);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ldctl DOMID enable|off|clean|peek|final [N] | mode M OP\n");
        return 2;
    }
    uint32_t dom = (uint32_t)strtoul(argv[1], NULL, 0);
    const char *op = argv[2];
    unsigned mode = 0;
    if (!strcmp(op, "mode") && argc >= 5) {
        mode = (unsigned)strtoul(argv[3], NULL, 0);
        op = argv[4];
        argv += 2, argc -= 2;
    }
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        perror("xc_interface_open");
        return 2;
    }
    int rc, e;
    if (!strcmp(op, "enable") || !strcmp(op, "off")) {
        rc = xc_shadow_control(xch, dom,
                               !strcmp(op, "enable") ? XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY
                                                     : XEN_DOMCTL_SHADOW_OP_OFF,
                               NULL, 0);
        e = rc < 0 ? errno : 0;
        printf("rc=%d errno=%s\n", rc, ename(e));
        xc_interface_close(xch);
        return rc < 0;
    }
    unsigned sop = !strcmp(op, "peek") ? XEN_DOMCTL_SHADOW_OP_PEEK : XEN_DOMCTL_SHADOW_OP_CLEAN;
    if (!strcmp(op, "final"))
        mode |= XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL;
    xen_pfn_t max = 0;
    unsigned long n = argc > 3 ? strtoul(argv[3], NULL, 0) : 0;
    if (!n && xc_domain_maximum_gpfn(xch, dom, &max) == 0)
        n = (unsigned long)max + 1;
    size_t bytes = (n + 7) / 8;
    DECLARE_HYPERCALL_BUFFER(uint8_t, bm);
    bm = xc_hypercall_buffer_alloc_pages(xch, bm, (int)((bytes + 4095) / 4096 + 1));
    if (!bm) {
        perror("hypercall buffer");
        return 2;
    }
    memset(bm, 0xa5, bytes); /* what Xen does not write shows */
    xc_shadow_op_stats_t stats = {0};
    long long r = xc_logdirty_control(xch, dom, sop, HYPERCALL_BUFFER(bm), n, mode, &stats);
    e = r < 0 ? errno : 0;
    printf("rc=%d errno=%s\n", r < 0 ? -1 : 0, ename(e));
    if (r >= 0) {
        unsigned long bits = 0, shown = 0;
        char set[256] = "";
        for (unsigned long p = 0; p < n; p++)
            if (bm[p >> 3] & (1u << (p & 7))) {
                bits++;
                if (shown < 8) {
                    size_t l = strlen(set);
                    snprintf(set + l, sizeof(set) - l, "%s%#lx", shown ? "," : "", p);
                    shown++;
                }
            }
        printf("pages=%lld dirty_count=%u bits=%lu\nset=%s\n", r, stats.dirty_count, bits, set);
    }
    xc_hypercall_buffer_free_pages(xch, bm, (int)((bytes + 4095) / 4096 + 1));
    xc_interface_close(xch);
    return r < 0;
}
