/* SPDX-License-Identifier: GPL-2.0-or-later */
/* src/diskdump.c, the kdump-compressed writer, read back here by the format's documented
   layout (makedumpfile's IMPLEMENTATION and diskdump_mod.h, crash's diskdump.c), with offsets
   spelled out independently of diskdump.h, and each page decompressed by its codec's own
   library: the header and sub-header fields, both bitmaps, the descriptors (by rank among the
   set bits, as crash finds them), the shared zero page, raw pages that do not shrink, the
   VMCOREINFO pointer, and the flattened form reassembled by its records' offsets. */
#include <criterion/criterion.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "diskdump.h"

#define PG 4096

struct mem {
    uint8_t *b;
    size_t len, cap;
    int fail_after; /* appends before one fails with -7; -1: never */
};

static void grow(struct mem *m, size_t to)
{
    if (to > m->cap) {
        m->cap = to * 2;
        m->b = realloc(m->b, m->cap);
        cr_assert(m->b);
    }
}

static int m_append(void *ctx, const void *buf, size_t len)
{
    struct mem *m = ctx;
    if (m->fail_after == 0)
        return -7;
    if (m->fail_after > 0)
        m->fail_after--;
    grow(m, m->len + len);
    memcpy(m->b + m->len, buf, len);
    m->len += len;
    return 0;
}

static int m_zeros(void *ctx, uint64_t len)
{
    struct mem *m = ctx;
    grow(m, m->len + len);
    memset(m->b + m->len, 0, len);
    m->len += len;
    return 0;
}

static int m_rewrite(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct mem *m = ctx;
    cr_assert(off + len <= m->len, "a rewrite past the end");
    memcpy(m->b + off, buf, len);
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* The guest: pfns 0-7 and 16-23. Page kinds by pfn: zero, text (compresses), random (does
   not). */
static struct xd_run runs[] = {{0, 8, 0}, {16, 8, 8}};
static const struct xd_frames frames = {.runs = runs, .nruns = 2, .npages = 16};

static void fill(uint8_t *pages)
{
    srand(7);
    for (int i = 0; i < 16; i++) {
        uint8_t *p = pages + i * PG;
        if (i % 3 == 0)
            memset(p, 0, PG);
        else if (i % 3 == 1)
            for (int j = 0; j < PG; j++)
                p[j] = "kdump page text "[j % 16] + (uint8_t)i;
        else
            for (int j = 0; j < PG; j++)
                p[j] = (uint8_t)rand();
    }
}

static uint8_t notes[256];
static size_t notes_len;

static void make_notes(void)
{
    /* an XDUMP note then the VMCOREINFO note */
    uint8_t *p = notes;
    memcpy(p, "\x06\0\0\0\x04\0\0\0\x02\0\x44\x58XDUMP\0\0\0abcd", 24);
    p += 24;
    static const char text[] = "OSRELEASE=6.1.0-unit\nEND=1\n";
    uint32_t n = sizeof(text) - 1;
    memcpy(p, "\x0b\0\0\0", 4);
    p[4] = (uint8_t)n, p[5] = p[6] = p[7] = 0;
    memset(p + 8, 0, 4);
    memcpy(p + 12, "VMCOREINFO\0\0", 12);
    memcpy(p + 24, text, n);
    p += 24 + ((n + 3) & ~3u);
    notes_len = (size_t)(p - notes);
}

/* Writes the guest with `codec` into m (a file, or a stream when flat). */
static int write_kdump(int codec, bool flat, bool share_zero, struct mem *m, struct xd_dd_plan *p)
{
    static uint8_t pages[16 * PG];
    int skip[16] = {0};
    fill(pages);
    make_notes();
    cr_assert_eq(xd_dd_plan(24, 16, 512, p), 0);
    struct xd_dd_out out = {m, m_append, m_zeros, flat ? NULL : m_rewrite};
    struct xd_dd *w;
    int rc = xd_dd_open(p, &frames, codec, share_zero, &out, &w);
    if (rc < 0)
        return rc;
    skip[9] = 1; /* pfn 17, a random page, "could not be read": the zero page's */
    if ((rc = xd_dd_pages(w, pages, 10, skip)) == 0 &&
        (rc = xd_dd_pages(w, pages + 10 * PG, 6, skip + 10)) == 0) {
        struct xd_dd_head h = {.phys_base = 0x1000000,
                               .dump_level = share_zero,
                               .nr_cpus = 3,
                               .timestamp = 1764000000,
                               .release = "6.1.0-unit"};
        rc = xd_dd_finish(w, &h, notes, notes_len);
    }
    xd_dd_free(w);
    return rc;
}

static void decompress(int codec, const uint8_t *in, size_t len, uint8_t *out)
{
    size_t n = PG;
    switch (codec) {
    case XD_DD_ZLIB: {
        uLongf zl = PG;
        cr_assert_eq(uncompress(out, &zl, in, len), Z_OK);
        n = zl;
        break;
    }
    case XD_DD_LZO: {
        lzo_uint ll = PG;
        cr_assert_eq(lzo1x_decompress_safe(in, len, out, &ll, NULL), LZO_E_OK);
        n = ll;
        break;
    }
    case XD_DD_SNAPPY:
        cr_assert_eq(snappy_uncompress((const char *)in, len, (char *)out, &n), SNAPPY_OK);
        break;
    case XD_DD_ZSTD:
        n = ZSTD_decompress(out, PG, in, len);
        cr_assert(!ZSTD_isError(n));
        break;
    }
    cr_assert_eq(n, PG, "a page decompresses to a block exactly (crash checks it)");
}

/* Reads the file back as crash does and checks every field and page. */
static void check_file(int codec, const struct mem *m, bool share_zero)
{
    static uint8_t want[16 * PG];
    fill(want);
    memset(want + 9 * PG, 0, PG); /* the unreadable frame */
    const uint8_t *b = m->b;
    cr_assert_eq(memcmp(b, "KDUMP   ", 8), 0);
    cr_assert_eq(le32(b + 8), 6);
    cr_assert_str_eq((const char *)b + 12, "Linux");
    cr_assert_str_eq((const char *)b + 12 + 2 * 65, "6.1.0-unit");
    cr_assert_str_eq((const char *)b + 12 + 4 * 65, "x86_64");
    cr_assert_eq(le64(b + 408), 1764000000);
    static const uint32_t flag[] = {0, 1, 2, 4, 0x20};
    cr_assert_eq(le32(b + 424), flag[codec]);
    cr_assert_eq(le32(b + 428), PG);
    uint32_t sub_blocks = le32(b + 432), bitmap_blocks = le32(b + 436);
    cr_assert_eq(sub_blocks, 1); /* 104 + 512 bytes of notes */
    cr_assert_eq(bitmap_blocks, 2);
    cr_assert_eq(le32(b + 440), 24);
    cr_assert_eq(le32(b + 460), 3);
    const uint8_t *s = b + PG;
    cr_assert_eq(le64(s), 0x1000000);
    cr_assert_eq(le32(s + 8), share_zero);
    cr_assert_eq(le64(s + 48), PG + 104);
    cr_assert_eq(le64(s + 56), notes_len);
    cr_assert_eq(memcmp(b + le64(s + 48), notes, notes_len), 0);
    cr_assert_eq(memcmp(b + le64(s + 32), "OSRELEASE=6.1.0-unit\n", 21), 0);
    cr_assert_eq(le64(s + 40), 27);
    cr_assert_eq(le64(s + 96), 24);
    const uint8_t *bm1 = b + (1 + sub_blocks) * PG, *bm2 = bm1 + bitmap_blocks * PG / 2;
    /* pfns 0-7 and 16-23: bytes 0 and 2 */
    cr_assert(bm1[0] == 0xff && bm1[1] == 0 && bm1[2] == 0xff && bm1[3] == 0);
    cr_assert_eq(memcmp(bm1, bm2, PG), 0);
    const uint8_t *desc = bm2 + PG;
    uint64_t data = (uint64_t)(desc - b) + 16 * 24;
    for (int i = 0; i < 16; i++) { /* rank i */
        const uint8_t *d = desc + 24 * i;
        uint64_t off = le64(d);
        uint32_t size = le32(d + 8), fl = le32(d + 12);
        cr_assert_eq(le64(d + 16), 0);
        cr_assert(size <= PG && off + size <= m->len);
        bool zero = i % 3 == 0 || i == 9;
        if (zero && (share_zero || i == 9)) {
            cr_assert_eq(off, data, "rank %d shares the zero page", i);
            cr_assert(size == PG && fl == 0);
        } else {
            cr_assert_gt(off, data, "rank %d", i);
        }
        uint8_t page[PG];
        if (fl == 0) {
            cr_assert_eq(size, PG);
            memcpy(page, b + off, PG);
        } else {
            cr_assert_eq(fl, flag[codec]);
            decompress(codec, b + off, size, page);
        }
        cr_assert_eq(memcmp(page, want + i * PG, PG), 0, "rank %d, codec %d", i, codec);
        if (codec != XD_DD_NONE && i % 3 == 1)
            cr_assert_neq(fl, 0, "a text page compresses");
        if (i % 3 == 2 && i != 9)
            cr_assert_eq(fl, 0, "a random page stays raw");
    }
}

Test(diskdump, plan)
{
    struct xd_dd_plan p;
    cr_assert_eq(xd_dd_plan(6176, 6144, 5000, &p), 0);
    cr_assert_eq(p.sub_blocks, 2);        /* ceil((104 + 5000) / 4096) */
    cr_assert_eq(p.bitmap_len, 4096);     /* ceil(6176 / 8) = 772, a block */
    cr_assert_eq(p.bitmap_blocks, 2);     /* both */
    cr_assert_eq(p.bitmap_off, 3 * 4096); /* 1 + sub_hdr_size blocks */
    cr_assert_eq(p.desc_off, 5 * 4096);
    cr_assert_eq(p.data_off, 5 * 4096 + 24 * 6144);
    cr_assert_eq(xd_dd_plan((UINT64_C(1) << 36) + 1, 10, 0, &p), 0); /* 256 TiB */
    cr_assert_eq(p.bitmap_len, (UINT64_C(1) << 33) + 4096);
    cr_assert_eq(xd_dd_plan(UINT64_C(1) << 48, 10, 0, &p), -1, "bitmap_blocks beyond u32");
    cr_assert_eq(xd_dd_plan(0, 0, 0, &p), -1);
    cr_assert_eq(xd_dd_plan(10, 11, 0, &p), -1);
}

Test(diskdump, every_codec_reads_back)
{
    for (int c = 0; c < XD_DD_NCODECS; c++)
        for (int z = 0; z < 2; z++) {
            struct mem m = {.fail_after = -1};
            struct xd_dd_plan p;
            cr_assert_eq(write_kdump(c, false, z, &m, &p), 0, "codec %d", c);
            check_file(c, &m, z);
            free(m.b);
        }
}

Test(diskdump, flattened_is_the_file)
{
    for (int c = 0; c < XD_DD_NCODECS; c++) {
        struct mem f = {.fail_after = -1}, s = {.fail_after = -1};
        struct xd_dd_plan p;
        cr_assert_eq(write_kdump(c, false, true, &f, &p), 0);
        cr_assert_eq(write_kdump(c, true, true, &s, &p), 0);
        cr_assert_eq(memcmp(s.b, "makedumpfile\0\0\0\0", 16), 0);
        cr_assert(be64(s.b + 16) == 1 && be64(s.b + 24) == 1);
        /* makedumpfile -R: each record at its offset, up to the end record */
        struct mem r = {.fail_after = -1};
        size_t at = 4096;
        for (int n = 0;; n++) {
            cr_assert(at + 16 <= s.len && n < 10000);
            uint64_t off = be64(s.b + at), len = be64(s.b + at + 8);
            at += 16;
            if (off == UINT64_MAX && len == UINT64_MAX)
                break;
            cr_assert(len > 0 && at + len <= s.len, "a record of size 0 would end -R");
            if (off + len > r.len) {
                grow(&r, off + len);
                memset(r.b + r.len, 0, off + len - r.len);
                r.len = off + len;
            }
            memcpy(r.b + off, s.b + at, len);
            at += len;
        }
        cr_assert_eq(at, s.len, "nothing after the end record");
        cr_assert_eq(r.len, f.len);
        cr_assert_eq(memcmp(r.b, f.b, f.len), 0, "codec %d", c);
        free(f.b), free(s.b), free(r.b);
    }
}

Test(diskdump, refuses_what_was_not_planned)
{
    struct xd_dd_plan p;
    cr_assert_eq(xd_dd_plan(24, 16, 512, &p), 0);
    struct mem m = {.fail_after = -1};
    struct xd_dd_out out = {&m, m_append, m_zeros, m_rewrite};
    struct xd_dd *w;
    cr_assert_eq(xd_dd_open(&p, &frames, XD_DD_NCODECS, true, &out, &w), -XD_DD_E_CODEC);
    cr_assert_eq(xd_dd_open(&p, &frames, XD_DD_ZSTD, true, &out, &w), 0);
    static uint8_t pages[17 * PG];
    int skip[17] = {0};
    cr_assert_eq(xd_dd_pages(w, pages, 10, skip), 0);
    struct xd_dd_head h = {0};
    cr_assert_eq(xd_dd_finish(w, &h, notes, 0), -XD_DD_E_STATE, "6 pages short");
    cr_assert_eq(xd_dd_pages(w, pages, 7, skip), -XD_DD_E_STATE, "one page too many");
    cr_assert_eq(xd_dd_pages(w, pages, 6, skip), 0);
    cr_assert_eq(xd_dd_finish(w, &h, notes, 513), -XD_DD_E_STATE, "notes beyond their room");
    cr_assert_eq(xd_dd_finish(w, &h, notes, 0), 0);
    struct xd_dd_stats st;
    xd_dd_stats(w, &st);
    cr_assert(st.pages == 16 && st.zero == 16 && st.raw == 0 && st.data_bytes == 0);
    xd_dd_free(w);
    free(m.b);
    /* a run beyond max_mapnr is refused, not written out of bounds */
    struct xd_run far[] = {{0, 8, 0}, {20, 8, 8}};
    struct xd_frames ff = {.runs = far, .nruns = 2, .npages = 16};
    struct mem m2 = {.fail_after = -1};
    out.ctx = &m2;
    cr_assert_eq(xd_dd_open(&p, &ff, XD_DD_NONE, true, &out, &w), -XD_DD_E_STATE);
    free(m2.b);
}

Test(diskdump, output_failures_pass_through)
{
    /* a file appends its bitmaps and two batches' data (the rest is rewritten); a stream
       appends every record's head and bytes */
    for (int flat = 0; flat < 2; flat++)
        for (int after = 0; after < (flat ? 12 : 4); after++) {
            struct mem m = {.fail_after = after};
            struct xd_dd_plan p;
            cr_assert_eq(write_kdump(XD_DD_ZLIB, flat, true, &m, &p), -7, "after %d", after);
            free(m.b);
        }
}

Test(diskdump, codec_names)
{
    cr_assert_eq(xd_dd_codec_parse("zstd"), XD_DD_ZSTD);
    cr_assert_eq(xd_dd_codec_parse("none"), XD_DD_NONE);
    cr_assert_eq(xd_dd_codec_parse("gzip"), -1);
    cr_assert_str_eq(xd_dd_codec_name(XD_DD_LZO), "lzo");
    cr_assert_eq(xd_dd_codec_flag(XD_DD_SNAPPY), 4);
    cr_assert_eq(xd_dd_codec_flag(XD_DD_ZSTD), 0x20);
}

Test(diskdump, filtered_bitmap2)
{
    /* pfns 2, 3 and 17 left out (and 9, not present: ignored): bitmap 1 has all 16 present
       pfns, bitmap 2 the 13 others, and 13 descriptors follow */
    static uint8_t pages[13 * PG];
    uint8_t excl[3] = {0x0c, 0x02, 0x02};
    int skip[13] = {0};
    struct xd_dd_plan p;
    struct mem m = {.fail_after = -1};
    struct xd_dd_out out = {&m, m_append, m_zeros, m_rewrite};
    struct xd_dd *w;
    memset(pages, 0x5a, sizeof(pages));
    cr_assert_eq(xd_dd_plan(24, 13, 512, &p), 0);
    cr_assert_eq(xd_dd_open_filtered(&p, &frames, excl, XD_DD_NONE, true, &out, &w), 0);
    cr_assert_eq(xd_dd_pages(w, pages, 13, skip), 0);
    struct xd_dd_head h = {.dump_level = 31, .nr_cpus = 1};
    cr_assert_eq(xd_dd_finish(w, &h, NULL, 0), 0);
    xd_dd_free(w);
    const uint8_t *bm1 = m.b + p.bitmap_off, *bm2 = bm1 + p.bitmap_len;
    cr_assert_eq(bm1[0], 0xff);
    cr_assert_eq(bm1[2], 0xff);
    cr_assert_eq(bm2[0], 0xf3);
    cr_assert_eq(bm2[1], 0);
    cr_assert_eq(bm2[2], 0xfd);
    cr_assert_eq(le32(m.b + XD_DD_BLOCK + XD_DD_S_DUMP_LEVEL), 31);
    /* the descriptors are 13, the last one's page right before the file's end */
    cr_assert_eq(le64(m.b + p.desc_off + 12 * XD_DD_DESC_SIZE) + PG, m.len);
    free(m.b);

    /* a plan whose count is not the filtered one is refused */
    struct mem m2 = {.fail_after = -1};
    out.ctx = &m2;
    cr_assert_eq(xd_dd_plan(24, 16, 512, &p), 0);
    cr_assert_eq(xd_dd_open_filtered(&p, &frames, excl, XD_DD_NONE, true, &out, &w),
                 -XD_DD_E_STATE);
    free(m2.b);
}

/* ---- the compressing threads (xd_dd_threads, xd_dd_pages_async) ---------------------------- */

/* A bigger guest for the threads: 2,600 pfns in three runs, so batches of XD_BATCH pages and a
   short last one; every page its own (its rank written into it), a third of them zero, some
   random (raw). */
#define TN 2600
static struct xd_run truns[] = {{0, 1100, 0}, {1200, 1000, 1100}, {3000, 500, 2100}};
static const struct xd_frames tframes = {.runs = truns, .nruns = 3, .npages = TN};

static void tpage(uint8_t *p, uint32_t rank)
{
    if (rank % 3 == 0) {
        memset(p, 0, PG);
    } else if (rank % 7 == 2) {
        srand(rank);
        for (int j = 0; j < PG; j++)
            p[j] = (uint8_t)rand();
    } else {
        for (int j = 0; j < PG; j += 8)
            memcpy(p + j, "rank", 4), memcpy(p + j + 4, &rank, 4);
    }
}

/* Writes the guest as dump.c's copy does: batches of up to `batch` pages, filled into two
   buffers in turn and handed over with xd_dd_pages_async() (threads > 0), each buffer filled
   again as soon as the call after the one that handed it over returned. */
static int write_threaded(int codec, bool flat, unsigned threads, size_t batch, struct mem *m)
{
    static uint8_t buf[2][XD_BATCH * PG];
    static int skip[2][XD_BATCH];
    struct xd_dd_plan p;
    cr_assert_eq(xd_dd_plan(3500, TN, 512, &p), 0);
    struct xd_dd_out out = {m, m_append, m_zeros, flat ? NULL : m_rewrite};
    struct xd_dd *w;
    int rc = xd_dd_open(&p, &tframes, codec, true, &out, &w);
    if (rc < 0)
        return rc;
    if ((rc = xd_dd_threads(w, threads)) < 0) {
        xd_dd_free(w);
        return rc;
    }
    for (uint32_t done = 0, k = 0; rc == 0 && done < TN; k ^= 1) {
        size_t n = TN - done < batch ? TN - done : batch;
        for (size_t i = 0; i < n; i++) {
            tpage(buf[k] + i * PG, done + (uint32_t)i);
            skip[k][i] = (done + i) % 1000 == 500; /* not read: the zero page */
        }
        rc = xd_dd_pages_async(w, buf[k], n, skip[k]);
        done += (uint32_t)n;
    }
    if (rc == 0) {
        struct xd_dd_head h = {.dump_level = 1, .nr_cpus = 1, .timestamp = 1764000000};
        rc = xd_dd_finish(w, &h, NULL, 0);
    }
    xd_dd_free(w);
    return rc;
}

/* Every page of m read back by its rank's descriptor, as crash finds it: the page written at
   that rank. */
static void check_ranks(int codec, const struct mem *m)
{
    struct xd_dd_plan p;
    cr_assert_eq(xd_dd_plan(3500, TN, 512, &p), 0);
    uint8_t want[PG], page[PG];
    for (uint32_t r = 0; r < TN; r++) {
        const uint8_t *d = m->b + p.desc_off + (uint64_t)r * 24;
        uint64_t off = le64(d);
        uint32_t size = le32(d + 8), fl = le32(d + 12);
        cr_assert(size <= PG && off + size <= m->len, "rank %u", r);
        if (fl)
            decompress(codec, m->b + off, size, page);
        else
            memcpy(page, m->b + off, PG);
        tpage(want, r);
        if (r % 1000 == 500)
            memset(want, 0, PG);
        cr_assert_eq(memcmp(page, want, PG), 0, "rank %u, codec %d: another page's", r, codec);
    }
}

Test(diskdump, threads_write_the_same_bytes_in_order)
{
    /* the same file byte for byte with 1, 2, 3 and 7 threads as without, batch after batch
       (whole, and of 5 pages: fewer than the threads), each page at its rank */
    static const size_t batches[] = {XD_BATCH, 5};
    for (int c = 0; c < XD_DD_NCODECS; c++)
        for (int flat = 0; flat < 2; flat++) {
            struct mem ref = {.fail_after = -1};
            cr_assert_eq(write_threaded(c, flat, 0, XD_BATCH, &ref), 0);
            if (!flat)
                check_ranks(c, &ref);
            static const unsigned threads[] = {1, 2, 3, 7};
            for (size_t t = 0; t < 4; t++)
                for (size_t b = 0; b < 2; b++) {
                    struct mem m = {.fail_after = -1};
                    cr_assert_eq(write_threaded(c, flat, threads[t], batches[b], &m), 0);
                    if (!flat)
                        check_ranks(c, &m);
                    /* batches of 5 write the stream in more records: the file is the same */
                    if (!flat || !b) {
                        cr_assert_eq(m.len, ref.len, "codec %d, %u threads", c, threads[t]);
                        cr_assert_eq(memcmp(m.b, ref.b, m.len), 0, "codec %d, %u threads, flat %d",
                                     c, threads[t], flat);
                    }
                    free(m.b);
                }
            free(ref.b);
        }
}

Test(diskdump, a_threads_failure_is_returned_and_sticks)
{
    /* the output fails in a thread's write of a batch: the next call says so, every call after
       it too, and nothing hangs */
    for (int after = 2; after < 6; after++) {
        struct mem m = {.fail_after = -1};
        struct xd_dd_plan p;
        cr_assert_eq(xd_dd_plan(3500, TN, 512, &p), 0);
        struct xd_dd_out out = {&m, m_append, m_zeros, m_rewrite};
        struct xd_dd *w;
        cr_assert_eq(xd_dd_open(&p, &tframes, XD_DD_ZSTD, true, &out, &w), 0);
        cr_assert_eq(xd_dd_threads(w, 2), 0);
        cr_assert_eq(xd_dd_threads(w, 2), -XD_DD_E_STATE, "started once");
        m.fail_after = after; /* a file appends a batch's data (its descriptors are rewritten) */
        static uint8_t pages[XD_BATCH * PG];
        static int skip[XD_BATCH];
        for (uint32_t i = 0; i < XD_BATCH; i++)
            tpage(pages + i * PG, i);
        int rc = 0, calls = 0;
        while (rc == 0 && calls < 8)
            rc = xd_dd_pages_async(w, pages, 100, skip), calls++;
        if (rc == 0)
            rc = xd_dd_wait(w);
        cr_assert_eq(rc, -7, "after %d appends", after);
        cr_assert_eq(xd_dd_pages_async(w, pages, 100, skip), -7);
        cr_assert_eq(xd_dd_wait(w), -7);
        struct xd_dd_head h = {0};
        cr_assert_eq(xd_dd_finish(w, &h, NULL, 0), -7);
        xd_dd_free(w);
        free(m.b);
    }
    /* too many threads, or a batch beyond the plan: refused as without threads */
    struct mem m = {.fail_after = -1};
    struct xd_dd_plan p;
    cr_assert_eq(xd_dd_plan(24, 16, 512, &p), 0);
    struct xd_dd_out out = {&m, m_append, m_zeros, m_rewrite};
    struct xd_dd *w;
    cr_assert_eq(xd_dd_open(&p, &frames, XD_DD_LZO, true, &out, &w), 0);
    cr_assert_eq(xd_dd_threads(w, XD_DD_MAX_THREADS + 1), -XD_DD_E_STATE);
    cr_assert_eq(xd_dd_threads(w, 3), 0);
    static uint8_t pages[17 * PG];
    int skip[17] = {0};
    cr_assert_eq(xd_dd_pages_async(w, pages, 17, skip), -XD_DD_E_STATE);
    cr_assert_eq(xd_dd_pages(w, pages, 16, skip), 0);
    xd_dd_free(w);
    free(m.b);
}
