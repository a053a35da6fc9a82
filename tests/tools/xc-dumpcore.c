/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xc-dumpcore DOMID OUT - Xen's own dumper, xc_domain_dumpcore() from Debian's libxenguest,
 * exactly as `xl dump-core` calls it. The anchor the tests and benchmarks compare xdump with.
 * Exit status: 0 when libxenguest reports success (whatever it wrote), 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

#include <xenctrl.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: xc-dumpcore DOMID OUT\n");
        return 2;
    }
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        fprintf(stderr, "xc-dumpcore: cannot open the Xen control interface\n");
        return 1;
    }
    int rc = xc_domain_dumpcore(xch, (uint32_t)strtoul(argv[1], NULL, 0), argv[2]);
    xc_interface_close(xch);
    if (rc) {
        fprintf(stderr, "xc-dumpcore: xc_domain_dumpcore failed (%d)\n", rc);
        return 1;
    }
    return 0;
}
