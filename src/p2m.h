/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which frames exist. PV guests publish their pfn -> mfn map (the p2m) in their own memory:
 * the linear list at p2m_vaddr (mapped through the page tables at p2m_cr3) or the 3-level
 * frame-list tree. HVM/PVH guests are asked about (getpageframeinfo3) gfn by gfn in batches.
 * Guest memory is untrusted: every entry is validated, every loop bounded.
 * No Xen calls here: frames are read through xd_guest_ops, so this is tested without Xen.
 */
#ifndef XD_P2M_H
#define XD_P2M_H

#include "model.h"

struct xd_guest_ops {
    void *ctx;
    /* Reads frames[0..n) (n <= XD_BATCH) into buf; err[i] = 0 or a positive errno. Returns 0
       or a negative XDUMP_E_* status. */
    int (*read_frames)(void *ctx, const uint64_t *frames, size_t n, uint8_t *buf, int *err);
    /* HVM: present[i] = whether gfn first + i exists (n <= XD_BATCH). */
    int (*frames_exist)(void *ctx, uint64_t first, size_t n, uint8_t *present);
    /* Frames of the domain currently paged out (HVM memory paging). */
    int (*paged_pages)(void *ctx, uint64_t *paged);
    /* Last error message of the above. */
    const char *(*error)(void *ctx);
    /* Optional (NULL: not asked): mappable[i] = whether frame i can be mapped after all - Xen
       answers "no page" for frames it counts as special (shared_info, grant frames placed in
       the guest's physmap) and for paged-out ones, which a mapping reaches. n <= XD_BATCH. */
    int (*probe_frames)(void *ctx, const uint64_t *frames, size_t n, uint8_t *mappable);
    /* Optional (NULL: Xen cannot say): the frames Xen names as the pages it lends the guest,
       sorted, in a malloc'd *frames. Returns 1 when named, 0 when Xen cannot say, or a
       negative XDUMP_E_* status. */
    int (*lent_frames)(void *ctx, uint64_t **frames, size_t *n);
    /* Optional: the dump's stop flag (xdump_options.stop), polled between batches of the HVM
       gfn scan - a span of 2^28 gfns is 256k hypercalls, minutes of a paused guest. */
    volatile int *stop;
};

/* Upper bound on the pfn space we accept from a guest: 2^36 frames (256 TiB). */
#define XD_P2M_MAX_PFNS (1ull << 36)

/* PV: enumerates through the guest's p2m. max_mfn bounds valid entries; tot_pages bounds how
   many present frames the guest may claim. Returns 0 or a negative XDUMP_E_* with a message. */
int xd_p2m_pv(const struct xd_guest_ops *ops, const struct xd_p2m_anchors *a, uint64_t max_mfn,
              uint64_t tot_pages, struct xd_frames *out, char *err, size_t errlen);

/* HVM/PVH: enumerates gfns 0..max_gpfn that exist. Of the gfns Xen calls absent, those it
   names as lent are probed by a mapping - or all of them when probe_all, when Xen cannot say
   which it lent, or while frames are paged out (Xen calls those absent too). */
int xd_p2m_hvm(const struct xd_guest_ops *ops, uint64_t max_gpfn, bool probe_all,
               struct xd_frames *out, char *err, size_t errlen);

/* Appends pfn (and its mfn, for PV; pass `with_mfn` false for HVM) in ascending order. */
int xd_frames_add(struct xd_frames *f, uint64_t pfn, bool with_mfn, uint64_t mfn);
void xd_frames_free(struct xd_frames *f);

/* PV: machine frame -> pfn, for the page walk and CR3 translation. Two sources:
   - Xen's M2P (xd_m2p_use()): ask(ctx, mfn, &pfn) reads the table's entry. The guest writes
     the entries of its own frames (src/xen/m2p.c), so an answer is believed only when the p2m
     leads back: p2m[pfn] == mfn. The p2m piece of a believed answer then answers for its other
     frames without asking. Nothing is kept per page or per piece: flat in the guest's size.
     A frame whose entry does not lead back is not the guest's, as far as the walk goes: it is
     not followed (a table) and no virtual range maps it (a page) - never placed elsewhere.
   - xdump's own inverse (xd_m2p_build()), when Xen's table cannot be read: the p2m's pieces
     sorted by mfn and made disjoint (a frame the p2m names twice answers its first pfn), 24
     bytes per machine-contiguous piece and as much again while it is sorted.
   Either way every answer is a pfn whose p2m entry is that frame. */
struct xd_m2p {
    struct xd_mrun *e; /* the built inverse, or NULL */
    size_t n;
    int (*ask)(void *ctx, uint64_t mfn, uint64_t *pfn); /* Xen's table: 0, or -1 (no answer) */
    void *ctx;
    const struct xd_frames *f;
    const struct xd_mrun *last; /* the p2m piece of the last believed answer */
    uint64_t asked;             /* entries read from Xen's table */
    uint64_t refused;           /* of which named a pfn (not Xen's no-pfn markers) the p2m does not
                                   lead back from: another frame's, or none */
    uint64_t unanswered;        /* entries that could not be read */
};
/* Builds it from a PV enumeration: 0, or -1 (out of memory). */
int xd_m2p_build(const struct xd_frames *f, struct xd_m2p *m);
/* Uses Xen's table through ask, checked against f (which must outlive m's use). */
void xd_m2p_use(struct xd_m2p *m, const struct xd_frames *f,
                int (*ask)(void *ctx, uint64_t mfn, uint64_t *pfn), void *ctx);
/* The pfn of a machine frame the guest owns; false for any other frame. */
bool xd_m2p_lookup(struct xd_m2p *m, uint64_t mfn, uint64_t *pfn);
void xd_m2p_free(struct xd_m2p *m);
/* The run holding pfn (binary search), or NULL. */
const struct xd_run *xd_frames_run(const struct xd_frames *f, uint64_t pfn);
/* Finds pfn: its page number (place in the file's page data) in *page. */
bool xd_frames_find(const struct xd_frames *f, uint64_t pfn, uint64_t *page);

/* PV: the machine-contiguous piece holding pfn (binary search over f->mruns), or NULL. */
const struct xd_mrun *xd_frames_mrun(const struct xd_frames *f, uint64_t pfn);
/* PV: the index of the first piece ending above pfn (f->nmruns if none): where a walk of the
   pieces from pfn on starts. */
size_t xd_frames_mrun_at(const struct xd_frames *f, uint64_t pfn);
/* PV: the mfn of pfn, if present. */
bool xd_frames_mfn_of(const struct xd_frames *f, uint64_t pfn, uint64_t *mfn);
/* PV: the mfn of the i-th page of run r (a search: walk f->mruns in order where pages are
   taken one after another). */
uint64_t xd_frames_mfn(const struct xd_frames *f, const struct xd_run *r, uint64_t i);

#endif
