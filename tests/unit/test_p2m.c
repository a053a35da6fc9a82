/* SPDX-License-Identifier: GPL-2.0-or-later */
/* p2m.c against guest memory built in the test: the PV list and tree as Linux lays them out,
   and guests that lie (a p2m of 2^52 frames, cyclic tables, foreign frames, too many frames). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p2m.h"
#include "xdump.h"

#define NFRAMES 4096 /* machine frames 0x1000.. of the fake host */
#define MFN0 0x1000u
#define INV (~0ull)

/* A fake host: machine frames MFN0..MFN0+NFRAMES, each a page of u64 entries. */
struct host {
    uint64_t (*mem)[512];
    uint64_t next; /* next free frame index */
    uint64_t reads;
    uint8_t exists[1 << 16];
    uint64_t paged_rounds; /* HVM: how many more scans see frames 100..103 absent */
    int lent_fails;        /* lent(): 0 names its frames, 1 "cannot say", -1 fails */
    uint64_t probed;       /* frames probe() was asked about, every scan */
};

static uint64_t alloc(struct host *h, uint64_t fill)
{
    uint64_t i = h->next++;
    for (int k = 0; k < 512; k++)
        h->mem[i][k] = fill;
    return MFN0 + i;
}

static uint64_t *page(struct host *h, uint64_t mfn)
{
    return h->mem[mfn - MFN0];
}

static int read_frames(void *ctx, const uint64_t *frames, size_t n, uint8_t *buf, int *err)
{
    struct host *h = ctx;
    for (size_t i = 0; i < n; i++) {
        h->reads++;
        err[i] = frames[i] >= MFN0 && frames[i] < MFN0 + h->next ? 0 : EINVAL;
        if (!err[i])
            memcpy(buf + i * 4096, page(h, frames[i]), 4096);
    }
    return 0;
}

static int frames_exist(void *ctx, uint64_t first, size_t n, uint8_t *present)
{
    struct host *h = ctx;
    for (size_t i = 0; i < n; i++) {
        uint64_t g = first + i;
        present[i] = g < sizeof(h->exists) && h->exists[g];
        if (g >= 100 && g < 104 && h->paged_rounds)
            present[i] = 0;
    }
    if (first == 0 && h->paged_rounds)
        h->paged_rounds--;
    return 0;
}

static int paged_pages(void *ctx, uint64_t *paged)
{
    struct host *h = ctx;
    *paged = h->paged_rounds ? 4 : 0;
    return 0;
}

/* Frames 0x500..0x503 are special: "no page" to getpageframeinfo3, but they map. */
static int probe(void *ctx, const uint64_t *frames, size_t n, uint8_t *mappable)
{
    ((struct host *)ctx)->probed += n;
    for (size_t i = 0; i < n; i++)
        mappable[i] = frames[i] >= 0x500 && frames[i] < 0x504;
    return 0;
}

static const char *error(void *ctx)
{
    (void)ctx;
    return "fake host error";
}

static struct host *host_new(void)
{
    struct host *h = calloc(1, sizeof(*h));
    h->mem = calloc(NFRAMES, sizeof(*h->mem));
    return h;
}

static void host_free(struct host *h)
{
    free(h->mem);
    free(h);
}

static struct xd_guest_ops ops_for(struct host *h)
{
    return (struct xd_guest_ops){h,     read_frames, frames_exist, paged_pages,
                                 error, NULL,        NULL,         NULL};
}

/* p2m leaves for pfns [0, npfn): pfn -> mfn_of(pfn), holes where hole(pfn). Returns the leaf
   mfns; absent leaves share one all-invalid page. */
static void make_leaves(struct host *h, uint64_t npfn, uint64_t *leaf, uint64_t *pfn_mfn,
                        bool (*hole)(uint64_t))
{
    uint64_t missing = alloc(h, INV);
    for (uint64_t j = 0; j * 512 < npfn; j++) {
        bool any = false;
        for (uint64_t k = 0; k < 512; k++)
            any |= j * 512 + k < npfn && !hole(j * 512 + k);
        if (!any) {
            leaf[j] = missing;
            continue;
        }
        leaf[j] = alloc(h, INV);
        for (uint64_t k = 0; k < 512 && j * 512 + k < npfn; k++)
            if (!hole(j * 512 + k))
                page(h, leaf[j])[k] = pfn_mfn[j * 512 + k];
    }
}

static bool no_hole(uint64_t pfn)
{
    (void)pfn;
    return false;
}

static bool some_holes(uint64_t pfn)
{
    return (pfn >= 700 && pfn < 1200) || pfn == 5;
}

/* Maps the list's leaves at vaddr through 4-level tables; returns the L4 mfn. */
static uint64_t map_list(struct host *h, uint64_t vaddr, const uint64_t *leaf, uint64_t nleaf)
{
    uint64_t l4 = alloc(h, 0), l3 = alloc(h, 0), l2 = alloc(h, 0), l1 = 0, last2m = ~0ull;
    for (uint64_t j = 0; j < nleaf; j++) {
        uint64_t va = vaddr + j * 4096;
        page(h, l4)[(va >> 39) & 511] = l3 << 12 | 0x67;
        page(h, l3)[(va >> 30) & 511] = l2 << 12 | 0x67; /* within 1 GiB in these tests */
        if (va >> 21 != last2m) {
            l1 = alloc(h, 0);
            last2m = va >> 21;
            page(h, l2)[(va >> 21) & 511] = l1 << 12 | 0x67;
        }
        page(h, l1)[(va >> 12) & 511] = leaf[j] << 12 | 0x63;
    }
    return l4;
}

static void expect_identity_map(const struct xd_frames *f, const uint64_t *pfn_mfn,
                                bool (*hole)(uint64_t), uint64_t npfn)
{
    uint64_t n = 0;
    for (uint64_t pfn = 0; pfn < npfn; pfn++) {
        uint64_t page_no;
        bool found = xd_frames_find(f, pfn, &page_no);
        cr_assert_eq(found, !hole(pfn), "pfn %#lx", pfn);
        if (found) {
            uint64_t mfn = ~UINT64_C(0);
            cr_assert(xd_frames_mfn_of(f, pfn, &mfn), "pfn %#lx", pfn);
            cr_assert_eq(mfn, pfn_mfn[pfn], "pfn %#lx", pfn);
            n++;
        }
    }
    cr_assert_eq(f->npages, n);
}

static void shuffled(uint64_t *pfn_mfn, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        pfn_mfn[i] = 0x900000 + (i * 7919) % n; /* a bijection onto machine frames */
}

Test(p2m, list_at_unaligned_address_with_holes)
{
    struct host *h = host_new();
    uint64_t npfn = 3000, pfn_mfn[3000], leaf[8];
    shuffled(pfn_mfn, npfn);
    make_leaves(h, npfn, leaf, pfn_mfn, some_holes);
    struct xd_p2m_anchors a = {.max_pfn = npfn, .p2m_vaddr = 0xffffc900005ff000ull};
    a.p2m_cr3 = map_list(h, a.p2m_vaddr, leaf, 6) << 12; /* crosses a 2 MiB boundary */
    struct xd_guest_ops ops = ops_for(h);
    struct xd_frames f = {0};
    char err[256];
    cr_assert_eq(xd_p2m_pv(&ops, &a, 0xffffff, npfn, &f, err, sizeof(err)), 0, "%s", err);
    expect_identity_map(&f, pfn_mfn, some_holes, npfn);
    cr_assert_eq(f.nruns, 3); /* 0-4, 6-699, 1200-2999 */
    xd_frames_free(&f);
    host_free(h);
}

Test(p2m, tree)
{
    struct host *h = host_new();
    uint64_t npfn = 2048, pfn_mfn[2048], leaf[4];
    shuffled(pfn_mfn, npfn);
    make_leaves(h, npfn, leaf, pfn_mfn, no_hole);
    uint64_t fl = alloc(h, 0), fll = alloc(h, 0);
    memcpy(page(h, fl), leaf, sizeof(leaf));
    page(h, fll)[0] = fl;
    struct xd_p2m_anchors a = {.max_pfn = npfn, .fll_mfn = fll};
    struct xd_guest_ops ops = ops_for(h);
    struct xd_frames f = {0};
    char err[256];
    cr_assert_eq(xd_p2m_pv(&ops, &a, 0xffffff, npfn, &f, err, sizeof(err)), 0, "%s", err);
    expect_identity_map(&f, pfn_mfn, no_hole, npfn);
    cr_assert_eq(f.nruns, 1);
    xd_frames_free(&f);
    host_free(h);
}

Test(p2m, incredible_size_is_refused_before_any_read)
{
    struct host *h = host_new();
    struct xd_p2m_anchors a = {.max_pfn = 1ull << 52,
                               .p2m_cr3 = (uint64_t)alloc(h, 0) << 12,
                               .p2m_vaddr = 0xffffc90000000000ull};
    struct xd_guest_ops ops = ops_for(h);
    struct xd_frames f = {0};
    char err[256];
    h->reads = 0;
    cr_assert_eq(xd_p2m_pv(&ops, &a, 0xffffff, 1000, &f, err, sizeof(err)), -XDUMP_E_GUEST);
    cr_assert_eq(h->reads, 0);
    cr_assert(strstr(err, "not credible"), "%s", err);
    host_free(h);
}

Test(p2m, cyclic_tables_and_missing_sharing_terminate)
{
    /* A 64 GiB p2m whose every L4/L3/L2/L1 entry points back at the root: every leaf "is"
       the root page. Linux's shared-missing-page dedupe and the limits keep it bounded. */
    struct host *h = host_new();
    uint64_t root = alloc(h, 0);
    for (int i = 0; i < 512; i++)
        page(h, root)[i] = root << 12 | 0x67;
    struct xd_p2m_anchors a = {
        .max_pfn = 1ull << 24, .p2m_cr3 = root << 12, .p2m_vaddr = 0xffffc90000000000ull};
    struct xd_guest_ops ops = ops_for(h);
    struct xd_frames f = {0};
    char err[256];
    int rc = xd_p2m_pv(&ops, &a, 0xffffff, 4096, &f, err, sizeof(err));
    /* the root's entries are "mfns" 0x1000<<12|0x67: above max_mfn, so rejected as entries;
       either no frame at all, or too many: an error, never a hang */
    cr_assert_eq(rc, -XDUMP_E_GUEST, "%s", err);
    cr_assert_lt(h->reads, 100000);
    xd_frames_free(&f);
    host_free(h);
}

Test(p2m, more_frames_than_the_domain_owns)
{
    struct host *h = host_new();
    uint64_t npfn = 4096, pfn_mfn[4096], leaf[8];
    shuffled(pfn_mfn, npfn);
    make_leaves(h, npfn, leaf, pfn_mfn, no_hole);
    struct xd_p2m_anchors a = {.max_pfn = npfn, .p2m_vaddr = 0xffffc90000000000ull};
    a.p2m_cr3 = map_list(h, a.p2m_vaddr, leaf, 8) << 12;
    struct xd_guest_ops ops = ops_for(h);
    struct xd_frames f = {0};
    char err[256];
    /* the domain owns 100 pages, the p2m names 4096 */
    cr_assert_eq(xd_p2m_pv(&ops, &a, 0xffffff, 100, &f, err, sizeof(err)), -XDUMP_E_GUEST);
    cr_assert(strstr(err, "more frames than the domain owns"), "%s", err);
    xd_frames_free(&f);
    host_free(h);
}

Test(p2m, entries_naming_no_machine_frame_are_left_out)
{
    struct host *h = host_new();
    uint64_t npfn = 1024, pfn_mfn[1024], leaf[2];
    shuffled(pfn_mfn, npfn);
    pfn_mfn[10] = 1ull << 50;            /* beyond the host's memory */
    pfn_mfn[11] = 0x900000 | 1ull << 63; /* Linux's foreign-frame mark */
    make_leaves(h, npfn, leaf, pfn_mfn, no_hole);
    struct xd_p2m_anchors a = {.max_pfn = npfn, .p2m_vaddr = 0xffffc90000000000ull};
    a.p2m_cr3 = map_list(h, a.p2m_vaddr, leaf, 2) << 12;
    struct xd_guest_ops ops = ops_for(h);
    struct xd_frames f = {0};
    char err[256];
    cr_assert_eq(xd_p2m_pv(&ops, &a, 0xffffff, npfn, &f, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(f.npages, 1022);
    cr_assert_eq(f.invalid_entries, 1);
    uint64_t pg;
    cr_assert(!xd_frames_find(&f, 10, &pg) && !xd_frames_find(&f, 11, &pg));
    xd_frames_free(&f);
    host_free(h);
}

Test(p2m, hvm_scan_waits_for_paged_frames)
{
    struct host *h = host_new();
    for (int i = 0; i < 3000; i++)
        h->exists[i] = !(i >= 0xa0 && i < 0xc0);
    h->paged_rounds = 2; /* frames 100..103 come back after two scans */
    struct xd_guest_ops ops = ops_for(h);
    struct xd_frames f = {0};
    char err[256];
    cr_assert_eq(xd_p2m_hvm(&ops, 2999, false, &f, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(f.npages, 3000 - 32);
    cr_assert_eq(f.paged_missing, 0);
    cr_assert_eq(f.nruns, 2);
    xd_frames_free(&f);
    host_free(h);
}

/* The stop flag (a signal) is polled between batches of the gfn scan: a span of 2^28 gfns
   stops within a batch of being asked to, with XDUMP_E_SIGNAL. */
static volatile int scan_stop;
static unsigned scan_calls;
static int frames_exist_then_stop(void *ctx, uint64_t first, size_t n, uint8_t *present)
{
    if (++scan_calls == 5)
        scan_stop = 1;
    return frames_exist(ctx, first, n, present);
}

Test(p2m, hvm_scan_stops_when_asked)
{
    struct host *h = host_new();
    h->exists[0] = 1;
    struct xd_guest_ops ops = ops_for(h);
    ops.frames_exist = frames_exist_then_stop;
    ops.stop = &scan_stop;
    struct xd_frames f = {0};
    char err[256] = "";
    cr_assert_eq(xd_p2m_hvm(&ops, (1ull << 28) - 1, false, &f, err, sizeof(err)), -XDUMP_E_SIGNAL);
    cr_assert_eq(scan_calls, 5);
    cr_assert(strstr(err, "interrupted while listing the guest's frames (gfn 0x1400 of "
                          "0xfffffff)"),
              "%s", err);
    xd_frames_free(&f);
    host_free(h);
}

/* Xen names 0x501 and 0x502 as lent, 0x300 (present anyway) and a gfn beyond the span. */
static int lent(void *ctx, uint64_t **frames, size_t *n)
{
    struct host *h = ctx;
    if (h->lent_fails)
        return h->lent_fails < 0 ? -XDUMP_E_XEN : 0;
    static const uint64_t named[] = {0x300, 0x501, 0x502, ~0ull};
    *frames = malloc(sizeof(named));
    memcpy(*frames, named, sizeof(named));
    *n = 4;
    return 1;
}

/* Frames Xen calls absent are probed: the ones it names as lent - or, when it cannot say, when
   asked, or while frames are paged out, all of them. */
Test(p2m, hvm_absent_frames_probed)
{
    static const struct {
        bool with_lent, probe_all;
        int lent_fails, paged_rounds;
        uint64_t pages, probed, total; /* probed: by the last scan; total: by all */
        bool all;
    } cases[] = {
        {false, false, 0, 0, 0x404, 0x400, 0x400, true}, /* no way to ask: every absent gfn */
        {true, false, 0, 0, 0x402, 2, 2, false},         /* only 0x501, 0x502 */
        {true, true, 0, 0, 0x404, 0x400, 0x400, true},   /* --probe-all */
        {true, false, 1, 0, 0x404, 0x400, 0x400, true},  /* Xen cannot say */
        /* frames paged out: the first scan probes every absent gfn (a mapping is what finds
           paged-out frames: 100..103 here); the one after the pager is done, the lent ones */
        {true, false, 0, 1, 0x402, 2, 0x404 + 2, false},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct host *h = host_new();
        for (int i = 0; i < 0x400; i++)
            h->exists[i] = 1;
        h->lent_fails = cases[c].lent_fails;
        h->paged_rounds = cases[c].paged_rounds;
        struct xd_guest_ops ops = ops_for(h);
        ops.probe_frames = probe;
        ops.lent_frames = cases[c].with_lent ? lent : NULL;
        struct xd_frames f = {0};
        char err[256];
        cr_assert_eq(xd_p2m_hvm(&ops, 0x7ff, cases[c].probe_all, &f, err, sizeof(err)), 0,
                     "case %zu: %s", c, err);
        cr_assert_eq(f.npages, cases[c].pages, "case %zu: %llu pages", c,
                     (unsigned long long)f.npages);
        cr_assert_eq(f.nruns, 2, "case %zu", c);
        cr_assert_eq(f.runs[1].pfn, cases[c].pages == 0x402 ? 0x501 : 0x500, "case %zu", c);
        cr_assert_eq(f.probed, cases[c].probed, "case %zu: %llu probed", c,
                     (unsigned long long)f.probed);
        cr_assert_eq(f.probed_all, cases[c].all, "case %zu", c);
        cr_assert_eq(h->probed, cases[c].total, "case %zu: %llu probed in all", c,
                     (unsigned long long)h->probed);
        xd_frames_free(&f);
        host_free(h);
    }
}

Test(p2m, hvm_lent_query_failure_fails_the_scan)
{
    struct host *h = host_new();
    h->exists[0] = 1;
    h->lent_fails = -1;
    struct xd_guest_ops ops = ops_for(h);
    ops.lent_frames = lent;
    struct xd_frames f = {0};
    char err[256] = "";
    cr_assert_eq(xd_p2m_hvm(&ops, 0x7ff, false, &f, err, sizeof(err)), -XDUMP_E_XEN);
    cr_assert_str_eq(err, "fake host error");
    xd_frames_free(&f);
    host_free(h);
}

/* The inverse p2m: every present page's mfn found, whatever the order and size of the mfns
   (the sort goes by 11-bit digits: mfns of 1, 2 and 4 digits), and nothing else. */
Test(p2m, m2p_inverts_the_p2m)
{
    const uint64_t tops[] = {0x7ff, 0x3fffff, UINT64_C(0xfffffffffff)};
    for (size_t t = 0; t < sizeof(tops) / sizeof(tops[0]); t++) {
        struct xd_frames f = {0};
        uint64_t n = 0;
        for (uint64_t pfn = 0; pfn < 2048; pfn += 1 + pfn % 3) {
            /* distinct mfns, shuffled: a bijection of [0, 2^k) for odd multipliers */
            uint64_t mfn = (pfn * UINT64_C(0x9e3779b1) + 7) & tops[t];
            cr_assert_eq(xd_frames_add(&f, pfn, true, mfn), 0);
            n++;
        }
        struct xd_m2p m;
        cr_assert_eq(xd_m2p_build(&f, &m), 0);
        uint64_t covered = 0;
        for (size_t i = 0; i < m.n; i++) {
            covered += m.e[i].count;
            if (i)
                cr_assert_leq(m.e[i - 1].mfn + m.e[i - 1].count, m.e[i].mfn, "sorted, disjoint");
        }
        cr_assert_eq(covered, n);
        for (size_t r = 0; r < f.nruns; r++)
            for (uint64_t i = 0; i < f.runs[r].count; i++) {
                uint64_t pfn = ~UINT64_C(0);
                cr_assert(xd_m2p_lookup(&m, xd_frames_mfn(&f, &f.runs[r], i), &pfn));
                cr_assert_eq(pfn, f.runs[r].pfn + i);
            }
        uint64_t pfn;
        cr_expect_not(xd_m2p_lookup(&m, tops[t] + 1, &pfn));
        xd_m2p_free(&m);
        xd_frames_free(&f);
    }
}

/* The p2m kept run-length: machine-contiguous pfns make one piece, a jump in either starts
   another, and every pfn's mfn is answered from them. */
Test(p2m, pieces_are_machine_contiguous_runs)
{
    struct xd_frames f = {0};
    /* pfns 0-1023 at mfns 0x5000.. in two 2 MiB extents in falling order (Xen's allocator),
       pfn 1024 absent, 1025-1027 at 0x9000.., 1028 at 0x9003 too far (a new piece) */
    for (uint64_t pfn = 0; pfn < 1024; pfn++)
        cr_assert_eq(xd_frames_add(&f, pfn, true, (pfn < 512 ? 0x5200 : 0x5000 - 512) + pfn), 0);
    for (uint64_t pfn = 1025; pfn < 1028; pfn++)
        cr_assert_eq(xd_frames_add(&f, pfn, true, 0x9000 + pfn - 1025), 0);
    cr_assert_eq(xd_frames_add(&f, 1028, true, 0x9010), 0);
    cr_assert_eq(f.nruns, 2);
    cr_assert_eq(f.nmruns, 4);
    cr_assert_eq(f.mruns[0].mfn, 0x5200);
    cr_assert_eq(f.mruns[1].pfn, 512);
    cr_assert_eq(f.mruns[1].mfn, 0x5000);
    cr_assert_eq(f.mruns[2].count, 3);
    uint64_t mfn;
    cr_assert(xd_frames_mfn_of(&f, 700, &mfn));
    cr_assert_eq(mfn, 0x5000 + 700 - 512);
    cr_assert(xd_frames_mfn_of(&f, 1028, &mfn));
    cr_assert_eq(mfn, 0x9010);
    cr_assert_not(xd_frames_mfn_of(&f, 1024, &mfn));
    cr_assert_not(xd_frames_mfn_of(&f, 1029, &mfn));
    cr_assert_eq(xd_frames_mrun_at(&f, 1024), 2);
    cr_assert_eq(xd_frames_mrun_at(&f, 5000), 4);
    xd_frames_free(&f);
}

/* A hostile p2m naming one machine frame for several pfns: the inverse answers one of them,
   and every answer is a pfn whose own entry is the frame asked about. */
Test(p2m, m2p_of_a_p2m_naming_frames_twice)
{
    struct xd_frames f = {0};
    for (uint64_t pfn = 0; pfn < 100; pfn++) /* 0x100..0x163, then 0x120..0x183 */
        cr_assert_eq(xd_frames_add(&f, pfn, true, 0x100 + pfn % 50 * 2 + (pfn >= 50 ? 0x20 : 0)),
                     0);
    for (uint64_t pfn = 200; pfn < 210; pfn++) /* inside the first: 0x104.. */
        cr_assert_eq(xd_frames_add(&f, pfn, true, 0x104 + (pfn - 200)), 0);
    struct xd_m2p m;
    cr_assert_eq(xd_m2p_build(&f, &m), 0);
    for (uint64_t mfn = 0xf0; mfn < 0x200; mfn++) {
        uint64_t pfn, back;
        if (!xd_m2p_lookup(&m, mfn, &pfn))
            continue;
        cr_assert(xd_frames_mfn_of(&f, pfn, &back));
        cr_assert_eq(back, mfn, "mfn %#lx answered pfn %#lx", mfn, pfn);
    }
    for (size_t i = 1; i < m.n; i++)
        cr_assert_leq(m.e[i - 1].mfn + m.e[i - 1].count, m.e[i].mfn, "disjoint");
    xd_m2p_free(&m);
    xd_frames_free(&f);
}

/* Xen's M2P as the guest may have written it: an answer is believed only when the p2m leads
   back from it; a lie - another present pfn, a pfn beyond any, Xen's no-pfn marker - is
   refused, never answered. */
struct fake_m2p {
    uint64_t base, n, entry[64];
    unsigned asked;
};

static int fake_ask(void *ctx, uint64_t mfn, uint64_t *pfn)
{
    struct fake_m2p *t = ctx;
    t->asked++;
    if (mfn < t->base || mfn - t->base >= t->n)
        return -1;
    *pfn = t->entry[mfn - t->base];
    return 0;
}

Test(p2m, xen_m2p_answers_checked_against_the_p2m)
{
    struct xd_frames f = {0};
    /* pfns 0..15 at mfns 0x200.. in pieces of 4 placed backwards: pfn 0-3 at 0x20c.. */
    for (uint64_t pfn = 0; pfn < 16; pfn++)
        cr_assert_eq(xd_frames_add(&f, pfn, true, 0x200 + (3 - pfn / 4) * 4 + pfn % 4), 0);
    struct fake_m2p t = {.base = 0x200, .n = 20};
    for (uint64_t i = 0; i < 16; i++) {
        uint64_t mfn;
        cr_assert(xd_frames_mfn_of(&f, i, &mfn));
        t.entry[mfn - 0x200] = i; /* the truth ... */
    }
    t.entry[0x20c - 0x200] = 5;          /* pfn 0's frame claims pfn 5 (present: elsewhere) */
    t.entry[0x208 - 0x200] = 1ull << 40; /* pfn 4's frame claims a pfn beyond any */
    t.entry[0x204 - 0x200] = ~0ull;      /* pfn 8's frame: Xen's INVALID_M2P_ENTRY */
    t.entry[0x210 - 0x200] = 3;          /* not the guest's frame, claiming pfn 3 */
    struct xd_m2p m;
    xd_m2p_use(&m, &f, fake_ask, &t);
    uint64_t pfn;
    cr_assert_not(xd_m2p_lookup(&m, 0x20c, &pfn), "a lie about another present pfn");
    cr_assert_not(xd_m2p_lookup(&m, 0x208, &pfn), "a pfn beyond any");
    cr_assert_not(xd_m2p_lookup(&m, 0x204, &pfn), "INVALID_M2P_ENTRY");
    cr_assert_not(xd_m2p_lookup(&m, 0x210, &pfn), "a frame the p2m does not name");
    cr_assert_not(xd_m2p_lookup(&m, 0x300, &pfn), "beyond Xen's table");
    cr_assert_eq(m.refused, 3); /* the marker is no claim; the unreadable entry is unanswered */
    cr_assert_eq(m.unanswered, 1);
    /* a believed answer: its piece answers for its neighbours without asking, from the p2m -
       also for pfn 0's frame, whose own entry lied */
    cr_assert(xd_m2p_lookup(&m, 0x20d, &pfn));
    cr_assert_eq(pfn, 1);
    unsigned asked = t.asked;
    cr_assert(xd_m2p_lookup(&m, 0x20c, &pfn));
    cr_assert_eq(pfn, 0);
    cr_assert(xd_m2p_lookup(&m, 0x20f, &pfn));
    cr_assert_eq(pfn, 3);
    cr_assert_eq(t.asked, asked, "the piece answered");
    for (uint64_t mfn = 0x1f0; mfn < 0x220; mfn++) {
        uint64_t back;
        if (xd_m2p_lookup(&m, mfn, &pfn)) {
            cr_assert(xd_frames_mfn_of(&f, pfn, &back));
            cr_assert_eq(back, mfn, "mfn %#lx answered pfn %#lx", mfn, pfn);
        }
    }
    xd_m2p_free(&m);
    xd_frames_free(&f);
}
