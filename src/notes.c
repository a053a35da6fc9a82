/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Note payloads: NT_PRSTATUS for gdb, QEMU's CPU state for crash, Xen's dump-core notes, and
   xdump's own (dump description, unmappable frames, padding). See docs/FORMAT.md. */
#include "notes.h"

#include <stdio.h>
#include <string.h>

#include "format.h"
#include "xdump.h"

/* Writes a note header and name; returns where the descriptor goes. */
static uint8_t *note_head(uint8_t *p, const char *name, uint32_t type, uint64_t descsz)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    xd_put_le32(p, namesz);
    xd_put_le32(p + 4, (uint32_t)descsz);
    xd_put_le32(p + 8, type);
    memset(p + XD_NOTE_HDR_SIZE, 0, xd_note_pad4(namesz));
    memcpy(p + XD_NOTE_HDR_SIZE, name, namesz);
    return p + XD_NOTE_HDR_SIZE + xd_note_pad4(namesz);
}

static uint8_t *note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint64_t descsz)
{
    uint8_t *d = note_head(p, name, type, descsz);
    memset(d, 0, xd_note_pad4(descsz));
    if (descsz)
        memcpy(d, desc, descsz);
    return d + xd_note_pad4(descsz);
}

/* n u64 from p on. */
static void put_words(uint8_t *p, const uint64_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        xd_put_le64(p + 8 * i, w[i]);
}

void xd_note_prstatus(const struct xd_vcpu *v, uint8_t out[XD_PRSTATUS_SIZE])
{
    memset(out, 0, XD_PRSTATUS_SIZE);
    xd_put_le32(out + XD_PRSTATUS_PID, v->id + 1); /* pr_pid: unique and non-zero, gdb's "LWP n" */
    const uint64_t reg[XD_PRSTATUS_NREG] = {
        v->r15,         v->r14,         v->r13,         v->r12,     v->rbp,     v->rbx,
        v->r11,         v->r10,         v->r9,          v->r8,      v->rax,     v->rcx,
        v->rdx,         v->rsi,         v->rdi,         v->rax,     v->rip,     v->cs.selector,
        v->rflags,      v->rsp,         v->ss.selector, v->fs_base, v->gs_base, v->ds.selector,
        v->es.selector, v->fs.selector, v->gs.selector};
    put_words(out + XD_PRSTATUS_REG, reg, XD_PRSTATUS_NREG);
}

static uint8_t *put_seg(uint8_t *p, const struct xd_seg *s)
{
    xd_put_le32(p, s->selector);
    xd_put_le32(p + 4, s->limit);
    xd_put_le32(p + 8, s->flags);
    xd_put_le32(p + 12, 0);
    xd_put_le64(p + XD_QEMU_SEG_BASE, s->base);
    return p + XD_QEMU_SEG_SIZE;
}

void xd_note_qemu_cpustate(const struct xd_vcpu *v, uint8_t out[XD_QEMU_SIZE])
{
    memset(out, 0, XD_QEMU_SIZE);
    xd_put_le32(out, XD_QEMU_VERSION);
    xd_put_le32(out + 4, XD_QEMU_SIZE);
    const uint64_t gpr[XD_QEMU_NGPR] = {v->rax, v->rbx, v->rcx, v->rdx, v->rsi, v->rdi,
                                        v->rsp, v->rbp, v->r8,  v->r9,  v->r10, v->r11,
                                        v->r12, v->r13, v->r14, v->r15, v->rip, v->rflags};
    put_words(out + XD_QEMU_GPR, gpr, XD_QEMU_NGPR);
    uint8_t *p = out + XD_QEMU_SEGS;
    const struct xd_seg *segs[XD_QEMU_NSEGS] = {&v->cs, &v->ds,  &v->es, &v->fs,  &v->gs,
                                                &v->ss, &v->ldt, &v->tr, &v->gdt, &v->idt};
    for (int i = 0; i < XD_QEMU_NSEGS; i++)
        p = put_seg(p, segs[i]);
    put_words(out + XD_QEMU_CR, v->cr, 5);
    xd_put_le64(out + XD_QEMU_KGS, v->kernel_gs_base);
}

static void xen_version_desc(const struct xd_xenver *x, uint8_t out[XD_XEN_VERSION_SIZE])
{
    _Static_assert(sizeof(x->extra) == XD_XEN_VERSION_EXTRA_LEN &&
                       sizeof(x->compiler) + sizeof(x->compile_by) + sizeof(x->compile_domain) +
                               sizeof(x->compile_date) ==
                           XD_XEN_VERSION_COMPILE_INFO_LEN &&
                       sizeof(x->capabilities) == XD_XEN_VERSION_CAPABILITIES_LEN &&
                       sizeof(x->changeset) == XD_XEN_VERSION_CHANGESET_LEN,
                   "struct xd_xenver holds Xen's version note's fields whole");
    memset(out, 0, XD_XEN_VERSION_SIZE);
    xd_put_le64(out, x->major);
    xd_put_le64(out + 8, x->minor);
    uint8_t *p = out + XD_XEN_VERSION_O_EXTRA;
    memcpy(p, x->extra, 16), p += 16;
    memcpy(p, x->compiler, 64), p += 64;
    memcpy(p, x->compile_by, 16), p += 16;
    memcpy(p, x->compile_domain, 32), p += 32;
    memcpy(p, x->compile_date, 32), p += 32;
    memcpy(p, x->capabilities, 1024), p += 1024;
    memcpy(p, x->changeset, 64), p += 64;
    xd_put_le64(p, x->virt_start);
    xd_put_le64(p + 8, x->pagesize);
}

static void dumpdesc(const struct xd_dumpdesc *d, uint8_t *out)
{
    memset(out, 0, XD_DESC_SIZE + d->nr_vcpus);
    xd_put_le32(out + XD_DESC_O_VERSION, XD_DESC_VERSION);
    xd_put_le32(out + XD_DESC_O_DOMID, d->domid);
    xd_put_le32(out + XD_DESC_O_TYPE, d->type);
    xd_put_le32(out + XD_DESC_O_NR_VCPUS, d->nr_vcpus);
    memcpy(out + XD_DESC_O_UUID, d->uuid, 16);
    memcpy(out + XD_DESC_O_NAME, d->name, XD_DESC_NAME_LEN - 1);
    xd_put_le64(out + XD_DESC_O_TOT_PAGES, d->tot_pages);
    xd_put_le64(out + XD_DESC_O_NR_PAGES, d->nr_pages);
    xd_put_le64(out + XD_DESC_O_MAX_PFN, d->max_pfn);
    xd_put_le64(out + XD_DESC_O_FLAGS, d->flags);
    xd_put_le64(out + XD_DESC_O_STARTED, d->started);
    xd_put_le32(out + XD_DESC_O_SHUTDOWN_REASON, d->shutdown_reason);
    xd_put_le32(out + XD_DESC_O_XEN_VERSION, d->xen_version);
    static const char version[] = "xdump " XDUMP_VERSION;
    _Static_assert(sizeof(version) <= XD_DESC_XDUMP_VERSION_LEN, "the version field's size");
    memcpy(out + XD_DESC_O_XDUMP_VERSION, version, sizeof(version));
    memcpy(out + XD_DESC_SIZE, d->vcpu_state, d->nr_vcpus);
}

static uint64_t nctx(const struct xd_notes_in *in)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < in->nvcpus; i++)
        n += in->vcpus[i].state != XD_VCPU_NONE;
    return n;
}

/* Room for what is only known at the end: the unmappable runs, the guest's VMCOREINFO, the
   "incomplete" note of a partial core, the pre-copy note, and the padding note's header. */
static uint64_t reserved_room(uint64_t fail_reserve)
{
    return xd_note_size(sizeof(XD_NOTE_XDUMP), XD_UNMAPPABLE_SIZE * fail_reserve) +
           xd_note_size(sizeof(XD_NOTE_VMCOREINFO), XD_VMCOREINFO_MAX) +
           xd_note_size(sizeof(XD_NOTE_XDUMP), XD_INCOMPLETE_SIZE) +
           xd_note_size(sizeof(XD_NOTE_XDUMP), XD_PRECOPY_SIZE) +
           xd_note_size(sizeof(XD_NOTE_XDUMP), 0);
}

uint64_t xd_notes_size(uint32_t n, uint32_t nvcpus, uint64_t fail_reserve, bool crash_info,
                       uint64_t *xen_off, uint64_t *xen_size, uint64_t *fail_off)
{
    uint64_t off = n * (xd_note_size(sizeof(XD_NOTE_CORE), XD_PRSTATUS_SIZE) +
                        xd_note_size(sizeof(XD_NOTE_QEMU), XD_QEMU_SIZE));
    off += xd_note_size(sizeof(XD_NOTE_XDUMP), XD_DESC_SIZE + nvcpus);
    if (crash_info)
        off += xd_note_size(sizeof(XD_NOTE_XEN), XD_CRASH_INFO_WORDS * 8);
    if (fail_off)
        *fail_off = off;
    /* The reserved room, known only at the end: the unmappable runs, the guest's VMCOREINFO
       when found, and a padding note taking whatever they leave. */
    off += reserved_room(fail_reserve);
    /* Xen's own four notes last, outside the PT_NOTE segment: only section .note.Xen covers
       them (crash warns about every "Xen" note of a type it does not know in a PT_NOTE). */
    uint64_t xen = xd_note_size(sizeof(XD_NOTE_XEN), 0) +
                   xd_note_size(sizeof(XD_NOTE_XEN), XD_XEN_HEADER_SIZE) +
                   xd_note_size(sizeof(XD_NOTE_XEN), XD_XEN_VERSION_SIZE) +
                   xd_note_size(sizeof(XD_NOTE_XEN), XD_XEN_FORMAT_SIZE);
    if (xen_off)
        *xen_off = off;
    if (xen_size)
        *xen_size = xen;
    return off + xen;
}

uint64_t xd_notes_dense_size(uint64_t notes_size, uint64_t fail_reserve, uint64_t nbad)
{
    return notes_size - reserved_room(fail_reserve) + reserved_room(nbad);
}

static void encode(const struct xd_notes_in *in, uint8_t *buf, bool dense, uint64_t *pad_at,
                   uint64_t *pad_len);

void xd_notes_encode(const struct xd_notes_in *in, uint8_t *buf)
{
    uint64_t at, len;
    encode(in, buf, false, &at, &len);
}

void xd_notes_encode_dense(const struct xd_notes_in *in, uint8_t *buf, uint64_t *pad_at,
                           uint64_t *pad_len)
{
    encode(in, buf, true, pad_at, pad_len);
}

static void encode(const struct xd_notes_in *in, uint8_t *buf, bool dense, uint64_t *pad_at,
                   uint64_t *pad_len)
{
    uint8_t *p = buf;
    uint8_t desc[XD_XEN_VERSION_SIZE];
    for (uint32_t i = 0; i < in->nvcpus; i++)
        if (in->vcpus[i].state != XD_VCPU_NONE) {
            xd_note_prstatus(&in->vcpus[i], desc);
            p = note(p, XD_NOTE_CORE, XD_NT_PRSTATUS, desc, XD_PRSTATUS_SIZE);
        }
    for (uint32_t i = 0; i < in->nvcpus; i++)
        if (in->vcpus[i].state != XD_VCPU_NONE) {
            xd_note_qemu_cpustate(&in->vcpus[i], desc);
            p = note(p, XD_NOTE_QEMU, XD_NT_QEMU, desc, XD_QEMU_SIZE);
        }
    uint8_t *d = note_head(p, XD_NOTE_XDUMP, XD_NT_DESCRIPTION, XD_DESC_SIZE + in->nvcpus);
    dumpdesc(in->desc, d);
    memset(d + XD_DESC_SIZE + in->nvcpus, 0,
           xd_note_pad4(XD_DESC_SIZE + in->nvcpus) - (XD_DESC_SIZE + in->nvcpus));
    p = d + xd_note_pad4(XD_DESC_SIZE + in->nvcpus);
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
        put_words(desc, ci, XD_CRASH_INFO_WORDS);
        p = note(p, XD_NOTE_XEN, XD_XEN_NT_CRASH_INFO, desc, XD_CRASH_INFO_WORDS * 8);
    }

    d = note_head(p, XD_NOTE_XDUMP, XD_NT_UNMAPPABLE, XD_UNMAPPABLE_SIZE * in->nbad);
    for (size_t i = 0; i < in->nbad; i++, d += XD_UNMAPPABLE_SIZE) {
        xd_put_le64(d + XD_UNMAPPABLE_O_PFN, in->bad[i].pfn);
        xd_put_le64(d + XD_UNMAPPABLE_O_COUNT, in->bad[i].count);
        xd_put_le32(d + XD_UNMAPPABLE_O_ERRNO, (uint32_t)in->bad[i].err);
        xd_put_le32(d + XD_UNMAPPABLE_O_RESERVED, 0);
    }
    uint8_t *end = d;
    if (in->vmcoreinfo_len) /* the guest kernel's own note, as kdump carries it */
        end = note(end, XD_NOTE_VMCOREINFO, XD_NT_VMCOREINFO, in->vmcoreinfo, in->vmcoreinfo_len);
    if (in->incomplete) {
        uint8_t inc[XD_INCOMPLETE_SIZE] = {0};
        xd_put_le64(inc + XD_INCOMPLETE_O_WRITTEN, in->pages_written);
        xd_put_le64(inc + XD_INCOMPLETE_O_NEXT_PFN, in->next_pfn);
        xd_put_le32(inc + XD_INCOMPLETE_O_STATUS, (uint32_t)in->status);
        snprintf((char *)inc + XD_INCOMPLETE_O_REASON, XD_INCOMPLETE_SIZE - XD_INCOMPLETE_O_REASON,
                 "%s", in->reason ? in->reason : "");
        end = note(end, XD_NOTE_XDUMP, XD_NT_INCOMPLETE, inc, sizeof(inc));
    }
    if (in->precopy) {
        const struct xd_precopy_note *pc = in->precopy;
        uint8_t b[XD_PRECOPY_SIZE] = {0};
        xd_put_le32(b + XD_PRECOPY_O_ROUNDS, pc->rounds);
        xd_put_le32(b + XD_PRECOPY_O_FLAGS, pc->flags);
        xd_put_le64(b + XD_PRECOPY_O_PAUSE_US, pc->pause_us);
        xd_put_le64(b + XD_PRECOPY_O_FINAL, pc->final_pages);
        xd_put_le64(b + XD_PRECOPY_O_RECOPIED, pc->recopied);
        xd_put_le64(b + XD_PRECOPY_O_RUNNING_US, pc->running_us);
        xd_put_le32(b + XD_PRECOPY_O_BUDGET_MS, pc->budget_ms);
        end = note(end, XD_NOTE_XDUMP, XD_NT_PRECOPY, b, sizeof(b));
    }
    /* What is left of the reserved room: one padding note (its header was reserved too). */
    uint64_t pad = reserved_room(in->fail_reserve) - (uint64_t)(end - p) -
                   xd_note_size(sizeof(XD_NOTE_XDUMP), 0);
    p = note_head(end, XD_NOTE_XDUMP, XD_NT_PADDING, pad);
    *pad_at = (uint64_t)(p - buf);
    *pad_len = pad;
    if (!dense) {
        memset(p, 0, pad);
        p += pad;
    }

    const uint64_t hdr[XD_XEN_HEADER_SIZE / 8] = {
        in->type == XD_PV ? XD_XEN_MAGIC_PV : XD_XEN_MAGIC_HVM, nctx(in), in->npages, XD_PAGE_SIZE};
    p = note(p, XD_NOTE_XEN, XD_XEN_NT_NONE, NULL, 0);
    put_words(desc, hdr, XD_XEN_HEADER_SIZE / 8);
    p = note(p, XD_NOTE_XEN, XD_XEN_NT_HEADER, desc, XD_XEN_HEADER_SIZE);
    xen_version_desc(in->xen, desc);
    p = note(p, XD_NOTE_XEN, XD_XEN_NT_VERSION, desc, XD_XEN_VERSION_SIZE);
    xd_put_le64(desc, XD_XEN_FORMAT_VERSION);
    p = note(p, XD_NOTE_XEN, XD_XEN_NT_FORMAT, desc, XD_XEN_FORMAT_SIZE);
}
