/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The only writer: see sink.h. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "model.h"
#include "xdump.h"

struct xd_sink {
    int fd;
    bool stream;
    bool force;
    uint64_t off;
    char path[4096];
    char tmp[4096];
    char err[512];
};

static const uint8_t zero_page[XD_PAGE_SIZE];

static int fail(struct xd_sink *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct xd_sink *s, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return -status;
}

const char *xd_sink_error(const struct xd_sink *s)
{
    return s->err;
}

int xd_sink_open(const char *path, bool force, struct xd_sink **out, char *err, size_t errlen)
{
    struct xd_sink *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -XDUMP_E_FAIL;
    }
    s->force = force;
    if (!strcmp(path, "-")) {
        s->fd = STDOUT_FILENO;
        s->stream = true;
        snprintf(s->path, sizeof(s->path), "standard output");
        *out = s;
        return 0;
    }
    struct stat st;
    int rc = 0;
    if (strlen(path) >= sizeof(s->path) - 32) {
        rc = fail(s, XDUMP_E_OUTPUT, "%s: the path is too long", path);
    } else if (!force && lstat(path, &st) == 0) {
        rc = fail(s, XDUMP_E_OUTPUT, "%s exists; use --force to replace it", path);
    } else {
        char dir[4096], base[4096];
        snprintf(dir, sizeof(dir), "%s", path);
        snprintf(base, sizeof(base), "%s", path);
        snprintf(s->path, sizeof(s->path), "%s", path);
        snprintf(s->tmp, sizeof(s->tmp), "%s/.%s.xdump-XXXXXX", dirname(dir), basename(base));
        s->fd = mkostemp(s->tmp, O_CLOEXEC); /* O_EXCL, mode 0600 */
        if (s->fd < 0)
            rc = fail(s, XDUMP_E_OUTPUT, "cannot create a file next to %s: %s", path,
                      strerror(errno));
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s", s->err);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

bool xd_sink_is_stream(const struct xd_sink *s)
{
    return s->stream;
}

uint64_t xd_sink_offset(const struct xd_sink *s)
{
    return s->off;
}

static int io_error(struct xd_sink *s)
{
    if (errno == EPIPE)
        return fail(s, XDUMP_E_IO, "writing %s: the reader went away (broken pipe)", s->path);
    return fail(s, XDUMP_E_IO, "writing %s: %s", s->path, strerror(errno));
}

/* Writes iov[] at the current offset, all of it. */
static int put(struct xd_sink *s, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = s->stream ? writev(s->fd, iov, n) : pwritev(s->fd, iov, n, (off_t)s->off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return io_error(s);
        }
        s->off += (uint64_t)w;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++, n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

int xd_sink_write(struct xd_sink *s, const void *buf, size_t len)
{
    struct iovec iov = {(void *)buf, len};
    return len ? put(s, &iov, 1) : 0;
}

int xd_sink_zeros(struct xd_sink *s, uint64_t len)
{
    if (!s->stream) { /* a hole: the file is sized at commit */
        s->off += len;
        return 0;
    }
    while (len) {
        size_t n = len < XD_PAGE_SIZE ? (size_t)len : XD_PAGE_SIZE;
        int rc = xd_sink_write(s, zero_page, n);
        if (rc < 0)
            return rc;
        len -= n;
    }
    return 0;
}

static bool is_zero(const uint8_t *p)
{
    const uint64_t *q = (const uint64_t *)p;
    for (size_t i = 0; i < XD_PAGE_SIZE / 8; i += 4)
        if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
            return false;
    return true;
}

int xd_sink_pages(struct xd_sink *s, const uint8_t *pages, size_t n, const int *skip)
{
    struct iovec iov[64];
    int niov = 0, rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const uint8_t *p = pages + i * XD_PAGE_SIZE;
        bool hole = skip[i] || is_zero(p);
        if (hole && !s->stream) {
            /* flush what is pending, then step over the page */
            rc = niov ? put(s, iov, niov) : 0;
            niov = 0;
            s->off += XD_PAGE_SIZE;
            continue;
        }
        const uint8_t *src = skip[i] ? zero_page : p;
        if (niov && (uint8_t *)iov[niov - 1].iov_base + iov[niov - 1].iov_len == src)
            iov[niov - 1].iov_len += XD_PAGE_SIZE;
        else
            iov[niov++] = (struct iovec){(void *)src, XD_PAGE_SIZE};
        if (niov == 64) {
            rc = put(s, iov, niov);
            niov = 0;
        }
    }
    return rc == 0 && niov ? put(s, iov, niov) : rc;
}

int xd_sink_rewrite(struct xd_sink *s, uint64_t off, const void *buf, size_t len)
{
    if (s->stream)
        return fail(s, XDUMP_E_IO, "internal: cannot rewrite a stream");
    if (pwrite(s->fd, buf, len, (off_t)off) != (ssize_t)len)
        return io_error(s);
    return 0;
}

int xd_sink_commit(struct xd_sink *s, char *err, size_t errlen)
{
    int rc = 0;
    if (s->stream) {
        free(s);
        return 0;
    }
    if (ftruncate(s->fd, (off_t)s->off) < 0 || fsync(s->fd) < 0)
        rc = io_error(s);
    if (close(s->fd) < 0 && rc == 0)
        rc = io_error(s);
    s->fd = -1;
    if (rc == 0) {
        int r = s->force ? rename(s->tmp, s->path)
                         : renameat2(AT_FDCWD, s->tmp, AT_FDCWD, s->path, RENAME_NOREPLACE);
        if (r < 0)
            rc = fail(s, XDUMP_E_OUTPUT, "cannot put the core in place as %s: %s", s->path,
                      errno == EEXIST ? "it appeared during the dump (use --force)"
                                      : strerror(errno));
    }
    if (rc < 0) {
        unlink(s->tmp);
        snprintf(err, errlen, "%s", s->err);
    } else {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", s->path);
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) { /* make the rename itself durable */
            fsync(dfd);
            close(dfd);
        }
    }
    free(s);
    return rc;
}

void xd_sink_abort(struct xd_sink *s)
{
    if (!s)
        return;
    if (!s->stream) {
        if (s->fd >= 0)
            close(s->fd);
        unlink(s->tmp);
    }
    free(s);
}
