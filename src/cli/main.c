/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xdump: argv to a subcommand. `xdump DOMAIN OUT` is the dump; the others are named. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "xdump.h"

static const char usage[] =
    "usage: xdump [options] <domid|name> <out.core|->   dump a guest to an ELF core\n"
    "       xdump info [--json] <core>                 what a core holds\n"
    "       xdump watch [options]                      dump every guest that crashes, once\n"
    "\n"
    "options:\n"
    "  --live          do not pause the domain during the dump\n"
    "  --precopy[=MS]  copy while the guest runs under log-dirty tracking, then pause it\n"
    "                  for the pages it wrote (budget MS, default 50): a consistent core\n"
    "  --precopy=auto[,MS]  the same, or a paused dump when Xen cannot track the guest\n"
    "  -f, --force     replace an existing output file\n"
    "  --no-virtual    no virtual PT_LOADs (skip the guest page-table walk)\n"
    "  --keep-partial  on failure keep what was dumped, marked INCOMPLETE (files only)\n"
    "  --probe-all     HVM/PVH: try to map every gfn Xen calls absent, not only the\n"
    "                  shared_info and grant frames it names (slow on a large span)\n"
    "  -z, --compress  write a gzip stream (zcat gives the core back); blocks in parallel\n"
    "  -z --compress zstd  a zstd stream instead (zstdcat gives the core back)\n"
    "  --threads N     compressing threads with -z or --format kdump (default: one\n"
    "                  per CPU)\n"
    "  --format kdump  makedumpfile's kdump-compressed file (crash, drgn); to - its\n"
    "                  flattened form (makedumpfile -R rebuilds the file)\n"
    "  --compress CODEC  kdump: each page with none, zlib (default), lzo, snappy, zstd\n"
    "  -d LEVEL        kdump: makedumpfile's dump level, 0-31; 1 (default) shares one\n"
    "                  zero page, +2 drops cache, +4 cache with private, +8 user,\n"
    "                  +16 free pages (read from the guest's struct pages)\n"
    "  -q, --quiet     no progress line, no warnings\n"
    "  --progress      a progress line even when stderr is not a terminal\n"
    "  -h, --help      this text\n"
    "  -V, --version   the version\n"
    "\n"
    "exit status:\n"
    "   0 the core is complete        6 the domain died during the dump\n"
    "   1 other failure               7 writing the core failed (disk full, I/O error, pipe)\n"
    "   2 bad command line            8 a hypercall or mapping failed\n"
    "   3 no such domain (or dom0)    9 the guest's p2m is unusable\n"
    "   4 not root / not in dom0     10 interrupted by a signal (the guest was unpaused)\n"
    "   5 output exists / unwritable 11 (info) not a readable core\n"
    "                                12 another xdump is dumping this domain\n"
    "  13 (--precopy) log-dirty mode is someone else's   14 (--precopy) Xen cannot track it\n";

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage, stdout);
        return XDUMP_OK;
    }
    if (argc >= 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
        printf("xdump %s\n", XDUMP_VERSION);
        return XDUMP_OK;
    }
    if (argc >= 2 && !strcmp(argv[1], "info"))
        return cmd_info(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "watch"))
        return cmd_watch(argc - 1, argv + 1);
    if (argc < 2) {
        fputs(usage, stderr);
        return XDUMP_E_USAGE;
    }
    argv[0] = "dump";
    return cmd_dump(argc, argv);
}
