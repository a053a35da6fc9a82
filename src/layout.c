/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file plan (docs/FORMAT.md, "Layout"). Pure arithmetic: no I/O, no Xen, no ELF encoding
   (elfw.c encodes the plan; the sizes and the section list are format.h's). */
#include "layout.h"

#include "format.h"
#include "notes.h"
#include "p2m.h"

static uint64_t align(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

uint64_t xd_layout_fail_reserve(uint64_t npages)
{
    return 64 + npages / 512;
}

uint64_t xd_layout_pfn_offset(const struct xd_layout *l, const struct xd_frames *f, uint64_t pfn)
{
    uint64_t page;
    return xd_frames_find(f, pfn, &page) ? l->pages_off + page * XD_PAGE_SIZE : 0;
}

/* A PV core's p_paddr is a machine address (docs/FORMAT.md, "PV cores"): a virtual piece then
   also ends where the machine frames stop being consecutive. */
static uint64_t piece_paddr(const struct xd_layout_in *in, const struct xd_run *r, uint64_t i,
                            uint64_t *n)
{
    if (in->type != XD_PV)
        return (r->pfn + i) << XD_PAGE_SHIFT;
    /* the p2m's machine-contiguous piece holding the page: one search, not one per page */
    const struct xd_mrun *m = xd_frames_mrun(in->frames, r->pfn + i);
    if (!m) { /* not reached: the pieces cover every pfn of the runs */
        *n = 1;
        return 0;
    }
    uint64_t at = r->pfn + i - m->pfn;
    if (*n > m->count - at)
        *n = m->count - at;
    return (m->mfn + at) << XD_PAGE_SHIFT;
}

/* Every virtual piece, vaddr ascending. */
static void each_piece(const struct xd_layout *l, const struct xd_layout_in *in, xd_vpiece_fn fn,
                       void *ctx)
{
    for (size_t i = 0; i < in->nvranges; i++) {
        const struct xd_vrange *v = &in->vranges[i];
        for (uint64_t k = 0; k < v->npages;) {
            const struct xd_run *r = xd_frames_run(in->frames, v->pfn + k);
            if (!r) {
                k++; /* a page the file does not hold: left out of every segment */
                continue;
            }
            uint64_t at = v->pfn + k - r->pfn;
            uint64_t n = r->count - at;
            if (n > v->npages - k)
                n = v->npages - k;
            uint64_t paddr = piece_paddr(in, r, at, &n);
            fn(ctx, v->vaddr + k * XD_PAGE_SIZE, paddr, n,
               l->pages_off + (r->page + at) * XD_PAGE_SIZE);
            k += n;
        }
    }
}

/* The kernel half below the kernel image's map (__START_KERNEL_map): the direct map, vmalloc,
   vmemmap, cpu_entry_area live there. */
#define KERNEL_HALF 0x8000000000000000ull
#define START_KERNEL_MAP 0xffffffff80000000ull

struct scan {
    uint64_t count, biggest, delta;
};

/* Counts the pieces, and finds the linear map's offset (vaddr - paddr) as that of the biggest
   piece of the kernel half below the image: the direct map of a guest's RAM. */
static void scan_piece(void *ctx, uint64_t vaddr, uint64_t paddr, uint64_t npages, uint64_t off)
{
    struct scan *sc = ctx;
    (void)off;
    sc->count++;
    if (vaddr >= KERNEL_HALF && vaddr < START_KERNEL_MAP && npages > sc->biggest)
        sc->biggest = npages, sc->delta = vaddr - paddr;
}

struct order {
    const struct xd_layout *l;
    bool linear; /* this pass: the linear map's pieces, or the others */
    xd_vpiece_fn fn;
    void *ctx;
};

static void pass_piece(void *ctx, uint64_t vaddr, uint64_t paddr, uint64_t npages, uint64_t off)
{
    struct order *o = ctx;
    bool linear = o->l->have_linear && vaddr >= KERNEL_HALF && vaddr < START_KERNEL_MAP &&
                  vaddr - paddr == o->l->linear_delta;
    if (linear == o->linear)
        o->fn(o->ctx, vaddr, paddr, npages, off);
}

/* The pieces in program-header order: the linear map's last. makedumpfile (1.7.2,
   arch/x86_64.c get_page_offset_x86_64()) takes PAGE_OFFSET as p_vaddr - p_paddr of the LAST
   PT_LOAD below __START_KERNEL_map with a p_paddr, as Linux's /proc/vmcore lays them out; any
   other mapping there (cpu_entry_area, vmalloc) would give it a wrong one. */
void xd_layout_vpieces(const struct xd_layout *l, const struct xd_layout_in *in, xd_vpiece_fn fn,
                       void *ctx)
{
    struct order o = {l, false, fn, ctx};
    each_piece(l, in, pass_piece, &o);
    o.linear = true;
    each_piece(l, in, pass_piece, &o);
}

int xd_layout_plan(const struct xd_layout_in *in, struct xd_layout *l)
{
    const struct xd_frames *f = in->frames;
    if (!f || !f->npages)
        return -1;
    *l = (struct xd_layout){0};
    l->npages = f->npages;
    /* PV: the machine-addressed segments are the physical view; no pfn-addressed ones, which
       would claim addresses the machine ones hold other pages at (FORMAT.md, "PV cores"). */
    l->nphys = in->xk ? 0 : f->nruns;
    struct scan sc = {0};
    each_piece(l, in, scan_piece, &sc);
    l->nvirt = in->vranges ? sc.count : in->nvirt_kept;
    l->have_linear = sc.biggest > 0;
    l->linear_delta = sc.delta;
    if (in->xk)
        l->nmach = xd_xk_machine_pieces(f, NULL, NULL) + 1;
    l->phnum = 1 + l->nmach + l->nphys + l->nvirt;
    /* The notes' size depends only on counts: vCPUs with a context, vCPUs, reserved room. */
    l->notes_size = xd_notes_size(in->nctx, in->nvcpus, in->fail_reserve, in->xk != NULL,
                                  &l->xen_notes_off, &l->xen_notes_size, &l->fail_off);
    /* Room for more program headers than written: readers take e_phnum of them, and the bytes
       after are zeros (a pre-copy dump's virtual pieces, counted again at the pause). */
    l->phdr_room = l->phnum > in->phdr_room ? l->phnum : in->phdr_room;
    uint64_t head = XD_EHDR_SIZE + l->phdr_room * XD_PHDR_SIZE;
    if (in->notes_first) {
        l->notes_off = align(head, 8);
        head = l->notes_off + l->notes_size;
    }
    l->pages_off = align(head, XD_PAGE_SIZE);
    if (in->pages_at) {
        if (in->pages_at < l->pages_off || in->pages_at % XD_PAGE_SIZE)
            return -1;
        l->pages_off = in->pages_at;
    }
    l->index_off = l->pages_off + l->npages * XD_PAGE_SIZE;
    l->index_entsize = in->type == XD_PV ? XD_INDEX_P2M_SIZE : XD_INDEX_PFN_SIZE;
    uint64_t end = l->index_off + l->npages * l->index_entsize;
    if (in->xk) {
        l->xk_off = align(end, XD_PAGE_SIZE);
        end = l->xk_off + in->xk->npages * XD_PAGE_SIZE;
    }
    if (!in->notes_first) {
        l->notes_off = align(end, 8);
        end = l->notes_off + l->notes_size;
    }
    l->xen_notes_off += l->notes_off;
    l->fail_off += l->notes_off;

    l->prstatus_off = align(end, 8);
    end = l->prstatus_off + (uint64_t)in->nctx * XD_CTX_SIZE;
    l->shinfo_off = in->have_shinfo ? end : 0;
    end += in->have_shinfo ? XD_PAGE_SIZE : 0;
    l->shstrtab_off = end;
    l->shstrtab_size = XD_SHSTRTAB_SIZE;
    l->shnum = XD_SEC_MAX - (in->have_shinfo ? 0 : 1); /* enum xd_section */
    l->shoff = align(l->shstrtab_off + l->shstrtab_size, 8);
    l->file_size = l->shoff + l->shnum * XD_SHDR_SIZE;
    return 0;
}
