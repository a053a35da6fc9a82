/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iofault.so - an LD_PRELOAD fault injector for the tests: writes to files whose path holds
 * $IOFAULT_MATCH fail with $IOFAULT_ERRNO (EIO, ENOSPC, or a number) once $IOFAULT_AFTER bytes
 * were written to them - a disk that breaks or fills in the middle of a dump.
 * $IOFAULT_SHORT_PWRITE=N: a pwrite() of more than N bytes to such a file writes N and returns
 * N, as a filling disk does (no errno), and the next write to it fails with $IOFAULT_ERRNO.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 1024

static long long written[MAX_FDS];
static signed char matched[MAX_FDS]; /* 0 unknown, 1 yes, -1 no */

static int faulty(int fd, size_t len)
{
    const char *m = getenv("IOFAULT_MATCH");
    if (!m || fd < 0 || fd >= MAX_FDS)
        return 0;
    if (!matched[fd]) {
        char link[64], path[4096];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof(path) - 1);
        path[n > 0 ? n : 0] = 0;
        matched[fd] = n > 0 && strstr(path, m) ? 1 : -1;
    }
    if (matched[fd] < 0)
        return 0;
    long long after = atoll(getenv("IOFAULT_AFTER") ? getenv("IOFAULT_AFTER") : "0");
    if (written[fd] + (long long)len <= after) {
        written[fd] += (long long)len;
        return 0;
    }
    const char *e = getenv("IOFAULT_ERRNO");
    errno = !e || !strcmp(e, "EIO") ? EIO : !strcmp(e, "ENOSPC") ? ENOSPC : atoi(e);
    return 1;
}

static size_t iov_len(const struct iovec *iov, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += iov[i].iov_len;
    return len;
}

#define NEXT(name, type) ((type)dlsym(RTLD_NEXT, name))

ssize_t write(int fd, const void *b, size_t n)
{
    return faulty(fd, n) ? -1 : NEXT("write", ssize_t(*)(int, const void *, size_t))(fd, b, n);
}

static signed char shorted[MAX_FDS];

ssize_t pwrite(int fd, const void *b, size_t n, off_t o)
{
    ssize_t (*real)(int, const void *, size_t, off_t) =
        NEXT("pwrite", ssize_t(*)(int, const void *, size_t, off_t));
    const char *sh = getenv("IOFAULT_SHORT_PWRITE");
    if (sh && fd >= 0 && fd < MAX_FDS && !faulty(fd, 0)) {
        size_t cut = (size_t)atoll(sh);
        if (shorted[fd]) {
            const char *e = getenv("IOFAULT_ERRNO");
            errno = !e || !strcmp(e, "EIO") ? EIO : !strcmp(e, "ENOSPC") ? ENOSPC : atoi(e);
            return -1;
        }
        if (n > cut && matched[fd] > 0) {
            shorted[fd] = 1;
            errno = 0; /* a short write sets none */
            return real(fd, b, cut, o);
        }
    }
    return faulty(fd, n) ? -1 : real(fd, b, n, o);
}
ssize_t pwrite64(int fd, const void *b, size_t n, off_t o) __attribute__((alias("pwrite")));

ssize_t writev(int fd, const struct iovec *v, int n)
{
    return faulty(fd, iov_len(v, n))
               ? -1
               : NEXT("writev", ssize_t(*)(int, const struct iovec *, int))(fd, v, n);
}

ssize_t pwritev(int fd, const struct iovec *v, int n, off_t o)
{
    return faulty(fd, iov_len(v, n))
               ? -1
               : NEXT("pwritev", ssize_t(*)(int, const struct iovec *, int, off_t))(fd, v, n, o);
}
ssize_t pwritev64(int fd, const struct iovec *v, int n, off_t o) __attribute__((alias("pwritev")));
