/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ELF encoding of the plan. The structures are filled in host form and converted to the
 * file's (64-bit, little-endian) form by libelf's translators. Nothing here does I/O: the
 * bytes go to the sink. The section list, its names and xdump's p_flags are format.h's.
 */
#include "elfw.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

_Static_assert(sizeof(Elf64_Ehdr) == XD_EHDR_SIZE && sizeof(Elf64_Phdr) == XD_PHDR_SIZE &&
                   sizeof(Elf64_Shdr) == XD_SHDR_SIZE,
               "format.h's ELF sizes are ELFCLASS64's");
_Static_assert((XD_PF_MACHINE | XD_PF_XDUMP) == ((XD_PF_MACHINE | XD_PF_XDUMP) & PF_MASKOS),
               "xdump's p_flags are in the OS-specific bits");

/* Host form -> file form (ELFDATA2LSB). */
static void to_file(void *dst, const void *src, size_t size, Elf_Type type)
{
    Elf_Data s = {.d_buf = (void *)src, .d_type = type, .d_size = size, .d_version = EV_CURRENT};
    Elf_Data d = {.d_buf = dst, .d_type = type, .d_size = size, .d_version = EV_CURRENT};
    elf_version(EV_CURRENT);
    elf64_xlatetof(&d, &s, ELFDATA2LSB);
}

/* Program headers are built PH_BATCH at a time and translated in place (libelf's translators
   allow it) before they go out: the head costs 14 KiB whatever the guest's size, where a PV
   guest's machine pieces alone are 56 bytes per 2 MiB. */
#define PH_BATCH 256
struct phout {
    Elf64_Phdr ph[PH_BATCH];
    size_t n;
    uint64_t total;
    xd_elfw_out out;
    void *ctx;
    int rc;
};

static void flush(struct phout *o)
{
    if (o->n && o->rc == 0) {
        to_file(o->ph, o->ph, o->n * sizeof(*o->ph), ELF_T_PHDR);
        o->rc = o->out(o->ctx, o->ph, o->n * sizeof(*o->ph));
    }
    o->total += o->n;
    o->n = 0;
}

static void put(struct phout *o, Elf64_Phdr ph)
{
    o->ph[o->n++] = ph;
    if (o->n == PH_BATCH)
        flush(o);
}

static void put_virtual(void *ctx, uint64_t vaddr, uint64_t paddr, uint64_t npages, uint64_t off)
{
    put(ctx, (Elf64_Phdr){.p_type = PT_LOAD,
                          .p_flags = PF_R | PF_W | PF_X,
                          .p_offset = off,
                          .p_vaddr = vaddr,
                          .p_paddr = paddr,
                          .p_filesz = npages * XD_PAGE_SIZE,
                          .p_memsz = npages * XD_PAGE_SIZE});
}

struct mctx {
    struct phout *o;
    uint64_t pages_off;
};

static void put_machine(void *ctx, uint64_t mfn, uint64_t page, uint64_t npages)
{
    struct mctx *m = ctx;
    put(m->o, (Elf64_Phdr){.p_type = PT_LOAD,
                           .p_flags = PF_R | PF_W | PF_X | XD_PF_MACHINE,
                           .p_offset = m->pages_off + page * XD_PAGE_SIZE,
                           .p_paddr = mfn << XD_PAGE_SHIFT,
                           .p_filesz = npages * XD_PAGE_SIZE,
                           .p_memsz = npages * XD_PAGE_SIZE});
}

static Elf64_Phdr note_phdr(const struct xd_layout *l)
{
    return (Elf64_Phdr){.p_type = PT_NOTE,
                        .p_offset = l->notes_off,
                        .p_filesz = l->xen_notes_off - l->notes_off, /* Xen's notes, last, are
                                                                        outside */
                        .p_align = 4};
}

static void file_ehdr(const struct xd_layout *l, uint8_t out[XD_EHDR_SIZE])
{
    Elf64_Ehdr eh = {.e_type = ET_CORE,
                     .e_machine = EM_X86_64,
                     .e_version = EV_CURRENT,
                     .e_phoff = sizeof(Elf64_Ehdr),
                     .e_shoff = l->shoff,
                     .e_ehsize = sizeof(Elf64_Ehdr),
                     .e_phentsize = sizeof(Elf64_Phdr),
                     .e_phnum = (uint16_t)(l->phnum < PN_XNUM ? l->phnum : PN_XNUM),
                     .e_shentsize = sizeof(Elf64_Shdr),
                     .e_shnum = (uint16_t)l->shnum,
                     .e_shstrndx = XD_SEC_SHSTRTAB};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
    to_file(out, &eh, sizeof(eh), ELF_T_EHDR);
}

_Static_assert(XD_EHDR_SIZE == sizeof(Elf64_Ehdr) && XD_PHDR_SIZE == sizeof(Elf64_Phdr),
               "format.h's sizes are ELF's");

void xd_elfw_head_start(const struct xd_layout *l, uint8_t out[XD_EHDR_SIZE + XD_PHDR_SIZE])
{
    file_ehdr(l, out);
    Elf64_Phdr ph = note_phdr(l);
    to_file(out + XD_EHDR_SIZE, &ph, sizeof(ph), ELF_T_PHDR);
}

int xd_elfw_head(const struct xd_layout *l, const struct xd_layout_in *in, xd_elfw_out out,
                 void *ctx)
{
    uint8_t file_eh[XD_EHDR_SIZE];
    file_ehdr(l, file_eh);
    if (out(ctx, file_eh, sizeof(file_eh)) < 0)
        return -1;

    struct phout *o = malloc(sizeof(*o));
    if (!o)
        return -1;
    o->n = 0, o->total = 0, o->out = out, o->ctx = ctx, o->rc = 0;
    put(o, note_phdr(l));
    const struct xd_frames *f = in->frames;
    if (in->xk) { /* PV: the machine-addressed view crash reads (xenkdump.h), first */
        struct mctx m = {o, l->pages_off};
        xd_xk_machine_pieces(f, put_machine, &m);
        put(o, (Elf64_Phdr){.p_type = PT_LOAD,
                            .p_flags = PF_R | XD_PF_MACHINE | XD_PF_XDUMP,
                            .p_offset = l->xk_off,
                            .p_paddr = in->xk->base_mfn << XD_PAGE_SHIFT,
                            .p_filesz = in->xk->npages * XD_PAGE_SIZE,
                            .p_memsz = in->xk->npages * XD_PAGE_SIZE});
    }
    for (size_t i = 0; i < l->nphys; i++) { /* HVM/PVH: by pfn (PV has none: see layout.c) */
        const struct xd_run *r = &f->runs[i];
        put(o, (Elf64_Phdr){.p_type = PT_LOAD,
                            .p_flags = PF_R | PF_W | PF_X,
                            .p_offset = l->pages_off + r->page * XD_PAGE_SIZE,
                            .p_paddr = r->pfn << XD_PAGE_SHIFT,
                            .p_filesz = r->count * XD_PAGE_SIZE,
                            .p_memsz = r->count * XD_PAGE_SIZE});
    }
    xd_layout_vpieces(l, in, put_virtual, o);
    flush(o);
    /* The plan counted them (layout.c): a head with another number would not be the file. */
    int rc = o->rc < 0 || o->total != l->phnum ? -1 : 0;
    free(o);
    return rc;
}

void xd_elfw_shdrs(const struct xd_layout *l, const struct xd_layout_in *in, uint8_t *buf)
{
    Elf64_Shdr sh[XD_SEC_MAX] = {{0}};
    size_t n = 0; /* in enum xd_section's order; .xen_shared_info only when present */
    sh[n++] = (Elf64_Shdr){.sh_info = l->phnum >= PN_XNUM ? (uint32_t)l->phnum : 0};
    sh[n++] = (Elf64_Shdr){.sh_name = xd_shstrtab_name(XD_SECNAME_SHSTRTAB),
                           .sh_type = SHT_STRTAB,
                           .sh_offset = l->shstrtab_off,
                           .sh_size = l->shstrtab_size,
                           .sh_addralign = 1};
    sh[n++] = (Elf64_Shdr){.sh_name = xd_shstrtab_name(XD_SECNAME_NOTE_XEN),
                           .sh_type = SHT_NOTE,
                           .sh_offset = l->xen_notes_off,
                           .sh_size = l->xen_notes_size,
                           .sh_addralign = 4};
    sh[n++] = (Elf64_Shdr){.sh_name = xd_shstrtab_name(XD_SECNAME_PRSTATUS),
                           .sh_type = SHT_PROGBITS,
                           .sh_offset = l->prstatus_off,
                           .sh_size = (uint64_t)in->nctx * XD_CTX_SIZE,
                           .sh_addralign = 8,
                           .sh_entsize = XD_CTX_SIZE};
    if (l->shinfo_off)
        sh[n++] = (Elf64_Shdr){.sh_name = xd_shstrtab_name(XD_SECNAME_SHARED_INFO),
                               .sh_type = SHT_PROGBITS,
                               .sh_offset = l->shinfo_off,
                               .sh_size = XD_PAGE_SIZE,
                               .sh_addralign = 8,
                               .sh_entsize = XD_PAGE_SIZE};
    sh[n++] = (Elf64_Shdr){.sh_name = xd_shstrtab_name(XD_SECNAME_PAGES),
                           .sh_type = SHT_PROGBITS,
                           .sh_offset = l->pages_off,
                           .sh_size = l->npages * XD_PAGE_SIZE,
                           .sh_addralign = XD_PAGE_SIZE,
                           .sh_entsize = XD_PAGE_SIZE};
    sh[n++] = (Elf64_Shdr){
        .sh_name = xd_shstrtab_name(in->type == XD_PV ? XD_SECNAME_P2M : XD_SECNAME_PFN),
        .sh_type = SHT_PROGBITS,
        .sh_offset = l->index_off,
        .sh_size = l->npages * l->index_entsize,
        .sh_addralign = 8,
        .sh_entsize = l->index_entsize};
    to_file(buf, sh, n * sizeof(sh[0]), ELF_T_SHDR); /* n == l->shnum */
}
