/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim's builder: reads a world file and lays the world out in a directory - the domain
 * records, each domain's present frames, its memory contents, and for PV domains the guest
 * structures a dumper reads: the p2m as a Linux guest publishes it (the linear list mapped
 * through page tables at p2m_vaddr, and the 3-level frame-list tree), with shared "missing"
 * frames for the absent parts exactly as Linux shares p2m_missing.
 */
#include "build.h"
#include "world.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/sched.h>

#define MAX_RAM 64
#define MAX_LOADS 16
#define MAX_REGS 32
#define INVALID_P2M (~0ull)
#define PTE_TABLE 0x67ull                       /* present, rw, user, accessed, dirty */
#define PTE_LEAF 0x8000000000000063ull          /* present, rw, accessed, dirty, NX */
#define DEFAULT_P2M_VADDR 0xffffc90000000000ull /* 1 GiB aligned, like Linux's vmalloc'd p2m */

enum fill { FILL_PATTERN, FILL_RANDOM, FILL_ZERO, FILL_SPARSE };
enum vstate { V_ONLINE, V_OFFLINE, V_DOWN };

struct reg_set {
    char name[24];
    uint64_t value;
};

struct vcpu_spec {
    int state;
    int nregs;
    struct reg_set regs[MAX_REGS];
};

struct dom_spec {
    uint32_t domid;
    char name[XS_NAME_MAX];
    int type;
    uint64_t ram[MAX_RAM][2];                                   /* first, last pfn */
    uint64_t stripe_first, stripe_n, stripe_len, stripe_stride; /* ram-stripes */
    int nram;
    int p2m_list;
    uint64_t p2m_vaddr, p2m_size, max_pages;
    uint64_t mfn_base;   /* PV: the first machine frame of the domain's memory (0: the next free) */
    uint64_t mfn_extent; /* PV: frames per shuffled extent (0: XS_EXTENT) */
    int fill;
    uint64_t seed;
    unsigned zero_pct;
    uint32_t nvcpus;
    struct vcpu_spec *vcpu; /* [XS_MAX_VCPUS] */
    int life, reason, paused;
    struct xsim_fault faults[XS_MAX_FAULTS];
    uint32_t nfaults;
    uint64_t die_after, delay_ns, pause_ns;
    uint32_t sim_flags;
    uint32_t pci_passthrough; /* `pci-passthrough`: an assigned device (has_arch_pdevs) */
    int pv_pagetables;        /* rewrite the loaded guest's page tables into machine frames */
    uint64_t shinfo_gfn;      /* HVM/PVH: shared_info placed here */
    uint32_t gnt_version, gnt_frames; /* grant_table */
    uint64_t gnt_gfn, gnt_status_gfn; /* where its frames are placed */
    struct {
        char path[1024];
        uint64_t pfn;
    } load[MAX_LOADS];
    int nloads;
};

struct builder {
    char *err;
    size_t errlen;
    int line;
    uint32_t xen_minor;      /* the release the world imitates */
    uint32_t shadow_paging;  /* `shadow-paging on`: Xen built with CONFIG_SHADOW_PAGING */
    uint32_t m2p_unmappable; /* `m2p unmappable` */
    struct xsim_world *w;
    struct xsim_handle *h;
};

static int fail(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct builder *b, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (b->line)
        snprintf(b->err, b->errlen, "line %d: %s", b->line, msg);
    else
        snprintf(b->err, b->errlen, "%s", msg);
    return -1;
}

/* ---- parsing ------------------------------------------------------------------------------ */

static int parse_num(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return -1;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K':
        shift = 10;
        end++;
        break;
    case 'M':
        shift = 20;
        end++;
        break;
    case 'G':
        shift = 30;
        end++;
        break;
    case 'T':
        shift = 40;
        end++;
        break;
    }
    if (*end || (shift && v > (~0ull >> shift)))
        return -1;
    *out = v << shift;
    return 0;
}

static const struct {
    const char *name;
    int value;
} errnos[] = {{"EFAULT", EFAULT}, {"EINVAL", EINVAL}, {"EPERM", EPERM}, {"EIO", EIO},
              {"ENOMEM", ENOMEM}, {"EBUSY", EBUSY},   {"ESRCH", ESRCH}, {"EACCES", EACCES}};

static int parse_errno(const char *s)
{
    for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
        if (!strcmp(s, errnos[i].name))
            return errnos[i].value;
    uint64_t v;
    return parse_num(s, &v) == 0 && v > 0 && v < 4096 ? (int)v : -1;
}

/* Adds HVM-like RAM of `bytes`: below the VGA hole, above it, and past 4 GiB what does not
   fit under the MMIO hole (as hvmloader lays guests out). */
static void hvm_memory(struct dom_spec *s, uint64_t pages)
{
    const uint64_t vga_lo = 0xa0, vga_hi = 0xc0, mmio = 0xf0000, high = 0x100000;
    s->nram = 0;
    uint64_t low = pages < vga_lo ? pages : vga_lo;
    s->ram[s->nram][0] = 0;
    s->ram[s->nram++][1] = low - 1;
    if (pages <= vga_lo)
        return;
    uint64_t rest = pages - vga_lo, mid = rest < mmio - vga_hi ? rest : mmio - vga_hi;
    s->ram[s->nram][0] = vga_hi;
    s->ram[s->nram++][1] = vga_hi + mid - 1;
    if (rest > mid) {
        s->ram[s->nram][0] = high;
        s->ram[s->nram++][1] = high + (rest - mid) - 1;
    }
}

static int parse_vcpu(struct builder *b, struct dom_spec *s, char **tok, int n)
{
    uint64_t id;
    if (n < 3 || parse_num(tok[1], &id) || id >= XS_MAX_VCPUS)
        return fail(b, "vcpu: expected 'vcpu ID down|offline|REG=VALUE...'");
    struct vcpu_spec *v = &s->vcpu[id];
    for (int i = 2; i < n; i++) {
        if (!strcmp(tok[i], "down")) {
            v->state = V_DOWN;
            continue;
        }
        if (!strcmp(tok[i], "offline")) {
            v->state = V_OFFLINE;
            continue;
        }
        char *eq = strchr(tok[i], '=');
        if (!eq || v->nregs == MAX_REGS || (size_t)(eq - tok[i]) >= sizeof(v->regs[0].name))
            return fail(b, "vcpu: bad register setting '%s'", tok[i]);
        struct reg_set *r = &v->regs[v->nregs++];
        memcpy(r->name, tok[i], (size_t)(eq - tok[i]));
        r->name[eq - tok[i]] = 0;
        if (parse_num(eq + 1, &r->value))
            return fail(b, "vcpu: bad value in '%s'", tok[i]);
    }
    return 0;
}

static int parse_fault(struct builder *b, struct dom_spec *s, char **tok, int n)
{
    uint64_t a, c, r;
    if (n == 3 && !strcmp(tok[1], "die-after") && !parse_num(tok[2], &a)) {
        s->die_after = a;
        return 0;
    }
    if (n == 2 && !strcmp(tok[1], "no-hvm-context")) {
        s->sim_flags |= XS_NO_HVM_CONTEXT;
        return 0;
    }
    if (n == 3 && !strcmp(tok[1], "delay-ns") && !parse_num(tok[2], &a)) {
        s->delay_ns = a;
        return 0;
    }
    if (n == 3 && !strcmp(tok[1], "pause-ns") && !parse_num(tok[2], &a)) {
        s->pause_ns = a;
        return 0;
    }
    if (s->nfaults == XS_MAX_FAULTS)
        return fail(b, "fault: at most %d fault ranges per domain", XS_MAX_FAULTS);
    struct xsim_fault *f = &s->faults[s->nfaults];
    if (n == 5 && !strcmp(tok[1], "fail") && !parse_num(tok[2], &a) && !parse_num(tok[3], &c)) {
        int e = parse_errno(tok[4]);
        if (e < 0)
            return fail(b, "fault: unknown errno '%s'", tok[4]);
        *f = (struct xsim_fault){.pfn = a, .count = c, .kind = XS_FAULT_FAIL, .err = e};
    } else if (n == 4 && !strcmp(tok[1], "special") && !parse_num(tok[2], &a) &&
               !parse_num(tok[3], &c)) {
        *f = (struct xsim_fault){.pfn = a, .count = c, .kind = XS_FAULT_SPECIAL};
    } else if (n == 5 && !strcmp(tok[1], "m2p") && !parse_num(tok[2], &a) &&
               !parse_num(tok[3], &c)) {
        if (s->type != XS_PV)
            return fail(b, "fault m2p: PV only (a translated guest cannot write the M2P: "
                           "MMU_MACHPHYS_UPDATE answers -EINVAL, xen/arch/x86/mm.c l.4217-4221)");
        uint64_t v = XS_GFN_NONE;
        if (strcmp(tok[4], "invalid") && parse_num(tok[4], &v))
            return fail(b, "fault m2p: expected 'm2p PFN COUNT VALUE|invalid'");
        *f = (struct xsim_fault){.pfn = a, .count = c, .kind = XS_FAULT_M2P, .value = v};
    } else if (n == 6 && !strcmp(tok[1], "store") && !parse_num(tok[2], &a) && a > 0 &&
               a <= UINT32_MAX && !parse_num(tok[3], &c) && !parse_num(tok[4], &r) &&
               r <= XS_PAGE_SIZE - 8 && r % 8 == 0) {
        uint64_t v;
        if (parse_num(tok[5], &v))
            return fail(b, "fault store: expected 'store CLEAN PFN OFFSET VALUE'");
        *f = (struct xsim_fault){.pfn = c,
                                 .count = 1,
                                 .kind = XS_FAULT_STORE,
                                 .retries = (uint32_t)a,
                                 .value = v,
                                 .offset = r};
    } else if (n == 5 && !strcmp(tok[1], "paged") && !parse_num(tok[2], &a) &&
               !parse_num(tok[3], &c) && !parse_num(tok[4], &r)) {
        *f = (struct xsim_fault){
            .pfn = a, .count = c, .kind = XS_FAULT_PAGED, .retries = (uint32_t)r};
    } else {
        return fail(b, "fault: expected 'fail PFN COUNT ERRNO', 'paged PFN COUNT RETRIES', "
                       "'m2p PFN COUNT VALUE|invalid', 'store CLEAN PFN OFFSET VALUE', "
                       "'die-after N', 'delay-ns N', "
                       "'pause-ns N' or 'no-hvm-context'");
    }
    s->nfaults++;
    return 0;
}

static int parse_state(struct builder *b, struct dom_spec *s, char **tok, int n)
{
    uint64_t r;
    if (n == 2 && !strcmp(tok[1], "running"))
        return 0;
    if (n == 2 && !strcmp(tok[1], "paused"))
        return s->paused = 1, 0;
    if (n == 2 && !strcmp(tok[1], "crashed"))
        return s->life = XS_SHUTDOWN, s->reason = SHUTDOWN_crash, 0;
    if (n == 2 && !strcmp(tok[1], "dying"))
        return s->life = XS_DYING, 0;
    if (n == 3 && !strcmp(tok[1], "shutdown") && !parse_num(tok[2], &r))
        return s->life = XS_SHUTDOWN, s->reason = (int)r, 0;
    return fail(b, "state: expected running, paused, crashed, dying or 'shutdown REASON'");
}

/* One line inside a domain block. */
static int parse_line(struct builder *b, struct dom_spec *s, char **tok, int n)
{
    const char *k = tok[0];
    uint64_t v, v2;
    if (!strcmp(k, "name") && n == 2) {
        snprintf(s->name, sizeof(s->name), "%s", tok[1]);
    } else if (!strcmp(k, "type") && n == 2) {
        s->type = !strcmp(tok[1], "pv")    ? XS_PV
                  : !strcmp(tok[1], "hvm") ? XS_HVM
                  : !strcmp(tok[1], "pvh") ? XS_PVH
                                           : 0;
        if (!s->type)
            return fail(b, "type: expected pv, hvm or pvh");
    } else if (!strcmp(k, "memory") && n == 2 && !parse_num(tok[1], &v) && v >= XS_PAGE_SIZE) {
        if (s->type != XS_HVM) { /* PV and PVH: no VGA hole (measured on Xen 4.17) */
            s->nram = 1;
            s->ram[0][0] = 0;
            s->ram[0][1] = v / XS_PAGE_SIZE - 1;
        } else {
            hvm_memory(s, v / XS_PAGE_SIZE);
        }
    } else if (!strcmp(k, "ram") && n == 3 && !parse_num(tok[1], &v) && !parse_num(tok[2], &v2) &&
               v <= v2) {
        if (s->nram == MAX_RAM)
            return fail(b, "ram: at most %d ranges", MAX_RAM);
        s->ram[s->nram][0] = v;
        s->ram[s->nram++][1] = v2;
    } else if (!strcmp(k, "ram-stripes") && n == 5 && !parse_num(tok[1], &s->stripe_first) &&
               !parse_num(tok[2], &s->stripe_n) && !parse_num(tok[3], &s->stripe_len) &&
               !parse_num(tok[4], &s->stripe_stride) && s->stripe_len &&
               s->stripe_len < s->stripe_stride && s->stripe_n <= (1u << 24)) {
        s->nram += 0; /* runs generated at layout */
    } else if (!strcmp(k, "shared_info") && n == 2 && !parse_num(tok[1], &v)) {
        s->shinfo_gfn = v;
    } else if (!strcmp(k, "grant_table") && (n == 4 || n == 5) && !parse_num(tok[1], &v) &&
               (v == 1 || v == 2) && (n == 5) == (v == 2)) {
        uint64_t nf;
        s->gnt_version = (uint32_t)v;
        if ((strcmp(tok[2], "-") && parse_num(tok[2], &s->gnt_gfn)) || parse_num(tok[3], &nf) ||
            nf < 1 || nf > XS_MAX_GNT ||
            (n == 5 && strcmp(tok[4], "-") && parse_num(tok[4], &s->gnt_status_gfn)))
            return fail(b,
                        "grant_table: expected 'grant_table 1 GFN|- FRAMES' or "
                        "'grant_table 2 GFN|- FRAMES STATUS_GFN|-' (1..%d frames)",
                        XS_MAX_GNT);
        s->gnt_frames = (uint32_t)nf;
    } else if (!strcmp(k, "pv-pagetables") && n == 1) {
        s->pv_pagetables = 1;
    } else if (!strcmp(k, "p2m") && n >= 2 && !strcmp(tok[1], "tree") && n == 2) {
        s->p2m_list = 0;
    } else if (!strcmp(k, "p2m") && n >= 2 && !strcmp(tok[1], "list")) {
        s->p2m_list = 1;
        if (n == 3 && (parse_num(tok[2], &s->p2m_vaddr) || (s->p2m_vaddr & 0xfff)))
            return fail(b, "p2m list: the address must be page aligned");
    } else if (!strcmp(k, "p2m_size") && n == 2 && !parse_num(tok[1], &v)) {
        s->p2m_size = v;
    } else if (!strcmp(k, "mfn_base") && n == 2 && !parse_num(tok[1], &v) && v >= 1) {
        s->mfn_base = v;
    } else if (!strcmp(k, "mfn_extent") && n == 2 && !parse_num(tok[1], &v) && v >= 1 &&
               v <= XS_EXTENT) {
        /* Xen 4.17's PV builder asks for 2 MiB extents, takes what populate_physmap returns
           and the rest in 4 KiB pages (tools/libs/guest/xg_dom_x86.c:1274-1310), and a
           ballooning guest gets pages back one at a time: machine frames contiguous for fewer
           than 512 frames, or none (1). */
        s->mfn_extent = v;
    } else if (!strcmp(k, "max_pages") && n == 2 && !parse_num(tok[1], &v)) {
        s->max_pages = v;
    } else if (!strcmp(k, "fill") && n >= 2) {
        uint64_t seed = 1, pct = 0;
        if (!strcmp(tok[1], "zero") && n == 2)
            s->fill = FILL_ZERO;
        else if (!strcmp(tok[1], "pattern") && n <= 3 && (n == 2 || !parse_num(tok[2], &seed)))
            s->fill = FILL_PATTERN;
        else if (!strcmp(tok[1], "random") && n <= 3 && (n == 2 || !parse_num(tok[2], &seed)))
            s->fill = FILL_RANDOM;
        else if (!strcmp(tok[1], "zero-percent") && n >= 3 && !parse_num(tok[2], &pct) &&
                 pct <= 100 && (n == 3 || (n == 4 && !parse_num(tok[3], &seed))))
            s->fill = FILL_SPARSE;
        else
            return fail(b, "fill: expected pattern [SEED], random [SEED], zero, or "
                           "zero-percent PCT [SEED]");
        s->seed = seed;
        s->zero_pct = (unsigned)pct;
    } else if (!strcmp(k, "vcpus") && n == 2 && !parse_num(tok[1], &v) && v >= 1 &&
               v <= XS_MAX_VCPUS) {
        s->nvcpus = (uint32_t)v;
    } else if (!strcmp(k, "vcpu")) {
        return parse_vcpu(b, s, tok, n);
    } else if (!strcmp(k, "state") && n >= 2) {
        return parse_state(b, s, tok, n);
    } else if (!strcmp(k, "fault") && n >= 2) {
        return parse_fault(b, s, tok, n);
    } else if (!strcmp(k, "pci-passthrough") && n == 1) {
        s->pci_passthrough = 1;
    } else if (!strcmp(k, "load") && n == 3 && !parse_num(tok[2], &v)) {
        if (s->nloads == MAX_LOADS)
            return fail(b, "load: at most %d per domain", MAX_LOADS);
        snprintf(s->load[s->nloads].path, sizeof(s->load[0].path), "%s", tok[1]);
        s->load[s->nloads++].pfn = v;
    } else {
        return fail(b, "cannot read '%s' (see tests/xensim/README.md)", k);
    }
    return 0;
}

static int tokenize(char *line, char **tok, int max)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = 0;
    int n = 0;
    for (char *p = strtok(line, " \t\r\n"); p && n < max; p = strtok(NULL, " \t\r\n"))
        tok[n++] = p;
    return n;
}

/* Writes in place (never truncating first): the file may already be mapped by the world. */
static int write_file(struct builder *b, const char *path, const void *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    int ok = fd >= 0 && pwrite(fd, p, len, 0) == (ssize_t)len && ftruncate(fd, (off_t)len) == 0;
    if (fd >= 0 && close(fd))
        ok = 0;
    return ok ? 0 : fail(b, "%s: %s", path, strerror(errno));
}

/* ---- memory contents ---------------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Page contents are a function of (domain, pfn, seed): tests recompute nothing, they read the
   memory file; but every page differs, so a page written in the wrong place is seen. */
static int fill_page(const struct dom_spec *s, uint64_t pfn, uint64_t *q)
{
    uint64_t st = mix(s->seed * 0x9e3779b97f4a7c15ull ^ pfn ^ ((uint64_t)s->domid << 48));
    if (s->fill == FILL_ZERO || (s->fill == FILL_SPARSE && st % 100 < s->zero_pct))
        return 0;
    for (unsigned i = 0; i < XS_PAGE_SIZE / 8; i++)
        q[i] = mix(st + i);
    if (s->fill == FILL_PATTERN) {
        q[0] = 0x4547415047534958ull; /* "XSIGPAGE" */
        q[1] = s->domid;
        q[2] = pfn;
        q[3] = s->seed;
    }
    return 1;
}

static int is_zero_page(const uint64_t *q)
{
    for (unsigned i = 0; i < XS_PAGE_SIZE / 8; i++)
        if (q[i])
            return 0;
    return 1;
}

static int fill_memory(struct builder *b, const struct dom_spec *s, struct xsim_domain *d)
{
    struct xsim_dommap *m = xsim_dommap(b->h, d);
    uint64_t page[XS_PAGE_SIZE / 8];
    if (!m)
        return fail(b, "dom%u: cannot open its files: %s", s->domid, strerror(errno));
    for (uint64_t r = 0; r < d->nr_runs; r++)
        for (uint64_t pfn = m->runs[r].pfn; pfn < m->runs[r].pfn + m->runs[r].count; pfn++)
            if (fill_page(s, pfn, page) && xsim_write_page(b->h, d, pfn, page) < 0)
                return fail(b, "dom%u: writing pfn %#llx: %s", s->domid, (unsigned long long)pfn,
                            strerror(errno));
    for (int i = 0; i < s->nloads; i++) {
        FILE *f = fopen(s->load[i].path, "rb");
        if (!f)
            return fail(b, "dom%u: load %s: %s", s->domid, s->load[i].path, strerror(errno));
        for (uint64_t pfn = s->load[i].pfn;; pfn++) {
            memset(page, 0, sizeof(page));
            size_t got = fread(page, 1, sizeof(page), f);
            if (!got)
                break;
            if (s->fill == FILL_ZERO && is_zero_page(page))
                continue; /* the file is a hole there already */
            if (xsim_write_page(b->h, d, pfn, page) < 0) {
                fclose(f);
                return fail(b, "dom%u: load %s: pfn %#llx is not present", s->domid,
                            s->load[i].path, (unsigned long long)pfn);
            }
        }
        fclose(f);
    }
    return 0;
}

/* ---- PV structures ------------------------------------------------------------------------ */

/* A table or p2m page being built, written to guest memory at the end. */
struct meta {
    uint64_t pfn;
    uint64_t key; /* level-specific index (which VA region, which frame list) */
    int level;
    uint64_t e[512];
};

struct pvb {
    struct builder *b;
    const struct dom_spec *s;
    struct xsim_domain *d;
    struct meta **pages;
    size_t n, cap;
    uint64_t next_rank; /* metadata frames are taken from the top of the present pfns down */
    uint64_t data_end;  /* ranks below this are the guest's own data */
};

static uint64_t mfn_of(struct pvb *p, uint64_t pfn)
{
    uint64_t f = 0;
    xsim_pfn_to_frame(p->b->h, p->d, pfn, &f);
    return f;
}

static struct meta *meta_new(struct pvb *p, int level, uint64_t key, uint64_t fillv)
{
    if (p->next_rank == 0 || p->next_rank <= p->d->nr_frames / 2) {
        fail(p->b, "dom%u: too little memory for its p2m and page tables", p->s->domid);
        return NULL;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        struct meta **np = realloc(p->pages, p->cap * sizeof(*np));
        if (!np)
            return NULL;
        p->pages = np;
    }
    struct meta *m = malloc(sizeof(*m));
    if (!m)
        return NULL;
    m->pfn = xsim_rank_pfn(p->b->h, p->d, --p->next_rank);
    m->key = key;
    m->level = level;
    for (int i = 0; i < 512; i++)
        m->e[i] = fillv;
    p->pages[p->n++] = m;
    return m;
}

static struct meta *meta_find(struct pvb *p, int level, uint64_t key)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->pages[i]->level == level && p->pages[i]->key == key)
            return p->pages[i];
    return NULL;
}

/* Whether any pfn in [lo, hi] is present. */
static int any_present(struct pvb *p, uint64_t lo, uint64_t hi)
{
    const struct xsim_run *r = xsim_dommap(p->b->h, p->d)->runs;
    for (uint64_t i = 0; i < p->d->nr_runs; i++)
        if (r[i].pfn <= hi && lo < r[i].pfn + r[i].count)
            return 1;
    return 0;
}

enum {
    L_LEAF = 0,
    L_PT1 = 1,
    L_PT2,
    L_PT3,
    L_PT4,
    L_FL = 10,
    L_FLL,
    L_MISS_LEAF = 20,
    L_MISS_PT1,
    L_MISS_PT2,
    L_MISS_FL,
    L_SPLIT = 30
};

/* The p2m leaf holding entries for pfns [512 j, 512 j + 511]: its own page when any of those
   pfns is present, else the shared missing page. */
static struct meta *leaf(struct pvb *p, uint64_t j, struct meta *missing)
{
    if (!any_present(p, j * 512, j * 512 + 511))
        return missing;
    struct meta *m = meta_find(p, L_LEAF, j);
    if (m)
        return m;
    if (!(m = meta_new(p, L_LEAF, j, INVALID_P2M)))
        return NULL;
    for (uint64_t k = 0; k < 512; k++) {
        uint64_t pfn = j * 512 + k, f;
        if (pfn < p->d->p2m_size && xsim_pfn_to_frame(p->b->h, p->d, pfn, &f))
            m->e[k] = f;
    }
    return m;
}

/* Maps the linear p2m list at p2m_vaddr through 4-level page tables rooted at `l4`. */
static int map_list(struct pvb *p, struct meta *l4, struct meta *miss_leaf)
{
    uint64_t nleaves = (p->d->p2m_size + 511) / 512, va0 = p->s->p2m_vaddr;
    struct meta *miss_pt1 = meta_new(p, L_MISS_PT1, 0, 0);
    struct meta *miss_pt2 = miss_pt1 ? meta_new(p, L_MISS_PT2, 0, 0) : NULL;
    if (!miss_pt2)
        return -1;
    for (int i = 0; i < 512; i++) {
        miss_pt1->e[i] = mfn_of(p, miss_leaf->pfn) << 12 | PTE_LEAF;
        miss_pt2->e[i] = mfn_of(p, miss_pt1->pfn) << 12 | PTE_TABLE;
    }
    for (uint64_t j = 0; j < nleaves; j++) {
        uint64_t va = va0 + j * XS_PAGE_SIZE;
        unsigned i4 = (va >> 39) & 511, i3 = (va >> 30) & 511, i2 = (va >> 21) & 511,
                 i1 = (va >> 12) & 511;
        struct meta *l3 = meta_find(p, L_PT3, va >> 39);
        if (!l3 && !(l3 = meta_new(p, L_PT3, va >> 39, 0)))
            return -1;
        l4->e[i4] = mfn_of(p, l3->pfn) << 12 | PTE_TABLE;
        /* A whole 1 GiB of list with no present pfn: share the missing L2 (and skip it). */
        uint64_t g = (va & ((1ull << 30) - 1)) / XS_PAGE_SIZE; /* leaves before va in this GiB */
        uint64_t gfirst = j >= g ? j - g : 0, glast = gfirst + (1ull << 18) - 1;
        if (!any_present(p, gfirst * 512, glast * 512 + 511)) {
            l3->e[i3] = mfn_of(p, miss_pt2->pfn) << 12 | PTE_TABLE;
            j = glast;
            continue;
        }
        struct meta *l2 = meta_find(p, L_PT2, va >> 30);
        if (!l2 && !(l2 = meta_new(p, L_PT2, va >> 30, 0)))
            return -1;
        l3->e[i3] = mfn_of(p, l2->pfn) << 12 | PTE_TABLE;
        /* The leaves of this 2 MiB of list: if none has a present pfn, share the missing L1. */
        uint64_t first = j - i1 > j ? 0 : j - i1, last = first + 511;
        if (!any_present(p, first * 512, last * 512 + 511)) {
            l2->e[i2] = mfn_of(p, miss_pt1->pfn) << 12 | PTE_TABLE;
            j = last < j ? j : last; /* skip the rest of this 2 MiB */
            continue;
        }
        struct meta *l1 = meta_find(p, L_PT1, va >> 21);
        if (!l1 && !(l1 = meta_new(p, L_PT1, va >> 21, 0)))
            return -1;
        l2->e[i2] = mfn_of(p, l1->pfn) << 12 | PTE_TABLE;
        struct meta *lf = leaf(p, j, miss_leaf);
        if (!lf)
            return -1;
        l1->e[i1] = mfn_of(p, lf->pfn) << 12 | PTE_LEAF;
    }
    return 0;
}

/* The 3-level tree: frame-list-list -> frame lists -> leaves. Returns the FLL page. */
static struct meta *build_tree(struct pvb *p, struct meta *miss_leaf)
{
    uint64_t nleaves = (p->d->p2m_size + 511) / 512, nfl = (nleaves + 511) / 512;
    if (nfl > 512) { /* Linux then sets the frame-list-list to ~0 and publishes the list */
        if (!p->s->p2m_list)
            fail(p->b, "dom%u: p2m_size too large for the 3-level tree", p->s->domid);
        return NULL;
    }
    struct meta *fll = meta_new(p, L_FLL, 0, 0);
    struct meta *miss_fl = fll ? meta_new(p, L_MISS_FL, 0, mfn_of(p, miss_leaf->pfn)) : NULL;
    if (!miss_fl)
        return NULL;
    for (uint64_t k = 0; k < nfl; k++) {
        if (!any_present(p, k * 512 * 512, k * 512 * 512 + 512 * 512 - 1)) {
            fll->e[k] = mfn_of(p, miss_fl->pfn);
            continue;
        }
        struct meta *fl = meta_new(p, L_FL, k, mfn_of(p, miss_leaf->pfn));
        if (!fl)
            return NULL;
        fll->e[k] = mfn_of(p, fl->pfn);
        for (uint64_t j = k * 512; j < nleaves && j < (k + 1) * 512; j++) {
            struct meta *lf = leaf(p, j, miss_leaf);
            if (!lf)
                return NULL;
            fl->e[j - k * 512] = mfn_of(p, lf->pfn);
        }
    }
    return fll;
}

/*
 * pv-pagetables: page tables loaded from a native capture hold pfns; a PV guest's hold machine
 * frames, and cannot use large pages (contiguous pfns are not contiguous machine frames). Each
 * table reachable from a root is rewritten once: entries get their frame's mfn, 2 MiB pages
 * become a new 4 KiB table, entries naming absent pfns (and 1 GiB pages) are dropped.
 */
#define PTE_FRAME 0x000ffffffffff000ull
#define PTE_PS 0x80ull

struct rewrite {
    struct pvb *p;
    uint64_t *done; /* tables already rewritten */
    size_t ndone, cap;
};

static int rewrite_table(struct rewrite *rw, uint64_t pfn, int level)
{
    struct pvb *p = rw->p;
    for (size_t i = 0; i < rw->ndone; i++)
        if (rw->done[i] == pfn)
            return 0;
    if (rw->ndone == rw->cap) {
        rw->cap = rw->cap ? rw->cap * 2 : 64;
        uint64_t *d = realloc(rw->done, rw->cap * sizeof(*d));
        if (!d)
            return fail(p->b, "out of memory");
        rw->done = d;
    }
    rw->done[rw->ndone++] = pfn;
    uint64_t e[512], f;
    if (xsim_read_page(p->b->h, p->d, pfn, e) < 0)
        return fail(p->b, "dom%u: page table at pfn %#llx is not present", p->s->domid,
                    (unsigned long long)pfn);
    for (int i = 0; i < 512; i++) {
        if (!(e[i] & 1))
            continue;
        uint64_t child = (e[i] & PTE_FRAME) >> 12;
        bool large = level > 1 && level < 4 && (e[i] & PTE_PS);
        if (large && level == 2) {
            struct meta *t = meta_new(p, L_SPLIT, pfn * 512 + (uint64_t)i, 0);
            if (!t)
                return -1;
            uint64_t base = (e[i] & 0x000fffffffe00000ull) >> 12,
                     flags = e[i] & 0x8000000000000fffull;
            for (int k = 0; k < 512; k++)
                if (xsim_pfn_to_frame(p->b->h, p->d, base + (uint64_t)k, &f))
                    t->e[k] = f << 12 | (flags & ~PTE_PS);
            e[i] = mfn_of(p, t->pfn) << 12 | (flags & ~PTE_PS);
            continue;
        }
        if (large || !xsim_pfn_to_frame(p->b->h, p->d, child, &f)) {
            e[i] = 0; /* a 1 GiB page, or a frame the guest does not have */
            continue;
        }
        if (level > 1 && rewrite_table(rw, child, level - 1) < 0)
            return -1;
        e[i] = (e[i] & ~PTE_FRAME) | f << 12;
    }
    return xsim_write_page(p->b->h, p->d, pfn, e) < 0
               ? fail(p->b, "dom%u: writing pfn %#llx", p->s->domid, (unsigned long long)pfn)
               : 0;
}

static int rewrite_pagetables(struct pvb *p)
{
    struct rewrite rw = {.p = p};
    int rc = 0;
    for (uint32_t v = 0; v < p->s->nvcpus && rc == 0; v++)
        for (int r = 0; r < p->s->vcpu[v].nregs && rc == 0; r++)
            if (!strcmp(p->s->vcpu[v].regs[r].name, "cr3_pfn"))
                rc = rewrite_table(&rw, p->s->vcpu[v].regs[r].value, 4);
    free(rw.done);
    return rc;
}

static int build_pv(struct builder *b, const struct dom_spec *s, struct xsim_domain *d,
                    shared_info_t *shi, uint64_t *cr3)
{
    struct pvb p = {.b = b, .s = s, .d = d, .next_rank = d->nr_frames};
    int rc = -1;
    struct meta *miss_leaf = meta_new(&p, L_MISS_LEAF, 0, INVALID_P2M);
    struct meta *l4 = miss_leaf ? meta_new(&p, L_PT4, 0, 0) : NULL;
    struct meta *fll = l4 ? build_tree(&p, miss_leaf) : NULL;
    /* No tree is fine when the list is what the guest publishes (a p2m too large for it). */
    if (!l4 || (!fll && (b->err[0] || !s->p2m_list)) || map_list(&p, l4, miss_leaf) < 0)
        goto out;
    if (s->pv_pagetables && rewrite_pagetables(&p) < 0)
        goto out;
    for (size_t i = 0; i < p.n; i++)
        if (xsim_write_page(b->h, d, p.pages[i]->pfn, p.pages[i]->e) < 0) {
            fail(b, "dom%u: writing its p2m: %s", s->domid, strerror(errno));
            goto out;
        }
    shi->arch.max_pfn = d->p2m_size;
    shi->arch.pfn_to_mfn_frame_list_list = fll ? mfn_of(&p, fll->pfn) : ~0ul;
    if (s->p2m_list) {
        shi->arch.p2m_cr3 = xen_pfn_to_cr3(mfn_of(&p, l4->pfn));
        shi->arch.p2m_vaddr = s->p2m_vaddr;
        shi->arch.p2m_generation = 0;
    }
    *cr3 = xen_pfn_to_cr3(mfn_of(&p, l4->pfn));
    rc = 0;
out:
    for (size_t i = 0; i < p.n; i++)
        free(p.pages[i]);
    free(p.pages);
    return rc;
}

/* ---- vCPUs --------------------------------------------------------------------------------- */

static int set_reg(vcpu_guest_context_t *c, const char *name, uint64_t v, int pv, struct builder *b,
                   struct xsim_domain *d)
{
    struct cpu_user_regs *r = &c->user_regs;
    static const char *gpr[] = {"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10",
                                "r9",  "r8",  "rax", "rcx", "rdx", "rsi", "rdi"};
    uint64_t *g = (uint64_t *)r; /* the 15 GPRs lead struct cpu_user_regs, in this order */
    for (unsigned i = 0; i < 15; i++)
        if (!strcmp(name, gpr[i]))
            return g[i] = v, 0;
    if (!strcmp(name, "idt_base") || !strcmp(name, "gdt_base"))
        return 0; /* the HVM CPU record's, see build_vcpus */
    if (!strcmp(name, "rip"))
        r->rip = v;
    else if (!strcmp(name, "rsp"))
        r->rsp = v;
    else if (!strcmp(name, "rflags"))
        r->rflags = v;
    else if (!strcmp(name, "cs"))
        r->cs = (uint16_t)v;
    else if (!strcmp(name, "ss"))
        r->ss = (uint16_t)v;
    else if (!strcmp(name, "ds"))
        r->ds = (uint16_t)v;
    else if (!strcmp(name, "es"))
        r->es = (uint16_t)v;
    else if (!strcmp(name, "fs"))
        r->fs = (uint16_t)v;
    else if (!strcmp(name, "gs"))
        r->gs = (uint16_t)v;
    else if (!strcmp(name, "fs_base"))
        c->fs_base = v;
    else if (!strcmp(name, "gs_base_kernel"))
        c->gs_base_kernel = v;
    else if (!strcmp(name, "gs_base_user"))
        c->gs_base_user = v;
    else if (!strcmp(name, "in_kernel")) { /* PV: the mode Xen found the vCPU in */
        if (!pv)
            return fail(b, "dom%u: in_kernel is a PV vCPU's flag", d->domid);
        c->flags = v ? c->flags | VGCF_in_kernel : c->flags & ~(uint64_t)VGCF_in_kernel;
    } else if (!strncmp(name, "cr", 2) && name[2] >= '0' && name[2] <= '7' && !name[3])
        c->ctrlreg[name[2] - '0'] = v;
    else if (!strcmp(name, "cr3_pfn")) { /* a pfn, put in the form Xen reports */
        uint64_t f;
        if (!xsim_pfn_to_frame(b->h, d, v, &f))
            return fail(b, "dom%u: cr3_pfn %#llx is not present", d->domid, (unsigned long long)v);
        c->ctrlreg[3] = pv ? xen_pfn_to_cr3(f) : f << 12;
    } else
        return fail(b, "dom%u: unknown register '%s'", d->domid, name);
    return 0;
}

static int build_vcpus(struct builder *b, const struct dom_spec *s, struct xsim_domain *d,
                       uint64_t pv_cr3)
{
    size_t n = s->nvcpus;
    struct xsim_vcpu *v = calloc(n, sizeof(*v));
    int pv = s->type == XS_PV;
    if (!v)
        return fail(b, "out of memory");
    d->nr_online_vcpus = 0;
    for (size_t i = 0; i < n; i++) {
        vcpu_guest_context_t *c = (vcpu_guest_context_t *)v[i].ctx;
        const struct vcpu_spec *vs = &s->vcpu[i];
        uint64_t *g = (uint64_t *)&c->user_regs;
        for (unsigned k = 0; k < 15; k++) /* distinct, recognisable values */
            g[k] = 0x5800000000000000ull | (uint64_t)s->domid << 32 | i << 16 | k;
        c->user_regs.rip = 0xffffffff81000000ull + s->domid * 0x10000ull + i * 0x100;
        c->user_regs.rsp = 0xffffc90000400000ull - i * 0x4000 - s->domid * 0x100000ull;
        c->user_regs.rflags = 0x246;
        c->user_regs.cs = pv ? 0xe033 : 0x10;
        c->user_regs.ss = pv ? 0xe02b : 0x18;
        c->fs_base = 0x7f0000001000ull + i;
        c->gs_base_kernel = 0xffff888000000000ull + i * 0x40000;
        c->ctrlreg[0] = 0x80050033;
        c->ctrlreg[3] = pv ? pv_cr3 : 0; /* HVM: no tables unless given (cr3_pfn=) */
        c->ctrlreg[4] = pv ? 0x6f0 : 0x3506f0;
        /* VGCF_in_kernel is a PV flag: an HVM vCPU's flags are online and i387 only
           (xen/arch/x86/domctl.c, arch_get_info_guest(), 4.17.7 lines 1431-1438, 1556). */
        c->flags = (pv ? VGCF_in_kernel : 0) | (vs->state == V_ONLINE ? VGCF_online : 0);
        for (int r = 0; r < vs->nregs; r++)
            if (set_reg(c, vs->regs[r].name, vs->regs[r].value, pv, b, d) < 0) {
                free(v);
                return -1;
            }
        /* Linux keeps each CPU's GDT and TSS in its cpu_entry_area, the IDT shared. */
        v[i].gdt_base = 0xfffffe0000001000ull + i * 0x3b000;
        v[i].tr_base = 0xfffffe0000003000ull + i * 0x3b000;
        v[i].idt_base = 0xfffffe0000000000ull;
        for (int r = 0; r < vs->nregs; r++) {
            if (!strcmp(vs->regs[r].name, "idt_base"))
                v[i].idt_base = vs->regs[r].value;
            else if (!strcmp(vs->regs[r].name, "gdt_base"))
                v[i].gdt_base = vs->regs[r].value;
        }
        v[i].err = vs->state == V_DOWN ? ENODATA : 0;
        v[i].online = vs->state == V_ONLINE;
        if (vs->state == V_DOWN)
            memset(v[i].ctx, 0, sizeof(v[i].ctx));
        d->nr_online_vcpus += v[i].online;
    }
    char path[4300];
    xsim_path(b->h, d->domid, "vcpu", path, sizeof(path));
    int rc = write_file(b, path, v, n * sizeof(*v));
    free(v);
    return rc;
}

/* ---- domains ------------------------------------------------------------------------------ */

static int cmp_ram(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

static uint64_t inverse_mod(uint64_t a, uint64_t n)
{
    __int128 t = 0, nt = 1, r = n, nr = a % n;
    while (nr) {
        __int128 q = r / nr, tmp;
        tmp = t - q * nt, t = nt, nt = tmp;
        tmp = r - q * nr, r = nr, nr = tmp;
    }
    return (uint64_t)(t < 0 ? t + n : t);
}

/* v2 status frames for n grant frames: 256 entries of 16 bytes a frame, 2048 of 2 bytes. */
static uint32_t gnt_status_frames(uint32_t n)
{
    return (n * 256 + 2047) / 2048;
}

/* HVM/PVH: pages Xen lends the guest, placed at gfns: frames that map but getpageframeinfo3
   calls XTAB (a special fault range); the gfns become present (ram) unless a ram range already
   holds them (Linux places shared_info over one of its own pages). Returns how many. */
static int place_lent(struct builder *b, struct dom_spec *s, uint64_t gfn, uint64_t count,
                      const char *what)
{
    if (gfn == XS_GFN_NONE)
        return 0;
    if (s->type == XS_PV)
        return fail(b, "dom%u: %s is placed by an HVM/PVH guest only", s->domid, what);
    bool inside = false;
    for (int i = 0; i < s->nram; i++) {
        if (gfn >= s->ram[i][0] && gfn + count - 1 <= s->ram[i][1])
            inside = true;
        else if (gfn <= s->ram[i][1] && gfn + count - 1 >= s->ram[i][0])
            return fail(b, "dom%u: %s at %#llx overlaps a ram range's edge", s->domid, what,
                        (unsigned long long)gfn);
    }
    if (!inside) {
        if (s->nram == MAX_RAM)
            return fail(b, "ram: at most %d ranges", MAX_RAM);
        s->ram[s->nram][0] = gfn;
        s->ram[s->nram++][1] = gfn + count - 1;
    }
    if (s->nfaults == XS_MAX_FAULTS)
        return fail(b, "fault: at most %d fault ranges per domain", XS_MAX_FAULTS);
    s->faults[s->nfaults++] =
        (struct xsim_fault){.pfn = gfn, .count = count, .kind = XS_FAULT_SPECIAL};
    return (int)count;
}

/* Writes the runs and lays the domain record out (before any page is written). */
static int layout_domain(struct builder *b, struct dom_spec *s, struct xsim_domain *d,
                         uint64_t *next_mfn)
{
    uint32_t nstatus = s->gnt_version == 2 ? gnt_status_frames(s->gnt_frames) : 0;
    int l1 = place_lent(b, s, s->shinfo_gfn, 1, "shared_info");
    int l2 = l1 < 0 ? -1 : place_lent(b, s, s->gnt_gfn, s->gnt_frames, "the grant table");
    int l3 = l2 < 0 ? -1 : place_lent(b, s, s->gnt_status_gfn, nstatus, "the grant status");
    if (l3 < 0)
        return -1;
    /* ram ranges and stripes, sorted; they must not overlap */
    uint64_t total = (uint64_t)s->nram + s->stripe_n, n = 0, nruns = 0;
    uint64_t(*ram)[2] = malloc((total ? total : 1) * sizeof(*ram));
    struct xsim_run *runs = malloc((total ? total : 1) * sizeof(*runs));
    if (!ram || !runs) {
        free(ram), free(runs);
        return fail(b, "out of memory");
    }
    memcpy(ram, s->ram, (size_t)s->nram * sizeof(*ram));
    for (uint64_t k = 0; k < s->stripe_n; k++) {
        ram[s->nram + k][0] = s->stripe_first + k * s->stripe_stride;
        ram[s->nram + k][1] = s->stripe_first + k * s->stripe_stride + s->stripe_len - 1;
    }
    qsort(ram, (size_t)total, sizeof(ram[0]), cmp_ram);
    for (uint64_t i = 0; i < total; i++) {
        if (nruns && ram[i][0] <= runs[nruns - 1].pfn + runs[nruns - 1].count - 1) {
            free(ram), free(runs);
            return fail(b, "dom%u: ram ranges overlap", s->domid);
        }
        runs[nruns++] = (struct xsim_run){ram[i][0], ram[i][1] - ram[i][0] + 1, n};
        n += ram[i][1] - ram[i][0] + 1;
    }
    free(ram);
    memset(d, 0, sizeof(*d));
    d->domid = s->domid;
    d->type = (uint32_t)s->type;
    snprintf(d->name, sizeof(d->name), "%s", s->name);
    uint64_t hsh = mix(s->domid + 0x1234) ^ mix(strlen(s->name));
    memcpy(d->handle, &hsh, 8);
    hsh = mix(hsh);
    memcpy(d->handle + 8, &hsh, 8);
    d->life = s->life;
    d->shutdown_reason = s->reason;
    d->pause_count = s->paused;
    d->max_vcpu_id = s->nvcpus - 1;
    d->nr_frames = n;
    d->nr_runs = nruns;
    d->tot_pages = n - (uint64_t)(l1 + l2 + l3); /* Xen's own pages are not the guest's */
    d->max_pages = s->max_pages ? s->max_pages : n;
    uint64_t last = nruns ? runs[nruns - 1].pfn + runs[nruns - 1].count - 1 : 0;
    d->p2m_size = s->p2m_size ? s->p2m_size : last + 1;
    if (s->type == XS_PV && d->p2m_size <= last)
        return fail(b, "dom%u: p2m_size %#llx does not cover pfn %#llx", s->domid,
                    (unsigned long long)d->p2m_size, (unsigned long long)last);
    d->max_gpfn = s->type == XS_PV ? d->p2m_size - 1 : last;
    d->perm_a = 1;
    d->extent = s->type == XS_PV && s->mfn_extent ? s->mfn_extent : XS_EXTENT;
    uint64_t ext = n / d->extent; /* whole extents, shuffled (world.h) */
    if (s->type == XS_PV && ext > 2) {
        uint64_t a = (0x9e3779b97f4a7c15ull ^ s->seed) % ext;
        for (uint64_t tries = 0; (a < 2 || xsim_gcd(a, ext) != 1) && tries < ext; tries++)
            a = (a + 1) % ext;
        d->perm_a = a < 2 || xsim_gcd(a, ext) != 1 ? 1 : a;
        d->perm_b = mix(s->seed + s->domid) % ext;
    } else if (s->type == XS_PV && ext == 2) {
        d->perm_b = 1; /* two extents: swapped */
    }
    d->perm_a_inv = ext ? inverse_mod(d->perm_a, ext) : 1;
    /* A gap frame before each PV domain's memory holds its shared_info. A world may place a
       PV domain's machine frames low (mfn_base), where they overlap its own pfns - as on any
       host with more memory than the guest; they must not overlap another domain's. */
    uint64_t first = s->type == XS_PV && s->mfn_base ? s->mfn_base - 1 : *next_mfn;
    for (uint32_t k = 0; s->mfn_base && k < b->w->nr_domains; k++) {
        const struct xsim_domain *o = &b->w->dom[k];
        if (o != d && o->type == XS_PV && o->nr_frames && first < o->mfn_base + o->nr_frames &&
            o->mfn_base - 1 < first + n + 1)
            return fail(b, "dom%u: mfn_base %#llx overlaps dom%u's machine frames", s->domid,
                        (unsigned long long)s->mfn_base, o->domid);
    }
    d->shinfo_mfn = s->type == XS_PV ? first : s->shinfo_gfn;
    d->gnt_version = s->gnt_version;
    d->gnt_nr_frames = s->gnt_frames;
    d->gnt_nr_status = nstatus;
    for (uint32_t i = 0; i < s->gnt_frames; i++)
        d->gnt_frame[i] = s->gnt_gfn == XS_GFN_NONE ? XS_GFN_NONE : s->gnt_gfn + i;
    for (uint32_t i = 0; i < nstatus; i++)
        d->gnt_status[i] = s->gnt_status_gfn == XS_GFN_NONE ? XS_GFN_NONE : s->gnt_status_gfn + i;
    d->mfn_base = first + 1;
    if (d->mfn_base + n > *next_mfn)
        *next_mfn = (d->mfn_base + n + 0xfff) & ~0xfffull;
    d->die_after = s->die_after;
    d->sim_flags = s->sim_flags;
    d->pci_passthrough = s->pci_passthrough;
    /* The log-dirty bitmap covers every pfn up to the highest (PV: the p2m's), in whole leaves. */
    d->ld_bits = (d->max_gpfn + XS_LD_LEAF_BITS) / XS_LD_LEAF_BITS * XS_LD_LEAF_BITS;
    d->delay_ns = s->delay_ns;
    d->pause_ns = s->pause_ns;
    d->nr_faults = s->nfaults;
    for (uint32_t i = 0; i < s->nfaults; i++) {
        d->faults[i] = s->faults[i];
        if (s->faults[i].kind != XS_FAULT_PAGED)
            continue;
        if (b->w->nr_paged + s->faults[i].count > XS_MAX_PAGED)
            return fail(b, "dom%u: more than %d paged frames in the world", s->domid, XS_MAX_PAGED);
        d->faults[i].paged_slot = b->w->nr_paged;
        b->w->nr_paged += (uint32_t)s->faults[i].count;
    }

    char path[4300];
    xsim_path(b->h, s->domid, "runs", path, sizeof(path));
    int wrc = write_file(b, path, runs, nruns * sizeof(runs[0]));
    free(runs);
    if (wrc < 0)
        return -1;
    /* Placeholders of the final sizes, so the world can be mapped while it is being built. */
    static const uint8_t zero[XS_PAGE_SIZE];
    xsim_path(b->h, s->domid, "shinfo", path, sizeof(path));
    if (write_file(b, path, zero, sizeof(zero)) < 0)
        return -1;
    xsim_path(b->h, s->domid, "vcpu", path, sizeof(path));
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)(s->nvcpus * sizeof(struct xsim_vcpu))) < 0)
        return fail(b, "%s: %s", path, strerror(errno));
    close(fd);
    xsim_path(b->h, s->domid, "mem", path, sizeof(path));
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)(n * XS_PAGE_SIZE)) < 0)
        return fail(b, "%s: %s", path, strerror(errno));
    close(fd);
    xsim_path(b->h, s->domid, "dirty", path, sizeof(path));
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)(d->ld_bits / 8)) < 0)
        return fail(b, "%s: %s", path, strerror(errno));
    close(fd);
    return 0;
}

static int build_domain(struct builder *b, struct dom_spec *s, struct xsim_domain *d)
{
    static shared_info_t shi; /* one page; static keeps it off the stack */
    uint64_t cr3 = 0;
    char path[4300];
    memset(&shi, 0, sizeof(shi));
    if (fill_memory(b, s, d) < 0)
        return -1;
    if (s->type == XS_PV && d->nr_frames && build_pv(b, s, d, &shi, &cr3) < 0)
        return -1;
    uint8_t page[XS_PAGE_SIZE] = {0};
    memcpy(page, &shi, sizeof(shi) < sizeof(page) ? sizeof(shi) : sizeof(page));
    xsim_path(b->h, s->domid, "shinfo", path, sizeof(path));
    if (write_file(b, path, page, sizeof(page)) < 0)
        return -1;
    return build_vcpus(b, s, d, cr3);
}

static void spec_defaults(struct dom_spec *s, uint32_t domid)
{
    struct vcpu_spec *v = s->vcpu;
    memset(s, 0, sizeof(*s));
    memset(v, 0, XS_MAX_VCPUS * sizeof(*v));
    s->vcpu = v;
    s->domid = domid;
    snprintf(s->name, sizeof(s->name), "guest%u", domid);
    s->type = XS_PV;
    s->p2m_list = 1;
    s->p2m_vaddr = DEFAULT_P2M_VADDR;
    s->nvcpus = 1;
    s->seed = 1;
    s->shinfo_gfn = s->gnt_gfn = s->gnt_status_gfn = XS_GFN_NONE;
}

static int read_spec(struct builder *b, FILE *f, struct dom_spec *specs, int *nspecs)
{
    char line[2048], *tok[64];
    struct dom_spec *cur = NULL;
    while (fgets(line, sizeof(line), f)) {
        b->line++;
        int n = tokenize(line, tok, 64);
        uint64_t id;
        if (!n)
            continue;
        if (!strcmp(tok[0], "xen")) {
            unsigned minor;
            char end;
            if (cur || n != 2 || sscanf(tok[1], "4.%u%c", &minor, &end) != 1 ||
                !xsim_release(minor))
                return fail(b, "xen: expected 'xen 4.17' or 'xen 4.20' before the first domain");
            b->xen_minor = minor;
            continue;
        }
        if (!strcmp(tok[0], "shadow-paging")) {
            /* Xen's build: CONFIG_SHADOW_PAGING, off in Debian 12's 4.17.7+13 (XSA-495). */
            if (cur || n != 2 || (strcmp(tok[1], "on") && strcmp(tok[1], "off")))
                return fail(b, "shadow-paging: expected 'on' or 'off' before the first domain");
            b->shadow_paging = !strcmp(tok[1], "on");
            continue;
        }
        if (!strcmp(tok[0], "m2p")) {
            /* A dom0 that may not map Xen's frames (an XSM policy denying the mmu_update
               that maps a DOMID_XEN frame: xsm_mmu_update(), xen/arch/x86/mm.c l.4084-4095) */
            if (cur || n != 2 || strcmp(tok[1], "unmappable"))
                return fail(b, "m2p: expected 'm2p unmappable' before the first domain");
            b->m2p_unmappable = 1;
            continue;
        }
        if (!strcmp(tok[0], "domain")) {
            if (n != 2 || parse_num(tok[1], &id) || id == 0 || id >= 0x7ff0)
                return fail(b, "domain: expected 'domain ID' with 0 < ID < 0x7ff0");
            for (int i = 0; i < *nspecs; i++)
                if (specs[i].domid == id)
                    return fail(b, "domain %llu appears twice", (unsigned long long)id);
            if (*nspecs == XS_MAX_DOMAINS - 1)
                return fail(b, "at most %d domains", XS_MAX_DOMAINS - 1);
            cur = &specs[(*nspecs)++];
            spec_defaults(cur, (uint32_t)id);
            continue;
        }
        if (!cur)
            return fail(b, "'%s' before the first 'domain' line", tok[0]);
        if (parse_line(b, cur, tok, n) < 0)
            return -1;
    }
    for (int i = 1; i < *nspecs; i++) /* 0 is dom0 */
        if (!specs[i].nram && !specs[i].stripe_n)
            return b->line = 0, fail(b, "domain %u has no memory (memory or ram)", specs[i].domid);
    b->line = 0;
    return 0;
}

static int create_state(struct builder *b, const char *dir)
{
    char path[4200];
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return fail(b, "%s: %s", dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/xensim.log", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/world.state", dir);
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, sizeof(struct xsim_world)) < 0)
        return fail(b, "%s: %s", path, strerror(errno));
    b->w = mmap(NULL, sizeof(struct xsim_world), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (b->w == MAP_FAILED)
        return fail(b, "%s: %s", path, strerror(errno));
    b->w->magic = XS_MAGIC;
    b->w->version = XS_VERSION;
    b->w->xen_minor = b->xen_minor;
    b->w->shadow_paging = b->shadow_paging;
    b->w->m2p_unmappable = b->m2p_unmappable;
    return 0;
}

int xsim_build(const char *spec_path, const char *dir, char *err, size_t errlen)
{
    struct builder b = {.err = err, .errlen = errlen};
    err[0] = 0;
    /* By default, the release of the headers (and so of the libraries) xensim is built with. */
    const struct xsim_release *own = xsim_release_of_domctl(XEN_DOMCTL_INTERFACE_VERSION);
    b.xen_minor = own ? own->minor : 17;
    struct dom_spec *specs = calloc(XS_MAX_DOMAINS, sizeof(*specs));
    struct vcpu_spec *vcpus = calloc((size_t)XS_MAX_DOMAINS * XS_MAX_VCPUS, sizeof(*vcpus));
    int nspecs = 1, rc = -1;
    FILE *f = fopen(spec_path, "r");
    if (!specs || !vcpus || !f) {
        fail(&b, "%s: %s", spec_path, strerror(errno));
        goto out;
    }
    for (int i = 0; i < XS_MAX_DOMAINS; i++)
        specs[i].vcpu = &vcpus[(size_t)i * XS_MAX_VCPUS];
    /* Domain 0 is the control domain this process pretends to run in; it has no memory. */
    spec_defaults(&specs[0], 0);
    snprintf(specs[0].name, sizeof(specs[0].name), "Domain-0");
    if (read_spec(&b, f, specs, &nspecs) < 0 || create_state(&b, dir) < 0)
        goto out;
    b.w->nr_domains = (uint32_t)nspecs;
    munmap(b.w, sizeof(struct xsim_world));
    b.w = NULL;
    b.h = xsim_open(dir);
    if (!b.h) {
        fail(&b, "%s: cannot open the new world: %s", dir, strerror(errno));
        goto out;
    }
    b.w = b.h->w; /* one mapping: domain records are located by their address in it */
    uint64_t next_mfn = 0x10000;
    for (int i = 0; i < nspecs; i++)
        if (layout_domain(&b, &specs[i], &b.w->dom[i], &next_mfn) < 0)
            goto out;
    /* Xen's M2P: 8 bytes per machine frame up to the highest (xen/arch/x86/x86_64/mm.c: the
       table covers machine_to_phys_mapping + max_page, l.939-941), in 2 MiB pieces of machine
       frames of Xen's own, placed here above every domain's frames. */
    uint64_t pieces = 1, per_piece = (2u << 20) / 8;
    while ((next_mfn + pieces * 512 + per_piece - 1) / per_piece > pieces)
        pieces = (next_mfn + pieces * 512 + per_piece - 1) / per_piece;
    b.w->m2p_base = next_mfn;
    b.w->m2p_pieces = pieces;
    next_mfn += pieces * 512;
    b.w->max_mfn = next_mfn - 1;
    for (int i = 0; i < nspecs; i++)
        if (build_domain(&b, &specs[i], &b.w->dom[i]) < 0)
            goto out;
    rc = 0;
out:
    if (f)
        fclose(f);
    if (b.h)
        xsim_close(b.h);
    else if (b.w && b.w != MAP_FAILED)
        munmap(b.w, sizeof(struct xsim_world));
    free(specs);
    free(vcpus);
    return rc;
}
