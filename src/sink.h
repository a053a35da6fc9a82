/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bytes to disk or to a pipe - the only writer in xdump. A regular file is written under a
 * temporary name in the target directory (0600, created exclusively), zero pages are left as
 * holes, and it is fsynced and renamed into place only by xd_sink_commit(); xd_sink_abort()
 * removes it. "-" is standard output: written strictly in order, never seeked.
 */
#ifndef XD_SINK_H
#define XD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xd_sink;

/* Returns 0 or a negative XDUMP_E_* status with a message in err. An existing `path` is
   refused (XDUMP_E_OUTPUT) unless force. */
int xd_sink_open(const char *path, bool force, struct xd_sink **out, char *err, size_t errlen);
bool xd_sink_is_stream(const struct xd_sink *s);
uint64_t xd_sink_offset(const struct xd_sink *s);
const char *xd_sink_error(const struct xd_sink *s);

/* Appends len bytes. */
int xd_sink_write(struct xd_sink *s, const void *buf, size_t len);
/* Appends len zero bytes (a hole in a regular file). */
int xd_sink_zeros(struct xd_sink *s, uint64_t len);
/* Appends n pages from `pages`; page i is written as zeros, without being read, when
   skip[i] is non-zero (a frame that failed to map). All-zero pages become holes. */
int xd_sink_pages(struct xd_sink *s, const uint8_t *pages, size_t n, const int *skip);
/* Rewrites bytes already written (regular files only; -XDUMP_E_IO on a stream). */
int xd_sink_rewrite(struct xd_sink *s, uint64_t off, const void *buf, size_t len);
/* Completes the file: sized, synced, renamed to its name. Frees s either way. */
int xd_sink_commit(struct xd_sink *s, char *err, size_t errlen);
/* Abandons the output: the temporary file is removed. Frees s. */
void xd_sink_abort(struct xd_sink *s);

#endif
