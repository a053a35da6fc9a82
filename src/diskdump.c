/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kdump-compressed writer: see diskdump.h. The facts are makedumpfile's and crash's
   (kdump.md section 1 cites where each was read); the code is xdump's. */
#include "diskdump.h"

#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "format.h"

_Static_assert(XD_DD_BLOCK == XD_PAGE_SIZE, "makedumpfile: block_size = the page size");

/* Worst case of one compressed page, per codec (zlib compressBound, lzo's documented bound
   in + in/16 + 64 + 3, snappy and zstd as their headers compute), rounded up. */
#define OUT_CAP (XD_DD_BLOCK + XD_DD_BLOCK / 16 + 1024)

struct xd_dd {
    struct xd_dd_plan p;
    struct xd_dd_out out;
    bool flat;    /* a stream: records, never going back */
    uint64_t end; /* a file: bytes appended so far */
    int codec;
    bool share_zero;
    uint64_t rank;     /* pages done: the next descriptor's index */
    uint64_t data_at;  /* where the next page's data goes */
    uint64_t zero_off; /* the shared zero page */
    z_stream z;
    bool z_init;
    void *lzo_mem;
    ZSTD_CCtx *zstd;
    uint8_t *data; /* a batch's page data, XD_BATCH * XD_DD_BLOCK */
    uint8_t *desc; /* a batch's descriptors */
    uint8_t cbuf[OUT_CAP];
    struct xd_dd_stats st;
};

static const char *const names[XD_DD_NCODECS] = {"none", "zlib", "lzo", "snappy", "zstd"};
static const uint32_t flags[XD_DD_NCODECS] = {0, XD_DD_COMPRESSED_ZLIB, XD_DD_COMPRESSED_LZO,
                                              XD_DD_COMPRESSED_SNAPPY, XD_DD_COMPRESSED_ZSTD};

int xd_dd_codec_parse(const char *name)
{
    for (int c = 0; c < XD_DD_NCODECS; c++)
        if (!strcmp(name, names[c]))
            return c;
    return -1;
}

const char *xd_dd_codec_name(int codec)
{
    return codec >= 0 && codec < XD_DD_NCODECS ? names[codec] : "unknown";
}

uint32_t xd_dd_codec_flag(int codec)
{
    return codec >= 0 && codec < XD_DD_NCODECS ? flags[codec] : 0;
}

const char *xd_dd_strerror(int rc)
{
    switch (-rc) {
    case XD_DD_E_MEMORY:
        return "out of memory";
    case XD_DD_E_CODEC:
        return "the compressor failed";
    case XD_DD_E_STATE:
        return "internal: the pages or notes do not match the plan";
    default:
        return "the output failed";
    }
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

int xd_dd_plan(uint64_t max_mapnr, uint64_t ndumpable, uint64_t notes_room, struct xd_dd_plan *o)
{
    memset(o, 0, sizeof(*o));
    if (!max_mapnr || ndumpable > max_mapnr || max_mapnr > UINT64_C(1) << 52)
        return -1;
    o->max_mapnr = max_mapnr;
    o->ndumpable = ndumpable;
    o->notes_room = notes_room;
    /* sub_hdr_size = ceil((104 + size_note) / block_size) (write_kdump_header()) */
    o->sub_blocks = div_up(XD_DD_SUB_SIZE + notes_room, XD_DD_BLOCK);
    /* each bitmap: ceil(max_mapnr / 8) rounded up to a block; bitmap_blocks counts both
       (prepare_bitmap2_buffer(), write_kdump_header()) */
    o->bitmap_len = div_up(div_up(max_mapnr, 8), XD_DD_BLOCK) * XD_DD_BLOCK;
    o->bitmap_blocks = 2 * o->bitmap_len / XD_DD_BLOCK;
    if (o->sub_blocks > INT32_MAX || o->bitmap_blocks > UINT32_MAX)
        return -1;
    o->bitmap_off = (1 + o->sub_blocks) * XD_DD_BLOCK;
    o->desc_off = o->bitmap_off + 2 * o->bitmap_len;
    o->data_off = o->desc_off + ndumpable * XD_DD_DESC_SIZE;
    return 0;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Bytes at an offset of the kdump file: a record of the flattened form, or appended to the
   file (holes of zeros before, when off is past its end), or rewritten in place. */
static int put(struct xd_dd *w, uint64_t off, const void *buf, size_t len)
{
    int rc;
    if (!len)
        return 0; /* never a record of size 0: makedumpfile -R takes it for the end */
    if (w->flat) {
        uint8_t rec[XD_DD_FLAT_RECORD];
        put_be64(rec, off);
        put_be64(rec + 8, len);
        if ((rc = w->out.append(w->out.ctx, rec, sizeof(rec))) < 0)
            return rc;
        return w->out.append(w->out.ctx, buf, len);
    }
    if (off + len <= w->end)
        return w->out.rewrite(w->out.ctx, off, buf, len);
    if (off < w->end)
        return -XD_DD_E_STATE; /* straddling the end: never planned */
    if (off > w->end && (rc = w->out.zeros(w->out.ctx, off - w->end)) < 0)
        return rc;
    if ((rc = w->out.append(w->out.ctx, buf, len)) < 0)
        return rc;
    w->end = off + len;
    return 0;
}

/* Zeros up to off: a file's hole; nothing in a stream (makedumpfile -R leaves the gap zero). */
static int zeros_to(struct xd_dd *w, uint64_t off)
{
    if (w->flat || off <= w->end)
        return 0;
    int rc = w->out.zeros(w->out.ctx, off - w->end);
    if (rc == 0)
        w->end = off;
    return rc;
}

static int codec_open(struct xd_dd *w)
{
    switch (w->codec) {
    case XD_DD_NONE:
        return 0;
    case XD_DD_ZLIB: /* Z_BEST_SPEED, reset per page, as makedumpfile does */
        if (deflateInit(&w->z, Z_BEST_SPEED) != Z_OK)
            return -XD_DD_E_MEMORY;
        w->z_init = true;
        return 0;
    case XD_DD_LZO:
        if (lzo_init() != LZO_E_OK)
            return -XD_DD_E_CODEC;
        w->lzo_mem = malloc(LZO1X_1_MEM_COMPRESS);
        return w->lzo_mem ? 0 : -XD_DD_E_MEMORY;
    case XD_DD_SNAPPY:
        return snappy_max_compressed_length(XD_DD_BLOCK) <= OUT_CAP ? 0 : -XD_DD_E_CODEC;
    case XD_DD_ZSTD:
        if (ZSTD_compressBound(XD_DD_BLOCK) > OUT_CAP)
            return -XD_DD_E_CODEC;
        w->zstd = ZSTD_createCCtx();
        return w->zstd ? 0 : -XD_DD_E_MEMORY;
    default:
        return -XD_DD_E_CODEC;
    }
}

/* One page compressed into w->cbuf: its size, or 0 when it did not shrink (kept raw), or a
   negative status. */
static long compress_page(struct xd_dd *w, const uint8_t *page)
{
    size_t n = OUT_CAP;
    switch (w->codec) {
    case XD_DD_ZLIB:
        if (deflateReset(&w->z) != Z_OK)
            return -XD_DD_E_CODEC;
        w->z.next_in = (Bytef *)page;
        w->z.avail_in = XD_DD_BLOCK;
        w->z.next_out = w->cbuf;
        w->z.avail_out = OUT_CAP;
        if (deflate(&w->z, Z_FINISH) != Z_STREAM_END)
            return -XD_DD_E_CODEC;
        n = OUT_CAP - w->z.avail_out;
        break;
    case XD_DD_LZO: {
        lzo_uint out = OUT_CAP;
        if (lzo1x_1_compress(page, XD_DD_BLOCK, w->cbuf, &out, w->lzo_mem) != LZO_E_OK)
            return -XD_DD_E_CODEC;
        n = out;
        break;
    }
    case XD_DD_SNAPPY:
        if (snappy_compress((const char *)page, XD_DD_BLOCK, (char *)w->cbuf, &n) != SNAPPY_OK)
            return -XD_DD_E_CODEC;
        break;
    case XD_DD_ZSTD:
        n = ZSTD_compressCCtx(w->zstd, w->cbuf, OUT_CAP, page, XD_DD_BLOCK, 1);
        if (ZSTD_isError(n))
            return -XD_DD_E_CODEC;
        break;
    default:
        return 0;
    }
    /* crash refuses a descriptor larger than a block: what does not shrink stays raw */
    return n < XD_DD_BLOCK ? (long)n : 0;
}

static void set_desc(uint8_t *d, uint64_t off, uint32_t size, uint32_t fl)
{
    xd_put_le64(d + XD_DD_D_OFFSET, off);
    xd_put_le32(d + XD_DD_D_SIZE, size);
    xd_put_le32(d + XD_DD_D_FLAGS, fl);
    xd_put_le64(d + XD_DD_D_PAGE_FLAGS, 0); /* makedumpfile writes 0 */
}

/* Both bitmaps from the runs: bit (p & 7) of byte p >> 3 (set_bitmap_buffer()). Bitmap 1 holds
   every present pfn; bitmap 2 those of them not set in excl (dump level 1 keeps every present
   pfn dumpable: zero pages share a descriptor; the mem_map filter's levels leave the pages
   excl names out). */
static int write_bitmaps(struct xd_dd *w, const struct xd_frames *f, const uint8_t *excl)
{
    uint8_t *bm = calloc(2, w->p.bitmap_len);
    if (!bm)
        return -XD_DD_E_MEMORY;
    uint8_t *bm2 = bm + w->p.bitmap_len;
    uint64_t n = 0;
    for (size_t r = 0; r < f->nruns; r++) {
        const struct xd_run *run = &f->runs[r];
        if (run->pfn + run->count > w->p.max_mapnr || run->pfn + run->count < run->pfn) {
            free(bm);
            return -XD_DD_E_STATE;
        }
        for (uint64_t p = run->pfn; p < run->pfn + run->count; p++) {
            uint8_t bit = (uint8_t)(1u << (p & 7));
            bm[p >> 3] |= bit;
            if (!excl || !(excl[p >> 3] & bit)) {
                bm2[p >> 3] |= bit;
                n++;
            }
        }
    }
    int rc = n == w->p.ndumpable ? 0 : -XD_DD_E_STATE;
    if (rc == 0)
        rc = zeros_to(w, w->p.bitmap_off);
    if (rc == 0)
        rc = put(w, w->p.bitmap_off, bm, w->p.bitmap_len);
    if (rc == 0)
        rc = put(w, w->p.bitmap_off + w->p.bitmap_len, bm2, w->p.bitmap_len);
    free(bm);
    return rc;
}

int xd_dd_open(const struct xd_dd_plan *p, const struct xd_frames *f, int codec, bool share_zero,
               const struct xd_dd_out *out, struct xd_dd **wp)
{
    return xd_dd_open_filtered(p, f, NULL, codec, share_zero, out, wp);
}

int xd_dd_open_filtered(const struct xd_dd_plan *p, const struct xd_frames *f, const uint8_t *excl,
                        int codec, bool share_zero, const struct xd_dd_out *out, struct xd_dd **wp)
{
    *wp = NULL;
    if (codec < 0 || codec >= XD_DD_NCODECS)
        return -XD_DD_E_CODEC;
    struct xd_dd *w = calloc(1, sizeof(*w));
    if (!w)
        return -XD_DD_E_MEMORY;
    w->p = *p;
    w->out = *out;
    w->flat = out->rewrite == NULL;
    w->codec = codec;
    w->share_zero = share_zero;
    w->data = malloc(XD_BATCH * XD_DD_BLOCK);
    w->desc = malloc(XD_BATCH * XD_DD_DESC_SIZE);
    int rc = w->data && w->desc ? codec_open(w) : -XD_DD_E_MEMORY;
    if (rc == 0 && w->flat) {
        uint8_t h[XD_DD_FLAT_HEADER_SIZE] = {0};
        memcpy(h, XD_DD_FLAT_SIGNATURE, sizeof(XD_DD_FLAT_SIGNATURE) - 1);
        put_be64(h + 16, XD_DD_FLAT_TYPE);
        put_be64(h + 24, XD_DD_FLAT_VERSION);
        rc = out->append(out->ctx, h, sizeof(h));
    }
    if (rc == 0)
        rc = write_bitmaps(w, f, excl);
    /* The descriptors are written batch by batch; the shared zero page is the first data
       (write_kdump_pages_and_bitmap_cyclic()'s pd_zero), written raw. */
    w->zero_off = p->data_off;
    w->data_at = p->data_off + XD_DD_BLOCK;
    if (rc == 0 && w->flat) {
        memset(w->data, 0, XD_DD_BLOCK);
        rc = put(w, w->zero_off, w->data, XD_DD_BLOCK);
    } else if (rc == 0) {
        rc = zeros_to(w, w->data_at);
    }
    if (rc < 0) {
        xd_dd_free(w);
        return rc;
    }
    *wp = w;
    return 0;
}

static bool is_zero(const uint8_t *p)
{
    const uint64_t *q = (const uint64_t *)p;
    for (size_t i = 0; i < XD_DD_BLOCK / 8; i++)
        if (q[i])
            return false;
    return true;
}

int xd_dd_pages(struct xd_dd *w, const uint8_t *pages, size_t n, const int *skip)
{
    if (n > XD_BATCH || w->rank + n > w->p.ndumpable)
        return -XD_DD_E_STATE;
    size_t len = 0; /* of the batch's data */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *pg = pages + i * XD_DD_BLOCK;
        uint8_t *d = w->desc + i * XD_DD_DESC_SIZE;
        if (skip[i] || (w->share_zero && is_zero(pg))) {
            set_desc(d, w->zero_off, XD_DD_BLOCK, 0);
            w->st.zero++;
            continue;
        }
        long c = compress_page(w, pg);
        if (c < 0)
            return (int)c;
        const uint8_t *src = c ? w->cbuf : pg;
        uint32_t size = c ? (uint32_t)c : XD_DD_BLOCK;
        memcpy(w->data + len, src, size);
        set_desc(d, w->data_at + len, size, c ? flags[w->codec] : 0);
        w->st.raw += !c;
        len += size;
    }
    int rc = put(w, w->data_at, w->data, len);
    if (rc == 0)
        rc = put(w, w->p.desc_off + w->rank * XD_DD_DESC_SIZE, w->desc, n * XD_DD_DESC_SIZE);
    if (rc < 0)
        return rc;
    w->data_at += len;
    w->rank += n;
    w->st.pages += n;
    w->st.data_bytes += len;
    return 0;
}

/* The descriptor of the first VMCOREINFO note among the notes: its offset in them and size. */
static bool find_vmcoreinfo(const uint8_t *notes, size_t len, uint64_t *off, uint64_t *size)
{
    size_t at = 0;
    while (len - at >= XD_NOTE_HDR_SIZE) {
        uint64_t namesz = xd_get_le32(notes + at), descsz = xd_get_le32(notes + at + 4);
        uint64_t name = at + XD_NOTE_HDR_SIZE, desc = name + xd_note_pad4(namesz);
        if (desc > len || xd_note_pad4(descsz) > len - desc)
            return false;
        if (namesz == sizeof(XD_NOTE_VMCOREINFO) &&
            !memcmp(notes + name, XD_NOTE_VMCOREINFO, namesz)) {
            *off = desc;
            *size = descsz;
            return true;
        }
        at = desc + xd_note_pad4(descsz);
    }
    return false;
}

static void put_str(uint8_t *p, const char *s, size_t cap)
{
    size_t n = strlen(s);
    memcpy(p, s, n < cap - 1 ? n : cap - 1);
}

int xd_dd_finish(struct xd_dd *w, const struct xd_dd_head *h, const uint8_t *notes,
                 size_t notes_len)
{
    if (notes_len > w->p.notes_room || (!h->incomplete && w->rank != w->p.ndumpable))
        return -XD_DD_E_STATE;
    uint64_t note_off = XD_DD_BLOCK + XD_DD_SUB_SIZE;
    int rc = put(w, note_off, notes, notes_len);

    uint8_t sub[XD_DD_SUB_SIZE] = {0};
    xd_put_le64(sub + XD_DD_S_PHYS_BASE, h->phys_base);
    xd_put_le32(sub + XD_DD_S_DUMP_LEVEL, (uint32_t)h->dump_level);
    uint64_t vo, vs;
    if (find_vmcoreinfo(notes, notes_len, &vo, &vs)) {
        /* makedumpfile: offset_vmcoreinfo names the descriptor inside the notes' copy */
        xd_put_le64(sub + XD_DD_S_OFFSET_VMCOREINFO, note_off + vo);
        xd_put_le64(sub + XD_DD_S_SIZE_VMCOREINFO, vs);
    }
    xd_put_le64(sub + XD_DD_S_OFFSET_NOTE, note_off);
    xd_put_le64(sub + XD_DD_S_SIZE_NOTE, notes_len);
    xd_put_le64(sub + XD_DD_S_MAX_MAPNR_64, w->p.max_mapnr);
    if (rc == 0)
        rc = put(w, XD_DD_BLOCK, sub, sizeof(sub));

    uint8_t hd[XD_DD_HEADER_SIZE] = {0};
    memcpy(hd + XD_DD_H_SIGNATURE, XD_DD_SIGNATURE, 8);
    xd_put_le32(hd + XD_DD_H_VERSION, XD_DD_HEADER_VERSION);
    uint8_t *uts = hd + XD_DD_H_UTSNAME;
    /* libkdumpfile believes a utsname (and takes the architecture from it, and then the
       NT_PRSTATUS notes) only with sysname "Linux" and release, version and machine set
       (uts_looks_sane()): for a Linux guest, known by its VMCOREINFO, the release is its
       OSRELEASE and the version, which VMCOREINFO does not carry, "unknown". Otherwise only
       the machine, as QEMU writes. */
    if (h->release) {
        put_str(uts, "Linux", XD_DD_UTS_LEN);
        put_str(uts + 2 * XD_DD_UTS_LEN, h->release, XD_DD_UTS_LEN);
        put_str(uts + 3 * XD_DD_UTS_LEN, "unknown", XD_DD_UTS_LEN);
    }
    /* crash compares utsname.machine with its own; libkdumpfile takes the arch from it */
    put_str(uts + 4 * XD_DD_UTS_LEN, "x86_64", XD_DD_UTS_LEN);
    xd_put_le64(hd + XD_DD_H_TIMESTAMP, (uint64_t)h->timestamp);
    xd_put_le32(hd + XD_DD_H_STATUS, flags[w->codec] | (h->incomplete ? XD_DD_INCOMPLETE : 0));
    xd_put_le32(hd + XD_DD_H_BLOCK_SIZE, XD_DD_BLOCK);
    xd_put_le32(hd + XD_DD_H_SUB_HDR_SIZE, (uint32_t)w->p.sub_blocks);
    xd_put_le32(hd + XD_DD_H_BITMAP_BLOCKS, (uint32_t)w->p.bitmap_blocks);
    xd_put_le32(hd + XD_DD_H_MAX_MAPNR,
                w->p.max_mapnr > UINT32_MAX ? UINT32_MAX : (uint32_t)w->p.max_mapnr);
    xd_put_le32(hd + XD_DD_H_NR_CPUS, h->nr_cpus);
    if (rc == 0)
        rc = put(w, 0, hd, sizeof(hd));
    if (rc == 0 && w->flat) {
        uint8_t end[XD_DD_FLAT_RECORD];
        memset(end, 0xff, sizeof(end)); /* {-1, -1} */
        rc = w->out.append(w->out.ctx, end, sizeof(end));
    }
    return rc;
}

void xd_dd_stats(const struct xd_dd *w, struct xd_dd_stats *st)
{
    *st = w->st;
}

void xd_dd_free(struct xd_dd *w)
{
    if (!w)
        return;
    if (w->z_init)
        deflateEnd(&w->z);
    ZSTD_freeCCtx(w->zstd);
    free(w->lzo_mem);
    free(w->data);
    free(w->desc);
    free(w);
}
