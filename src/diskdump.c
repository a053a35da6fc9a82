/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kdump-compressed writer: see diskdump.h. The facts are makedumpfile's and crash's
   (kdump.md section 1 cites where each was read); the code is xdump's. */
#include "diskdump.h"

#include <lzo/lzo1x.h>
#include <pthread.h>
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

/* One compressor: a codec's state and the buffer a page is compressed into. */
struct coder {
    int codec;
    z_stream z;
    bool z_init;
    void *lzo_mem;
    ZSTD_CCtx *zstd;
    uint8_t cbuf[OUT_CAP];
};

/* A compressing thread: slice `index` of each batch, into buf (worker 0's is w->data). */
struct worker {
    struct xd_dd *w;
    unsigned index;
    struct coder c;
    uint8_t *buf;
    size_t len; /* bytes of buf the batch's slice filled */
    pthread_t tid;
    bool started;
};

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
    struct coder c0;   /* the caller's, without threads */
    uint8_t *data;     /* a batch's page data, XD_BATCH * XD_DD_BLOCK */
    uint8_t *desc;     /* a batch's descriptors */
    /* per page of the batch: its data's size (0: the shared zero page) and flags */
    uint32_t size[XD_BATCH], flag[XD_BATCH];
    struct xd_dd_stats st;
    /* xd_dd_threads(): nworkers threads, each compressing one slice of the batch in flight;
       the last to finish its slice writes the batch. mu guards the fields below. */
    unsigned nworkers; /* the threads started (nthreads: allocated) */
    unsigned nthreads;
    struct worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    uint64_t seq;     /* batches handed over */
    unsigned pending; /* slices of batch seq not compressed yet */
    bool busy;        /* batch seq is being compressed or written */
    bool quit;        /* the workers are to end */
    int failed;       /* the first failure of a worker (negative), sticky */
    const uint8_t *job_pages;
    const int *job_skip;
    size_t job_n;
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

static int coder_open(struct coder *c, int codec)
{
    c->codec = codec;
    switch (codec) {
    case XD_DD_NONE:
        return 0;
    case XD_DD_ZLIB: /* Z_BEST_SPEED, reset per page, as makedumpfile does */
        if (deflateInit(&c->z, Z_BEST_SPEED) != Z_OK)
            return -XD_DD_E_MEMORY;
        c->z_init = true;
        return 0;
    case XD_DD_LZO:
        if (lzo_init() != LZO_E_OK)
            return -XD_DD_E_CODEC;
        c->lzo_mem = malloc(LZO1X_1_MEM_COMPRESS);
        return c->lzo_mem ? 0 : -XD_DD_E_MEMORY;
    case XD_DD_SNAPPY:
        return snappy_max_compressed_length(XD_DD_BLOCK) <= OUT_CAP ? 0 : -XD_DD_E_CODEC;
    case XD_DD_ZSTD:
        if (ZSTD_compressBound(XD_DD_BLOCK) > OUT_CAP)
            return -XD_DD_E_CODEC;
        c->zstd = ZSTD_createCCtx();
        return c->zstd ? 0 : -XD_DD_E_MEMORY;
    default:
        return -XD_DD_E_CODEC;
    }
}

static void coder_close(struct coder *c)
{
    if (c->z_init)
        deflateEnd(&c->z);
    ZSTD_freeCCtx(c->zstd);
    free(c->lzo_mem);
}

/* One page compressed into c->cbuf: its size, or 0 when it did not shrink (kept raw), or a
   negative status. */
static long compress_page(struct coder *c, const uint8_t *page)
{
    size_t n = OUT_CAP;
    switch (c->codec) {
    case XD_DD_ZLIB:
        if (deflateReset(&c->z) != Z_OK)
            return -XD_DD_E_CODEC;
        c->z.next_in = (Bytef *)page;
        c->z.avail_in = XD_DD_BLOCK;
        c->z.next_out = c->cbuf;
        c->z.avail_out = OUT_CAP;
        if (deflate(&c->z, Z_FINISH) != Z_STREAM_END)
            return -XD_DD_E_CODEC;
        n = OUT_CAP - c->z.avail_out;
        break;
    case XD_DD_LZO: {
        lzo_uint out = OUT_CAP;
        if (lzo1x_1_compress(page, XD_DD_BLOCK, c->cbuf, &out, c->lzo_mem) != LZO_E_OK)
            return -XD_DD_E_CODEC;
        n = out;
        break;
    }
    case XD_DD_SNAPPY:
        if (snappy_compress((const char *)page, XD_DD_BLOCK, (char *)c->cbuf, &n) != SNAPPY_OK)
            return -XD_DD_E_CODEC;
        break;
    case XD_DD_ZSTD:
        n = ZSTD_compressCCtx(c->zstd, c->cbuf, OUT_CAP, page, XD_DD_BLOCK, 1);
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
    int rc = w->data && w->desc ? coder_open(&w->c0, codec) : -XD_DD_E_MEMORY;
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

/* Pages [from, to) of a batch compressed into buf, one after another: each page's size
   (0: it shares the zero page) and flags in w->size and w->flag, *len the bytes of buf
   filled. Threads compress disjoint ranges. */
static int compress_slice(struct xd_dd *w, struct coder *c, const uint8_t *pages, const int *skip,
                          size_t from, size_t to, uint8_t *buf, size_t *len)
{
    size_t at = 0;
    for (size_t i = from; i < to; i++) {
        const uint8_t *pg = pages + i * XD_DD_BLOCK;
        w->size[i] = w->flag[i] = 0;
        if (skip[i] || (w->share_zero && is_zero(pg)))
            continue;
        long n = compress_page(c, pg);
        if (n < 0)
            return (int)n;
        w->size[i] = n ? (uint32_t)n : XD_DD_BLOCK;
        w->flag[i] = n ? flags[w->codec] : 0;
        memcpy(buf + at, n ? c->cbuf : pg, w->size[i]);
        at += w->size[i];
    }
    *len = at;
    return 0;
}

/* A compressed batch of n pages, of which the first slice's len bytes of data are in w->data:
   the other slices' data after them, in page order, then the descriptors, both written. */
static int write_batch(struct xd_dd *w, size_t n, size_t len)
{
    for (unsigned k = 1; k < w->nworkers; k++) {
        memcpy(w->data + len, w->workers[k].buf, w->workers[k].len);
        len += w->workers[k].len;
    }
    uint64_t at = w->data_at;
    for (size_t i = 0; i < n; i++) {
        uint8_t *d = w->desc + i * XD_DD_DESC_SIZE;
        if (!w->size[i]) {
            set_desc(d, w->zero_off, XD_DD_BLOCK, 0);
            w->st.zero++;
            continue;
        }
        set_desc(d, at, w->size[i], w->flag[i]);
        w->st.raw += !w->flag[i];
        at += w->size[i];
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

/* A compressing thread: its slice of each batch handed over; the last slice done writes the
   batch (so batches are written one at a time, in the order they were given). */
static void *worker_main(void *arg)
{
    struct worker *k = arg;
    struct xd_dd *w = k->w;
    uint64_t seen = 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && w->seq == seen)
            pthread_cond_wait(&w->work, &w->mu);
        if (w->quit)
            break;
        seen = w->seq;
        const uint8_t *pages = w->job_pages;
        const int *skip = w->job_skip;
        size_t n = w->job_n;
        pthread_mutex_unlock(&w->mu);
        size_t from = n * k->index / w->nworkers, to = n * (k->index + 1) / w->nworkers;
        int rc = compress_slice(w, &k->c, pages, skip, from, to, k->buf, &k->len);
        pthread_mutex_lock(&w->mu);
        if (rc < 0 && !w->failed)
            w->failed = rc;
        if (--w->pending)
            continue;
        if (!w->failed) {
            pthread_mutex_unlock(&w->mu);
            rc = write_batch(w, n, w->workers[0].len);
            pthread_mutex_lock(&w->mu);
            if (rc < 0)
                w->failed = rc;
        }
        w->busy = false;
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Waits for the batch in flight; then no worker touches w until the next is handed over. */
static int wait_idle(struct xd_dd *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->busy)
        pthread_cond_wait(&w->done, &w->mu);
    int rc = w->failed;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int xd_dd_wait(struct xd_dd *w)
{
    return w->nworkers ? wait_idle(w) : 0;
}

static void stop_threads(struct xd_dd *w)
{
    if (!w->workers)
        return;
    pthread_mutex_lock(&w->mu);
    while (w->busy)
        pthread_cond_wait(&w->done, &w->mu);
    w->quit = true;
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    for (unsigned k = 0; k < w->nthreads; k++) {
        struct worker *x = &w->workers[k];
        if (x->started)
            pthread_join(x->tid, NULL);
        coder_close(&x->c);
        if (k)
            free(x->buf);
    }
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->mu);
    free(w->workers);
    w->workers = NULL;
    w->nworkers = w->nthreads = 0;
}

int xd_dd_threads(struct xd_dd *w, unsigned n)
{
    if (w->workers || w->rank || n > XD_DD_MAX_THREADS)
        return -XD_DD_E_STATE;
    if (!n)
        return 0;
    if (!(w->workers = calloc(n, sizeof(*w->workers))))
        return -XD_DD_E_MEMORY;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->done, NULL);
    w->nthreads = n;
    /* each slice holds at most ceil(XD_BATCH / n) pages of at most a block each */
    size_t cap = (XD_BATCH + n - 1) / n * XD_DD_BLOCK;
    int rc = 0;
    for (unsigned k = 0; k < n && rc == 0; k++) {
        struct worker *x = &w->workers[k];
        x->w = w;
        x->index = k;
        x->buf = k ? malloc(cap) : w->data;
        rc = x->buf ? coder_open(&x->c, w->codec) : -XD_DD_E_MEMORY;
    }
    w->nworkers = n; /* before the threads: they read it */
    for (unsigned k = 0; k < n && rc == 0; k++) {
        struct worker *x = &w->workers[k];
        if (pthread_create(&x->tid, NULL, worker_main, x) != 0)
            rc = -XD_DD_E_MEMORY;
        else
            x->started = true;
    }
    if (rc < 0)
        stop_threads(w);
    return rc;
}

int xd_dd_pages_async(struct xd_dd *w, const uint8_t *pages, size_t n, const int *skip)
{
    if (!w->nworkers) {
        if (n > XD_BATCH || w->rank + n > w->p.ndumpable)
            return -XD_DD_E_STATE;
        size_t len;
        int rc = compress_slice(w, &w->c0, pages, skip, 0, n, w->data, &len);
        return rc < 0 ? rc : write_batch(w, n, len);
    }
    pthread_mutex_lock(&w->mu);
    while (w->busy)
        pthread_cond_wait(&w->done, &w->mu);
    int rc = w->failed;
    if (rc == 0 && (n > XD_BATCH || w->rank + n > w->p.ndumpable))
        rc = -XD_DD_E_STATE;
    if (rc == 0 && n) {
        w->job_pages = pages;
        w->job_skip = skip;
        w->job_n = n;
        w->pending = w->nworkers;
        w->busy = true;
        w->seq++;
        pthread_cond_broadcast(&w->work);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int xd_dd_pages(struct xd_dd *w, const uint8_t *pages, size_t n, const int *skip)
{
    int rc = xd_dd_pages_async(w, pages, n, skip);
    return rc < 0 ? rc : xd_dd_wait(w);
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
    int rc = xd_dd_wait(w);
    if (rc < 0)
        return rc;
    if (notes_len > w->p.notes_room || (!h->incomplete && w->rank != w->p.ndumpable))
        return -XD_DD_E_STATE;
    uint64_t note_off = XD_DD_BLOCK + XD_DD_SUB_SIZE;
    rc = put(w, note_off, notes, notes_len);

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
    stop_threads(w);
    coder_close(&w->c0);
    free(w->data);
    free(w->desc);
    free(w);
}
