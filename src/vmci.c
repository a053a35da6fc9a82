/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VMCOREINFO scan of the copy (vmci.h). */
#include "vmci.h"

#include <string.h>

#include "format.h"

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
        /* a note: its header, the name "VMCOREINFO" (padded to 12), the text */
        const size_t namesz = sizeof(XD_NOTE_VMCOREINFO);
        const uint64_t at = XD_NOTE_HDR_SIZE + xd_note_pad4(namesz);
        uint32_t descsz = xd_get_le32(page + 4);
        v->want = 0;
        if (xd_get_le32(page) != namesz || xd_get_le32(page + 8) != XD_NT_VMCOREINFO ||
            memcmp(page + XD_NOTE_HDR_SIZE, XD_NOTE_VMCOREINFO, namesz) != 0 || descsz < 11 ||
            descsz > XD_VMCOREINFO_MAX)
            return;
        v->want = descsz;
        v->len = descsz < XD_PAGE_SIZE - at ? descsz : XD_PAGE_SIZE - at;
        memcpy(v->text, page + at, v->len);
        v->next_pfn = pfn + 1;
    }
    if (v->len == v->want) {
        v->found = vmci_valid(v->text, v->len);
        v->want = 0;
    }
}

size_t xd_vmci_value(const struct xd_vmci *v, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    if (!v->found || !cap)
        return 0;
    for (size_t at = 0; at < v->len;) {
        const char *line = v->text + at, *nl = memchr(line, '\n', v->len - at);
        size_t len = nl ? (size_t)(nl - line) : v->len - at;
        if (len > klen && !memcmp(line, key, klen) && line[klen] == '=') {
            size_t n = len - klen - 1 < cap - 1 ? len - klen - 1 : cap - 1;
            memcpy(out, line + klen + 1, n);
            out[n] = 0;
            return n;
        }
        at += len + 1;
    }
    return 0;
}
