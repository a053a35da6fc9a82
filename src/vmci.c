/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VMCOREINFO scan of the copy (vmci.h). */
#include "vmci.h"

#include <string.h>

#include "model.h"

/* A valid VMCOREINFO is text: "OSRELEASE=" first, printable lines after. */
static bool vmci_valid(const char *t, size_t len)
{
    if (len < 11 || memcmp(t, "OSRELEASE=", 10) != 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((t[i] >= 0x20 && t[i] < 0x7f) || t[i] == '\n'))
            return false;
    return true;
}

void xd_vmci_page(struct xd_vmci *v, uint64_t pfn, const uint8_t *page)
{
    if (v->found)
        return;
    if (v->want && pfn == v->next_pfn) { /* the rest of a note begun on the previous page */
        size_t take = v->want - v->len < XD_PAGE_SIZE ? v->want - v->len : XD_PAGE_SIZE;
        memcpy(v->text + v->len, page, take);
        v->len += take;
        v->next_pfn++;
    } else {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, page, 4), memcpy(&descsz, page + 4, 4), memcpy(&type, page + 8, 4);
        v->want = 0;
        if (namesz != 11 || type != 0 || memcmp(page + 12, "VMCOREINFO", 11) != 0 || descsz < 11 ||
            descsz > XD_VMCOREINFO_MAX)
            return;
        v->want = descsz;
        v->len = descsz < XD_PAGE_SIZE - 24 ? descsz : XD_PAGE_SIZE - 24;
        memcpy(v->text, page + 24, v->len);
        v->next_pfn = pfn + 1;
    }
    if (v->len == v->want) {
        v->found = vmci_valid(v->text, v->len);
        v->want = 0;
    }
}
