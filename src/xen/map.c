/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest memory through the privcmd driver (IOCTL_PRIVCMD_MMAPBATCH_V2): the copy's windows,
 * the probes of absent frames, small reads; per-frame errors, paged-out frames retried.
 *
 * Guest memory is mapped with the batch ioctl directly rather than through
 * xenforeignmemory_map(): the library retries paged-out frames (-ENOENT) in an unbounded
 * loop, and an operator's dump must never hang on a pager that does not answer. The ioctl,
 * its struct and its per-frame err[] are the ones the library uses (xen/sys/privcmd.h).
 */
#include "private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include <xen/sys/privcmd.h>

#define PAGED_RETRIES 64 /* rounds of re-asking for paged-out frames, backing off to 10 ms */

struct xd_window {
    struct xd_domain *d;
    uint8_t *area; /* XD_BATCH pages of address space owned by the window */
    size_t mapped; /* pages of the current privcmd mapping over it */
    uint64_t calls;
};

static void nap(unsigned round)
{
    long us = 100L << (round < 7 ? round : 7); /* 100 us doubling to 12.8 ms */
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

int xd_mmapbatch(struct xd_domain *d, uint32_t dom, uint8_t *addr, const uint64_t *frames, size_t n,
                 int *err, uint64_t *calls)
{
    privcmd_mmapbatch_v2_t m = {.num = (unsigned)n,
                                .dom = (domid_t)dom,
                                .addr = (uintptr_t)addr,
                                .arr = (const xen_pfn_t *)frames,
                                .err = err};
    (*calls)++;
    int rc = ioctl(d->privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m);
    for (unsigned round = 0; rc < 0 && errno == ENOENT && round < PAGED_RETRIES; round++) {
        nap(round);
        rc = 0;
        for (size_t i = 0; i < n; i++) {
            if (err[i] != -ENOENT)
                continue;
            size_t j = i;
            while (j < n && err[j] == -ENOENT)
                j++;
            privcmd_mmapbatch_v2_t r = {.num = (unsigned)(j - i),
                                        .dom = (domid_t)dom,
                                        .addr = (uintptr_t)(addr + i * XD_PAGE_SIZE),
                                        .arr = (const xen_pfn_t *)frames + i,
                                        .err = err + i};
            (*calls)++;
            if (ioctl(d->privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &r) < 0) {
                if (errno != ENOENT)
                    return -1;
                rc = -1; /* still some paged out: another round */
            }
            i = j;
        }
        if (rc < 0)
            errno = ENOENT;
    }
    if (rc < 0 && errno == ENOENT)
        rc = 0; /* out of patience: those frames stay -ENOENT and are recorded */
    return rc;
}

int xd_window_open(struct xd_domain *d, struct xd_window **out)
{
    struct xd_window *w = calloc(1, sizeof(*w));
    if (!w)
        return fail(d, XDUMP_E_FAIL, "out of memory");
    /* Own the address range; each batch is mapped over it with MAP_FIXED. */
    w->area = mmap(NULL, (size_t)XD_BATCH * XD_PAGE_SIZE, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (w->area == MAP_FAILED) {
        free(w);
        return fail(d, XDUMP_E_FAIL, "cannot reserve address space: %s", strerror(errno));
    }
    w->d = d;
    *out = w;
    return 0;
}

void xd_window_close(struct xd_window *w)
{
    if (!w)
        return;
    munmap(w->area, (size_t)XD_BATCH * XD_PAGE_SIZE);
    free(w);
}

uint64_t xd_window_calls(const struct xd_window *w)
{
    return w->calls;
}

const uint8_t *xd_window_map(struct xd_window *w, const uint64_t *frames, size_t n, int *err,
                             int *status)
{
    struct xd_domain *d = w->d;
    /* A fresh privcmd VMA over the window (the driver refuses to map over mapped pages). Linux
       refuses (ENOMEM) a privcmd mapping over PART of another one: a batch of another length
       first gives the window back to a plain reservation (seen on real Xen, dom0 6.1). */
    if (w->mapped && w->mapped != n &&
        mmap(w->area, (size_t)XD_BATCH * XD_PAGE_SIZE, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED) {
        *status = fail(d, XDUMP_E_XEN, "cannot reset the mapping window: %s", strerror(errno));
        return NULL;
    }
    w->mapped = 0;
    void *p = mmap(w->area, n * XD_PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, d->privcmd, 0);
    if (p == MAP_FAILED) {
        *status = fail(d, XDUMP_E_XEN, "cannot map a window of privcmd: %s", strerror(errno));
        return NULL;
    }
    w->mapped = n;
    if (xd_mmapbatch(d, d->domid, w->area, frames, n, err, &w->calls) < 0) {
        if (errno == EINVAL)
            *status = fail(d, XDUMP_E_XEN,
                           "the privcmd driver refused the batch map: it needs "
                           "IOCTL_PRIVCMD_MMAPBATCH_V2 (Linux >= 3.3)");
        else
            *status = fail(d, XDUMP_E_XEN, "mapping frames of domain %u failed: %s", d->domid,
                           strerror(errno));
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        err[i] = -err[i];
    return w->area;
}

/* A privcmd mapping for a probe of n frames. The driver lets a mapping that has had its
   batch be batched again over any part where no frame is mapped (that is how paged-out frames
   are retried): as long as every frame probed failed - the common case, a scan of holes - one
   mapping serves every probe, and no mmap/munmap is paid per batch. Otherwise, or when n is
   larger, a fresh mapping of n frames (whose first batch must cover all of it). */
static uint8_t *probe_area(struct xd_domain *d, size_t n, bool *fresh)
{
    *fresh = false;
    if (d->probe && d->probe_clean && n <= d->probe_len)
        return d->probe;
    if (d->probe)
        munmap(d->probe, d->probe_len * XD_PAGE_SIZE);
    d->probe = NULL;
    void *p = mmap(NULL, n * XD_PAGE_SIZE, PROT_READ, MAP_SHARED, d->privcmd, 0);
    if (p == MAP_FAILED)
        return NULL;
    d->probe = p;
    d->probe_len = n;
    *fresh = true;
    return p;
}

int xd_domain_probe_frames(struct xd_domain *d, const uint64_t *frames, size_t n, uint8_t *mappable)
{
    int e[XD_BATCH];
    bool fresh;
    if (n > XD_BATCH)
        return fail(d, XDUMP_E_FAIL, "internal: %zu frames in one probe", n);
    uint8_t *p = probe_area(d, n, &fresh);
    if (!p)
        return fail(d, XDUMP_E_FAIL, "cannot map %zu frames: %s", n, strerror(errno));
    privcmd_mmapbatch_v2_t m = {.num = (unsigned)n,
                                .dom = (domid_t)d->domid,
                                .addr = (uintptr_t)p,
                                .arr = (const xen_pfn_t *)frames,
                                .err = e};
    int rc = ioctl(d->privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m), saved = errno;
    if (rc < 0 && saved == EINVAL && !fresh) {
        /* A driver that does not batch a mapping twice after all: a fresh one each time. */
        d->probe_clean = false;
        if (!(p = probe_area(d, n, &fresh)))
            return fail(d, XDUMP_E_FAIL, "cannot map %zu frames: %s", n, strerror(errno));
        m.addr = (uintptr_t)p;
        rc = ioctl(d->privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m), saved = errno;
    }
    d->probe_clean = rc == 0 || saved == ENOENT;
    if (rc < 0 && saved != ENOENT)
        return fail(d, XDUMP_E_XEN, "mapping frames of domain %u failed: %s", d->domid,
                    strerror(saved));
    for (size_t i = 0; i < n; i++) {
        mappable[i] = e[i] == 0 || e[i] == -ENOENT;
        if (e[i] == 0)
            d->probe_clean = false; /* a frame is mapped there now */
    }
    return 0;
}

int xd_domain_read_frames(struct xd_domain *d, const uint64_t *frames, size_t n, uint8_t *buf,
                          int *err)
{
    uint64_t calls = 0;
    int *e = calloc(n, sizeof(*e));
    uint8_t *p = e ? mmap(NULL, n * XD_PAGE_SIZE, PROT_READ, MAP_SHARED, d->privcmd, 0) : NULL;
    if (!e || p == MAP_FAILED) {
        free(e);
        return fail(d, XDUMP_E_FAIL, "cannot map %zu frames: %s", n, strerror(errno));
    }
    int rc = xd_mmapbatch(d, d->domid, p, frames, n, e, &calls);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        err[i] = -e[i];
        if (e[i] == 0)
            memcpy(buf + i * XD_PAGE_SIZE, p + i * XD_PAGE_SIZE, XD_PAGE_SIZE);
        else
            memset(buf + i * XD_PAGE_SIZE, 0, XD_PAGE_SIZE);
    }
    int saved = errno;
    munmap(p, n * XD_PAGE_SIZE);
    free(e);
    if (rc < 0)
        return fail(d, XDUMP_E_XEN, "mapping frames of domain %u failed: %s", d->domid,
                    strerror(saved));
    return 0;
}
