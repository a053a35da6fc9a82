/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: p2m.c's enumeration of a guest's frames, the input being the guest's
 * memory (its shared_info anchors, page tables and p2m pages) served by read_frames, and for
 * HVM which gfns exist. Checks that whatever the guest holds, the answer is well formed: runs
 * sorted and disjoint, pages numbered in order, every mfn a machine frame of the host.
 *
 * Input (fuzzin.h for the memory part):
 *   u8 mode          % 3: 0 PV linear list, 1 PV frame-list tree, 2 HVM
 *   u8 hard_fail     n > 0: the n-th callback fails as a hypercall would (-XDUMP_E_XEN)
 *   u8 paged         HVM: bit 0: the first paged_pages call reports frames paged out (the
 *                    scan is redone after 1 ms)
 *   u8 flags         HVM: bit 0: Xen's "absent" gfns are probed (probe_frames), and a gfn g
 *                    maps when bit (7 g + 3) of the memory is set; bits 1-2: Xen names the
 *                    frames it lent: 0 no callback, 1 every 61st gfn up to max_gpfn + 128,
 *                    2 "cannot say", 3 the call fails; bit 3: probe_all
 *   u64 max_pfn      PV: shared_info's max_pfn, as the guest wrote it; HVM: max_gpfn % 2^16
 *   u64 p2m_cr3, p2m_vaddr, fll_mfn   the rest of the guest's anchors
 *   u64 max_mfn      the host's highest machine frame (Xen's word)
 *   u64 tot_pages    % 2^16: the pages the domain owns (Xen's word)
 *   memory           machine frames FUZZ_P2M_MFN0.. (HVM: the bits say which gfns exist)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzin.h"
#include "p2m.h"
#include "xdump.h"

#define FUZZ_P2M_MFN0 1
#define HVM_MAX_GPFN_SPAN (1u << 16)
#define TOT_PAGES_SPAN (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct host {
    struct fuzz_mem mem;
    unsigned calls, hard_fail, paged_left;
};

static int hypercall_fails(struct host *h)
{
    return h->hard_fail && ++h->calls == h->hard_fail;
}

static int read_frames(void *ctx, const uint64_t *frames, size_t n, uint8_t *buf, int *err)
{
    struct host *h = ctx;
    if (n == 0 || n > XD_BATCH)
        abort(); /* the contract: 1..XD_BATCH frames */
    if (hypercall_fails(h))
        return -XDUMP_E_XEN;
    for (size_t i = 0; i < n; i++) {
        const uint64_t *page = fuzz_mem_page(&h->mem, frames[i]);
        err[i] = page ? 0 : fuzz_mem_has(&h->mem, frames[i]) ? EFAULT : EINVAL;
        if (page)
            memcpy(buf + i * XD_PAGE_SIZE, page, XD_PAGE_SIZE);
        else
            memset(buf + i * XD_PAGE_SIZE, 0xa5, XD_PAGE_SIZE); /* garbage, never to be used */
    }
    return 0;
}

/* Bit (frame * mul + add) modulo the memory's size, of the memory, for each frame. */
static int memory_bits(struct host *h, const uint64_t *frames, size_t n, uint64_t mul, uint64_t add,
                       uint8_t *out)
{
    if (n == 0 || n > XD_BATCH)
        abort(); /* the contract: 1..XD_BATCH frames */
    if (hypercall_fails(h))
        return -XDUMP_E_XEN;
    uint64_t bits = (uint64_t)h->mem.nframes * XD_PAGE_SIZE * 8;
    const uint8_t *bytes = (const uint8_t *)h->mem.page;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = (frames[i] * mul + add) % bits;
        out[i] = (bytes[b / 8] >> (b % 8)) & 1;
    }
    return 0;
}

/* HVM: gfn g exists when bit g (modulo the memory's size) of the memory is set. */
static int frames_exist(void *ctx, uint64_t first, size_t n, uint8_t *present)
{
    uint64_t gfns[XD_BATCH];
    for (size_t i = 0; i < n && i < XD_BATCH; i++)
        gfns[i] = first + i;
    return memory_bits(ctx, gfns, n, 1, 0, present);
}

/* ... and maps when bit 7g + 3 is set (the probe of frames Xen calls absent). */
static int probe_frames(void *ctx, const uint64_t *frames, size_t n, uint8_t *mappable)
{
    return memory_bits(ctx, frames, n, 7, 3, mappable);
}

static unsigned lent_mode;

static int lent_frames(void *ctx, uint64_t **frames, size_t *n)
{
    (void)ctx;
    *frames = NULL;
    *n = 0;
    if (lent_mode == 3)
        return -XDUMP_E_XEN;
    if (lent_mode == 2)
        return 0;
    size_t k = (HVM_MAX_GPFN_SPAN + 128) / 61 + 1;
    if (!(*frames = malloc(k * sizeof(**frames))))
        return -XDUMP_E_FAIL;
    for (size_t i = 0; i < k; i++)
        (*frames)[i] = i * 61;
    *n = k;
    return 1;
}

static int paged_pages(void *ctx, uint64_t *paged)
{
    struct host *h = ctx;
    if (hypercall_fails(h))
        return -XDUMP_E_XEN;
    *paged = h->paged_left ? h->paged_left-- : 0;
    return 0;
}

static const char *error(void *ctx)
{
    (void)ctx;
    return "fuzz host: hypercall failed";
}

/* Xen's M2P entries, from the fuzz input's tail: a claim per machine frame asked */
static struct fuzz_in m2p_in;
static int hostile_m2p(void *ctx, uint64_t mfn, uint64_t *pfn)
{
    struct fuzz_in *in = ctx;
    uint64_t v = fuzz_take(in, 8);
    if ((v & 7) == 7)
        return -1;                                 /* an unreadable entry */
    *pfn = (v & 8) ? v >> 4 : mfn - (v >> 4) % 64; /* any value, or a nearby pfn */
    return 0;
}

/* The answer is well formed, whatever the guest holds. */
static void check_frames(const struct xd_frames *f, bool pv, uint64_t max_pfn, uint64_t max_mfn,
                         uint64_t limit)
{
    uint64_t pages = 0, end = 0;
    for (size_t i = 0; i < f->nruns; i++) {
        const struct xd_run *r = &f->runs[i];
        if (r->count == 0 || r->page != pages || (i && r->pfn <= end) || r->pfn >= max_pfn ||
            r->count > max_pfn - r->pfn)
            abort();
        end = r->pfn + r->count - 1;
        pages += r->count;
    }
    if (pages != f->npages || pages > limit)
        abort();
    if (!pv)
        return;
    /* the pieces: the runs' pfns exactly, in order, each machine-contiguous and valid */
    uint64_t covered = 0;
    for (size_t k = 0; k < f->nmruns; k++) {
        const struct xd_mrun *m = &f->mruns[k];
        if (m->count == 0 || m->mfn + m->count - 1 > max_mfn ||
            (k && m->pfn < f->mruns[k - 1].pfn + f->mruns[k - 1].count))
            abort();
        const struct xd_run *r = xd_frames_run(f, m->pfn);
        if (!r || m->pfn + m->count > r->pfn + r->count)
            abort();
        covered += m->count;
    }
    if (covered != f->npages)
        abort();
    /* the inverse the page walk uses: each answer a pfn whose own entry is the frame asked */
    struct xd_m2p inv;
    if (xd_m2p_build(f, &inv) < 0)
        return;
    for (size_t k = 0; k < f->nmruns && k < 256; k++)
        for (uint64_t d = 0; d < 3; d++) {
            uint64_t mfn = f->mruns[k].mfn + d, pfn, back;
            if (xd_m2p_lookup(&inv, mfn, &pfn) && (!xd_frames_mfn_of(f, pfn, &back) || back != mfn))
                abort();
            if (d == 0 && !xd_m2p_lookup(&inv, mfn, &pfn)) /* every frame is answered */
                abort();
        }
    xd_m2p_free(&inv);
    /* Xen's M2P as a hostile guest wrote it (the input's bytes): never an answer the p2m does
       not lead back from */
    xd_m2p_use(&inv, f, hostile_m2p, &m2p_in);
    for (size_t k = 0; k < f->nmruns && k < 256; k++)
        for (uint64_t d = 0; d < 3; d++) {
            uint64_t mfn = f->mruns[k].mfn + d, pfn, back;
            if (xd_m2p_lookup(&inv, mfn, &pfn) && (!xd_frames_mfn_of(f, pfn, &back) || back != mfn))
                abort();
        }
    xd_m2p_free(&inv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    m2p_in = (struct fuzz_in){data + size / 2, size - size / 2};
    unsigned mode = (unsigned)fuzz_take(&in, 1) % 3;
    struct host h = {.hard_fail = (unsigned)fuzz_take(&in, 1)};
    h.paged_left = (unsigned)fuzz_take(&in, 1) & 1;
    unsigned flags = (unsigned)fuzz_take(&in, 1);
    bool probe = flags & 1, probe_all = flags & 8;
    lent_mode = (flags >> 1) & 3;
    struct xd_p2m_anchors a = {.max_pfn = fuzz_take(&in, 8)};
    a.p2m_cr3 = fuzz_take(&in, 8);
    a.p2m_vaddr = fuzz_take(&in, 8);
    a.fll_mfn = fuzz_take(&in, 8);
    uint64_t max_mfn = fuzz_take(&in, 8);
    uint64_t tot_pages = fuzz_take(&in, 8) % TOT_PAGES_SPAN;
    if (fuzz_mem_read(&in, FUZZ_P2M_MFN0, &h.mem) < 0)
        return 0;
    if (mode != 0)
        a.p2m_cr3 = 0; /* PV: the tree is walked when there is no list */
    else if (a.p2m_cr3 == 0)
        a.p2m_cr3 = (uint64_t)FUZZ_P2M_MFN0 << 12;

    struct xd_guest_ops ops = {.ctx = &h,
                               .read_frames = read_frames,
                               .frames_exist = frames_exist,
                               .paged_pages = paged_pages,
                               .error = error,
                               .probe_frames = probe ? probe_frames : NULL,
                               .lent_frames = lent_mode ? lent_frames : NULL};
    struct xd_frames f = {0};
    char err[512] = "";
    int rc;
    if (mode == 2) {
        uint64_t max_gpfn = a.max_pfn % HVM_MAX_GPFN_SPAN;
        rc = xd_p2m_hvm(&ops, max_gpfn, probe_all, &f, err, sizeof(err));
        if (rc == 0)
            check_frames(&f, false, max_gpfn + 1, 0, UINT64_MAX);
    } else {
        rc = xd_p2m_pv(&ops, &a, max_mfn, tot_pages, &f, err, sizeof(err));
        if (rc == 0)
            check_frames(&f, true, a.max_pfn, max_mfn,
                         tot_pages + (tot_pages / 8 > 1024 ? tot_pages / 8 : 1024));
    }
#ifdef FUZZ_VERBOSE /* what an input does: build with -DFUZZ_VERBOSE, run on the file */
    fprintf(stderr, "mode %u rc %d pages %llu runs %zu invalid %llu paged %llu: %s\n", mode, rc,
            (unsigned long long)f.npages, f.nruns, (unsigned long long)f.invalid_entries,
            (unsigned long long)f.paged_missing, err);
#endif
    if (rc != 0 && (rc > -XDUMP_E_FAIL || rc < -XDUMP_E_BADCORE || !err[0]))
        abort(); /* a failure is a status and a message */
    xd_frames_free(&f);
    fuzz_mem_free(&h.mem);
    return 0;
}
