/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which virtual ranges a core carries: see vspace.h. */
#include "vspace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p2m.h"
#include "xdump.h"

#define CR4_LA57 (1ull << 12)
#define LOWER_TOP 0x00007fffffffffffull      /* 4-level user half */
#define UPPER_START 0xffff800000000000ull    /* 4-level kernel half */
#define LOWER_TOP_LA57 0x00ffffffffffffffull /* 5-level */
#define UPPER_START_LA57 0xff00000000000000ull
/* Ranges kept at most. Within the walk's work bound, page tables can map 2^29 pages no two
   of which merge (tables that all point back at one page do): 12 GiB of ranges here, and a
   program header each in the core. 2^20 is 4 GiB of scattered 4 KiB mappings. */
#define MAX_RANGES (1u << 20)
/* Places kept of a frame mapped page by page at many places (drop_repeats(); the walk stops
   early in tables that map one frame 512 times) */
#define MAX_REPEATS 8

struct walk_ctx {
    const struct xd_vspace_in *in;
    struct xd_vrange *ranges;
    size_t n, cap;
    uint64_t full_at; /* where the range list filled up */
};

/* PV page tables hold machine frames: the guest's own are followed, any other is not. */
static int mfn_to_pfn(void *opaque, uint64_t frame, uint64_t *pfn)
{
    struct walk_ctx *w = opaque;
    return xd_m2p_lookup(w->in->m2p, frame, pfn) ? 0 : -1;
}

static int read_table(void *opaque, uint64_t pfn, void *buf)
{
    struct walk_ctx *w = opaque;
    return w->in->read_pfn(w->in->ctx, pfn, buf);
}

static int collect(void *opaque, const struct xd_vrange *r)
{
    struct walk_ctx *w = opaque;
    if (w->n == MAX_RANGES) {
        w->full_at = r->vaddr;
        errno = E2BIG; /* a bounded stop, as the walk's own */
        return -1;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        struct xd_vrange *p = realloc(w->ranges, cap * sizeof(*p));
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        w->ranges = p;
        w->cap = cap;
    }
    w->ranges[w->n++] = *r;
    return 0;
}

static void add_stats(struct xd_vspace_stats *st, const struct xd_walk_stats *s)
{
    st->walk.table_walks += s->table_walks;
    st->walk.table_reads += s->table_reads;
    st->walk.leaf_entries += s->leaf_entries;
    st->walk.invalid_entries += s->invalid_entries;
    st->walk.skipped_tables += s->skipped_tables;
    st->walk.skipped_pages += s->skipped_pages;
    st->walk.repeated_pages += s->repeated_pages;
    st->walks++;
}

static int walk(struct walk_ctx *w, const struct xd_vcpu *v, uint64_t lo, uint64_t hi,
                struct xd_vspace_stats *st)
{
    const struct xd_frames *f = w->in->frames;
    const struct xd_run *last = &f->runs[f->nruns - 1];
    /* One budget for all the walks of a dump: hostile tables behind many vCPUs must not
       multiply the time the domain stays paused. */
    uint64_t budget =
        w->in->max_table_walks ? w->in->max_table_walks : XD_WALK_DEFAULT_MAX_TABLE_WALKS;
    if (st->walk.table_walks >= budget) {
        if (!st->stopped) {
            st->stopped = true;
            st->stop_vaddr = lo;
        }
        return 0;
    }
    struct xd_walk_opts o = {.cr3 = v->cr[3],
                             .la57 = (v->cr[4] & CR4_LA57) != 0,
                             .max_pfn = last->pfn + last->count,
                             .present = f->runs,
                             .npresent = f->nruns,
                             .vaddr_lo = lo,
                             .vaddr_hi = hi,
                             .max_table_walks = budget - st->walk.table_walks,
                             .max_repeats = MAX_REPEATS};
    struct xd_walk_stats s;
    int rc = xd_pagewalk_each(&o, read_table, w->in->type == XD_PV ? mfn_to_pfn : NULL, w, collect,
                              w, &s);
    add_stats(st, &s);
    if (rc < 0 && errno == ENOMEM)
        return -XDUMP_E_FAIL;
    if (rc < 0 && errno == E2BIG && !st->stopped) {
        st->stopped = true;
        st->stop_vaddr = w->n == MAX_RANGES ? w->full_at : s.stop_vaddr;
    }
    return 0; /* an unreadable root or a bounded stop leaves what was found */
}

/* The root table's kernel-half entries, to tell whether two CR3s share the kernel half. */
static int kernel_half(struct walk_ctx *w, const struct xd_vcpu *v, uint64_t *out)
{
    uint64_t pfn = v->cr[3] >> XD_PAGE_SHIFT & ((1ull << 40) - 1), page[512];
    if (w->in->type == XD_PV && mfn_to_pfn(w, pfn, &pfn) < 0)
        return -1;
    if (w->in->read_pfn(w->in->ctx, pfn, page) < 0)
        return -1;
    memcpy(out, page + 256, 256 * sizeof(uint64_t));
    return 0;
}

static int cmp_vaddr(const void *a, const void *b)
{
    const struct xd_vrange *x = a, *y = b;
    return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

struct pfn_at {
    uint64_t pfn;
    size_t at;
};

static int cmp_pfn_at(const void *a, const void *b)
{
    const struct pfn_at *x = a, *y = b;
    return x->pfn < y->pfn ? -1 : x->pfn > y->pfn ? 1 : (x->at > y->at) - (x->at < y->at);
}

/* A frame mapped page by page at many places - Linux maps its shared p2m_missing and
   p2m_identity pages hundreds of thousands of times over the p2m list - keeps its first
   MAX_REPEATS places: each is a program header, and none of them is worth one to a debugger. */
static void drop_repeats(struct walk_ctx *w)
{
    size_t n1 = 0, k = 0;
    for (size_t i = 0; i < w->n; i++)
        n1 += w->ranges[i].npages == 1;
    struct pfn_at *p = n1 > MAX_REPEATS ? malloc(n1 * sizeof(*p)) : NULL;
    if (!p)
        return; /* few, or no memory to sort them: keep them all */
    for (size_t i = 0, j = 0; i < w->n; i++)
        if (w->ranges[i].npages == 1)
            p[j++] = (struct pfn_at){w->ranges[i].pfn, i};
    qsort(p, n1, sizeof(*p), cmp_pfn_at);
    for (size_t i = 0, run = 0; i < n1; i++) {
        run = i && p[i].pfn == p[i - 1].pfn ? run + 1 : 0;
        if (run >= MAX_REPEATS)
            w->ranges[p[i].at].npages = 0; /* marked: dropped below */
    }
    free(p);
    for (size_t i = 0; i < w->n; i++)
        if (w->ranges[i].npages)
            w->ranges[k++] = w->ranges[i];
    w->n = k;
}

/* Sorts, trims overlaps (the first walk's mapping wins), merges what continues. */
static void normalise(struct walk_ctx *w)
{
    if (w->n)
        qsort(w->ranges, w->n, sizeof(*w->ranges), cmp_vaddr);
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++) {
        struct xd_vrange r = w->ranges[i];
        if (r.vaddr == 0) { /* p_vaddr 0 marks a physical segment: page 0 (NULL) is left out */
            if (r.npages == 1)
                continue;
            r.vaddr += XD_PAGE_SIZE, r.pfn++, r.npages--;
        }
        if (k) {
            struct xd_vrange *p = &w->ranges[k - 1];
            uint64_t end = p->vaddr + p->npages * XD_PAGE_SIZE;
            if (r.vaddr < end) {
                uint64_t skip = (end - r.vaddr) / XD_PAGE_SIZE;
                if (skip >= r.npages)
                    continue;
                r.vaddr += skip * XD_PAGE_SIZE, r.pfn += skip, r.npages -= skip;
            }
            if (r.vaddr == end && r.pfn == p->pfn + p->npages) {
                p->npages += r.npages;
                continue;
            }
        }
        w->ranges[k++] = r;
    }
    w->n = k;
    drop_repeats(w);
}

int xd_vspace(const struct xd_vspace_in *in, struct xd_vrange **out, size_t *nout,
              struct xd_vspace_stats *st)
{
    struct walk_ctx w = {.in = in};
    uint64_t first_half[256], half[256];
    const struct xd_vcpu *first = NULL;
    int rc = 0;
    memset(st, 0, sizeof(*st));
    *out = NULL;
    *nout = 0;
    if (!in->frames->nruns)
        return 0;
    for (uint32_t i = 0; i < in->nvcpus && rc == 0; i++) {
        const struct xd_vcpu *v = &in->vcpus[i];
        bool paging = in->type == XD_PV || (v->cr[0] & 0x80000000u); /* PV: always */
        if (v->state == XD_VCPU_NONE || !paging || !v->cr[3])
            continue; /* no context, or paging off: nothing to walk */
        bool la57 = (v->cr[4] & CR4_LA57) != 0;
        uint64_t up = la57 ? UPPER_START_LA57 : UPPER_START;
        if (!first) {
            first = v;
            bool have = kernel_half(&w, v, first_half) == 0;
            rc = walk(&w, v, 0, la57 ? LOWER_TOP_LA57 : LOWER_TOP, st);
            if (rc == 0)
                rc = walk(&w, v, up, UINT64_MAX, st);
            if (!have)
                memset(first_half, 0xff, sizeof(first_half));
            continue;
        }
        if (v->cr[3] == first->cr[3])
            continue;
        if (kernel_half(&w, v, half) == 0 && !memcmp(half, first_half, sizeof(half)))
            continue; /* another process, the same kernel */
        rc = walk(&w, v, up, UINT64_MAX, st);
    }
    if (rc < 0) {
        free(w.ranges);
        return rc;
    }
    normalise(&w);
    if (w.n && w.n < w.cap) { /* kept for the whole dump: give back what doubling left over */
        struct xd_vrange *p = realloc(w.ranges, w.n * sizeof(*p));
        if (p)
            w.ranges = p;
    }
    st->walk.ranges = w.n;
    for (size_t i = 0; i < w.n; i++)
        st->walk.pages += w.ranges[i].npages;
    *out = w.ranges;
    *nout = w.n;
    return 0;
}
