/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host as a whole, for the crash hook (watch.c): the domains Xen has, their xenstore names
 * and start times, the @releaseDomain watch, unpause and destroy.
 */
#include "private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

_Static_assert(XD_SHUTDOWN_CRASH == SHUTDOWN_crash, "SHUTDOWN_crash");

#define WATCH_TOKEN "xdump-watch"
#define LIST_BATCH 256

struct xd_host {
    xc_interface *xch;
    struct quiet_logger log;
    struct xs_handle *xs;
    int watch_fd;
    char err[512];
};

#define host_fail(h, status, ...) xd_fail((h)->err, sizeof((h)->err), status, __VA_ARGS__)

const char *xd_host_error(const struct xd_host *h)
{
    return h->err;
}

static void host_drop_xenstore(struct xd_host *h)
{
    if (h->xs)
        xs_close(h->xs);
    h->xs = NULL;
    h->watch_fd = -1;
}

int xd_host_reconnect(struct xd_host *h)
{
    host_drop_xenstore(h);
    h->xs = xs_open(0);
    if (!h->xs)
        return host_fail(h, XDUMP_E_FAIL, "xenstore is not reachable: %s", strerror(errno));
    /* xs_fileno() first: the watch's events then also wake the pipe it returns. */
    h->watch_fd = xs_fileno(h->xs);
    if (h->watch_fd < 0 || !xs_watch(h->xs, "@releaseDomain", WATCH_TOKEN)) {
        int e = errno;
        host_drop_xenstore(h);
        return host_fail(h, XDUMP_E_FAIL, "cannot watch @releaseDomain in xenstore: %s",
                         strerror(e));
    }
    return 0;
}

int xd_host_open(struct xd_host **out, char *err, size_t errlen)
{
    struct xd_host *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -XDUMP_E_FAIL;
    }
    h->watch_fd = -1;
    xd_quiet_logger(&h->log);
    h->xch = xc_interface_open(&h->log.vtable, &h->log.vtable, 0);
    if (!h->xch) {
        snprintf(err, errlen,
                 "cannot open the Xen control interface (/dev/xen/privcmd): run xdump as root "
                 "in dom0");
        free(h);
        return -XDUMP_E_PERM;
    }
    xd_host_reconnect(h); /* best effort: the caller asks xd_host_watch_fd() */
    *out = h;
    return 0;
}

void xd_host_forget_xenstore(struct xd_host *h)
{
    if (h->xs)
        xs_daemon_destroy_postfork(h->xs);
    h->xs = NULL;
    h->watch_fd = -1;
}

void xd_host_close(struct xd_host *h)
{
    if (!h)
        return;
    host_drop_xenstore(h);
    xc_interface_close(h->xch);
    free(h);
}

int xd_host_list(struct xd_host *h, struct xd_dominfo **doms, size_t *n)
{
    xc_domaininfo_t *batch = calloc(LIST_BATCH, sizeof(*batch));
    struct xd_dominfo *all = NULL;
    size_t count = 0;
    uint32_t first = 0;
    int rc = 0;
    if (!batch)
        return host_fail(h, XDUMP_E_FAIL, "out of memory");
    for (;;) {
        int got = xc_domain_getinfolist(h->xch, first, LIST_BATCH, batch);
        if (got < 0) {
            rc = host_fail(h, errno == EACCES || errno == EPERM ? XDUMP_E_PERM : XDUMP_E_XEN,
                           "cannot list the domains (getdomaininfolist): %s", strerror(errno));
            break;
        }
        struct xd_dominfo *more = got ? realloc(all, (count + (size_t)got) * sizeof(*all)) : all;
        if (got && !more) {
            rc = host_fail(h, XDUMP_E_FAIL, "out of memory");
            break;
        }
        all = more;
        for (int i = 0; i < got; i++)
            xd_dominfo_convert(&batch[i], &all[count++]);
        if (got < LIST_BATCH)
            break;
        first = batch[got - 1].domain + 1u;
    }
    free(batch);
    if (rc < 0) {
        free(all);
        return rc;
    }
    *doms = all;
    *n = count;
    return 0;
}

/* Reads a xenstore value into buf (empty when absent). */
static void host_read(struct xd_host *h, const char *path, char *buf, size_t len)
{
    unsigned n = 0;
    char *v = h->xs ? xs_read(h->xs, XBT_NULL, path, &n) : NULL;
    snprintf(buf, len, "%s", v ? v : "");
    free(v);
}

void xd_host_describe(struct xd_host *h, uint32_t domid, char *name, size_t namelen, char *start,
                      size_t startlen)
{
    char path[256], vm[128];
    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    host_read(h, path, name, namelen);
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    host_read(h, path, vm, sizeof(vm));
    start[0] = 0;
    if (vm[0]) {
        snprintf(path, sizeof(path), "%s/start_time", vm);
        host_read(h, path, start, startlen);
    }
}

int xd_host_watch_fd(const struct xd_host *h)
{
    return h->watch_fd;
}

int xd_host_watch_events(struct xd_host *h)
{
    if (!h->xs)
        return -1;
    int n = 0;
    char **ev;
    while ((ev = xs_check_watch(h->xs)) != NULL) {
        n++;
        free(ev);
    }
    if (errno != EAGAIN) {
        /* libxenstore's reader thread closed the connection: xenstored went away. */
        host_fail(h, XDUMP_E_FAIL, "the xenstore connection was lost: %s", strerror(errno));
        return -1;
    }
    return n;
}

int xd_host_pause_state(struct xd_host *h, uint32_t domid, bool *paused)
{
    xc_domaininfo_t x;
    int got = xc_domain_getinfolist(h->xch, domid, 1, &x);
    if (got != 1 || x.domain != domid)
        return host_fail(h, XDUMP_E_DIED, "domain %u does not exist (any more)", domid);
    *paused = (x.flags & XEN_DOMINF_paused) != 0;
    return 0;
}

int xd_host_unpause(struct xd_host *h, uint32_t domid)
{
    if (xc_domain_unpause(h->xch, domid))
        return host_fail(h, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                         "cannot unpause domain %u: %s", domid, strerror(errno));
    return 0;
}

int xd_host_destroy(struct xd_host *h, uint32_t domid)
{
    if (xc_domain_destroy(h->xch, domid))
        return host_fail(h, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                         "cannot destroy domain %u: %s", domid, strerror(errno));
    return 0;
}
