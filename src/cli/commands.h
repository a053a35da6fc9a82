/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The xdump command's subcommands: one file each, entry point cmd_<name>(argc, argv) with
   argv[0] the subcommand's name. Each returns the process exit status. */
#ifndef XD_CLI_COMMANDS_H
#define XD_CLI_COMMANDS_H

int cmd_dump(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
