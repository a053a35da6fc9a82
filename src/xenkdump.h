/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A PV core as crash reads a Xen kdump (docs/FORMAT.md, "PV cores"): crash translates
 * a PV guest's page tables, which hold machine frames, only when the dump is addressed by
 * machine frame and a Xen CRASH_INFO note names the machine frame of a p2m frame-list list.
 * Linux keeps its p2m as a virtual list nowadays (no frame-list list for tools), so xdump
 * writes one of its own: a few pages built from the p2m it dumped, placed at machine frames
 * above every frame of the guest and marked as xdump's in their PT_LOAD.
 */
#ifndef XD_XENKDUMP_H
#define XD_XENKDUMP_H

#include <stdint.h>

#include "model.h"

/* crash reads at most 512 frame lists of 512 p2m pages: the first 2^27 pfns (512 GiB). */
#define XD_XK_MAX_PFNS (512ull * 512 * 512)

struct xd_xk {
    uint64_t base_mfn; /* the first synthetic machine frame: the frame-list list */
    uint64_t np2m;     /* p2m pages the frame lists name (ceil(pfns covered / 512)) */
    uint64_t nfl;      /* frame-list pages */
    uint32_t *present; /* p2m page numbers holding at least one pfn of the dump, ascending
                          (< XD_XK_MAX_PFNS / 512: 32 bits, half the memory of 64) */
    uint64_t npresent;
    uint64_t npages;    /* synthetic pages: the list, the frame lists, one empty p2m page,
                           one per present p2m page */
    uint64_t truncated; /* pfns of the dump beyond XD_XK_MAX_PFNS (crash cannot reach them) */
};

/* Plans the synthetic pages for PV frames f: 0, or -1 (out of memory). */
int xd_xk_plan(const struct xd_frames *f, struct xd_xk *x);
/* Writes synthetic page k (0 <= k < x->npages) into page (4096 bytes). */
void xd_xk_page(const struct xd_xk *x, const struct xd_frames *f, uint64_t k, uint8_t *page);
void xd_xk_free(struct xd_xk *x);

/* Machine-contiguous pieces of the dump's pages (a run split wherever its mfns are not
   consecutive): calls fn for each; returns how many. fn may be NULL (counting only). */
typedef void (*xd_mpiece_fn)(void *ctx, uint64_t mfn, uint64_t page, uint64_t npages);
uint64_t xd_xk_machine_pieces(const struct xd_frames *f, xd_mpiece_fn fn, void *ctx);

#endif
