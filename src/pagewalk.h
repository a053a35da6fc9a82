/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pagewalk: the virtual ranges an x86-64 guest's page tables map.
 *
 * gdb reads a core by virtual address only, so a dump needs PT_LOADs at the guest's kernel
 * virtual addresses. This module walks one address space (one CR3) and reports which virtual
 * ranges map which guest pfns. It knows nothing of Xen: guest memory is reached through
 * callbacks, so the walker is tested against page tables built in plain arrays.
 *
 * Guest page tables are untrusted input. The walk does a bounded amount of work whatever the
 * tables hold (loops, self-maps, garbage): it is counted in table walks, and every entry
 * reached from the tables costs at most a constant amount besides.
 */
#ifndef XD_PAGEWALK_H
#define XD_PAGEWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h" /* XD_PAGE_*, struct xd_run: plain types, no Xen */

/* Used when xd_walk_opts.max_table_walks is 0: 4 GiB of page tables, enough to map 2 TiB
 * with 4 KiB pages. */
#define XD_WALK_DEFAULT_MAX_TABLE_WALKS (UINT64_C(1) << 20)

/*
 * Reads the 4 KiB guest page `pfn` into buf (4096 bytes). Returns 0, or -1 if the pfn is
 * absent or unreadable. Called for page-table pages only, never for the pages they map.
 */
typedef int (*xd_read_page_fn)(void *opaque, uint64_t pfn, void *buf);

/*
 * Translates a frame number found in CR3 or in a page-table entry into a guest pfn. For HVM
 * and PVH guests that is the identity (pass NULL); PV guests' entries hold machine frame
 * numbers, and the caller supplies the inverse of the p2m. Returns 0 and sets *pfn, or -1 when
 * the frame is not the guest's: the entry is then skipped, never followed.
 */
typedef int (*xd_frame_to_pfn_fn)(void *opaque, uint64_t frame, uint64_t *pfn);

/* npages pages at vaddr map the contiguous pfns [pfn, pfn + npages). */
struct xd_vrange {
    uint64_t vaddr;
    uint64_t pfn;
    uint64_t npages;
};

struct xd_walk_opts {
    uint64_t cr3;     /* the root table; PCID and other low/high bits are ignored */
    bool la57;        /* CR4.LA57: 5-level paging, 57-bit virtual addresses */
    uint64_t max_pfn; /* pfns >= max_pfn do not exist; must be non-zero */
    /*
     * Optional: the pfns that exist, as runs sorted by pfn and not overlapping (p2m's
     * xd_frames.runs; only pfn and count are used). Pages outside them are left out of the
     * ranges, and tables outside them are not read. NULL: every pfn below max_pfn exists.
     */
    const struct xd_run *present;
    size_t npresent;
    /* Only [vaddr_lo, vaddr_hi] (inclusive) is walked; {0, UINT64_MAX} walks everything. */
    uint64_t vaddr_lo, vaddr_hi;
    /*
     * Work bound: how many table pages may be walked, each visit counted, including a table
     * reached again through another entry (those are served from a small cache when they can
     * be, and do not call read_page again). A large page translated frame by frame (PV) costs
     * one walk per 512 frames, what the tables mapping it with 4 KiB pages would cost.
     * 0: XD_WALK_DEFAULT_MAX_TABLE_WALKS.
     */
    uint64_t max_table_walks;
    /*
     * The physical-address width (CPUID 0x80000008 EAX[7:0]; for PV, the host's): entry bits
     * from it up to bit 51 are reserved, and an entry with any of them set is skipped. 0 means
     * 52: none reserved. Bits 52..63 (software, protection keys, NX) never make an entry
     * invalid.
     */
    unsigned maxphyaddr;
    /*
     * A last-level table whose 512 entries are all the same (one frame mapped 512 times over:
     * Linux's p2m_missing and p2m_identity pages, under every absent part of a PV guest's p2m
     * list) maps its frame at most max_repeats times in all such tables of the walk; the pages
     * beyond are counted in repeated_pages, not emitted. Places of the frame elsewhere are
     * emitted as always. 0: no cap. (Counted for the first 16 such frames of a walk.)
     */
    uint64_t max_repeats;
};

/* What a walk did, complete or not. */
struct xd_walk_stats {
    uint64_t table_walks;     /* table visits, unreadable ones included (the work bound) */
    uint64_t table_reads;     /* read_page calls (walks the cache could not serve) */
    uint64_t leaf_entries;    /* present, valid leaf entries (4 KiB, 2 MiB or 1 GiB) */
    uint64_t invalid_entries; /* present entries with reserved bits set: skipped */
    uint64_t skipped_tables;  /* tables not the guest's, beyond max_pfn, absent or unreadable */
    uint64_t skipped_pages;   /* 4 KiB pages mapped by valid leaves whose pfn does not exist */
    uint64_t repeated_pages;  /* pages of uniform tables left out by max_repeats */
    uint64_t pages;           /* 4 KiB pages in the ranges emitted */
    uint64_t ranges;          /* ranges emitted */
    uint64_t stop_vaddr;      /* after an E2BIG stop: the first virtual address not walked */
};

/* Receives one range; returns 0 to go on, or non-zero to stop the walk. */
typedef int (*xd_vrange_fn)(void *opaque, const struct xd_vrange *r);

/*
 * Walks the page tables under opts->cr3 and passes to emit, in ascending virtual-address
 * order, the ranges they map: virtual addresses in canonical form (sign-extended from bit 47,
 * or bit 56 with la57), clipped to [vaddr_lo, vaddr_hi] and to the pfns that exist, and merged
 * when both the virtual address and the pfn of one range continue the other. Not-present
 * entries, entries with reserved bits set, and frames that are not the guest's are skipped.
 *
 * Returns 0, or -1 with errno: E2BIG when the work bound stopped the walk (st->stop_vaddr says
 * where; every range emitted lies below it, and a walk from there can resume it), EFAULT when
 * the root table cannot be read, EINVAL for bad options, or the errno left by emit when it
 * stopped the walk (ECANCELED if it left none). st may be NULL.
 *
 * Costs at most max_table_walks table walks, each a read_page call unless cached. Each walk
 * looks at 512 entries, each entry costing a frame_to_pfn call and a binary search in
 * `present`, and a large page one step per run of `present` it overlaps.
 */
int xd_pagewalk_each(const struct xd_walk_opts *opts, xd_read_page_fn read_page,
                     xd_frame_to_pfn_fn frame_to_pfn, void *opaque, xd_vrange_fn emit,
                     void *emit_opaque, struct xd_walk_stats *st);

/*
 * The same walk, collecting the ranges into a malloc'ed array. Whatever it returns, *out and
 * *nout hold the ranges emitted until then (possibly NULL and 0), and the caller frees *out:
 * after an E2BIG stop they are a correct, if incomplete, answer. ENOMEM if the array cannot
 * grow.
 */
int xd_pagewalk(const struct xd_walk_opts *opts, xd_read_page_fn read_page,
                xd_frame_to_pfn_fn frame_to_pfn, void *opaque, struct xd_vrange **out, size_t *nout,
                struct xd_walk_stats *st);

#endif /* XD_PAGEWALK_H */
