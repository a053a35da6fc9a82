/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xensim's world: opening the shared state and translating frame numbers. */
#include "world.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What a dom0 tool meets of each release. */
static const struct xsim_release releases[] = {
    /* RELEASE-4.17.7: xen/include/public/domctl.h:24, xen/include/public/sysctl.h:21;
       xen/common/domctl.c:368-369 and 375-395: getdomaininfo of an absent id looks for the first
       domain with an id >= it (for_each_domain ... d->domain_id >= dom). */
    {.minor = 17, .domctl_version = 0x15, .sysctl_version = 0x15, .getdomaininfo_next = true},
    /* RELEASE-4.20.4: xen/include/public/domctl.h:34 ("Last version bump: Xen 4.19"),
       xen/include/public/sysctl.h:31 (unchanged since 4.17); xen/common/domctl.c:370-373: every
       op but createdomain, getdomaininfo included, needs the domain (-ESRCH), and 380-388 answer
       exactly that one (ASSERT(op->domain == op->u.getdomaininfo.domain)). */
    {.minor = 20, .domctl_version = 0x17, .sysctl_version = 0x15, .getdomaininfo_next = false},
};

const struct xsim_release *xsim_release(uint32_t minor)
{
    for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++)
        if (releases[i].minor == minor)
            return &releases[i];
    return NULL;
}

const struct xsim_release *xsim_release_of_domctl(uint32_t v)
{
    for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++)
        if (releases[i].domctl_version == v)
            return &releases[i];
    return NULL;
}

void xsim_path(const struct xsim_handle *h, uint32_t domid, const char *ext, char *out, size_t n)
{
    snprintf(out, n, "%s/dom%u.%s", h->dir, domid, ext);
}

struct xsim_handle *xsim_open(const char *dir)
{
    if (!dir)
        dir = getenv("XENSIM_DIR");
    if (!dir || !*dir) {
        errno = ENOENT;
        return NULL;
    }
    struct xsim_handle *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    snprintf(h->dir, sizeof(h->dir), "%s", dir);
    for (int i = 0; i < XS_MAX_DOMAINS; i++)
        h->map[i].mem_fd = h->map[i].shinfo_fd = -1;
    h->m2p_fd = -1;

    char path[4200];
    snprintf(path, sizeof(path), "%s/world.state", dir);
    h->state_fd = open(path, O_RDWR | O_CLOEXEC);
    if (h->state_fd < 0)
        goto fail;
    struct stat st;
    if (fstat(h->state_fd, &st) < 0)
        goto fail;
    if ((size_t)st.st_size != sizeof(struct xsim_world)) {
        errno = EINVAL;
        goto fail;
    }
    h->w =
        mmap(NULL, sizeof(struct xsim_world), PROT_READ | PROT_WRITE, MAP_SHARED, h->state_fd, 0);
    if (h->w == MAP_FAILED) {
        h->w = NULL;
        goto fail;
    }
    if (h->w->magic != XS_MAGIC || h->w->version != XS_VERSION || !xsim_release(h->w->xen_minor)) {
        errno = EINVAL;
        goto fail;
    }
    return h;
fail:;
    int e = errno;
    xsim_close(h);
    errno = e;
    return NULL;
}

void xsim_close(struct xsim_handle *h)
{
    if (!h)
        return;
    for (int i = 0; i < XS_MAX_DOMAINS; i++) {
        struct xsim_dommap *m = &h->map[i];
        const struct xsim_domain *d = h->w ? &h->w->dom[i] : NULL;
        if (m->mem_fd >= 0)
            close(m->mem_fd);
        if (m->shinfo_fd >= 0)
            close(m->shinfo_fd);
        if (d && m->runs)
            munmap((void *)m->runs, d->nr_runs * sizeof(struct xsim_run));
        if (d && m->vcpus)
            munmap((void *)m->vcpus, (d->max_vcpu_id + 1) * sizeof(struct xsim_vcpu));
        if (d && m->dirty)
            munmap(m->dirty, d->ld_bits / 8);
    }
    if (h->w)
        munmap(h->w, sizeof(struct xsim_world));
    if (h->state_fd >= 0)
        close(h->state_fd);
    if (h->m2p_fd >= 0)
        close(h->m2p_fd);
    free(h);
}

struct xsim_domain *xsim_domain(struct xsim_handle *h, uint32_t domid)
{
    for (uint32_t i = 0; i < h->w->nr_domains; i++) {
        struct xsim_domain *d = &h->w->dom[i];
        if (d->domid == domid && XS_LOAD(&d->life) != XS_GONE)
            return d;
    }
    return NULL;
}

int xsim_index(struct xsim_handle *h, const struct xsim_domain *d)
{
    return (int)(d - h->w->dom);
}

static const void *map_file(const char *path, size_t len, int *fd_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fd_out) {
        *fd_out = fd;
        return (const void *)1; /* caller keeps the fd */
    }
    void *p = len ? mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0) : NULL;
    int e = errno;
    close(fd);
    errno = e;
    return p == MAP_FAILED ? NULL : p;
}

struct xsim_dommap *xsim_dommap(struct xsim_handle *h, const struct xsim_domain *d)
{
    struct xsim_dommap *m = &h->map[xsim_index(h, d)];
    char path[4300];
    if (m->mem_fd >= 0)
        return m;
    if (d->nr_runs) {
        xsim_path(h, d->domid, "runs", path, sizeof(path));
        m->runs = map_file(path, d->nr_runs * sizeof(struct xsim_run), NULL);
        if (!m->runs)
            return NULL;
    }
    xsim_path(h, d->domid, "vcpu", path, sizeof(path));
    m->vcpus = map_file(path, (d->max_vcpu_id + 1) * sizeof(struct xsim_vcpu), NULL);
    if (!m->vcpus)
        return NULL;
    xsim_path(h, d->domid, "shinfo", path, sizeof(path));
    if (!map_file(path, 0, &m->shinfo_fd))
        return NULL;
    xsim_path(h, d->domid, "dirty", path, sizeof(path));
    int dfd = open(path, O_RDWR | O_CLOEXEC);
    /* The raw system call: inside the preload, mmap() is interposed and may take the lock a
       hypercall already holds (a forked guardian's closefrom() leaves stale privcmd fds in
       its table, and this fd may reuse one of their numbers). */
    void *dp = dfd < 0 ? MAP_FAILED
                       : (void *)syscall(SYS_mmap, NULL, (size_t)(d->ld_bits / 8),
                                         PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0L);
    if (dfd >= 0)
        close(dfd);
    if (dp == MAP_FAILED)
        return NULL;
    m->dirty = dp;
    xsim_path(h, d->domid, "mem", path, sizeof(path));
    /* O_RDWR: tests and the builder write through it; the simulator maps it shared. */
    m->mem_fd = open(path, O_RDWR | O_CLOEXEC);
    if (m->mem_fd < 0)
        m->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
    return m->mem_fd >= 0 ? m : NULL;
}

/* Binary search of the runs: the run holding pfn, or NULL. */
static const struct xsim_run *find_run(const struct xsim_run *r, uint64_t n, uint64_t pfn)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (pfn < r[mid].pfn)
            hi = mid;
        else if (pfn >= r[mid].pfn + r[mid].count)
            lo = mid + 1;
        else
            return &r[mid];
    }
    return NULL;
}

bool xsim_pfn_rank(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn, uint64_t *rank)
{
    struct xsim_dommap *m = xsim_dommap(h, d);
    if (!m || !d->nr_runs)
        return false;
    const struct xsim_run *r = find_run(m->runs, d->nr_runs, pfn);
    if (!r)
        return false;
    *rank = r->rank + (pfn - r->pfn);
    return true;
}

uint64_t xsim_rank_pfn(struct xsim_handle *h, const struct xsim_domain *d, uint64_t rank)
{
    struct xsim_dommap *m = xsim_dommap(h, d);
    uint64_t lo = 0, hi = d->nr_runs;
    while (lo < hi) { /* last run with run.rank <= rank */
        uint64_t mid = lo + (hi - lo) / 2;
        if (m->runs[mid].rank <= rank)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct xsim_run *r = &m->runs[lo - 1];
    return r->pfn + (rank - r->rank);
}

uint64_t xsim_perm(const struct xsim_domain *d, uint64_t rank)
{
    uint64_t x_len = d->extent ? d->extent : XS_EXTENT, e = d->nr_frames / x_len;
    if (rank >= e * x_len) /* the last, partial extent stays in place */
        return rank;
    uint64_t x = rank / x_len;
    return (uint64_t)(((unsigned __int128)x * d->perm_a + d->perm_b) % e) * x_len + rank % x_len;
}

uint64_t xsim_perm_inv(const struct xsim_domain *d, uint64_t idx)
{
    uint64_t x_len = d->extent ? d->extent : XS_EXTENT, e = d->nr_frames / x_len;
    if (idx >= e * x_len)
        return idx;
    uint64_t x = (idx / x_len + e - d->perm_b % e) % e;
    return (uint64_t)(((unsigned __int128)x * d->perm_a_inv) % e) * x_len + idx % x_len;
}

bool xsim_pfn_to_frame(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn,
                       uint64_t *frame)
{
    uint64_t rank;
    if (!xsim_pfn_rank(h, d, pfn, &rank))
        return false;
    *frame = d->type == XS_PV ? d->mfn_base + xsim_perm(d, rank) : pfn;
    return true;
}

bool xsim_frame_to_pfn(struct xsim_handle *h, const struct xsim_domain *d, uint64_t frame,
                       uint64_t *pfn)
{
    uint64_t rank;
    if (d->type != XS_PV)
        return xsim_pfn_rank(h, d, frame, &rank) ? (*pfn = frame, true) : false;
    if (frame < d->mfn_base || frame - d->mfn_base >= d->nr_frames)
        return false;
    *pfn = xsim_rank_pfn(h, d, xsim_perm_inv(d, frame - d->mfn_base));
    return true;
}

/* The memory file holds frames in pfn (rank) order, for PV too: the mfns a mapping names are
   shuffled, but a batch in pfn order is then one file range - as it is one run of PTEs for real
   privcmd - so the simulator does not charge a dumper a mmap per page. */
uint64_t xsim_pfn_offset(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn)
{
    uint64_t rank = 0;
    xsim_pfn_rank(h, d, pfn, &rank);
    return rank * XS_PAGE_SIZE;
}

int xsim_read_page(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn, void *buf)
{
    uint64_t rank;
    struct xsim_dommap *m = xsim_dommap(h, d);
    if (!m || !xsim_pfn_rank(h, d, pfn, &rank)) {
        errno = ENOENT;
        return -1;
    }
    ssize_t n = pread(m->mem_fd, buf, XS_PAGE_SIZE, (off_t)xsim_pfn_offset(h, d, pfn));
    if (n >= 0 && n < (ssize_t)XS_PAGE_SIZE) /* sparse tail */
        memset((char *)buf + n, 0, XS_PAGE_SIZE - (size_t)n);
    return n < 0 ? -1 : 0;
}

int xsim_write_page(struct xsim_handle *h, const struct xsim_domain *d, uint64_t pfn,
                    const void *buf)
{
    uint64_t rank;
    struct xsim_dommap *m = xsim_dommap(h, d);
    if (!m || !xsim_pfn_rank(h, d, pfn, &rank)) {
        errno = ENOENT;
        return -1;
    }
    ssize_t n = pwrite(m->mem_fd, buf, XS_PAGE_SIZE, (off_t)xsim_pfn_offset(h, d, pfn));
    return n == (ssize_t)XS_PAGE_SIZE ? 0 : -1;
}

void xsim_log(struct xsim_handle *h, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    char path[4200];
    snprintf(path, sizeof(path), "%s/xensim.log", h->dir);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
        close(fd);
    }
    if (getenv("XENSIM_VERBOSE")) {
        ssize_t w = write(2, "xensim: ", 8);
        w = write(2, line, (size_t)n);
        (void)w;
    }
}

uint64_t xsim_gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* ---- the guest's vCPU and the pauses ------------------------------------------------------ */

static void nap(void)
{
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
}

void xsim_vcpu_sync(struct xsim_domain *d)
{
    /* vcpu_sleep_sync(): a pause returns once the vCPUs are off the CPU (xen/common/domain.c,
       _domain_pause(), RELEASE-4.17.7 l.1265-1279). Bounded by the writer: one page. */
    while (__atomic_load_n(&d->vcpu_busy, __ATOMIC_SEQ_CST))
        nap();
}

void xsim_sys_pause(struct xsim_domain *d, int delta)
{
    __atomic_add_fetch(&d->sys_pause, delta, __ATOMIC_SEQ_CST);
    if (delta > 0)
        xsim_vcpu_sync(d);
}

/* paging_mark_pfn_dirty(): the bit set; a 0->1 transition counts in dirty_count (mm/paging.c
   l.326-334). */
static void mark_dirty(struct xsim_dommap *m, struct xsim_domain *d, uint64_t pfn)
{
    uint8_t bit = (uint8_t)(1u << (pfn & 7));
    uint8_t old = __atomic_fetch_or(&m->dirty[pfn >> 3], bit, __ATOMIC_SEQ_CST);
    if (!(old & bit))
        XS_ADD(&d->ld_dirty_count, 1);
}

/* Waiting off the CPU (paused, or QEMU stopped), where a signal may end the writer (it must
   not be held up by a pause that is never undone - the bug a test is after). */
static void nap_waiting(const sigset_t *waiting)
{
    sigset_t during;
    if (waiting)
        sigprocmask(SIG_SETMASK, waiting, &during);
    nap();
    if (waiting)
        sigprocmask(SIG_SETMASK, &during, NULL);
}

static bool run_vcpu(struct xsim_handle *h, struct xsim_domain *d, const sigset_t *waiting)
{
    struct xsim_dommap *m = xsim_dommap(h, d);
    if (!m)
        return false;
    for (;;) {
        if (XS_LOAD(&d->life) == XS_GONE || XS_LOAD(&d->life) == XS_DYING)
            return false;
        /* Dekker's handshake with the pausers: busy first, then the pause counts. */
        __atomic_store_n(&d->vcpu_busy, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&d->pause_count, __ATOMIC_SEQ_CST) == 0 &&
            __atomic_load_n(&d->sys_pause, __ATOMIC_SEQ_CST) == 0 &&
            XS_LOAD(&d->life) == XS_RUNNING)
            break;
        __atomic_store_n(&d->vcpu_busy, 0, __ATOMIC_SEQ_CST);
        nap_waiting(waiting);
    }
    return true;
}

/* QEMU's DMA completes a request the guest made whenever QEMU runs: Xen's pause stops the
   vCPUs, not QEMU (libxl stops QEMU itself, by QMP "stop", to save it: libxl_qmp.c l.971-983,
   Xen 4.17.7). A paused guest makes no new request, so only those in flight complete then -
   XS_DMA_INFLIGHT here, at the writer's pace. A stopped QEMU does no DMA: vm_stop() drains
   the block layer before the stop is answered (qemu 7.2 softmmu/cpus.c do_vm_stop() l.254-273;
   here the requests not yet written are not issued, which leaves the guest as consistent as
   their completing before the answer would). */
bool xsim_dma_begin(struct xsim_handle *h, struct xsim_domain *d, const sigset_t *waiting)
{
    if (!xsim_dommap(h, d))
        return false;
    for (;;) {
        if (XS_LOAD(&d->life) == XS_GONE || XS_LOAD(&d->life) == XS_DYING)
            return false;
        __atomic_store_n(&d->dm_busy, 1, __ATOMIC_SEQ_CST); /* Dekker's, with a stop */
        if (!__atomic_load_n(&d->dm_stopped, __ATOMIC_SEQ_CST)) {
            if (__atomic_load_n(&d->pause_count, __ATOMIC_SEQ_CST) == 0 &&
                __atomic_load_n(&d->sys_pause, __ATOMIC_SEQ_CST) == 0 &&
                XS_LOAD(&d->life) == XS_RUNNING) {
                XS_STORE(&d->dm_inflight, 0);
                XS_STORE(&d->dm_final_seen, 0);
                return true;
            }
            if (XS_LOAD(&d->dm_inflight) < XS_DMA_INFLIGHT) {
                XS_ADD(&d->dm_inflight, 1);
                XS_ADD(&d->c.dma_while_paused, 1);
                if (XS_LOAD(&d->dm_final_seen))
                    XS_ADD(&d->c.dma_after_final, 1);
                return true;
            }
        }
        __atomic_store_n(&d->dm_busy, 0, __ATOMIC_SEQ_CST);
        nap_waiting(waiting);
    }
}

void xsim_dma_end(struct xsim_domain *d)
{
    __atomic_store_n(&d->dm_busy, 0, __ATOMIC_SEQ_CST);
}

void xsim_dm_stop(struct xsim_domain *d)
{
    /* the drain leaves no request in flight: none completes after a cont until the guest
       runs again and makes new ones */
    XS_STORE(&d->dm_inflight, XS_DMA_INFLIGHT);
    __atomic_store_n(&d->dm_stopped, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&d->dm_busy, __ATOMIC_SEQ_CST))
        nap();
}

bool xsim_vcpu_write(struct xsim_handle *h, struct xsim_domain *d, uint64_t pfn,
                     const sigset_t *waiting)
{
    if (!run_vcpu(h, d, waiting))
        return false;
    struct xsim_dommap *m = xsim_dommap(h, d);
    XS_ADD(&d->c.writer_pages, 1);
    /* The write fault of a page in log-dirty mode marks its pfn before the write lands: HAP,
       hvm_hap_nested_page_fault() -> paging_mark_pfn_dirty() (xen/arch/x86/hvm/hvm.c
       RELEASE-4.17.7 l.1957-1959); PV shadow, _sh_propagate() -> paging_mark_dirty()
       (mm/shadow/multi.c l.662). Nothing is marked while log-dirty is off
       (paging_mark_pfn_dirty(), mm/paging.c l.270-271). */
    if (XS_LOAD(&d->logdirty) && pfn < d->ld_bits) {
        mark_dirty(m, d, pfn);
        XS_ADD(&d->c.writer_dirtied, 1);
    }
    return true;
}

void xsim_vcpu_stop(struct xsim_domain *d)
{
    __atomic_store_n(&d->vcpu_busy, 0, __ATOMIC_SEQ_CST);
}

int xsim_dm_modified_memory(struct xsim_handle *h, struct xsim_domain *d, uint64_t first,
                            uint64_t nr)
{
    /* modified_memory(), xen/arch/x86/hvm/dm.c RELEASE-4.17.7: nothing while log-dirty is off
       (l.135-136); an extent that wraps or ends beyond the maximum gpfn is -EINVAL (l.156-160:
       `end_pfn > domain_get_maximum_gpfn(d)`, so the last gpfn itself cannot be named); each
       pfn with a page is marked dirty (l.182-189), a hole is skipped. */
    if (!XS_LOAD(&d->logdirty))
        return 0;
    uint64_t end = first + nr;
    if (end <= first || end > d->max_gpfn)
        return -EINVAL;
    struct xsim_dommap *m = xsim_dommap(h, d);
    if (!m)
        return -ENOMEM;
    for (uint64_t pfn = first; pfn < end; pfn++) {
        uint64_t rank;
        if (xsim_pfn_rank(h, d, pfn, &rank) && pfn < d->ld_bits)
            mark_dirty(m, d, pfn);
    }
    return 0;
}
