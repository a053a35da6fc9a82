/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest kernel's VMCOREINFO, met while the pages are copied (no second pass): Linux keeps
 * it as an ELF note (name "VMCOREINFO", type 0) at the start of page-aligned, physically
 * contiguous pages. Guest data: bounded size, validated text, the first valid one kept.
 */
#ifndef XD_VMCI_H
#define XD_VMCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h" /* XD_VMCOREINFO_MAX */

struct xd_vmci {
    char text[XD_VMCOREINFO_MAX];
    size_t len, want;
    uint64_t next_pfn;
    bool found; /* text[0..len) holds a valid VMCOREINFO */
};

/* Looks at one page copied (pfn ascending within a run; the note may continue on pfn + 1).
   Costs one 16-byte compare per page until a note is found, nothing after. */
void xd_vmci_page(struct xd_vmci *v, uint64_t pfn, const uint8_t *page);

/* The value of KEY=value in the text found (e.g. "OSRELEASE", "NUMBER(phys_base)"), cut to
   cap - 1 bytes and NUL-terminated in out: its length, or 0 when not found. */
size_t xd_vmci_value(const struct xd_vmci *v, const char *key, char *out, size_t cap);

#endif
