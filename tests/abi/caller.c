/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * caller DOMAIN OUT MODE - a program of libxdump's users, built against include/xdump.h and
 * linked to libxdump.so (tests/e2e/t0810-abi.sh). MODE:
 *   new    the header's own structures (XDUMP_OPTIONS_INIT, XDUMP_RESULT_INIT)
 *   short  a caller built with ABI 1's first structures: its result ends with `probed`, and 64
 *          bytes of canary follow it, which the library must not touch
 *   long   a caller built with a newer header: options larger than this library knows, with
 *          nonzero bytes beyond, which the library must ignore
 *   nosize structures without their size: refused (XDUMP_E_USAGE), nothing dumped
 * Prints "rc=N pages=N bytes=N canary=intact|BROKEN version=V".
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "xdump.h"

#define RESULT_ABI1 (offsetof(struct xdump_result, probed) + sizeof(uint64_t))

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    static union {
        struct xdump_options o;
        unsigned char raw[sizeof(struct xdump_options) + 256];
    } opt;
    static union {
        struct xdump_result r;
        unsigned char raw[sizeof(struct xdump_result) + 64];
    } res;
    memset(&opt, 0, sizeof(opt));
    memset(&res, 0xa5, sizeof(res));
    opt.o.size = sizeof(opt.o);
    res.r.size = sizeof(res.r);
    opt.o.domain = argv[1];
    opt.o.output = argv[2];
    size_t canary_at = sizeof(res.r);
    if (!strcmp(argv[3], "short")) {
        res.r.size = RESULT_ABI1;
        canary_at = RESULT_ABI1;
    } else if (!strcmp(argv[3], "long")) {
        opt.o.size = sizeof(opt.raw);
        memset(opt.raw + sizeof(opt.o), 0x5a, sizeof(opt.raw) - sizeof(opt.o));
    } else if (!strcmp(argv[3], "nosize")) {
        opt.o.size = 0;
        res.r.size = 0;
    }
    char err[512] = "";
    int rc = xdump_dump(&opt.o, &res.r, err, sizeof(err));
    int intact = 1;
    for (size_t i = canary_at; i < sizeof(res.raw); i++)
        intact &= res.raw[i] == 0xa5;
    printf("rc=%d pages=%llu bytes=%llu canary=%s version=%s err=%s\n", rc,
           rc == 0 ? (unsigned long long)res.r.pages : 0ull,
           rc == 0 ? (unsigned long long)res.r.bytes : 0ull, intact ? "intact" : "BROKEN",
           xdump_version(), err);
    return 0;
}
