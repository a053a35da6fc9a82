/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ELF encoding of the plan: file header, program headers, section headers (libelf). Depends on
   layout.h (the plan), never the other way round. */
#ifndef XD_ELFW_H
#define XD_ELFW_H

#include "layout.h"

/* Encodes [0, l->pages_off): the ELF header, every program header, zero padding. 0, or -1 when
   out of memory. */
int xd_elfw_head(const struct xd_layout *l, const struct xd_layout_in *in, uint8_t *buf);

/* Encodes the section headers: l->shnum * XD_SHDR_SIZE bytes (at most XD_SEC_MAX of them);
   their names are format.h's XD_SHSTRTAB. */
void xd_elfw_shdrs(const struct xd_layout *l, const struct xd_layout_in *in, uint8_t *buf);

#endif
