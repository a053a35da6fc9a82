/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * corecmp XL_CORE XDUMP_CORE - compare a core written by Xen's own dumper (`xl dump-core`) with
 * one written by xdump, of the same (paused) domain. The real-Xen tests' oracle.
 *
 * Pages: both files carry Xen's dump-core sections (docs/misc/dump-core-format.txt in Xen):
 * `.xen_pages` indexed by `.xen_p2m` ({u64 pfn, u64 gmfn}, PV) or `.xen_pfn` (u64, HVM/PVH).
 * Every pfn in both is compared byte for byte; pfns only in one file are counted apart, and so
 * are pfns xdump lists as unmappable (its "XDUMP" type 1 note: their pages are zeros). Every
 * PT_LOAD of xdump's file is also read by p_paddr alone (PV: a machine address, resolved with
 * xl's own .xen_p2m) and compared with xl's page; no address may be claimed twice with
 * different bytes.
 *
 * Registers: xl's `.xen_prstatus` is an array of Xen's vcpu_guest_context_t (one per vCPU that
 * had a context, in vCPU order); xdump's are "CORE" NT_PRSTATUS notes (pr_pid = vCPU + 1) and
 * "QEMU" notes (for cr3). The k-th context is compared with the k-th note.
 *
 * --xen-written PFN,...: pages Xen itself writes while the guest is paused (event channels,
 * vCPU info: checks/xen-written.py finds them); a difference there is counted apart.
 *
 * Output: key=value lines. Exit 0 when every compared page and register agrees, 1 when some
 * differ (or nothing could be compared), 2 when a file cannot be read.
 *
 * Build alone: gcc -std=gnu11 -O2 -o corecmp corecmp.c -lelf
 */
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096u
#define NO_PFN (~0ull)
#define XEN_NOTE_HEADER 0x2000001
#define XDUMP_NOTE_UNMAPPABLE 1
#define MAX_LISTED 8

/*
 * vcpu_guest_context_t on x86-64 (xen/arch-x86/xen.h, xen/arch-x86/xen-x86_64.h), checked
 * against Debian's 4.17 headers: fpu_ctxt[512], u64 flags, struct cpu_user_regs user_regs @520
 * (15 GPRs r15..rdi, u32 error_code, u32 entry_vector, rip, u16 cs + pad, rflags, rsp, u16 ss,
 * es, ds, fs, gs, each padded to 8), ..., ctrlreg[8] @4984, fs_base @5144,
 * gs_base_kernel @5152, gs_base_user @5160; 5168 bytes.
 */
#define CTX_SIZE 5168
#define CTX_REGS 520
#define CTX_RIP (CTX_REGS + 128)
#define CTX_CS (CTX_REGS + 136)
#define CTX_RFLAGS (CTX_REGS + 144)
#define CTX_RSP (CTX_REGS + 152)
#define CTX_SS (CTX_REGS + 160)
#define CTX_ES (CTX_REGS + 168)
#define CTX_DS (CTX_REGS + 176)
#define CTX_FS (CTX_REGS + 184)
#define CTX_GS (CTX_REGS + 192)
#define CTX_CR3 (4984 + 3 * 8)
#define CTX_FS_BASE 5144
#define CTX_GS_BASE_KERNEL 5152
#define CTX_GS_BASE_USER 5160
#define CTX_FLAGS 512 /* after fpu_ctxt */
#define VGCF_IN_KERNEL (1u << 2)

/* NT_PRSTATUS on x86-64: pr_pid @32, pr_reg @112 (27 x u64), 336 bytes. */
#define PRSTATUS_SIZE 336
#define PR_PID 32
#define PR_REG 112
enum {
    R_R15,
    R_R14,
    R_R13,
    R_R12,
    R_RBP,
    R_RBX,
    R_R11,
    R_R10,
    R_R9,
    R_R8,
    R_RAX,
    R_RCX,
    R_RDX,
    R_RSI,
    R_RDI,
    R_ORIG_RAX,
    R_RIP,
    R_CS,
    R_EFLAGS,
    R_RSP,
    R_SS,
    R_FS_BASE,
    R_GS_BASE,
    R_DS,
    R_ES,
    R_FS,
    R_GS,
    NR_PR_REGS
};
static const char *const pr_names[NR_PR_REGS] = {
    "r15",    "r14", "r13", "r12",     "rbp",     "rbx", "r11",      "r10", "r9",
    "r8",     "rax", "rcx", "rdx",     "rsi",     "rdi", "orig_rax", "rip", "cs",
    "eflags", "rsp", "ss",  "fs_base", "gs_base", "ds",  "es",       "fs",  "gs"};

/* QEMUCPUState v1: u32 version, size; 18 x u64; 10 segments x 24; u64 cr[5] @392. */
#define QEMU_CR3 (392 + 3 * 8)
#define QEMU_KERNEL_GS_BASE 432
#define QEMU_MIN_SIZE (392 + 5 * 8)

#define MAX_VCPUS 512

struct entry {
    uint64_t pfn;
    uint64_t gmfn;  /* PV only, else NO_PFN */
    uint64_t index; /* page number in .xen_pages */
};

struct failrun {
    uint64_t pfn, count;
    int32_t err;
};

struct core {
    const char *path;
    const uint8_t *map;
    size_t size;
    Elf *elf;
    int pv; /* .xen_p2m (1) or .xen_pfn (0) */
    const uint8_t *pages;
    uint64_t nr_pages; /* pages in .xen_pages */
    struct entry *idx;
    uint64_t nr_idx; /* valid index entries */
    uint64_t invalid_idx;
    const uint8_t *prstatus; /* .xen_prstatus */
    uint64_t nr_ctx;
    uint64_t hdr_nr_vcpus, hdr_nr_pages, hdr_magic;
    const uint8_t *prs[MAX_VCPUS]; /* "CORE" NT_PRSTATUS descriptors */
    unsigned nr_prs;
    const uint8_t *qemu[MAX_VCPUS]; /* "QEMU" descriptors */
    unsigned nr_qemu;
    struct failrun *fails;
    size_t nr_fails;
};

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static int fail(const struct core *c, const char *what)
{
    fprintf(stderr, "corecmp: %s: %s\n", c->path, what);
    return -1;
}

/* A section's bytes inside the mapped file, or NULL. */
static const uint8_t *section(struct core *c, const char *name, uint64_t *size)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(c->elf, &shstrndx) != 0)
        return NULL;
    for (Elf_Scn *scn = elf_nextscn(c->elf, NULL); scn; scn = elf_nextscn(c->elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *n = elf_strptr(c->elf, shstrndx, sh.sh_name);
        if (!n || strcmp(n, name) != 0)
            continue;
        if (sh.sh_type == SHT_NOBITS || sh.sh_offset > c->size ||
            sh.sh_size > c->size - sh.sh_offset)
            return NULL;
        *size = sh.sh_size;
        return c->map + sh.sh_offset;
    }
    return NULL;
}

/* Walk the notes in [p, p + len): remember the ones this program reads. */
static void scan_notes(struct core *c, const uint8_t *p, uint64_t len)
{
    uint64_t off = 0;
    while (len - off >= 12) {
        uint32_t namesz = rd32(p + off), descsz = rd32(p + off + 4), type = rd32(p + off + 8);
        uint64_t name_off = off + 12;
        uint64_t desc_off = name_off + ((namesz + 3ull) & ~3ull);
        uint64_t next = desc_off + ((descsz + 3ull) & ~3ull);
        if (next > len || next <= off)
            break;
        const char *name = (const char *)(p + name_off);
        const uint8_t *desc = p + desc_off;
        if (namesz == 5 && memcmp(name, "CORE", 5) == 0 && type == NT_PRSTATUS &&
            descsz >= PRSTATUS_SIZE && c->nr_prs < MAX_VCPUS)
            c->prs[c->nr_prs++] = desc;
        else if (namesz == 5 && memcmp(name, "QEMU", 5) == 0 && type == 0 &&
                 descsz >= QEMU_MIN_SIZE && c->nr_qemu < MAX_VCPUS)
            c->qemu[c->nr_qemu++] = desc;
        else if (namesz == 4 && memcmp(name, "Xen", 4) == 0 && type == XEN_NOTE_HEADER &&
                 descsz >= 32 && !c->hdr_magic) {
            c->hdr_magic = rd64(desc);
            c->hdr_nr_vcpus = rd64(desc + 8);
            c->hdr_nr_pages = rd64(desc + 16);
        } else if (namesz == 6 && memcmp(name, "XDUMP", 6) == 0 && type == XDUMP_NOTE_UNMAPPABLE &&
                   !c->fails) {
            c->nr_fails = descsz / 24;
            c->fails = calloc(c->nr_fails + 1, sizeof(*c->fails));
            for (size_t i = 0; c->fails && i < c->nr_fails; i++) {
                c->fails[i].pfn = rd64(desc + 24 * i);
                c->fails[i].count = rd64(desc + 24 * i + 8);
                c->fails[i].err = (int32_t)rd32(desc + 24 * i + 16);
            }
        }
        off = next;
    }
}

/* Notes: from the PT_NOTE segments when there are program headers, else from SHT_NOTE
 * sections (Xen's own dumper writes no program headers). */
static void read_notes(struct core *c)
{
    size_t phnum = 0;
    int from_phdrs = 0;
    if (elf_getphdrnum(c->elf, &phnum) == 0) {
        for (size_t i = 0; i < phnum; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(c->elf, (int)i, &ph) || ph.p_type != PT_NOTE)
                continue;
            if (ph.p_offset > c->size || ph.p_filesz > c->size - ph.p_offset)
                continue;
            scan_notes(c, c->map + ph.p_offset, ph.p_filesz);
            from_phdrs = 1;
        }
    }
    if (from_phdrs)
        return;
    for (Elf_Scn *scn = elf_nextscn(c->elf, NULL); scn; scn = elf_nextscn(c->elf, scn)) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE && sh.sh_offset <= c->size &&
            sh.sh_size <= c->size - sh.sh_offset)
            scan_notes(c, c->map + sh.sh_offset, sh.sh_size);
    }
}

static int read_index(struct core *c)
{
    uint64_t sz = 0, psz = 0;
    const uint8_t *p2m = section(c, ".xen_p2m", &sz);
    c->pv = p2m != NULL;
    if (!p2m && !(p2m = section(c, ".xen_pfn", &sz)))
        return fail(c, "neither .xen_p2m nor .xen_pfn");
    if (!(c->pages = section(c, ".xen_pages", &psz)))
        return fail(c, "no .xen_pages");
    c->nr_pages = psz / PAGE;
    unsigned esz = c->pv ? 16 : 8;
    uint64_t n = sz / esz;
    if (n > c->nr_pages)
        n = c->nr_pages;
    c->idx = calloc(n + 1, sizeof(*c->idx));
    if (!c->idx)
        return fail(c, "out of memory");
    for (uint64_t i = 0; i < n; i++) {
        uint64_t pfn = rd64(p2m + i * esz);
        if (pfn == NO_PFN) {
            c->invalid_idx++;
            continue;
        }
        struct entry *e = &c->idx[c->nr_idx++];
        e->pfn = pfn;
        e->gmfn = c->pv ? rd64(p2m + i * esz + 8) : NO_PFN;
        e->index = i;
    }
    qsort(c->idx, c->nr_idx, sizeof(*c->idx), cmp_entry);
    uint64_t ctxsz = 0;
    c->prstatus = section(c, ".xen_prstatus", &ctxsz);
    c->nr_ctx = c->prstatus ? ctxsz / CTX_SIZE : 0;
    return 0;
}

static int open_core(struct core *c, const char *path)
{
    memset(c, 0, sizeof(*c));
    c->path = path;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 64) {
        close(fd);
        return fail(c, "not a core file (too small)");
    }
    c->size = (size_t)st.st_size;
    c->map = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (c->map == MAP_FAILED) {
        close(fd);
        return fail(c, "cannot mmap");
    }
    c->elf = elf_memory((char *)c->map, c->size);
    close(fd);
    if (!c->elf || elf_kind(c->elf) != ELF_K_ELF || gelf_getclass(c->elf) != ELFCLASS64)
        return fail(c, "not a 64-bit ELF file");
    read_notes(c);
    return read_index(c);
}

static const struct entry *find(const struct core *c, uint64_t pfn)
{
    struct entry key = {.pfn = pfn};
    return bsearch(&key, c->idx, c->nr_idx, sizeof(*c->idx), cmp_entry);
}

static const struct failrun *unmappable(const struct core *c, uint64_t pfn)
{
    for (size_t i = 0; i < c->nr_fails; i++)
        if (pfn >= c->fails[i].pfn && pfn - c->fails[i].pfn < c->fails[i].count)
            return &c->fails[i];
    return NULL;
}

static uint64_t count_duplicates(const struct core *c)
{
    uint64_t d = 0;
    for (uint64_t i = 1; i < c->nr_idx; i++)
        d += c->idx[i].pfn == c->idx[i - 1].pfn;
    return d;
}

struct list {
    uint64_t n;
    char text[MAX_LISTED * 24];
};

static void note_pfn(struct list *l, uint64_t pfn)
{
    if (l->n++ < MAX_LISTED) {
        size_t len = strlen(l->text);
        snprintf(l->text + len, sizeof(l->text) - len, "%s0x%" PRIx64, len ? "," : "", pfn);
    }
}

static void print_list(const char *key, const struct list *l)
{
    printf("%s=%" PRIu64 "\n", key, l->n);
    if (l->n)
        printf("%s_first=%s%s\n", key, l->text, l->n > MAX_LISTED ? ",..." : "");
}

/* Pages Xen writes into a paused guest (--xen-written): event-channel and vCPU-info pages. A
   difference there is counted apart (.different_xen_written), not as .different. */
#define MAX_XEN_WRITTEN 256
static uint64_t xen_written[MAX_XEN_WRITTEN];
static size_t nr_xen_written;

static bool is_xen_written(uint64_t pfn)
{
    for (size_t i = 0; i < nr_xen_written; i++)
        if (xen_written[i] == pfn)
            return true;
    return false;
}

/* Every pfn of either core: equal, different, only in one, unmappable in xdump. */
static int compare_pages(const struct core *xl, const struct core *xd)
{
    struct list diff = {0}, only_xl = {0}, only_xd = {0}, unm_data = {0}, gmfn = {0}, xenw = {0};
    uint64_t compared = 0, equal = 0, unm = 0, unm_zero = 0;
    static const uint8_t zero[PAGE];

    for (uint64_t i = 0; i < xl->nr_idx; i++) {
        const struct entry *a = &xl->idx[i];
        if (i && a->pfn == xl->idx[i - 1].pfn)
            continue;
        const struct entry *b = find(xd, a->pfn);
        const uint8_t *pa = xl->pages + a->index * PAGE;
        if (unmappable(xd, a->pfn)) {
            unm++;
            if (memcmp(pa, zero, PAGE) == 0)
                unm_zero++;
            else
                note_pfn(&unm_data, a->pfn);
            continue;
        }
        if (!b) {
            note_pfn(&only_xl, a->pfn);
            continue;
        }
        compared++;
        if (memcmp(pa, xd->pages + b->index * PAGE, PAGE) == 0)
            equal++;
        else
            note_pfn(is_xen_written(a->pfn) ? &xenw : &diff, a->pfn);
        if (xl->pv && xd->pv && a->gmfn != b->gmfn)
            note_pfn(&gmfn, a->pfn);
    }
    for (uint64_t i = 0; i < xd->nr_idx; i++) {
        const struct entry *b = &xd->idx[i];
        if ((i && b->pfn == xd->idx[i - 1].pfn) || find(xl, b->pfn))
            continue;
        if (unmappable(xd, b->pfn))
            unm++;
        else
            note_pfn(&only_xd, b->pfn);
    }
    printf("pages.compared=%" PRIu64 "\n", compared);
    printf("pages.equal=%" PRIu64 "\n", equal);
    print_list("pages.different", &diff);
    print_list("pages.different_xen_written", &xenw);
    print_list("pages.only_xl", &only_xl);
    print_list("pages.only_xdump", &only_xd);
    printf("pages.xdump_unmappable=%" PRIu64 "\n", unm);
    printf("pages.xdump_unmappable_zero_in_xl=%" PRIu64 "\n", unm_zero);
    print_list("pages.xdump_unmappable_with_data_in_xl", &unm_data);
    if (xl->pv && xd->pv)
        print_list("pages.gmfn_different", &gmfn);
    return compared > 0 && diff.n == 0 && gmfn.n == 0 ? 0 : 1;
}

/* Every PT_LOAD of xdump's file read by p_paddr alone, as a reader that knows none of xdump's
   flags does (drgn's physical reads, makedumpfile, a script), against xl's pages. For a PV
   core p_paddr is a machine address (docs/FORMAT.md): the page at machine frame m is the page
   of the pfn xl's own .xen_p2m gives m to. xdump's p2m frame lists (flag 0x00200000) are not
   guest pages. An address claimed twice with different bytes is a conflict. Also said: how many
   of the guest's machine frames fall inside its own pfn range (the overlap of the two views). */
struct claim {
    uint64_t frame, off;
};
static int cmp_u64(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] > y[1]) - (x[1] < y[1]);
}

static int compare_phys(const struct core *xl, const struct core *xd)
{
    size_t phnum = 0;
    uint64_t compared = 0, equal = 0, absent = 0, conflicts = 0, twice = 0, overlap = 0;
    struct list diff = {0}, xenw = {0};
    if (elf_getphdrnum(xd->elf, &phnum) != 0)
        return 0;
    /* xl's machine frames, sorted: {gmfn, pfn} */
    uint64_t(*m2p)[2] = xl->pv ? calloc(xl->nr_idx ? xl->nr_idx : 1, sizeof(*m2p)) : NULL;
    uint64_t max_pfn = xl->nr_idx ? xl->idx[xl->nr_idx - 1].pfn : 0;
    for (uint64_t i = 0; m2p && i < xl->nr_idx; i++) {
        m2p[i][0] = xl->idx[i].gmfn, m2p[i][1] = xl->idx[i].pfn;
        overlap += xl->idx[i].gmfn <= max_pfn;
    }
    if (m2p)
        qsort(m2p, xl->nr_idx, sizeof(*m2p), cmp_u64);
    size_t n = 0, cap = 0;
    struct claim *c = NULL;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(xd->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
            continue;
        if (ph.p_offset > xd->size || ph.p_filesz > xd->size - ph.p_offset)
            continue;
        for (uint64_t off = 0; off + PAGE <= ph.p_filesz; off += PAGE) {
            if (n == cap) {
                cap = cap ? 2 * cap : 65536;
                if (!(c = realloc(c, cap * sizeof(*c))))
                    abort();
            }
            c[n++] = (struct claim){(ph.p_paddr + off) / PAGE, ph.p_offset + off};
            if (ph.p_flags & 0x00200000u) /* xdump's p2m frame lists: not the guest's */
                continue;
            uint64_t frame = (ph.p_paddr + off) / PAGE, pfn = frame;
            if (m2p) {
                uint64_t key[2] = {frame, 0}, lo = 0, hi = xl->nr_idx;
                while (lo < hi) {
                    uint64_t mid = (lo + hi) / 2;
                    if (cmp_u64(m2p[mid], key) < 0)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                pfn = lo < xl->nr_idx && m2p[lo][0] == frame ? m2p[lo][1] : NO_PFN;
            }
            const struct entry *a = pfn == NO_PFN ? NULL : find(xl, pfn);
            if (!a || unmappable(xd, pfn)) {
                absent++;
                continue;
            }
            compared++;
            if (memcmp(xl->pages + a->index * PAGE, xd->map + ph.p_offset + off, PAGE) == 0)
                equal++;
            else
                note_pfn(is_xen_written(pfn) ? &xenw : &diff, pfn);
        }
    }
    qsort(c, n, sizeof(*c), cmp_u64);
    for (size_t i = 1; i < n; i++)
        if (c[i].frame == c[i - 1].frame) {
            twice++;
            conflicts += memcmp(xd->map + c[i].off, xd->map + c[i - 1].off, PAGE) != 0;
        }
    free(c);
    free(m2p);
    printf("phys.compared=%" PRIu64 "\n", compared);
    printf("phys.equal=%" PRIu64 "\n", equal);
    print_list("phys.different", &diff);
    print_list("phys.different_xen_written", &xenw);
    printf("phys.not_in_xl_or_unmappable=%" PRIu64 "\n", absent);
    printf("phys.claimed_twice=%" PRIu64 "\nphys.conflicts=%" PRIu64 "\n", twice, conflicts);
    if (xl->pv)
        printf("p2m.mfns_inside_pfn_range=%" PRIu64 "\n", overlap);
    return diff.n || conflicts ? 1 : 0;
}

/* The xl context's value of NT_PRSTATUS register r, or 0 with *skip set. */
static uint64_t ctx_reg(const uint8_t *ctx, int r, int *skip)
{
    *skip = 0;
    if (r <= R_RDI)
        return rd64(ctx + CTX_REGS + 8 * r);
    switch (r) {
    case R_RIP:
        return rd64(ctx + CTX_RIP);
    case R_CS:
        return rd64(ctx + CTX_CS) & 0xffff;
    case R_EFLAGS:
        return rd64(ctx + CTX_RFLAGS);
    case R_RSP:
        return rd64(ctx + CTX_RSP);
    case R_SS:
        return rd64(ctx + CTX_SS) & 0xffff;
    case R_FS_BASE:
        return rd64(ctx + CTX_FS_BASE);
    case R_DS:
        return rd64(ctx + CTX_DS) & 0xffff;
    case R_ES:
        return rd64(ctx + CTX_ES) & 0xffff;
    case R_FS:
        return rd64(ctx + CTX_FS) & 0xffff;
    case R_GS:
        return rd64(ctx + CTX_GS) & 0xffff;
    default:
        *skip = 1;
        return 0; /* orig_rax: no such thing in Xen; gs_base: below */
    }
}

/* The pfn xl's own p2m gives for machine frame mfn (PV), or NO_PFN. */
static uint64_t mfn_to_pfn(const struct core *xl, uint64_t mfn)
{
    for (uint64_t i = 0; i < xl->nr_idx; i++)
        if (xl->idx[i].gmfn == mfn)
            return xl->idx[i].pfn;
    return NO_PFN;
}

static int compare_vcpu(const struct core *xl, const struct core *xd, unsigned k)
{
    const uint8_t *ctx = xl->prstatus + (uint64_t)k * CTX_SIZE;
    const uint8_t *reg = xd->prs[k] + PR_REG;
    int bad = 0, skip;
    printf("vcpu%u.xdump_pid=%d\n", k, (int)rd32(xd->prs[k] + PR_PID));
    for (int r = 0; r < NR_PR_REGS; r++) {
        uint64_t want = ctx_reg(ctx, r, &skip), got = rd64(reg + 8 * r);
        if (skip)
            continue;
        int ok = want == got;
        if (r == R_RIP || r == R_RSP || r == R_RAX || r == R_CS || !ok)
            printf("vcpu%u.%s=0x%" PRIx64 " xl=0x%" PRIx64 " %s\n", k, pr_names[r], got, want,
                   ok ? "match" : "DIFFERENT");
        bad += !ok;
    }
    /* gs_base: the live GS base. Xen's context names its two bases by mode, not by role
       (xen/arch/x86/domctl.c, arch_get_info_guest(), 4.17.7 lines 1490-1499: an HVM vCPU in
       ring 0 has the live base in gs_base_kernel, in ring 3 in gs_base_user; 1524-1525 and
       1556: a PV vCPU's bases per mode, VGCF_in_kernel saying the mode). The QEMU note's
       kernel_gs_base is the other one. */
    uint64_t gsk = rd64(ctx + CTX_GS_BASE_KERNEL), gsu = rd64(ctx + CTX_GS_BASE_USER);
    uint64_t gs = rd64(reg + 8 * R_GS_BASE);
    bool kernel = xl->pv ? (rd64(ctx + CTX_FLAGS) & VGCF_IN_KERNEL) != 0
                         : (rd64(ctx + CTX_CS) & 3) == 0;
    uint64_t live = kernel ? gsk : gsu, shadow = kernel ? gsu : gsk;
    printf("vcpu%u.gs_base=0x%" PRIx64 " xl.gs_base_kernel=0x%" PRIx64 " xl.gs_base_user=0x%" PRIx64
           " (%s mode) %s\n",
           k, gs, gsk, gsu, kernel ? "kernel" : "user", gs == live ? "match" : "DIFFERENT");
    bad += gs != live;
    if (k < xd->nr_qemu) {
        uint64_t kgs = rd64(xd->qemu[k] + QEMU_KERNEL_GS_BASE);
        printf("vcpu%u.kernel_gs_base=0x%" PRIx64 " %s\n", k, kgs,
               kgs == shadow ? "match" : "DIFFERENT");
        bad += kgs != shadow;
    }
    uint64_t cr3 = rd64(ctx + CTX_CR3);
    if (k < xd->nr_qemu) {
        uint64_t qcr3 = rd64(xd->qemu[k] + QEMU_CR3);
        const char *how = "DIFFERENT";
        if (qcr3 == cr3)
            how = "match";
        else if (xl->pv && mfn_to_pfn(xl, cr3 >> 12) != NO_PFN &&
                 (qcr3 >> 12) == mfn_to_pfn(xl, cr3 >> 12) && (qcr3 & 0xfff) == (cr3 & 0xfff))
            how = "match_as_pfn";
        printf("vcpu%u.cr3=0x%" PRIx64 " xl=0x%" PRIx64 " %s\n", k, qcr3, cr3, how);
        bad += how[0] == 'D';
    } else {
        printf("vcpu%u.cr3=none xl=0x%" PRIx64 "\n", k, cr3);
    }
    return bad;
}

static int compare_regs(const struct core *xl, const struct core *xd)
{
    unsigned n = xd->nr_prs;
    printf("regs.xl_contexts=%" PRIu64 "\n", xl->nr_ctx);
    printf("regs.xdump_prstatus=%u\n", xd->nr_prs);
    printf("regs.xdump_qemu=%u\n", xd->nr_qemu);
    if (xl->nr_ctx < n)
        n = (unsigned)xl->nr_ctx;
    int bad = 0;
    for (unsigned k = 0; k < n; k++)
        bad += compare_vcpu(xl, xd, k);
    printf("regs.vcpus_compared=%u\n", n);
    printf("regs.different=%d\n", bad);
    return n == 0 || bad || xl->nr_ctx != xd->nr_prs ? 1 : 0;
}

static void describe(const char *who, const struct core *c)
{
    printf("%s.kind=%s\n", who, c->pv ? "pv" : "hvm");
    printf("%s.pages=%" PRIu64 "\n", who, c->nr_pages);
    printf("%s.index_valid=%" PRIu64 "\n", who, c->nr_idx);
    printf("%s.index_invalid=%" PRIu64 "\n", who, c->invalid_idx);
    printf("%s.duplicate_pfns=%" PRIu64 "\n", who, count_duplicates(c));
    if (c->nr_idx)
        printf("%s.pfn_range=0x%" PRIx64 "-0x%" PRIx64 "\n", who, c->idx[0].pfn,
               c->idx[c->nr_idx - 1].pfn);
    printf("%s.header_magic=0x%" PRIx64 "\n", who, c->hdr_magic);
    printf("%s.header_nr_vcpus=%" PRIu64 "\n", who, c->hdr_nr_vcpus);
    printf("%s.header_nr_pages=%" PRIu64 "\n", who, c->hdr_nr_pages);
    printf("%s.contexts=%" PRIu64 "\n", who, c->nr_ctx);
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--xen-written")) {
        /* PFN,PFN,...: pages Xen writes while the guest is paused (checks/xen-written.py) */
        for (char *s = argv[2], *end; *s && nr_xen_written < MAX_XEN_WRITTEN; s = end) {
            xen_written[nr_xen_written++] = strtoull(s, &end, 0);
            if (end == s || (*end && *end++ != ','))
                return fprintf(stderr, "corecmp: bad pfn list '%s'\n", argv[2]), 2;
        }
        argv += 2;
        argc -= 2;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: corecmp [--xen-written PFN,PFN,...] XL_CORE XDUMP_CORE\n");
        return 2;
    }
    if (elf_version(EV_CURRENT) == EV_NONE)
        return 2;
    static struct core xl, xd;
    if (open_core(&xl, argv[1]) != 0 || open_core(&xd, argv[2]) != 0)
        return 2;
    describe("xl", &xl);
    describe("xdump", &xd);
    printf("xdump.unmappable_runs=%zu\n", xd.nr_fails);
    for (size_t i = 0; i < xd.nr_fails && i < MAX_LISTED; i++)
        printf("xdump.unmappable[%zu]=0x%" PRIx64 "+%" PRIu64 " errno=%d\n", i, xd.fails[i].pfn,
               xd.fails[i].count, xd.fails[i].err);
    int bad = compare_pages(&xl, &xd);
    bad |= compare_phys(&xl, &xd);
    bad |= compare_regs(&xl, &xd);
    printf("result=%s\n", bad ? "DIFFERENT" : "SAME");
    return bad;
}
