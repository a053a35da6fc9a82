/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: pagewalk.c's walk of a guest's page tables, the input being the guest's
 * memory served by read_page. Checks what pagewalk.h promises of the ranges whatever the
 * tables hold: canonical, inside [vaddr_lo, vaddr_hi], ascending, merged, over pfns that
 * exist; the work bound kept; after an E2BIG stop, every range below stop_vaddr, and a walk
 * resumed from there going on in order.
 *
 * Input (fuzzin.h for the memory part):
 *   u8 flags         bit 0 LA57; bit 1 PV (frames are translated: pfn = frame ^ key, frames
 *                    >= 2^20 are not the guest's); bit 2 `present` runs below; bit 3 emit
 *                    refuses the stop_after-th range (bit 4: setting errno EINTR); bit 5 use
 *                    xd_pagewalk (collecting) instead of xd_pagewalk_each; bit 6 max_repeats 2
 *   u8 maxphyaddr    as given (0: 52; invalid values must give EINVAL)
 *   u8 nruns         % 9 present runs
 *   u8 stop_after
 *   u16 max_table_walks   % 128 + 1 (the default, 2^20, is a production size)
 *   u16 key          PV frame translation
 *   u64 cr3, max_pfn, vaddr_lo, vaddr_hi
 *   nruns x {u16 gap; u16 count}   runs from pfn 0: each starts gap after the previous end
 *   memory           pfns 0.. (read_page serves them)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzin.h"
#include "pagewalk.h"

#define MAX_RUNS 8
#define MAX_WALKS_SPAN 128
#define PV_FRAMES (UINT64_C(1) << 20)
#define RESUMES 2

enum {
    F_LA57 = 1,
    F_PV = 2,
    F_PRESENT = 4,
    F_REFUSE = 8,
    F_REFUSE_ERRNO = 16,
    F_COLLECT = 32,
    F_REPEATS = 64,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct guest {
    struct fuzz_mem mem;
    uint64_t key;
    unsigned flags, stop_after;
    struct xd_walk_opts opts;
    struct xd_run runs[MAX_RUNS];
    /* What the ranges so far said. */
    unsigned emitted;
    uint64_t pages;
    bool have_prev, prev_ends_at_top;
    bool resumed; /* the next range is the first of a resumed walk: it may continue prev */
    struct xd_vrange prev;
};

static int read_page(void *opaque, uint64_t pfn, void *buf)
{
    struct guest *g = opaque;
    const uint64_t *page = fuzz_mem_page(&g->mem, pfn);
    if (!page) {
        memset(buf, 0x5a, XD_PAGE_SIZE); /* a failed read may leave garbage */
        return -1;
    }
    memcpy(buf, page, XD_PAGE_SIZE);
    return 0;
}

static int frame_to_pfn(void *opaque, uint64_t frame, uint64_t *pfn)
{
    struct guest *g = opaque;
    if (frame >= PV_FRAMES)
        return -1;
    *pfn = frame ^ g->key;
    return 0;
}

static bool canonical(const struct guest *g, uint64_t va)
{
    unsigned top = g->opts.la57 ? 56 : 47;
    uint64_t high = va >> top; /* bits top..63: all zeros or all ones */
    return high == 0 || high == (UINT64_MAX >> top);
}

/* [pfn, pfn + n) exists: below max_pfn, and in runs (a range may span adjacent ones). */
static bool pfns_exist(const struct guest *g, uint64_t pfn, uint64_t n)
{
    if (pfn >= g->opts.max_pfn || n > g->opts.max_pfn - pfn)
        return false;
    for (size_t i = 0; g->opts.present && n && i < g->opts.npresent; i++) {
        const struct xd_run *r = &g->opts.present[i];
        if (pfn < r->pfn || pfn - r->pfn >= r->count)
            continue;
        uint64_t here = r->count - (pfn - r->pfn);
        if (n <= here)
            return true;
        pfn += here;
        n -= here;
    }
    return !g->opts.present;
}

static void check_range(struct guest *g, const struct xd_vrange *r)
{
    const struct xd_walk_opts *o = &g->opts;
    if (r->npages == 0 || r->npages > (UINT64_C(1) << (64 - XD_PAGE_SHIFT)))
        abort();
    /* The window in whole pages: the page holding vaddr_lo is in it. */
    uint64_t last = r->vaddr + ((r->npages - 1) << XD_PAGE_SHIFT); /* its last page */
    if (last < r->vaddr || r->vaddr < (o->vaddr_lo & ~(XD_PAGE_SIZE - 1)) || last > o->vaddr_hi)
        abort(); /* wraps, or outside the window */
    if ((r->vaddr & (XD_PAGE_SIZE - 1)) || !canonical(g, r->vaddr) || !canonical(g, last))
        abort();
    if (!pfns_exist(g, r->pfn, r->npages))
        abort();
    if (g->have_prev) {
        uint64_t prev_end = g->prev.vaddr + (g->prev.npages << XD_PAGE_SHIFT);
        if (g->prev_ends_at_top || r->vaddr < prev_end)
            abort(); /* not ascending, or overlapping */
        if (!g->resumed && r->vaddr == prev_end && r->pfn == g->prev.pfn + g->prev.npages)
            abort(); /* should have been merged */
    }
    g->prev_ends_at_top = last == UINT64_MAX - (XD_PAGE_SIZE - 1);
    g->prev = *r;
    g->have_prev = true;
    g->resumed = false;
    g->pages += r->npages;
    g->emitted++;
}

static int emit(void *opaque, const struct xd_vrange *r)
{
    struct guest *g = opaque;
    check_range(g, r);
    if ((g->flags & F_REFUSE) && g->emitted == g->stop_after) {
        if (g->flags & F_REFUSE_ERRNO)
            errno = EINTR;
        return 1;
    }
    return 0;
}

static int walk(struct guest *g, struct xd_walk_stats *st)
{
    if (!(g->flags & F_COLLECT))
        return xd_pagewalk_each(&g->opts, read_page, (g->flags & F_PV) ? frame_to_pfn : NULL, g,
                                emit, g, st);
    struct xd_vrange *v;
    size_t n;
    int rc =
        xd_pagewalk(&g->opts, read_page, (g->flags & F_PV) ? frame_to_pfn : NULL, g, &v, &n, st);
    int saved = errno;
    for (size_t i = 0; i < n; i++)
        check_range(g, &v[i]);
    free(v);
    errno = saved;
    return rc;
}

/* One walk (and its resumptions after E2BIG): the promises of pagewalk.h. */
static void walk_and_check(struct guest *g)
{
    for (int round = 0; round <= RESUMES; round++) {
        struct xd_walk_stats st;
        unsigned emitted0 = g->emitted;
        uint64_t pages0 = g->pages;
        errno = 0;
        int rc = walk(g, &st);
        int err = errno;
#ifdef FUZZ_VERBOSE /* what an input does: build with -DFUZZ_VERBOSE, run on the file */
        fprintf(stderr,
                "walk %d: rc %d errno %d ranges %llu pages %llu walks %llu reads %llu leaves %llu "
                "invalid %llu skipped tables %llu pages %llu stop %#llx\n",
                round, rc, rc ? err : 0, (unsigned long long)st.ranges,
                (unsigned long long)st.pages, (unsigned long long)st.table_walks,
                (unsigned long long)st.table_reads, (unsigned long long)st.leaf_entries,
                (unsigned long long)st.invalid_entries, (unsigned long long)st.skipped_tables,
                (unsigned long long)st.skipped_pages, (unsigned long long)st.stop_vaddr);
#endif
        if (st.ranges != g->emitted - emitted0 || st.pages != g->pages - pages0)
            abort(); /* the stats count what was emitted */
        if (st.table_walks > g->opts.max_table_walks || st.table_reads > st.table_walks)
            abort();
        if (rc == 0)
            return;
        if (rc != -1)
            abort();
        if (err == EINVAL || err == EFAULT || err == ECANCELED || err == EINTR)
            return;
        if (err != E2BIG)
            abort();
        const struct xd_walk_opts *o = &g->opts;
        if (st.stop_vaddr < (o->vaddr_lo & ~(XD_PAGE_SIZE - 1)) || st.stop_vaddr > o->vaddr_hi)
            abort();
        if (g->have_prev && (g->prev_ends_at_top ||
                             g->prev.vaddr + (g->prev.npages << XD_PAGE_SHIFT) > st.stop_vaddr))
            abort(); /* a range at or above where the walk stopped */
        g->opts.vaddr_lo = st.stop_vaddr;
        g->resumed = true;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    struct guest g = {.flags = (unsigned)fuzz_take(&in, 1)};
    g.opts.la57 = g.flags & F_LA57;
    g.opts.max_repeats = (g.flags & F_REPEATS) ? 2 : 0;
    g.opts.maxphyaddr = (unsigned)fuzz_take(&in, 1);
    size_t nruns = (size_t)fuzz_take(&in, 1) % (MAX_RUNS + 1);
    g.stop_after = (unsigned)fuzz_take(&in, 1);
    g.opts.max_table_walks = fuzz_take(&in, 2) % MAX_WALKS_SPAN + 1;
    g.key = fuzz_take(&in, 2);
    g.opts.cr3 = fuzz_take(&in, 8);
    g.opts.max_pfn = fuzz_take(&in, 8);
    g.opts.vaddr_lo = fuzz_take(&in, 8);
    g.opts.vaddr_hi = fuzz_take(&in, 8);
    uint64_t pfn = 0;
    for (size_t i = 0; i < nruns; i++) {
        pfn += fuzz_take(&in, 2);
        g.runs[i] = (struct xd_run){.pfn = pfn, .count = fuzz_take(&in, 2) + 1};
        pfn += g.runs[i].count;
    }
    if (g.flags & F_PRESENT) {
        g.opts.present = g.runs;
        g.opts.npresent = nruns;
    }
    if (fuzz_mem_read(&in, 0, &g.mem) < 0)
        return 0;
    walk_and_check(&g);
    fuzz_mem_free(&g.mem);
    return 0;
}
