/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bytes to disk or to a pipe - the only writer in xdump. A regular file is written under a
 * temporary name in the target directory (0600, created exclusively), zero pages are left as
 * holes, and it is fsynced and renamed into place only by xd_sink_commit(); xd_sink_abort()
 * removes it. "-" is standard output: written strictly in order, never seeked.
 *
 * Compressed (options.compress): the bytes go out as one gzip stream (compress.c: blocks
 * deflated in parallel, written in order), to the file or to standard output; `zcat` gives
 * back exactly the bytes written. No holes, and no going back (xd_sink_rewrite() fails).
 * With options.zstd it is a zstd stream instead (libzstd's streaming API, its own workers
 * compressing while the writer goes on), which `zstdcat` gives back.
 *
 * A regular file does not fill the host's page cache: every `drop_cache_every` bytes the
 * newest part is sent to disk (sync_file_range) and the part before it, written by then, is
 * dropped from the cache (posix_fadvise DONTNEED). Two such parts at most stay cached.
 */
#ifndef XD_SINK_H
#define XD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xd_sink;

#define XD_SINK_DROP_CACHE_DEFAULT ((uint64_t)32 << 20)

/* A file's temporary name is ".<name>" XD_SINK_TMP_MARK "XXXXXX" next to it (the crash hook
   knows a dead dump's leftovers by it). */
#define XD_SINK_TMP_MARK ".xdump-"

struct xd_sink_options {
    bool force;                /* replace an existing file */
    int compress;              /* 0: plain; 1..9: a gzip stream at this zlib level */
    bool zstd;                 /* with compress: a zstd stream at that level instead (libzstd's
                                  own `threads` workers; zstdcat gives back the bytes) */
    unsigned threads;          /* compressing threads; 0: one per online CPU */
    size_t block;              /* bytes per compressed block; 0: 1 MiB */
    uint64_t drop_cache_every; /* bytes; 0: XD_SINK_DROP_CACHE_DEFAULT; UINT64_MAX: never */
};

/* Returns 0 or a negative XDUMP_E_* status with a message in err. An existing `path` is
   refused (XDUMP_E_OUTPUT) unless force. Compressing with N threads starts them here and
   holds about 4 MiB per thread (compress.h). */
int xd_sink_open_with(const char *path, const struct xd_sink_options *o, struct xd_sink **out,
                      char *err, size_t errlen);
/* xd_sink_open_with() with defaults: plain output. */
int xd_sink_open(const char *path, bool force, struct xd_sink **out, char *err, size_t errlen);
/* True when bytes written cannot be rewritten: standard output, or a compressed stream. */
bool xd_sink_is_stream(const struct xd_sink *s);
bool xd_sink_is_compressed(const struct xd_sink *s);
/* Bytes written so far (before compression): the offset in the core. */
uint64_t xd_sink_offset(struct xd_sink *s);
const char *xd_sink_error(const struct xd_sink *s);
/* The temporary file being written (NULL for standard output). */
const char *xd_sink_temp_path(const struct xd_sink *s);

/* Appends len bytes. */
int xd_sink_write(struct xd_sink *s, const void *buf, size_t len);
/* Appends len zero bytes (a hole in a regular file). */
int xd_sink_zeros(struct xd_sink *s, uint64_t len);
/* Appends n pages from `pages`; page i is written as zeros, without being read, when
   skip[i] is non-zero (a frame that failed to map). All-zero pages become holes. */
int xd_sink_pages(struct xd_sink *s, const uint8_t *pages, size_t n, const int *skip);
/* Like xd_sink_pages(), but returns at once: a thread of the sink's own checks and writes the
   pages while the caller goes on - typically mapping the next batch into a second window. One
   batch is in flight at a time: this call first waits for the previous one. Until the next
   xd_sink_* call, `pages` and `skip` must stay as they are. Every other call waits for the
   batch in flight (xd_sink_offset() included); a failure is reported by the next call (and
   every one after). Costs one thread, started on first use. */
int xd_sink_pages_async(struct xd_sink *s, const uint8_t *pages, size_t n, const int *skip);
/* Waits for the batch in flight, if any. Returns 0 or the status of a failed batch. */
int xd_sink_wait(struct xd_sink *s);
/* Rewrites bytes already written (plain regular files only; -XDUMP_E_IO on a stream or a
   compressed output, with a message saying so). */
int xd_sink_rewrite(struct xd_sink *s, uint64_t off, const void *buf, size_t len);
/* Reads back bytes already written (plain regular files only, as xd_sink_rewrite()): 0, or
   -XDUMP_E_IO with the message. A zero page written as a hole reads as zeros. */
int xd_sink_read(struct xd_sink *s, uint64_t off, void *buf, size_t len);
/* Completes the output: the compressed stream ended; a file sized, synced, renamed to its
   name. Frees s either way. */
int xd_sink_commit(struct xd_sink *s, char *err, size_t errlen);
/* Abandons the output: compression stopped, the temporary file removed. Frees s. */
void xd_sink_abort(struct xd_sink *s);

#endif
