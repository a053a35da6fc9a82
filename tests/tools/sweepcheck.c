/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sweepcheck - is a core of an HVM/PVH guest running tests/realxen/guest/sweep.c (the real-Xen
 * writing guest) a snapshot of one moment of the writer?
 *
 *   sweepcheck CORE MAGIC PAGES
 *
 * MAGIC and PAGES are what the writer printed on the guest's console (SWEEP-READY), not read
 * from the core. Every page of the core's physical view - its PT_LOADs with p_vaddr 0 and
 * none of xdump's OS flags (docs/FORMAT.md: p_paddr = pfn << 12), read by p_paddr - that
 * begins with MAGIC is one of the writer's (guest/sweep.h): its index must be below PAGES, and
 * its 510 words must follow from (MAGIC, index, step); or, for the page the writer was in the
 * middle of (it writes the words in order, then the header), a first few of them from step+1
 * and the rest from step; anything else is torn. Taken at one moment, the array holds every
 * index once, none torn, at most one page in the middle of its write - the one after the
 * newest - and the writer's position T(i) = step(i) * PAGES + i rises by one from index to
 * index, cyclically, except at exactly one place, where it falls by PAGES - 1 (pages [0,k) at
 * step s+1, [k,PAGES) at step s). Nothing the core says is trusted: offsets and sizes are
 * checked against the file, indexes against PAGES.
 *
 * Prints key=value lines (found, missing, duplicates, torn, in_progress, bad_index, breaks,
 * steps, the oldest and newest writer position T seen, verdict) and exits 0 when consistent, 1
 * when not, 2 when the core cannot be read.
 *
 * Build alone: gcc -std=gnu11 -O2 -o sweepcheck sweepcheck.c -lelf
 */
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../realxen/guest/sweep.h"

#define XD_PF_OS 0x0ff00000u /* PF_MASKOS: xdump's machine-addressed and own segments */
#define SHOWN 8

static uint64_t word(const uint8_t *p, uint32_t w)
{
    uint64_t x;
    memcpy(&x, p + 8 * w, 8);
    return x;
}

struct page {
    uint32_t seen; /* copies found */
    uint32_t step;
    uint64_t paddr; /* of the first copy */
};

/* "key=v1,v2,..." of at most SHOWN values */
static void show(const char *key, const uint64_t *v, uint64_t n)
{
    printf("%s=", key);
    for (uint64_t i = 0; i < n && i < SHOWN; i++)
        printf("%s%#" PRIx64, i ? "," : "", v[i]);
    printf("%s\n", n > SHOWN ? ",..." : "");
}

static void note(uint64_t *list, uint64_t *n, uint64_t v)
{
    if (*n < SHOWN)
        list[*n] = v;
    (*n)++;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: sweepcheck CORE MAGIC PAGES\n");
        return 2;
    }
    char *end;
    uint64_t magic = strtoull(argv[2], &end, 0);
    unsigned long long np = strtoull(argv[3], &end, 0);
    if (magic == 0 || *end || np < 2 || np > (1ull << 24)) {
        fprintf(stderr, "sweepcheck: MAGIC must be non-zero, PAGES 2 .. 2^24\n");
        return 2;
    }
    uint32_t n = (uint32_t)np;
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0) {
        perror(argv[1]);
        return 2;
    }
    size_t len = (size_t)st.st_size;
    const uint8_t *img = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    elf_version(EV_CURRENT);
    Elf *e = img == MAP_FAILED ? NULL : elf_memory((char *)img, len);
    size_t phnum = 0;
    if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &phnum) != 0) {
        fprintf(stderr, "sweepcheck: %s: not an ELF file with program headers\n", argv[1]);
        return 2;
    }
    struct page *pg = calloc(n, sizeof(*pg));
    if (!pg)
        return 2;
    uint64_t scanned = 0, segments = 0, found = 0, dups = 0, torn = 0, bad = 0, outside = 0;
    uint64_t dup_l[SHOWN], torn_l[SHOWN], bad_l[SHOWN], prog = 0, prog_l[SHOWN];
    uint32_t prog_index = 0, prog_words = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || ph.p_vaddr != 0 ||
            (ph.p_flags & XD_PF_OS))
            continue;
        if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
            outside++;
            continue;
        }
        segments++;
        for (uint64_t off = 0; off + SWEEP_PAGE <= ph.p_filesz; off += SWEEP_PAGE) {
            const uint8_t *p = img + ph.p_offset + off;
            uint64_t paddr = ph.p_paddr + off, w[2];
            scanned++;
            memcpy(w, p, sizeof(w));
            if (w[0] != magic)
                continue;
            uint32_t index = (uint32_t)w[1], step = (uint32_t)(w[1] >> 32);
            if (index >= n) {
                note(bad_l, &bad, paddr);
                continue;
            }
            /* Words 2 .. j-1 at step+1 and j .. 511 at step: the page the writer was writing
               (it writes the words in order, then the header), j = SWEEP_WORDS when whole. */
            uint32_t j = 2;
            while (j < SWEEP_WORDS && word(p, j) == sweep_fill(magic, index, step + 1, j))
                j++;
            uint32_t k = j;
            while (k < SWEEP_WORDS && word(p, k) == sweep_fill(magic, index, step, k))
                k++;
            if (k < SWEEP_WORDS)
                note(torn_l, &torn, paddr);
            else if (j > 2) {
                note(prog_l, &prog, paddr);
                prog_index = index, prog_words = j - 2;
            }
            found++;
            if (pg[index].seen++) {
                note(dup_l, &dups, index);
                continue;
            }
            pg[index].step = step, pg[index].paddr = paddr;
        }
    }
    uint64_t missing = 0, miss_l[SHOWN], breaks = 0, not_lap = 0, brk_l[SHOWN];
    uint32_t lo = UINT32_MAX, hi = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!pg[i].seen) {
            note(miss_l, &missing, i);
            continue;
        }
        lo = pg[i].step < lo ? pg[i].step : lo;
        hi = pg[i].step > hi ? pg[i].step : hi;
    }
    /* The writer's position, index after index among the pages present, cyclically. */
    uint64_t newest = 0, oldest = UINT64_MAX;
    uint32_t first = 0;
    while (first < n && !pg[first].seen)
        first++;
    for (uint32_t i = first; i < n; i++) {
        if (!pg[i].seen)
            continue;
        uint32_t j = i + 1;
        while (j < n && !pg[j].seen)
            j++;
        if (j == n)
            j = first;
        uint64_t a = (uint64_t)pg[i].step * n + i, b = (uint64_t)pg[j].step * n + j;
        newest = a > newest ? a : newest;
        oldest = a < oldest ? a : oldest;
        if (b == a + 1)
            continue;
        note(brk_l, &breaks, i);
        not_lap += !(b + (n - 1) == a);
    }
    /* At most one page in the middle of its write, and it is the one the writer writes next
       after the newest: the oldest. */
    int prog_ok = prog == 0 || (prog == 1 && pg[prog_index].seen == 1 &&
                                (uint64_t)pg[prog_index].step * n + prog_index == oldest);
    int ok = missing == 0 && dups == 0 && torn == 0 && bad == 0 && outside == 0 && breaks == 1 &&
             not_lap == 0 && prog_ok;
    printf("magic=%#018" PRIx64 "\npages=%" PRIu32 "\nsegments=%" PRIu64 "\nscanned=%" PRIu64
           "\nfound=%" PRIu64 "\n",
           magic, n, segments, scanned, found);
    printf("segments_outside_file=%" PRIu64 "\n", outside);
    printf("missing=%" PRIu64 "\n", missing);
    show("missing_index", miss_l, missing);
    printf("duplicates=%" PRIu64 "\n", dups);
    show("duplicate_index", dup_l, dups);
    printf("torn=%" PRIu64 "\n", torn);
    show("torn_paddr", torn_l, torn);
    printf("in_progress=%" PRIu64 "\n", prog);
    show("in_progress_paddr", prog_l, prog);
    if (prog == 1)
        printf("in_progress_index=%" PRIu32 "\nin_progress_words_new=%" PRIu32
               "\nin_progress_is_next=%d\n",
               prog_index, prog_words, prog_ok);
    printf("bad_index=%" PRIu64 "\n", bad);
    show("bad_index_paddr", bad_l, bad);
    printf("breaks=%" PRIu64 "\nbreaks_not_a_lap=%" PRIu64 "\n", breaks, not_lap);
    show("break_after_index", brk_l, breaks);
    if (hi >= lo)
        printf("step_min=%" PRIu32 "\nstep_max=%" PRIu32 "\nposition_oldest=%" PRIu64
               "\nposition_newest=%" PRIu64 "\n",
               lo, hi, oldest, newest);
    printf("verdict=%s\n", ok ? "consistent" : "inconsistent");
    free(pg);
    elf_end(e);
    munmap((void *)img, len);
    close(fd);
    return ok ? 0 : 1;
}
