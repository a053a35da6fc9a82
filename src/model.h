/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plain types that the modules hand each other: frame runs, vCPU registers, what Xen says of a
 * domain. No Xen header, no ELF header: src/xen/ translates Xen's structures into these.
 */
#ifndef XD_MODEL_H
#define XD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h" /* XD_PAGE_*, XD_CTX_SIZE, the description's numbers */

#define XD_BATCH 1024u /* frames per map call */

enum xd_domtype { XD_PV = XD_DESC_TYPE_PV, XD_HVM = XD_DESC_TYPE_HVM, XD_PVH = XD_DESC_TYPE_PVH };

/* A run of present pfns. Pages are numbered in pfn order across runs: `page` is the number
   of the run's first page - its place in the file's page data. */
struct xd_run {
    uint64_t pfn;
    uint64_t count;
    uint64_t page;
};

/* PV: a run of pfns whose machine frames are consecutive too (pfn + i -> mfn + i). The p2m is
   kept as these, run-length: as many as the guest's memory has machine-contiguous pieces
   (Xen allocates a PV guest in 2 MiB extents where it can: one per 512 pages or fewer), not
   one entry per page. */
struct xd_mrun {
    uint64_t pfn, mfn, count;
};

/* Which frames exist: runs sorted by pfn, and for PV their machine frames. */
struct xd_frames {
    struct xd_run *runs;
    size_t nruns, cap;
    struct xd_mrun *mruns; /* PV only: pfn ascending, covering exactly the runs' pfns */
    size_t nmruns, mcap;
    uint64_t npages;
    uint64_t invalid_entries; /* PV p2m entries that were rejected (out of range, duplicates) */
    uint64_t paged_missing;   /* HVM frames still paged out after the retries */
    uint64_t probed;          /* HVM: gfns Xen called absent that a mapping was asked about */
    bool probed_all;          /* HVM: every such gfn was (not only the ones Xen named lent) */
};

/* Segment register as QEMU's CPU-state note holds it. */
struct xd_seg {
    uint32_t selector, limit, flags;
    uint64_t base;
};

enum xd_vcpu_state {
    XD_VCPU_NONE = XD_DESC_VCPU_NONE,
    XD_VCPU_ONLINE = XD_DESC_VCPU_ONLINE,
    XD_VCPU_DOWN = XD_DESC_VCPU_DOWN
};

struct xd_vcpu {
    uint32_t id;
    int state; /* enum xd_vcpu_state; NONE: Xen has no context (never brought up) */
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    uint64_t fs_base, gs_base, kernel_gs_base;
    uint64_t cr[5];
    struct xd_seg cs, ds, es, fs, gs, ss, ldt, tr, gdt, idt; /* selectors, and bases if known */
    uint8_t ctx[XD_CTX_SIZE];                                /* Xen's raw vcpu_guest_context_t */
};

/* Xen's version, as its dump-core note carries it. */
struct xd_xenver {
    uint32_t major, minor;
    char extra[16];
    char compiler[64], compile_by[16], compile_domain[32], compile_date[32];
    char capabilities[1024];
    char changeset[64];
    uint64_t virt_start;
    uint64_t pagesize;
};

/* What Xen says of a domain. */
struct xd_dominfo {
    uint32_t domid;
    char name[64];
    int type; /* enum xd_domtype */
    uint8_t uuid[16];
    bool paused, shutdown, dying;
    unsigned shutdown_reason;
    uint64_t tot_pages, max_pages, paged_pages;
    uint32_t max_vcpu_id, nr_online_vcpus;
    uint64_t shared_info_frame;
};

/* PV p2m anchors from shared_info.arch. */
struct xd_p2m_anchors {
    uint64_t max_pfn;
    uint64_t fll_mfn; /* pfn_to_mfn_frame_list_list */
    uint64_t p2m_cr3; /* 0: no linear list */
    uint64_t p2m_vaddr;
    uint64_t p2m_generation;
};

/* A run of frames that could not be mapped, and why (positive errno). */
struct xd_badrun {
    uint64_t pfn, count;
    int32_t err;
};

#endif
