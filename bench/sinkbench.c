// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sinkbench - the sink alone, without Xen or the simulator: writes SIZE MiB of pages (random,
 * or a share of zero pages) through xd_sink_pages() in batches of 1024, as the dump does, and
 * prints seconds, bytes in and bytes out.
 *
 *   sinkbench OUT SIZE_MIB ZERO_PERCENT LEVEL THREADS [DROP_CACHE(0/1) [ASYNC(0/1)]]
 *
 * LEVEL 0 is plain output (holes for zero pages). The data are generated before the clock
 * starts, so only the sink is timed (commit included: compression finished, fsync, rename).
 * ASYNC 1 hands the batches over with xd_sink_pages_async(), as a dump with two windows would.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "model.h"
#include "sink.h"

#define BATCH 1024

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: sinkbench OUT SIZE_MIB ZERO_PERCENT LEVEL THREADS [DROP]\n");
        return 2;
    }
    uint64_t pages = strtoull(argv[2], NULL, 0) << 8;
    unsigned zero_pct = (unsigned)atoi(argv[3]);
    struct xd_sink_options o = {.force = true,
                                .compress = atoi(argv[4]),
                                .threads = (unsigned)atoi(argv[5]),
                                .drop_cache_every = argc > 6 && !atoi(argv[6]) ? UINT64_MAX : 0};
    /* 64 batches of distinct data, reused round-robin */
    size_t nbuf = 64;
    uint8_t *data = malloc(nbuf * BATCH * XD_PAGE_SIZE);
    static int skip[BATCH];
    if (!data)
        return 1;
    uint64_t x = 88172645463325252ull;
    for (size_t p = 0; p < nbuf * BATCH; p++) {
        uint64_t *q = (uint64_t *)(data + p * XD_PAGE_SIZE);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        bool zero = x % 100 < zero_pct;
        for (size_t i = 0; i < XD_PAGE_SIZE / 8; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            q[i] = zero ? 0 : x;
        }
    }
    struct xd_sink *s;
    char err[512];
    double t0 = now();
    int rc = xd_sink_open_with(argv[1], &o, &s, err, sizeof(err));
    bool async = argc > 7 && atoi(argv[7]);
    for (uint64_t done = 0, b = 0; rc == 0 && done < pages; done += BATCH, b++) {
        const uint8_t *batch = data + (b % nbuf) * BATCH * XD_PAGE_SIZE;
        rc = async ? xd_sink_pages_async(s, batch, BATCH, skip)
                   : xd_sink_pages(s, batch, BATCH, skip);
        if (rc < 0)
            snprintf(err, sizeof(err), "%s", xd_sink_error(s));
    }
    if (rc == 0)
        rc = xd_sink_commit(s, err, sizeof(err));
    else
        xd_sink_abort(s);
    double t = now() - t0;
    if (rc < 0) {
        fprintf(stderr, "sinkbench: %s\n", err);
        return 1;
    }
    struct stat st;
    stat(argv[1], &st);
    printf("seconds=%.3f in=%llu out=%llu blocks=%llu\n", t,
           (unsigned long long)(pages * XD_PAGE_SIZE), (unsigned long long)st.st_size,
           (unsigned long long)st.st_blocks * 512);
    free(data);
    return 0;
}
