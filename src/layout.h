/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file plan: decided whole before the first byte is written. A file keeps its notes in
 * room reserved before the pages (filled in at the end); a stream carries them after the pages. See
 * docs/FORMAT.md for the layout this computes.
 */
#ifndef XD_LAYOUT_H
#define XD_LAYOUT_H

#include "format.h"
#include "model.h"
#include "pagewalk.h"
#include "xenkdump.h"

struct xd_layout_in {
    int type; /* enum xd_domtype */
    const struct xd_frames *frames;
    const struct xd_vrange *vranges; /* virtual ranges, vaddr ascending (may be NULL) */
    size_t nvranges;
    /* A re-plan after the ranges were freed (vranges NULL): the virtual pieces the first plan
       counted, whose program headers the file already has. */
    uint64_t nvirt_kept;
    uint32_t nvcpus; /* max_vcpu_id + 1 */
    uint32_t nctx;   /* vCPUs with a context */
    bool have_shinfo;
    uint64_t fail_reserve;  /* unmappable-run entries room is kept for */
    bool notes_first;       /* notes between the program headers and the pages (a file; crash
                               reads its notes only from there); else after the index (a stream) */
    uint64_t pages_at;      /* 0, or the page data's offset kept from an earlier plan */
    uint64_t phdr_room;     /* program headers the head has room for (0: as many as it has); a
                               re-plan with more pieces than the first may then still fit */
    const struct xd_xk *xk; /* PV: the machine-addressed view for crash (NULL: none) */
};

struct xd_layout {
    uint64_t phnum, nphys, nvirt, shnum;
    uint64_t phdr_room;    /* program headers room was planned for: phnum or more */
    bool have_linear;      /* the kernel's linear map found among the virtual pieces */
    uint64_t linear_delta; /* its vaddr - paddr (PAGE_OFFSET for HVM/PVH) */
    uint64_t nmach;        /* machine-addressed PT_LOADs (PV), the synthetic one included */
    uint64_t xk_off;       /* the synthetic p2m pages (PV), after the index; 0: none */
    uint64_t pages_off, npages;
    uint64_t index_off, index_entsize;
    uint64_t notes_off, notes_size;
    uint64_t xen_notes_off, xen_notes_size; /* .note.Xen inside the notes */
    uint64_t fail_off;                      /* the XDUMP unmappable note */
    uint64_t prstatus_off;
    uint64_t shinfo_off; /* 0: none */
    uint64_t shstrtab_off, shstrtab_size;
    uint64_t shoff;
    uint64_t file_size;
};

/* Default room for unmappable runs: 64 + one per 512 pages. */
uint64_t xd_layout_fail_reserve(uint64_t npages);

/* Plans the file. Returns 0, or -1 when the input cannot be laid out (no frames). */
int xd_layout_plan(const struct xd_layout_in *in, struct xd_layout *out);

/* Where pfn's page is in the file: its offset, or 0 if the pfn is not in the dump. */
uint64_t xd_layout_pfn_offset(const struct xd_layout *l, const struct xd_frames *f, uint64_t pfn);

/* Calls fn for each virtual PT_LOAD piece, in program-header order: vaddr ascending, but the
   kernel's linear map (the direct map of RAM) last, where makedumpfile looks for it. Ranges are
   split where the file has no page and, PV, where machine frames stop being consecutive. paddr
   is what p_paddr says: the guest-physical address (HVM/PVH), the machine address (PV). */
typedef void (*xd_vpiece_fn)(void *ctx, uint64_t vaddr, uint64_t paddr, uint64_t npages,
                             uint64_t offset);
void xd_layout_vpieces(const struct xd_layout *l, const struct xd_layout_in *in, xd_vpiece_fn fn,
                       void *ctx);

#endif
