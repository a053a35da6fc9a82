/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xdump info [--json] CORE`: what a core holds (the library's xd_core_print). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "info_print.h"
#include "xdump.h"

static const char info_usage[] = "usage: xdump info [--json] <core>\n";

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    bool json = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j') {
            json = true;
        } else if (c == 'h') {
            fputs(info_usage, stdout);
            return XDUMP_OK;
        } else {
            fprintf(stderr, "xdump: info: unknown option '%s'\n%s", cli_bad_option(argv),
                    info_usage);
            return XDUMP_E_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "xdump: info: one core at a time\n%s", info_usage);
        return XDUMP_E_USAGE;
    }
    if (argc - optind != 1) {
        fputs(info_usage, stderr);
        return XDUMP_E_USAGE;
    }
    const char *path = argv[optind];

    struct xd_core *core;
    char err[512];
    if (xd_core_open(path, &core, err, sizeof(err)) != 0) {
        fprintf(stderr, "xdump: info: %s\n", err); /* err starts with the path */
        return XDUMP_E_BADCORE;
    }
    int rc = cli_core_print(core, stdout, json);
    int saved = errno;
    xd_core_close(core);
    if (rc) {
        fprintf(stderr, "xdump: info: writing the summary failed: %s\n", strerror(saved));
        return XDUMP_E_FAIL;
    }
    return XDUMP_OK;
}
