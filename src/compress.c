/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parallel gzip stream: see compress.h. Blocks live in a ring of slots, numbered by a
 * sequence: the caller fills slot seq % nslots, the workers compress queued blocks in sequence
 * order, the writer emits them in sequence order and frees the slot. One mutex guards the
 * states; nothing else is shared while a block is being filled or compressed.
 */
#include "compress.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "format.h" /* xd_put_le32 */

#define MAX_BLOCK ((size_t)64 << 20)

enum block_state { B_FREE, B_FILLING, B_QUEUED, B_DONE };

struct block {
    uint8_t *in;
    size_t len;    /* bytes in the block */
    bool zero;     /* all len bytes are zeros, not yet copied into in[] */
    bool last;     /* ends the stream: a final deflate block, then the trailer */
    bool use_zero; /* emit the precomputed all-zero block instead of out[] */
    uint64_t seq;
    uint8_t *out;
    size_t outlen, outcap;
    uLong crc;
    enum block_state state;
};

struct worker {
    struct xd_gz *z;
    z_stream zs;
    bool zs_ready;
    bool started;
    pthread_t tid;
};

struct xd_gz {
    int level;
    size_t bsize;
    unsigned nthreads, nslots;
    struct block *slots;
    struct worker *workers; /* nthreads; with one thread, workers[0].zs serves the caller */
    struct block *cur;      /* the block the caller fills, or NULL */
    uint64_t seq_next;      /* sequence of the next block the caller takes */
    uint64_t seq_queued;    /* blocks below this were handed to the workers */
    uint64_t seq_taken;     /* blocks below this were taken by a worker */
    uint64_t seq_written;   /* blocks below this were written */
    pthread_mutex_t mu;
    pthread_cond_t work, done, freed;
    pthread_t writer;
    bool writer_started;
    bool quit;
    int failed; /* the first error (negative), sticky */
    uLong crc;  /* of all bytes written so far, combined block by block */
    uint64_t total;
    uint8_t *zero_out; /* a full block of zeros, deflated, and its CRC */
    size_t zero_outlen;
    uLong zero_crc;
    xd_gz_write_fn write;
    void *ctx;
};

static bool threaded(const struct xd_gz *z)
{
    return z->nthreads > 1;
}

/* Deflates in[0..len) as an independent raw deflate sequence ending on a byte boundary (sync
   flush), or with the final block when `last`. */
static int deflate_into(z_stream *zs, const uint8_t *in, size_t len, bool last, uint8_t **out,
                        size_t *outcap, size_t *outlen)
{
    if (deflateReset(zs) != Z_OK)
        return -EINVAL;
    zs->next_in = (Bytef *)in;
    zs->avail_in = (uInt)len;
    int flush = last ? Z_FINISH : Z_SYNC_FLUSH;
    *outlen = 0;
    for (;;) {
        if (*outlen == *outcap) { /* deflateBound() does not count flush markers: rare */
            size_t cap = *outcap * 2;
            uint8_t *p = realloc(*out, cap);
            if (!p)
                return -ENOMEM;
            *out = p;
            *outcap = cap;
        }
        zs->next_out = *out + *outlen;
        zs->avail_out = (uInt)(*outcap - *outlen);
        int r = deflate(zs, flush);
        *outlen = *outcap - zs->avail_out;
        if (r == Z_STREAM_ERROR)
            return -EINVAL;
        if (last ? r == Z_STREAM_END : (zs->avail_in == 0 && zs->avail_out != 0))
            return 0;
    }
}

static int compress_block(struct xd_gz *z, z_stream *zs, struct block *b)
{
    if (b->zero && b->len == z->bsize && !b->last) {
        b->use_zero = true;
        b->crc = z->zero_crc;
        return 0;
    }
    if (b->zero)
        memset(b->in, 0, b->len);
    b->zero = false;
    b->crc = crc32(0, b->in, (uInt)b->len);
    return deflate_into(zs, b->in, b->len, b->last, &b->out, &b->outcap, &b->outlen);
}

/* Writes one compressed block (and after the last, the trailer). Writer's side only. */
static int emit(struct xd_gz *z, struct block *b)
{
    int rc = b->use_zero ? z->write(z->ctx, z->zero_out, z->zero_outlen)
                         : z->write(z->ctx, b->out, b->outlen);
    z->crc = crc32_combine(z->crc, b->crc, (z_off_t)b->len);
    z->total += b->len;
    if (rc == 0 && b->last) {
        uint8_t trailer[8];
        xd_put_le32(trailer, (uint32_t)z->crc);
        xd_put_le32(trailer + 4, (uint32_t)z->total); /* ISIZE: the length modulo 2^32 */
        rc = z->write(z->ctx, trailer, sizeof(trailer));
    }
    return rc;
}

static void set_failed(struct xd_gz *z, int rc)
{
    if (!z->failed)
        z->failed = rc;
    pthread_cond_broadcast(&z->done);
    pthread_cond_broadcast(&z->freed);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct xd_gz *z = w->z;
    pthread_mutex_lock(&z->mu);
    for (;;) {
        while (!z->quit && z->seq_taken == z->seq_queued)
            pthread_cond_wait(&z->work, &z->mu);
        if (z->quit)
            break;
        struct block *b = &z->slots[z->seq_taken++ % z->nslots];
        pthread_mutex_unlock(&z->mu);
        int rc = compress_block(z, &w->zs, b);
        pthread_mutex_lock(&z->mu);
        if (rc < 0)
            set_failed(z, rc);
        b->state = B_DONE;
        pthread_cond_broadcast(&z->done);
    }
    pthread_mutex_unlock(&z->mu);
    return NULL;
}

static void *writer_main(void *arg)
{
    struct xd_gz *z = arg;
    pthread_mutex_lock(&z->mu);
    for (;;) {
        struct block *b = &z->slots[z->seq_written % z->nslots];
        while (!z->quit && !z->failed && !(b->state == B_DONE && b->seq == z->seq_written))
            pthread_cond_wait(&z->done, &z->mu);
        if (z->quit || z->failed)
            break;
        pthread_mutex_unlock(&z->mu);
        int rc = emit(z, b);
        pthread_mutex_lock(&z->mu);
        if (rc < 0) {
            set_failed(z, rc);
            break;
        }
        bool last = b->last;
        b->state = B_FREE;
        z->seq_written++;
        pthread_cond_broadcast(&z->freed);
        if (last)
            break;
    }
    pthread_mutex_unlock(&z->mu);
    return NULL;
}

/* Gives the caller the next slot, waiting for the writer to free it. */
static int take(struct xd_gz *z)
{
    struct block *b = &z->slots[z->seq_next % z->nslots];
    /* The state and sequence change under the mutex: the writer reads them, the slot it waits
       for being this one whenever every block taken so far is written. (With one thread the
       slot is free, and nobody else holds the mutex.) */
    pthread_mutex_lock(&z->mu);
    while (threaded(z) && b->state != B_FREE && !z->failed)
        pthread_cond_wait(&z->freed, &z->mu);
    int rc = z->failed;
    if (rc == 0) {
        b->state = B_FILLING;
        b->seq = z->seq_next++;
    }
    pthread_mutex_unlock(&z->mu);
    if (rc < 0)
        return rc;
    b->len = 0;
    b->zero = true;
    b->last = b->use_zero = false;
    z->cur = b;
    return 0;
}

/* Hands the caller's block on: to the workers, or compressed and written at once. */
static int submit(struct xd_gz *z)
{
    struct block *b = z->cur;
    z->cur = NULL;
    if (!threaded(z)) {
        int rc = compress_block(z, &z->workers[0].zs, b);
        if (rc == 0)
            rc = emit(z, b);
        b->state = B_FREE;
        if (rc < 0)
            z->failed = rc;
        return rc;
    }
    pthread_mutex_lock(&z->mu);
    int rc = z->failed;
    if (rc == 0) {
        b->state = B_QUEUED;
        z->seq_queued++;
        pthread_cond_signal(&z->work);
    }
    pthread_mutex_unlock(&z->mu);
    return rc;
}

int xd_gz_write(struct xd_gz *z, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        int rc;
        if (!z->cur && (rc = take(z)) < 0)
            return rc;
        struct block *b = z->cur;
        if (b->zero) {
            memset(b->in, 0, b->len);
            b->zero = false;
        }
        size_t n = len < z->bsize - b->len ? len : z->bsize - b->len;
        memcpy(b->in + b->len, p, n);
        b->len += n;
        p += n;
        len -= n;
        if (b->len == z->bsize && (rc = submit(z)) < 0)
            return rc;
    }
    return 0;
}

int xd_gz_zeros(struct xd_gz *z, uint64_t len)
{
    while (len) {
        int rc;
        if (!z->cur && (rc = take(z)) < 0)
            return rc;
        struct block *b = z->cur;
        size_t n = len < z->bsize - b->len ? (size_t)len : z->bsize - b->len;
        if (!b->zero)
            memset(b->in + b->len, 0, n);
        b->len += n;
        len -= n;
        if (b->len == z->bsize && (rc = submit(z)) < 0)
            return rc;
    }
    return 0;
}

int xd_gz_finish(struct xd_gz *z)
{
    int rc;
    if (!z->cur && (rc = take(z)) < 0)
        return rc;
    z->cur->last = true;
    if ((rc = submit(z)) < 0 || !threaded(z))
        return rc;
    pthread_join(z->writer, NULL);
    z->writer_started = false;
    pthread_mutex_lock(&z->mu);
    rc = z->failed;
    pthread_mutex_unlock(&z->mu);
    return rc;
}

void xd_gz_free(struct xd_gz *z)
{
    if (!z)
        return;
    pthread_mutex_lock(&z->mu);
    z->quit = true;
    pthread_cond_broadcast(&z->work);
    pthread_cond_broadcast(&z->done);
    pthread_cond_broadcast(&z->freed);
    pthread_mutex_unlock(&z->mu);
    if (z->writer_started)
        pthread_join(z->writer, NULL);
    for (unsigned i = 0; z->workers && i < z->nthreads; i++) {
        struct worker *w = &z->workers[i];
        if (w->started)
            pthread_join(w->tid, NULL);
        if (w->zs_ready)
            deflateEnd(&w->zs);
    }
    for (unsigned i = 0; z->slots && i < z->nslots; i++) {
        free(z->slots[i].in);
        free(z->slots[i].out);
    }
    pthread_mutex_destroy(&z->mu);
    pthread_cond_destroy(&z->work);
    pthread_cond_destroy(&z->done);
    pthread_cond_destroy(&z->freed);
    free(z->workers);
    free(z->slots);
    free(z->zero_out);
    free(z);
}

/* Allocates slots and zlib states, and deflates the all-zero block once. */
static int prepare(struct xd_gz *z)
{
    z->slots = calloc(z->nslots, sizeof(*z->slots));
    z->workers = calloc(z->nthreads, sizeof(*z->workers));
    if (!z->slots || !z->workers)
        return -ENOMEM;
    for (unsigned i = 0; i < z->nthreads; i++) {
        struct worker *w = &z->workers[i];
        w->z = z;
        if (deflateInit2(&w->zs, z->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return -ENOMEM;
        w->zs_ready = true;
    }
    size_t cap = deflateBound(&z->workers[0].zs, (uLong)z->bsize) + 64;
    for (unsigned i = 0; i < z->nslots; i++) {
        z->slots[i].in = malloc(z->bsize);
        z->slots[i].out = malloc(cap);
        z->slots[i].outcap = cap;
        if (!z->slots[i].in || !z->slots[i].out)
            return -ENOMEM;
    }
    uint8_t *zeros = calloc(1, z->bsize);
    z->zero_out = malloc(cap);
    size_t zcap = cap;
    int rc = zeros && z->zero_out ? deflate_into(&z->workers[0].zs, zeros, z->bsize, false,
                                                 &z->zero_out, &zcap, &z->zero_outlen)
                                  : -ENOMEM;
    if (rc == 0)
        z->zero_crc = crc32(0, zeros, (uInt)z->bsize);
    free(zeros);
    return rc;
}

static int start_threads(struct xd_gz *z)
{
    for (unsigned i = 0; i < z->nthreads; i++) {
        struct worker *w = &z->workers[i];
        int e = pthread_create(&w->tid, NULL, worker_main, w);
        if (e)
            return -e;
        w->started = true;
    }
    int e = pthread_create(&z->writer, NULL, writer_main, z);
    if (e)
        return -e;
    z->writer_started = true;
    return 0;
}

int xd_gz_open(int level, unsigned threads, size_t block, xd_gz_write_fn write, void *ctx,
               struct xd_gz **out)
{
    *out = NULL;
    if (!block)
        block = XD_GZ_BLOCK_DEFAULT;
    if (level < 1 || level > 9 || block < 4096 || block > MAX_BLOCK || threads > XD_GZ_MAX_THREADS)
        return -EINVAL;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 1 ? 1 : n > (long)XD_GZ_MAX_THREADS ? XD_GZ_MAX_THREADS : (unsigned)n;
    }
    struct xd_gz *z = calloc(1, sizeof(*z));
    if (!z)
        return -ENOMEM;
    pthread_mutex_init(&z->mu, NULL);
    pthread_cond_init(&z->work, NULL);
    pthread_cond_init(&z->done, NULL);
    pthread_cond_init(&z->freed, NULL);
    z->level = level;
    z->bsize = block;
    z->nthreads = threads;
    z->nslots = threads > 1 ? 2 * threads : 1;
    z->crc = crc32(0, NULL, 0);
    z->write = write;
    z->ctx = ctx;
    int rc = prepare(z);
    if (rc == 0) {
        /* gzip member header: deflate, no name, no mtime; XFL says fastest/best; OS Unix */
        uint8_t head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
        head[8] = level == 1 ? 4 : level == 9 ? 2 : 0;
        rc = write(ctx, head, sizeof(head));
    }
    if (rc == 0 && threaded(z))
        rc = start_threads(z);
    if (rc < 0) {
        xd_gz_free(z);
        return rc;
    }
    *out = z;
    return 0;
}
