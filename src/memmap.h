/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memmap: makedumpfile's dump levels 2-31 from dom0 - which pfns of a Linux guest a kdump file
 * may leave out, decided from the guest's own struct pages, read through its page tables, with
 * no vmlinux: every number comes from the guest's VMCOREINFO (vmci.h).
 *
 * The walk (makedumpfile 1.7.2, makedumpfile.c: get_mm_sparsemem(), section_mem_map_addr(),
 * sparse_decode_mem_map(); Linux 6.1 include/linux/mmzone.h): SYMBOL(mem_section) is the root
 * array of SPARSEMEM_EXTREME (LENGTH(mem_section) roots of PAGE_SIZE / SIZE(mem_section)
 * sections each); a section's section_mem_map, present when bit 0 (SECTION_MARKED_PRESENT) is
 * set, holds its mem_map minus its first pfn's struct page, flags in the low 5 bits
 * (SECTION_MAP_LAST_BIT). The root page table is SYMBOL(init_top_pgt) - __START_KERNEL_map +
 * NUMBER(phys_base) (makedumpfile arch/x86_64.c, vtop4_x86_64()).
 *
 * The rules, one struct page at a time, the first that applies (__exclude_unnecessary_pages(),
 * makedumpfile.c 1.7.2; the flag names are Linux 6.1 include/linux/page-flags.h's):
 *   - a compound tail (compound_head & 1): decided with its head;
 *   - free (16): _mapcount == PAGE_BUDDY_MAPCOUNT_VALUE and not PG_slab (page_is_buddy_v3());
 *     the whole buddy block, 2^private pages, private < LENGTH(zone.free_area);
 *   - cache (2): cache (PG_lru, or PG_swapbacked and PG_swapcache: is_cache_page()), not
 *     PG_private, not anonymous (mapping & 1 and not a slab page: isAnon());
 *   - cache (4): cache and not anonymous, PG_private or not;
 *   - user (8): anonymous, or a hugetlb head (compound_dtor == HUGETLB_PAGE_DTOR: isHugetlb());
 *   - hwpoison (PG_hwpoison) and offline (_mapcount == PAGE_OFFLINE_MAPCOUNT_VALUE, not
 *     PG_slab: isOffline()): at every level (makedumpfile drops them whatever the level);
 *   a compound head's class covers its 2^order pages (the order is the byte at
 *   OFFSET(page.compound_order) of the first tail, rejected when not aligned).
 * "PG_slab" is, on Linux 6.10 and later (which have no such flag), _mapcount ==
 * NUMBER(PAGE_SLAB_MAPCOUNT_VALUE) (makedumpfile 72c3414, isSlab()); 6.12 exports no
 * OFFSET(page.compound_order) or compound_dtor either, so there a head is decided alone and its
 * tails kept, and no hugetlb page is taken for user memory (found on Debian 13's guest on real
 * Xen, tests/realxen/README.md; not a full port of makedumpfile's 6.12 rules).
 * Zero pages (1) are the writer's (diskdump.h), by content.
 *
 * Kept whatever the rules say: the live kernel image - pages the kernel-image map maps
 * (__START_KERNEL_map .. + KERNEL_IMAGE_SIZE) that are PG_reserved (bit 12 in 6.1's enum
 * pageflags, not exported: believed when PG_lru, PG_slab, PG_swapcache and PG_private are
 * 6.1's), or, without that bit, that are not free. Linux frees its init and gap pages to the
 * buddy allocator unreserved (free_kernel_image_pages() in arch/x86/mm/init.c,
 * free_reserved_page()) and unmaps them from that map only with PTI, so they are reused as
 * any page. And every page-table page the walks read.
 *
 * Guest memory is untrusted: each loop is bounded by the pfns that exist, every read is one
 * page the caller checks, the page-table walks share a work bound. What the filter cannot
 * trust - a missing memory-model entry, an absurd number, a section whose struct pages are not
 * mapped - makes it fail with a reason: the caller then keeps every page (dump level & 1).
 */
#ifndef XD_MEMMAP_H
#define XD_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "pagewalk.h"
#include "vmci.h"

/* makedumpfile's dump-level bits (makedumpfile.h DL_EXCLUDE_*) */
#define XD_DL_ZERO 1
#define XD_DL_CACHE 2
#define XD_DL_CACHE_PRI 4
#define XD_DL_USER 8
#define XD_DL_FREE 16

#define XD_MM_BATCH 64 /* pages of struct pages a read_pages call */

struct xd_mm_in {
    const struct xd_vmci *vmci;   /* found */
    int level;                    /* makedumpfile's dump level, 0..31 */
    uint64_t max_pfn;             /* pfns >= max_pfn do not exist */
    const struct xd_run *present; /* the pfns that exist, sorted (xd_frames.runs) */
    size_t npresent;
    uint64_t cr3;    /* a vCPU's CR3 (PV: a machine frame's address) */
    bool prefer_cr3; /* walk from cr3, not init_top_pgt (whose pfn PV tables do not hold) */
    xd_read_page_fn read_page;
    /* Optional: n (<= XD_MM_BATCH) pages by pfn into buf at once, err[i] 0 or not per page;
       0, or -1 when none could be read. The struct pages are read this way, a stretch of
       guest-contiguous pages a call (NULL: read_page, one a call). */
    int (*read_pages)(void *opaque, const uint64_t *pfns, size_t n, uint8_t *buf, int *err);
    xd_frame_to_pfn_fn frame_to_pfn; /* NULL: table entries hold pfns (HVM, PVH) */
    void *opaque;
};

/* What the filter decided, in pages (a page counted once, in the first class that took it). */
struct xd_mm_stats {
    uint64_t sections;     /* present sections holding pfns of the guest */
    uint64_t struct_pages; /* struct pages looked at */
    uint64_t page_reads;   /* pages of struct pages read */
    uint64_t table_reads;  /* page-table pages read (all kept) */
    uint64_t cache, cache_private, user, free, hwpoison, offline; /* excluded, by class */
    uint64_t image_kept; /* pages of the kernel-image map kept against a rule (hwpoisoned or
                            offline there: not believed) */
    uint64_t excluded;   /* present pfns excluded in all */
};

/*
 * Sets bit p (bit p & 7 of byte p >> 3) of excl, (max_pfn + 7) / 8 bytes zeroed by the caller,
 * for each pfn the level leaves out. Returns 0, or -1 with the reason in why (excl is then
 * to be ignored: keep every page).
 */
int xd_memmap_filter(const struct xd_mm_in *in, uint8_t *excl, struct xd_mm_stats *st, char *why,
                     size_t whylen);

#endif
