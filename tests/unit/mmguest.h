/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A synthetic Linux 6.1 guest for memmap.c's tests and fuzzer: 64 pfns of memory in an array,
 * 4-level page tables, a SPARSEMEM_EXTREME mem_section with 8-pfn sections (SECTION_SIZE_BITS
 * 15), a vmemmap of 64-byte struct pages laid out as 6.1's VMCOREINFO says (OFFSET(page.flags)=0,
 * compound_head 8, compound_dtor 16, compound_order 17, mapping 24, private 40, _mapcount 48),
 * and the VMCOREINFO text. Everything is plain data: a test changes what it wants after
 * mmg_build().
 *
 *   pfn 0..39   pages to classify (sections 0..4 present: pfns 0..39)
 *   pfn 40      the top page table (init_top_pgt = __START_KERNEL_map + 40 pages, phys_base 0)
 *   pfn 41..43  PDPT, PD, PT of the vmemmap region at MMG_VMEMMAP
 *   pfn 44..46  PDPT, PD, PT of the kernel-image map at __START_KERNEL_map
 *   pfn 48      the mem_section roots' page: SYMBOL(mem_section) = MMG_VMEMMAP + 2 pages
 *   pfn 49      root 0, the sections: MMG_VMEMMAP + 1 page
 *   pfn 50      the struct pages of pfns 0..63: MMG_VMEMMAP
 *   pfn 52      a kernel-image page (__START_KERNEL_map), then pfns 20 and 21 (image pages)
 */
#ifndef XDUMP_MMGUEST_H
#define XDUMP_MMGUEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vmci.h"

#define MMG_PFNS 64
#define MMG_PG 4096
#define MMG_VMEMMAP UINT64_C(0xffffea0000000000)
#define MMG_KMAP UINT64_C(0xffffffff80000000)
#define MMG_P 0x3 /* present, writable */

/* page flags (NUMBER(PG_*) below) */
#define MMG_LRU (1u << 4)
#define MMG_SLAB (1u << 9)
#define MMG_SWAPCACHE (1u << 10)
#define MMG_RESERVED (1u << 12)
#define MMG_PRIVATE (1u << 13)
#define MMG_HEAD (1u << 16)
#define MMG_SWAPBACKED (1u << 19)
#define MMG_HWPOISON (1u << 23)
#define MMG_BUDDY (-129)
#define MMG_OFFLINE (-257)

struct mmg {
    uint8_t mem[MMG_PFNS][MMG_PG];
    struct xd_vmci vmci;
};

static inline void mmg_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void mmg_pte(struct mmg *g, unsigned table, uint64_t va, unsigned level, uint64_t pfn)
{
    unsigned idx = (unsigned)(va >> (12 + 9 * level)) & 511;
    mmg_put64(g->mem[table] + 8 * idx, pfn << 12 | MMG_P);
}

/* struct page of pfn */
static inline uint8_t *mmg_page(struct mmg *g, unsigned pfn)
{
    return g->mem[50] + 64 * pfn;
}

static inline void mmg_set(struct mmg *g, unsigned pfn, uint64_t flags, uint64_t mapping,
                           uint64_t private, int32_t mapcount)
{
    uint8_t *p = mmg_page(g, pfn);
    mmg_put64(p, flags);
    mmg_put64(p + 24, mapping);
    mmg_put64(p + 40, private);
    uint32_t mc = (uint32_t)mapcount;
    memcpy(p + 48, &mc, 4);
}

/* A compound page of 2^order at pfn: head flags, the first tail's order and dtor, the tails'
   compound_head (the head's address | 1). */
static inline void mmg_compound(struct mmg *g, unsigned pfn, unsigned order, unsigned dtor)
{
    uint8_t *h = mmg_page(g, pfn);
    mmg_put64(h, (h[0] | (uint64_t)h[1] << 8 | (uint64_t)h[2] << 16) | MMG_HEAD);
    h[64 + 17] = (uint8_t)order;
    h[64 + 16] = (uint8_t)dtor;
    for (unsigned t = 1; t < (1u << order); t++)
        mmg_put64(mmg_page(g, pfn + t) + 8, (MMG_VMEMMAP + 64 * pfn) | 1);
}

static inline void mmg_vmci(struct mmg *g, const char *extra)
{
    int n = snprintf(g->vmci.text, sizeof(g->vmci.text),
                     "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
                     "SYMBOL(mem_section)=%llx\nSYMBOL(init_top_pgt)=%llx\n"
                     "LENGTH(mem_section)=1\nSIZE(mem_section)=16\n"
                     "OFFSET(mem_section.section_mem_map)=0\nSIZE(page)=64\n"
                     "OFFSET(page.flags)=0\nOFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"
                     "OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
                     "OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
                     "OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
                     "NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
                     "NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\n"
                     "NUMBER(PG_head_mask)=65536\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
                     "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
                     "NUMBER(SECTION_SIZE_BITS)=15\nNUMBER(MAX_PHYSMEM_BITS)=23\n"
                     "NUMBER(phys_base)=0\nNUMBER(pgtable_l5_enabled)=0\nNUMBER(sme_mask)=0\n"
                     "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n%s",
                     (unsigned long long)(MMG_VMEMMAP + 2 * MMG_PG),
                     (unsigned long long)(MMG_KMAP + 40 * MMG_PG), extra ? extra : "");
    g->vmci.len = (size_t)n < sizeof(g->vmci.text) ? (size_t)n : sizeof(g->vmci.text) - 1;
    g->vmci.found = true;
}

static inline void mmg_build(struct mmg *g)
{
    memset(g, 0, sizeof(*g));
    /* vmemmap: PML4[va] -> 41 -> 42 -> 43 -> pages 50, 49, 48 */
    mmg_pte(g, 40, MMG_VMEMMAP, 3, 41);
    mmg_pte(g, 41, MMG_VMEMMAP, 2, 42);
    mmg_pte(g, 42, MMG_VMEMMAP, 1, 43);
    mmg_pte(g, 43, MMG_VMEMMAP, 0, 50);
    mmg_pte(g, 43, MMG_VMEMMAP + MMG_PG, 0, 49);
    mmg_pte(g, 43, MMG_VMEMMAP + 2 * MMG_PG, 0, 48);
    /* the kernel-image map: pfns 52 and 20 */
    mmg_pte(g, 40, MMG_KMAP, 3, 44);
    mmg_pte(g, 44, MMG_KMAP, 2, 45);
    mmg_pte(g, 45, MMG_KMAP, 1, 46);
    mmg_pte(g, 46, MMG_KMAP, 0, 52);
    mmg_pte(g, 46, MMG_KMAP + MMG_PG, 0, 20);
    mmg_pte(g, 46, MMG_KMAP + 2 * MMG_PG, 0, 21);
    /* SYMBOL(mem_section) -> roots page (48): root[0] = the sections' page (49) */
    mmg_put64(g->mem[48], MMG_VMEMMAP + MMG_PG);
    /* sections 0..4 present: section_mem_map = vmemmap (mem_map - first pfn), | PRESENT */
    for (unsigned k = 0; k < 5; k++)
        mmg_put64(g->mem[49] + 16 * k, MMG_VMEMMAP | 1);
    mmg_vmci(g, NULL);
}

static inline int mmg_read(void *opaque, uint64_t pfn, void *buf)
{
    struct mmg *g = opaque;
    if (pfn >= MMG_PFNS)
        return -1;
    memcpy(buf, g->mem[pfn], MMG_PG);
    return 0;
}

/* PV's way: every table entry names frame pfn ^ 1 (and so must the CR3: 41 << 12 for pfn 40);
   mmg_flip translates back. */
static inline int mmg_flip(void *opaque, uint64_t frame, uint64_t *pfn)
{
    (void)opaque;
    *pfn = frame ^ 1;
    return 0;
}

static inline void mmg_to_frames(struct mmg *g)
{
    for (unsigned t = 40; t <= 46; t++)
        for (unsigned e = 0; e < 512; e++) {
            uint8_t *p = g->mem[t] + 8 * e;
            uint64_t v = 0;
            for (int i = 0; i < 8; i++)
                v |= (uint64_t)p[i] << (8 * i);
            if (v & 1)
                mmg_put64(p, v ^ (UINT64_C(1) << 12));
        }
}

/* read_pages: pages beyond the guest fail one by one (err), the call itself never */
static inline int mmg_read_pages(void *opaque, const uint64_t *pfns, size_t n, uint8_t *buf,
                                 int *err)
{
    for (size_t i = 0; i < n; i++)
        err[i] = mmg_read(opaque, pfns[i], buf + i * MMG_PG) < 0;
    return 0;
}

#endif
