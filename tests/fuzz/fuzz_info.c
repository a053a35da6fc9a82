/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the core reader behind `xdump info`. The input is a core file (a file a
 * user may be handed): it is written to a memory file and opened by path with xd_core_open,
 * every accessor is read, and both summaries are printed. Checks that what the reader keeps
 * agrees with itself, and that the printed text holds no byte of the file raw: the human
 * summary no control character but its newlines, the JSON one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "info_print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accessors(const struct xd_core *c)
{
    const struct xd_core_info *in = xd_core_info(c);
    size_t n;
    const struct xd_core_run *runs = xd_core_runs(c, &n);
    uint64_t pages = 0;
    if (n != in->nr_runs)
        abort();
    for (size_t i = 0; i < n; i++)
        pages += runs[i].count;
    if (pages != in->nr_pages)
        abort();
    const struct xd_core_unmappable *u = xd_core_unmappable(c, &n);
    if (n != in->nr_unmappable_runs)
        abort();
    for (size_t i = 0; i < n; i++)
        (void)xd_core_errno_name(u[i].err);
    const struct xd_core_vcpu *v = xd_core_vcpus(c, &n);
    if (n != in->nr_vcpus)
        abort();
    for (size_t i = 0; i < n; i++)
        if (strlen(xd_core_vcpu_state_name(v[i].state)) == 0)
            abort();
    size_t nw = xd_core_nwarnings(c);
    for (size_t i = 0; i < nw; i++)
        if (!xd_core_warning(c, i) || !*xd_core_warning(c, i))
            abort();
    if (xd_core_warning(c, nw))
        abort();
    if (!*xd_core_domain_type_name(in->domain_type) || !*xd_core_path(c))
        abort();
    if (strnlen(in->name, sizeof(in->name)) == sizeof(in->name) ||
        strnlen(in->xdump_version, sizeof(in->xdump_version)) == sizeof(in->xdump_version) ||
        strnlen(in->xen_extra, sizeof(in->xen_extra)) == sizeof(in->xen_extra) ||
        strnlen(in->xen_changeset, sizeof(in->xen_changeset)) == sizeof(in->xen_changeset) ||
        strnlen(in->osrelease, sizeof(in->osrelease)) == sizeof(in->osrelease))
        abort(); /* strings are NUL-terminated */
}

/* The summary as text: no control character but newlines; JSON: one line, "{...}\n". */
static void check_print(const struct xd_core *c, bool json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    if (cli_core_print(c, f, json) != 0)
        abort();
    fclose(f);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if ((ch < 0x20 && ch != '\n') || ch == 0x7f || (json && ch == '\n' && i != len - 1))
            abort();
        if (!json && ch >= 0x80)
            abort(); /* put_human: printable ASCII only */
    }
    if (json && (len < 3 || buf[0] != '{' || buf[len - 2] != '}' || buf[len - 1] != '\n'))
        abort();
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("core", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return 0;
        }
        done += (size_t)n;
    }
    char path[64], err[512];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    struct xd_core *c;
    int rc = xd_core_open(path, &c, err, sizeof(err));
    close(fd);
    if (rc != 0) {
        if (rc < XD_E_NOMEM || rc > XD_E_OPEN || c || !err[0] || !*xd_core_strerror(rc))
            abort(); /* a failure is one of the codes, with a message */
        return 0;
    }
    check_accessors(c);
    check_print(c, false);
    check_print(c, true);
    xd_core_close(c);
    return 0;
}
