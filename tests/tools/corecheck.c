/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * corecheck WORLD DOMID CORE - the tests' oracle: compares every page of a core with the
 * simulated domain's memory, read straight from xensim's world (never through xdump's code).
 *
 * The views checked, each when the core has it:
 *   xen   the Xen dump-core sections: .xen_pages indexed by .xen_pfn (HVM) or .xen_p2m (PV)
 *   phys  ELF PT_LOADs with p_vaddr == 0: by pfn (HVM/PVH), by machine frame (PV)
 *   mach  PV: PT_LOADs flagged machine-addressed, and xdump's p2m frame lists (crash's view)
 *   paddr every PT_LOAD by p_paddr, as a reader that knows no flags sees them: right pages, no
 *         address claimed twice with different bytes
 *   virt  virtual PT_LOADs against the guest's page tables, walked here
 * Frames an "XDUMP" note lists as unmappable must be zero in the core.
 * Output: key=value lines (xen.pages_ok=..., phys.pages_bad=..., ...); exit 0 if read.
 */
#include "world.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INVALID (~0ull)
#define XEN_HDR 0x2000001
#define MAX_FAIL 65536

struct failrun {
    uint64_t pfn, count;
    int32_t err;
    uint32_t reserved;
};

static struct failrun fails[MAX_FAIL];
static size_t nfails;
static uint64_t fail_frames;

static int is_unmappable(uint64_t pfn)
{
    for (size_t i = 0; i < nfails; i++)
        if (pfn >= fails[i].pfn && pfn - fails[i].pfn < fails[i].count)
            return 1;
    return 0;
}

static int zero_page(const uint8_t *p)
{
    for (unsigned i = 0; i < XS_PAGE_SIZE; i++)
        if (p[i])
            return 0;
    return 1;
}

struct tally {
    uint64_t ok, bad, pad, unmappable_zero, unmappable_bad, dup, gmfn_bad, hole;
};

/* One page of the core claimed to be `pfn`. */
static void check_page(struct xsim_handle *h, struct xsim_domain *d, uint64_t pfn, const uint8_t *p,
                       struct tally *t, uint8_t *seen, uint64_t seen_len)
{
    static uint8_t want[XS_PAGE_SIZE];
    uint64_t rank;
    if (!xsim_pfn_rank(h, d, pfn, &rank)) {
        t->hole++;
        return;
    }
    if (rank < seen_len) {
        if (seen[rank])
            t->dup++;
        seen[rank] = 1;
    }
    if (is_unmappable(pfn)) {
        if (zero_page(p))
            t->unmappable_zero++;
        else
            t->unmappable_bad++;
        return;
    }
    xsim_read_page(h, d, pfn, want);
    if (memcmp(want, p, XS_PAGE_SIZE) == 0)
        t->ok++;
    else
        t->bad++;
}

static uint64_t count_missing(const uint8_t *seen, uint64_t n)
{
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++)
        m += !seen[i];
    return m;
}

static Elf_Scn *section(Elf *e, const char *name, GElf_Shdr *sh)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(e, &shstrndx))
        return NULL;
    for (Elf_Scn *s = elf_nextscn(e, NULL); s; s = elf_nextscn(e, s)) {
        if (!gelf_getshdr(s, sh))
            continue;
        const char *n = elf_strptr(e, shstrndx, sh->sh_name);
        if (n && !strcmp(n, name))
            return s;
    }
    return NULL;
}

/* NT_PRSTATUS registers, in gdb's order, against the world's vCPU contexts. */
static uint64_t prs_ok, prs_bad, prs_count;
static char prs_ids[1024];

static void check_prstatus(struct xsim_handle *h, struct xsim_domain *d, const uint8_t *desc,
                           uint32_t descsz)
{
    struct xsim_dommap *m = xsim_dommap(h, d);
    int32_t pid;
    prs_count++;
    memcpy(&pid, desc + 32, 4);
    if (descsz != 336 || !m || pid < 1 || (uint32_t)pid > d->max_vcpu_id + 1) {
        prs_bad++;
        return;
    }
    size_t l = strlen(prs_ids);
    snprintf(prs_ids + l, sizeof(prs_ids) - l, "%s%d", l ? "," : "", pid - 1);
    /* vcpu_guest_context: 512 bytes of FPU state, 8 of flags, then cpu_user_regs, whose first
       15 words are r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi - pr_reg's order -
       and rip at word 17, rsp at word 20 (after error_code/entry_vector and cs/flags). */
    const uint8_t *ctx = m->vcpus[pid - 1].ctx, *regs = ctx + 520;
    uint64_t want[27], got[27];
    memcpy(got, desc + 112, sizeof(got));
    memcpy(want, regs, 15 * 8);
    memcpy(&want[16], regs + 16 * 8, 8); /* rip */
    memcpy(&want[19], regs + 19 * 8, 8); /* rsp */
    int ok = !memcmp(want, got, 15 * 8) && want[16] == got[16] && want[19] == got[19];
    ok ? prs_ok++ : prs_bad++;
}

static void print_base64(const char *key, const uint8_t *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    printf("%s=", key);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v =
            (uint32_t)p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        putchar(a[v >> 18 & 63]), putchar(a[v >> 12 & 63]);
        putchar(i + 1 < n ? a[v >> 6 & 63] : '='), putchar(i + 2 < n ? a[v & 63] : '=');
    }
    putchar('\n');
}

static void read_fail_note(const uint8_t *img, size_t len, uint64_t off, uint64_t size,
                           struct xsim_handle *h, struct xsim_domain *d)
{
    uint64_t pos = off;
    while (pos + 12 <= off + size && pos + 12 <= len) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, img + pos, 4);
        memcpy(&descsz, img + pos + 4, 4);
        memcpy(&type, img + pos + 8, 4);
        uint64_t name = pos + 12, desc = name + ((namesz + 3) & ~3u);
        if (desc + descsz > len)
            break;
        if (namesz == 11 && !memcmp(img + name, "VMCOREINFO", 11) && type == 0)
            print_base64("vmcoreinfo.text", img + desc, descsz);
        if (namesz == 5 && !memcmp(img + name, "CORE", 5) && type == 1)
            check_prstatus(h, d, img + desc, descsz);
        if (namesz == 6 && !memcmp(img + name, "XDUMP", 6) && type == 0x58440001u)
            for (uint64_t i = 0; i + 24 <= descsz && nfails < MAX_FAIL; i += 24) {
                memcpy(&fails[nfails], img + desc + i, 24);
                fail_frames += fails[nfails++].count;
            }
        pos = desc + ((descsz + 3) & ~3u);
    }
}

static void print_tally(const char *view, const struct tally *t, uint64_t missing)
{
    printf("%s.pages_ok=%llu\n%s.pages_bad=%llu\n%s.pages_pad=%llu\n%s.pages_dup=%llu\n"
           "%s.pages_hole=%llu\n%s.unmappable_zero=%llu\n%s.unmappable_bad=%llu\n"
           "%s.pfns_missing=%llu\n",
           view, (unsigned long long)t->ok, view, (unsigned long long)t->bad, view,
           (unsigned long long)t->pad, view, (unsigned long long)t->dup, view,
           (unsigned long long)t->hole, view, (unsigned long long)t->unmappable_zero, view,
           (unsigned long long)t->unmappable_bad, view, (unsigned long long)missing);
}

/* PV: the machine-addressed view (xdump's PT_LOADs flagged PF_MACHINE, for crash). Each page of
   a guest segment must be the page of the pfn that owns that machine frame; the segment of
   xdump's own p2m frame lists (PF_XDUMP) must lead, as crash walks it from the CRASH_INFO note's
   machine frame, to the world's mfn of every pfn the dump holds (below 2^27). */
#define PF_MACHINE 0x00100000u
#define PF_XDUMP 0x00200000u
static const uint8_t *machine_page(Elf *e, const uint8_t *img, size_t len, size_t phnum,
                                   uint64_t mfn)
{
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_MACHINE))
            continue;
        uint64_t first = ph.p_paddr / XS_PAGE_SIZE, n = ph.p_filesz / XS_PAGE_SIZE;
        if (mfn >= first && mfn - first < n && ph.p_offset + ph.p_filesz <= len)
            return img + ph.p_offset + (mfn - first) * XS_PAGE_SIZE;
    }
    return NULL;
}

static void check_machine(struct xsim_handle *h, const struct xsim_domain *d, Elf *e,
                          const uint8_t *img, size_t len, size_t phnum)
{
    uint64_t segs = 0, ok = 0, bad = 0, p2m_ok = 0, p2m_bad = 0, xsegs = 0, base = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_MACHINE))
            continue;
        if (ph.p_flags & PF_XDUMP) {
            xsegs++;
            base = ph.p_paddr / XS_PAGE_SIZE;
            continue;
        }
        segs++;
        for (uint64_t k = 0; k < ph.p_filesz / XS_PAGE_SIZE; k++) {
            static uint8_t want[XS_PAGE_SIZE];
            uint64_t pfn;
            const uint8_t *got = img + ph.p_offset + k * XS_PAGE_SIZE;
            if (ph.p_offset + ph.p_filesz > len ||
                !xsim_frame_to_pfn(h, d, ph.p_paddr / XS_PAGE_SIZE + k, &pfn))
                bad++;
            else if (is_unmappable(pfn) ? zero_page(got)
                                        : (xsim_read_page(h, d, pfn, want) == 0 &&
                                           !memcmp(want, got, XS_PAGE_SIZE)))
                ok++;
            else
                bad++;
        }
    }
    printf(
        "mach.segments=%llu\nmach.pages_ok=%llu\nmach.pages_bad=%llu\nmach.xdump_segments=%llu\n",
        (unsigned long long)segs, (unsigned long long)ok, (unsigned long long)bad,
        (unsigned long long)xsegs);
    if (!xsegs)
        return;
    /* crash's walk: frame-list list -> frame lists -> p2m pages, dense, 0 ends a list */
    const uint8_t *fll = machine_page(e, img, len, phnum, base);
    uint64_t pfn = 0;
    for (int i = 0; fll && i < 512; i++) {
        uint64_t fl_mfn;
        memcpy(&fl_mfn, fll + 8 * i, 8);
        if (!fl_mfn)
            break;
        const uint8_t *fl = machine_page(e, img, len, phnum, fl_mfn);
        for (int j = 0; j < 512; j++) {
            uint64_t p2m_mfn = 0;
            if (fl)
                memcpy(&p2m_mfn, fl + 8 * j, 8);
            if (!p2m_mfn)
                break;
            const uint8_t *pg = machine_page(e, img, len, phnum, p2m_mfn);
            for (int k = 0; k < 512; k++, pfn++) {
                uint64_t got = 0, want;
                if (pg)
                    memcpy(&got, pg + 8 * k, 8);
                bool present = xsim_pfn_to_frame(h, d, pfn, &want);
                if (present ? got == want : got == UINT64_MAX)
                    p2m_ok++;
                else
                    p2m_bad++;
            }
        }
    }
    printf("mach.p2m_entries_ok=%llu\nmach.p2m_entries_bad=%llu\n", (unsigned long long)p2m_ok,
           (unsigned long long)p2m_bad);
}

static int check_xen(struct xsim_handle *h, struct xsim_domain *d, Elf *e, const uint8_t *img,
                     size_t len)
{
    GElf_Shdr pages, index;
    int pv = 1;
    if (!section(e, ".xen_pages", &pages))
        return 0;
    if (!section(e, ".xen_p2m", &index)) {
        pv = 0;
        if (!section(e, ".xen_pfn", &index)) {
            printf("xen.error=no index section\n");
            return 0;
        }
    }
    uint64_t esz = pv ? 16 : 8, n = index.sh_size / esz;
    if (pages.sh_offset + n * XS_PAGE_SIZE > len || index.sh_offset + n * esz > len) {
        printf("xen.error=sections beyond the end of the file\n");
        return 0;
    }
    struct tally t = {0};
    uint8_t *seen = calloc(d->nr_frames + 1, 1);
    for (uint64_t j = 0; j < n; j++) {
        uint64_t pfn, gmfn = 0, want;
        memcpy(&pfn, img + index.sh_offset + j * esz, 8);
        if (pv)
            memcpy(&gmfn, img + index.sh_offset + j * esz + 8, 8);
        const uint8_t *p = img + pages.sh_offset + j * XS_PAGE_SIZE;
        if (pfn == INVALID) {
            t.pad++;
            continue;
        }
        if (pv && (!xsim_pfn_to_frame(h, d, pfn, &want) || want != gmfn))
            t.gmfn_bad++;
        check_page(h, d, pfn, p, &t, seen, d->nr_frames);
    }
    GElf_Shdr nsh;
    if (section(e, ".note.Xen", &nsh) && nsh.sh_offset + nsh.sh_size <= len) {
        /* the header note (type 0x2000001): {magic, nr_vcpus, nr_pages, page_size} */
        for (uint64_t pos = nsh.sh_offset; pos + 12 <= nsh.sh_offset + nsh.sh_size;) {
            uint32_t nsz, dsz, type;
            memcpy(&nsz, img + pos, 4), memcpy(&dsz, img + pos + 4, 4);
            memcpy(&type, img + pos + 8, 4);
            uint64_t desc = pos + 12 + ((nsz + 3) & ~3u);
            if (type == XEN_HDR && dsz == 32 && desc + 32 <= len) {
                uint64_t h4[4];
                memcpy(h4, img + desc, 32);
                printf("xen.magic=%#llx\nxen.nr_vcpus=%llu\nxen.nr_pages=%llu\n",
                       (unsigned long long)h4[0], (unsigned long long)h4[1],
                       (unsigned long long)h4[2]);
            }
            pos = desc + ((dsz + 3) & ~3u);
        }
    }
    printf("xen.format=%s\nxen.entries=%llu\nxen.gmfn_bad=%llu\n", pv ? "p2m" : "pfn",
           (unsigned long long)n, (unsigned long long)t.gmfn_bad);
    print_tally("xen", &t, count_missing(seen, d->nr_frames));
    free(seen);
    return 1;
}

/* The page a core must hold for the frame `frame` names (PV: a machine frame, HVM: a gfn),
   straight from the world: 1 ok, 0 wrong, -1 the frame is not the guest's. */
static int right_page(struct xsim_handle *h, const struct xsim_domain *d, uint64_t frame,
                      const uint8_t *got)
{
    static uint8_t want[XS_PAGE_SIZE];
    uint64_t pfn;
    if (!xsim_frame_to_pfn(h, d, frame, &pfn))
        return -1;
    if (is_unmappable(pfn))
        return zero_page(got);
    return xsim_read_page(h, d, pfn, want) == 0 && !memcmp(want, got, XS_PAGE_SIZE);
}

/* Every reader's view by p_paddr (drgn's physical reads, makedumpfile, libkdumpfile's ELF view,
   any script): each PT_LOAD page at p_paddr must be the right page for that address, and no
   address may be claimed twice with different bytes - whatever xdump's flags say, which such
   readers do not know. In a PV core p_paddr is a machine address (FORMAT.md): the right page
   at machine frame m is the page of the pfn the world gives m to. xdump's own p2m frame lists
   (PF_XDUMP) are not the guest's; they must only not collide. */
struct claim {
    uint64_t frame, off;
    int xdump;
};
static int by_frame(const void *a, const void *b)
{
    const struct claim *x = a, *y = b;
    return x->frame < y->frame   ? -1
           : x->frame > y->frame ? 1
                                 : (x->off > y->off) - (x->off < y->off);
}

static void check_paddr(struct xsim_handle *h, struct xsim_domain *d, Elf *e, const uint8_t *img,
                        size_t len, size_t phnum)
{
    size_t n = 0, cap = 0;
    struct claim *c = NULL;
    uint64_t ok = 0, bad = 0, foreign = 0, conflicts = 0, twice = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD ||
            ph.p_offset + ph.p_filesz > len)
            continue;
        for (uint64_t k = 0; k < ph.p_filesz / XS_PAGE_SIZE; k++) {
            if (n == cap) {
                cap = cap ? cap * 2 : 4096;
                c = realloc(c, cap * sizeof(*c));
                if (!c)
                    abort();
            }
            c[n++] = (struct claim){ph.p_paddr / XS_PAGE_SIZE + k, ph.p_offset + k * XS_PAGE_SIZE,
                                    !!(ph.p_flags & PF_XDUMP)};
        }
    }
    qsort(c, n, sizeof(*c), by_frame);
    for (size_t i = 0; i < n; i++) {
        if (i && c[i].frame == c[i - 1].frame) {
            twice++;
            if (c[i].off != c[i - 1].off &&
                memcmp(img + c[i].off, img + c[i - 1].off, XS_PAGE_SIZE))
                conflicts++;
            continue;
        }
        if (c[i].xdump)
            continue;
        int r = right_page(h, d, c[i].frame, img + c[i].off);
        r < 0 ? foreign++ : r ? ok++ : bad++;
    }
    printf("paddr.pages_ok=%llu\npaddr.pages_bad=%llu\npaddr.foreign=%llu\n"
           "paddr.claimed_twice=%llu\npaddr.conflicts=%llu\n",
           (unsigned long long)ok, (unsigned long long)bad, (unsigned long long)foreign,
           (unsigned long long)twice, (unsigned long long)conflicts);
    free(c);
}

/* The guest's own page tables, walked here from each vCPU's CR3 in the world (never through
   xdump): the frame (PV: machine, HVM: gfn) vaddr maps to, or false. 4 levels, or 5 with
   CR4.LA57; 1 GiB and 2 MiB pages. */
#define PTE_ADDR 0x000ffffffffff000ull
static bool walk(struct xsim_handle *h, const struct xsim_domain *d, uint64_t root, int levels,
                 uint64_t vaddr, uint64_t *frame)
{
    uint64_t table = root, pt[512];
    for (int lv = levels; lv >= 1; lv--) {
        uint64_t pfn;
        if (!xsim_frame_to_pfn(h, d, table, &pfn) || xsim_read_page(h, d, pfn, pt) < 0)
            return false;
        uint64_t e = pt[(vaddr >> (12 + 9 * (lv - 1))) & 511];
        if (!(e & 1))
            return false;
        if (lv == 1 || (lv <= 3 && (e & 0x80))) {
            uint64_t span = 1ull << (9 * (lv - 1)); /* pages */
            *frame = ((e & PTE_ADDR) >> 12 & ~(span - 1)) + ((vaddr >> 12) & (span - 1));
            return true;
        }
        table = (e & PTE_ADDR) >> 12;
    }
    return false;
}

/* Virtual segments: the page at each p_vaddr must be what some vCPU's page tables map there,
   and p_paddr the address of that frame (PV: machine, HVM: guest-physical). */
static void check_virtual(struct xsim_handle *h, struct xsim_domain *d, Elf *e, const uint8_t *img,
                          size_t len, size_t phnum)
{
    struct xsim_dommap *m = xsim_dommap(h, d);
    uint64_t roots[2 * 64];
    int nroots = 0, levels = 4;
    for (uint32_t v = 0; m && v <= d->max_vcpu_id && v < 64; v++) {
        const uint8_t *ctx = m->vcpus[v].ctx;
        uint64_t cr1, cr3, cr4;
        if (m->vcpus[v].err)
            continue;
        memcpy(&cr1, ctx + 4984 + 8, 8), memcpy(&cr3, ctx + 4984 + 24, 8);
        memcpy(&cr4, ctx + 4984 + 32, 8);
        if (cr4 & (1ull << 12))
            levels = 5;
        if (cr3)
            roots[nroots++] = cr3 >> 12; /* PV: xen_cr3_to_pfn() is cr3 >> 12 on x86-64 */
        if (d->type == XS_PV && cr1)
            roots[nroots++] = cr1 >> 12; /* the user page tables of a PV vCPU */
    }
    uint64_t vsegs = 0, vok = 0, vbad = 0, paddr_bad = 0, noncanon = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || ph.p_vaddr == 0)
            continue;
        vsegs++;
        int64_t sv = (int64_t)ph.p_vaddr;
        if ((sv >> 47) != 0 && (sv >> 47) != -1 && (sv >> 56) != 0 && (sv >> 56) != -1)
            noncanon++;
        if (ph.p_offset + ph.p_filesz > len || ph.p_filesz != ph.p_memsz) {
            vbad++;
            continue;
        }
        for (uint64_t k = 0; k < ph.p_filesz / XS_PAGE_SIZE; k++) {
            const uint8_t *got = img + ph.p_offset + k * XS_PAGE_SIZE;
            uint64_t va = ph.p_vaddr + k * XS_PAGE_SIZE, frame = 0;
            int good = 0, paddr_ok = 0;
            for (int r = 0; r < nroots && !good; r++)
                if (walk(h, d, roots[r], levels, va, &frame) && right_page(h, d, frame, got) == 1) {
                    good = 1;
                    paddr_ok = ph.p_paddr / XS_PAGE_SIZE + k == frame;
                }
            good ? vok++ : vbad++;
            paddr_bad += good && !paddr_ok;
        }
    }
    printf("virt.segments=%llu\nvirt.pages_ok=%llu\nvirt.pages_bad=%llu\nvirt.paddr_bad=%llu\n"
           "virt.noncanonical=%llu\n",
           (unsigned long long)vsegs, (unsigned long long)vok, (unsigned long long)vbad,
           (unsigned long long)paddr_bad, (unsigned long long)noncanon);
}

/* The physical view, as the format defines it: HVM/PVH's pfn-addressed segments (p_vaddr 0),
   PV's machine-addressed ones (each machine frame resolved to its pfn by the world, never by
   xdump's index); every pfn once. */
static void check_phys(struct xsim_handle *h, struct xsim_domain *d, Elf *e, const uint8_t *img,
                       size_t len)
{
    size_t phnum;
    if (elf_getphdrnum(e, &phnum) || phnum == 0) {
        printf("phys.segments=0\n");
        return;
    }
    struct tally t = {0};
    uint8_t *seen = calloc(d->nr_frames + 1, 1);
    uint64_t segs = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || ph.p_vaddr != 0 ||
            (ph.p_flags & PF_XDUMP))
            continue;
        bool machine = ph.p_flags & PF_MACHINE;
        segs++;
        if (ph.p_offset + ph.p_filesz > len || ph.p_filesz != ph.p_memsz ||
            (ph.p_paddr | ph.p_filesz) % XS_PAGE_SIZE) {
            printf("phys.error=segment %zu is malformed or beyond the end of the file\n", i);
            continue;
        }
        for (uint64_t k = 0; k < ph.p_filesz / XS_PAGE_SIZE; k++) {
            uint64_t pfn = ph.p_paddr / XS_PAGE_SIZE + k;
            if (machine && !xsim_frame_to_pfn(h, d, pfn, &pfn)) {
                t.hole++; /* a machine frame that is not the guest's */
                continue;
            }
            check_page(h, d, pfn, img + ph.p_offset + k * XS_PAGE_SIZE, &t, seen, d->nr_frames);
        }
    }
    printf("phys.segments=%llu\n", (unsigned long long)segs);
    check_machine(h, d, e, img, len, phnum);
    check_paddr(h, d, e, img, len, phnum);
    check_virtual(h, d, e, img, len, phnum);
    if (segs)
        print_tally("phys", &t, count_missing(seen, d->nr_frames));
    free(seen);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: corecheck WORLD DOMID CORE\n");
        return 2;
    }
    struct xsim_handle *h = xsim_open(argv[1]);
    struct xsim_domain *d = NULL;
    if (h) /* the domain may be gone by now (a test that killed it): look it up by id */
        for (uint32_t i = 0; i < h->w->nr_domains; i++)
            if (h->w->dom[i].domid == (uint32_t)strtoul(argv[2], NULL, 0))
                d = &h->w->dom[i];
    if (!d) {
        fprintf(stderr, "corecheck: no domain %s in world %s\n", argv[2], argv[1]);
        return 2;
    }
    int fd = open(argv[3], O_RDONLY);
    off_t len = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    elf_version(EV_CURRENT);
    Elf *e = len > 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
    char *img = e ? elf_rawfile(e, NULL) : NULL;
    if (!img) {
        fprintf(stderr, "corecheck: %s: not an ELF file (%s)\n", argv[3],
                len < 0 ? strerror(errno) : elf_errmsg(-1));
        return 2;
    }
    GElf_Ehdr eh;
    gelf_getehdr(e, &eh);
    printf("elf.type=%u\nelf.phnum=%u\nelf.shnum=%u\n", eh.e_type, eh.e_phnum, eh.e_shnum);
    size_t phnum = 0;
    elf_getphdrnum(e, &phnum);
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_NOTE)
            read_fail_note((const uint8_t *)img, (size_t)len, ph.p_offset, ph.p_filesz, h, d);
    }
    printf("unmappable.runs=%zu\nunmappable.frames=%llu\n", nfails,
           (unsigned long long)fail_frames);
    for (size_t i = 0; i < nfails; i++)
        printf("unmappable.run=%#llx,%llu,%d\n", (unsigned long long)fails[i].pfn,
               (unsigned long long)fails[i].count, fails[i].err);
    printf("prstatus.count=%llu\nprstatus.ok=%llu\nprstatus.bad=%llu\nprstatus.vcpus=%s\n",
           (unsigned long long)prs_count, (unsigned long long)prs_ok, (unsigned long long)prs_bad,
           prs_ids);
    check_xen(h, d, e, (const uint8_t *)img, (size_t)len);
    check_phys(h, d, e, (const uint8_t *)img, (size_t)len);
    elf_end(e);
    close(fd);
    xsim_close(h);
    return 0;
}
