/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xdump-sweep MIB [MIB_PER_S] - the writing guest of the real-Xen pre-copy scenario, run in the
 * PVH Linux guest (guest/init's "sweep" command). It locks MIB MiB of anonymous memory, writes
 * every 4 KiB page of it in the format of sweep.h (a magic drawn from getrandom at start, the
 * page's index, its step), says so on stdout
 *
 *   SWEEP-READY magic=0x... pages=N stride=S rate=R
 *
 * and then sweeps the pages in index order writing step s+1 over each, forever, at R MiB/s (0:
 * as fast as it can). A copy of the array taken at one moment has every page whole and the
 * steps "s+1 for [0,k), s for [k,N)": one break in the cyclic order; a copy taken over a time
 * in which the writer ran has more, or torn pages (tests/tools/sweepcheck.c judges).
 *
 * Index i lives at the array's page (i * S) % N (S odd, coprime to N): the writer's order is
 * not the order of the array's pages in memory, so a dumper copying by address crosses the
 * sweep many times whatever order Linux gave the pages.
 *
 * Built static on the host (assemble.sh: gcc -static -O2); busybox is all the guest has.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "sweep.h"

static void write_page(uint64_t *p, uint64_t magic, uint32_t index, uint32_t step)
{
    for (uint32_t w = 2; w < SWEEP_WORDS; w++)
        p[w] = sweep_fill(magic, index, step, w);
    /* The words in order, then the header (the compiler may not move the stores across; x86
       makes them visible in program order): a page caught in the middle of its write has its
       old header and a first few words new, which sweepcheck accepts at the writer's place. */
    __asm__ volatile("" ::: "memory");
    p[0] = magic;
    p[1] = (uint64_t)step << 32 | index;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b, b = t;
    }
    return a;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: xdump-sweep MIB [MIB_PER_S]\n");
        return 2;
    }
    unsigned long mib = strtoul(argv[1], NULL, 0);
    double rate = argc > 2 ? strtod(argv[2], NULL) : 0;
    if (mib < 1 || mib > 4096 || rate < 0) {
        fprintf(stderr, "xdump-sweep: MIB 1..4096, MIB_PER_S >= 0\n");
        return 2;
    }
    uint32_t n = (uint32_t)(mib * 256);
    uint64_t magic = 0;
    while (magic == 0 || (magic >> 32) == 0 || (uint32_t)magic == 0)
        if (getrandom(&magic, sizeof(magic), 0) != (ssize_t)sizeof(magic)) {
            perror("xdump-sweep: getrandom");
            return 1;
        }
    uint32_t stride = (uint32_t)((uint64_t)n * 618 / 1000) | 1;
    while (gcd(stride, n) != 1)
        stride += 2;
    size_t bytes = (size_t)n * SWEEP_PAGE;
    uint8_t *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) {
        perror("xdump-sweep: mmap");
        return 1;
    }
    /* 4 KiB pages that stay where they are: no transparent huge page to be collapsed (and its
       old frames left behind, with copies of our pages in them), nothing swapped. */
    if (madvise(a, bytes, MADV_NOHUGEPAGE) != 0)
        fprintf(stderr, "xdump-sweep: madvise(MADV_NOHUGEPAGE): %s\n", strerror(errno));
    if (mlock(a, bytes) != 0) {
        perror("xdump-sweep: mlock");
        return 1;
    }
    for (uint32_t i = 0; i < n; i++)
        write_page((uint64_t *)(a + (size_t)((uint64_t)i * stride % n) * SWEEP_PAGE), magic, i, 0);
    printf("SWEEP-READY magic=%#018llx pages=%u stride=%u rate=%g\n", (unsigned long long)magic, n,
           stride, rate);
    fflush(stdout);

    double pages_per_s = rate * 256, t0 = now_s();
    uint64_t written = 0;
    for (uint32_t step = 1;; step++) {
        for (uint32_t i = 0; i < n; i++) {
            write_page((uint64_t *)(a + (size_t)((uint64_t)i * stride % n) * SWEEP_PAGE), magic, i,
                       step);
            written++;
            if (pages_per_s > 0 && written % 16 == 0) {
                double ahead = (double)written / pages_per_s - (now_s() - t0);
                if (ahead < -0.05) /* fell behind (paused): no burst to catch up */
                    t0 -= ahead;
                else if (ahead > 0.001) {
                    struct timespec d = {(time_t)ahead,
                                         (long)((ahead - (double)(time_t)ahead) * 1e9)};
                    nanosleep(&d, NULL);
                }
            }
        }
    }
}
