/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The only writer: see sink.h. */
#include "sink.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zstd.h>

#include "compress.h"
#include "model.h"
#include "xdump.h"

/* xd_sink_pages_async(): one batch at a time, written by a thread of the sink's own. */
struct async {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started, busy, quit;
    const uint8_t *pages;
    size_t n;
    const int *skip;
    int rc;
};

struct xd_sink {
    int fd;
    bool stream;
    bool force;
    uint64_t off;  /* bytes of the core so far */
    uint64_t fpos; /* bytes of the output so far: off, or the compressed stream's length */
    uint64_t drop_every, drop_mark, drop_prev; /* page-cache dropping, see drop_cache() */
    struct xd_gz *gz;                          /* compressing; then only its writer calls put() */
    ZSTD_CCtx *zs;                             /* compressing to zstd (its own worker threads) */
    uint8_t *zbuf;                             /* zstd's output, ZSTD_CStreamOutSize() bytes */
    bool write_failed;                         /* put() failed under the compressor: err says why */
    struct async async;
    char path[4096];
    char tmp[4096];
    char err[512];
};

static const uint8_t zero_page[XD_PAGE_SIZE];

#define fail(s, status, ...) xd_fail((s)->err, sizeof((s)->err), status, __VA_ARGS__)

const char *xd_sink_error(const struct xd_sink *s)
{
    return s->err;
}

static int io_error(struct xd_sink *s)
{
    if (errno == EPIPE)
        return fail(s, XDUMP_E_IO, "writing %s: the reader went away (broken pipe)", s->path);
    return fail(s, XDUMP_E_IO, "writing %s: %s", s->path, strerror(errno));
}

/* A write that failed (-1, errno set) or wrote nothing (0: the disk is full). */
static int write_failed(struct xd_sink *s, ssize_t w)
{
    if (w == 0)
        errno = ENOSPC;
    return io_error(s);
}

/* Keeps the host's page cache for the host: once drop_every more bytes were written, starts
   writing the newest part back, waits for the part before (written back since) and drops it.
   Best effort: errors surface at fsync. */
static void drop_cache(struct xd_sink *s)
{
    if (s->stream || s->fpos - s->drop_mark < s->drop_every)
        return;
    uint64_t end = s->fpos & ~(XD_PAGE_SIZE - 1);
    sync_file_range(s->fd, (off_t)s->drop_mark, (off_t)(end - s->drop_mark), SYNC_FILE_RANGE_WRITE);
    if (s->drop_mark > s->drop_prev) {
        off_t from = (off_t)s->drop_prev, len = (off_t)(s->drop_mark - s->drop_prev);
        sync_file_range(s->fd, from, len,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                            SYNC_FILE_RANGE_WAIT_AFTER);
        posix_fadvise(s->fd, from, len, POSIX_FADV_DONTNEED);
    }
    s->drop_prev = s->drop_mark;
    s->drop_mark = end;
}

/* Writes iov[] at the output's end, all of it. */
static int put(struct xd_sink *s, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = s->stream ? writev(s->fd, iov, n) : pwritev(s->fd, iov, n, (off_t)s->fpos);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return write_failed(s, w);
        s->fpos += (uint64_t)w;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++, n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    drop_cache(s);
    return 0;
}

/* Plain output: bytes of the core are bytes of the file. */
static int put_plain(struct xd_sink *s, struct iovec *iov, int n)
{
    int rc = put(s, iov, n);
    s->off = s->fpos;
    return rc;
}

/* The compressor's writer: the gzip stream, in order. */
static int put_compressed(void *ctx, const void *buf, size_t len)
{
    struct xd_sink *s = ctx;
    struct iovec iov = {(void *)buf, len};
    int rc = len ? put(s, &iov, 1) : 0;
    if (rc < 0)
        s->write_failed = true;
    return rc;
}

/* A status of compress.c as the sink's: a write that failed (its message is set already), or
   the compressor's own failure. */
static int gz_status(struct xd_sink *s, int rc)
{
    if (rc >= 0)
        return rc;
    if (s->write_failed)
        return -XDUMP_E_IO;
    return fail(s, rc == -ENOMEM ? XDUMP_E_FAIL : XDUMP_E_IO, "compressing %s: %s", s->path,
                strerror(-rc));
}

/* ---- a zstd stream: libzstd's own workers compress, this thread writes in order ------------ */

static int zstd_open(struct xd_sink *s, int level, unsigned threads)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = threads ? threads : cpus > 0 ? (unsigned)cpus : 1;
    s->zs = ZSTD_createCCtx();
    s->zbuf = malloc(ZSTD_CStreamOutSize());
    if (!s->zs || !s->zbuf)
        return fail(s, XDUMP_E_FAIL, "out of memory for the zstd stream");
    /* nbWorkers >= 1: the input is compressed in jobs by libzstd's threads while this one goes
       on; a libzstd built without threads refuses it, and then compresses alone */
    if (ZSTD_isError(ZSTD_CCtx_setParameter(s->zs, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->zs, ZSTD_c_checksumFlag, 1)))
        return fail(s, XDUMP_E_FAIL, "zstd refuses level %d", level);
    if (n > 1)
        (void)ZSTD_CCtx_setParameter(s->zs, ZSTD_c_nbWorkers, (int)n);
    return 0;
}

/* Feeds len bytes (end: and ends the frame), writing what comes out. */
static int zstd_put(struct xd_sink *s, const void *buf, size_t len, ZSTD_EndDirective end)
{
    ZSTD_inBuffer in = {buf, len, 0};
    for (;;) {
        ZSTD_outBuffer out = {s->zbuf, ZSTD_CStreamOutSize(), 0};
        size_t left = ZSTD_compressStream2(s->zs, &out, &in, end);
        if (ZSTD_isError(left))
            return fail(s, XDUMP_E_IO, "compressing %s: %s", s->path, ZSTD_getErrorName(left));
        struct iovec iov = {s->zbuf, out.pos};
        int rc = out.pos ? put(s, &iov, 1) : 0;
        if (rc < 0)
            return rc;
        if (end == ZSTD_e_end ? left == 0 : in.pos == in.size)
            return 0;
    }
}

static int create_temporary(struct xd_sink *s, const char *path, bool force)
{
    struct stat st;
    if (strlen(path) >= sizeof(s->path) - 32)
        return fail(s, XDUMP_E_OUTPUT, "%s: the path is too long", path);
    if (!force && lstat(path, &st) == 0)
        return fail(s, XDUMP_E_OUTPUT, "%s exists; use --force to replace it", path);
    char dir[4096], base[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    snprintf(base, sizeof(base), "%s", path);
    snprintf(s->tmp, sizeof(s->tmp), "%s/.%s" XD_SINK_TMP_MARK "XXXXXX", dirname(dir),
             basename(base));
    s->fd = mkostemp(s->tmp, O_CLOEXEC); /* O_EXCL, mode 0600 */
    if (s->fd < 0)
        return fail(s, XDUMP_E_OUTPUT, "cannot create a file next to %s: %s", path,
                    strerror(errno));
    return 0;
}

static void remove_temporary(struct xd_sink *s)
{
    if (s->stream)
        return;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    unlink(s->tmp);
}

int xd_sink_open_with(const char *path, const struct xd_sink_options *o, struct xd_sink **out,
                      char *err, size_t errlen)
{
    struct xd_sink *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -XDUMP_E_FAIL;
    }
    s->fd = -1;
    s->force = o->force;
    s->drop_every = o->drop_cache_every ? o->drop_cache_every : XD_SINK_DROP_CACHE_DEFAULT;
    snprintf(s->path, sizeof(s->path), "%s", path);
    int rc = 0;
    if (!strcmp(path, "-")) {
        s->fd = STDOUT_FILENO;
        s->stream = true;
        snprintf(s->path, sizeof(s->path), "standard output");
    } else {
        rc = create_temporary(s, path, o->force);
    }
    if (rc == 0 && o->compress && o->zstd) {
        rc = zstd_open(s, o->compress, o->threads);
    } else if (rc == 0 && o->compress) {
        rc = xd_gz_open(o->compress, o->threads, o->block, put_compressed, s, &s->gz);
        if (rc == -EINVAL)
            rc = fail(s, XDUMP_E_USAGE,
                      "compression level %d, %u threads or a block of %zu "
                      "bytes: out of range",
                      o->compress, o->threads, o->block);
        else
            rc = gz_status(s, rc);
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s", s->err);
        remove_temporary(s);
        ZSTD_freeCCtx(s->zs);
        free(s->zbuf);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int xd_sink_open(const char *path, bool force, struct xd_sink **out, char *err, size_t errlen)
{
    struct xd_sink_options o = {.force = force};
    return xd_sink_open_with(path, &o, out, err, errlen);
}

bool xd_sink_is_stream(const struct xd_sink *s)
{
    return s->stream || s->gz || s->zs;
}

bool xd_sink_is_compressed(const struct xd_sink *s)
{
    return s->gz != NULL || s->zs != NULL;
}

uint64_t xd_sink_offset(struct xd_sink *s)
{
    xd_sink_wait(s);
    return s->off;
}

/* The writers below run in the caller's thread or in the asynchronous writer, never both at
   once: the public entry points wait for the batch in flight first. */
static int write_bytes(struct xd_sink *s, const void *buf, size_t len)
{
    if (!len)
        return 0;
    if (s->gz) {
        s->off += len;
        return gz_status(s, xd_gz_write(s->gz, buf, len));
    }
    if (s->zs) {
        s->off += len;
        return zstd_put(s, buf, len, ZSTD_e_continue);
    }
    struct iovec iov = {(void *)buf, len};
    return put_plain(s, &iov, 1);
}

static int write_zeros(struct xd_sink *s, uint64_t len)
{
    if (s->gz) {
        s->off += len;
        return gz_status(s, xd_gz_zeros(s->gz, len));
    }
    if (!s->stream && !s->zs) { /* a hole: the file is sized at commit */
        s->off += len;
        s->fpos += len;
        return 0;
    }
    while (len) {
        size_t n = len < XD_PAGE_SIZE ? (size_t)len : XD_PAGE_SIZE;
        int rc = write_bytes(s, zero_page, n);
        if (rc < 0)
            return rc;
        len -= n;
    }
    return 0;
}

int xd_sink_write(struct xd_sink *s, const void *buf, size_t len)
{
    int rc = xd_sink_wait(s);
    return rc < 0 ? rc : write_bytes(s, buf, len);
}

int xd_sink_zeros(struct xd_sink *s, uint64_t len)
{
    int rc = xd_sink_wait(s);
    return rc < 0 ? rc : write_zeros(s, len);
}

static bool is_zero(const uint8_t *p)
{
    const uint64_t *q = (const uint64_t *)p;
    for (size_t i = 0; i < XD_PAGE_SIZE / 8; i += 4)
        if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
            return false;
    return true;
}

/* Compressed: runs of data pages are copied into the compressor at once, zero pages are
   counted (never copied). */
static int pages_compressed(struct xd_sink *s, const uint8_t *pages, size_t n, const int *skip)
{
    size_t start = 0, i;
    int rc = 0;
    for (i = 0; i < n && rc == 0; i++) {
        if (!skip[i] && !is_zero(pages + i * XD_PAGE_SIZE))
            continue;
        if (i > start)
            rc = write_bytes(s, pages + start * XD_PAGE_SIZE, (i - start) * XD_PAGE_SIZE);
        if (rc == 0)
            rc = write_zeros(s, XD_PAGE_SIZE);
        start = i + 1;
    }
    if (rc == 0 && n > start)
        rc = write_bytes(s, pages + start * XD_PAGE_SIZE, (n - start) * XD_PAGE_SIZE);
    return rc;
}

static int write_pages(struct xd_sink *s, const uint8_t *pages, size_t n, const int *skip);

int xd_sink_pages(struct xd_sink *s, const uint8_t *pages, size_t n, const int *skip)
{
    int rc = xd_sink_wait(s);
    return rc < 0 ? rc : write_pages(s, pages, n, skip);
}

/* The writer of asynchronous batches. */
static void *async_main(void *arg)
{
    struct xd_sink *s = arg;
    struct async *a = &s->async;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->busy && !a->quit)
            pthread_cond_wait(&a->cv, &a->mu);
        if (a->quit)
            break;
        pthread_mutex_unlock(&a->mu);
        int rc = write_pages(s, a->pages, a->n, a->skip);
        pthread_mutex_lock(&a->mu);
        a->rc = rc;
        a->busy = false;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int xd_sink_wait(struct xd_sink *s)
{
    struct async *a = &s->async;
    if (!a->started)
        return 0;
    pthread_mutex_lock(&a->mu);
    while (a->busy)
        pthread_cond_wait(&a->cv, &a->mu);
    int rc = a->rc; /* sticky: a failed batch fails every call after it */
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int xd_sink_pages_async(struct xd_sink *s, const uint8_t *pages, size_t n, const int *skip)
{
    struct async *a = &s->async;
    int rc = xd_sink_wait(s);
    if (rc < 0)
        return rc;
    if (!a->started) {
        pthread_mutex_init(&a->mu, NULL);
        pthread_cond_init(&a->cv, NULL);
        if (pthread_create(&a->tid, NULL, async_main, s) != 0) {
            pthread_cond_destroy(&a->cv);
            pthread_mutex_destroy(&a->mu);
            return write_pages(s, pages, n, skip); /* no thread: write it now */
        }
        a->started = true;
    }
    pthread_mutex_lock(&a->mu);
    a->pages = pages;
    a->n = n;
    a->skip = skip;
    a->busy = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return 0;
}

/* Stops the writer of asynchronous batches (after the one in flight). */
static void async_stop(struct xd_sink *s)
{
    struct async *a = &s->async;
    if (!a->started)
        return;
    xd_sink_wait(s);
    pthread_mutex_lock(&a->mu);
    a->quit = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->tid, NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    a->started = false;
}

static int write_pages(struct xd_sink *s, const uint8_t *pages, size_t n, const int *skip)
{
    if (s->gz || s->zs)
        return pages_compressed(s, pages, n, skip);
    struct iovec iov[64];
    int niov = 0, rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const uint8_t *p = pages + i * XD_PAGE_SIZE;
        bool hole = skip[i] || is_zero(p);
        if (hole && !s->stream) {
            /* flush what is pending, then step over the page */
            rc = niov ? put_plain(s, iov, niov) : 0;
            niov = 0;
            s->off += XD_PAGE_SIZE;
            s->fpos += XD_PAGE_SIZE;
            continue;
        }
        const uint8_t *src = skip[i] ? zero_page : p;
        if (niov && (uint8_t *)iov[niov - 1].iov_base + iov[niov - 1].iov_len == src)
            iov[niov - 1].iov_len += XD_PAGE_SIZE;
        else
            iov[niov++] = (struct iovec){(void *)src, XD_PAGE_SIZE};
        if (niov == 64) {
            rc = put_plain(s, iov, niov);
            niov = 0;
        }
    }
    return rc == 0 && niov ? put_plain(s, iov, niov) : rc;
}

int xd_sink_rewrite(struct xd_sink *s, uint64_t off, const void *buf, size_t len)
{
    int rc = xd_sink_wait(s);
    if (rc < 0)
        return rc;
    if (s->gz || s->zs)
        return fail(s, XDUMP_E_IO, "%s: a compressed core cannot be rewritten; dump without -z",
                    s->path);
    if (s->stream)
        return fail(s, XDUMP_E_IO, "internal: cannot rewrite a stream");
    /* All of it, as put() does: a short pwrite() sets no errno, the call after it says why
       (ENOSPC, EIO). */
    for (size_t done = 0; done < len;) {
        ssize_t w = pwrite(s->fd, (const uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return write_failed(s, w);
        done += (size_t)w;
    }
    return 0;
}

int xd_sink_read(struct xd_sink *s, uint64_t off, void *buf, size_t len)
{
    int rc = xd_sink_wait(s);
    if (rc < 0)
        return rc;
    if (s->gz || s->zs || s->stream)
        return fail(s, XDUMP_E_IO, "internal: %s cannot be read back", s->path);
    for (size_t done = 0; done < len;) {
        ssize_t r = pread(s->fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fail(s, XDUMP_E_IO, "reading back %s: %s", s->tmp, strerror(errno));
        if (r == 0) /* beyond the end written so far: zeros, as the file will hold */
            return memset((uint8_t *)buf + done, 0, len - done), 0;
        done += (size_t)r;
    }
    return 0;
}

/* Ends the compressed stream, if any. */
static int finish_compression(struct xd_sink *s)
{
    if (s->zs)
        return zstd_put(s, NULL, 0, ZSTD_e_end);
    if (!s->gz)
        return 0;
    int rc = gz_status(s, xd_gz_finish(s->gz));
    xd_gz_free(s->gz);
    s->gz = NULL;
    return rc;
}

/* Sizes, syncs and closes the file, then renames it into place. */
static int put_in_place(struct xd_sink *s)
{
    int rc = 0;
    if (ftruncate(s->fd, (off_t)s->fpos) < 0 || fsync(s->fd) < 0)
        rc = io_error(s);
    if (close(s->fd) < 0 && rc == 0)
        rc = io_error(s);
    s->fd = -1;
    if (rc < 0)
        return rc;
    int r = s->force ? rename(s->tmp, s->path)
                     : renameat2(AT_FDCWD, s->tmp, AT_FDCWD, s->path, RENAME_NOREPLACE);
    if (r < 0)
        return fail(s, XDUMP_E_OUTPUT, "cannot put the core in place as %s: %s", s->path,
                    errno == EEXIST ? "it appeared during the dump (use --force)"
                                    : strerror(errno));
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", s->path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { /* make the rename itself durable */
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int xd_sink_commit(struct xd_sink *s, char *err, size_t errlen)
{
    int rc = xd_sink_wait(s);
    async_stop(s);
    if (rc == 0)
        rc = finish_compression(s);
    if (rc == 0 && !s->stream)
        rc = put_in_place(s);
    if (rc < 0) {
        remove_temporary(s);
        snprintf(err, errlen, "%s", s->err);
    }
    ZSTD_freeCCtx(s->zs);
    free(s->zbuf);
    free(s);
    return rc;
}

void xd_sink_abort(struct xd_sink *s)
{
    if (!s)
        return;
    async_stop(s);
    xd_gz_free(s->gz);
    ZSTD_freeCCtx(s->zs);
    free(s->zbuf);
    remove_temporary(s);
    free(s);
}

const char *xd_sink_temp_path(const struct xd_sink *s)
{
    return s->stream ? NULL : s->tmp;
}
