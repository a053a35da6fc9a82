/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seqcheck - is a core a snapshot of one moment of xensim's writing guest (`xensim write`)?
 *
 *   seqcheck CORE [DESC_PFN]
 *
 * Reads the guest's pages by Xen's dump-core index alone (.xen_pages, indexed by .xen_pfn for
 * HVM/PVH or .xen_p2m for PV: Xen's docs/misc/dump-core-format.txt), finds the writer's
 * descriptor page ("XSIMSEQ1", PAGES, stride, first pfn; at DESC_PFN, or the first page that
 * has it) and reads the sequence in the writer's order. Taken at one moment, every page holds
 * one step number in all its 512 slots and the sequence rises by one from page to page but at
 * exactly one place, where it falls by PAGES - 1. Anything else - a torn page, more breaks, a
 * page missing - is a core whose pages were taken at different moments.
 *
 * Prints "consistent step=S" (S: the next step the writer was to take) and exits 0, or
 * "inconsistent: ..." and exits 1; 2 for a core it cannot read. Shares nothing with xdump.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096u
#define SLOTS (PAGE / 8)

static const uint8_t *img;
static size_t len, npages, esz;
static uint64_t idx_off, pages_off;

static Elf_Scn *section(Elf *e, const char *name, GElf_Shdr *sh)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(e, &shstrndx))
        return NULL;
    for (Elf_Scn *s = elf_nextscn(e, NULL); s; s = elf_nextscn(e, s)) {
        const char *n = gelf_getshdr(s, sh) ? elf_strptr(e, shstrndx, sh->sh_name) : NULL;
        if (n && !strcmp(n, name))
            return s;
    }
    return NULL;
}

static uint64_t index_pfn(size_t j)
{
    uint64_t pfn;
    memcpy(&pfn, img + idx_off + j * esz, 8);
    return pfn;
}

/* The index sorted by pfn: {pfn, its page's place}. */
static uint64_t (*sorted)[2];

static int by_pfn(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The page of pfn, or NULL. */
static const uint8_t *page_of(uint64_t pfn)
{
    size_t lo = 0, hi = npages;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid][0] < pfn)
            lo = mid + 1;
        else if (sorted[mid][0] > pfn)
            hi = mid;
        else
            return img + pages_off + sorted[mid][1] * PAGE;
    }
    return NULL;
}

/* Reads the sequence in the writer's order and judges it: 0 consistent, 1 not. */
static int judge(uint64_t *v, uint64_t n, uint64_t stride, uint64_t first)
{
    for (uint64_t k = 0; k < n; k++) {
        uint64_t pfn = first + k * stride % n;
        const uint8_t *p = page_of(pfn);
        if (!p) {
            printf("inconsistent: page %#llx of the sequence is not in the core\n",
                   (unsigned long long)pfn);
            return 1;
        }
        memcpy(&v[k], p, 8);
        for (unsigned s = 1; s < SLOTS; s++) {
            uint64_t x;
            memcpy(&x, p + s * 8, 8);
            if (x != v[k]) {
                printf("inconsistent: page %#llx is torn (slot 0 %llu, slot %u %llu)\n",
                       (unsigned long long)pfn, (unsigned long long)v[k], s, (unsigned long long)x);
                return 1;
            }
        }
    }
    uint64_t breaks = 0, at = 0, bad = 0;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t a = v[k], b = v[(k + 1) % n];
        if (b == a + 1)
            continue;
        breaks++;
        at = k;
        if (b + (n - 1) != a)
            bad++;
    }
    if (breaks != 1 || bad) {
        printf("inconsistent: %llu breaks in the sequence of %llu pages (%llu not a lap)\n",
               (unsigned long long)breaks, (unsigned long long)n, (unsigned long long)bad);
        return 1;
    }
    printf("consistent step=%llu\n", (unsigned long long)(v[at] + 1));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: seqcheck CORE [DESC_PFN]\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
        perror(argv[1]);
        return 2;
    }
    len = (size_t)st.st_size;
    img = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    elf_version(EV_CURRENT);
    Elf *e = img == MAP_FAILED ? NULL : elf_memory((char *)img, len);
    GElf_Shdr pages, index;
    if (!e || !section(e, ".xen_pages", &pages)) {
        fprintf(stderr, "seqcheck: %s: no .xen_pages\n", argv[1]);
        return 2;
    }
    esz = section(e, ".xen_p2m", &index) ? 16 : section(e, ".xen_pfn", &index) ? 8 : 0;
    if (!esz || pages.sh_offset > len || index.sh_offset > len) {
        fprintf(stderr, "seqcheck: %s: no Xen index\n", argv[1]);
        return 2;
    }
    npages = index.sh_size / esz;
    idx_off = index.sh_offset, pages_off = pages.sh_offset;
    if (npages > (len - pages_off) / PAGE || npages > (len - idx_off) / esz) {
        fprintf(stderr, "seqcheck: %s: index beyond the file\n", argv[1]);
        return 2;
    }
    sorted = calloc(npages + 1, sizeof(*sorted));
    if (!sorted)
        return 2;
    for (size_t j = 0; j < npages; j++)
        sorted[j][0] = index_pfn(j), sorted[j][1] = j;
    qsort(sorted, npages, sizeof(*sorted), by_pfn);
    const uint8_t *desc = NULL;
    if (argc == 3)
        desc = page_of(strtoull(argv[2], NULL, 0));
    for (size_t j = 0; !desc && argc == 2 && j < npages; j++)
        if (!memcmp(img + pages_off + j * PAGE, "XSIMSEQ1", 8))
            desc = img + pages_off + j * PAGE;
    uint64_t n, stride, first;
    if (!desc || memcmp(desc, "XSIMSEQ1", 8)) {
        printf("inconsistent: no writer's descriptor page\n");
        return 1;
    }
    memcpy(&n, desc + 8, 8), memcpy(&stride, desc + 16, 8), memcpy(&first, desc + 24, 8);
    if (n < 2 || n > npages || stride == 0 || stride >= n) {
        printf("inconsistent: a descriptor that makes no sense (pages %llu stride %llu)\n",
               (unsigned long long)n, (unsigned long long)stride);
        return 1;
    }
    uint64_t *v = calloc(n, sizeof(*v));
    int rc = v ? judge(v, n, stride, first) : 2;
    free(v);
    free(sorted);
    elf_end(e);
    munmap((void *)img, len);
    close(fd);
    return rc;
}
