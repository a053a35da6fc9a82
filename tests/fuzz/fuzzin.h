/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the p2m and page-walk fuzzers read their input as: a few fixed fields, then guest
 * memory. Shared with seedgen.c, which writes the hand-made seeds in the same encoding.
 *
 * Memory is a handful of 4 KiB frames, each filled by a rule and then patched entry by entry,
 * so that a small input describes whole page tables and p2m pages:
 *
 *   u8 nframes                            1..FUZZ_MAX_FRAMES (taken modulo, 0 -> 1)
 *   nframes x {u8 fill; u64 arg}          fill & 3: 0 zeros, 1 every entry = arg,
 *                                         2 entry k = arg + k * 4096 (tables of consecutive
 *                                         frames), 3 entry k = arg + k (p2m leaves);
 *                                         fill & 0x80: the frame cannot be read (EFAULT)
 *   then, to the end: {u8 frame; u16 entry; u64 value}   entry k (mod 512) of frame (mod n)
 *
 * All integers little-endian. Reading past the end gives zeros: every input is valid.
 */
#ifndef XDUMP_FUZZIN_H
#define XDUMP_FUZZIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_FRAMES 16
#define FUZZ_ENTRIES 512
#define FUZZ_FILL_ZERO 0
#define FUZZ_FILL_CONST 1
#define FUZZ_FILL_TABLE 2
#define FUZZ_FILL_RAMP 3
#define FUZZ_UNREADABLE 0x80

struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        uint64_t b = 0;
        if (in->n) {
            b = *in->p++;
            in->n--;
        }
        v |= b << (8 * i);
    }
    return v;
}

/* Frames base .. base + nframes - 1 exist. */
struct fuzz_mem {
    uint64_t base;
    size_t nframes;
    uint64_t (*page)[FUZZ_ENTRIES];
    bool unreadable[FUZZ_MAX_FRAMES];
};

/* Reads the memory part of the input (the rest of it). Returns -1 when out of memory. */
static inline int fuzz_mem_read(struct fuzz_in *in, uint64_t base, struct fuzz_mem *m)
{
    m->base = base;
    m->nframes = fuzz_take(in, 1) % FUZZ_MAX_FRAMES;
    if (m->nframes == 0)
        m->nframes = 1;
    m->page = calloc(m->nframes, sizeof(*m->page));
    if (!m->page)
        return -1;
    for (size_t f = 0; f < m->nframes; f++) {
        unsigned fill = (unsigned)fuzz_take(in, 1);
        uint64_t arg = fuzz_take(in, 8);
        m->unreadable[f] = fill & FUZZ_UNREADABLE;
        for (unsigned k = 0; (fill & 3) != FUZZ_FILL_ZERO && k < FUZZ_ENTRIES; k++) {
            switch (fill & 3) {
            case FUZZ_FILL_CONST:
                m->page[f][k] = arg;
                break;
            case FUZZ_FILL_TABLE:
                m->page[f][k] = arg + (uint64_t)k * 4096;
                break;
            case FUZZ_FILL_RAMP:
                m->page[f][k] = arg + k;
                break;
            }
        }
    }
    while (in->n) {
        size_t f = (size_t)fuzz_take(in, 1) % m->nframes;
        unsigned k = (unsigned)fuzz_take(in, 2) % FUZZ_ENTRIES;
        m->page[f][k] = fuzz_take(in, 8);
    }
    return 0;
}

static inline bool fuzz_mem_has(const struct fuzz_mem *m, uint64_t frame)
{
    return frame >= m->base && frame - m->base < m->nframes;
}

/* The page of frame `frame`, or NULL when it does not exist or cannot be read. */
static inline const uint64_t *fuzz_mem_page(const struct fuzz_mem *m, uint64_t frame)
{
    if (!fuzz_mem_has(m, frame) || m->unreadable[frame - m->base])
        return NULL;
    return m->page[frame - m->base];
}

static inline void fuzz_mem_free(struct fuzz_mem *m)
{
    free(m->page);
    m->page = NULL;
}

#endif
