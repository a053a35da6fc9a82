/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Opening the Xen door for one domain: libxenctrl (its messages kept quiet), the privcmd
 * driver, and the domain found by id or, through xenstore, by name.
 */
#include "private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenstore.h>

static void quiet_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
                           const char *context, const char *format, va_list al)
{
    (void)lg, (void)level, (void)errnoval, (void)context, (void)format, (void)al;
}

static void quiet_progress(xentoollog_logger *lg, const char *context, const char *doing_what,
                           int percent, unsigned long done, unsigned long total)
{
    (void)lg, (void)context, (void)doing_what, (void)percent, (void)done, (void)total;
}

static void quiet_destroy(xentoollog_logger *lg)
{
    (void)lg;
}

void xd_quiet_logger(struct quiet_logger *q)
{
    q->vtable = (xentoollog_logger){quiet_vmessage, quiet_progress, quiet_destroy};
}

const char *xd_domain_error(const struct xd_domain *d)
{
    return d->err;
}

/* ---- opening ----------------------------------------------------------------------------- */

static int parse_domid(const char *s, uint32_t *id)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v >= DOMID_FIRST_RESERVED)
        return -1;
    *id = (uint32_t)v;
    return 0;
}

/* Reads /local/domain/<id>/name for every domain in xenstore, as xl does. */
static int lookup_name(struct xd_domain *d, const char *name)
{
    struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
    if (!xs)
        return fail(d, XDUMP_E_NODOMAIN,
                    "cannot look up domain '%s': xenstore is not reachable (%s); give its "
                    "numeric id instead",
                    name, strerror(errno));
    unsigned n = 0;
    char **ids = xs_directory(xs, XBT_NULL, "/local/domain", &n);
    int found = 0;
    for (unsigned i = 0; ids && i < n && !found; i++) {
        char path[64];
        unsigned len;
        snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
        char *v = xs_read(xs, XBT_NULL, path, &len);
        if (v && !strcmp(v, name) && parse_domid(ids[i], &d->domid) == 0)
            found = 1;
        free(v);
    }
    free(ids);
    xs_close(xs);
    return found ? 0 : fail(d, XDUMP_E_NODOMAIN, "no domain named '%s' (see 'xl list')", name);
}

/* The name of a domain given by id, best effort: empty when xenstore does not answer. */
static void read_name(struct xd_domain *d)
{
    struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
    if (!xs)
        return;
    char path[64];
    unsigned len;
    snprintf(path, sizeof(path), "/local/domain/%u/name", d->domid);
    char *v = xs_read(xs, XBT_NULL, path, &len);
    if (v)
        snprintf(d->name, sizeof(d->name), "%s", v);
    free(v);
    xs_close(xs);
}

int xd_domain_open(const char *spec, struct xd_domain **out, char *err, size_t errlen)
{
    struct xd_domain *d = calloc(1, sizeof(*d));
    int rc;
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -XDUMP_E_FAIL;
    }
    d->privcmd = -1;
    xd_quiet_logger(&d->log);
    d->xch = xc_interface_open(&d->log.vtable, &d->log.vtable, 0);
    if (!d->xch) {
        rc = fail(d, XDUMP_E_PERM,
                  "cannot open the Xen control interface (/dev/xen/privcmd): run xdump as "
                  "root in dom0");
        goto out;
    }
    d->privcmd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (d->privcmd < 0)
        d->privcmd = open("/proc/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (d->privcmd < 0) {
        rc = fail(d, XDUMP_E_PERM, "cannot open /dev/xen/privcmd: %s", strerror(errno));
        goto out;
    }
    if (parse_domid(spec, &d->domid) == 0)
        read_name(d); /* a numeric id needs no xenstore: the name is only for messages */
    else if ((rc = lookup_name(d, spec)) < 0)
        goto out;
    else
        snprintf(d->name, sizeof(d->name), "%s", spec);
    if (d->domid == 0) {
        rc = fail(d, XDUMP_E_NODOMAIN, "domain 0 is the control domain: xdump dumps guests");
        goto out;
    }
    struct xd_dominfo info;
    if ((rc = xd_domain_info(d, &info)) < 0)
        goto out;
    *out = d;
    return 0;
out:
    snprintf(err, errlen, "%s", d->err);
    xd_domain_close(d);
    return rc;
}

void xd_domain_close(struct xd_domain *d)
{
    if (!d)
        return;
    if (d->pfbuf.hbuf)
        xc__hypercall_buffer_free_pages(d->xch, &d->pfbuf, PFINFO_PAGES);
    xd_logdirty_free(d);
    if (d->probe)
        munmap(d->probe, d->probe_len * XD_PAGE_SIZE);
    if (d->privcmd >= 0)
        close(d->privcmd);
    if (d->xch)
        xc_interface_close(d->xch);
    free(d);
}
