/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one door to Xen (src/xen/): libxenctrl, libxenstore and the privcmd driver. Everything
 * else in xdump sees plain types (model.h) and can be tested without a hypervisor.
 * A function returns 0 or a negative XDUMP_E_* status with a one-line message in the
 * domain's (or host's) error buffer, xd_domain_error() / xd_host_error() - unless its
 * declaration below says otherwise (xd_domain_vcpus, xd_domain_lent_frames, xd_window_map,
 * xd_host_watch_events, xd_host_reconnect).
 */
#ifndef XD_DOMAIN_H
#define XD_DOMAIN_H

#include "model.h"

struct xd_domain;

/* Opens the control interfaces and finds the domain named by `spec` (a decimal id, which needs
   no xenstore, or a name looked up in xenstore as xl does). */
int xd_domain_open(const char *spec, struct xd_domain **out, char *err, size_t errlen);
void xd_domain_close(struct xd_domain *d);
const char *xd_domain_error(const struct xd_domain *d);

/* Fresh information about the domain; XDUMP_E_DIED when it is gone. */
int xd_domain_info(struct xd_domain *d, struct xd_dominfo *info);
int xd_domain_pause(struct xd_domain *d);
int xd_domain_unpause(struct xd_domain *d);

/* Contexts of vCPUs 0..max_vcpu_id into vcpus[] (state NONE when Xen has none). Returns 0,
   1 when they are there but a warning is in xd_domain_error() (Xen gave no HVM CPU record:
   segment bases, GDTR and IDTR left out), or a negative XDUMP_E_* status. */
int xd_domain_vcpus(struct xd_domain *d, struct xd_vcpu *vcpus, uint32_t n);
int xd_domain_xen_version(struct xd_domain *d, struct xd_xenver *v);
/* Copies the shared_info page; XDUMP_E_XEN when it cannot be mapped (normal for HVM). */
int xd_domain_shared_info(struct xd_domain *d, uint8_t page[XD_PAGE_SIZE],
                          struct xd_p2m_anchors *pv);
int xd_domain_max_gpfn(struct xd_domain *d, uint64_t *gpfn);
int xd_domain_max_mfn(struct xd_domain *d, uint64_t *mfn);
/* Which of up to 1024 gfns first.. exist: present[i] = 0/1 (getpageframeinfo3). */
int xd_domain_frames_exist(struct xd_domain *d, uint64_t first, size_t n, uint8_t *present);
/* HVM/PVH: the gfns Xen names for the pages it lends the guest (shared_info, grant-table
   frames), sorted, unique, in a malloc'd *gfns (values beyond the gfn space: not placed).
   Returns 1, or 0 when Xen does not say (the reason in xd_domain_error()), or a negative
   XDUMP_E_* status. */
int xd_domain_lent_frames(struct xd_domain *d, uint64_t **gfns, size_t *n);

/* Xen's machine-to-phys table, read-only, a few small windows of it mapped at a time
   (src/xen/m2p.c). get: the raw entry of mfn (a guest's claim: check it against the p2m), 0,
   or -1 when it cannot be read (beyond the table, or its frame did not map). */
struct xd_xen_m2p;
int xd_xen_m2p_open(struct xd_domain *d, struct xd_xen_m2p **out);
int xd_xen_m2p_get(struct xd_xen_m2p *m, uint64_t mfn, uint64_t *pfn);
void xd_xen_m2p_close(struct xd_xen_m2p *m);

/* A reusable window of XD_BATCH pages into which batches of frames are mapped. */
struct xd_window;
int xd_window_open(struct xd_domain *d, struct xd_window **out);
void xd_window_close(struct xd_window *w);
/* Maps frames[0..n) (n <= XD_BATCH, read-only) with ONE batch ioctl (plus bounded retries of
   paged-out frames). err[i] = 0 or a positive errno per frame. Returns the address of the
   first page (frame i at + i * 4096; failed frames must not be touched), or NULL with the
   status in *status. Each call replaces the previous batch. */
const uint8_t *xd_window_map(struct xd_window *w, const uint64_t *frames, size_t n, int *err,
                             int *status);
uint64_t xd_window_calls(const struct xd_window *w);

/* Whether frames[0..n) (n <= XD_BATCH) can be mapped: one batch ioctl, no copy, no retry (a
   paged-out frame counts as mappable: the copy retries it). */
int xd_domain_probe_frames(struct xd_domain *d, const uint64_t *frames, size_t n,
                           uint8_t *mappable);

/* Reads `n` whole pages named by frame numbers into buf (small reads: page tables, p2m). */
int xd_domain_read_frames(struct xd_domain *d, const uint64_t *frames, size_t n, uint8_t *buf,
                          int *err);

/* ---- log-dirty tracking (logdirty.c) ---- */

/* Turns log-dirty mode on. XDUMP_E_TRACKED when Xen refuses with -EINVAL: it is on already
   (someone else's - never to be turned off by us) or the domain has a PCI device;
   XDUMP_E_NOTRACK for a PV guest on a Xen without shadow paging (-EOPNOTSUPP). */
int xd_logdirty_enable(struct xd_domain *d);
/* Whether log-dirty mode is still on (a second ENABLE fails): *on false means someone turned
   it off meanwhile - the probe has turned it on again, and it is ours to turn off. */
int xd_logdirty_still_ours(struct xd_domain *d, bool *on);
/* CLEAN: the pfns written since the last CLEAN (or ENABLE), over pfns 0..npfns - 1, one bit
   each (pfn N: bit N & 7 of byte N >> 3) in *bits (the door's buffer, valid until the next
   call), and Xen's count of them in *dirty. `final`: XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL, the
   last round, with the frames Xen itself maps writably. PEEK: the same, nothing cleared. */
int xd_logdirty_clean(struct xd_domain *d, uint64_t npfns, bool final, const uint8_t **bits,
                      uint64_t *dirty);
int xd_logdirty_peek(struct xd_domain *d, uint64_t npfns, const uint8_t **bits, uint64_t *dirty);
int xd_logdirty_off(struct xd_domain *d);

/* ---- an HVM guest's device model (qmp.c) ---- */

/* QEMU writes guest memory (emulated DMA) through its own mapping, which log-dirty does not
   see; it reports those writes to Xen only while its global dirty log is on. After
   xd_logdirty_enable() succeeded: an HVM guest's QEMU is asked to turn it on (QMP
   xen-set-global-dirty-log, on the socket libxl gives it), in bounded time. XD_DM_NONE for a
   guest without one (PV, PVH); XD_DM_TRACKED; XD_DM_UNTRACKED when it could not be told (no
   socket, no answer, refused), the one-line reason in xd_domain_error(). */
enum { XD_DM_NONE = 0, XD_DM_TRACKED = 1, XD_DM_UNTRACKED = 2 };
int xd_dm_dirty_on(struct xd_domain *d, enum xd_domtype type);
/* Turns QEMU's dirty log off again if xd_dm_dirty_on() turned it on (d may be NULL); 0, or
   XDUMP_E_FAIL with the reason in xd_domain_error() (harmless: Xen ignores its reports once
   log-dirty is off). */
int xd_dm_dirty_off(struct xd_domain *d);
/* In the final pause, when xd_dm_dirty_on() answered XD_DM_TRACKED: QEMU stopped (QMP stop,
   as libxl stops it to save it), so that no DMA lands while the last pages are copied; its
   block requests in flight complete first, reported. 0, or XDUMP_E_FAIL with the reason
   (it may still be running: not stopped within 1 s, or it was not running - someone else's
   stop, left alone). */
int xd_dm_stop(struct xd_domain *d);
/* QEMU continued (QMP cont) if xd_dm_stop() asked it to stop - before the unpause, as libxl
   resumes it before the domain (libxl_dom_suspend.c); 0 otherwise. 0, or XDUMP_E_FAIL. */
int xd_dm_cont(struct xd_domain *d);

/* ---- the guardian ---- */

/* A child process that makes the dumper's pause, log-dirty and QMP calls (xd_domain_pause(),
   xd_domain_unpause(), xd_logdirty_*(), xd_dm_dirty_*() go through it while it runs) and,
   should the dumper disappear (SIGKILL, the OOM killer, a crash), turns off the log-dirty
   mode it turned on, undoes the pause it took, turns off QEMU's dirty log it turned on, and removes
   the unfinished output. Because it made the calls it knows which landed: a dumper killed between a
   call and a message about it can neither leave the guest paused nor have someone else's pause or
   tracking undone. It reads a pipe from the dumper and acts on end of file, and ignores the
   terminal's signals. (It lives in src/xen/ because pausing is a Xen call.) */
struct xd_guardian;
/* Starts it (before pausing). XDUMP_E_FAIL when it cannot fork. */
int xd_guardian_start(struct xd_domain *d, struct xd_guardian **out);
/* Names the unfinished output it removes should the dumper go (path NULL/complete: none). */
void xd_guardian_output(struct xd_guardian *g, const char *path, bool complete);
/* Lets it go (it exits without acting) and reaps it. */
void xd_guardian_stop(struct xd_guardian *g);

/* ---- for the crash hook (watch.c) ---- */

/* Xen's SHUTDOWN_crash (xen/sched.h): the shutdown reason of a crashed domain. */
#define XD_SHUTDOWN_CRASH 3

/* The host as a whole: libxenctrl for listing and destroying domains, and (best effort) a
   xenstore connection with a watch on @releaseDomain, which xenstored fires when a domain
   shuts down (crash included) or dies. */
struct xd_host;

/* Opens libxenctrl (XDUMP_E_PERM when that fails) and tries xenstore: without it the host
   still lists domains, only nothing wakes the caller up (xd_host_watch_fd() is -1). */
int xd_host_open(struct xd_host **out, char *err, size_t errlen);
void xd_host_close(struct xd_host *h);
const char *xd_host_error(const struct xd_host *h);
/* In a child after fork(): lets go of the parent's xenstore connection without touching its
   reader thread (which did not follow into the child). Then xd_host_close() as usual. */
void xd_host_forget_xenstore(struct xd_host *h);

/* Every domain Xen has, domain 0 included, in id order (sysctl getdomaininfolist): a
   malloc'ed array in *doms (names empty; see xd_host_describe()). One hypercall per 256. */
int xd_host_list(struct xd_host *h, struct xd_dominfo **doms, size_t *n);
/* A domain's name (/local/domain/<id>/name) and the time the toolstack started it
   (<vm>/start_time, as libxl writes it): empty strings when xenstore has none. */
void xd_host_describe(struct xd_host *h, uint32_t domid, char *name, size_t namelen, char *start,
                      size_t startlen);

/* The descriptor to poll for @releaseDomain events; -1 without xenstore. */
int xd_host_watch_fd(const struct xd_host *h);
/* Takes the pending watch events: how many (0: none), or -1 when the xenstore connection is
   gone (then xd_host_reconnect() now and then). */
int xd_host_watch_events(struct xd_host *h);
/* Opens xenstore again and sets the watch (it fires once when set): 0, or -1. */
int xd_host_reconnect(struct xd_host *h);

int xd_host_pause_state(struct xd_host *h, uint32_t domid, bool *paused);
int xd_host_unpause(struct xd_host *h, uint32_t domid);
/* Xen's destroydomain: the domain's memory is freed. Its xenstore entries, backends and
   device model are the toolstack's to clean up (`xl destroy` does all of it). */
int xd_host_destroy(struct xd_host *h, uint32_t domid);

#endif
