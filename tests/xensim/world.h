/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim's world: the simulated hypervisor's state, kept in a directory so that every process
 * of a test (the dumper, Xen's own dumper, the test that checks both) sees the same domains,
 * and so that counters survive the process that changed them (a killed dumper included).
 *
 * Directory ($XENSIM_DIR):
 *   world.state     struct xsim_world, mapped MAP_SHARED by every process; counters and the
 *                   mutable domain state (pause count, shutdown, dying/gone) are updated with
 *                   atomics in place.
 *   dom<ID>.mem     the domain's frames, dense: frame index i at offset i * 4096. Sparse file:
 *                   zero pages cost nothing, so a 1 TiB gfn span with a few MiB present is cheap.
 *   dom<ID>.runs    struct xsim_run[], sorted by pfn: which pfns (gfns) exist, and their frame
 *                   index in dom<ID>.mem.
 *   dom<ID>.vcpu    struct xsim_vcpu[max_vcpu_id + 1]: vCPU contexts as Xen returns them.
 *   dom<ID>.shinfo  the shared_info page (4096 bytes).
 *   dom<ID>.dirty   the log-dirty bitmap, one bit per pfn (bit N & 7 of byte N >> 3), in leaves
 *                   of XS_LD_LEAF_BYTES as Xen keeps them; mapped shared, so that the guest's
 *                   writer (another process) marks what the hypervisor's CLEAN reads.
 *   xensim.log      one line per notable event (unknown hypercalls, faults fired).
 *
 * Frame numbers: an HVM/PVH domain is mapped by gfn (= pfn). A PV domain is mapped by machine
 * frame number: pfn -> rank (its index among present pfns, via the runs) -> mfn = mfn_base +
 * a shuffle of 2 MiB extents (XS_EXTENT frames, or the domain's `extent`: extent x goes to
 * (x * perm_a + perm_b) mod extents, the frames inside keep their order; a last partial extent
 * stays in place), a
 * bijection: the p2m is shuffled as Xen's allocator leaves it (superpage extents where it can)
 * and a dumper that confuses pfn and mfn reads the wrong page.
 */
#ifndef XENSIM_WORLD_H
#define XENSIM_WORLD_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define XS_MAGIC 0x584e5349u /* "ISNX" */
#define XS_VERSION 14
#define XS_PAGE_SIZE 4096u
#define XS_MAX_DOMAINS 64
#define XS_MAX_FAULTS 256
#define XS_EXTENT 512      /* PV: machine frames are shuffled in extents of this many */
#define XS_MAX_PAGED 65536 /* frames with a per-frame page-in counter, whole world */
#define XS_MAX_VCPUS 128
#define XS_NAME_MAX 64
#define XS_MAX_GNT 64         /* grant-table frames of a domain (Xen's default limit) */
#define XS_GFN_NONE (~0ull)   /* a lent page the guest did not place (Xen's M2P: invalid) */
#define XS_VCPU_CTX_SIZE 5168 /* sizeof(vcpu_guest_context_t) on x86-64 */
/* A log-dirty leaf: one 4 KiB page of bits (xen/arch/x86/include/asm/paging.h l.178-194). */
#define XS_LD_LEAF_BYTES 4096u
#define XS_LD_LEAF_BITS (XS_LD_LEAF_BYTES * 8u)

enum xsim_type { XS_PV = 1, XS_HVM = 2, XS_PVH = 3 };

/* Life cycle, as getdomaininfo shows it. GONE domains are invisible (destroyed). */
#define XS_NO_HVM_CONTEXT 1u

enum xsim_life { XS_RUNNING = 0, XS_SHUTDOWN = 1, XS_DYING = 2, XS_GONE = 3 };

enum xsim_fault_kind {
    XS_FAULT_FAIL = 1,    /* frames fail to map with errno `err` */
    XS_FAULT_PAGED = 2,   /* frames answer -ENOENT for `retries` attempts each, then map */
    XS_FAULT_SPECIAL = 3, /* frames map, but getpageframeinfo3 says XTAB (Xen's special
                             pages in an HVM/PVH physmap: shared_info, grant frames) */
    XS_FAULT_M2P = 4,     /* PV: the guest wrote the M2P entries of these pfns' machine frames:
                             value, value + 1, ... (XS_GFN_NONE: invalid), as MMU_MACHPHYS_UPDATE
                             lets it for frames it owns */
    XS_FAULT_STORE = 5,   /* the guest's vCPU stores `value` (8 bytes) at byte `offset` of page
                             `pfn` just before its `retries`-th log-dirty CLEAN (a write it made
                             while it ran: a page table changed during a pre-copy, say) */
};

struct xsim_fault {
    uint64_t pfn;   /* first pfn (gfn) concerned */
    uint64_t count; /* number of frames */
    int32_t kind;   /* enum xsim_fault_kind */
    int32_t err;    /* positive errno, FAIL only */
    uint32_t retries;
    uint32_t paged_slot; /* first index into xsim_world.paged_attempts, PAGED only */
    uint64_t value;      /* M2P: the entry written for the first pfn's frame; STORE: what */
    uint64_t offset;     /* STORE: where in the page */
};

struct xsim_run {
    uint64_t pfn;   /* first pfn of the run */
    uint64_t count; /* frames in the run */
    uint64_t rank;  /* rank of the first pfn among present pfns = its frame index for HVM */
};

struct xsim_vcpu {
    int32_t err; /* 0: context valid; else the errno getvcpucontext answers (ENODATA) */
    uint32_t online;
    uint64_t gdt_base, idt_base, tr_base; /* HVM/PVH: the descriptor tables (HVM CPU record) */
    uint8_t ctx[XS_VCPU_CTX_SIZE];        /* vcpu_guest_context_t */
};

/* Counters: one set per domain, plus world-wide hypercall counts. */
struct xsim_dom_counters {
    /* log-dirty (XEN_DOMCTL_shadow_op), by sub-op; the pids of who last turned it on / off */
    uint64_t ld_enable_calls, ld_enable_ok, ld_off_calls, ld_off_while_on;
    uint64_t ld_clean_calls, ld_peek_calls, ld_final_calls;
    uint64_t ld_paused_ns; /* time the domain spent paused inside CLEAN/PEEK */
    int32_t ld_on_pid, ld_off_pid;
    uint64_t writer_pages;   /* pages the guest's writer wrote */
    uint64_t writer_dirtied; /* of those, written while log-dirty was on */
    uint64_t mmapbatch_calls;
    uint64_t frames_mapped; /* frames that mapped */
    uint64_t frames_failed; /* frames answered with an error other than -ENOENT */
    uint64_t frames_paged;  /* -ENOENT answers */
    uint64_t pause_calls, unpause_calls;
    uint64_t pfinfo_calls; /* getpageframeinfo3 */
    /* the device model (`xensim qemu`, qemu.c): QMP clients served, xen-set-global-dirty-log
       answered on / off, "off" while off (QEMU 7.2 aborts on it), guest pages its DMA wrote
       and, of those, reported to Xen (XEN_DMOP_modified_memory while its dirty log was on) */
    uint64_t qmp_clients, qmp_dirty_on, qmp_dirty_off, qmp_aborts;
    uint64_t dma_pages, dma_reported;
    /* QMP stop / cont answered; DMA pages written while Xen held the domain paused (requests
       in flight completing: QEMU is not paused by Xen's pause) */
    uint64_t qmp_stops, qmp_conts, dma_while_paused;
    uint64_t dma_after_final; /* ... of those, after a FINAL CLEAN in that pause: a page the
                                 dumper's final set cannot have */
    uint64_t gnt_grow_asked;  /* GNTTABOP_setup_table asked for more frames than the table has */
};

struct xsim_domain {
    uint32_t domid;
    uint32_t type; /* enum xsim_type */
    char name[XS_NAME_MAX];
    uint8_t handle[16]; /* the domain's UUID */
    uint32_t ssidref;

    /* Mutable state (atomics). */
    int32_t life;            /* enum xsim_life */
    int32_t shutdown_reason; /* SHUTDOWN_* when life == XS_SHUTDOWN */
    int32_t pause_count;     /* controller pause count, 0..255 as Xen keeps it */

    uint32_t max_vcpu_id;
    uint32_t nr_online_vcpus;

    uint64_t nr_frames; /* frames in dom<ID>.mem = present pfns */
    uint64_t nr_runs;
    uint64_t tot_pages; /* what getdomaininfo reports */
    uint64_t max_pages;
    uint64_t max_gpfn; /* XENMEM_maximum_gpfn answer */
    uint64_t p2m_size; /* PV: shared_info.arch.max_pfn */
    uint64_t mfn_base; /* PV: machine frames are [mfn_base, mfn_base + nr_frames) */
    uint64_t perm_a, perm_b, perm_a_inv;
    uint64_t extent;     /* PV: frames per shuffled extent (XS_EXTENT, or fewer: mfn_extent) */
    uint64_t shinfo_mfn; /* shared_info_frame (HVM/PVH: the gfn the guest placed it at) */

    /* HVM/PVH grant table, as GNTTABOP_* report it: version (0: never used), its frames and
       the gfns the guest placed them at (XS_GFN_NONE: not placed); v2's status frames. */
    uint32_t gnt_version, gnt_nr_frames, gnt_nr_status, gnt_pad;
    uint64_t gnt_frame[XS_MAX_GNT], gnt_status[XS_MAX_GNT];

    /* Faults. */
    uint64_t die_after; /* the domain is gone once this many frames were mapped (0: never) */
    uint64_t delay_ns;  /* per frame mapped: a slow hypervisor */
    uint64_t pause_ns;  /* added to each controller pause: a vCPU slow to leave its CPU */
    uint32_t nr_faults;
    uint32_t sim_flags; /* XS_NO_HVM_CONTEXT: answer gethvmcontext -ENOSYS, as an old Xen */
    struct xsim_fault faults[XS_MAX_FAULTS];

    /* Log-dirty (paging.c's d->arch.paging.log_dirty): on or off, the count of 0->1 bit
       transitions since the last CLEAN (not reset by OFF), the bitmap's bits (pfns) in
       dom<ID>.dirty. pci_passthrough: has_arch_pdevs(), which refuses ENABLE. */
    uint32_t logdirty;
    uint32_t pci_passthrough;
    uint64_t ld_dirty_count;
    uint64_t ld_bits; /* pfns the bitmap file covers: a whole number of leaves */

    /* Xen's own pause count (domain_pause(): CLEAN, PEEK, ENABLE, OFF hold one for their
       duration), apart from the controller's, and the guest's vCPU as the writer runs it:
       vcpu_busy is 1 while a write is in flight. A pause waits until it is 0 (vcpu_sleep_sync). */
    int32_t sys_pause;
    int32_t vcpu_busy;
    /* QEMU's global dirty log (xen_in_migration in qemu's hw/i386/xen/xen-hvm.c), as the
       device model of `xensim qemu` keeps it */
    uint32_t dm_dirty;
    /* QEMU stopped (QMP stop: vm_stop(), its runstate "paused"); its DMA write in flight
       (a stop waits for it); the requests in flight the device completed since the domain
       was paused (XS_DMA_INFLIGHT at most) */
    uint32_t dm_stopped;
    int32_t dm_busy;
    uint32_t dm_inflight;
    uint32_t dm_final_seen; /* a FINAL CLEAN since the domain was paused */

    struct xsim_dom_counters c;
};

/* The Xen release a world imitates (world file: `xen 4.17` or `xen 4.20`; default: the release
   of the headers xensim is built with). What differs between them for a dom0 tool, each from
   Xen's own source (world.c cites the lines). */
struct xsim_release {
    uint32_t minor;          /* 4.<minor> */
    uint32_t domctl_version; /* XEN_DOMCTL_INTERFACE_VERSION: other values get -EACCES */
    uint32_t sysctl_version; /* XEN_SYSCTL_INTERFACE_VERSION: likewise */
    bool getdomaininfo_next; /* domctl getdomaininfo of an absent id answers the next domain
                                (4.17); 4.18 on: -ESRCH */
};
/* The release 4.<minor>, or NULL when xensim does not know it. */
const struct xsim_release *xsim_release(uint32_t minor);
/* The release whose domctl interface version is v (the headers' own), or NULL. */
const struct xsim_release *xsim_release_of_domctl(uint32_t v);

struct xsim_world {
    uint32_t magic, version;
    uint32_t xen_minor; /* the release imitated: xsim_release(xen_minor) */
    uint32_t nr_domains;
    uint32_t nr_paged; /* paged_attempts used */
    uint64_t max_mfn;  /* XENMEM_maximum_ram_page */
    uint64_t hypercalls[64];
    uint64_t domctl[128];
    uint64_t sysctl[128];
    uint64_t memory_op[64];
    uint64_t gnttab[16];     /* grant_table_op by command */
    uint64_t unknown;        /* hypercalls answered -ENOSYS */
    uint32_t shadow_paging;  /* Xen built with CONFIG_SHADOW_PAGING (world: `shadow-paging on`) */
    uint32_t m2p_unmappable; /* world `m2p unmappable`: Xen's frames do not map for dom0 */
    /* Xen's M2P table: m2p_pieces 2 MiB pieces in machine frames [m2p_base, + 512 each),
       above every domain's frames (hypercall.c, xsim_m2p_page()) */
    uint64_t m2p_base, m2p_pieces;
    uint64_t m2p_frames_mapped; /* frames of the table dom0 mapped */
    struct xsim_domain dom[XS_MAX_DOMAINS];
    uint32_t paged_attempts[XS_MAX_PAGED];
};

/* An open world: the shared state plus the per-domain files, mapped lazily. */
struct xsim_dommap {
    int mem_fd;
    uint8_t *dirty; /* dom<ID>.dirty, d->ld_bits / 8 bytes, mapped shared */
    const struct xsim_run *runs;
    const struct xsim_vcpu *vcpus;
    int shinfo_fd;
};

struct xsim_handle {
    char dir[4096];
    int state_fd;
    int m2p_fd; /* the M2P's pages as a mapping last showed them (memfd; -1: none yet) */
    struct xsim_world *w;
    struct xsim_dommap map[XS_MAX_DOMAINS];
};

/* Opens the world in `dir` (NULL: $XENSIM_DIR). Returns NULL with errno on failure. */
struct xsim_handle *xsim_open(const char *dir);
void xsim_close(struct xsim_handle *h);

/* The domain record with this id that is not GONE, or NULL. */
struct xsim_domain *xsim_domain(struct xsim_handle *h, uint32_t domid);
/* Its index in w->dom[] (for xsim_dommap). */
int xsim_index(struct xsim_handle *h, const struct xsim_domain *d);
/* Maps the per-domain files on first use; NULL with errno on failure. */
struct xsim_dommap *xsim_dommap(struct xsim_handle *h, const struct xsim_domain *d);

/* pfn -> rank among present pfns; false when the pfn is a hole. */
bool xsim_pfn_rank(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn,
                   uint64_t *rank);
/* rank -> pfn (inverse of the above). */
uint64_t xsim_rank_pfn(struct xsim_handle *h, const struct xsim_domain *d, uint64_t rank);
/* PV: pfn's machine frame. HVM: the pfn itself. false for a hole. */
bool xsim_pfn_to_frame(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn,
                       uint64_t *frame);
/* The frame number a mapping request names (PV: mfn; HVM: gfn) -> pfn; false if not the
   domain's. */
bool xsim_frame_to_pfn(struct xsim_handle *h, const struct xsim_domain *d, uint64_t frame,
                       uint64_t *pfn);
/* Offset of pfn's page in dom<ID>.mem (pfn must be present). */
uint64_t xsim_pfn_offset(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn);
/* Reads / writes pfn's page through the memory file; -1 with errno for a hole. */
int xsim_read_page(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn, void *buf);
int xsim_write_page(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn,
                    const void *buf);

/* The guest's vCPU runs (the writer): waits while the domain is paused by anyone; then marks
   the write's pfn dirty when log-dirty is on, as Xen's write fault does. The caller writes the
   page and calls xsim_vcpu_stop(). false when the domain is gone. While it waits, the signal
   mask is WAITING (NULL: unchanged). */
bool xsim_vcpu_write(struct xsim_handle *h, struct xsim_domain *d, uint64_t pfn,
                     const sigset_t *waiting);
void xsim_vcpu_stop(struct xsim_domain *d);
/* The device model's DMA write: marks nothing - Xen's log-dirty does not see a write through
   the device model's own mapping. Waits while QEMU is stopped; while Xen holds the domain
   paused, XS_DMA_INFLIGHT requests in flight still complete, then it waits for the guest to
   run. A QMP stop waits for the write in flight; Xen's pause does not. End it with
   xsim_dma_end(). */
#define XS_DMA_INFLIGHT 8
bool xsim_dma_begin(struct xsim_handle *h, struct xsim_domain *d, const sigset_t *waiting);
void xsim_dma_end(struct xsim_domain *d);
/* QEMU stops (QMP stop): returns once no DMA write is in flight. */
void xsim_dm_stop(struct xsim_domain *d);
/* XEN_DMOP_modified_memory of pfns first.. first + nr - 1, as Xen's dm.c: 0 or -errno. */
int xsim_dm_modified_memory(struct xsim_handle *h, struct xsim_domain *d, uint64_t first,
                            uint64_t nr);
/* Pauses (+1) or unpauses (-1) Xen's own count; a pause returns once no write is in flight. */
void xsim_sys_pause(struct xsim_domain *d, int delta);
/* Waits until no write of the guest is in flight (after a pause count went up). */
void xsim_vcpu_sync(struct xsim_domain *d);

/* Affine permutation helpers, shared by the builder and the simulator. */
uint64_t xsim_gcd(uint64_t a, uint64_t b);
uint64_t xsim_perm(const struct xsim_domain *d, uint64_t rank);
uint64_t xsim_perm_inv(const struct xsim_domain *d, uint64_t idx);

/* Appends a line to xensim.log (and stderr when XENSIM_VERBOSE is set). */
void xsim_log(struct xsim_handle *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Path of a per-domain file: "<dir>/dom<ID>.<ext>". */
void xsim_path(const struct xsim_handle *h, uint32_t domid, const char *ext, char *out, size_t n);

#define XS_ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#define XS_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define XS_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

#endif
