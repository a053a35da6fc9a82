/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xensim's hypervisor: the hypercalls a dom0 toolstack issues, answered from the world. */
#ifndef XENSIM_HYPERCALL_H
#define XENSIM_HYPERCALL_H

#include "world.h"

/* Runs hypercall `op` with arguments `arg` (pointers into the caller's memory, as the privcmd
   driver hands them to Xen). Returns the hypercall's value: >= 0, or -errno. */
long xsim_hypercall(struct xsim_handle *h, uint64_t op, const uint64_t arg[5]);

/* One frame of a mapping request (IOCTL_PRIVCMD_MMAPBATCH_V2) for domain `domid`:
   on success returns 0 with the backing file and offset; otherwise -errno as Xen would
   report it for this frame (-ENOENT for a paged-out frame: retry). Counts and fires faults. */
int xsim_map_frame(struct xsim_handle *h, uint32_t domid, uint64_t frame, int *fd, uint64_t *off);

#endif
