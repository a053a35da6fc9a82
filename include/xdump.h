/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxdump - write an ELF core of a running or crashed Xen guest.
 *
 * The library never prints, never exits and never aborts: every call returns a status, and a
 * one-line message for the user in the caller's buffer. The `xdump` command is one user of it;
 * the crash hook (`xdump watch`) is another.
 *
 * The public API is this header: xdump_dump(), xdump_status_name(), xdump_version(). The
 * core reader behind `xdump info` and the crash hook behind `xdump watch` are not public yet:
 * their structures still grow with the kdump format and pre-copy work (use the command).
 *
 * ABI: the soname is libxdump.so.XDUMP_ABI. Both structures below start with their `size`,
 * which the caller sets to sizeof of the structure it was built with (XDUMP_OPTIONS_INIT,
 * XDUMP_RESULT_INIT do it): fields are only ever added at the end, and the library reads no
 * option beyond `size` (those read as zero) and writes no result beyond it. A change that
 * cannot keep to that bumps XDUMP_ABI, and so the soname: a program built against another ABI
 * is refused by the dynamic loader, never run against a layout it does not know.
 *
 * Threads: xdump_dump() keeps no state between calls and shares none between calls running at
 * once (each has its own Xen handles, buffers and output; it touches no writable global);
 * two threads may dump two domains at the same time. A call runs a writer thread of its own
 * (with `format` kdump, `threads` compressing threads instead) and, for the dump's length, a
 * guardian child process (it unpauses the domain and removes the unfinished file if the caller
 * dies: see README); the options' callbacks are called from the calling thread only. A caller that
 * reaps every child (waitpid(-1)) must leave xdump's guardian alone.
 */
#ifndef XDUMP_H
#define XDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XDUMP_VERSION "0.2.0"
#define XDUMP_ABI 1 /* the soname's number: libxdump.so.1 */

#if defined(__GNUC__)
#define XDUMP_API __attribute__((visibility("default")))
#else
#define XDUMP_API
#endif

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
    XDUMP_E_TRACKED = 13, /* --precopy: log-dirty mode is someone else's (a migration, another
                             tool), or was taken from xdump during the dump */
    XDUMP_E_NOTRACK = 14, /* --precopy: Xen cannot track the guest's writes (PV on a Xen
                             without shadow paging, PCI pass-through) */
};

/* What to dump and how. Initialise with XDUMP_OPTIONS_INIT (zeros, and the size), then set
   what you need. */
struct xdump_options {
    size_t size;        /* sizeof(struct xdump_options) as the caller was built */
    const char *domain; /* domain id (decimal) or name (resolved through xenstore) */
    const char *output; /* path of the core, or "-" for standard output (never seeks) */
    bool live;          /* do not pause the domain */
    bool force;         /* replace an existing output file */
    bool no_virtual;    /* skip the page-table walk (no virtual PT_LOADs) */
    bool keep_partial;  /* on failure, keep what was dumped, marked incomplete (files only) */
    /* Write a gzip stream (zcat gives back the core) at this zlib level, 1..9 (or a zstd
       stream at this zstd level with compress_zstd, below); 0: plain.
       Blocks are compressed in parallel by `threads` threads (0: one per online CPU); with
       `format` kdump, `threads` threads compress the pages. */
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
       pages it lent the guest (shared_info, grant frames): for a Xen that lends others. */
    bool probe_all;
    /* The file's format: XDUMP_FORMAT_ELF (0, the default) or XDUMP_FORMAT_KDUMP,
       makedumpfile's kdump-compressed file (crash, drgn, libkdumpfile read it); to "-" its
       flattened form (`makedumpfile -R` rebuilds the file). kdump: physical memory and the
       notes only, each page compressed with kdump_compress (XDUMP_KDUMP_*), zero pages
       sharing one page when dump_level has bit 1 (makedumpfile's -d, 0 to 31: bits 2-16 leave
       out pages by the guest's struct pages, read with its VMCOREINFO; without one, or with a
       mem_map that cannot be trusted, level & 1 and a warning). Not
       with `compress` or `keep_partial`. */
    int format;
    int kdump_compress;
    int dump_level;
    /* With `compress` (an ELF core): a zstd stream (zstdcat gives back the core) at that zstd
       level instead of gzip, compressed by `threads` of libzstd's workers. */
    bool compress_zstd;
    /* Pre-copy (files only): the guest runs while its memory is copied under log-dirty
       tracking, then rounds copy what it wrote meanwhile until what is left fits the pause
       budget (precopy_ms; 0: 50 ms), stops shrinking or XDUMP_PRECOPY_ROUNDS rounds were
       made; the domain is then paused for the last of it and its vCPUs. The core is the guest
       as it was at that pause. */
    bool precopy;
    unsigned precopy_ms;
    /* With precopy: when Xen cannot track the guest's writes (XDUMP_E_NOTRACK) or its
       log-dirty mode is not free (XDUMP_E_TRACKED: never touched then), dump paused instead,
       with a warning (result.precopy_fell_back), rather than fail. */
    bool precopy_fallback;
};

enum xdump_format { XDUMP_FORMAT_ELF = 0, XDUMP_FORMAT_KDUMP = 1 };
/* kdump page codecs (their names on the command line: none zlib lzo snappy zstd). */
enum xdump_kdump_codec {
    XDUMP_KDUMP_NONE = 0,
    XDUMP_KDUMP_ZLIB = 1,
    XDUMP_KDUMP_LZO = 2,
    XDUMP_KDUMP_SNAPPY = 3,
    XDUMP_KDUMP_ZSTD = 4,
};
/* The highest kdump dump level this xdump implements: all of makedumpfile's bits (1 zero, 2
   cache, 4 cache with private, 8 user, 16 free pages). */
#define XDUMP_KDUMP_MAX_LEVEL 31

/* The most rounds a pre-copy makes after the first full copy, converging or not. */
#define XDUMP_PRECOPY_ROUNDS 8

/* What a dump did. */
struct xdump_result {
    size_t size; /* sizeof(struct xdump_result) as the caller was built */
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
    uint64_t probed;     /* HVM/PVH: gfns Xen called absent that a mapping was asked about */
    uint64_t zero_pages; /* kdump: pages sharing the one zero page (dump level bit 1) */
    /* Pre-copy: rounds after the first full copy, the pause (ms), the pages copied in it,
       the pages copied again in all rounds, and whether the dirty set stopped shrinking
       before it fit the budget. */
    unsigned precopy_rounds;
    double pause_ms;
    uint64_t final_pages, recopied;
    bool not_converging;
    bool precopy_fell_back; /* precopy_fallback taken: a paused dump, as the warning said */
    /* PV: machine frames were looked up in Xen's M2P (else in xdump's own inverse of the
       p2m); entries read, and of those refused (they do not lead back through the p2m). */
    bool m2p_xen, m2p_own; /* m2p_own: Xen's could not be read; xdump's own inverse used */
    uint64_t m2p_asked, m2p_refused;
    /* kdump: the dump level written (the one asked, or & 1 when the mem_map filter could not
       be used), pages read to find VMCOREINFO first (levels 2-31), and the present pages the
       level left out: in all, by makedumpfile's classes (other: hwpoison, offline), the pages
       of struct pages read, and pages of the kernel-image map kept against the rules. */
    int dump_level;
    uint64_t vmci_scan_pages;
    uint64_t excluded_pages, excluded_cache, excluded_cache_private, excluded_user, excluded_free,
        excluded_other;
    uint64_t mem_map_pages, image_kept;
};

/*
 * Dumps a domain to opts->output. The domain is paused for the dump (unless live) and
 * unpaused on every path out. Returns XDUMP_OK or an XDUMP_E_* status with a one-line message
 * in err. On failure no file is left under the output name (a temporary is removed).
 * opts->size or res->size smaller than the first ABI's structures, or larger than 64 KiB, is
 * XDUMP_E_USAGE.
 * Cost: one pass over guest memory, batches of 1024 frames per map call; memory use is the
 * list of present runs plus, for PV guests, the p2m's machine-contiguous runs (24 bytes each),
 * not a table per page (README, "Memory use").
 */
XDUMP_API int xdump_dump(const struct xdump_options *opts, struct xdump_result *res, char *err,
                         size_t errlen);

/* Name of a status (for messages and JSON), e.g. "no-domain". */
XDUMP_API const char *xdump_status_name(int status);

/* The library's version at run time, e.g. "0.2.0" (XDUMP_VERSION is the header's). */
XDUMP_API const char *xdump_version(void);

/* Initialisers that set `size`: struct xdump_options o = XDUMP_OPTIONS_INIT; */
#define XDUMP_OPTIONS_INIT                                                                         \
    {                                                                                              \
        .size = sizeof(struct xdump_options)                                                       \
    }
#define XDUMP_RESULT_INIT                                                                          \
    {                                                                                              \
        .size = sizeof(struct xdump_result)                                                        \
    }

#ifdef __cplusplus
}
#endif

#endif
