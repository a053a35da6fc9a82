/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one door to Xen. Talks to libxenctrl (domctl, sysctl, memory_op), libxenstore (names)
 * and the privcmd driver (IOCTL_PRIVCMD_MMAPBATCH_V2) and hands the rest of xdump plain types:
 * the rest sees domain.h and model.h. This header is the door's own, shared by the files of
 * src/xen/ and by nothing else (as private.h is in Xen's libxenforeignmemory): Xen's headers,
 * the domain handle's insides, the error macro.
 *
 *   open.c      the handles: libxenctrl with a quiet logger, privcmd, the domain by id or name
 *   domain.c    what Xen says of a domain: getdomaininfo, pause, vCPU contexts, version,
 *               shared_info, which frames exist, the frames Xen lends it
 *   map.c       privcmd batch mapping: the copy's windows, probes, small reads, paged retries
 *   logdirty.c  log-dirty tracking (XEN_DOMCTL_shadow_op): enable, clean, peek, off
 *   guardian.c  the child process that makes the pause, log-dirty and QMP calls and undoes
 *               them should the dumper die
 *   qmp.c       an HVM guest's QEMU: xen-set-global-dirty-log over its QMP socket
 *   host.c      the host, for the crash hook: the domain list, xenstore names and the watch
 *
 * Only these files include Xen's headers (`make include-check`).
 */
#ifndef XD_XEN_PRIVATE_H
#define XD_XEN_PRIVATE_H

#include "domain.h"
#include "err.h"

#include <xenctrl.h>
#include <xentoollog.h>

#include "xdump.h"

/* Pages of getpageframeinfo3's array: XD_BATCH entries (Xen takes at most 1024 a call). */
#define PFINFO_PAGES ((int)((XD_BATCH * sizeof(xen_pfn_t) + XD_PAGE_SIZE - 1) / XD_PAGE_SIZE))

/* A logger that drops libxenctrl's messages: it would print them to stderr, and each of our
   one-line errors already names the call that failed and its errno. */
struct quiet_logger {
    xentoollog_logger vtable;
};

struct xd_domain {
    xc_interface *xch;
    struct quiet_logger log;
    int privcmd;
    uint32_t domid;
    char name[64];
    char err[512];
    /* getpageframeinfo3's array, in hypercall-safe memory allocated once for a whole scan:
       libxenctrl's xc_get_pfn_type_batch() allocates (mmap), bounces and frees one per
       call, which was most of the cost of scanning a large sparse gfn space. */
    xc_hypercall_buffer_t pfbuf;
    /* The probe's privcmd mapping, kept while no frame was mapped in it (map.c, probe_area()). */
    uint8_t *probe;
    size_t probe_len; /* pages */
    bool probe_clean;
    /* The log-dirty bitmap, in hypercall-safe memory kept across rounds (logdirty.c). */
    xc_hypercall_buffer_t ldbuf;
    int ldbuf_pages;
    /* While it runs, the guardian makes the pause and log-dirty calls (guardian.c). */
    struct xd_guardian *guardian;
    /* QEMU's global dirty log is on, and it was this dump's "enable" that QEMU answered. */
    bool dm_dirty;
    /* This dump asked QEMU to stop (answered or not): a cont is owed before the unpause. */
    bool dm_stop_sent;
};

/* Makes call OP - 'P' pause, 'U' unpause, 'L' log-dirty on, 'E' the same as a probe, 'l'
   log-dirty off, 'Q' / 'q' QEMU's dirty log on / off, 'S' / 'C' QEMU stopped if running /
   continued - through the guardian when there is
   one, so that it knows what it must undo (guardian.c): 0 or the call's errno. */
int xd_guardian_call(struct xd_domain *d, char op);

/* QMP xen-set-global-dirty-log to domain domid's QEMU, bounded in time (qmp.c): 0, or ENOENT
   (no socket), ECONNREFUSED (no one listens), EBUSY (its backlog is full), ETIMEDOUT (no answer
   before the command was sent: nothing changed), ETIME (no answer to the command: QEMU may have
   acted), EPROTO (QEMU answered an error), EBADMSG (not QEMU's monitor), or another errno. */
int xd_qmp_set_dirty_log(uint32_t domid, bool enable);
/* QMP query-status, then stop if QEMU runs (1 s at most: its drain waits for the block
   requests in flight): 0 (stopped), EALREADY (it was not running: left so), or as above. */
int xd_qmp_stop(uint32_t domid);
/* QMP cont: 0, or as above. */
int xd_qmp_cont(uint32_t domid);
/* The socket libxl gives domain domid's QEMU. */
void xd_qmp_path(uint32_t domid, char *path, size_t n);

/* Issues the batch ioctl for frames[0..n) of domain DOM at addr (a privcmd mapping of n
   pages); on -ENOENT retries, a bounded number of times, the frames still paged out.
   Per-frame results end in err[] (negative errno). 0, or -1 with errno (map.c). */
int xd_mmapbatch(struct xd_domain *d, uint32_t dom, uint8_t *addr, const uint64_t *frames, size_t n,
                 int *err, uint64_t *calls);

/* Frees the log-dirty bitmap's buffer (logdirty.c; open.c's close calls it). */
void xd_logdirty_free(struct xd_domain *d);

/* Sets up the logger libxenctrl is opened with (open.c). */
void xd_quiet_logger(struct quiet_logger *q);

/* What getdomaininfo says of a domain, as xdump keeps it (domain.c; host.c lists with it). */
void xd_dominfo_convert(const xc_domaininfo_t *x, struct xd_dominfo *d);

#define fail(d, status, ...) xd_fail((d)->err, sizeof((d)->err), status, __VA_ARGS__)

#endif
