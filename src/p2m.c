/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which frames exist: the PV p2m (list or tree) and the HVM gfn space. See p2m.h. */
#include "p2m.h"
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xdump.h"

#define ENTRIES 512u /* 64-bit entries per page */
#define INVALID_ENTRY (~0ull)
#define FOREIGN_OR_IDENTITY (3ull << 62) /* Linux marks non-RAM p2m entries with these */
#define PTE_PRESENT 1ull
#define PTE_PSE 0x80ull
#define PTE_FRAME 0x000ffffffffff000ull
#define KNOWN_EMPTY 8  /* leaf frames remembered as holding no valid entry */
#define PAGED_ROUNDS 8 /* HVM: re-ask for paged-out frames this many times */

#define fail xd_fail

int xd_frames_add(struct xd_frames *f, uint64_t pfn, bool with_mfn, uint64_t mfn)
{
    struct xd_run *last = f->nruns ? &f->runs[f->nruns - 1] : NULL;
    if (last && pfn < last->pfn + last->count)
        return -XDUMP_E_FAIL; /* callers add in ascending order */
    if (with_mfn) {
        struct xd_mrun *m = f->nmruns ? &f->mruns[f->nmruns - 1] : NULL;
        if (m && pfn == m->pfn + m->count && mfn == m->mfn + m->count && mfn > m->mfn) {
            m->count++;
        } else {
            if (f->nmruns == f->mcap) {
                size_t cap = f->mcap ? f->mcap * 2 : 64;
                m = realloc(f->mruns, cap * sizeof(*m));
                if (!m)
                    return -XDUMP_E_FAIL;
                f->mruns = m;
                f->mcap = cap;
            }
            f->mruns[f->nmruns++] = (struct xd_mrun){pfn, mfn, 1};
        }
    }
    f->npages++;
    if (last && pfn == last->pfn + last->count) {
        last->count++;
        return 0;
    }
    if (f->nruns == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        struct xd_run *r = realloc(f->runs, cap * sizeof(*r));
        if (!r)
            return -XDUMP_E_FAIL;
        f->runs = r;
        f->cap = cap;
    }
    f->runs[f->nruns++] = (struct xd_run){pfn, 1, f->npages - 1};
    return 0;
}

const struct xd_run *xd_frames_run(const struct xd_frames *f, uint64_t pfn)
{
    size_t lo = 0, hi = f->nruns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct xd_run *r = &f->runs[mid];
        if (pfn < r->pfn)
            hi = mid;
        else if (pfn >= r->pfn + r->count)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

bool xd_frames_find(const struct xd_frames *f, uint64_t pfn, uint64_t *page)
{
    const struct xd_run *r = xd_frames_run(f, pfn);
    if (r)
        *page = r->page + (pfn - r->pfn);
    return r != NULL;
}

size_t xd_frames_mrun_at(const struct xd_frames *f, uint64_t pfn)
{
    size_t lo = 0, hi = f->nmruns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pfn >= f->mruns[mid].pfn && pfn - f->mruns[mid].pfn >= f->mruns[mid].count)
            lo = mid + 1; /* ends at or before pfn */
        else
            hi = mid;
    }
    return lo;
}

const struct xd_mrun *xd_frames_mrun(const struct xd_frames *f, uint64_t pfn)
{
    size_t k = xd_frames_mrun_at(f, pfn);
    if (k == f->nmruns || pfn < f->mruns[k].pfn)
        return NULL;
    return &f->mruns[k];
}

bool xd_frames_mfn_of(const struct xd_frames *f, uint64_t pfn, uint64_t *mfn)
{
    const struct xd_mrun *m = xd_frames_mrun(f, pfn);
    if (m)
        *mfn = m->mfn + (pfn - m->pfn);
    return m != NULL;
}

uint64_t xd_frames_mfn(const struct xd_frames *f, const struct xd_run *r, uint64_t i)
{
    uint64_t mfn = 0;
    xd_frames_mfn_of(f, r->pfn + i, &mfn);
    return mfn;
}

void xd_frames_free(struct xd_frames *f)
{
    free(f->runs);
    free(f->mruns);
    memset(f, 0, sizeof(*f));
}

#define RADIX_BITS 11

/* Sorts e[0..n) by mfn: least significant digit first, RADIX_BITS bits a pass, as many passes
   as the largest mfn needs (2 or 3 for any real host), each stable, through tmp[n]. A qsort()
   of a 1 GiB guest's 256 Ki pages was 4% of its dump, when the inverse was kept page by page;
   a guest whose machine frames are scattered page by page still has that many pieces. */
static void sort_by_mfn(struct xd_mrun *e, struct xd_mrun *tmp, size_t *count, size_t n)
{
    uint64_t top = 0;
    for (size_t i = 0; i < n; i++)
        top |= e[i].mfn;
    for (unsigned shift = 0; shift < 64 && (top >> shift); shift += RADIX_BITS) {
        memset(count, 0, sizeof(*count) << RADIX_BITS);
        for (size_t i = 0; i < n; i++)
            count[(e[i].mfn >> shift) & ((1u << RADIX_BITS) - 1)]++;
        for (size_t b = 0, sum = 0; b < (1u << RADIX_BITS); b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(e[i].mfn >> shift) & ((1u << RADIX_BITS) - 1)]++] = e[i];
        memcpy(e, tmp, n * sizeof(*e));
    }
}

int xd_m2p_build(const struct xd_frames *f, struct xd_m2p *m)
{
    size_t n = f->nmruns ? f->nmruns : 1;
    *m = (struct xd_m2p){0};
    m->e = malloc(n * sizeof(*m->e));
    struct xd_mrun *tmp = malloc(n * sizeof(*tmp));
    size_t *count = malloc(sizeof(*count) << RADIX_BITS);
    if (!m->e || !tmp || !count) {
        free(count);
        free(tmp);
        free(m->e);
        m->e = NULL;
        return -1;
    }
    if (f->nmruns)
        memcpy(m->e, f->mruns, f->nmruns * sizeof(*m->e));
    sort_by_mfn(m->e, tmp, count, f->nmruns);
    free(count);
    free(tmp);
    /* Disjoint: a hostile p2m may name one machine frame for several pfns (their pages are
       the same bytes). The piece met first in mfn order (pfn order among equal starts: the
       sort is stable) keeps the frames; a later one loses what overlaps and, if nothing is
       left beyond, goes. */
    uint64_t end = 0;
    for (size_t i = 0; i < f->nmruns; i++) {
        struct xd_mrun r = m->e[i];
        if (m->n && r.mfn < end) {
            uint64_t skip = end - r.mfn;
            if (skip >= r.count)
                continue;
            r.mfn += skip, r.pfn += skip, r.count -= skip;
        }
        m->e[m->n++] = r;
        end = r.mfn + r.count;
    }
    return 0;
}

void xd_m2p_use(struct xd_m2p *m, const struct xd_frames *f,
                int (*ask)(void *ctx, uint64_t mfn, uint64_t *pfn), void *ctx)
{
    *m = (struct xd_m2p){.ask = ask, .ctx = ctx, .f = f};
}

/* Xen's entry for mfn, believed when the p2m leads back to mfn. */
static bool ask_xen(struct xd_m2p *m, uint64_t mfn, uint64_t *pfn)
{
    const struct xd_mrun *r = m->last;
    if (r && mfn >= r->mfn && mfn - r->mfn < r->count) {
        *pfn = r->pfn + (mfn - r->mfn);
        return true;
    }
    uint64_t cand;
    m->asked++;
    if (m->ask(m->ctx, mfn, &cand) < 0) {
        m->unanswered++;
        return false;
    }
    /* Entries with the top bit set are no pfn (INVALID_M2P_ENTRY, SHARED_M2P_ENTRY:
       xen/arch/x86/include/asm/mm.h l.498-501): a frame no guest placed, or Xen's own. */
    if (cand >> 63)
        return false;
    r = cand < XD_P2M_MAX_PFNS ? xd_frames_mrun(m->f, cand) : NULL;
    if (!r || r->mfn + (cand - r->pfn) != mfn) {
        m->refused++;
        return false;
    }
    m->last = r;
    *pfn = cand;
    return true;
}

bool xd_m2p_lookup(struct xd_m2p *m, uint64_t mfn, uint64_t *pfn)
{
    if (m->ask)
        return ask_xen(m, mfn, pfn);
    size_t lo = 0, hi = m->n; /* the first piece starting above mfn */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->e[mid].mfn <= mfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || mfn - m->e[lo - 1].mfn >= m->e[lo - 1].count)
        return false;
    *pfn = m->e[lo - 1].pfn + (mfn - m->e[lo - 1].mfn);
    return true;
}

void xd_m2p_free(struct xd_m2p *m)
{
    free(m->e);
    *m = (struct xd_m2p){0};
}

/* ---- PV ------------------------------------------------------------------------------------ */

struct pv {
    const struct xd_guest_ops *ops;
    struct xd_frames *out;
    uint64_t max_pfn, max_mfn, limit;
    uint64_t leaves_read;        /* bounded by limit too: a guest cannot own more p2m pages */
    uint64_t steps;              /* the list walk's steps: bounded by limit + its tables */
    uint64_t empty[KNOWN_EMPTY]; /* leaf frames seen with no valid entry (Linux's p2m_missing) */
    unsigned nempty;
    char *err;
    size_t errlen;
    /* A batch of leaves to read: leaf index and its frame. */
    uint64_t leaf_idx[XD_BATCH], leaf_mfn[XD_BATCH];
    size_t nleaves;
    uint8_t buf[XD_BATCH * XD_PAGE_SIZE];
    int ferr[XD_BATCH];
};

static bool known_empty(const struct pv *p, uint64_t mfn)
{
    for (unsigned i = 0; i < p->nempty; i++)
        if (p->empty[i] == mfn)
            return true;
    return false;
}

static int read_one(struct pv *p, uint64_t mfn, uint8_t *page, const char *what)
{
    int e = 0;
    int rc = p->ops->read_frames(p->ops->ctx, &mfn, 1, page, &e);
    if (rc < 0)
        return fail(p->err, p->errlen, -rc, "%s", p->ops->error(p->ops->ctx));
    if (e)
        return fail(p->err, p->errlen, XDUMP_E_GUEST,
                    "the guest's p2m names frame %#llx for its %s, which cannot be read (%s)",
                    (unsigned long long)mfn, what, strerror(e));
    return 0;
}

/* Reads the pending leaves and records their entries. */
static int flush_leaves(struct pv *p)
{
    if (!p->nleaves)
        return 0;
    int rc = p->ops->read_frames(p->ops->ctx, p->leaf_mfn, p->nleaves, p->buf, p->ferr);
    if (rc < 0)
        return fail(p->err, p->errlen, -rc, "%s", p->ops->error(p->ops->ctx));
    for (size_t l = 0; l < p->nleaves; l++) {
        if (p->ferr[l])
            return fail(p->err, p->errlen, XDUMP_E_GUEST,
                        "p2m page %#llx (pfns %#llx..) cannot be read: %s",
                        (unsigned long long)p->leaf_mfn[l],
                        (unsigned long long)p->leaf_idx[l] * ENTRIES, strerror(p->ferr[l]));
        const uint64_t *e = (const uint64_t *)(p->buf + l * XD_PAGE_SIZE);
        unsigned valid = 0;
        for (unsigned k = 0; k < ENTRIES; k++) {
            uint64_t pfn = p->leaf_idx[l] * ENTRIES + k;
            if (pfn >= p->max_pfn)
                break;
            if (e[k] == INVALID_ENTRY || (e[k] & FOREIGN_OR_IDENTITY))
                continue;
            if (e[k] > p->max_mfn) { /* not a machine frame at all: the guest is lying */
                p->out->invalid_entries++;
                continue;
            }
            if (p->out->npages >= p->limit)
                return fail(p->err, p->errlen, XDUMP_E_GUEST,
                            "the guest's p2m lists more frames than the domain owns (%llu); "
                            "it is corrupt",
                            (unsigned long long)p->limit);
            if (xd_frames_add(p->out, pfn, true, e[k]) < 0)
                return fail(p->err, p->errlen, XDUMP_E_FAIL, "out of memory");
            valid++;
        }
        if (!valid && p->nempty < KNOWN_EMPTY && !known_empty(p, p->leaf_mfn[l]))
            p->empty[p->nempty++] = p->leaf_mfn[l];
    }
    p->nleaves = 0;
    return 0;
}

/* A leaf frame not worth reading: none, not a machine frame, or known to hold nothing. */
static bool leaf_skipped(const struct pv *p, uint64_t mfn)
{
    return mfn == 0 || mfn == INVALID_ENTRY || mfn > p->max_mfn || known_empty(p, mfn);
}

static int add_leaf(struct pv *p, uint64_t idx, uint64_t mfn)
{
    if (leaf_skipped(p, mfn))
        return 0;
    if (++p->leaves_read > p->limit)
        return fail(p->err, p->errlen, XDUMP_E_GUEST,
                    "the guest's p2m names more p2m pages than the domain owns; it is corrupt");
    p->leaf_idx[p->nleaves] = idx;
    p->leaf_mfn[p->nleaves++] = mfn;
    return p->nleaves == XD_BATCH ? flush_leaves(p) : 0;
}

/* The page tables' view of the list: one cached table per level. */
struct table_cache {
    uint64_t mfn[5];
    bool uniform[5]; /* all 512 entries alike (Linux's shared p2m_missing / identity tables) */
    uint64_t e[5][ENTRIES];
};

static int table(struct pv *p, struct table_cache *c, int level, uint64_t mfn, const uint64_t **out)
{
    if (c->mfn[level] != mfn) {
        c->mfn[level] = ~0ull;
        int rc = read_one(p, mfn, (uint8_t *)c->e[level], "page tables");
        if (rc < 0)
            return rc;
        c->mfn[level] = mfn;
        unsigned k = 1;
        while (k < ENTRIES && c->e[level][k] == c->e[level][0])
            k++;
        c->uniform[level] = k == ENTRIES;
    }
    *out = c->e[level];
    return 0;
}

/* Walks the linear list: leaf j of the p2m is the page at p2m_vaddr + j * 4096. Absent
   table entries skip the whole range they cover, and so does a last-level table whose entries
   are all alike and name no leaf to read (the sparse part of a large p2m, as Linux maps it).
   The steps are bounded: a hostile max_pfn cannot make the walk go leaf by leaf over 2^27
   leaves. */
static int walk_list(struct pv *p, const struct xd_p2m_anchors *a)
{
    struct table_cache *c = malloc(sizeof(*c));
    if (!c)
        return fail(p->err, p->errlen, XDUMP_E_FAIL, "out of memory");
    memset(c->mfn, 0xff, sizeof(c->mfn));
    uint64_t nleaves = (p->max_pfn + ENTRIES - 1) / ENTRIES, root = a->p2m_cr3 >> 12;
    uint64_t max_steps = p->limit + nleaves / ENTRIES;
    int rc = 0;
    if (a->p2m_vaddr & (XD_PAGE_SIZE - 1))
        rc = fail(p->err, p->errlen, XDUMP_E_GUEST,
                  "the guest's p2m list address %#llx is "
                  "not page aligned",
                  (unsigned long long)a->p2m_vaddr);
    for (uint64_t j = 0; rc == 0 && j < nleaves;) {
        if (++p->steps > max_steps) {
            rc = fail(p->err, p->errlen, XDUMP_E_GUEST,
                      "the guest's p2m list has more leaf slots to look at than the domain owns "
                      "pages (%llu); it is corrupt",
                      (unsigned long long)p->limit);
            break;
        }
        uint64_t va = a->p2m_vaddr + j * XD_PAGE_SIZE, frame = root;
        const uint64_t *t;
        int level;
        for (level = 4; level >= 1; level--) {
            unsigned shift = 12 + 9 * (unsigned)(level - 1);
            if ((rc = table(p, c, level, frame, &t)) < 0)
                break;
            uint64_t e = t[(va >> shift) & 511];
            if (level == 1 && c->uniform[1] &&
                (!(e & PTE_PRESENT) || leaf_skipped(p, (e & PTE_FRAME) >> 12))) {
                shift += 9; /* nothing to read in the whole table: skip its range */
                e = 0;
            }
            if (!(e & PTE_PRESENT)) { /* nothing mapped here: skip to the next entry's range */
                uint64_t span = (1ull << shift) - (va & ((1ull << shift) - 1));
                j += span / XD_PAGE_SIZE;
                break;
            }
            frame = (e & PTE_FRAME) >> 12;
            if (level > 1 && level < 4 && (e & PTE_PSE)) { /* a large page holds leaves */
                frame += (va >> 12) & ((1ull << (shift - 12)) - 1);
                level = 0;
                break;
            }
        }
        if (rc < 0)
            break;
        if (level == 0) { /* frame is leaf j */
            rc = add_leaf(p, j, frame);
            j++;
        }
    }
    free(c);
    return rc < 0 ? rc : flush_leaves(p);
}

/* Walks the 3-level tree: frame-list-list -> frame lists -> leaves. */
static int walk_tree(struct pv *p, const struct xd_p2m_anchors *a)
{
    uint64_t fll[ENTRIES], fl[ENTRIES]; /* 8 KiB on this thread's stack: no shared state */
    uint64_t nleaves = (p->max_pfn + ENTRIES - 1) / ENTRIES;
    uint64_t nfl = (nleaves + ENTRIES - 1) / ENTRIES;
    if (nfl > ENTRIES)
        return fail(p->err, p->errlen, XDUMP_E_GUEST,
                    "the guest's p2m tree cannot address %llu pfns",
                    (unsigned long long)p->max_pfn);
    int rc = read_one(p, a->fll_mfn, (uint8_t *)fll, "p2m frame-list-list");
    for (uint64_t k = 0; rc == 0 && k < nfl; k++) {
        if (fll[k] == 0 || fll[k] == INVALID_ENTRY || fll[k] > p->max_mfn)
            continue;
        if ((rc = read_one(p, fll[k], (uint8_t *)fl, "p2m frame list")) < 0)
            break;
        for (uint64_t i = 0; rc == 0 && i < ENTRIES && k * ENTRIES + i < nleaves; i++)
            rc = add_leaf(p, k * ENTRIES + i, fl[i]);
    }
    return rc < 0 ? rc : flush_leaves(p);
}

int xd_p2m_pv(const struct xd_guest_ops *ops, const struct xd_p2m_anchors *a, uint64_t max_mfn,
              uint64_t tot_pages, struct xd_frames *out, char *err, size_t errlen)
{
    if (a->max_pfn == 0 || a->max_pfn > XD_P2M_MAX_PFNS)
        return fail(err, errlen, XDUMP_E_GUEST,
                    "the guest's p2m size (shared_info max_pfn = %#llx) is not credible",
                    (unsigned long long)a->max_pfn);
    struct pv *p = calloc(1, sizeof(*p));
    if (!p)
        return fail(err, errlen, XDUMP_E_FAIL, "out of memory");
    /* Field by field: calloc zeroed the rest, and a struct assignment would write the 4 MiB
       leaf buffer again (the fuzzer's time went there). */
    p->ops = ops;
    p->out = out;
    p->max_pfn = a->max_pfn;
    p->max_mfn = max_mfn;
    p->limit = tot_pages + (tot_pages / 8 > 1024 ? tot_pages / 8 : 1024);
    p->err = err;
    p->errlen = errlen;
    int rc = a->p2m_cr3 ? walk_list(p, a) : walk_tree(p, a);
    free(p);
    if (rc == 0 && out->npages == 0)
        rc = fail(err, errlen, XDUMP_E_GUEST, "the guest's p2m lists no frame at all");
    return rc;
}

/* ---- HVM ----------------------------------------------------------------------------------- */

/* The gfns to probe: every one Xen called absent (lent == NULL), or those of lent[] (sorted)
   it called absent. */
struct probe_set {
    const uint64_t *lent;
    size_t nlent, next;
};

static int scan_gfns(const struct xd_guest_ops *ops, uint64_t max_gpfn, struct probe_set *ps,
                     struct xd_frames *out, char *err, size_t errlen)
{
    uint64_t absent[XD_BATCH];
    uint8_t present[XD_BATCH], mappable[XD_BATCH];
    uint16_t at[XD_BATCH];
    ps->next = 0;
    for (uint64_t base = 0; base <= max_gpfn; base += XD_BATCH) {
        size_t n = max_gpfn - base + 1 < XD_BATCH ? (size_t)(max_gpfn - base + 1) : XD_BATCH;
        if (ops->stop && *ops->stop)
            return fail(err, errlen, XDUMP_E_SIGNAL,
                        "interrupted while listing the guest's frames (gfn %#llx of %#llx); no "
                        "core was written",
                        (unsigned long long)base, (unsigned long long)max_gpfn);
        int rc = ops->frames_exist(ops->ctx, base, n, present);
        if (rc < 0)
            return fail(err, errlen, -rc, "%s", ops->error(ops->ctx));
        /* What Xen called absent, one batch map tells apart: a hole, or a frame that is there
           (a page Xen lent the guest, or one paged out). */
        size_t na = 0;
        if (!ps->lent) {
            for (size_t i = 0; i < n; i++)
                if (!present[i])
                    at[na] = (uint16_t)i, absent[na++] = base + i;
        } else {
            for (; ps->next < ps->nlent && ps->lent[ps->next] < base + n; ps->next++) {
                uint64_t g = ps->lent[ps->next];
                if (g >= base && !present[g - base])
                    at[na] = (uint16_t)(g - base), absent[na++] = g;
            }
        }
        if (na && ops->probe_frames) {
            if ((rc = ops->probe_frames(ops->ctx, absent, na, mappable)) < 0)
                return fail(err, errlen, -rc, "%s", ops->error(ops->ctx));
            for (size_t k = 0; k < na; k++)
                present[at[k]] = mappable[k];
            out->probed += na;
        }
        /* Mostly holes in a sparse span: skip them a run at a time. */
        const uint8_t *p = present, *end = present + n;
        while ((p = memchr(p, 1, (size_t)(end - p))) != NULL) {
            for (; p < end && *p; p++)
                if (xd_frames_add(out, base + (uint64_t)(p - present), false, 0) < 0)
                    return fail(err, errlen, XDUMP_E_FAIL, "out of memory");
        }
    }
    return 0;
}

int xd_p2m_hvm(const struct xd_guest_ops *ops, uint64_t max_gpfn, bool probe_all,
               struct xd_frames *out, char *err, size_t errlen)
{
    if (max_gpfn >= XD_P2M_MAX_PFNS)
        return fail(err, errlen, XDUMP_E_GUEST, "the domain's highest gfn %#llx is not credible",
                    (unsigned long long)max_gpfn);
    /* Xen answers "no page" for a frame that is paged out (and starts paging it in). A scan
       is only complete if it began with nothing paged out; otherwise scan again, a bounded
       number of times, while the pager brings the frames back. */
    struct probe_set ps = {0};
    uint64_t *lent = NULL;
    int rc = 0;
    if (!probe_all && ops->lent_frames && (rc = ops->lent_frames(ops->ctx, &lent, &ps.nlent)) < 0)
        return fail(err, errlen, -rc, "%s", ops->error(ops->ctx));
    uint64_t paged = 0, before;
    if ((rc = ops->paged_pages(ops->ctx, &paged)) < 0)
        rc = fail(err, errlen, -rc, "%s", ops->error(ops->ctx));
    for (unsigned round = 0; rc == 0; round++) {
        before = paged;
        /* Paged-out frames are "no page" to Xen too, and only a mapping finds them. */
        ps.lent = probe_all || before || !lent ? NULL : lent;
        xd_frames_free(out);
        out->probed_all = !ps.lent;
        if ((rc = scan_gfns(ops, max_gpfn, &ps, out, err, errlen)) < 0)
            break;
        if ((rc = ops->paged_pages(ops->ctx, &paged)) < 0) {
            rc = fail(err, errlen, -rc, "%s", ops->error(ops->ctx));
            break;
        }
        if ((before == 0 && paged == 0) || round == PAGED_ROUNDS)
            break;
        struct timespec ts = {0, 1000000L << round}; /* 1 ms doubling */
        nanosleep(&ts, NULL);
    }
    free(lent);
    if (rc < 0)
        return rc;
    out->paged_missing = paged;
    return out->npages ? 0 : fail(err, errlen, XDUMP_E_GUEST, "the domain has no memory");
}
