/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one door to Xen: libxenctrl, libxenstore and the privcmd driver. Everything else in
 * xdump sees plain types (model.h) and can be tested without a hypervisor.
 * Every function returns 0 or a negative XDUMP_E_* status with a one-line message in the
 * domain's error buffer (xd_domain_error()).
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

/* Contexts of vCPUs 0..max_vcpu_id into vcpus[] (state NONE when Xen has none). */
int xd_domain_vcpus(struct xd_domain *d, struct xd_vcpu *vcpus, uint32_t n);
int xd_domain_xen_version(struct xd_domain *d, struct xd_xenver *v);
/* Copies the shared_info page; XDUMP_E_XEN when it cannot be mapped (normal for HVM). */
int xd_domain_shared_info(struct xd_domain *d, uint8_t page[XD_PAGE_SIZE],
                          struct xd_p2m_anchors *pv);
int xd_domain_max_gpfn(struct xd_domain *d, uint64_t *gpfn);
int xd_domain_max_mfn(struct xd_domain *d, uint64_t *mfn);
/* Which of up to 1024 frames exist: present[i] = 0/1 (getpageframeinfo3). */
int xd_domain_frames_exist(struct xd_domain *d, const uint64_t *frames, size_t n, uint8_t *present);

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

/* Reads `n` whole pages named by frame numbers into buf (small reads: page tables, p2m). */
int xd_domain_read_frames(struct xd_domain *d, const uint64_t *frames, size_t n, uint8_t *buf,
                          int *err);

#endif
