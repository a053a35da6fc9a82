/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's virtual address space, as a core should carry it for gdb: the ranges its page
 * tables map, walked (pagewalk.c) from the vCPUs' CR3s before the bulk copy. The kernel half
 * is walked once (every process shares it; a vCPU whose root differs there adds its own), the
 * user half from the first vCPU with a context (its current process). Ranges come out sorted by
 * virtual address, without overlaps, adjacent ones merged.
 */
#ifndef XD_VSPACE_H
#define XD_VSPACE_H

#include "model.h"
#include "p2m.h"
#include "pagewalk.h"

struct xd_vspace_in {
    int type; /* enum xd_domtype: PV tables hold machine frames */
    const struct xd_frames *frames;
    struct xd_m2p *m2p;          /* PV: the inverse of the p2m (tables hold machine frames) */
    const struct xd_vcpu *vcpus; /* with Xen's raw CR3 (for PV, a machine address) */
    uint32_t nvcpus;
    /* Reads guest page `pfn` (a table): 0, or -1 when it cannot be read. */
    int (*read_pfn)(void *ctx, uint64_t pfn, void *buf);
    void *ctx;
    uint64_t max_table_walks; /* for all the walks together; 0: pagewalk's default */
};

struct xd_vspace_stats {
    struct xd_walk_stats walk; /* summed over the walks */
    unsigned walks;
    bool stopped;        /* a walk hit its work bound: ranges beyond it are left out */
    uint64_t stop_vaddr; /* where */
};

/* Returns 0 with the ranges in *out (free() them), or a negative XDUMP_E_* (memory only: a
   table that cannot be read is skipped and counted, never fatal). */
int xd_vspace(const struct xd_vspace_in *in, struct xd_vrange **out, size_t *nout,
              struct xd_vspace_stats *st);

#endif
