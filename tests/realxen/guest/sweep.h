/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The page format of the real-Xen writing guest (guest/sweep.c, run in the PVH Linux guest) and
 * of its judge (tests/tools/sweepcheck.c, run on the host over a core): one 4 KiB page of the
 * writer's array, self-describing, little endian (x86):
 *
 *   bytes 0-7    magic   random, drawn once per run and printed on the guest's console
 *   bytes 8-11   index   the page's place in the writer's order, 0 .. pages-1
 *   bytes 12-15  step    how many sweeps have written it (0: the first pass)
 *   bytes 16-    510 words sweep_fill(magic, index, step, w), w = 2 .. 511
 *
 * The writer sweeps index 0, 1, .. pages-1, writing step s+1 over each page, forever. A page
 * whose words do not all follow from its header was copied while it was being written (torn).
 */
#ifndef XDUMP_SWEEP_H
#define XDUMP_SWEEP_H

#include <stdint.h>

#define SWEEP_PAGE 4096u
#define SWEEP_WORDS (SWEEP_PAGE / 8)

/* splitmix64's finaliser of (magic, index, step, word): no two words of a run alike. */
static inline uint64_t sweep_fill(uint64_t magic, uint32_t index, uint32_t step, uint32_t w)
{
    uint64_t z = magic + (((uint64_t)step << 32 | index) * 0x9e3779b97f4a7c15ull) + w;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
