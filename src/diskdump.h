/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kdump-compressed ("diskdump") format makedumpfile writes and crash, libkdumpfile and drgn
 * read: `xdump --format kdump`. Not to be confused with xenkdump.h, which is the machine-
 * addressed view of a PV guest in xdump's ELF core.
 *
 * The layout (makedumpfile's IMPLEMENTATION, "The kdump-compressed format"; measured facts in
 * /work/shared/kdump.md section 1), blocks of one page:
 *
 *   block 0                    struct disk_dump_header (v6, 464 bytes)
 *   block 1                    struct kdump_sub_header (104 bytes), then the ELF notes
 *   1 + sub_hdr_size           bitmap 1 (pfn exists), then bitmap 2 (pfn dumpable), equal
 *                              and block-aligned; bitmap_blocks counts both
 *   then                       one page descriptor (24 bytes) per set bit of bitmap 2, in pfn
 *                              order (crash finds a pfn's by its rank among the set bits)
 *   then                       page data, not aligned: first the one zero page every zero
 *                              page's descriptor shares (dump level bit 1), then the pages
 *
 * All integers little-endian (x86-64). The flattened form (for a pipe) is the same file cut
 * into records {be64 offset, be64 size, bytes} after a 4096-byte header, ended by {-1, -1}:
 * `makedumpfile -R` writes each record at its offset.
 *
 * The writer: xd_dd_plan() from counts alone, then xd_dd_open(), xd_dd_pages() batch after
 * batch in pfn order, xd_dd_finish() with the notes (known only at the end). A page that does
 * not shrink is kept raw (crash rejects a descriptor bigger than a block). Without threads the
 * pages are compressed one at a time in the caller's thread; with xd_dd_threads(w, n), n
 * threads compress each batch in n slices while the caller maps the next one
 * (xd_dd_pages_async()), and the last slice done writes the batch - batches one at a time,
 * in the order given, so the file is byte for byte the one the caller's thread would write.
 */
#ifndef XD_DISKDUMP_H
#define XD_DISKDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* ---- the format's numbers (makedumpfile diskdump_mod.h; offsets measured, kdump.md 1.2) ---- */

#define XD_DD_SIGNATURE "KDUMP   " /* 8 bytes, three spaces */
#define XD_DD_HEADER_VERSION 6
#define XD_DD_BLOCK 4096 /* block_size = the page size */

/* struct disk_dump_header */
#define XD_DD_H_SIGNATURE 0
#define XD_DD_H_VERSION 8     /* int */
#define XD_DD_H_UTSNAME 12    /* struct new_utsname: six char[65] */
#define XD_DD_UTS_LEN 65      /* sysname nodename release version machine domainname */
#define XD_DD_H_TIMESTAMP 408 /* struct timeval {i64 sec, usec}, after 6 bytes of padding */
#define XD_DD_H_STATUS 424    /* u32: one XD_DD_COMPRESSED_* bit, | INCOMPLETE */
#define XD_DD_H_BLOCK_SIZE 428
#define XD_DD_H_SUB_HDR_SIZE 432 /* blocks */
#define XD_DD_H_BITMAP_BLOCKS 436
#define XD_DD_H_MAX_MAPNR 440 /* u32, truncated; the sub-header has all 64 bits */
#define XD_DD_H_NR_CPUS 460
#define XD_DD_HEADER_SIZE 464
_Static_assert(XD_DD_H_UTSNAME + 6 * XD_DD_UTS_LEN + 6 == XD_DD_H_TIMESTAMP, "utsname, pad");
_Static_assert(XD_DD_H_TIMESTAMP + 16 == XD_DD_H_STATUS, "timeval is 16 bytes");
_Static_assert(XD_DD_H_NR_CPUS + 4 == XD_DD_HEADER_SIZE, "464");

/* struct kdump_sub_header, at offset XD_DD_BLOCK */
#define XD_DD_S_PHYS_BASE 0
#define XD_DD_S_DUMP_LEVEL 8 /* int */
#define XD_DD_S_SPLIT 12
#define XD_DD_S_OFFSET_VMCOREINFO 32 /* absolute: the VMCOREINFO note's descriptor */
#define XD_DD_S_SIZE_VMCOREINFO 40
#define XD_DD_S_OFFSET_NOTE 48 /* = XD_DD_BLOCK + XD_DD_SUB_SIZE */
#define XD_DD_S_SIZE_NOTE 56
#define XD_DD_S_OFFSET_ERASEINFO 64
#define XD_DD_S_SIZE_ERASEINFO 72
#define XD_DD_S_START_PFN_64 80
#define XD_DD_S_END_PFN_64 88
#define XD_DD_S_MAX_MAPNR_64 96
#define XD_DD_SUB_SIZE 104
_Static_assert(XD_DD_S_MAX_MAPNR_64 + 8 == XD_DD_SUB_SIZE, "104");

/* struct page_desc {i64 offset; u32 size; u32 flags; u64 page_flags} */
#define XD_DD_DESC_SIZE 24
#define XD_DD_D_OFFSET 0
#define XD_DD_D_SIZE 8
#define XD_DD_D_FLAGS 12
#define XD_DD_D_PAGE_FLAGS 16

/* status (header) and flags (descriptor) bits; crash 8.0.2 diskdump.h, libkdumpfile agree */
#define XD_DD_COMPRESSED_ZLIB 0x1u
#define XD_DD_COMPRESSED_LZO 0x2u
#define XD_DD_COMPRESSED_SNAPPY 0x4u
#define XD_DD_INCOMPLETE 0x8u
#define XD_DD_EXCLUDED_VMEMMAP 0x10u
#define XD_DD_COMPRESSED_ZSTD 0x20u

/* The flattened form (makedumpfile.h: MAX_SIZE_MDF_HEADER, TYPE_FLAT_HEADER, ...). */
#define XD_DD_FLAT_SIGNATURE "makedumpfile" /* in 16 bytes */
#define XD_DD_FLAT_HEADER_SIZE 4096
#define XD_DD_FLAT_TYPE 1    /* be64 at 16 */
#define XD_DD_FLAT_VERSION 1 /* be64 at 24 */
#define XD_DD_FLAT_RECORD 16 /* {be64 offset, be64 size}; {-1, -1} ends the stream */

/* ---- codecs --------------------------------------------------------------------------------- */

enum xd_dd_codec { XD_DD_NONE, XD_DD_ZLIB, XD_DD_LZO, XD_DD_SNAPPY, XD_DD_ZSTD, XD_DD_NCODECS };

/* "zlib", "lzo", "snappy", "zstd", "none" -> the codec; -1 for any other name. */
int xd_dd_codec_parse(const char *name);
const char *xd_dd_codec_name(int codec);
/* The codec's XD_DD_COMPRESSED_* bit (0 for none). */
uint32_t xd_dd_codec_flag(int codec);

/* ---- the writer ----------------------------------------------------------------------------- */

/* Where everything goes, decided from counts before the first byte. */
struct xd_dd_plan {
    uint64_t max_mapnr;     /* highest pfn + 1 */
    uint64_t ndumpable;     /* set bits of bitmap 2: one descriptor each */
    uint64_t notes_room;    /* bytes kept for the notes after the sub-header */
    uint64_t sub_blocks;    /* sub_hdr_size */
    uint64_t bitmap_len;    /* bytes of ONE bitmap (block-aligned) */
    uint64_t bitmap_off;    /* bitmap 1; bitmap 2 follows at bitmap_off + bitmap_len */
    uint64_t desc_off;      /* the descriptors */
    uint64_t data_off;      /* the shared zero page, then the pages */
    uint64_t bitmap_blocks; /* both bitmaps, as the header says */
};

/* Plans a file of max_mapnr pfns of which ndumpable are dumped, with notes_room bytes of notes.
   Returns 0, or -1 when the numbers do not fit the format (more than 2^32 blocks of
   sub-header or bitmaps). */
int xd_dd_plan(uint64_t max_mapnr, uint64_t ndumpable, uint64_t notes_room, struct xd_dd_plan *out);

/* The output, as the writer sees it. `append` adds bytes at the output's end (a file's or a
   stream's); `zeros` adds that many zero bytes (a hole in a file); `rewrite` replaces bytes
   already appended (NULL for a stream: the flattened form is used, which never goes back).
   Each returns 0 or a negative status (the caller keeps the message). */
struct xd_dd_out {
    void *ctx;
    int (*append)(void *ctx, const void *buf, size_t len);
    int (*zeros)(void *ctx, uint64_t len);
    int (*rewrite)(void *ctx, uint64_t off, const void *buf, size_t len);
};

/* What the headers say, known at the end. */
struct xd_dd_head {
    uint64_t phys_base;
    int32_t dump_level;
    uint32_t nr_cpus;
    int64_t timestamp;   /* seconds */
    const char *release; /* the guest's OSRELEASE, or NULL: not known to be Linux */
    bool incomplete;     /* status INCOMPLETE */
};

struct xd_dd;

/* The writer's own failures, distinct from the output's statuses (which it passes on). */
#define XD_DD_E_MEMORY 1001 /* out of memory */
#define XD_DD_E_CODEC 1002  /* the codec failed or is unknown */
#define XD_DD_E_STATE 1003  /* more or fewer pages than planned, notes too big */
/* A message for one of those. */
const char *xd_dd_strerror(int rc);

/* Starts the file: the flattened form's header for a stream, then the bitmaps (from the
   runs: every present pfn is in both, dump level 1 keeps them all) and the shared zero page.
   Each codec at its fastest setting, as makedumpfile uses them (zlib level 1, lzo1x_1, zstd
   level 1). share_zero (dump level bit 1): every all-zero page's descriptor names the shared
   zero page; without it zero pages are pages like any other (dump level 0).
   Returns 0, or a negative status: the output's, or -XD_DD_E_MEMORY / -XD_DD_E_CODEC /
   -XD_DD_E_STATE (the writer's own, below). */
int xd_dd_open(const struct xd_dd_plan *p, const struct xd_frames *f, int codec, bool share_zero,
               const struct xd_dd_out *out, struct xd_dd **w);
/* The same, with bitmap 2 leaving out the pfns set in excl (bit p & 7 of byte p >> 3, for pfns
   below max_mapnr; the mem_map filter's, memmap.h): p->ndumpable counts the others, and
   xd_dd_pages() is given only them. excl NULL: none left out. */
int xd_dd_open_filtered(const struct xd_dd_plan *p, const struct xd_frames *f, const uint8_t *excl,
                        int codec, bool share_zero, const struct xd_dd_out *out, struct xd_dd **w);
/* The next n pages in pfn order (ranks ascending, as the runs say); skip[i] non-zero: the frame
   could not be read, it reads as the zero page. Returns when they are written. */
int xd_dd_pages(struct xd_dd *w, const uint8_t *pages, size_t n, const int *skip);

#define XD_DD_MAX_THREADS 64u
/* Starts n (<= XD_DD_MAX_THREADS) compressing threads, before the first page; 0: none (the
   default). Returns 0, or -XD_DD_E_MEMORY (no thread then: w is as it was), -XD_DD_E_STATE. */
int xd_dd_threads(struct xd_dd *w, unsigned n);
/* xd_dd_pages() that returns once the previous batch is written and this one handed to the
   threads: pages and skip must stay as they are until the next call, xd_dd_wait(),
   xd_dd_finish() or xd_dd_free(). A failure in a thread (the codec's, the output's) is
   returned by the next xd_dd_pages_async(), xd_dd_wait() or xd_dd_finish(), and by every one
   after it. Without threads: xd_dd_pages(). */
int xd_dd_pages_async(struct xd_dd *w, const uint8_t *pages, size_t n, const int *skip);
/* Waits for the batch in flight: 0, or the threads' first failure. */
int xd_dd_wait(struct xd_dd *w);
/* The notes (the VMCOREINFO note among them is found and pointed at by the sub-header), the
   sub-header and the header; a stream's end record. notes_len <= notes_room. Waits for the
   batch in flight first. */
int xd_dd_finish(struct xd_dd *w, const struct xd_dd_head *h, const uint8_t *notes,
                 size_t notes_len);
/* Counters: pages written, of which zero (sharing the zero page) and kept raw; bytes of page
   data. After xd_dd_wait() or xd_dd_finish(). */
struct xd_dd_stats {
    uint64_t pages, zero, raw, data_bytes;
};
void xd_dd_stats(const struct xd_dd *w, struct xd_dd_stats *st);
void xd_dd_free(struct xd_dd *w);

#endif
