/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the hand-made seeds of the p2m and page-walk fuzzers (the input encodings are in
 * fuzzin.h, fuzz_p2m.c and fuzz_pagewalk.c): guests as Linux lays them out, and a few that
 * lie. Run by make-seeds.sh: seedgen DIR writes DIR/p2m/ and DIR/pagewalk/.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzin.h"

#define PTE 0x67ull       /* present, writable, user, accessed, dirty */
#define PTE_LEAF 0x63ull  /* present, writable, accessed, dirty */
#define PTE_LARGE 0xe3ull /* ... and PS */
#define INVALID (~0ull)
#define P2M_VADDR 0xffffc90000000000ull
#define KERNEL_VADDR 0xffffffff80000000ull

/* A seed being written. */
struct seed {
    uint8_t b[8192];
    size_t n;
    unsigned nframes, frames_at;
};

static void put(struct seed *s, uint64_t v, unsigned bytes)
{
    if (s->n + bytes > sizeof(s->b)) {
        fprintf(stderr, "seedgen: seed too large\n");
        exit(1);
    }
    for (unsigned i = 0; i < bytes; i++)
        s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

/* The memory part: nframes frames, then fill(), then set() records. */
static void frames(struct seed *s, unsigned nframes)
{
    s->nframes = nframes;
    put(s, nframes, 1);
    s->frames_at = (unsigned)s->n;
    for (unsigned f = 0; f < nframes; f++) {
        put(s, FUZZ_FILL_ZERO, 1);
        put(s, 0, 8);
    }
}

/* Frame index f (0-based in the input) filled by rule `kind` from arg. */
static void fill(struct seed *s, unsigned f, unsigned kind, uint64_t arg)
{
    uint8_t *p = s->b + s->frames_at + f * 9;
    p[0] = (uint8_t)kind;
    for (int i = 0; i < 8; i++)
        p[1 + i] = (uint8_t)(arg >> (8 * i));
}

static void set(struct seed *s, unsigned f, unsigned entry, uint64_t value)
{
    put(s, f, 1);
    put(s, entry, 2);
    put(s, value, 8);
}

static unsigned idx(uint64_t va, int level)
{
    return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

static void save(const struct seed *s, const char *dir, const char *fmt, ...)
{
    char name[256], path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* ---- p2m: u8 mode, hard_fail, paged, flags; u64 max_pfn, p2m_cr3, p2m_vaddr, fll_mfn,
   max_mfn, tot_pages; memory from machine frame 1 (frame index f is mfn f + 1) ------------- */

#define P2M_MAX_MFN_AT 36 /* the offset of max_mfn */

static void p2m_head(struct seed *s, unsigned mode, uint64_t max_pfn, uint64_t cr3_mfn,
                     uint64_t vaddr, uint64_t fll_mfn, uint64_t tot_pages)
{
    memset(s, 0, sizeof(*s));
    put(s, mode, 1);
    put(s, 0, 1);
    put(s, 0, 1);
    put(s, 0, 1);
    put(s, max_pfn, 8);
    put(s, cr3_mfn << 12, 8);
    put(s, vaddr, 8);
    put(s, fll_mfn, 8);
    put(s, 0xffffff, 8); /* max_mfn */
    put(s, tot_pages, 8);
}

/* The linear list at P2M_VADDR through L4 = mfn 1, L3 = 2, L2 = 3, L1 = 4; leaves from mfn 5
   (ramps of machine frames). */
static void p2m_list(const char *dir)
{
    struct seed s;
    p2m_head(&s, 0, 1500, 1, P2M_VADDR, 0, 2048);
    frames(&s, 7);
    set(&s, 0, idx(P2M_VADDR, 4), 2 << 12 | PTE);
    set(&s, 1, idx(P2M_VADDR, 3), 3 << 12 | PTE);
    set(&s, 2, idx(P2M_VADDR, 2), 4 << 12 | PTE);
    for (unsigned j = 0; j < 3; j++) {
        set(&s, 3, idx(P2M_VADDR, 1) + j, (uint64_t)(5 + j) << 12 | PTE_LEAF);
        fill(&s, 4 + j, FUZZ_FILL_RAMP, 0x100000 + j * 512);
    }
    set(&s, 5, 7, INVALID);               /* a hole */
    set(&s, 5, 8, 1ull << 63 | 0x123456); /* Linux's foreign-frame mark */
    set(&s, 5, 9, 1ull << 40);            /* not a machine frame */
    save(&s, dir, "list");

    /* The same leaves under a 2 MiB page. */
    p2m_head(&s, 0, 1500, 1, P2M_VADDR, 0, 2048);
    frames(&s, 7);
    set(&s, 0, idx(P2M_VADDR, 4), 2 << 12 | PTE);
    set(&s, 1, idx(P2M_VADDR, 3), 3 << 12 | PTE);
    set(&s, 2, idx(P2M_VADDR, 2), 5 << 12 | PTE_LARGE);
    for (unsigned j = 0; j < 3; j++)
        fill(&s, 4 + j, FUZZ_FILL_RAMP, 0x200000 + j * 512);
    save(&s, dir, "list-large-page");

    /* Absent parts sharing one all-invalid "missing" leaf (mfn 6), as Linux's p2m_missing. */
    p2m_head(&s, 0, 512 * 40, 1, P2M_VADDR, 0, 4096);
    frames(&s, 6);
    set(&s, 0, idx(P2M_VADDR, 4), 2 << 12 | PTE);
    set(&s, 1, idx(P2M_VADDR, 3), 3 << 12 | PTE);
    set(&s, 2, idx(P2M_VADDR, 2), 4 << 12 | PTE);
    fill(&s, 3, FUZZ_FILL_CONST, 6 << 12 | PTE_LEAF);
    set(&s, 3, idx(P2M_VADDR, 1), 5 << 12 | PTE_LEAF);
    fill(&s, 4, FUZZ_FILL_RAMP, 0x300000);
    fill(&s, 5, FUZZ_FILL_CONST, INVALID);
    save(&s, dir, "list-missing-shared");

    /* Every table entry pointing back at the root (cyclic). */
    p2m_head(&s, 0, 1ull << 24, 1, P2M_VADDR, 0, 4096);
    frames(&s, 1);
    fill(&s, 0, FUZZ_FILL_CONST, 1 << 12 | PTE);
    save(&s, dir, "list-cyclic");

    /* The largest p2m accepted (2^36 pfns) in one frame, whose entries name it and are no
       machine frame (max_mfn is below): 2^27 leaves, all the same empty one. */
    p2m_head(&s, 0, 1ull << 36, 1, P2M_VADDR, 0, 4096);
    memcpy(s.b + P2M_MAX_MFN_AT, "\x00\x10\x00\x00", 4); /* max_mfn 0x1000 */
    frames(&s, 1);
    fill(&s, 0, FUZZ_FILL_CONST, 1 << 12 | PTE);
    save(&s, dir, "list-huge-empty");
    set(&s, 0, 0, 1 << 12 | PTE_LEAF); /* the same, the tables no longer uniform */
    save(&s, dir, "list-huge-empty-mixed");
}

/* The 3-level tree: frame-list-list mfn 1 -> frame list mfn 2 -> leaves mfn 3, 4. */
static void p2m_tree(const char *dir)
{
    struct seed s;
    p2m_head(&s, 1, 1024, 0, 0, 1, 1024);
    frames(&s, 4);
    set(&s, 0, 0, 2);
    set(&s, 1, 0, 3);
    set(&s, 1, 1, 4);
    fill(&s, 2, FUZZ_FILL_RAMP, 0x400000);
    fill(&s, 3, FUZZ_FILL_RAMP, 0x400200);
    save(&s, dir, "tree");

    /* One frame list unreadable. */
    p2m_head(&s, 1, 600 * 512, 0, 0, 1, 8192);
    frames(&s, 4);
    fill(&s, 0, FUZZ_FILL_TABLE, 2); /* entries 2, 4098, ...: only the first is a frame */
    fill(&s, 1, FUZZ_FILL_RAMP, 3);
    fill(&s, 2, FUZZ_FILL_RAMP | FUZZ_UNREADABLE, 0x500000);
    save(&s, dir, "tree-unreadable");
}

/* HVM: which gfns exist is the memory's bits. */
static void p2m_hvm(const char *dir)
{
    struct seed s;
    p2m_head(&s, 2, 5000, 0, 0, 0, 0);
    s.b[2] = 1; /* one scan with frames paged out */
    frames(&s, 1);
    fill(&s, 0, FUZZ_FILL_CONST, 0xffff0000ffffffffull);
    save(&s, dir, "hvm");
    s.b[3] = 1; /* and Xen's absent gfns probed */
    save(&s, dir, "hvm-probe");
}

/* ---- pagewalk: u8 flags, maxphyaddr, nruns, stop_after; u16 max_table_walks, key; u64 cr3,
   max_pfn, vaddr_lo, vaddr_hi; runs {u16 gap, u16 count}; memory from pfn 0 --------------- */

static void walk_head(struct seed *s, unsigned flags, unsigned walks, uint64_t key, uint64_t cr3,
                      uint64_t max_pfn, uint64_t lo, uint64_t hi, unsigned nruns,
                      const uint16_t (*runs)[2])
{
    memset(s, 0, sizeof(*s));
    put(s, flags, 1);
    put(s, 0, 1); /* maxphyaddr: 52 */
    put(s, nruns, 1);
    put(s, 3, 1); /* stop_after */
    put(s, walks - 1, 2);
    put(s, key, 2);
    put(s, cr3, 8);
    put(s, max_pfn, 8);
    put(s, lo, 8);
    put(s, hi, 8);
    for (unsigned i = 0; i < nruns; i++) {
        put(s, runs[i][0], 2);
        put(s, runs[i][1] - 1u, 2);
    }
}

/* A kernel mapping at KERNEL_VADDR: L4 pfn 0 -> L3 pfn 1 -> L2 pfn 2 -> L1 pfn 3 mapping
   pfns 0x10.., and the direct map of the first 1 GiB at 0xffff888000000000. */
static void walk_linux(struct seed *s, uint64_t (*frame)(uint64_t))
{
    frames(s, 6);
    set(s, 0, idx(KERNEL_VADDR, 4), frame(1) << 12 | PTE);
    set(s, 1, idx(KERNEL_VADDR, 3), frame(2) << 12 | PTE);
    set(s, 2, idx(KERNEL_VADDR, 2), frame(3) << 12 | PTE);
    set(s, 2, idx(KERNEL_VADDR, 2) + 1, frame(0x200) << 12 | PTE_LARGE);
    fill(s, 3, FUZZ_FILL_TABLE, frame(0x10) << 12 | PTE_LEAF);
    set(s, 3, 5, 0); /* not present */
    set(s, 0, idx(0xffff888000000000ull, 4), frame(4) << 12 | PTE);
    set(s, 4, 0, frame(0) << 12 | PTE_LARGE);           /* 1 GiB page */
    set(s, 0, 510, frame(0) << 12 | PTE);               /* a self-map, as old kernels had */
    set(s, 0, 1, frame(5) << 12 | PTE);                 /* user space: a table with garbage */
    fill(s, 5, FUZZ_FILL_CONST, 0xdeadbeefcafe1067ull); /* garbage */
}

static uint64_t identity(uint64_t pfn)
{
    return pfn;
}

static uint64_t pv_frame(uint64_t pfn)
{
    return pfn ^ 0x2a;
}

static void walks(const char *dir)
{
    static const uint16_t runs[][2] = {{0, 8}, {8, 0x200}, {0x100, 0x400}};
    struct seed s;
    walk_head(&s, 0, 128, 0, 0, 0x100000, 0, UINT64_MAX, 0, NULL);
    walk_linux(&s, identity);
    save(&s, dir, "linux");

    walk_head(&s, 4, 128, 0, 0, 0x100000, 0, UINT64_MAX, 3, runs);
    walk_linux(&s, identity);
    save(&s, dir, "linux-sparse");

    walk_head(&s, 2 | 4, 128, 0x2a, pv_frame(0) << 12, 0x100000, 0, UINT64_MAX, 3, runs);
    walk_linux(&s, pv_frame);
    save(&s, dir, "pv");

    walk_head(&s, 0, 128, 0, 0x18, 0x100000, KERNEL_VADDR + 0x3000, KERNEL_VADDR + 0x2fffff, 0,
              NULL);
    walk_linux(&s, identity); /* cr3 with PCD and PWT set; a window in the kernel map */
    save(&s, dir, "window");

    walk_head(&s, 8 | 32, 3, 0, 0, 0x100000, 0, UINT64_MAX, 0, NULL);
    walk_linux(&s, identity); /* a budget of 3 table walks, and emit refusing */
    save(&s, dir, "budget");

    /* 5-level: L5 pfn 0 -> L4 pfn 1 -> L3 pfn 2 -> 1 GiB pages. */
    walk_head(&s, 1, 128, 0, 0, 0x100000, 0, UINT64_MAX, 0, NULL);
    frames(&s, 3);
    set(&s, 0, 0, 1 << 12 | PTE);
    set(&s, 0, 511, 1 << 12 | PTE);
    set(&s, 1, 3, 2 << 12 | PTE);
    fill(&s, 2, FUZZ_FILL_TABLE, 0x80 | PTE_LEAF);
    set(&s, 2, 7, 0x40000000ull | PTE_LARGE);
    save(&s, dir, "la57");

    /* Every entry of every level pointing at the root. */
    walk_head(&s, 0, 128, 0, 0, 0x100000, 0, UINT64_MAX, 0, NULL);
    frames(&s, 1);
    fill(&s, 0, FUZZ_FILL_CONST, PTE);
    save(&s, dir, "cyclic");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: seedgen DIR (writes DIR/p2m/ and DIR/pagewalk/)\n");
        return 2;
    }
    char p2m[512], pagewalk[512];
    snprintf(p2m, sizeof(p2m), "%s/p2m", argv[1]);
    snprintf(pagewalk, sizeof(pagewalk), "%s/pagewalk", argv[1]);
    p2m_list(p2m);
    p2m_tree(p2m);
    p2m_hvm(p2m);
    walks(pagewalk);
    return 0;
}
