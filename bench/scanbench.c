// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scanbench - what the VMCOREINFO scan adds to a dump's copy, without Xen or the simulator:
 * over SIZE MiB of random pages (one holding a VMCOREINFO note near the end, as a guest's
 * would), times the copy's own per-page work (the page copied once, as the sink's writer
 * does) and the same with xd_vmci_page() on each page, interleaved over REPS rounds, and
 * prints key=value: nanoseconds per page of each (medians) and the scan's share.
 *
 *   scanbench SIZE_MIB REPS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "vmci.h"

#define RING (1024 * XD_PAGE_SIZE) /* the copy's destination: one batch, reused */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One pass: every page copied into the ring, and scanned when scan is set. Returns seconds. */
static double pass(const uint8_t *mem, uint64_t pages, uint8_t *ring, int scan, int *found)
{
    struct xd_vmci v = {0};
    double t = now();
    for (uint64_t p = 0; p < pages; p++) {
        const uint8_t *page = mem + p * XD_PAGE_SIZE;
        memcpy(ring + (p % 1024) * XD_PAGE_SIZE, page, XD_PAGE_SIZE);
        if (scan)
            xd_vmci_page(&v, p, page);
    }
    t = now() - t;
    *found = v.found;
    return t;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: scanbench SIZE_MIB REPS\n");
        return 2;
    }
    uint64_t pages = strtoull(argv[1], NULL, 0) << 8;
    int reps = atoi(argv[2]);
    if (pages < 16 || reps < 1 || reps > 99) {
        fprintf(stderr, "scanbench: SIZE_MIB >= 1, 1 <= REPS <= 99\n");
        return 2;
    }
    uint8_t *mem = malloc(pages * XD_PAGE_SIZE), *ring = malloc(RING);
    if (!mem || !ring) {
        fprintf(stderr, "scanbench: out of memory\n");
        return 1;
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (uint64_t i = 0; i < pages * XD_PAGE_SIZE / 8; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        memcpy(mem + 8 * i, &x, 8);
    }
    /* Linux's note: namesz 11, descsz, type 0, "VMCOREINFO\0" padded to 12, then the text */
    static const char text[] = "OSRELEASE=6.1.0-scanbench\nPAGESIZE=4096\n";
    uint32_t hdr[3] = {11, sizeof(text) - 1, 0};
    uint8_t *note = mem + (pages - 8) * XD_PAGE_SIZE;
    memcpy(note, hdr, 12);
    memcpy(note + 12, "VMCOREINFO\0\0", 12);
    memcpy(note + 24, text, sizeof(text) - 1);

    double copy[99], scan[99];
    int found = 0, f;
    pass(mem, pages, ring, 1, &f); /* warm the pages and the caches */
    for (int r = 0; r < reps; r++) {
        copy[r] = pass(mem, pages, ring, 0, &f);
        scan[r] = pass(mem, pages, ring, 1, &found);
    }
    qsort(copy, (size_t)reps, sizeof(double), cmp);
    qsort(scan, (size_t)reps, sizeof(double), cmp);
    double c = copy[reps / 2] / (double)pages * 1e9, s = scan[reps / 2] / (double)pages * 1e9;
    printf("pages=%llu\nreps=%d\nfound=%d\ncopy_ns_per_page=%.1f\ncopy_and_scan_ns_per_page=%.1f\n"
           "scan_share=%.4f\n",
           (unsigned long long)pages, reps, found, c, s, (s - c) / c);
    free(mem);
    free(ring);
    return found ? 0 : 1;
}
