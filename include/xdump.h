/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxdump - write an ELF core of a running or crashed Xen guest.
 *
 * The library never prints and never exits: every call returns a status, and a one-line
 * message for the user in the caller's buffer. The `xdump` command is one user of it; the
 * crash hook (`xdump watch`) is another.
 */
#ifndef XDUMP_H
#define XDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XDUMP_VERSION "0.1.0"

/* Status codes, also the `xdump` command's exit codes (documented in README and --help). */
enum xdump_status {
    XDUMP_OK = 0,
    XDUMP_E_FAIL = 1,     /* anything not listed below (out of memory, internal) */
    XDUMP_E_USAGE = 2,    /* bad command line */
    XDUMP_E_NODOMAIN = 3, /* no such domain, or it is dom0 / dying */
    XDUMP_E_PERM = 4,     /* cannot talk to Xen: not root, not dom0, no /dev/xen/privcmd */
    XDUMP_E_OUTPUT = 5,   /* output exists (without force), or cannot be created */
    XDUMP_E_DIED = 6,     /* the domain died or disappeared during the dump */
    XDUMP_E_IO = 7,       /* writing the core failed (ENOSPC, EIO, closed pipe) */
    XDUMP_E_XEN = 8,      /* a hypercall or mapping failed in a way that stops the dump */
    XDUMP_E_GUEST = 9,    /* the guest's own structures (p2m) are unusable */
    XDUMP_E_SIGNAL = 10,  /* interrupted by a signal; the guest was unpaused */
    XDUMP_E_BADCORE = 11, /* `xdump info`: the file is not a readable core */
    XDUMP_E_BUSY = 12,    /* another xdump is dumping this domain */
};

/* What to dump and how. Zero-initialise, then set what you need. */
struct xdump_options {
    const char *domain; /* domain id (decimal) or name (resolved through xenstore) */
    const char *output; /* path of the core, or "-" for standard output (never seeks) */
    bool live;          /* do not pause the domain */
    bool force;         /* replace an existing output file */
    bool no_virtual;    /* skip the page-table walk (no virtual PT_LOADs) */
    bool keep_partial;  /* on failure, keep what was dumped, marked incomplete (files only) */
    /* Write a gzip stream (zcat gives back the core) at this zlib level, 1..9; 0: plain.
       Blocks are compressed in parallel by `threads` threads (0: one per online CPU). */
    int compress;
    unsigned threads;
    /* Asked to stop (e.g. a signal arrived): polled between chunks; may be NULL. */
    volatile int *stop;
    /* Progress, called after each chunk (may be NULL): pages done of total. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    /* Warnings that do not stop the dump (one line each; may be NULL). */
    void (*warn)(void *ctx, const char *line);
    void *ctx;
    /* HVM/PVH: probe by a mapping every gfn Xen calls absent, not only those it names as the
       pages it lent the guest (shared_info, grant frames): for a Xen that lends others.
       (Fields are added at the end: a program built against an older xdump.h keeps working.) */
    bool probe_all;
};

/* What a dump did. */
struct xdump_result {
    uint32_t domid;
    char name[64];
    uint64_t pages;      /* pages in the core */
    uint64_t unmappable; /* of which could not be read (zero in the core, listed) */
    uint64_t unmappable_runs;
    uint64_t map_calls;      /* batch map ioctls issued */
    uint64_t virtual_ranges; /* virtual ranges found by the page-table walk */
    uint64_t table_reads;    /* page-table pages it read */
    uint64_t bytes;          /* size of the core */
    unsigned vcpus_with_context, vcpus_total;
    double seconds;
    uint64_t probed; /* HVM/PVH: gfns Xen called absent that a mapping was asked about */
};

/*
 * Dumps a domain to opts->output. The domain is paused for the dump (unless live) and
 * unpaused on every path out. Returns XDUMP_OK or an XDUMP_E_* status with a one-line message
 * in err. On failure no file is left under the output name (a temporary is removed).
 * Cost: one pass over guest memory, batches of 1024 frames per map call; memory use is the
 * list of present runs plus, for PV guests, 8 bytes per present page (the p2m).
 */
int xdump_dump(const struct xdump_options *opts, struct xdump_result *res, char *err,
               size_t errlen);

/* Name of a status (for messages and JSON), e.g. "no-domain". */
const char *xdump_status_name(int status);

#endif
