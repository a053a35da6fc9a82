/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the subcommands' getopt_long parsers share. */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"

const char *cli_bad_option(char **argv)
{
    static char shortopt[3];
    if (optopt > 0 && optopt < 256) { /* a letter: getopt's own codes for long ones are above */
        snprintf(shortopt, sizeof(shortopt), "-%c", optopt);
        return shortopt;
    }
    return argv[optind - 1];
}
