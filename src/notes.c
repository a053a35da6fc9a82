/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Note payloads: NT_PRSTATUS for gdb, QEMU's CPU state for crash, Xen's dump-core notes, and
   xdump's own (dump description, unmappable frames, padding). See docs/FORMAT.md. */
#include "notes.h"

#include <stdio.h>
#include <string.h>

#include "xdump.h"

#define NT_PRSTATUS 1
#define XEN_NOTE_NONE 0x2000000
#define XEN_NOTE_HEADER 0x2000001
#define XEN_NOTE_VERSION 0x2000002
#define XEN_NOTE_FORMAT 0x2000003
#define XEN_NOTE_CRASH_INFO 0x1000001 /* XEN_ELFNOTE_CRASH_INFO, of Xen's kexec notes */
#define XEN_MAGIC_PV 0xF00FEBEDull
#define XEN_MAGIC_HVM 0xF00FEBEEull
/* xdump's note types carry "XD" in their high bytes: gdb's BFD reads notes of owners it does
   not know by type alone, so a small number (1, 2, 3) would be taken for NT_PRSTATUS,
   NT_FPREGSET, NT_PRPSINFO - a list of 14 unmappable runs is 336 bytes, a prstatus. */
#define XDUMP_NOTE_BADRUNS 0x58440001u
#define XDUMP_NOTE_DESC 0x58440002u
#define XDUMP_NOTE_PAD 0x58440003u
#define XDUMP_NOTE_INCOMPLETE 0x58440004u

static uint64_t align4(uint64_t n)
{
    return (n + 3) & ~3ull;
}

uint64_t xd_note_size(uint64_t namesz, uint64_t descsz)
{
    return 12 + align4(namesz) + align4(descsz);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Writes a note header and name; returns where the descriptor goes. */
static uint8_t *note_head(uint8_t *p, const char *name, uint32_t type, uint64_t descsz)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    put32(p, namesz);
    put32(p + 4, (uint32_t)descsz);
    put32(p + 8, type);
    memset(p + 12, 0, align4(namesz));
    memcpy(p + 12, name, namesz);
    return p + 12 + align4(namesz);
}

static uint8_t *note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint64_t descsz)
{
    uint8_t *d = note_head(p, name, type, descsz);
    memset(d, 0, align4(descsz));
    if (descsz)
        memcpy(d, desc, descsz);
    return d + align4(descsz);
}

void xd_note_prstatus(const struct xd_vcpu *v, uint8_t out[XD_PRSTATUS_SIZE])
{
    memset(out, 0, XD_PRSTATUS_SIZE);
    put32(out + 32, v->id + 1); /* pr_pid: unique and non-zero, gdb's "LWP n" */
    const uint64_t reg[27] = {
        v->r15,         v->r14,         v->r13,         v->r12,     v->rbp,     v->rbx,
        v->r11,         v->r10,         v->r9,          v->r8,      v->rax,     v->rcx,
        v->rdx,         v->rsi,         v->rdi,         v->rax,     v->rip,     v->cs.selector,
        v->rflags,      v->rsp,         v->ss.selector, v->fs_base, v->gs_base, v->ds.selector,
        v->es.selector, v->fs.selector, v->gs.selector};
    memcpy(out + 112, reg, sizeof(reg));
}

static uint8_t *put_seg(uint8_t *p, const struct xd_seg *s)
{
    put32(p, s->selector);
    put32(p + 4, s->limit);
    put32(p + 8, s->flags);
    put32(p + 12, 0);
    put64(p + 16, s->base);
    return p + 24;
}

void xd_note_qemu_cpustate(const struct xd_vcpu *v, uint8_t out[XD_QEMU_CPUSTATE_SIZE])
{
    memset(out, 0, XD_QEMU_CPUSTATE_SIZE);
    put32(out, 1);
    put32(out + 4, XD_QEMU_CPUSTATE_SIZE);
    const uint64_t gpr[18] = {v->rax, v->rbx, v->rcx, v->rdx, v->rsi, v->rdi,
                              v->rsp, v->rbp, v->r8,  v->r9,  v->r10, v->r11,
                              v->r12, v->r13, v->r14, v->r15, v->rip, v->rflags};
    memcpy(out + 8, gpr, sizeof(gpr));
    uint8_t *p = out + 8 + sizeof(gpr);
    const struct xd_seg *segs[10] = {&v->cs, &v->ds,  &v->es, &v->fs,  &v->gs,
                                     &v->ss, &v->ldt, &v->tr, &v->gdt, &v->idt};
    for (int i = 0; i < 10; i++)
        p = put_seg(p, segs[i]);
    memcpy(p, v->cr, sizeof(v->cr));
    put64(p + sizeof(v->cr), v->kernel_gs_base);
}

static void xen_version_desc(const struct xd_xenver *x, uint8_t out[XD_XEN_VERSION_SIZE])
{
    memset(out, 0, XD_XEN_VERSION_SIZE);
    put64(out, x->major);
    put64(out + 8, x->minor);
    uint8_t *p = out + 16;
    memcpy(p, x->extra, 16), p += 16;
    memcpy(p, x->compiler, 64), p += 64;
    memcpy(p, x->compile_by, 16), p += 16;
    memcpy(p, x->compile_domain, 32), p += 32;
    memcpy(p, x->compile_date, 32), p += 32;
    memcpy(p, x->capabilities, 1024), p += 1024;
    memcpy(p, x->changeset, 64), p += 64;
    put64(p, x->virt_start);
    put64(p + 8, x->pagesize);
}

static void dumpdesc(const struct xd_dumpdesc *d, uint8_t *out)
{
    memset(out, 0, XD_DUMPDESC_SIZE + d->nr_vcpus);
    put32(out, 1);
    put32(out + 4, d->domid);
    put32(out + 8, d->type);
    put32(out + 12, d->nr_vcpus);
    memcpy(out + 16, d->uuid, 16);
    memcpy(out + 32, d->name, 63);
    put64(out + 96, d->tot_pages);
    put64(out + 104, d->nr_pages);
    put64(out + 112, d->max_pfn);
    put64(out + 120, d->flags);
    put64(out + 128, d->started);
    put32(out + 136, d->shutdown_reason);
    put32(out + 140, d->xen_version);
    static const char version[] = "xdump " XDUMP_VERSION;
    _Static_assert(sizeof(version) <= 32, "the version field holds 32 bytes");
    memcpy(out + 144, version, sizeof(version));
    memcpy(out + XD_DUMPDESC_SIZE, d->vcpu_state, d->nr_vcpus);
}

static uint64_t nctx(const struct xd_notes_in *in)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < in->nvcpus; i++)
        n += in->vcpus[i].state != XD_VCPU_NONE;
    return n;
}

/* Room for what is only known at the end: the unmappable runs, the guest's VMCOREINFO, the
   "incomplete" note of a partial core, and the padding note's header. */
static uint64_t reserved_room(uint64_t fail_reserve)
{
    return xd_note_size(6, XD_BADRUN_SIZE * fail_reserve) + xd_note_size(11, XD_VMCOREINFO_MAX) +
           xd_note_size(6, XD_INCOMPLETE_SIZE) + xd_note_size(6, 0);
}

uint64_t xd_notes_size(uint32_t n, uint32_t nvcpus, uint64_t fail_reserve, bool crash_info,
                       uint64_t *xen_off, uint64_t *xen_size, uint64_t *fail_off)
{
    uint64_t off = n * (xd_note_size(5, XD_PRSTATUS_SIZE) + xd_note_size(5, XD_QEMU_CPUSTATE_SIZE));
    off += xd_note_size(6, XD_DUMPDESC_SIZE + nvcpus);
    if (crash_info)
        off += xd_note_size(4, XD_CRASH_INFO_WORDS * 8);
    if (fail_off)
        *fail_off = off;
    /* The reserved room, known only at the end: the unmappable runs, the guest's VMCOREINFO
       when found, and a padding note taking whatever they leave. */
    off += reserved_room(fail_reserve);
    /* Xen's own four notes last, outside the PT_NOTE segment: only section .note.Xen covers
       them (crash warns about every "Xen" note of a type it does not know in a PT_NOTE). */
    uint64_t xen = xd_note_size(4, 0) + xd_note_size(4, 32) + xd_note_size(4, XD_XEN_VERSION_SIZE) +
                   xd_note_size(4, 8);
    if (xen_off)
        *xen_off = off;
    if (xen_size)
        *xen_size = xen;
    return off + xen;
}

void xd_notes_encode(const struct xd_notes_in *in, uint8_t *buf)
{
    uint8_t *p = buf;
    uint8_t desc[XD_XEN_VERSION_SIZE];
    for (uint32_t i = 0; i < in->nvcpus; i++)
        if (in->vcpus[i].state != XD_VCPU_NONE) {
            xd_note_prstatus(&in->vcpus[i], desc);
            p = note(p, "CORE", NT_PRSTATUS, desc, XD_PRSTATUS_SIZE);
        }
    for (uint32_t i = 0; i < in->nvcpus; i++)
        if (in->vcpus[i].state != XD_VCPU_NONE) {
            xd_note_qemu_cpustate(&in->vcpus[i], desc);
            p = note(p, "QEMU", 0, desc, XD_QEMU_CPUSTATE_SIZE);
        }
    uint8_t *d = note_head(p, "XDUMP", XDUMP_NOTE_DESC, XD_DUMPDESC_SIZE + in->nvcpus);
    dumpdesc(in->desc, d);
    memset(d + XD_DUMPDESC_SIZE + in->nvcpus, 0,
           align4(XD_DUMPDESC_SIZE + in->nvcpus) - (XD_DUMPDESC_SIZE + in->nvcpus));
    p = d + align4(XD_DUMPDESC_SIZE + in->nvcpus);
    if (in->crash_info_mfn) {
        /* Xen's XEN_ELFNOTE_CRASH_INFO, whole: crash_xen_info_t of xen/include/xen/elfcore.h
           (4.17.7 lines 59-72), x86-64: eight words (versions; Xen's pointers, 0 here), then
           xen_phys_start (0) and dom0_pfn_to_mfn_frame_list_list = the machine frame of
           xdump's p2m frame-list list (xenkdump.h). crash takes the last word
           (xen_dom0.c, process_xen_note()); makedumpfile needs the whole struct (a shorter one
           is "Xen crash info too small") and then reads the p2m through it. */
        uint64_t ci[XD_CRASH_INFO_WORDS] = {in->xen ? in->xen->major : 0,
                                            in->xen ? in->xen->minor : 0};
        ci[XD_CRASH_INFO_WORDS - 1] = in->crash_info_mfn;
        p = note(p, "Xen", XEN_NOTE_CRASH_INFO, ci, sizeof(ci));
    }

    d = note_head(p, "XDUMP", XDUMP_NOTE_BADRUNS, XD_BADRUN_SIZE * in->nbad);
    for (size_t i = 0; i < in->nbad; i++, d += XD_BADRUN_SIZE) {
        put64(d, in->bad[i].pfn);
        put64(d + 8, in->bad[i].count);
        put32(d + 16, (uint32_t)in->bad[i].err);
        put32(d + 20, 0);
    }
    uint8_t *end = d;
    if (in->vmcoreinfo_len) /* the guest kernel's own note, as kdump carries it */
        end = note(end, "VMCOREINFO", 0, in->vmcoreinfo, in->vmcoreinfo_len);
    if (in->incomplete) {
        uint8_t inc[XD_INCOMPLETE_SIZE] = {0};
        put64(inc, in->pages_written);
        put64(inc + 8, in->next_pfn);
        put32(inc + 16, (uint32_t)in->status);
        snprintf((char *)inc + 24, XD_INCOMPLETE_SIZE - 24, "%s", in->reason ? in->reason : "");
        end = note(end, "XDUMP", XDUMP_NOTE_INCOMPLETE, inc, sizeof(inc));
    }
    /* What is left of the reserved room: one padding note (its header was reserved too). */
    uint64_t pad = reserved_room(in->fail_reserve) - (uint64_t)(end - p) - xd_note_size(6, 0);
    p = note_head(end, "XDUMP", XDUMP_NOTE_PAD, pad);
    memset(p, 0, pad);
    p += pad;

    uint64_t hdr[4] = {in->type == XD_PV ? XEN_MAGIC_PV : XEN_MAGIC_HVM, nctx(in), in->npages,
                       XD_PAGE_SIZE};
    p = note(p, "Xen", XEN_NOTE_NONE, NULL, 0);
    p = note(p, "Xen", XEN_NOTE_HEADER, hdr, sizeof(hdr));
    xen_version_desc(in->xen, desc);
    p = note(p, "Xen", XEN_NOTE_VERSION, desc, XD_XEN_VERSION_SIZE);
    uint64_t format_version = 1;
    p = note(p, "Xen", XEN_NOTE_FORMAT, &format_version, 8);
}
