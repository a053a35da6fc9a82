/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pagewalk: x86-64 guest page tables, read through a callback (see pagewalk.h).
 *
 * Levels are numbered as the hardware's: 1 = PT, 2 = PD, 3 = PDPT, 4 = PML4, 5 = PML5. The
 * walk is depth-first and in index order, which is ascending canonical-address order: the
 * lower half (top-level indices 0..255) comes before the upper half, so ranges can be merged
 * as they are found and emitted in order without sorting.
 */
#include "pagewalk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ENTRIES 512
#define MAX_LEVEL 5
#define REPEAT_SLOTS 16 /* frames of uniform last-level tables counted for max_repeats */

#define PTE_PRESENT (UINT64_C(1) << 0)
#define PTE_PS (UINT64_C(1) << 7)
/* In a large-page entry bit 12 is PAT, not part of the frame. */
#define PTE_LARGE_PAT (UINT64_C(1) << 12)

/* Bits 52..62 are ignored by the MMU (software bits, protection keys) and bit 63 is NX: none
 * of them makes an entry invalid, and Linux and Xen do use them. */
#define ARCH_MAXPHYADDR 52

struct walker {
    const struct xd_walk_opts *opts;
    xd_read_page_fn read_page;
    xd_frame_to_pfn_fn frame_to_pfn;
    void *opaque;
    xd_vrange_fn emit;
    void *emit_opaque;

    int top_level;
    uint64_t max_table_walks;
    uint64_t addr_mask;     /* frame bits of an entry: 12 .. maxphyaddr-1 */
    uint64_t reserved_mask; /* maxphyaddr .. 51 */

    struct xd_vrange pending; /* the range being merged; npages 0: none */
    struct xd_walk_stats st;
    int err; /* errno for the caller once the walk stops */

    /*
     * One table per level: the one being walked at that level. Only the levels below the
     * current one are overwritten while it is walked, so a table reached again (the next
     * sibling pointing at the same page, or a self-map pointing at an ancestor) is served from
     * here without calling read_page.
     */
    uint64_t table[MAX_LEVEL + 1][ENTRIES];
    uint64_t table_pfn[MAX_LEVEL + 1];
    bool table_loaded[MAX_LEVEL + 1];
    bool table_uniform[MAX_LEVEL + 1]; /* its 512 entries are one value */

    /* max_repeats: how many pages of uniform last-level tables each frame has had mapped. */
    struct {
        uint64_t frame, count;
    } repeat[REPEAT_SLOTS];
    unsigned nrepeat;
};

static unsigned level_shift(int level)
{
    return XD_PAGE_SHIFT + 9 * (unsigned)(level - 1);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static int stop(struct walker *w, int err)
{
    w->err = err;
    return -1;
}

/*
 * The virtual address of entry idx of a table whose entry 0 maps `base`. Only the top level
 * decides the sign: its upper half (idx >= 256) has the top virtual-address bit set, which
 * is copied into every bit above it. The lower half stays as it is.
 */
static uint64_t entry_vaddr(const struct walker *w, int level, uint64_t base, unsigned idx)
{
    unsigned shift = level_shift(level);
    uint64_t va = base + ((uint64_t)idx << shift);

    if (level == w->top_level && (idx & (ENTRIES / 2)))
        va |= ~((UINT64_C(1) << (shift + 9)) - 1);
    return va;
}

/*
 * The first pfn >= pfn that exists, with the end (exclusive) of the run holding it; false if
 * there is none.
 */
static bool next_present(const struct walker *w, uint64_t pfn, uint64_t *first, uint64_t *end)
{
    const struct xd_walk_opts *o = w->opts;
    uint64_t run_start = 0, run_end = o->max_pfn;

    if (o->present) {
        /* The first run ending after pfn: runs are sorted and disjoint. */
        size_t lo = 0, hi = o->npresent;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (o->present[mid].pfn + o->present[mid].count <= pfn)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == o->npresent)
            return false;
        run_start = o->present[lo].pfn;
        run_end = min_u64(run_start + o->present[lo].count, o->max_pfn);
    }
    *first = max_u64(pfn, run_start);
    *end = run_end;
    return *first < run_end;
}

static bool pfn_exists(const struct walker *w, uint64_t pfn)
{
    uint64_t first, end;

    return next_present(w, pfn, &first, &end) && first == pfn;
}

/* The guest pfn of a frame from CR3 or an entry, if the guest owns it and it exists. */
static bool frame_to_guest_pfn(const struct walker *w, uint64_t frame, uint64_t *pfn)
{
    if (!w->frame_to_pfn)
        *pfn = frame;
    else if (w->frame_to_pfn(w->opaque, frame, pfn) != 0)
        return false;
    return pfn_exists(w, *pfn);
}

static bool uniform(const uint64_t *t)
{
    for (unsigned i = 1; i < ENTRIES; i++)
        if (t[i] != t[0])
            return false;
    return true;
}

static int load_table(struct walker *w, int level, uint64_t pfn)
{
    if (w->table_loaded[level] && w->table_pfn[level] == pfn)
        return 0;
    for (int up = level + 1; up <= w->top_level; up++) {
        if (w->table_loaded[up] && w->table_pfn[up] == pfn) {
            memcpy(w->table[level], w->table[up], sizeof(w->table[level]));
            w->table_pfn[level] = pfn;
            w->table_loaded[level] = true;
            w->table_uniform[level] = w->table_uniform[up];
            return 0;
        }
    }
    /* A failed read may leave the buffer half written. */
    w->table_loaded[level] = false;
    w->st.table_reads++;
    if (w->read_page(w->opaque, pfn, w->table[level]) != 0)
        return -1;
    w->table_pfn[level] = pfn;
    w->table_loaded[level] = true;
    w->table_uniform[level] = uniform(w->table[level]);
    return 0;
}

/*
 * max_repeats: whether a page of a uniform last-level table (512 entries mapping one frame:
 * Linux's p2m_missing and p2m_identity pages, behind every absent part of a PV guest's p2m
 * list) is one place too many for its frame. Such tables are met again and again - the same
 * table, cached - and each costs a translation and a one-page range per entry without the
 * cap. Counts per frame, for the first REPEAT_SLOTS frames met this way.
 */
static bool repeat_capped(struct walker *w, uint64_t entry)
{
    uint64_t frame = (entry & w->addr_mask) >> XD_PAGE_SHIFT;
    unsigned i = 0;
    while (i < w->nrepeat && w->repeat[i].frame != frame)
        i++;
    if (i == w->nrepeat) {
        if (i == REPEAT_SLOTS)
            return false; /* not counted: the ranges are all emitted */
        w->repeat[w->nrepeat++].frame = frame;
    }
    if (w->repeat[i].count >= w->opts->max_repeats)
        return true;
    w->repeat[i].count++;
    return false;
}

static int flush(struct walker *w)
{
    struct xd_vrange r = w->pending;

    if (r.npages == 0)
        return 0;
    /* Cleared first, so that a range the callback refused is never offered again. */
    w->pending.npages = 0;
    w->st.ranges++;
    w->st.pages += r.npages;
    errno = 0;
    if (w->emit(w->emit_opaque, &r) != 0)
        return stop(w, errno ? errno : ECANCELED);
    return 0;
}

static int add_pages(struct walker *w, uint64_t vaddr, uint64_t pfn, uint64_t npages)
{
    struct xd_vrange *p = &w->pending;

    if (p->npages && vaddr == p->vaddr + (p->npages << XD_PAGE_SHIFT) &&
        pfn == p->pfn + p->npages) {
        p->npages += npages;
        return 0;
    }
    if (flush(w) != 0)
        return -1;
    *p = (struct xd_vrange){.vaddr = vaddr, .pfn = pfn, .npages = npages};
    return 0;
}

/*
 * Pages [first, last] of a leaf mapping pfns contiguously from `pfn` (identity translation):
 * cut into the pieces that exist. One step per run of `present` the leaf overlaps, so a 1 GiB
 * page over a sparse guest costs what its holes cost, not 262144 lookups.
 */
static int map_contiguous(struct walker *w, uint64_t vaddr, uint64_t pfn, uint64_t first,
                          uint64_t last)
{
    uint64_t p = pfn + first, end = pfn + last + 1;

    while (p < end) {
        uint64_t q, run_end;
        if (!next_present(w, p, &q, &run_end) || q >= end) {
            w->st.skipped_pages += end - p;
            break;
        }
        uint64_t piece_end = min_u64(run_end, end);
        w->st.skipped_pages += q - p;
        if (add_pages(w, vaddr + ((q - pfn) << XD_PAGE_SHIFT), q, piece_end - q) != 0)
            return -1;
        p = piece_end;
    }
    return 0;
}

/*
 * Pages [first, last] of a leaf whose frames must each be translated (PV: machine frames that
 * are contiguous need not be contiguous pfns, nor all the guest's).
 */
static int map_by_frame(struct walker *w, uint64_t vaddr, uint64_t frame, uint64_t first,
                        uint64_t last)
{
    for (uint64_t i = first; i <= last; i++) {
        uint64_t pfn;
        if (!frame_to_guest_pfn(w, frame + i, &pfn)) {
            w->st.skipped_pages++;
            continue;
        }
        if (add_pages(w, vaddr + (i << XD_PAGE_SHIFT), pfn, 1) != 0)
            return -1;
    }
    return 0;
}

/* A leaf entry at `level` mapping [vaddr, vaddr + its size): clipped to the window. */
static int map_leaf(struct walker *w, int level, uint64_t vaddr, uint64_t entry)
{
    const struct xd_walk_opts *o = w->opts;
    uint64_t size = UINT64_C(1) << level_shift(level);
    uint64_t frame = (entry & w->addr_mask & ~(size - 1)) >> XD_PAGE_SHIFT;
    uint64_t first = 0, last = (size >> XD_PAGE_SHIFT) - 1;

    if (vaddr < o->vaddr_lo)
        first = (o->vaddr_lo - vaddr) >> XD_PAGE_SHIFT;
    if (vaddr + (size - 1) > o->vaddr_hi)
        last = (o->vaddr_hi - vaddr) >> XD_PAGE_SHIFT;
    w->st.leaf_entries++;

    if (!w->frame_to_pfn)
        return map_contiguous(w, vaddr, frame, first, last);
    if (level > 1) {
        /* Charge frame-by-frame translation of a large page as the 4 KiB tables it replaces,
         * so that tables full of large pages stay within the same bound. */
        uint64_t cost = (last - first) / ENTRIES + 1;
        if (w->st.table_walks + cost > w->max_table_walks) {
            w->st.stop_vaddr = vaddr + (first << XD_PAGE_SHIFT);
            return stop(w, E2BIG);
        }
        w->st.table_walks += cost;
    }
    return map_by_frame(w, vaddr, frame, first, last);
}

static bool entry_valid(const struct walker *w, int level, uint64_t entry)
{
    if (entry & w->reserved_mask)
        return false;
    if (level == 1 || !(entry & PTE_PS))
        return true;
    /* No large pages above 1 GiB. */
    if (level > 3)
        return false;
    /* A large page's frame is aligned to its size: bits 13 .. size-1 must be 0. */
    uint64_t size = UINT64_C(1) << level_shift(level);
    return (entry & (size - 1) & ~(PTE_LARGE_PAT | (PTE_LARGE_PAT - 1))) == 0;
}

static int walk_table(struct walker *w, int level, uint64_t base);

/* Follows a non-leaf entry to the table at `level` that maps from vaddr. */
static int walk_child(struct walker *w, int level, uint64_t vaddr, uint64_t entry)
{
    uint64_t pfn;

    if (w->st.table_walks >= w->max_table_walks) {
        w->st.stop_vaddr = max_u64(vaddr, w->opts->vaddr_lo);
        return stop(w, E2BIG);
    }
    if (!frame_to_guest_pfn(w, (entry & w->addr_mask) >> XD_PAGE_SHIFT, &pfn)) {
        w->st.skipped_tables++;
        return 0;
    }
    w->st.table_walks++;
    if (load_table(w, level, pfn) != 0) {
        w->st.skipped_tables++;
        return 0;
    }
    return walk_table(w, level, vaddr);
}

/* Walks the table loaded at `level`, whose entry 0 maps `base`. Recursion depth <= 5. */
static int walk_table(struct walker *w, int level, uint64_t base)
{
    const struct xd_walk_opts *o = w->opts;
    uint64_t size = UINT64_C(1) << level_shift(level);

    for (unsigned idx = 0; idx < ENTRIES; idx++) {
        /* Reread each time: walking a child never touches this level's table. */
        uint64_t entry = w->table[level][idx];
        if (!(entry & PTE_PRESENT))
            continue;
        uint64_t vaddr = entry_vaddr(w, level, base, idx);
        if (vaddr + (size - 1) < o->vaddr_lo)
            continue;
        if (vaddr > o->vaddr_hi)
            break;
        if (!entry_valid(w, level, entry)) {
            w->st.invalid_entries++;
            continue;
        }
        if (level == 1 && w->table_uniform[1] && o->max_repeats && repeat_capped(w, entry)) {
            w->st.repeated_pages++;
            continue;
        }
        int rc = (level == 1 || (entry & PTE_PS)) ? map_leaf(w, level, vaddr, entry)
                                                  : walk_child(w, level - 1, vaddr, entry);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int check_opts(const struct xd_walk_opts *o)
{
    if (o->max_pfn == 0 || o->vaddr_lo > o->vaddr_hi)
        return -1;
    if (o->maxphyaddr != 0 && (o->maxphyaddr <= XD_PAGE_SHIFT || o->maxphyaddr > ARCH_MAXPHYADDR))
        return -1;
    if (o->npresent != 0 && !o->present)
        return -1;
    return 0;
}

static void init_walker(struct walker *w, const struct xd_walk_opts *o)
{
    unsigned maxphyaddr = o->maxphyaddr ? o->maxphyaddr : ARCH_MAXPHYADDR;
    uint64_t below_max = (UINT64_C(1) << maxphyaddr) - 1;
    uint64_t below_arch = (UINT64_C(1) << ARCH_MAXPHYADDR) - 1;

    w->opts = o;
    w->top_level = o->la57 ? 5 : 4;
    w->max_table_walks = o->max_table_walks ? o->max_table_walks : XD_WALK_DEFAULT_MAX_TABLE_WALKS;
    w->addr_mask = below_max & ~(XD_PAGE_SIZE - 1);
    w->reserved_mask = below_arch & ~below_max;
}

static int walk_root(struct walker *w)
{
    uint64_t pfn;

    /* CR3's low bits (PCID, PWT/PCD) and high bits (LAM, no-flush) are not the address. */
    if (!frame_to_guest_pfn(w, (w->opts->cr3 & w->addr_mask) >> XD_PAGE_SHIFT, &pfn))
        return stop(w, EFAULT);
    w->st.table_walks++;
    if (load_table(w, w->top_level, pfn) != 0)
        return stop(w, EFAULT);
    return walk_table(w, w->top_level, 0);
}

int xd_pagewalk_each(const struct xd_walk_opts *opts, xd_read_page_fn read_page,
                     xd_frame_to_pfn_fn frame_to_pfn, void *opaque, xd_vrange_fn emit,
                     void *emit_opaque, struct xd_walk_stats *st)
{
    if (st)
        memset(st, 0, sizeof(*st));
    if (!opts || !read_page || !emit || check_opts(opts) != 0) {
        errno = EINVAL;
        return -1;
    }
    /* About 21 KiB of tables: too much for the stacks of some threads. */
    struct walker *w = calloc(1, sizeof(*w));
    if (!w)
        return -1;
    init_walker(w, opts);
    w->read_page = read_page;
    w->frame_to_pfn = frame_to_pfn;
    w->opaque = opaque;
    w->emit = emit;
    w->emit_opaque = emit_opaque;

    int rc = walk_root(w);
    /* What was merged before a bounded-work stop is as true as the rest: emit it. */
    if (flush(w) != 0)
        rc = -1;
    int err = w->err;
    if (st)
        *st = w->st;
    free(w);
    if (rc != 0)
        errno = err;
    return rc;
}

struct collector {
    struct xd_vrange *v;
    size_t n, cap;
};

static int collect(void *opaque, const struct xd_vrange *r)
{
    struct collector *c = opaque;

    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        struct xd_vrange *v = reallocarray(c->v, cap, sizeof(*v));
        if (!v)
            return -1;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = *r;
    return 0;
}

int xd_pagewalk(const struct xd_walk_opts *opts, xd_read_page_fn read_page,
                xd_frame_to_pfn_fn frame_to_pfn, void *opaque, struct xd_vrange **out, size_t *nout,
                struct xd_walk_stats *st)
{
    struct collector c = {0};

    int rc = xd_pagewalk_each(opts, read_page, frame_to_pfn, opaque, collect, &c, st);
    *out = c.v;
    *nout = c.n;
    return rc;
}
