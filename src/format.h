/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The core file format: docs/FORMAT.md in C. Note names and types, the layouts of the notes
 * xdump writes (offsets and sizes), the Xen sections in their one order, the ELF sizes and
 * p_flags bits xdump defines, the version numbers, and the little-endian byte helpers.
 *
 * One definition for the writer (notes.c, layout.c, elfw.c, dump.c, xenkdump.c) and the reader
 * (info.c); domain.c pins the Xen structure offsets below against Xen's own headers. The test
 * oracles (tests/tools, tests/realxen/checks, tests/unit/test_info.c's core builder) keep their
 * own copies on purpose: they check this one. Macros and inline functions only: no Xen, no ELF
 * header, no I/O.
 */
#ifndef XD_FORMAT_H
#define XD_FORMAT_H

#include <stdint.h>
#include <string.h>

/* All integers of the format are little-endian. The bytes xdump composes go through the
   helpers below; Xen's vCPU contexts and shared_info are copied as Xen gave them, in the
   host's order: xdump runs in an x86-64 dom0. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "xdump's cores are x86-64's");

static inline void xd_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void xd_put_le32(uint8_t *p, uint32_t v)
{
    xd_put_le16(p, (uint16_t)v);
    xd_put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void xd_put_le64(uint8_t *p, uint64_t v)
{
    xd_put_le32(p, (uint32_t)v);
    xd_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t xd_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t xd_get_le32(const uint8_t *p)
{
    return (uint32_t)xd_get_le16(p) | (uint32_t)xd_get_le16(p + 2) << 16;
}

static inline uint64_t xd_get_le64(const uint8_t *p)
{
    return (uint64_t)xd_get_le32(p) | (uint64_t)xd_get_le32(p + 4) << 32;
}

/* ---- pages, ELF ------------------------------------------------------------------------ */

#define XD_PAGE_SHIFT 12
#define XD_PAGE_SIZE (UINT64_C(1) << XD_PAGE_SHIFT)

/* ELFCLASS64 sizes (elfw.c asserts them against <elf.h>). */
#define XD_EHDR_SIZE 64
#define XD_PHDR_SIZE 56
#define XD_SHDR_SIZE 64

/* p_flags bits of xdump's own (in PF_MASKOS): a PT_LOAD addressed by machine frame (PV), and
   one whose bytes xdump made (the p2m frame lists for crash), not the guest's. */
#define XD_PF_MACHINE 0x00100000u
#define XD_PF_XDUMP 0x00200000u

/* ---- sections (FORMAT.md, "Sections"), in file order ------------------------------------- */

enum xd_section {
    XD_SEC_NULL,        /* sh_info = phnum when e_phnum is PN_XNUM */
    XD_SEC_SHSTRTAB,    /* e_shstrndx */
    XD_SEC_NOTE_XEN,    /* Xen's four notes, after the PT_NOTE segment */
    XD_SEC_PRSTATUS,    /* Xen's vcpu_guest_context of each vCPU with a context */
    XD_SEC_SHARED_INFO, /* only when present: the sections after it then move up one */
    XD_SEC_PAGES,
    XD_SEC_INDEX, /* .xen_p2m (PV) or .xen_pfn (HVM/PVH) */
    XD_SEC_MAX
};

#define XD_SECNAME_SHSTRTAB ".shstrtab"
#define XD_SECNAME_NOTE_XEN ".note.Xen"
#define XD_SECNAME_PRSTATUS ".xen_prstatus"
#define XD_SECNAME_SHARED_INFO ".xen_shared_info"
#define XD_SECNAME_PAGES ".xen_pages"
#define XD_SECNAME_P2M ".xen_p2m"
#define XD_SECNAME_PFN ".xen_pfn"

/* The .shstrtab xdump writes: every name once, in section order, both index names last. */
#define XD_SHSTRTAB                                                                                \
    "\0" XD_SECNAME_SHSTRTAB "\0" XD_SECNAME_NOTE_XEN "\0" XD_SECNAME_PRSTATUS                     \
    "\0" XD_SECNAME_SHARED_INFO "\0" XD_SECNAME_PAGES "\0" XD_SECNAME_P2M "\0" XD_SECNAME_PFN
#define XD_SHSTRTAB_SIZE sizeof(XD_SHSTRTAB)

/* sh_name of a section: its name's offset in XD_SHSTRTAB (0 for a name not there). */
static inline uint32_t xd_shstrtab_name(const char *name)
{
    static const char tab[] = XD_SHSTRTAB;
    for (size_t i = 1; i < sizeof(tab); i += strlen(tab + i) + 1)
        if (!strcmp(tab + i, name))
            return (uint32_t)i;
    return 0;
}

/* The index entries (XD_SEC_INDEX): .xen_p2m {u64 pfn, gmfn} (PV), .xen_pfn u64 pfn. */
#define XD_INDEX_P2M_SIZE 16
#define XD_INDEX_PFN_SIZE 8

/* ---- Xen's vcpu_guest_context on x86-64 (.xen_prstatus) ---------------------------------- */

/* Offsets xdump's reader takes registers from (domain.c asserts each against Xen's headers):
   flags, user_regs (struct cpu_user_regs: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx
   rsi rdi as 15 u64 from +0, then the XD_REGS_* below), ctrlreg[8], the FS and GS bases. */
#define XD_CTX_SIZE 5168u
#define XD_CTX_FLAGS 512
#define XD_CTX_VGCF_ONLINE (UINT64_C(1) << 5) /* in flags: Xen's VGCF_online */
#define XD_CTX_USER_REGS 520
#define XD_CTX_CTRLREG 4984
#define XD_CTX_FS_BASE 5144
#define XD_CTX_GS_BASE_KERNEL 5152
#define XD_CTX_GS_BASE_USER 5160
#define XD_REGS_NGPR 15 /* r15 .. rdi */
#define XD_REGS_RIP 0x80
#define XD_REGS_CS 0x88 /* u16, as the selectors below */
#define XD_REGS_RFLAGS 0x90
#define XD_REGS_RSP 0x98
#define XD_REGS_SS 0xa0
#define XD_REGS_ES 0xa8
#define XD_REGS_DS 0xb0
#define XD_REGS_FS 0xb8
#define XD_REGS_GS 0xc0

/* ---- notes (FORMAT.md, "Notes") ---------------------------------------------------------- */

/* Each note: u32 namesz, descsz, type; the name (NUL-terminated) and the descriptor, each
   padded to 4. */
#define XD_NOTE_HDR_SIZE 12

static inline uint64_t xd_note_pad4(uint64_t n)
{
    return (n + 3) & ~UINT64_C(3);
}

/* Bytes of one note with a name of namesz bytes (NUL included) and descsz bytes. */
static inline uint64_t xd_note_size(uint64_t namesz, uint64_t descsz)
{
    return XD_NOTE_HDR_SIZE + xd_note_pad4(namesz) + xd_note_pad4(descsz);
}

/* Names: sizeof() of each is its namesz. */
#define XD_NOTE_CORE "CORE"
#define XD_NOTE_QEMU "QEMU"
#define XD_NOTE_XEN "Xen"
#define XD_NOTE_XDUMP "XDUMP"
#define XD_NOTE_VMCOREINFO "VMCOREINFO"

/* 1. "CORE" NT_PRSTATUS: pr_pid = vCPU id + 1; pr_reg = 27 u64 in gdb's order (r15 r14 r13 r12
   rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss fs_base gs_base ds
   es fs gs). */
#define XD_NT_PRSTATUS 1
#define XD_PRSTATUS_SIZE 336
#define XD_PRSTATUS_PID 32
#define XD_PRSTATUS_REG 112
#define XD_PRSTATUS_NREG 27
_Static_assert(XD_PRSTATUS_REG + 8 * XD_PRSTATUS_NREG <= XD_PRSTATUS_SIZE, "pr_reg fits");

/* 2. "QEMU" type 0: QEMUCPUState version 1. u32 version, size; 18 u64 rax rbx rcx rdx rsi rdi
   rsp rbp r8..r15 rip rflags; ten segments {u32 selector, limit, flags, pad; u64 base} cs ds
   es fs gs ss ldt tr gdt idt; u64 cr[5]; u64 kernel_gs_base. */
#define XD_NT_QEMU 0
#define XD_QEMU_VERSION 1
#define XD_QEMU_SIZE 440
#define XD_QEMU_GPR 8
#define XD_QEMU_NGPR 18
#define XD_QEMU_RIP 136 /* gpr 16 */
#define XD_QEMU_SEGS 152
#define XD_QEMU_SEG_SIZE 24
#define XD_QEMU_NSEGS 10
#define XD_QEMU_SEG_BASE 16 /* in a segment */
#define XD_QEMU_SEG_GDT 8   /* index of gdt among the ten, idt next */
#define XD_QEMU_CR 392
#define XD_QEMU_KGS 432
#define XD_QEMU_MIN XD_QEMU_KGS /* up to cr[5]: kernel_gs_base came later in QEMU */
_Static_assert(XD_QEMU_RIP == XD_QEMU_GPR + 8 * 16, "rip is the 17th register");
_Static_assert(XD_QEMU_SEGS == XD_QEMU_GPR + 8 * XD_QEMU_NGPR, "segments follow the registers");
_Static_assert(XD_QEMU_CR == XD_QEMU_SEGS + XD_QEMU_SEG_SIZE * XD_QEMU_NSEGS, "then cr[5]");
_Static_assert(XD_QEMU_KGS == XD_QEMU_CR + 8 * 5 && XD_QEMU_SIZE == XD_QEMU_KGS + 8, "440");

/* xdump's note types carry "XD" (0x5844) in their high half: gdb's BFD reads notes of owners
   it does not know by type alone, so a small number (1, 2, 3) would be taken for NT_PRSTATUS,
   NT_FPREGSET, NT_PRPSINFO - a list of 14 unmappable runs is 336 bytes, a prstatus. */

/* 3. "XDUMP" dump description: XD_DESC_SIZE bytes, then u8 vcpu_state[nr_vcpus]. */
#define XD_NT_DESCRIPTION 0x58440002u
#define XD_DESC_VERSION 1
#define XD_DESC_SIZE 176
#define XD_DESC_O_VERSION 0 /* u32 */
#define XD_DESC_O_DOMID 4   /* u32 */
#define XD_DESC_O_TYPE 8    /* u32 XD_DESC_TYPE_* */
#define XD_DESC_O_NR_VCPUS 12
#define XD_DESC_O_UUID 16 /* u8[16] */
#define XD_DESC_O_NAME 32 /* char[XD_DESC_NAME_LEN], NUL-terminated */
#define XD_DESC_NAME_LEN 64
#define XD_DESC_O_TOT_PAGES 96 /* u64 */
#define XD_DESC_O_NR_PAGES 104
#define XD_DESC_O_MAX_PFN 112
#define XD_DESC_O_FLAGS 120 /* u64 XD_DESC_F_* */
#define XD_DESC_O_STARTED 128
#define XD_DESC_O_SHUTDOWN_REASON 136 /* u32 */
#define XD_DESC_O_XEN_VERSION 140     /* u32 major << 16 | minor */
#define XD_DESC_O_XDUMP_VERSION 144   /* char[XD_DESC_XDUMP_VERSION_LEN] */
#define XD_DESC_XDUMP_VERSION_LEN 32
_Static_assert(XD_DESC_O_NAME + XD_DESC_NAME_LEN == XD_DESC_O_TOT_PAGES, "name[64]");
_Static_assert(XD_DESC_O_XDUMP_VERSION + XD_DESC_XDUMP_VERSION_LEN == XD_DESC_SIZE, "176");
#define XD_DESC_TYPE_PV 1
#define XD_DESC_TYPE_HVM 2
#define XD_DESC_TYPE_PVH 3
#define XD_DESC_F_PAUSED (UINT64_C(1) << 0)   /* xdump paused the domain */
#define XD_DESC_F_LIVE (UINT64_C(1) << 1)     /* --live */
#define XD_DESC_F_SHUTDOWN (UINT64_C(1) << 2) /* the domain was shut down (crashed) */
#define XD_DESC_F_COMPLETE (UINT64_C(1) << 3) /* the dump finished */
#define XD_DESC_F_PRECOPY (UINT64_C(1) << 4)  /* --precopy: the guest as at the final pause */
#define XD_DESC_VCPU_NONE 0                   /* never brought up: no context */
#define XD_DESC_VCPU_ONLINE 1
#define XD_DESC_VCPU_DOWN 2 /* taken down by the guest; its context present */

/* 4. "Xen" XEN_ELFNOTE_CRASH_INFO (PV): Xen's crash_xen_info_t on x86-64, ten u64 (the last:
   the machine frame of xdump's p2m frame-list list). */
#define XD_XEN_NT_CRASH_INFO 0x1000001u
#define XD_CRASH_INFO_WORDS 10

/* 5. "XDUMP" unmappable frames: an array of {u64 first_pfn; u64 nr_frames; s32 errno; u32 0}. */
#define XD_NT_UNMAPPABLE 0x58440001u
#define XD_UNMAPPABLE_SIZE 24
#define XD_UNMAPPABLE_O_PFN 0
#define XD_UNMAPPABLE_O_COUNT 8
#define XD_UNMAPPABLE_O_ERRNO 16
#define XD_UNMAPPABLE_O_RESERVED 20

/* 6. "VMCOREINFO" type 0: the guest kernel's text, at most XD_VMCOREINFO_MAX bytes kept. */
#define XD_NT_VMCOREINFO 0
#define XD_VMCOREINFO_MAX 4096

/* 7. "XDUMP" incomplete (--keep-partial): {u64 pages_written; u64 next_pfn; s32 status;
   u32 reserved; char reason[256]}. */
#define XD_NT_INCOMPLETE 0x58440004u
#define XD_INCOMPLETE_SIZE 280
#define XD_INCOMPLETE_O_WRITTEN 0
#define XD_INCOMPLETE_O_NEXT_PFN 8
#define XD_INCOMPLETE_O_STATUS 16
#define XD_INCOMPLETE_O_REASON 24
_Static_assert(XD_INCOMPLETE_O_REASON + 256 == XD_INCOMPLETE_SIZE, "reason[256]");

/* 7b. "XDUMP" pre-copy (--precopy): how the consistent core was taken. {u32 rounds (after
   the first full copy); u32 flags; u64 pause_us (paused: the final set, the vCPUs, log-dirty
   off); u64 final_pages (copied in the pause); u64 recopied_pages (all rounds, the final one
   included); u64 running_us (round 0 and the rounds, the guest running); u32 budget_ms;
   u32 reserved}. */
#define XD_NT_PRECOPY 0x58440005u
#define XD_PRECOPY_SIZE 48
#define XD_PRECOPY_O_ROUNDS 0
#define XD_PRECOPY_O_FLAGS 4
#define XD_PRECOPY_O_PAUSE_US 8
#define XD_PRECOPY_O_FINAL 16
#define XD_PRECOPY_O_RECOPIED 24
#define XD_PRECOPY_O_RUNNING_US 32
#define XD_PRECOPY_O_BUDGET_MS 40
#define XD_PRECOPY_O_RESERVED 44
_Static_assert(XD_PRECOPY_O_RESERVED + 4 == XD_PRECOPY_SIZE, "48");
#define XD_PRECOPY_F_NOT_CONVERGING 1u /* the dirty set stopped shrinking before the budget */
#define XD_PRECOPY_F_ROUND_LIMIT 2u    /* the round limit ended it before the budget */
#define XD_PRECOPY_F_LOST                                                                          \
    4u                                /* log-dirty was turned off by someone else: every page      \
                                         was copied again in the pause */
#define XD_PRECOPY_F_VIRT_AT_PAUSE 8u /* the virtual segments are the page tables at the pause */
#define XD_PRECOPY_F_DM_TRACKED 16u   /* HVM: QEMU reported its DMA (xen-set-global-dirty-log) */
#define XD_PRECOPY_F_DM_UNTRACKED                                                                  \
    32u /* HVM: QEMU could not be told: its DMA while the guest ran may be missing */

/* 8. "XDUMP" padding: zeros, last in the PT_NOTE segment. */
#define XD_NT_PADDING 0x58440003u

/* 9. Xen's four notes, outside the PT_NOTE segment (section .note.Xen only). */
#define XD_XEN_NT_NONE 0x2000000u
#define XD_XEN_NT_HEADER 0x2000001u /* {u64 magic, nr_vcpus, nr_pages, page_size} */
#define XD_XEN_NT_VERSION 0x2000002u
#define XD_XEN_NT_FORMAT 0x2000003u /* u64 XD_XEN_FORMAT_VERSION */
#define XD_XEN_MAGIC_PV UINT64_C(0xF00FEBED)
#define XD_XEN_MAGIC_HVM UINT64_C(0xF00FEBEE)
#define XD_XEN_HEADER_SIZE 32
#define XD_XEN_FORMAT_VERSION 1
#define XD_XEN_FORMAT_SIZE 8
/* Xen's version note: u64 major, minor; char extra[16]; compile_info {char compiler[64],
   by[16], domain[32], date[32]}; char capabilities[1024]; char changeset[64]; u64 virt_start;
   u64 pagesize. domain.c asserts the arrays' sizes against Xen's xen_*_t. */
#define XD_XEN_VERSION_SIZE 1280
#define XD_XEN_VERSION_O_EXTRA 16
#define XD_XEN_VERSION_O_COMPILE_INFO 32
#define XD_XEN_VERSION_O_CAPABILITIES 176
#define XD_XEN_VERSION_O_CHANGESET 1200
#define XD_XEN_VERSION_O_VIRT_START 1264
#define XD_XEN_VERSION_EXTRA_LEN 16
#define XD_XEN_VERSION_COMPILE_INFO_LEN 144
#define XD_XEN_VERSION_CAPABILITIES_LEN 1024
#define XD_XEN_VERSION_CHANGESET_LEN 64
_Static_assert(XD_XEN_VERSION_O_COMPILE_INFO + XD_XEN_VERSION_COMPILE_INFO_LEN ==
                       XD_XEN_VERSION_O_CAPABILITIES &&
                   XD_XEN_VERSION_O_CAPABILITIES + XD_XEN_VERSION_CAPABILITIES_LEN ==
                       XD_XEN_VERSION_O_CHANGESET &&
                   XD_XEN_VERSION_O_CHANGESET + XD_XEN_VERSION_CHANGESET_LEN ==
                       XD_XEN_VERSION_O_VIRT_START &&
                   XD_XEN_VERSION_O_VIRT_START + 16 == XD_XEN_VERSION_SIZE,
               "Xen's version note is 1280 bytes");

#endif
