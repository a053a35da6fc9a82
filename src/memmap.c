/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mem_map filter (memmap.h). The rules are makedumpfile 1.7.2's and Linux 6.1's, each cited
   where it is used; the code is xdump's. */
#include "memmap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

#define START_KERNEL_MAP UINT64_C(0xffffffff80000000) /* arch/x86/include/asm/page_64_types.h */
#define SECTION_MARKED_PRESENT 1u                     /* include/linux/mmzone.h */
#define SECTION_MAP_MASK (~UINT64_C(0x1f))            /* makedumpfile.h: SECTION_MAP_LAST_BIT */
#define PAGE_MAPPING_ANON 1u                          /* include/linux/page-flags.h */
#define MAX_COMPOUND_ORDER 18 /* 1 GiB (x86-64's largest hugetlb page): above, not believed */
#define NOT_FOUND INT64_MIN

/* The VMCOREINFO numbers the rules use; NOT_FOUND where the guest has none. */
struct vi {
    int64_t mem_section, init_top_pgt, phys_base, sme_mask, l5, image_size;
    int64_t size_page, size_ms, len_ms, off_ms_map, section_bits, physmem_bits, free_area;
    int64_t off_flags, off_mapcount, off_mapping, off_private, off_head, off_order, off_dtor;
    int64_t pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison, head_mask;
    int64_t buddy, offline, hugetlb_dtor, slab_type;
    int64_t pg_reserved; /* not exported: derived from 6.1's enum pageflags (check_vi()) */
};

struct mm {
    const struct xd_mm_in *in;
    struct vi v;
    uint64_t root;        /* pfn of the top page table */
    uint64_t walks_left;  /* the work bound of every page-table walk together */
    struct xd_vrange *vr; /* the struct pages' virtual ranges, ascending */
    size_t nvr;
    struct xd_vrange *img; /* the kernel-image map's pages, by pfn */
    size_t nimg;
    uint64_t *tables; /* page-table pfns read: kept */
    size_t ntables, tcap;
    uint8_t *excl;
    struct xd_mm_stats *st;
    char *why;
    size_t whylen;
};

static int bad(struct mm *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct mm *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why, m->whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* KEY=value of VMCOREINFO: SYMBOL() in hex, NUMBER() signed decimal, the rest decimal
   (Linux 6.1 include/linux/crash_core.h: VMCOREINFO_SYMBOL "%lx", VMCOREINFO_NUMBER "%ld"). */
static int64_t get(const struct xd_vmci *v, const char *key)
{
    char s[32], *end;
    if (!xd_vmci_value(v, key, s, sizeof(s)))
        return NOT_FOUND;
    errno = 0;
    int64_t x = !strncmp(key, "SYMBOL(", 7) ? (int64_t)strtoull(s, &end, 16)
                                            : (int64_t)strtoll(s, &end, 10);
    return errno || *end || end == s ? NOT_FOUND : x;
}

static void read_vi(const struct xd_vmci *c, struct vi *v)
{
    v->mem_section = get(c, "SYMBOL(mem_section)");
    v->init_top_pgt = get(c, "SYMBOL(init_top_pgt)");
    v->phys_base = get(c, "NUMBER(phys_base)");
    v->sme_mask = get(c, "NUMBER(sme_mask)");
    v->l5 = get(c, "NUMBER(pgtable_l5_enabled)");
    v->image_size = get(c, "NUMBER(KERNEL_IMAGE_SIZE)");
    v->size_page = get(c, "SIZE(page)");
    v->size_ms = get(c, "SIZE(mem_section)");
    v->len_ms = get(c, "LENGTH(mem_section)");
    v->off_ms_map = get(c, "OFFSET(mem_section.section_mem_map)");
    v->section_bits = get(c, "NUMBER(SECTION_SIZE_BITS)");
    v->physmem_bits = get(c, "NUMBER(MAX_PHYSMEM_BITS)");
    v->free_area = get(c, "LENGTH(zone.free_area)");
    v->off_flags = get(c, "OFFSET(page.flags)");
    v->off_mapcount = get(c, "OFFSET(page._mapcount)");
    v->off_mapping = get(c, "OFFSET(page.mapping)");
    v->off_private = get(c, "OFFSET(page.private)");
    v->off_head = get(c, "OFFSET(page.compound_head)");
    v->off_order = get(c, "OFFSET(page.compound_order)");
    v->off_dtor = get(c, "OFFSET(page.compound_dtor)");
    v->pg_lru = get(c, "NUMBER(PG_lru)");
    v->pg_private = get(c, "NUMBER(PG_private)");
    v->pg_swapcache = get(c, "NUMBER(PG_swapcache)");
    v->pg_swapbacked = get(c, "NUMBER(PG_swapbacked)");
    v->pg_slab = get(c, "NUMBER(PG_slab)");
    v->pg_hwpoison = get(c, "NUMBER(PG_hwpoison)");
    v->head_mask = get(c, "NUMBER(PG_head_mask)");
    v->buddy = get(c, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
    v->offline = get(c, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)");
    v->hugetlb_dtor = get(c, "NUMBER(HUGETLB_PAGE_DTOR)");
    v->slab_type = get(c, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)"); /* Linux 6.10 and later */
}

/* A field of SIZE bytes at an offset of struct page that fits in it. */
static bool field_ok(const struct vi *v, int64_t off, int64_t size)
{
    return off != NOT_FOUND && off >= 0 && off <= v->size_page - size; /* no overflow */
}

static bool bit_ok(int64_t b)
{
    return b != NOT_FOUND && b >= 0 && b < 64;
}

/* The memory model's numbers, each checked against what Linux can have. */
static int check_vi(struct mm *m)
{
    const struct vi *v = &m->v;
    if (v->mem_section == NOT_FOUND || v->size_page == NOT_FOUND || v->size_ms == NOT_FOUND ||
        v->len_ms == NOT_FOUND || v->off_ms_map == NOT_FOUND || v->section_bits == NOT_FOUND ||
        v->physmem_bits == NOT_FOUND || v->off_flags == NOT_FOUND || v->off_mapping == NOT_FOUND)
        return bad(m, "VMCOREINFO lacks the memory model (SYMBOL(mem_section), SIZE(page), "
                      "SIZE(mem_section), LENGTH(mem_section), NUMBER(SECTION_SIZE_BITS), ...)");
    if (v->size_page < 32 || v->size_page > 512 || XD_PAGE_SIZE % v->size_page)
        return bad(m, "SIZE(page)=%lld: not a struct page this filter reads",
                   (long long)v->size_page);
    if (v->size_ms < 8 || v->size_ms > 256 || XD_PAGE_SIZE % v->size_ms || v->off_ms_map < 0 ||
        v->off_ms_map > v->size_ms - 8)
        return bad(m, "SIZE(mem_section)=%lld, OFFSET(mem_section.section_mem_map)=%lld: absurd",
                   (long long)v->size_ms, (long long)v->off_ms_map);
    if (v->section_bits < 15 || v->section_bits > 40 || v->physmem_bits < v->section_bits ||
        v->physmem_bits > 52)
        return bad(m, "NUMBER(SECTION_SIZE_BITS)=%lld, NUMBER(MAX_PHYSMEM_BITS)=%lld: absurd",
                   (long long)v->section_bits, (long long)v->physmem_bits);
    /* SPARSEMEM_EXTREME: the roots are PAGE_SIZE / SIZE(mem_section) sections each and cover
       every section (is_sparsemem_extreme(), makedumpfile.c) */
    uint64_t per_root = XD_PAGE_SIZE / (uint64_t)v->size_ms;
    uint64_t nsec = UINT64_C(1) << (v->physmem_bits - v->section_bits);
    if ((uint64_t)v->len_ms != (nsec + per_root - 1) / per_root)
        return bad(m, "LENGTH(mem_section)=%lld: not SPARSEMEM_EXTREME's roots (%llu)",
                   (long long)v->len_ms, (unsigned long long)((nsec + per_root - 1) / per_root));
    if (!field_ok(v, v->off_flags, 8) || !field_ok(v, v->off_mapping, 8))
        return bad(m, "OFFSET(page.flags/mapping) outside SIZE(page)");
    /* PG_reserved is not in VMCOREINFO; in 6.1's enum pageflags (include/linux/page-flags.h)
       it is bit 12, between PG_arch_1 and PG_private: believed only when the exported bits
       around it are that enum's */
    m->v.pg_reserved =
        v->pg_lru == 4 && v->pg_slab == 9 && v->pg_swapcache == 10 && v->pg_private == 13
            ? 12
            : NOT_FOUND;
    if (v->sme_mask != NOT_FOUND && v->sme_mask != 0)
        return bad(m, "NUMBER(sme_mask) is not 0: encrypted guest memory is not read");
    return 0;
}

/* ---- guest virtual memory ----------------------------------------------------------------- */

static int read_table(void *opaque, uint64_t pfn, void *buf)
{
    struct mm *m = opaque;
    if (m->ntables == m->tcap) {
        size_t cap = m->tcap ? 2 * m->tcap : 64;
        uint64_t *t = realloc(m->tables, cap * sizeof(*t));
        if (!t)
            return -1;
        m->tables = t, m->tcap = cap;
    }
    m->tables[m->ntables++] = pfn;
    m->st->table_reads++;
    return m->in->read_page(m->in->opaque, pfn, buf);
}

static int frame_to_pfn(void *opaque, uint64_t frame, uint64_t *pfn)
{
    struct mm *m = opaque; /* the walk's opaque is the filter's: the caller's is passed on */
    return m->in->frame_to_pfn(m->in->opaque, frame, pfn);
}

/* Walks [lo, hi] under the guest's kernel page tables, appending to *vr: 0, or -1. */
static int walk(struct mm *m, uint64_t lo, uint64_t hi, struct xd_vrange **vr, size_t *nvr)
{
    if (!m->walks_left)
        return bad(m, "the page-table walks reached their work bound");
    struct xd_walk_opts o = {.cr3 = m->root << XD_PAGE_SHIFT,
                             .la57 = m->v.l5 == 1,
                             .max_pfn = m->in->max_pfn,
                             .present = m->in->present,
                             .npresent = m->in->npresent,
                             .vaddr_lo = lo,
                             .vaddr_hi = hi,
                             .max_table_walks = m->walks_left};
    struct xd_vrange *got = NULL;
    size_t ngot = 0;
    struct xd_walk_stats ws = {0};
    int rc =
        xd_pagewalk(&o, read_table, m->in->frame_to_pfn ? frame_to_pfn : NULL, m, &got, &ngot, &ws);
    m->walks_left -= ws.table_walks < m->walks_left ? ws.table_walks : m->walks_left;
    if (rc == 0 && ngot) {
        struct xd_vrange *n = realloc(*vr, (*nvr + ngot) * sizeof(*n));
        if (!n)
            rc = -1, errno = ENOMEM;
        else
            memcpy(n + *nvr, got, ngot * sizeof(*n)), *vr = n, *nvr += ngot;
    }
    free(got);
    if (rc < 0)
        return bad(m, "walking the guest's page tables over %#llx-%#llx: %s",
                   (unsigned long long)lo, (unsigned long long)hi,
                   errno == E2BIG ? "work bound reached" : strerror(errno));
    return 0;
}

/* The range of vr holding va: its index, or -1. */
static long find_vr(const struct xd_vrange *vr, size_t n, uint64_t va)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (va < vr[mid].vaddr)
            hi = mid;
        else if ((va - vr[mid].vaddr) >> XD_PAGE_SHIFT >= vr[mid].npages)
            lo = mid + 1;
        else
            return (long)mid;
    }
    return -1;
}

/* len bytes of kernel virtual memory at va (within one page) into buf: 0, or -1. */
static int read_kva(struct mm *m, uint64_t va, void *buf, size_t len)
{
    uint8_t page[XD_PAGE_SIZE];
    struct xd_vrange *vr = NULL;
    size_t nvr = 0;
    uint64_t base = va & ~(uint64_t)(XD_PAGE_SIZE - 1);
    if ((va & (XD_PAGE_SIZE - 1)) + len > XD_PAGE_SIZE)
        return bad(m, "kernel address %#llx: %zu bytes across a page", (unsigned long long)va, len);
    if (walk(m, base, base | 0xfff, &vr, &nvr) < 0)
        return -1;
    int rc =
        nvr == 1 && vr[0].vaddr == base ? m->in->read_page(m->in->opaque, vr[0].pfn, page) : -1;
    free(vr);
    if (rc < 0)
        return bad(m, "kernel address %#llx is not mapped or not readable", (unsigned long long)va);
    memcpy(buf, page + (va - base), len);
    return 0;
}

/* ---- the sections ------------------------------------------------------------------------- */

/* A present section: its pfns and the virtual address of its first struct page. */
struct section {
    uint64_t pfn, mem_map;
};

static bool any_present(const struct xd_mm_in *in, uint64_t lo, uint64_t hi)
{
    size_t a = 0, b = in->npresent; /* the first run ending after lo */
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (in->present[mid].pfn + in->present[mid].count <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    return a < in->npresent && in->present[a].pfn < hi;
}

/* A root, SECTIONS_PER_ROOT struct mem_sections (a page), is allocated by Linux's
   sparse_index_alloc() (mm/sparse.c, 6.1 and 6.12) with kzalloc_node() or, at boot,
   memblock_alloc_node(array_size, SMP_CACHE_BYTES, nid): aligned to a cache line (64 bytes on
   x86-64, L1_CACHE_SHIFT 6), not to a page - Debian 13's 6.12 guest on real Xen had root 0 at
   0x...680, so a root may cross a page. */
#define ROOT_ALIGN 64

/* The present sections that hold pfns of the guest, ascending: 0, or -1. */
static int sections(struct mm *m, struct section **out, size_t *nout)
{
    const struct vi *v = &m->v;
    uint64_t per_root = XD_PAGE_SIZE / (uint64_t)v->size_ms;
    uint64_t spp = UINT64_C(1) << (v->section_bits - XD_PAGE_SHIFT); /* pfns a section */
    uint64_t nsec = (m->in->max_pfn + spp - 1) / spp;
    uint64_t nroots = (nsec + per_root - 1) / per_root;
    if (nroots > (uint64_t)v->len_ms)
        return bad(m, "the guest's pfns need more section roots than LENGTH(mem_section)");
    struct section *s = calloc(nsec ? nsec : 1, sizeof(*s));
    if (!s)
        return bad(m, "out of memory");
    size_t n = 0;
    uint8_t root_page[XD_PAGE_SIZE];
    for (uint64_t r = 0; r < nroots; r++) {
        uint64_t root;
        uint64_t first = r * per_root, last = first + per_root;
        if (!any_present(m->in, first * spp, last * spp))
            continue;
        if (read_kva(m, (uint64_t)v->mem_section + 8 * r, &root, 8) < 0) {
            free(s);
            return -1;
        }
        if (!root)
            continue; /* no memory in these sections */
        if (root & (ROOT_ALIGN - 1) || root > UINT64_MAX - XD_PAGE_SIZE) {
            free(s);
            return bad(m, "mem_section root %llu (%#llx) is not aligned to a cache line",
                       (unsigned long long)r, (unsigned long long)root);
        }
        /* a page of struct mem_section, in the pages it crosses */
        size_t head = XD_PAGE_SIZE - (size_t)(root & (XD_PAGE_SIZE - 1));
        if (read_kva(m, root, root_page, head) < 0 ||
            (head < XD_PAGE_SIZE &&
             read_kva(m, root + head, root_page + head, XD_PAGE_SIZE - head) < 0)) {
            free(s);
            return -1;
        }
        for (uint64_t k = first; k < last && k < nsec; k++) {
            uint64_t map = xd_get_le64(root_page + (k - first) * v->size_ms + v->off_ms_map);
            if (!(map & SECTION_MARKED_PRESENT) || !any_present(m->in, k * spp, (k + 1) * spp))
                continue;
            /* sparse_decode_mem_map(): the stored value is mem_map - the section's first pfn */
            s[n].pfn = k * spp;
            s[n].mem_map = (map & SECTION_MAP_MASK) + k * spp * (uint64_t)v->size_page;
            n++;
        }
    }
    *out = s;
    *nout = n;
    m->st->sections = n;
    return 0;
}

/* The struct pages' virtual ranges, one walk per stretch of sections adjacent in both. */
static int map_sections(struct mm *m, const struct section *s, size_t n)
{
    uint64_t spp = UINT64_C(1) << (m->v.section_bits - XD_PAGE_SHIFT);
    uint64_t bytes = spp * (uint64_t)m->v.size_page;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1;
             j < n && s[j].pfn == s[j - 1].pfn + spp && s[j].mem_map == s[j - 1].mem_map + bytes;)
            j++;
        uint64_t lo = s[i].mem_map, hi = s[j - 1].mem_map + bytes - 1;
        if (hi < lo || (m->nvr && lo <= m->vr[m->nvr - 1].vaddr))
            return bad(m, "section mem_maps overlap or are not ascending (%#llx)",
                       (unsigned long long)lo);
        if (walk(m, lo, hi, &m->vr, &m->nvr) < 0)
            return -1;
    }
    return 0;
}

/* ---- the rules ----------------------------------------------------------------------------- */

static int by_pfn(const void *a, const void *b)
{
    const struct xd_vrange *x = a, *y = b;
    return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* The pages the kernel-image map maps (__START_KERNEL_map .. + KERNEL_IMAGE_SIZE), by pfn. */
static int image_map(struct mm *m)
{
    uint64_t size = m->v.image_size > 0 && m->v.image_size <= (INT64_C(1) << 31)
                        ? (uint64_t)m->v.image_size
                        : UINT64_C(1) << 30; /* KERNEL_IMAGE_SIZE with KASLR */
    if (walk(m, START_KERNEL_MAP, START_KERNEL_MAP + size - 1, &m->img, &m->nimg) < 0)
        return -1;
    if (m->nimg)
        qsort(m->img, m->nimg, sizeof(*m->img), by_pfn);
    return 0;
}

static bool in_image(const struct mm *m, uint64_t pfn)
{
    size_t lo = 0, hi = m->nimg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pfn < m->img[mid].pfn)
            hi = mid;
        else if (pfn - m->img[mid].pfn >= m->img[mid].npages)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

/* Leaves pfn .. pfn + n - 1 out, counted in *counter - but for a page of the kernel image
   (live: the block's head is in the kernel-image map and is PG_reserved, or, where that bit is
   not known, is not free), whatever the rules say of it (makedumpfile issue #21 saw kernel
   pages dropped). What Linux frees of its image goes to the buddy allocator no longer
   reserved (free_kernel_image_pages() in arch/x86/mm/init.c, free_reserved_page()) and stays
   mapped there without PTI: once reused (page cache, anonymous), it is decided as any page. */
static void exclude(struct mm *m, uint64_t pfn, uint64_t n, uint64_t *counter, bool live)
{
    for (uint64_t p = pfn; p < pfn + n && p < m->in->max_pfn; p++)
        if (live && in_image(m, p))
            m->st->image_kept++;
        else if (!(m->excl[p >> 3] & (1u << (p & 7)))) {
            m->excl[p >> 3] |= (uint8_t)(1u << (p & 7));
            (*counter)++;
        }
}

/* One struct page (and, for a compound head, the next one): how many pages it decides - its
   class's counter set, or NULL when it is kept. */
static uint64_t classify(struct mm *m, uint64_t pfn, const uint8_t *pg, const uint8_t *next,
                         uint64_t **counter)
{
    const struct vi *v = &m->v;
    struct xd_mm_stats *st = m->st;
    int level = m->in->level;
    uint64_t flags = xd_get_le64(pg + v->off_flags);
    uint64_t mapping = xd_get_le64(pg + v->off_mapping);
    bool has_mapcount = field_ok(v, v->off_mapcount, 4);
    int32_t mapcount = has_mapcount ? (int32_t)xd_get_le32(pg + v->off_mapcount) : 0;
    uint64_t private = field_ok(v, v->off_private, 8) ? xd_get_le64(pg + v->off_private) : 0;
    /* Linux 6.10 and later have no PG_slab: a slab page's page type, in _mapcount, is
       PAGE_SLAB_MAPCOUNT_VALUE (6.12: the top byte PGTY_slab), compared whole as makedumpfile
       does since 72c3414 ("fix detection of typed (compound) pages (Linux 6.12)", isSlab()) */
    bool slab = (bit_ok(v->pg_slab) && flags >> v->pg_slab & 1) ||
                (has_mapcount && v->slab_type != NOT_FOUND && mapcount == (int32_t)v->slab_type);
#define FLAG(b) (bit_ok(b) && (flags >> (b)&1))
    *counter = NULL;

    unsigned order = 0, dtor = 0; /* a head's: dtor kept when the order is rejected, as there */
    if (next && v->head_mask != NOT_FOUND && flags & (uint64_t)v->head_mask) {
        if (field_ok(v, v->off_order, 1))
            order = next[v->off_order];
        if (field_ok(v, v->off_dtor, 1))
            dtor = next[v->off_dtor];
        /* makedumpfile rejects an order >= 64 or unaligned; a larger one than x86-64 can have
           is not believed either (the page is then decided alone: kept or as one page) */
        if (order > MAX_COMPOUND_ORDER || (pfn & ((UINT64_C(1) << order) - 1)))
            order = 0;
    }
    uint64_t n = UINT64_C(1) << order;
    if (field_ok(v, v->off_head, 8) && xd_get_le64(pg + v->off_head) & 1)
        return 1; /* a tail: its head decided it */
    /* not a slab page, whose struct slab overlays mapping with its own fields (6.12: a partial
       slab's `slabs` count there, often 1): makedumpfile 1.7.6's isAnon() */
    bool anon = mapping & PAGE_MAPPING_ANON && !slab;
    bool cache = FLAG(v->pg_lru) || (FLAG(v->pg_swapbacked) && FLAG(v->pg_swapcache));
    if (level & XD_DL_FREE && has_mapcount && v->buddy != NOT_FOUND && !slab &&
        mapcount == (int32_t)v->buddy && field_ok(v, v->off_private, 8)) {
        if (v->free_area != NOT_FOUND && private >= (uint64_t)v->free_area)
            return 1; /* makedumpfile: "Invalid free page order", kept */
        if (private > MAX_COMPOUND_ORDER)
            return 1;
        *counter = &st->free;
        return UINT64_C(1) << private;
    }
    if (level & XD_DL_CACHE && cache && !FLAG(v->pg_private) && !anon) {
        *counter = &st->cache;
        return n;
    }
    if (level & XD_DL_CACHE_PRI && cache && !anon) {
        *counter = FLAG(v->pg_private) ? &st->cache_private : &st->cache;
        return n;
    }
    if (level & XD_DL_USER &&
        (anon || (v->hugetlb_dtor != NOT_FOUND && dtor && dtor == (unsigned)v->hugetlb_dtor))) {
        *counter = &st->user;
        return n;
    }
    if (FLAG(v->pg_hwpoison)) {
        *counter = &st->hwpoison;
        return n;
    }
    if (has_mapcount && v->offline != NOT_FOUND && !slab && mapcount == (int32_t)v->offline) {
        *counter = &st->offline;
        return n;
    }
#undef FLAG
    return n;
}

/* Every present pfn of the sections through the rules. */
/* The struct pages' pages, read ahead: up to XD_MM_BATCH guest-contiguous ones of a range. */
struct ahead {
    uint8_t buf[XD_MM_BATCH * XD_PAGE_SIZE];
    int err[XD_MM_BATCH];
    uint64_t first, n; /* guest pfns first .. first + n - 1 are in buf */
};

/* The page of struct pages at guest pfn gpfn (in range k of m->vr): a pointer into a->buf, or
   NULL when it cannot be read. */
static const uint8_t *struct_page_page(struct mm *m, struct ahead *a, long k, uint64_t gpfn)
{
    if (gpfn - a->first < a->n)
        return a->err[gpfn - a->first] ? NULL : a->buf + (gpfn - a->first) * XD_PAGE_SIZE;
    uint64_t left = m->vr[k].pfn + m->vr[k].npages - gpfn; /* to the range's end */
    size_t n =
        m->in->read_pages && left > 1 ? (left < XD_MM_BATCH ? (size_t)left : XD_MM_BATCH) : 1;
    uint64_t pfns[XD_MM_BATCH];
    for (size_t i = 0; i < n; i++)
        pfns[i] = gpfn + i;
    a->first = gpfn;
    a->n = n;
    if (n > 1 && m->in->read_pages(m->in->opaque, pfns, n, a->buf, a->err) < 0)
        a->n = n = 1; /* then this page alone */
    if (n == 1)
        a->err[0] = m->in->read_page(m->in->opaque, gpfn, a->buf) < 0;
    m->st->page_reads += n;
    return a->err[0] ? NULL : a->buf;
}

static int scan(struct mm *m, const struct section *s, size_t ns)
{
    uint64_t spp = UINT64_C(1) << (m->v.section_bits - XD_PAGE_SHIFT);
    uint64_t sp = (uint64_t)m->v.size_page;
    struct ahead *a = malloc(sizeof(*a));
    if (!a)
        return bad(m, "out of memory");
    a->first = a->n = 0;
    int rc = 0;
    size_t r = 0; /* the present run at or after pfn */
    for (size_t i = 0; i < ns; i++) {
        uint64_t end = s[i].pfn + spp < m->in->max_pfn ? s[i].pfn + spp : m->in->max_pfn;
        for (uint64_t pfn = s[i].pfn; pfn < end;) {
            while (r < m->in->npresent && m->in->present[r].pfn + m->in->present[r].count <= pfn)
                r++;
            if (r == m->in->npresent)
                goto out;
            if (pfn < m->in->present[r].pfn) { /* a hole: to the next run */
                pfn = m->in->present[r].pfn;
                continue;
            }
            uint64_t va = s[i].mem_map + (pfn - s[i].pfn) * sp;
            long k = find_vr(m->vr, m->nvr, va);
            if (k < 0) {
                rc = bad(m, "the struct page of pfn %#llx (%#llx) is not mapped",
                         (unsigned long long)pfn, (unsigned long long)va);
                goto out;
            }
            uint64_t gpfn = m->vr[k].pfn + ((va - m->vr[k].vaddr) >> XD_PAGE_SHIFT);
            const uint8_t *page = struct_page_page(m, a, k, gpfn);
            if (!page) {
                rc = bad(m, "the struct pages of pfn %#llx (guest pfn %#llx) cannot be read",
                         (unsigned long long)pfn, (unsigned long long)gpfn);
                goto out;
            }
            size_t at = va & (XD_PAGE_SIZE - 1);
            /* a compound head is aligned: its first tail's struct page is in the same page */
            const uint8_t *next = at + 2 * sp <= XD_PAGE_SIZE ? page + at + sp : NULL;
            uint64_t *counter;
            uint64_t n = classify(m, pfn, page + at, next, &counter);
            m->st->struct_pages++;
            if (counter) {
                uint64_t flags = xd_get_le64(page + at + m->v.off_flags);
                bool live = m->v.pg_reserved != NOT_FOUND ? flags >> m->v.pg_reserved & 1
                                                          : counter != &m->st->free;
                exclude(m, pfn, n, counter, live);
            }
            pfn += counter ? n : 1; /* an excluded block is decided as one (makedumpfile) */
        }
    }
out:
    free(a);
    return rc;
}

/* The page tables the walks read: kept. */
static void keep_tables(struct mm *m)
{
    for (size_t i = 0; i < m->ntables; i++) {
        uint64_t p = m->tables[i];
        if (p < m->in->max_pfn)
            m->excl[p >> 3] &= (uint8_t) ~(1u << (p & 7));
    }
}

int xd_memmap_filter(const struct xd_mm_in *in, uint8_t *excl, struct xd_mm_stats *st, char *why,
                     size_t whylen)
{
    struct mm m = {.in = in, .excl = excl, .st = st, .why = why, .whylen = whylen};
    memset(st, 0, sizeof(*st));
    if (!in->vmci || !in->vmci->found)
        return bad(&m, "no VMCOREINFO");
    if (!in->max_pfn)
        return bad(&m, "no memory");
    read_vi(in->vmci, &m.v);
    if (check_vi(&m) < 0)
        return -1;
    if (!in->prefer_cr3 && m.v.init_top_pgt != NOT_FOUND && m.v.phys_base != NOT_FOUND) {
        /* vtop4_x86_64(): the kernel map's physical address is phys_base + (va - map) */
        uint64_t va = (uint64_t)m.v.init_top_pgt;
        if (va < START_KERNEL_MAP || va & (XD_PAGE_SIZE - 1))
            return bad(&m, "SYMBOL(init_top_pgt)=%#llx is not a kernel-image address",
                       (unsigned long long)va);
        m.root = (va - START_KERNEL_MAP + (uint64_t)m.v.phys_base) >> XD_PAGE_SHIFT;
    } else if (in->cr3) {
        m.root = in->cr3 >> XD_PAGE_SHIFT;
    } else {
        return bad(&m, "no page table to start from (no SYMBOL(init_top_pgt), no vCPU's CR3)");
    }
    /* the work bound: the tables mapping every struct page with 4 KiB pages, and a margin */
    m.walks_left = in->max_pfn * (uint64_t)m.v.size_page / XD_PAGE_SIZE / 512 * 4 + 4096;
    struct section *s = NULL;
    size_t ns = 0;
    int rc = image_map(&m);
    if (rc == 0)
        rc = sections(&m, &s, &ns);
    if (rc == 0)
        rc = map_sections(&m, s, ns);
    if (rc == 0)
        rc = scan(&m, s, ns);
    if (rc == 0) {
        keep_tables(&m);
        st->excluded = 0;
        for (uint64_t i = 0; i < (in->max_pfn + 7) / 8; i++)
            st->excluded += (uint64_t)__builtin_popcount(excl[i]);
    }
    free(s);
    free(m.vr);
    free(m.img);
    free(m.tables);
    return rc;
}
