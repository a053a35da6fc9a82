/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A gzip stream compressed in parallel (the sink's `-z`). The bytes are cut into fixed-size
 * blocks; each block is deflated on its own (a fresh raw deflate stream, no dictionary, ended
 * by a sync flush on a byte boundary; the last one by a final block), so blocks compress on
 * any thread and simply concatenate: gzip header + blocks + trailer (CRC-32 combined from the
 * blocks' CRCs, length) is one valid member that gunzip/zcat read. A writer emits the blocks
 * strictly in order through a callback, so the output never seeks.
 *
 * Zeros are cheap: a block that only ever received xd_gz_zeros() is neither filled nor
 * deflated - its compressed form and CRC are computed once, at open.
 *
 * Threads: with 1, everything runs in the caller's thread (compress, then write, block after
 * block). With N >= 2, N workers compress and one more thread writes, so the caller only
 * copies bytes into blocks. Memory: 2N blocks in flight, each holding its input and its output
 * (about 2 x block size), plus about 300 KiB of zlib state per worker.
 */
#ifndef XD_COMPRESS_H
#define XD_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

struct xd_gz;

/* Receives the compressed stream, in order, from one thread at a time (the caller's or the
   writer's). Returns 0, or a negative status that stops the stream (xd_gz_* then return it). */
typedef int (*xd_gz_write_fn)(void *ctx, const void *buf, size_t len);

#define XD_GZ_BLOCK_DEFAULT ((size_t)1 << 20)
#define XD_GZ_MAX_THREADS 64u

/* Starts a stream: zlib `level` 1..9, `threads` 0 (one per online CPU) .. XD_GZ_MAX_THREADS,
   `block` bytes per block (0: XD_GZ_BLOCK_DEFAULT; at least 4096). Writes the gzip header
   through `write` before returning. Returns 0, -ENOMEM/-EINVAL (then *out is NULL), or the
   status `write` returned for the header. */
int xd_gz_open(int level, unsigned threads, size_t block, xd_gz_write_fn write, void *ctx,
               struct xd_gz **out);
/* Appends len bytes. Returns 0 or the status of a failed write. */
int xd_gz_write(struct xd_gz *z, const void *buf, size_t len);
/* Appends len zero bytes (nothing is copied while a block holds zeros only). */
int xd_gz_zeros(struct xd_gz *z, uint64_t len);
/* Ends the stream: last block, trailer, everything handed to `write`. Returns 0 or the status
   of a failed write. Call xd_gz_free() afterwards either way. */
int xd_gz_finish(struct xd_gz *z);
/* Stops the threads (without finishing the stream when xd_gz_finish() was not called) and
   frees z. NULL is fine. */
void xd_gz_free(struct xd_gz *z);

#endif
