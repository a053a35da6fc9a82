/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xdump info [--json] CORE`: what a core holds (the library's xd_core_print). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "info_print.h"
#include "xdump.h"

static const char info_usage[] = "usage: xdump info [--json] <core>\n";

int cmd_info(int argc, char **argv)
{
    bool json = false, dashdash = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && !strcmp(a, "--json")) {
            json = true;
        } else if (!dashdash && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            fputs(info_usage, stdout);
            return XDUMP_OK;
        } else if (!dashdash && !strcmp(a, "--")) {
            dashdash = true;
        } else if (!dashdash && a[0] == '-' && a[1]) {
            fprintf(stderr, "xdump: info: unknown option '%s'\n%s", a, info_usage);
            return XDUMP_E_USAGE;
        } else if (path) {
            fprintf(stderr, "xdump: info: one core at a time\n%s", info_usage);
            return XDUMP_E_USAGE;
        } else {
            path = a;
        }
    }
    if (!path) {
        fputs(info_usage, stderr);
        return XDUMP_E_USAGE;
    }

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
