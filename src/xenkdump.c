/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The synthetic p2m frame lists of a PV core (xenkdump.h). Pure arithmetic on the frames. */
#include "xenkdump.h"

#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "p2m.h"

#define PER_PAGE 512u
#define INVALID_MFN UINT64_MAX

uint64_t xd_xk_machine_pieces(const struct xd_frames *f, xd_mpiece_fn fn, void *ctx)
{
    uint64_t page = 0; /* the pieces cover the pages in pfn order, one after another */
    for (size_t k = 0; k < f->nmruns; k++) {
        if (fn)
            fn(ctx, f->mruns[k].mfn, page, f->mruns[k].count);
        page += f->mruns[k].count;
    }
    return f->nmruns;
}

int xd_xk_plan(const struct xd_frames *f, struct xd_xk *x)
{
    *x = (struct xd_xk){0};
    uint64_t max_mfn = 0, end_pfn = 0;
    for (size_t k = 0; k < f->nmruns; k++)
        if (f->mruns[k].mfn + f->mruns[k].count - 1 > max_mfn)
            max_mfn = f->mruns[k].mfn + f->mruns[k].count - 1;
    if (f->nruns)
        end_pfn = f->runs[f->nruns - 1].pfn + f->runs[f->nruns - 1].count;
    if (end_pfn > XD_XK_MAX_PFNS) {
        for (size_t r = 0; r < f->nruns; r++) {
            const struct xd_run *run = &f->runs[r];
            if (run->pfn + run->count > XD_XK_MAX_PFNS)
                x->truncated += run->pfn >= XD_XK_MAX_PFNS ? run->count
                                                           : run->pfn + run->count - XD_XK_MAX_PFNS;
        }
        end_pfn = XD_XK_MAX_PFNS;
    }
    x->np2m = (end_pfn + PER_PAGE - 1) / PER_PAGE;
    x->nfl = (x->np2m + PER_PAGE - 1) / PER_PAGE;
    /* p2m pages with at least one pfn: runs are pfn ascending, so the numbers are too */
    _Static_assert(XD_XK_MAX_PFNS / PER_PAGE <= UINT32_MAX, "p2m page numbers fit 32 bits");
    uint64_t cap = 0;
    for (size_t r = 0; r < f->nruns; r++) {
        const struct xd_run *run = &f->runs[r];
        if (run->pfn >= end_pfn)
            break;
        uint64_t last = run->pfn + run->count - 1;
        if (last >= end_pfn)
            last = end_pfn - 1;
        for (uint64_t j = run->pfn / PER_PAGE; j <= last / PER_PAGE; j++) {
            if (x->npresent && x->present[x->npresent - 1] == j)
                continue;
            if (x->npresent == cap) {
                cap = cap ? cap * 2 : 64;
                uint32_t *p = realloc(x->present, cap * sizeof(*p));
                if (!p) {
                    xd_xk_free(x);
                    return -1;
                }
                x->present = p;
            }
            x->present[x->npresent++] = (uint32_t)j;
        }
    }
    x->npages = 1 + x->nfl + 1 + x->npresent;
    /* above every frame of the guest, on a 2 MiB boundary so it reads as apart */
    x->base_mfn = (max_mfn + 1 + 511) / 512 * 512;
    return 0;
}

/* The machine frame crash finds p2m page j at. */
static uint64_t p2m_page_mfn(const struct xd_xk *x, uint64_t j)
{
    uint64_t lo = 0, hi = x->npresent;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (x->present[mid] < j)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t empty = x->base_mfn + 1 + x->nfl;
    return lo < x->npresent && x->present[lo] == j ? empty + 1 + lo : empty;
}

void xd_xk_page(const struct xd_xk *x, const struct xd_frames *f, uint64_t k, uint8_t *page)
{
    memset(page, 0, 4096);
    if (k == 0) { /* the frame-list list: the frame lists' machine frames */
        for (uint64_t i = 0; i < x->nfl; i++)
            xd_put_le64(page + 8 * i, x->base_mfn + 1 + i);
    } else if (k <= x->nfl) { /* frame list k-1: machine frames of p2m pages */
        uint64_t first = (k - 1) * PER_PAGE;
        for (uint64_t i = 0; i < PER_PAGE && first + i < x->np2m; i++)
            xd_put_le64(page + 8 * i, p2m_page_mfn(x, first + i));
    } else if (k == x->nfl + 1) { /* the p2m page of pfns the dump does not hold */
        memset(page, 0xff, 4096);
    } else { /* a p2m page: each pfn's mfn, or all ones */
        uint64_t first = x->present[k - x->nfl - 2] * PER_PAGE;
        size_t m = xd_frames_mrun_at(f, first); /* then the pieces in pfn order */
        for (uint64_t i = 0; i < PER_PAGE; i++) {
            uint64_t pfn = first + i, mfn = INVALID_MFN;
            while (m < f->nmruns && pfn >= f->mruns[m].pfn + f->mruns[m].count)
                m++;
            if (pfn < XD_XK_MAX_PFNS && m < f->nmruns && pfn >= f->mruns[m].pfn)
                mfn = f->mruns[m].mfn + (pfn - f->mruns[m].pfn);
            xd_put_le64(page + 8 * i, mfn);
        }
    }
}

void xd_xk_free(struct xd_xk *x)
{
    free(x->present);
    x->present = NULL;
    x->npresent = 0;
}
