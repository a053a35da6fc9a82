/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim.so - LD_PRELOAD emulation of the dom0 kernel's Xen devices.
 *
 * Debian's real libxencall / libxenforeignmemory / libxenctrl / libxenguest run unmodified on
 * top of it: they open /dev/xen/privcmd and /dev/xen/hypercall, mmap ranges of privcmd and
 * issue ioctls, exactly as in a Linux dom0. We answer those from the world in $XENSIM_DIR.
 *
 *   /dev/xen/privcmd    an empty memfd: a range mmapped from it raises SIGBUS where no frame
 *                       was put, as the real driver does for frames that failed to map.
 *   /dev/xen/hypercall  /dev/zero, so hypercall buffers are shared anonymous pages.
 *   IOCTL_PRIVCMD_HYPERCALL     -> hypercall.c
 *   IOCTL_PRIVCMD_MMAPBATCH_V2  -> frames mapped with MAP_FIXED from the domain's memory file,
 *                                  per-frame err[], -ENOENT for paged-out frames.
 * Without XENSIM_DIR, opening the devices fails with ENOENT, as on a host without Xen.
 *
 *   connect() to a unix socket under /var/run/xen/ or /run/xen/ (libxl's XEN_RUN_DIR, where
 *   QEMU's QMP socket is) goes to $XENSIM_DIR/run/xen/ instead (`xensim qemu`).
 */
#include "hypercall.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/sys/privcmd.h>

/* Only the interposed libc functions leave the library: the world's own functions must not
   shadow anything in the program (libxenstore has an xs_open too). */
#define EXPORT __attribute__((visibility("default")))

#define MAX_FDS 4096
#define MAX_VMAS 256

enum fd_kind { FD_NONE = 0, FD_PRIVCMD, FD_HYPERCALL };

struct vma {
    uintptr_t start;
    size_t len;
    int prot;
    int batched; /* the first MMAPBATCH must cover the whole VMA; later ones (retries) a part */
    unsigned char *mapped; /* per page: a frame was mapped there (a later batch must avoid it) */
};

/* Drops a VMA's record (the lock is held). */
static void drop_vma(struct vma *v)
{
    free(v->mapped);
    v->mapped = NULL;
    v->len = 0;
}

static struct {
    pthread_mutex_t lock;
    struct xsim_handle *world;
    unsigned char fd_kind[MAX_FDS];
    struct vma vmas[MAX_VMAS];
    int (*open)(const char *, int, ...);
    int (*openat)(int, const char *, int, ...);
    int (*close)(int);
    int (*ioctl)(int, unsigned long, ...);
    void *(*mmap)(void *, size_t, int, int, int, off_t);
    int (*munmap)(void *, size_t);
} sim = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void resolve(void)
{
    if (sim.open)
        return;
    sim.openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
    sim.close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    sim.ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    sim.mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    sim.munmap = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap");
    __atomic_store_n(&sim.open, (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open"),
                     __ATOMIC_RELEASE);
}

static enum fd_kind kind_of_path(const char *path)
{
    if (!path)
        return FD_NONE;
    if (!strcmp(path, "/dev/xen/privcmd") || !strcmp(path, "/proc/xen/privcmd"))
        return FD_PRIVCMD;
    if (!strcmp(path, "/dev/xen/hypercall"))
        return FD_HYPERCALL;
    return FD_NONE;
}

static enum fd_kind kind_of_fd(int fd)
{
    return fd >= 0 && fd < MAX_FDS ? sim.fd_kind[fd] : FD_NONE;
}

static int open_device(enum fd_kind kind, int flags)
{
    pthread_mutex_lock(&sim.lock);
    if (!sim.world)
        sim.world = xsim_open(NULL);
    pthread_mutex_unlock(&sim.lock);
    if (!sim.world) {
        errno = ENOENT; /* no world: this host has no Xen */
        return -1;
    }
    int cloexec = (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0;
    int fd = kind == FD_PRIVCMD ? memfd_create("xensim-privcmd", cloexec)
                                : sim.open("/dev/zero", O_RDWR | (flags & O_CLOEXEC));
    if (fd >= 0 && fd < MAX_FDS)
        sim.fd_kind[fd] = (unsigned char)kind;
    return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    resolve();
    enum fd_kind k = kind_of_path(path);
    return k ? open_device(k, flags) : sim.open(path, flags, mode);
}
EXPORT int open64(const char *path, int flags, ...) __attribute__((alias("open")));

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    resolve();
    enum fd_kind k = kind_of_path(path);
    return k ? open_device(k, flags) : sim.openat(dirfd, path, flags, mode);
}
EXPORT int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real)
        real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    const char *dir = getenv("XENSIM_DIR");
    const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
    if (!dir || !addr || addr->sa_family != AF_UNIX ||
        len <= offsetof(struct sockaddr_un, sun_path))
        return real(fd, addr, len);
    const char *rest = NULL;
    if (!strncmp(un->sun_path, "/var/run/xen/", 13))
        rest = un->sun_path + 13;
    else if (!strncmp(un->sun_path, "/run/xen/", 9))
        rest = un->sun_path + 9;
    if (!rest)
        return real(fd, addr, len);
    struct sockaddr_un to = {.sun_family = AF_UNIX};
    if ((size_t)snprintf(to.sun_path, sizeof(to.sun_path), "%s/run/xen/%s", dir, rest) >=
        sizeof(to.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return real(fd, (const struct sockaddr *)&to, sizeof(to));
}

EXPORT int close(int fd)
{
    resolve();
    if (fd >= 0 && fd < MAX_FDS)
        sim.fd_kind[fd] = FD_NONE;
    return sim.close(fd);
}

/* ---- privcmd mmap: remember each VMA, as the driver does -------------------------------- */

static void forget_vmas(uintptr_t s, size_t len)
{
    pthread_mutex_lock(&sim.lock);
    for (int i = 0; i < MAX_VMAS; i++) {
        struct vma *v = &sim.vmas[i];
        if (v->len && v->start < s + len && s < v->start + v->len)
            drop_vma(v);
    }
    pthread_mutex_unlock(&sim.lock);
}

EXPORT int munmap(void *addr, size_t len)
{
    resolve();
    int rc = sim.munmap(addr, len);
    if (rc == 0)
        forget_vmas((uintptr_t)addr, len);
    return rc;
}

/* Whether [addr, addr+len) covers part, but not all, of a privcmd VMA still in place. */
static int partly_over_privcmd(void *addr, size_t len)
{
    uintptr_t s = (uintptr_t)addr, e = s + len;
    int hit = 0;
    pthread_mutex_lock(&sim.lock);
    for (int i = 0; i < MAX_VMAS && !hit; i++) {
        struct vma *v = &sim.vmas[i];
        if (v->len && v->start < e && s < v->start + v->len)
            hit = !(s == v->start && len == v->len);
    }
    pthread_mutex_unlock(&sim.lock);
    return hit;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    resolve();
    if (kind_of_fd(fd) == FD_PRIVCMD && (flags & MAP_FIXED) && partly_over_privcmd(addr, len)) {
        errno = ENOMEM; /* Linux: a privcmd mapping over part of another one */
        return MAP_FAILED;
    }
    void *p = sim.mmap(addr, len, prot, flags, fd, off);
    if (p != MAP_FAILED && kind_of_fd(fd) != FD_PRIVCMD && (flags & MAP_FIXED))
        forget_vmas((uintptr_t)p, len); /* whatever privcmd mapping was there is gone */
    if (p == MAP_FAILED || kind_of_fd(fd) != FD_PRIVCMD)
        return p;
    uintptr_t s = (uintptr_t)p, e = s + len;
    pthread_mutex_lock(&sim.lock);
    int slot = -1;
    for (int i = 0; i < MAX_VMAS; i++) {
        struct vma *v = &sim.vmas[i];
        if (v->len && v->start < e && s < v->start + v->len)
            drop_vma(v); /* replaced by the new mapping */
        if (!v->len && slot < 0)
            slot = i;
    }
    if (slot >= 0)
        sim.vmas[slot] = (struct vma){s, len, prot, 0, NULL};
    pthread_mutex_unlock(&sim.lock);
    return p;
}
EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
    __attribute__((alias("mmap")));

static struct vma *find_vma(uintptr_t a)
{
    for (int i = 0; i < MAX_VMAS; i++) {
        struct vma *v = &sim.vmas[i];
        if (v->len && a >= v->start && a < v->start + v->len)
            return v;
    }
    return NULL;
}

/* Maps frames [i0, i) of the request, which all come from `fd` at consecutive offsets. */
static int place(uintptr_t addr, size_t i0, size_t i, int prot, int fd, uint64_t off0)
{
    if (i == i0)
        return 0;
    void *p = sim.mmap((void *)(addr + i0 * XS_PAGE_SIZE), (i - i0) * XS_PAGE_SIZE, prot,
                       MAP_SHARED | MAP_FIXED, fd, (off_t)off0);
    return p == MAP_FAILED ? -1 : 0;
}

static int mmapbatch_v2(privcmd_mmapbatch_v2_t *m)
{
    struct xsim_handle *h = sim.world;
    struct vma *v = find_vma((uintptr_t)m->addr);
    size_t len = (size_t)m->num * XS_PAGE_SIZE;
    if (!v || !m->num)
        return -EINVAL;
    if (!v->batched && ((uintptr_t)m->addr != v->start || len != v->len))
        return -EINVAL;
    if ((uintptr_t)m->addr + len > v->start + v->len)
        return -EINVAL;
    /* As Linux's privcmd: a VMA batched before may be batched again only where no frame is
       mapped (privcmd_vma_range_is_mapped()). */
    size_t first = ((uintptr_t)m->addr - v->start) / XS_PAGE_SIZE;
    for (size_t i = 0; v->mapped && i < m->num; i++)
        if (v->mapped[first + i])
            return -EINVAL;
    if (!v->mapped && !(v->mapped = calloc(v->len / XS_PAGE_SIZE, 1)))
        return -ENOMEM;
    v->batched = 1;

    struct xsim_domain *d = xsim_domain(h, m->dom);
    if (d)
        XS_ADD(&d->c.mmapbatch_calls, 1);
    int paged = 0, run_fd = -1;
    size_t run_start = 0;
    uint64_t run_off = 0, next_off = 0;
    for (size_t i = 0; i < m->num; i++) {
        int fd;
        uint64_t off;
        int rc = xsim_map_frame(h, m->dom, m->arr[i], &fd, &off);
        m->err[i] = rc;
        paged |= rc == -ENOENT;
        v->mapped[first + i] = rc == 0;
        if (rc == 0 && fd == run_fd && off == next_off) {
            next_off += XS_PAGE_SIZE;
            continue;
        }
        if (place(m->addr, run_start, i, v->prot, run_fd, run_off) < 0)
            return -errno;
        run_fd = rc == 0 ? fd : -1;
        run_start = rc == 0 ? i : i + 1;
        run_off = off;
        next_off = off + XS_PAGE_SIZE;
    }
    if (run_fd >= 0 && place(m->addr, run_start, m->num, v->prot, run_fd, run_off) < 0)
        return -errno;
    return paged ? -ENOENT : 0;
}

static int privcmd_ioctl(unsigned long req, void *arg)
{
    long rc;
    switch (req) {
    case IOCTL_PRIVCMD_HYPERCALL: {
        privcmd_hypercall_t *hc = arg;
        pthread_mutex_lock(&sim.lock);
        rc = xsim_hypercall(sim.world, hc->op, (const uint64_t *)hc->arg);
        pthread_mutex_unlock(&sim.lock);
        break;
    }
    case IOCTL_PRIVCMD_MMAPBATCH_V2:
        pthread_mutex_lock(&sim.lock);
        rc = mmapbatch_v2(arg);
        pthread_mutex_unlock(&sim.lock);
        break;
    case IOCTL_PRIVCMD_DM_OP:
    case IOCTL_PRIVCMD_RESTRICT:
        rc = 0;
        break;
    case IOCTL_PRIVCMD_UNIMPLEMENTED:
        rc = -ENOTTY;
        break;
    default:
        xsim_log(sim.world, "unknown privcmd ioctl %#lx: -ENOTTY", req);
        XS_ADD(&sim.world->w->unknown, 1);
        rc = -ENOTTY;
    }
    if (rc < 0) {
        errno = (int)-rc;
        return -1;
    }
    return (int)rc;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    resolve();
    switch (kind_of_fd(fd)) {
    case FD_PRIVCMD:
        return privcmd_ioctl(req, arg);
    case FD_HYPERCALL:
        errno = ENOTTY;
        return -1;
    default:
        return sim.ioctl(fd, req, arg);
    }
}
