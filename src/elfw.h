/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ELF encoding of the plan: file header, program headers, section headers (libelf). Depends on
   layout.h (the plan), never the other way round. */
#ifndef XD_ELFW_H
#define XD_ELFW_H

#include "layout.h"

/* Receives the head's bytes in order, in pieces (at most 14 KiB each); returns 0 or < 0. */
typedef int (*xd_elfw_out)(void *ctx, const void *buf, size_t n);

/* Encodes the ELF header and every program header, [0, XD_EHDR_SIZE + l->phnum * XD_PHDR_SIZE),
   through out(); the caller pads with zeros to l->pages_off. 0, or -1 when out() failed, memory
   ran out, or the program headers are not the plan's number. */
int xd_elfw_head(const struct xd_layout *l, const struct xd_layout_in *in, xd_elfw_out out,
                 void *ctx);
/* Only its start, the ELF header and the PT_NOTE program header (the first), XD_EHDR_SIZE +
   XD_PHDR_SIZE bytes: what a re-plan that moves the notes changes of a head (the PT_LOADs'
   headers stay as written). */
void xd_elfw_head_start(const struct xd_layout *l, uint8_t out[XD_EHDR_SIZE + XD_PHDR_SIZE]);

/* Encodes the section headers: l->shnum * XD_SHDR_SIZE bytes (at most XD_SEC_MAX of them);
   their names are format.h's XD_SHSTRTAB. */
void xd_elfw_shdrs(const struct xd_layout *l, const struct xd_layout_in *in, uint8_t *buf);

#endif
