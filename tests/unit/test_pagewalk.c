// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of pagewalk: page tables built by hand in a fake guest memory (an array of
 * pages), walked, and the exact ranges checked.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pagewalk.h"

#define P_RW 0x63 /* present, writable, accessed, dirty */
#define PS (UINT64_C(1) << 7)
#define NX (UINT64_C(1) << 63)
#define GIB (UINT64_C(1) << 30)
#define MIB2 (UINT64_C(1) << 21)
#define KIB4 UINT64_C(4096)
#define PAGES_PER_2M UINT64_C(512)
#define PAGES_PER_1G (UINT64_C(1) << 18)

/* Linux's x86-64 kernel-text and direct-map bases. */
#define KTEXT UINT64_C(0xffffffff80000000)
#define DIRECT_MAP UINT64_C(0xffff888000000000)

/* PV machine frames in the tests are the pfn plus this, when the guest owns them. */
#define MFN_OFFSET UINT64_C(0x100000)
#define PV_OWNED 0x1000

/* A run of existing pfns, as p2m gives them (the walker ignores .page). */
#define RUN(first, n)                                                                              \
    {                                                                                              \
        .pfn = (first), .count = (n)                                                               \
    }

#define POOL 64 /* pages of fake memory: the page tables; data pfns need no backing */

struct fake {
    uint64_t mem[POOL][512];
    bool absent[POOL];
    uint64_t next_free; /* next table page to hand out; pfn 0 is left unused */
    uint64_t root;
    int top;
    bool pv;                       /* entries and CR3 hold mfns */
    int64_t m2p[PV_OWNED + 0x100]; /* PV: pfn of mfn MFN_OFFSET + i, or -1 */
    unsigned reads;
};

static struct fake *fake_new(bool la57, bool pv)
{
    struct fake *g = calloc(1, sizeof(*g));
    cr_assert_not_null(g);
    g->top = la57 ? 5 : 4;
    g->pv = pv;
    for (size_t i = 0; i < sizeof(g->m2p) / sizeof(g->m2p[0]); i++)
        g->m2p[i] = i < PV_OWNED ? (int64_t)i : -1;
    g->next_free = 1;
    g->root = g->next_free++;
    return g;
}

static uint64_t frame_of(const struct fake *g, uint64_t pfn)
{
    return g->pv ? pfn + MFN_OFFSET : pfn;
}

static int read_page(void *opaque, uint64_t pfn, void *buf)
{
    struct fake *g = opaque;
    g->reads++;
    if (pfn >= POOL || g->absent[pfn])
        return -1;
    memcpy(buf, g->mem[pfn], KIB4);
    return 0;
}

static int pv_frame_to_pfn(void *opaque, uint64_t frame, uint64_t *pfn)
{
    struct fake *g = opaque;
    uint64_t i = frame - MFN_OFFSET;
    if (frame < MFN_OFFSET || i >= sizeof(g->m2p) / sizeof(g->m2p[0]) || g->m2p[i] < 0)
        return -1;
    *pfn = (uint64_t)g->m2p[i];
    return 0;
}

static unsigned shift_of(int level)
{
    return 12 + 9 * (unsigned)(level - 1);
}

static uint64_t *entry(struct fake *g, uint64_t table, uint64_t va, int level)
{
    return &g->mem[table][(va >> shift_of(level)) & 511];
}

/* The table at `level` on the way to va, created if missing. */
static uint64_t table_for(struct fake *g, uint64_t va, int level)
{
    uint64_t t = g->root;
    for (int l = g->top; l > level; l--) {
        uint64_t *e = entry(g, t, va, l);
        if (!(*e & 1)) {
            cr_assert_lt(g->next_free, POOL, "fake memory full");
            *e = frame_of(g, g->next_free++) << 12 | P_RW;
        }
        t = (*e >> 12) - (g->pv ? MFN_OFFSET : 0);
    }
    return t;
}

/* Maps va to pfn with a leaf at `level` (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). */
static void map(struct fake *g, uint64_t va, uint64_t pfn, int level)
{
    *entry(g, table_for(g, va, level), va, level) =
        frame_of(g, pfn) << 12 | P_RW | (level > 1 ? PS : 0);
}

static void map_4k(struct fake *g, uint64_t va, uint64_t pfn)
{
    map(g, va, pfn, 1);
}

static struct xd_walk_opts opts_for(const struct fake *g, uint64_t max_pfn)
{
    return (struct xd_walk_opts){
        .cr3 = frame_of(g, g->root) << 12,
        .la57 = g->top == 5,
        .max_pfn = max_pfn,
        .vaddr_lo = 0,
        .vaddr_hi = UINT64_MAX,
    };
}

static void expect_ranges(const struct xd_vrange *got, size_t n, const struct xd_vrange *want,
                          size_t nwant)
{
    for (size_t i = 0; i < n && i < nwant; i++) {
        cr_expect(got[i].vaddr == want[i].vaddr && got[i].pfn == want[i].pfn &&
                      got[i].npages == want[i].npages,
                  "range %zu: got {%#lx, pfn %#lx, %#lx pages}, want {%#lx, pfn %#lx, %#lx pages}",
                  i, got[i].vaddr, got[i].pfn, got[i].npages, want[i].vaddr, want[i].pfn,
                  want[i].npages);
    }
    cr_assert_eq(n, nwant, "got %zu ranges, want %zu", n, nwant);
}

/* Walks and checks the result is exactly `want` (a literal array). */
#define WALK_EXPECT(g, o, f2p, st, ...)                                                            \
    do {                                                                                           \
        const struct xd_vrange want_[] = {__VA_ARGS__};                                            \
        struct xd_vrange *got_;                                                                    \
        size_t n_;                                                                                 \
        int rc_ = xd_pagewalk(&(o), read_page, (f2p), (g), &got_, &n_, (st));                      \
        cr_assert_eq(rc_, 0, "walk failed: %s", strerror(errno));                                  \
        expect_ranges(got_, n_, want_, sizeof(want_) / sizeof(want_[0]));                          \
        free(got_);                                                                                \
    } while (0)

Test(pagewalk, four_level_4k_pages)
{
    struct fake *g = fake_new(false, false);
    map_4k(g, 0x400000, 100);
    map_4k(g, 0x401000, 101);
    map_4k(g, 0x402000, 102);
    map_4k(g, 0x403000, 300); /* vaddr continues, pfn does not */
    map_4k(g, 0x405000, 301); /* pfn continues, vaddr does not */
    struct xd_walk_opts o = opts_for(g, 1000);
    struct xd_walk_stats st;

    WALK_EXPECT(g, o, NULL, &st, {0x400000, 100, 3}, {0x403000, 300, 1}, {0x405000, 301, 1});
    cr_expect_eq(st.table_walks, 4);
    cr_expect_eq(st.table_reads, 4);
    cr_expect_eq(st.leaf_entries, 5);
    cr_expect_eq(st.pages, 5);
    cr_expect_eq(st.ranges, 3);
    free(g);
}

Test(pagewalk, canonical_lower_and_upper_half)
{
    struct fake *g = fake_new(false, false);
    map_4k(g, 0x00007ffffffff000, 10); /* last page of the lower half */
    map_4k(g, 0xffff800000000000, 11); /* first page of the upper half */
    map_4k(g, KTEXT, 12);
    map_4k(g, 0xfffffffffffff000, 13); /* last page of all */
    struct xd_walk_opts o = opts_for(g, 1000);

    WALK_EXPECT(g, o, NULL, NULL, {0x00007ffffffff000, 10, 1}, {0xffff800000000000, 11, 1},
                {KTEXT, 12, 1}, {0xfffffffffffff000, 13, 1});
    free(g);
}

Test(pagewalk, five_level)
{
    struct fake *g = fake_new(true, false);
    map_4k(g, 0x1000, 19);
    map_4k(g, 0x0001000000000000, 20); /* beyond 48 bits, still lower half */
    map_4k(g, 0x00fffffffffff000, 21); /* last page of the LA57 lower half */
    map_4k(g, 0xff00000000000000, 22); /* first page of the LA57 upper half */
    map_4k(g, 0xff11000000000000, 23); /* Linux's LA57 direct map */
    map(g, KTEXT, 0x200, 2);
    struct xd_walk_opts o = opts_for(g, 0x1000);
    struct xd_walk_stats st;

    WALK_EXPECT(g, o, NULL, &st, {0x1000, 19, 1}, {0x0001000000000000, 20, 1},
                {0x00fffffffffff000, 21, 1}, {0xff00000000000000, 22, 1},
                {0xff11000000000000, 23, 1}, {KTEXT, 0x200, PAGES_PER_2M});
    cr_expect_eq(st.leaf_entries, 6);

    /* The same tables read as 4-level put nothing where the LA57 walk did. */
    o.la57 = false;
    struct xd_vrange *r;
    size_t n;
    xd_pagewalk(&o, read_page, NULL, g, &r, &n, NULL);
    for (size_t i = 0; i < n; i++)
        cr_expect_neq(r[i].vaddr, KTEXT);
    free(r);
    free(g);
}

Test(pagewalk, large_pages)
{
    struct fake *g = fake_new(false, false);
    map(g, KTEXT, 0x200, 2);              /* 2 MiB */
    map(g, DIRECT_MAP + GIB, 0x40000, 3); /* 1 GiB */
    struct xd_walk_opts o = opts_for(g, 0x100000);
    struct xd_walk_stats st;

    WALK_EXPECT(g, o, NULL, &st, {DIRECT_MAP + GIB, 0x40000, PAGES_PER_1G},
                {KTEXT, 0x200, PAGES_PER_2M});
    cr_expect_eq(st.leaf_entries, 2);
    cr_expect_eq(st.pages, PAGES_PER_1G + PAGES_PER_2M);
    free(g);
}

Test(pagewalk, large_page_pat_bit_is_not_frame)
{
    struct fake *g = fake_new(false, false);
    map(g, KTEXT, 0x200, 2);
    *entry(g, table_for(g, KTEXT, 2), KTEXT, 2) |= UINT64_C(1) << 12; /* PAT */
    struct xd_walk_opts o = opts_for(g, 0x1000);

    WALK_EXPECT(g, o, NULL, NULL, {KTEXT, 0x200, PAGES_PER_2M});
    free(g);
}

Test(pagewalk, merging)
{
    struct fake *g = fake_new(false, false);
    /* Across two page tables. */
    map_4k(g, 0x1ff000, 50);
    map_4k(g, 0x200000, 51);
    /* A 2 MiB page, then 4 KiB pages continuing it. */
    map(g, 0x40000000, 0x400, 2);
    map_4k(g, 0x40200000, 0x600);
    map_4k(g, 0x40201000, 0x601);
    /* Two 1 GiB pages continuing each other, across two PML4 entries. */
    map(g, 0x7fc0000000, 0x80000, 3);
    map(g, 0x8000000000, 0xc0000, 3);
    struct xd_walk_opts o = opts_for(g, 0x100000);

    WALK_EXPECT(g, o, NULL, NULL, {0x1ff000, 50, 2}, {0x40000000, 0x400, PAGES_PER_2M + 2},
                {0x7fc0000000, 0x80000, 2 * PAGES_PER_1G});
    free(g);
}

/*
 * PML4[256] points at the PML4 itself: the tables are walked again one level down each time,
 * which maps them at fixed addresses (a recursive map) and ends after the paging levels.
 */
Test(pagewalk, self_map)
{
    struct fake *g = fake_new(false, false);
    for (uint64_t i = 0; i < 4; i++)
        map_4k(g, i * KIB4, 10 + i); /* tables: PML4 1, PDPT 2, PD 3, PT 4 */
    g->mem[g->root][256] = g->root << 12 | P_RW;
    struct xd_walk_opts o = opts_for(g, 1000);
    struct xd_walk_stats st;

    WALK_EXPECT(g, o, NULL, &st, {0, 10, 4},
                {0xffff800000000000, 4, 1},  /* PML4 as PDPT, PDPT as PD, PD as PT: PT */
                {0xffff804000000000, 3, 1},  /* PML4 as PD, PDPT as PT: PD */
                {0xffff804020000000, 2, 1},  /* PML4 as PT: PDPT ... */
                {0xffff804020100000, 1, 1}); /* ... and the PML4 itself */
    cr_expect_eq(st.table_walks, 10);
    /* The PML4 walked again comes from the walker's cache; the others were overwritten. */
    cr_expect_eq(st.table_reads, 7);

    /* Stopped by the bound: only what was walked, nothing past the stop. */
    o.max_table_walks = 6;
    struct xd_vrange *r;
    size_t n;
    cr_assert_eq(xd_pagewalk(&o, read_page, NULL, g, &r, &n, &st), -1);
    cr_expect_eq(errno, E2BIG);
    expect_ranges(r, n, (struct xd_vrange[]){{0, 10, 4}}, 1);
    cr_expect_eq(st.table_walks, 6);
    cr_expect_eq(st.stop_vaddr, 0xffff800000000000);
    free(r);
    free(g);
}

/* Every entry of every level points at the root: 512^4 paths, cut by the bound. */
Test(pagewalk, full_self_map_is_bounded)
{
    struct fake *g = fake_new(false, false);
    for (int i = 0; i < 512; i++)
        g->mem[g->root][i] = g->root << 12 | P_RW;
    struct xd_walk_opts o = opts_for(g, 1000);
    o.max_table_walks = 5000;
    struct xd_walk_stats st;
    struct xd_vrange *r;
    size_t n;

    /* The bound is in the counts (no timing here: a loaded machine made 2 s into 2.4) */
    cr_assert_eq(xd_pagewalk(&o, read_page, NULL, g, &r, &n, &st), -1);
    cr_expect_eq(errno, E2BIG);
    cr_expect_eq(st.table_walks, 5000);
    cr_expect_eq(st.table_reads, 1);
    cr_expect_leq(st.leaf_entries, 512 * 5000);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(r[i].pfn, g->root);
        cr_assert_lt(r[i].vaddr, st.stop_vaddr);
        cr_assert(i == 0 || r[i].vaddr > r[i - 1].vaddr);
    }
    free(r);
    free(g);
}

Test(pagewalk, absent_frames_and_beyond_max_pfn)
{
    const uint64_t max_pfn = 0xf00;
    struct fake *g = fake_new(false, false);
    map_4k(g, 0x1000, max_pfn - 2);
    map_4k(g, 0x2000, max_pfn - 1);
    map_4k(g, 0x3000, max_pfn); /* does not exist */
    map(g, 0x40000000, 0x200, 2);
    /* A page table that cannot be read, and one beyond max_pfn. */
    map_4k(g, 0x80000000, 5);
    g->absent[table_for(g, 0x80000000, 1)] = true;
    *entry(g, table_for(g, 0xc0000000, 2), 0xc0000000, 2) = UINT64_C(0x5000) << 12 | P_RW;
    /* A 2 MiB page straddling max_pfn. */
    map(g, 0x100000000, 0xe00, 2);
    /* 2 MiB and 4 KiB pages over holes in the present runs. */
    map(g, 0x140000000, 0x400, 2);
    map_4k(g, 0x180000000, 0x10);
    const struct xd_run present[] = {RUN(0, 0x10), RUN(0x11, 0x408 - 0x11),
                                     RUN(0x500, 0x1000)}; /* may end past max_pfn */
    struct xd_walk_opts o = opts_for(g, max_pfn);
    struct xd_walk_stats st;

    o.present = present;
    o.npresent = 3;
    WALK_EXPECT(g, o, NULL, &st, {0x1000, max_pfn - 2, 2}, {0x40000000, 0x200, PAGES_PER_2M},
                {0x100000000, 0xe00, 0x100}, {0x140000000, 0x400, 8},
                {0x140000000 + 0x100 * KIB4, 0x500, 0x100});
    cr_expect_eq(st.skipped_tables, 2);
    cr_expect_eq(st.skipped_pages, 1 + 0x100 + 0xf8 + 1);

    /* The root itself absent, or beyond max_pfn. */
    g->absent[g->root] = true;
    struct xd_vrange *r;
    size_t n;
    cr_expect_eq(xd_pagewalk(&o, read_page, NULL, g, &r, &n, NULL), -1);
    cr_expect_eq(errno, EFAULT);
    free(r);
    o.cr3 = UINT64_C(0x5000) << 12;
    cr_expect_eq(xd_pagewalk(&o, read_page, NULL, g, &r, &n, NULL), -1);
    cr_expect_eq(errno, EFAULT);
    cr_expect_eq(n, 0);
    free(r);
    free(g);
}

Test(pagewalk, reserved_bits)
{
    struct fake *g = fake_new(false, false);
    map_4k(g, 0x1000, 1);
    map_4k(g, 0x2000, 2);
    *entry(g, table_for(g, 0x2000, 1), 0x2000, 1) |= UINT64_C(1) << 47; /* > MAXPHYADDR 46 */
    map_4k(g, 0x3000, 3);
    *entry(g, table_for(g, 0x3000, 1), 0x3000, 1) |= NX | UINT64_C(0x7ff) << 52; /* allowed */
    map(g, 0x40000000, 0x400, 2);
    *entry(g, table_for(g, 0x40000000, 2), 0x40000000, 2) |= UINT64_C(1) << 13; /* misaligned */
    map(g, 0x80000000, 0x600, 2);
    /* PS in a PML4 entry: there are no 512 GiB pages. */
    g->mem[g->root][1] = UINT64_C(0) << 12 | P_RW | PS;
    struct xd_walk_opts o = opts_for(g, 0x1000);
    struct xd_walk_stats st;

    o.maxphyaddr = 46;
    WALK_EXPECT(g, o, NULL, &st, {0x1000, 1, 1}, {0x3000, 3, 1}, {0x80000000, 0x600, PAGES_PER_2M});
    cr_expect_eq(st.invalid_entries, 3);

    /* With MAXPHYADDR 52 bit 47 is an address bit: frame 2 + 2^35, beyond max_pfn. */
    o.maxphyaddr = 0;
    WALK_EXPECT(g, o, NULL, &st, {0x1000, 1, 1}, {0x3000, 3, 1}, {0x80000000, 0x600, PAGES_PER_2M});
    cr_expect_eq(st.invalid_entries, 2);
    cr_expect_eq(st.skipped_pages, 1);
    free(g);
}

Test(pagewalk, vaddr_window)
{
    struct fake *g = fake_new(false, false);
    map_4k(g, 0x1000, 1);
    map(g, KTEXT, 0x200, 2);
    map(g, KTEXT + MIB2, 0x400, 2);
    struct xd_walk_opts o = opts_for(g, 0x1000);
    struct xd_walk_stats st;

    o.vaddr_lo = KTEXT + 0x1800; /* mid-page: that page is in */
    o.vaddr_hi = KTEXT + 0x3fff;
    WALK_EXPECT(g, o, NULL, &st, {KTEXT + 0x1000, 0x201, 3});
    cr_expect_eq(st.table_walks, 3, "tables outside the window are not walked");

    o.vaddr_lo = KTEXT + MIB2 - KIB4;
    o.vaddr_hi = UINT64_MAX;
    WALK_EXPECT(g, o, NULL, NULL, {KTEXT + MIB2 - KIB4, 0x3ff, 1 + PAGES_PER_2M});
    free(g);
}

/* PV: entries hold machine frames; the inverse p2m turns them into pfns, or refuses them. */
Test(pagewalk, pv_translation)
{
    struct fake *g = fake_new(false, true);
    map_4k(g, KTEXT, 0x20);
    map_4k(g, KTEXT + KIB4, 0x21);
    map_4k(g, KTEXT + 2 * KIB4, 0x22);
    /* A frame the guest does not own (Xen's, another domain's). */
    *entry(g, table_for(g, KTEXT + KIB4, 1), KTEXT + KIB4, 1) = UINT64_C(0x5000) << 12 | P_RW;
    /* A page table in a frame the guest does not own. */
    *entry(g, table_for(g, KTEXT + GIB / 2, 2), KTEXT + GIB / 2, 2) =
        (MFN_OFFSET + PV_OWNED + 1) << 12 | P_RW;
    /* A 2 MiB page of contiguous mfns whose pfns are not contiguous, one of them foreign. */
    map(g, DIRECT_MAP, 0x400, 2);
    for (int i = 0x500; i < 0x600; i++)
        g->m2p[i] = 0x700 + (i - 0x500);
    g->m2p[0x580] = -1;
    struct xd_walk_opts o = opts_for(g, PV_OWNED);
    struct xd_walk_stats st;

    WALK_EXPECT(g, o, pv_frame_to_pfn, &st, {DIRECT_MAP, 0x400, 0x100},
                {DIRECT_MAP + 0x100 * KIB4, 0x700, 0x80}, {DIRECT_MAP + 0x181 * KIB4, 0x781, 0x7f},
                {KTEXT, 0x20, 1}, {KTEXT + 2 * KIB4, 0x22, 1});
    cr_expect_eq(st.skipped_tables, 1);
    cr_expect_eq(st.skipped_pages, 2);

    /* The CR3 frame is translated too: a pfn there is a foreign frame. */
    o.cr3 = g->root << 12;
    struct xd_vrange *r;
    size_t n;
    cr_expect_eq(xd_pagewalk(&o, read_page, pv_frame_to_pfn, g, &r, &n, NULL), -1);
    cr_expect_eq(errno, EFAULT);
    free(r);
    free(g);
}

/* 1 TiB of direct map in 1 GiB pages over a guest where only a little memory exists. */
/*
 * max_repeats: a PV p2m list's absent parts are one table mapping Linux's p2m_missing page
 * 512 times, shared by every PMD entry over them. The frame keeps max_repeats places in
 * such tables; a non-uniform table mapping it again still has its places.
 */
Test(pagewalk, uniform_tables_capped)
{
    struct fake *g = fake_new(false, true);
    const uint64_t list = UINT64_C(0xffffc90000000000), missing = 0x30;
    uint64_t pt = table_for(g, list, 1);
    for (int i = 0; i < 512; i++)
        g->mem[pt][i] = frame_of(g, missing) << 12 | P_RW;
    uint64_t pd = table_for(g, list, 2);
    for (int i = 1; i < 4; i++) /* three more 2 MiB of the list: the same table */
        g->mem[pd][i] = g->mem[pd][0];
    map_4k(g, KTEXT, missing); /* and once elsewhere, not in a uniform table */
    map_4k(g, KTEXT + 2 * KIB4, missing + 1);
    struct xd_walk_opts o = opts_for(g, PV_OWNED);
    struct xd_walk_stats st;
    struct xd_vrange *r;
    size_t n;

    cr_assert_eq(xd_pagewalk(&o, read_page, pv_frame_to_pfn, g, &r, &n, &st), 0);
    cr_expect_eq(n, 4 * 512 + 2, "no cap: every place is a range");
    cr_expect_eq(st.repeated_pages, 0);
    free(r);

    o.max_repeats = 8;
    cr_assert_eq(xd_pagewalk(&o, read_page, pv_frame_to_pfn, g, &r, &n, &st), 0);
    cr_assert_eq(n, 8 + 2);
    for (size_t i = 0; i < 8; i++)
        cr_expect(r[i].vaddr == list + i * KIB4 && r[i].pfn == missing && r[i].npages == 1);
    cr_expect(r[8].vaddr == KTEXT && r[8].pfn == missing && r[8].npages == 1);
    cr_expect(r[9].vaddr == KTEXT + 2 * KIB4 && r[9].pfn == missing + 1);
    cr_expect_eq(st.repeated_pages, 4 * 512 - 8);
    cr_expect_eq(st.table_walks, 1 + 2 + 4 + 3, "root, PDPT + PD, 4 visits of the PT, KTEXT's 3");
    free(r);
    free(g);
}

Test(pagewalk, sparse_1tib_direct_map)
{
    struct fake *g = fake_new(false, false);
    const uint64_t tib_pages = UINT64_C(1) << 28;
    for (uint64_t i = 0; i < 1024; i++)
        map(g, DIRECT_MAP + i * GIB, i * PAGES_PER_1G, 3);
    const struct xd_run present[] = {
        RUN(0, 0x9f),                /* below the VGA hole */
        RUN(0x100, 0x80000 - 0x100), /* to 2 GiB: across a 1 GiB page boundary */
        RUN(0x1000000, 0x10000),     /* 256 MiB at 64 GiB */
        RUN(tib_pages - 16, 16),     /* the last 64 KiB */
    };
    struct xd_walk_opts o = opts_for(g, tib_pages);
    struct xd_walk_stats st;

    o.present = present;
    o.npresent = 4;
    WALK_EXPECT(g, o, NULL, &st, {DIRECT_MAP, 0, 0x9f},
                {DIRECT_MAP + 0x100 * KIB4, 0x100, 0x80000 - 0x100},
                {DIRECT_MAP + 0x1000000 * KIB4, 0x1000000, 0x10000},
                {DIRECT_MAP + (tib_pages - 16) * KIB4, tib_pages - 16, 16});
    cr_expect_eq(st.leaf_entries, 1024);
    cr_expect_eq(st.table_walks, 3);

    /* All of it present: one range. */
    o.present = NULL;
    o.npresent = 0;
    WALK_EXPECT(g, o, NULL, &st, {DIRECT_MAP, 0, tib_pages});
    cr_expect_eq(st.leaf_entries, 1024, "1024 entries must not be walked page by page");
    free(g);
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random tables, half of whose entries point back into the tables: within the bound. */
Test(pagewalk, garbage_tables_terminate)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct fake *g = fake_new(seed & 1, false);
        uint64_t s = seed * 0x9e3779b97f4a7c15;
        for (int p = 0; p < POOL; p++) {
            for (int i = 0; i < 512; i++) {
                uint64_t e = xorshift(&s);
                if (e & 2) /* keep the frame inside the fake memory */
                    e = (e & ~UINT64_C(0x000ffffffffff000)) | (e >> 20) % POOL << 12;
                g->mem[p][i] = e;
            }
        }
        struct xd_walk_opts o = opts_for(g, POOL);
        o.max_table_walks = 2000;
        o.maxphyaddr = seed % 3 ? 0 : 40;
        struct xd_walk_stats st;
        struct xd_vrange *r;
        size_t n;
        int rc = xd_pagewalk(&o, read_page, NULL, g, &r, &n, &st);

        cr_assert(rc == 0 || errno == E2BIG, "seed %lu: %s", seed, strerror(errno));
        cr_assert_leq(st.table_walks, 2000);
        cr_assert_leq(g->reads, 2000);
        for (size_t i = 0; i < n; i++) {
            cr_assert_leq(r[i].pfn + r[i].npages, POOL);
            cr_assert(i == 0 || r[i].vaddr > r[i - 1].vaddr + (r[i - 1].npages - 1) * KIB4);
            if (rc != 0)
                cr_assert_lt(r[i].vaddr, st.stop_vaddr);
        }
        free(r);
        free(g);
    }
}

static int collect_all(const struct xd_walk_opts *o, struct fake *g, struct xd_vrange **r,
                       size_t *n)
{
    return xd_pagewalk(o, read_page, NULL, g, r, n, NULL);
}

/* A walk stopped by the bound resumes from stop_vaddr to the same answer. */
Test(pagewalk, resume_after_bound)
{
    struct fake *g = fake_new(false, false);
    for (uint64_t i = 0; i < 40; i++)
        map_4k(g, i * MIB2, 100 + i); /* 40 page tables */
    map(g, KTEXT, 0x200, 2);
    struct xd_walk_opts o = opts_for(g, 1000);
    struct xd_vrange *all, *part;
    size_t nall, npart, got = 0;
    cr_assert_eq(collect_all(&o, g, &all, &nall), 0);
    cr_assert_eq(nall, 41);

    o.max_table_walks = 8;
    for (int rounds = 0;; rounds++) {
        cr_assert_lt(rounds, 20);
        struct xd_walk_stats st;
        int rc = xd_pagewalk(&o, read_page, NULL, g, &part, &npart, &st);
        cr_assert_leq(got + npart, nall);
        expect_ranges(part, npart, all + got, npart);
        got += npart;
        free(part);
        if (rc == 0)
            break;
        cr_assert_eq(errno, E2BIG);
        o.vaddr_lo = st.stop_vaddr;
    }
    cr_expect_eq(got, nall);
    free(all);
    free(g);
}

static int refuse_second(void *opaque, const struct xd_vrange *r)
{
    (void)r;
    if (++*(int *)opaque == 2) {
        errno = ENOSPC;
        return -1;
    }
    return 0;
}

Test(pagewalk, emit_stops_the_walk)
{
    struct fake *g = fake_new(false, false);
    map_4k(g, 0x1000, 1);
    map_4k(g, 0x3000, 3);
    map_4k(g, 0x5000, 5);
    struct xd_walk_opts o = opts_for(g, 100);
    struct xd_walk_stats st;
    int calls = 0;

    cr_assert_eq(xd_pagewalk_each(&o, read_page, NULL, g, refuse_second, &calls, &st), -1);
    cr_expect_eq(errno, ENOSPC);
    cr_expect_eq(calls, 2);
    free(g);
}

Test(pagewalk, bad_options)
{
    struct fake *g = fake_new(false, false);
    struct xd_walk_opts o = opts_for(g, 100);
    struct xd_vrange *r;
    size_t n;

    o.max_pfn = 0;
    cr_expect_eq(xd_pagewalk(&o, read_page, NULL, g, &r, &n, NULL), -1);
    cr_expect_eq(errno, EINVAL);
    o = opts_for(g, 100);
    o.vaddr_lo = 2;
    o.vaddr_hi = 1;
    cr_expect_eq(xd_pagewalk(&o, read_page, NULL, g, &r, &n, NULL), -1);
    cr_expect_eq(errno, EINVAL);
    o = opts_for(g, 100);
    o.maxphyaddr = 53;
    cr_expect_eq(xd_pagewalk(&o, read_page, NULL, g, &r, &n, NULL), -1);
    cr_expect_eq(errno, EINVAL);
    cr_expect_eq(n, 0);
    free(g);
}
