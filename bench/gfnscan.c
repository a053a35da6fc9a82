// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gfnscan - the least any dumper of an HVM/PVH guest must ask Xen: which gfns of the domain's
 * span exist, with getpageframeinfo3, 1024 gfns a call (Xen's limit), through one hypercall
 * buffer - and nothing else (no mapping, no output). Xen's dom0 ABI has no call that lists a
 * domain's populated gfns, so this is the floor under a dump's time that grows with the span,
 * as `cat` is the floor under its copy. Prints key=value: gfns asked, present, calls.
 *
 *   gfnscan DOMID
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>

#define BATCH 1024

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gfnscan DOMID\n");
        return 2;
    }
    uint32_t domid = (uint32_t)strtoul(argv[1], NULL, 0);
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        perror("gfnscan: xc_interface_open");
        return 1;
    }
    xen_pfn_t max_gpfn;
    if (xc_domain_maximum_gpfn(xch, domid, &max_gpfn) < 0) {
        fprintf(stderr, "gfnscan: maximum_gpfn of %u: %s\n", domid, strerror(errno));
        return 1;
    }
    DECLARE_HYPERCALL_BUFFER(xen_pfn_t, arr);
    arr = xc_hypercall_buffer_alloc(xch, arr, BATCH * sizeof(xen_pfn_t));
    if (!arr) {
        perror("gfnscan: hypercall buffer");
        return 1;
    }
    uint64_t present = 0, calls = 0;
    for (uint64_t base = 0; base <= max_gpfn; base += BATCH) {
        size_t n = max_gpfn - base + 1 < BATCH ? (size_t)(max_gpfn - base + 1) : BATCH;
        for (size_t i = 0; i < n; i++)
            arr[i] = base + i;
        struct xen_domctl dc = {.cmd = XEN_DOMCTL_getpageframeinfo3,
                                .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
                                .domain = (domid_t)domid};
        dc.u.getpageframeinfo3.num = n;
        set_xen_guest_handle(dc.u.getpageframeinfo3.array, arr);
        calls++;
        if (xc_domctl(xch, &dc)) {
            fprintf(stderr, "gfnscan: getpageframeinfo3 at %#llx: %s\n", (unsigned long long)base,
                    strerror(errno));
            return 1;
        }
        for (size_t i = 0; i < n; i++)
            present += (arr[i] & XEN_DOMCTL_PFINFO_LTAB_MASK) != XEN_DOMCTL_PFINFO_XTAB;
    }
    printf("gfns=%llu\npresent=%llu\ncalls=%llu\n", (unsigned long long)max_gpfn + 1,
           (unsigned long long)present, (unsigned long long)calls);
    xc_hypercall_buffer_free(xch, arr);
    xc_interface_close(xch);
    return 0;
}
