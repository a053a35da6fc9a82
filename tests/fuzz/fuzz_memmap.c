/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: memmap.c's mem_map filter on a hostile guest. The input patches a valid
 * synthetic Linux 6.1 guest (tests/unit/mmguest.h: page tables, mem_section, struct pages,
 * VMCOREINFO) so that the walk goes deep before it meets what is wrong:
 *
 *   u8 level         % 32; bit 5: table entries go through a frame_to_pfn callback (PV's
 *                    way: frame ^ 1 is the pfn, entries made so); bit 6: walk from the CR3; bit 7:
 * struct pages read in batches u8 key           % (NKEYS + 1): which VMCOREINFO number to replace
 * (NKEYS: none) i64 value        its value then, to the end: {u8 pfn; u16 slot; u64 value}   the
 * u64 at slot % 512 of pfn % 64
 *
 * Checks: the filter returns 0 or -1 (with a reason); on 0, no bit beyond the guest's 64
 * pfns (ASan watches the 8-byte bitmap) and the top page table, which every walk reads, kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzin.h"
#include "memmap.h"
#include "mmguest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
    "NUMBER(SECTION_SIZE_BITS)",
    "NUMBER(MAX_PHYSMEM_BITS)",
    "LENGTH(mem_section)",
    "SIZE(page)",
    "SIZE(mem_section)",
    "OFFSET(page.mapping)",
    "OFFSET(page.compound_order)",
    "LENGTH(zone.free_area)",
    "NUMBER(PG_lru)",
    "OFFSET(page._mapcount)",
    "OFFSET(page.private)",
    "NUMBER(PG_head_mask)",
    "SYMBOL(mem_section)",
    "SYMBOL(init_top_pgt)",
    "NUMBER(phys_base)",
    "NUMBER(pgtable_l5_enabled)",
    "OFFSET(mem_section.section_mem_map)",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static struct mmg g;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    unsigned lb = (unsigned)fuzz_take(&in, 1);
    int level = (int)(lb % 32);
    unsigned key = (unsigned)(fuzz_take(&in, 1) % (NKEYS + 1));
    int64_t value = (int64_t)fuzz_take(&in, 8);
    mmg_build(&g);
    if (key < NKEYS) {
        char extra[128];
        if (!strncmp(keys[key], "SYMBOL(", 7))
            snprintf(extra, sizeof(extra), "%s=%llx\n", keys[key], (unsigned long long)value);
        else
            snprintf(extra, sizeof(extra), "%s=%lld\n", keys[key], (long long)value);
        mmg_vmci(&g, extra);
        char want[64];
        snprintf(want, sizeof(want), "%s=", keys[key]);
        strstr(g.vmci.text, want)[0] = 'X'; /* the original line no longer answers */
    }
    if (lb & 32)
        mmg_to_frames(&g);
    while (in.n) {
        unsigned pfn = (unsigned)(fuzz_take(&in, 1) % MMG_PFNS);
        unsigned slot = (unsigned)(fuzz_take(&in, 2) % 512);
        mmg_put64(g.mem[pfn] + 8 * slot, fuzz_take(&in, 8));
    }
    struct xd_run all = {.pfn = 0, .count = MMG_PFNS};
    uint8_t *excl = calloc(1, MMG_PFNS / 8);
    struct xd_mm_in mi = {.vmci = &g.vmci,
                          .level = level,
                          .max_pfn = MMG_PFNS,
                          .present = &all,
                          .npresent = 1,
                          .cr3 = (lb & 32 ? 41u : 40u) << 12,
                          .prefer_cr3 = lb & 64,
                          .frame_to_pfn = lb & 32 ? mmg_flip : NULL,
                          .read_page = mmg_read,
                          .read_pages = lb & 128 ? mmg_read_pages : NULL,
                          .opaque = &g};
    struct xd_mm_stats st;
    char why[256] = "";
    int rc = xd_memmap_filter(&mi, excl, &st, why, sizeof(why));
    if (rc != 0 && rc != -1)
        abort();
    if (rc == -1 && !why[0])
        abort(); /* a refusal always says why */
    if (rc == 0 && key != 13 && key != 14 && (excl[40 >> 3] >> (40 & 7) & 1))
        abort(); /* the top table was read by every walk: kept */
    free(excl);
    return 0;
}
