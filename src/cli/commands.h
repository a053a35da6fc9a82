/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The xdump command's subcommands: one file each, entry point cmd_<name>(argc, argv) with
   argv[0] the subcommand's name. Each returns the process exit status. */
#ifndef XD_CLI_COMMANDS_H
#define XD_CLI_COMMANDS_H

int cmd_dump(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* After getopt_long answered '?' or ':' (opterr 0): the option it refused, as the user wrote
   it ("-x" of a cluster "-qx", or the whole "--name[=value]" argument). */
const char *cli_bad_option(char **argv);

#endif
