/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xdump info`'s presenters (info_print.c) of what the library's core reader found. */
#ifndef XD_CLI_INFO_PRINT_H
#define XD_CLI_INFO_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "info.h"

/* Writes the human summary, or with json one JSON object followed by a newline, to f.
   Returns 0, or -1 if writing failed (errno set by stdio). O(runs + vCPUs). */
int cli_core_print(const struct xd_core *c, FILE *f, bool json);

#endif
