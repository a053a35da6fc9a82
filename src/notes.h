/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Note payloads of the core (docs/FORMAT.md, "Notes"; their layouts are format.h's): sizes
   first, then the bytes. */
#ifndef XD_NOTES_H
#define XD_NOTES_H

#include "format.h"
#include "model.h"

struct xd_dumpdesc {
    uint32_t domid, type, nr_vcpus;
    uint8_t uuid[16];
    char name[XD_DESC_NAME_LEN];
    uint64_t tot_pages, nr_pages, max_pfn, flags, started;
    uint32_t shutdown_reason, xen_version;
    const uint8_t *vcpu_state; /* nr_vcpus entries, enum xd_vcpu_state */
};

/* How a --precopy core was taken (format.h, XD_NT_PRECOPY). */
struct xd_precopy_note {
    uint32_t rounds, flags; /* XD_PRECOPY_F_* */
    uint64_t pause_us, final_pages, recopied, running_us;
    uint32_t budget_ms;
};

/* Everything the PT_NOTE segment holds. */
struct xd_notes_in {
    const struct xd_vcpu *vcpus; /* nvcpus; those with state NONE get no note */
    uint32_t nvcpus;
    int type; /* enum xd_domtype */
    uint64_t npages;
    const struct xd_xenver *xen;
    const struct xd_dumpdesc *desc;
    const struct xd_badrun *bad; /* the unmappable runs */
    size_t nbad;
    uint64_t fail_reserve;  /* room kept for unmappable runs (>= nbad) */
    const char *vmcoreinfo; /* the guest kernel's VMCOREINFO text, when found */
    size_t vmcoreinfo_len;  /* <= XD_VMCOREINFO_MAX */
    /* A partial core kept (--keep-partial): where the dump stopped, and why. */
    bool incomplete;
    uint64_t pages_written, next_pfn;
    int32_t status;
    const char *reason;
    uint64_t crash_info_mfn; /* PV: machine frame of xdump's p2m frame-list list; 0: no note */
    const struct xd_precopy_note *precopy; /* NULL: not a pre-copy */
};

/* Size of the notes segment for nctx vCPUs with a context out of nvcpus, with room for
   fail_reserve unmappable runs (and a Xen CRASH_INFO note when crash_info: PV). The Xen notes'
   offset and size within it, and the unmappable note's offset, are returned through the pointers
   (may be NULL). */
uint64_t xd_notes_size(uint32_t nctx, uint32_t nvcpus, uint64_t fail_reserve, bool crash_info,
                       uint64_t *xen_off, uint64_t *xen_size, uint64_t *fail_off);

/* Encodes the notes segment into buf (xd_notes_size() bytes). in->nbad must be <=
   in->fail_reserve. */
void xd_notes_encode(const struct xd_notes_in *in, uint8_t *buf);
/* The same without the padding note's zero bytes, which a large reserve makes most of it (a
   64 GiB guest's: 788 KiB): buf gets [0, *pad_at) and then what follows the zeros, and the
   caller writes *pad_len zero bytes at *pad_at. buf must hold xd_notes_dense_size() bytes. */
void xd_notes_encode_dense(const struct xd_notes_in *in, uint8_t *buf, uint64_t *pad_at,
                           uint64_t *pad_len);
/* An upper bound of the dense encoding of a segment of notes_size bytes planned with room for
   fail_reserve runs, holding nbad of them. */
uint64_t xd_notes_dense_size(uint64_t notes_size, uint64_t fail_reserve, uint64_t nbad);

/* Single payloads, for tests: NT_PRSTATUS and QEMU's CPU state of one vCPU. */
void xd_note_prstatus(const struct xd_vcpu *v, uint8_t out[XD_PRSTATUS_SIZE]);
void xd_note_qemu_cpustate(const struct xd_vcpu *v, uint8_t out[XD_QEMU_SIZE]);

#endif
