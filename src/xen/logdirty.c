/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Log-dirty tracking of a domain (XEN_DOMCTL_shadow_op), for the pre-copy dump. Facts from
 * Xen 4.17's xen/arch/x86/mm/paging.c (../shared/livedump.md, section 1): log-dirty has no
 * owner - a second ENABLE fails with -EINVAL, anyone may CLEAN or turn it OFF -, so xdump
 * never turns off what it did not turn on. The bitmap has one bit per pfn, pfn N in bit N & 7
 * of byte N >> 3. libxenctrl's wrappers are the same in 4.17 and 4.20: xc_shadow_control() for
 * ENABLE_LOGDIRTY and OFF, xc_logdirty_control() for CLEAN and PEEK (since 4.16).
 */
#include "private.h"

#include <errno.h>
#include <string.h>

int xd_logdirty_enable(struct xd_domain *d)
{
    int e = xd_guardian_call(d, 'L');
    if (e == 0)
        return 0;
    if (e == EINVAL) {
        /* Already on (paging.c l.229-230) - a migration, Remus, another tool - or a domain with
           an assigned PCI device (l.220-227): Xen does not say which. Either way not ours. */
        return fail(d, XDUMP_E_TRACKED,
                    "domain %u: log-dirty mode is already on (a migration or another tool is "
                    "tracking it) or Xen refuses it (PCI pass-through): no pre-copy",
                    d->domid);
    }
    if (e == EOPNOTSUPP)
        return fail(d, XDUMP_E_NOTRACK,
                    "domain %u: Xen cannot track this guest's writes (a PV guest on a Xen built "
                    "without shadow paging): no pre-copy",
                    d->domid);
    if (e == ESRCH)
        return fail(d, XDUMP_E_DIED, "domain %u is gone", d->domid);
    return fail(d, XDUMP_E_XEN, "domain %u: cannot turn log-dirty mode on: %s", d->domid,
                strerror(e));
}

int xd_logdirty_still_ours(struct xd_domain *d, bool *on)
{
    /* ENABLE fails with -EINVAL while log-dirty is on: the probe without side effect when it
       is. Should it succeed, someone turned our tracking off: it is on again now, and
       whatever was written meanwhile is lost to us. */
    int e = xd_guardian_call(d, 'E');
    if (e == 0 || e == EINVAL) {
        *on = e == EINVAL;
        return 0;
    }
    return fail(d, e == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                "domain %u: cannot probe log-dirty mode: %s", d->domid, strerror(e));
}

int xd_logdirty_off(struct xd_domain *d)
{
    int e = xd_guardian_call(d, 'l');
    if (e == 0)
        return 0;
    return fail(d, e == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                "domain %u: cannot turn log-dirty mode off: %s", d->domid, strerror(e));
}

void xd_logdirty_free(struct xd_domain *d)
{
    if (d->ldbuf.hbuf)
        xc__hypercall_buffer_free_pages(d->xch, &d->ldbuf, d->ldbuf_pages);
    d->ldbuf.hbuf = NULL;
    d->ldbuf_pages = 0;
}

static int logdirty_op(struct xd_domain *d, unsigned op, uint64_t npfns, bool final,
                       const uint8_t **bits, uint64_t *dirty)
{
    uint64_t bytes = (npfns + 7) / 8;
    int pages = (int)((bytes + XD_PAGE_SIZE - 1) / XD_PAGE_SIZE);
    if (npfns == 0 || bytes > (1ull << 30))
        return fail(d, XDUMP_E_FAIL, "internal: a log-dirty bitmap of %llu pfns",
                    (unsigned long long)npfns);
    if (pages > d->ldbuf_pages) {
        xd_logdirty_free(d);
        d->ldbuf = (xc_hypercall_buffer_t){.ubuf = (void *)-1};
        if (!xc__hypercall_buffer_alloc_pages(d->xch, &d->ldbuf, pages))
            return fail(d, XDUMP_E_FAIL, "cannot allocate the log-dirty bitmap: %s",
                        strerror(errno));
        d->ldbuf_pages = pages;
    }
    xc_shadow_op_stats_t stats = {0};
    long long got = xc_logdirty_control(d->xch, d->domid, op, &d->ldbuf, npfns,
                                        final ? XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL : 0, &stats);
    if (got < 0)
        return fail(d, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                    "domain %u: log-dirty %s failed: %s", d->domid,
                    op == XEN_DOMCTL_SHADOW_OP_CLEAN ? "clean" : "peek", strerror(errno));
    /* Xen answers the pfns it covered: fewer than asked only when its tree ended
       (paging.c l.570-571) - a bitmap we could not trust to be whole. */
    if ((uint64_t)got < npfns)
        return fail(d, XDUMP_E_XEN, "domain %u: log-dirty bitmap of %lld pfns, %llu asked",
                    d->domid, got, (unsigned long long)npfns);
    *bits = d->ldbuf.hbuf;
    if (dirty)
        *dirty = stats.dirty_count;
    return 0;
}

int xd_logdirty_clean(struct xd_domain *d, uint64_t npfns, bool final, const uint8_t **bits,
                      uint64_t *dirty)
{
    return logdirty_op(d, XEN_DOMCTL_SHADOW_OP_CLEAN, npfns, final, bits, dirty);
}

int xd_logdirty_peek(struct xd_domain *d, uint64_t npfns, const uint8_t **bits, uint64_t *dirty)
{
    return logdirty_op(d, XEN_DOMCTL_SHADOW_OP_PEEK, npfns, false, bits, dirty);
}
