/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * info: reading a core back - what `xdump info` shows.
 *
 * Reads the cores xdump writes (docs/FORMAT.md: PT_NOTE + PT_LOADs, "CORE", "QEMU", "Xen" and
 * "XDUMP" notes), other x86-64 ELF cores with physical PT_LOADs (e.g. QEMU's
 * dump-guest-memory), and the cores Xen's own dumper writes (`xl dump-core`: sections only).
 * It knows nothing of Xen's libraries: the few Xen structure offsets it needs are numbers
 * (src/format.h's, which the writer uses too; domain.c pins them against Xen's headers).
 *
 * Cores are files users are handed, so every input is untrusted: every offset, size and count
 * is checked against the file's size before it is used, the note parser is bounded, and no
 * input makes it crash or allocate more than the file's own size in bookkeeping. All is read
 * and checked by xd_core_open(); the accessors below only look at what it kept.
 */
#ifndef XD_INFO_H
#define XD_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What xd_core_open() returns; `xdump info` exits with 11 on any of them. */
enum xd_core_error {
    XD_E_OPEN = -1,        /* cannot open or read the file (errno's message in err) */
    XD_E_NOTCORE = -2,     /* not an ELF64 little-endian x86-64 core (or an empty file) */
    XD_E_TRUNCATED = -3,   /* the file ends before what its headers place in it */
    XD_E_CORRUPT = -4,     /* inconsistent headers or notes (sizes, counts, offsets) */
    XD_E_UNSUPPORTED = -5, /* a format version or page size this reader does not know */
    XD_E_NOMEM = -6,       /* out of memory */
};

/* Which flavour of core the file is. */
enum xd_core_format {
    XD_CORE_XDUMP = 1, /* program headers and an "XDUMP" dump-description note */
    XD_CORE_ELF = 2,   /* program headers, no "XDUMP" description (another ELF core dumper) */
    XD_CORE_XEN = 3,   /* Xen's dump-core format: sections only, no program headers */
    XD_CORE_KDUMP = 4, /* makedumpfile's kdump-compressed file (`xdump --format kdump`) */
};

/* Domain type; the numbers are the dump description's (docs/FORMAT.md). */
enum xd_core_domain_type {
    XD_CORE_DOM_UNKNOWN = 0,
    XD_CORE_DOM_PV = 1,
    XD_CORE_DOM_HVM = 2, /* a Xen-format core says HVM for PVH guests too (one magic) */
    XD_CORE_DOM_PVH = 3,
};

/* vCPU state; 0..2 are the dump description's vcpu_state values. */
enum xd_core_vcpu_state {
    XD_CORE_VCPU_UNKNOWN = -1, /* no dump description: the core has a context, that is all */
    XD_CORE_VCPU_NEVER_UP = 0, /* Xen never brought it up: no context, no registers */
    XD_CORE_VCPU_ONLINE = 1,   /* running (or runnable) when dumped */
    XD_CORE_VCPU_DOWN = 2,     /* taken down by the guest; its last context is present */
    XD_CORE_VCPU_INVALID = 3,  /* the description holds a value above 2 (see `raw_state`) */
};

/* Flags of the dump description (docs/FORMAT.md, "XDUMP" type 2, offset 120). */
#define XD_CORE_F_PAUSED (UINT64_C(1) << 0)   /* xdump paused the domain for the dump */
#define XD_CORE_F_LIVE (UINT64_C(1) << 1)     /* dumped with --live */
#define XD_CORE_F_SHUTDOWN (UINT64_C(1) << 2) /* the domain was shut down (see reason) */
#define XD_CORE_F_COMPLETE (UINT64_C(1) << 3) /* the dump finished */
#define XD_CORE_F_PRECOPY (UINT64_C(1) << 4)  /* --precopy: the guest as at the final pause */
#define XD_CORE_PC_NOT_CONVERGING 1u          /* pre-copy: the dirty set stopped shrinking */
#define XD_CORE_PC_ROUND_LIMIT 2u             /* ... the round limit ended it */
#define XD_CORE_PC_LOST 4u          /* ... log-dirty was taken: every page copied paused */
#define XD_CORE_PC_VIRT_AT_PAUSE 8u /* ... the virtual segments: the page tables at the pause */
#define XD_CORE_PC_DM_TRACKED 16u   /* ... HVM: QEMU's DMA was reported to log-dirty */
#define XD_CORE_PC_DM_UNTRACKED 32u /* ... HVM: QEMU's DMA was not tracked */

/* Registers in NT_PRSTATUS pr_reg order (gdb's view). */
struct xd_core_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
    uint64_t fs_base, gs_base, ds, es, fs, gs;
};

/* One vCPU. In a Xen-format core vCPU ids are not recorded: `id` is then the context's index
   and id_known is false. */
struct xd_core_vcpu {
    uint32_t id;
    bool id_known;
    int state;         /* enum xd_core_vcpu_state */
    uint8_t raw_state; /* the description's byte (valid when has_description) */
    bool has_regs;     /* regs valid: a "CORE" NT_PRSTATUS note, or Xen's context */
    struct xd_core_regs regs;
    bool has_cr;    /* cr[] valid: a "QEMU" note, or Xen's context (ctrlreg[0..4]) */
    uint64_t cr[5]; /* PV (Xen's context): cr3 holds a machine address (mfn << 12) */
    bool has_qemu;  /* the three below are from a "QEMU" note */
    uint64_t kernel_gs_base, gdt_base, idt_base;
};

/* A run of pages in the file: physical PT_LOADs (p_vaddr == 0), or consecutive entries of a
   Xen-format core's .xen_pfn / .xen_p2m index. */
struct xd_core_run {
    uint64_t pfn;
    uint64_t count;
};

/* A run of frames the dumper could not read ("XDUMP" type 1 entry). */
struct xd_core_unmappable {
    uint64_t first_pfn;
    uint64_t nr_frames;
    int32_t err; /* positive errno, e.g. 14 EFAULT */
};

/* Scalars of a core. Strings are NUL-terminated copies of the file's bytes (not sanitised:
   the command's presenters, src/cli/info_print.c, escape them). */
struct xd_core_info {
    enum xd_core_format format;
    uint64_t file_size;
    size_t phnum, shnum; /* real counts (PN_XNUM / SHN_UNDEF extensions resolved) */

    /* The "XDUMP" dump description; the fields below up to vcpu_state are 0 without it. */
    bool has_description;
    uint32_t domid;
    int domain_type; /* enum xd_core_domain_type: the description's, else Xen's magic */
    uint8_t uuid[16];
    char name[65];
    uint64_t tot_pages, desc_nr_pages, max_pfn;
    uint64_t flags;   /* XD_CORE_F_* */
    uint64_t started; /* UNIX time, seconds; 0 unknown */
    uint32_t shutdown_reason;
    uint32_t desc_xen_version; /* major << 16 | minor */
    char xdump_version[33];

    /* The "Xen" notes. */
    bool has_xen_header;
    uint64_t xen_magic, xen_nr_vcpus, xen_nr_pages, xen_page_size;
    bool has_xen_version;
    uint64_t xen_major, xen_minor;
    char xen_extra[17];
    char xen_changeset[65];
    bool has_xen_format_version;
    uint64_t xen_format_version;

    /* Pages. */
    uint64_t nr_pages; /* pages the runs hold */
    size_t nr_runs;
    size_t nr_virtual;    /* virtual PT_LOADs (p_vaddr != 0) */
    size_t nr_machine;    /* PV: PT_LOADs addressed by machine frame (for crash) */
    uint64_t xdump_pages; /* PV: pages of xdump's own p2m frame lists (for crash) */
    uint64_t xen_invalid; /* Xen format: index entries marked invalid (unfilled slots) */

    /* Unmappable frames ("XDUMP" type 1). */
    bool has_unmappable_note;
    size_t nr_unmappable_runs;
    uint64_t unmappable_frames;

    size_t nr_vcpus;
    char osrelease[65];                   /* from a VMCOREINFO note, "" without */
    bool has_phys_base, has_kaslr_offset; /* from VMCOREINFO */
    bool has_incomplete;                  /* a partial core kept with --keep-partial */
    uint64_t pages_written;               /* ... where it stopped */
    uint64_t stop_pfn;
    int32_t stop_status;
    char stop_reason[257];
    /* A pre-copy core ("XDUMP" pre-copy note): rounds, XD_CORE_PC_* flags, the pause. */
    bool has_precopy;
    uint32_t precopy_rounds, precopy_flags, precopy_budget_ms;
    uint64_t precopy_pause_us, precopy_final, precopy_recopied, precopy_running_us;
    uint64_t phys_base;    /* NUMBER(phys_base) */
    uint64_t kaslr_offset; /* KERNELOFFSET */

    /* A kdump-compressed file (format XD_CORE_KDUMP): its header, the pages of bitmap 2. */
    uint32_t kdump_version, kdump_status;
    int32_t kdump_dump_level;
    char kdump_codec[8];
    uint64_t max_mapnr;
};

struct xd_core; /* an opened core: all of the above, read and checked */

/*
 * Opens and validates the core at `path`: reads the ELF header, program and section headers
 * (libelf) and every note, and checks them against the file's size. Returns 0 and sets *out,
 * or a negative XD_E_* code with a one-line reason in err ("<path>: <what is wrong>"); err may
 * be NULL. Never crashes on any input. A range past the end of the file is XD_E_TRUNCATED,
 * except when the section headers are intact at the very end of the file (where xdump puts
 * them): the file is then whole, and the range is XD_E_CORRUPT.
 * Costs: reads the headers and the notes; for a Xen-format core also its page index (8 or 16
 * bytes per page), never page data. Memory: O(program headers + runs + notes).
 */
int xd_core_open(const char *path, struct xd_core **out, char *err, size_t errlen);

/* Frees a core; NULL is fine. */
void xd_core_close(struct xd_core *c);

/* The core's scalars. Never NULL; valid until xd_core_close. O(1). */
const struct xd_core_info *xd_core_info(const struct xd_core *c);

/* The path the core was opened with. O(1). */
const char *xd_core_path(const struct xd_core *c);

/* The page runs, in file order (pfn ascending in a well-formed core); *n = their count. O(1). */
const struct xd_core_run *xd_core_runs(const struct xd_core *c, size_t *n);

/* The unmappable runs, as the note lists them; *n = 0 without the note. O(1). */
const struct xd_core_unmappable *xd_core_unmappable(const struct xd_core *c, size_t *n);

/* The vCPUs: with a dump description, one per vCPU id 0..nr_vcpus-1 (registers when the
   core has a context for it); otherwise one per context, in note (or section) order. O(1). */
const struct xd_core_vcpu *xd_core_vcpus(const struct xd_core *c, size_t *n);

/* Inconsistencies that did not stop the reading (counts that disagree, unknown values...):
   how many, and the i-th as one line (NULL when out of range). O(1). */
size_t xd_core_nwarnings(const struct xd_core *c);
const char *xd_core_warning(const struct xd_core *c, size_t i);

/* "PV", "HVM", "PVH" or "unknown". */
const char *xd_core_domain_type_name(int type);

/* "online", "down", "never brought up", "unknown", "invalid". */
const char *xd_core_vcpu_state_name(int state);

/* The symbolic name of a positive errno ("EFAULT"), or NULL if unknown. */
const char *xd_core_errno_name(int err);

/* A short name of an XD_E_* code ("truncated", ...), for messages and JSON. */
const char *xd_core_strerror(int code);

#endif /* XD_INFO_H */
