/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen's machine-to-phys table (M2P), read through small read-only windows.
 *
 * Xen keeps one M2P entry (an unsigned long) per machine frame of the host, ~0 where no guest
 * placed the frame (INVALID_M2P_ENTRY, xen/arch/x86/include/asm/mm.h l.498; the table is
 * filled with 0xFF when it is set up, xen/arch/x86/x86_64/mm.c l.581-583, 610-612). A PV
 * guest's frame gets its pfn when the frame is added to the guest (guest_physmap_add_page(),
 * xen/arch/x86/mm/physmap.c l.59), and the guest may write any value into the entries of its
 * own frames later (MMU_MACHPHYS_UPDATE, xen/arch/x86/mm.c l.4210-4244): an answer is a claim
 * of the guest's, which the caller checks against the p2m (p2m.c, xd_m2p_lookup()).
 *
 * XENMEM_machphys_mfn_list names the machine frame that starts each 2 MiB piece of the table
 * (xen/arch/x86/x86_64/mm.c l.932-965; the pieces' frames are contiguous within a piece), and
 * Xen shares those frames read-only with the control domain (l.880: share_xen_page_with_
 * privileged_guests(..., SHARE_ro)), which maps them through privcmd as frames of DOMID_XEN -
 * as Xen's own PV saver does for live migration (x86_pv_map_m2p(), tools/libs/guest/
 * xg_sr_common_x86_pv.c l.97-147) and libxenguest's xc_map_m2p() (xg_offline_page.c
 * l.399-444), both mapping the whole table at once. Here it is mapped WINDOW_PAGES at a time into a
 * few slots: what a dump touches of a table of 8 bytes per host frame (2 GiB on a 1 TiB host) stays
 * bounded by SLOTS * WINDOW_PAGES pages, whatever the guest's or the host's size.
 */
#include "private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ENTRIES_PER_PAGE (XD_PAGE_SIZE / 8)     /* unsigned long entries */
#define PIECE_ENTRIES (((uint64_t)2 << 20) / 8) /* entries in a 2 MiB piece of the table */
#define PIECE_PAGES (PIECE_ENTRIES / ENTRIES_PER_PAGE)
#define WINDOW_PAGES 16u /* 64 KiB of the table: 8192 machine frames, 32 MiB of the host */
#define WINDOW_ENTRIES ((uint64_t)WINDOW_PAGES * ENTRIES_PER_PAGE)
#define SLOTS 32u /* 2 MiB of the table mapped at most */
/* Pieces asked for at most: a table for 2^40 machine frames (4 PiB of host). */
#define MAX_PIECES (((uint64_t)1 << 40) / PIECE_ENTRIES)

struct slot {
    uint64_t window; /* index of the window mapped here, or UINT64_MAX */
    uint8_t *area;   /* WINDOW_PAGES pages, or NULL */
    uint16_t bad;    /* pages of the window that failed to map (bit i: page i) */
};

struct xd_xen_m2p {
    struct xd_domain *d;
    uint64_t *piece; /* first machine frame of each 2 MiB piece of the table */
    uint64_t npieces;
    uint64_t nentries; /* machine frames the table answers for */
    struct slot slot[SLOTS];
};

int xd_xen_m2p_open(struct xd_domain *d, struct xd_xen_m2p **out)
{
    unsigned long max_page;
    *out = NULL;
    if (xc_maximum_ram_page(d->xch, &max_page) < 0)
        return fail(d, XDUMP_E_XEN, "cannot read the highest machine frame: %s", strerror(errno));
    uint64_t pieces = ((uint64_t)max_page + PIECE_ENTRIES - 1) / PIECE_ENTRIES;
    if (!pieces || pieces > MAX_PIECES)
        return fail(d, XDUMP_E_XEN, "Xen names %lu machine frames: no M2P read", max_page);
    struct xd_xen_m2p *m = calloc(1, sizeof(*m));
    xen_pfn_t *list = calloc(pieces, sizeof(*list));
    if (!m || !list) {
        free(list);
        free(m);
        return fail(d, XDUMP_E_FAIL, "out of memory for the M2P's piece list");
    }
    /* Xen fills as many as the table has (xen/include/public/memory.h l.161-180), and the
       wrapper fails unless that is all that were asked (tools/libs/ctrl/xc_private.c l.431):
       the count is Xen's own, from max_page, as the saver computes it. No piece starts at
       frame 0 (Xen asserts it, x86_64/mm.c l.960): a zero left in the list ends it. */
    if (xc_machphys_mfn_list(d->xch, (unsigned long)pieces, list) < 0) {
        int e = errno;
        free(list);
        free(m);
        return fail(d, XDUMP_E_XEN, "XENMEM_machphys_mfn_list: %s", strerror(e));
    }
    uint64_t filled = 0;
    while (filled < pieces && list[filled])
        filled++;
    pieces = filled;
    m->d = d;
    m->piece = (uint64_t *)list; /* xen_pfn_t is 64 bits on x86-64 */
    m->npieces = pieces;
    m->nentries = pieces * PIECE_ENTRIES < max_page ? pieces * PIECE_ENTRIES : max_page;
    for (unsigned i = 0; i < SLOTS; i++)
        m->slot[i].window = UINT64_MAX;
    *out = m;
    return 0;
}

_Static_assert(sizeof(xen_pfn_t) == sizeof(uint64_t), "xen_pfn_t is 64 bits");

static void unmap_slot(struct slot *s)
{
    if (s->area)
        munmap(s->area, (size_t)WINDOW_PAGES * XD_PAGE_SIZE);
    s->area = NULL;
    s->window = UINT64_MAX;
}

/* Maps window w into slot s: a fresh privcmd mapping (the driver maps a range once). A window
   that cannot be mapped stays in the slot as failed, so that it is not asked again and again. */
static void map_slot(struct xd_xen_m2p *m, struct slot *s, uint64_t w)
{
    unmap_slot(s);
    s->window = w;
    s->bad = UINT16_MAX;
    uint64_t first = w * WINDOW_ENTRIES; /* the window's first entry */
    uint64_t piece = first / PIECE_ENTRIES, page = (first % PIECE_ENTRIES) / ENTRIES_PER_PAGE;
    if (piece >= m->npieces)
        return;
    uint64_t frames[WINDOW_PAGES];
    int err[WINDOW_PAGES];
    for (unsigned i = 0; i < WINDOW_PAGES; i++)
        frames[i] = m->piece[piece] + page + i; /* a window never crosses a piece */
    void *p =
        mmap(NULL, (size_t)WINDOW_PAGES * XD_PAGE_SIZE, PROT_READ, MAP_SHARED, m->d->privcmd, 0);
    if (p == MAP_FAILED)
        return;
    uint64_t calls = 0;
    if (xd_mmapbatch(m->d, DOMID_XEN, p, frames, WINDOW_PAGES, err, &calls) < 0) {
        munmap(p, (size_t)WINDOW_PAGES * XD_PAGE_SIZE);
        return;
    }
    s->area = p;
    s->bad = 0;
    for (unsigned i = 0; i < WINDOW_PAGES; i++)
        if (err[i])
            s->bad |= (uint16_t)(1u << i);
}

_Static_assert(WINDOW_PAGES <= 16 && PIECE_PAGES % WINDOW_PAGES == 0, "windows fit the pieces");

int xd_xen_m2p_get(struct xd_xen_m2p *m, uint64_t mfn, uint64_t *pfn)
{
    if (mfn >= m->nentries)
        return -1;
    uint64_t w = mfn / WINDOW_ENTRIES;
    struct slot *s = &m->slot[w % SLOTS];
    if (s->window != w)
        map_slot(m, s, w);
    unsigned off = (unsigned)(mfn % WINDOW_ENTRIES);
    if (s->bad & (1u << (off / ENTRIES_PER_PAGE)))
        return -1;
    uint64_t e;
    memcpy(&e, s->area + (size_t)off * 8, 8);
    *pfn = e;
    return 0;
}

void xd_xen_m2p_close(struct xd_xen_m2p *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < SLOTS; i++)
        unmap_slot(&m->slot[i]);
    free(m->piece);
    free(m);
}
