/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xensim's device model of an HVM domain: QEMU's QMP monitor and global dirty log (qemu.c). */
#ifndef XENSIM_QEMU_H
#define XENSIM_QEMU_H

#include "world.h"

/* Listens on DIR/run/xen/qmp-libxl-<domid> and serves it from a thread, as MODE says (ok,
   refuse, mute). 0, or -1 with a message on stderr. */
int xsim_qemu_start(struct xsim_handle *h, struct xsim_domain *d, const char *mode);

#endif
