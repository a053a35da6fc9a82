/* SPDX-License-Identifier: GPL-2.0-or-later */
/* src/memmap.c, the dump levels' mem_map filter, on a synthetic Linux 6.1 guest (mmguest.h):
   each makedumpfile 1.7.2 rule (__exclude_unnecessary_pages()) at each level bit, the pages kept
   whatever the rules say, and the mem_maps it must refuse to trust. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "memmap.h"
#include "mmguest.h"

static struct mmg *g;
static struct xd_run all = {.pfn = 0, .count = MMG_PFNS};
static uint8_t excl[MMG_PFNS / 8];
static struct xd_mm_stats st;
static char why[256];

static void setup(void)
{
    g = malloc(sizeof(*g));
    mmg_build(g);
    /* the classes (pfn: what) */
    mmg_set(g, 1, MMG_LRU, 0x1000, 0, -1);                       /* cache */
    mmg_set(g, 2, MMG_LRU | MMG_PRIVATE, 0x1000, 0, -1);         /* cache, private */
    mmg_set(g, 3, MMG_LRU | MMG_SWAPBACKED, 0x2001, 0, 0);       /* anonymous */
    mmg_set(g, 4, 0, 0, 2, MMG_BUDDY);                           /* free, order 2: 4..7 */
    mmg_set(g, 8, MMG_SWAPCACHE | MMG_SWAPBACKED, 0x1000, 0, 0); /* swap cache */
    mmg_set(g, 9, MMG_SWAPCACHE, 0x1000, 0, 0);                  /* not cache: no swapbacked */
    mmg_set(g, 10, MMG_SLAB, 0, 0, MMG_BUDDY);                   /* slab: never buddy */
    mmg_set(g, 11, 0, 0, 0, MMG_OFFLINE);                        /* offline */
    mmg_set(g, 12, MMG_HWPOISON, 0, 0, -1);                      /* hwpoison */
    mmg_set(g, 13, MMG_SLAB, 0, 0, MMG_OFFLINE);                 /* slab: not offline */
    mmg_set(g, 16, MMG_LRU | MMG_SWAPBACKED, 0x2001, 0, 0);      /* anonymous THP 16..19 */
    mmg_compound(g, 16, 2, 0);
    mmg_set(g, 20, MMG_LRU | MMG_RESERVED, 0x1000, 0, -1); /* the live image */
    mmg_set(g, 21, MMG_LRU, 0x1000, 0, -1);                /* a freed image page reused: cache */
    mmg_set(g, 24, 0, 0x1000, 0, 0);                       /* hugetlb 24..25 */
    mmg_compound(g, 24, 1, 2);
    mmg_set(g, 28, 0, 0, 12, MMG_BUDDY);               /* order >= free_area */
    mmg_set(g, 30, MMG_LRU | MMG_HEAD, 0x1000, 0, -1); /* head misaligned */
    mmg_page(g, 31)[17] = 2;
    mmg_set(g, 32, 0, 0, 3, MMG_BUDDY); /* free, order 3: 32..39 */
}

static void teardown(void)
{
    free(g);
}

static int run(int level)
{
    memset(excl, 0, sizeof(excl));
    struct xd_mm_in in = {.vmci = &g->vmci,
                          .level = level,
                          .max_pfn = MMG_PFNS,
                          .present = &all,
                          .npresent = 1,
                          .read_page = mmg_read,
                          .opaque = g};
    why[0] = 0;
    return xd_memmap_filter(&in, excl, &st, why, sizeof(why));
}

static bool out(unsigned pfn)
{
    return excl[pfn >> 3] >> (pfn & 7) & 1;
}

/* The pfns left out, as a string of their numbers. */
static const char *outs(void)
{
    static char s[512];
    size_t n = 0;
    s[0] = 0;
    for (unsigned p = 0; p < MMG_PFNS; p++)
        if (out(p))
            n += (size_t)snprintf(s + n, sizeof(s) - n, "%u ", p);
    return s;
}

TestSuite(memmap, .init = setup, .fini = teardown);

Test(memmap, level2_noncache_private_kept)
{
    cr_assert_eq(run(2), 0, "%s", why);
    /* cache 1, swap cache 8, a misaligned head decided alone 30; offline 11, hwpoison 12 at
       every level; cache 20 is the image's */
    cr_assert_str_eq(outs(), "1 8 11 12 21 30 ");
    cr_assert_eq(st.cache, 4);
    cr_assert_eq(st.image_kept, 1);
    cr_assert_eq(st.offline, 1);
    cr_assert_eq(st.hwpoison, 1);
}

Test(memmap, level4_cache_private_too)
{
    cr_assert_eq(run(4), 0, "%s", why);
    cr_assert_str_eq(outs(), "1 2 8 11 12 21 30 ");
    cr_assert_eq(st.cache_private, 1);
}

Test(memmap, level8_anonymous_thp_hugetlb)
{
    cr_assert_eq(run(8), 0, "%s", why);
    /* anonymous 3, the THP's four pages, hugetlb's two */
    cr_assert_str_eq(outs(), "3 11 12 16 17 18 19 24 25 ");
    cr_assert_eq(st.user, 7);
}

Test(memmap, level16_buddy_blocks)
{
    cr_assert_eq(run(16), 0, "%s", why);
    /* 4..7 and 32..39; slab 10 with the buddy value and order 12 (28) kept */
    cr_assert_str_eq(outs(), "4 5 6 7 11 12 32 33 34 35 36 37 38 39 ");
    cr_assert_eq(st.free, 12);
}

Test(memmap, level31_all)
{
    cr_assert_eq(run(31), 0, "%s", why);
    cr_assert_str_eq(outs(),
                     "1 2 3 4 5 6 7 8 11 12 16 17 18 19 21 24 25 30 32 33 34 35 36 37 38 39 ");
    cr_assert_eq(st.excluded, 26);
    cr_assert_eq(st.sections, 5);
    cr_assert_eq(st.page_reads, 1);
}

Test(memmap, level1_reads_but_leaves_only_offline_hwpoison)
{
    cr_assert_eq(run(1), 0, "%s", why);
    cr_assert_str_eq(outs(), "11 12 ");
}

Test(memmap, page_tables_read_are_kept)
{
    /* section 5 (pfns 40..47) present, the top table's struct page says free */
    mmg_put64(g->mem[49] + 16 * 5, MMG_VMEMMAP | 1);
    mmg_set(g, 40, 0, 0, 0, MMG_BUDDY);
    mmg_set(g, 47, 0, 0, 0, MMG_BUDDY);
    cr_assert_eq(run(16), 0, "%s", why);
    cr_assert(!out(40));
    cr_assert(out(47));
}

Test(memmap, free_pages_of_the_image_map_go)
{
    mmg_set(g, 20, 0, 0, 0, MMG_BUDDY);
    cr_assert_eq(run(16), 0, "%s", why);
    cr_assert(out(20));
}

Test(memmap, holes_and_absent_sections_kept)
{
    struct xd_run two[2] = {{.pfn = 0, .count = 4}, {.pfn = 8, .count = 56}};
    mmg_put64(g->mem[49] + 16 * 4, 0); /* section 4 (32..39) not present */
    memset(excl, 0, sizeof(excl));
    struct xd_mm_in in = {.vmci = &g->vmci,
                          .level = 31,
                          .max_pfn = MMG_PFNS,
                          .present = two,
                          .npresent = 2,
                          .read_page = mmg_read,
                          .opaque = g};
    cr_assert_eq(xd_memmap_filter(&in, excl, &st, why, sizeof(why)), 0, "%s", why);
    /* pfn 4, the buddy head, is not present: 5..7 are not reached as its block */
    cr_assert_str_eq(outs(), "1 2 3 8 11 12 16 17 18 19 21 24 25 30 ");
}

Test(memmap, no_init_top_pgt_uses_cr3)
{
    char *t = strstr(g->vmci.text, "SYMBOL(init_top_pgt)");
    t[0] = 'X'; /* the key is gone */
    memset(excl, 0, sizeof(excl));
    struct xd_mm_in in = {.vmci = &g->vmci,
                          .level = 31,
                          .max_pfn = MMG_PFNS,
                          .present = &all,
                          .npresent = 1,
                          .cr3 = 40 << 12,
                          .read_page = mmg_read,
                          .opaque = g};
    cr_assert_eq(xd_memmap_filter(&in, excl, &st, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(st.excluded, 26);
}

Test(memmap, batched_reads_same_answer)
{
    /* the sections' page moved from pfn 49 to 51, right after the struct pages' (50) in the
       guest and in the vmemmap: both are read with one call */
    memcpy(g->mem[51], g->mem[49], MMG_PG);
    mmg_pte(g, 43, MMG_VMEMMAP + MMG_PG, 0, 51);
    memset(excl, 0, sizeof(excl));
    struct xd_mm_in in = {.vmci = &g->vmci,
                          .level = 31,
                          .max_pfn = MMG_PFNS,
                          .present = &all,
                          .npresent = 1,
                          .read_page = mmg_read,
                          .read_pages = mmg_read_pages,
                          .opaque = g};
    cr_assert_eq(xd_memmap_filter(&in, excl, &st, why, sizeof(why)), 0, "%s", why);
    cr_assert_str_eq(outs(),
                     "1 2 3 4 5 6 7 8 11 12 16 17 18 19 21 24 25 30 32 33 34 35 36 37 38 39 ");
}

Test(memmap, pv_frames_through_the_callback)
{
    mmg_to_frames(g); /* the tables now hold frames pfn ^ 1: read as pfns they are wrong */
    memset(excl, 0, sizeof(excl));
    struct xd_mm_in in = {.vmci = &g->vmci,
                          .level = 31,
                          .max_pfn = MMG_PFNS,
                          .present = &all,
                          .npresent = 1,
                          .cr3 = 41 << 12,
                          .prefer_cr3 = true,
                          .read_page = mmg_read,
                          .frame_to_pfn = mmg_flip,
                          .opaque = g};
    cr_assert_eq(xd_memmap_filter(&in, excl, &st, why, sizeof(why)), 0, "%s", why);
    cr_assert_str_eq(outs(),
                     "1 2 3 4 5 6 7 8 11 12 16 17 18 19 21 24 25 30 32 33 34 35 36 37 38 39 ");
}

/* ---- what must not be trusted -------------------------------------------------------------- */

Test(memmap, unmapped_vmemmap_refused)
{
    mmg_put64(g->mem[43], 0); /* the struct pages' page is not mapped */
    cr_assert_eq(run(31), -1);
    cr_assert(strstr(why, "not mapped"), "%s", why);
}

Test(memmap, unreadable_struct_pages_refused)
{
    mmg_pte(g, 43, MMG_VMEMMAP, 0, 63 + 1000); /* beyond memory */
    cr_assert_eq(run(31), -1);
}

Test(memmap, missing_memory_model_refused)
{
    strstr(g->vmci.text, "SYMBOL(mem_section)")[0] = 'X';
    cr_assert_eq(run(31), -1);
    cr_assert(strstr(why, "memory model"), "%s", why);
}

Test(memmap, wrong_root_count_refused)
{
    mmg_vmci(g, "");
    char *l = strstr(g->vmci.text, "LENGTH(mem_section)=1");
    l[20] = '7';
    cr_assert_eq(run(31), -1);
    cr_assert(strstr(why, "LENGTH(mem_section)"), "%s", why);
}

Test(memmap, absurd_sizes_refused)
{
    strstr(g->vmci.text, "SIZE(page)=64")[11] = '9'; /* 94: not a divisor of a page */
    cr_assert_eq(run(31), -1);
    mmg_vmci(g, NULL);
    strstr(g->vmci.text, "NUMBER(sme_mask)=0")[17] = '1';
    cr_assert_eq(run(31), -1);
    cr_assert(strstr(why, "sme_mask"), "%s", why);
}

Test(memmap, unaligned_root_refused)
{
    mmg_put64(g->mem[48], MMG_VMEMMAP + MMG_PG + 8);
    cr_assert_eq(run(31), -1);
    cr_assert(strstr(why, "aligned"), "%s", why);
}

/* A root aligned to a cache line only, as Linux's memblock allocates it (memmap.c ROOT_ALIGN):
   the last 64 bytes of page 49 hold sections 0..3, section 4 is at the start of the next
   virtual page (48, whose root pointer moves to 0x800): the same pfns left out as before. */
Test(memmap, cacheline_aligned_root_across_pages)
{
    cr_assert_eq(run(31), 0, "%s", why);
    char before[512];
    snprintf(before, sizeof(before), "%s", outs());
    memset(g->mem[49], 0, MMG_PG);
    for (unsigned k = 0; k < 4; k++)
        mmg_put64(g->mem[49] + 0xfc0 + 16 * k, MMG_VMEMMAP | 1);
    mmg_put64(g->mem[48], MMG_VMEMMAP | 1);
    mmg_put64(g->mem[48] + 0x800, MMG_VMEMMAP + MMG_PG + 0xfc0);
    char *sym = strstr(g->vmci.text, "SYMBOL(mem_section)=ffffea0000002000");
    cr_assert(sym);
    sym[strlen("SYMBOL(mem_section)=ffffea000000") + 1] = '8';
    cr_assert(strstr(g->vmci.text, "SYMBOL(mem_section)=ffffea0000002800"), "%s", g->vmci.text);
    cr_assert_eq(run(31), 0, "%s", why);
    cr_assert_str_eq(outs(), before);
    cr_assert_eq(st.sections, 5);
}

/* Linux 6.12 (Debian 13's guest on real Xen): no PG_slab; a slab page is typed by
   PAGE_SLAB_MAPCOUNT_VALUE in _mapcount, and its struct slab puts a partial slab's count (1)
   where mapping is: kept, not taken for an anonymous page (a task_struct slab was dropped). */
Test(memmap, typed_slab_page_kept)
{
    mmg_vmci(g, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n");
    strstr(g->vmci.text, "NUMBER(PG_slab)=9")[10] = 'X'; /* no PG_slab */
    mmg_set(g, 14, 0, 0x1, 0, (int32_t)0xf5000000);      /* slab, `slabs` = 1 */
    mmg_set(g, 15, 0, 0x2001, 0, 0);                     /* anonymous */
    cr_assert_eq(run(8), 0, "%s", why);
    cr_assert(!out(14), "%s", outs());
    cr_assert(out(15), "%s", outs());
}

Test(memmap, no_vmcoreinfo_refused)
{
    g->vmci.found = false;
    cr_assert_eq(run(31), -1);
}

Test(memmap, page_table_loop_bounded)
{
    mmg_pte(g, 43, MMG_VMEMMAP, 0, 40); /* the struct pages "are" the top table */
    mmg_pte(g, 42, MMG_VMEMMAP, 1, 40); /* and the PD points back to the top */
    int rc = run(31);
    cr_assert(rc == 0 || rc == -1);
}
