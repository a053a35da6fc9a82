// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of info (xd_core_open, and the command's presenters cli_core_print) and of `xdump
 * info`.
 *
 * The cores are written here byte by byte from docs/FORMAT.md and from Xen's dump-core format,
 * with their own little writer (never xdump's): the tests check the reader against the format,
 * not one implementation against itself. Then every kind of damage a core can come with:
 * truncation at every point, sizes and offsets that lie, other kinds of file, random bytes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "info_print.h"

/* The CLI's entry point, to test its exit codes and messages (argv to stdout/stderr). */
#include "cli/cmd_info.c"

#define PG 4096u

/* ---- a byte buffer -------------------------------------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void reserve(struct buf *b, size_t len)
{
    if (len <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < len)
        cap *= 2;
    b->p = realloc(b->p, cap);
    cr_assert(b->p);
    memset(b->p + b->cap, 0, cap - b->cap);
    b->cap = cap;
}

/* Extends the buffer with zeros to `len` bytes. */
static void extend(struct buf *b, size_t len)
{
    reserve(b, len);
    if (len > b->len)
        b->len = len;
}

static void put(struct buf *b, size_t off, const void *src, size_t n)
{
    extend(b, off + n);
    memcpy(b->p + off, src, n);
}

static void put_le(struct buf *b, size_t off, uint64_t v, int bytes)
{
    extend(b, off + (size_t)bytes);
    for (int i = 0; i < bytes; i++)
        b->p[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

#define P16(b, o, v) put_le(b, o, v, 2)
#define P32(b, o, v) put_le(b, o, v, 4)
#define P64(b, o, v) put_le(b, o, v, 8)

static uint64_t get_le(const struct buf *b, size_t off, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)b->p[off + (size_t)i] << (8 * i);
    return v;
}

static void align_to(struct buf *b, size_t a)
{
    extend(b, (b->len + a - 1) / a * a);
}

/* Appends one note: u32 namesz, descsz, type; name + NUL padded to 4; desc padded to 4.
   Returns the offset of its header. */
static size_t note(struct buf *b, const char *name, uint32_t type, const void *desc, size_t descsz)
{
    size_t at = b->len, namesz = strlen(name) + 1;
    P32(b, at, namesz);
    P32(b, at + 4, descsz);
    P32(b, at + 8, type);
    put(b, at + 12, name, namesz);
    align_to(b, 4);
    size_t d = b->len;
    extend(b, d + descsz);
    if (desc)
        memcpy(b->p + d, desc, descsz);
    align_to(b, 4);
    return at;
}

/* ---- the ELF pieces ------------------------------------------------------------------------- */

static void ehdr(struct buf *b, uint64_t phoff, unsigned phnum, uint64_t shoff, unsigned shnum,
                 unsigned shstrndx)
{
    static const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2 /* 64 */, 1 /* LSB */, 1};
    put(b, 0, ident, 16);
    P16(b, 16, 4);  /* ET_CORE */
    P16(b, 18, 62); /* EM_X86_64 */
    P32(b, 20, 1);
    P64(b, 24, 0);
    P64(b, 32, phoff);
    P64(b, 40, shoff);
    P32(b, 48, 0);
    P16(b, 52, 64);
    P16(b, 54, phnum ? 56 : 0);
    P16(b, 56, phnum);
    P16(b, 58, shoff ? 64 : 0);
    P16(b, 60, shnum);
    P16(b, 62, shstrndx);
}

static void phdr(struct buf *b, size_t at, uint32_t type, uint64_t off, uint64_t vaddr,
                 uint64_t paddr, uint64_t size, uint64_t align)
{
    P32(b, at, type);
    P32(b, at + 4, type == 1 ? 7 : 4); /* PT_LOAD: R|W|X; PT_NOTE: R */
    P64(b, at + 8, off);
    P64(b, at + 16, vaddr);
    P64(b, at + 24, paddr);
    P64(b, at + 32, size);
    P64(b, at + 40, size);
    P64(b, at + 48, align);
}

static void shdr(struct buf *b, size_t at, uint32_t name, uint32_t type, uint64_t off,
                 uint64_t size, uint64_t align, uint64_t entsize)
{
    P32(b, at, name);
    P32(b, at + 4, type);
    P64(b, at + 8, 0);
    P64(b, at + 16, 0);
    P64(b, at + 24, off);
    P64(b, at + 32, size);
    P32(b, at + 40, 0);
    P32(b, at + 44, 0);
    P64(b, at + 48, align);
    P64(b, at + 56, entsize);
}

/* ---- what the test cores hold ---------------------------------------------------------------- */

struct tvcpu {
    uint8_t state; /* 0 never up, 1 online, 2 down */
    uint64_t rip, rsp, cr3;
};

struct trun {
    uint64_t pfn, count;
};

struct tbad {
    uint64_t pfn, count;
    int32_t err;
};

struct tspec {
    uint32_t type; /* 1 PV, 2 HVM, 3 PVH */
    uint32_t domid;
    const char *name;
    uint64_t flags;
    uint32_t shutdown_reason;
    uint64_t started;
    size_t nvcpus;
    struct tvcpu vcpu[8];
    size_t nruns;
    struct trun run[128];
    size_t nbad;
    struct tbad bad[8];
    bool bad_note;    /* write the unmappable-frames note at all */
    size_t padding;   /* bytes of the XDUMP padding note's descriptor (0: none) */
    size_t nvirtual;  /* virtual PT_LOADs, each mapping the first page of the data */
    bool no_sections; /* no section headers at all (a plain ELF core) */
};

/* Where things landed, for the hostile tests. */
struct where {
    size_t phoff, phnum, pages, notes, notes_len, first_note, desc_note, bad_note, shoff, size;
    size_t first_load; /* index of the first physical PT_LOAD */
};

#define F_PAUSED 1u
#define F_LIVE 2u
#define F_SHUTDOWN 4u
#define F_COMPLETE 8u

static const uint8_t test_uuid[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                      0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

static uint64_t spec_pages(const struct tspec *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s->nruns; i++)
        n += s->run[i].count;
    return n;
}

static size_t spec_contexts(const struct tspec *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nvcpus; i++)
        n += s->vcpu[i].state != 0;
    return n;
}

/* The Xen version note's descriptor: 4.17, extra ".3-pre", changeset "abc123". */
static void xen_version_desc(uint8_t d[1280])
{
    memset(d, 0, 1280);
    d[0] = 4;
    d[8] = 17;
    memcpy(d + 16, ".3-pre", 6);
    memcpy(d + 32, "gcc", 3);
    memcpy(d + 176, "xen-3.0-x86_64 hvm-3.0-x86_32", 29);
    memcpy(d + 1200, "abc123", 6);
    d[1273] = 0x10; /* pagesize 4096 at 1272 */
}

static void xen_notes(struct buf *b, uint64_t magic, uint64_t nr_vcpus, uint64_t nr_pages)
{
    uint8_t hdr[32], ver[1280], fmt[8] = {1};
    for (int i = 0; i < 8; i++) {
        hdr[i] = (uint8_t)(magic >> (8 * i));
        hdr[8 + i] = (uint8_t)(nr_vcpus >> (8 * i));
        hdr[16 + i] = (uint8_t)(nr_pages >> (8 * i));
        hdr[24 + i] = (uint8_t)((uint64_t)PG >> (8 * i));
    }
    xen_version_desc(ver);
    note(b, "Xen", 0x2000000, NULL, 0);
    note(b, "Xen", 0x2000001, hdr, sizeof(hdr));
    note(b, "Xen", 0x2000002, ver, sizeof(ver));
    note(b, "Xen", 0x2000003, fmt, sizeof(fmt));
}

/* One "CORE" NT_PRSTATUS and one "QEMU" note per vCPU with a context. */
static void vcpu_notes(struct buf *b, const struct tspec *s)
{
    for (size_t i = 0; i < s->nvcpus; i++) {
        if (!s->vcpu[i].state)
            continue;
        struct buf d = {0};
        extend(&d, 336);
        P32(&d, 32, i + 1);                    /* pr_pid */
        P64(&d, 112 + 8 * 16, s->vcpu[i].rip); /* pr_reg[16] rip */
        P64(&d, 112 + 8 * 19, s->vcpu[i].rsp); /* pr_reg[19] rsp */
        P64(&d, 112 + 8 * 10, 0x1000 + i);     /* rax */
        note(b, "CORE", 1, d.p, 336);
        free(d.p);
    }
    for (size_t i = 0; i < s->nvcpus; i++) {
        if (!s->vcpu[i].state)
            continue;
        struct buf d = {0};
        extend(&d, 440);
        P32(&d, 0, 1);
        P32(&d, 4, 440);
        P64(&d, 8 + 6 * 8, s->vcpu[i].rsp); /* rsp: 7th of rax rbx rcx rdx rsi rdi rsp */
        P64(&d, 136, s->vcpu[i].rip);
        P64(&d, 152 + 9 * 24 + 16, 0xfffffe0000000000ull); /* idt base */
        P64(&d, 392 + 3 * 8, s->vcpu[i].cr3);              /* cr[3] */
        P64(&d, 392 + 4 * 8, 0x3506f0);                    /* cr[4] */
        note(b, "QEMU", 0, d.p, 440);
        free(d.p);
    }
}

static size_t desc_note(struct buf *b, const struct tspec *s)
{
    struct buf d = {0};
    extend(&d, 176 + s->nvcpus);
    P32(&d, 0, 1);
    P32(&d, 4, s->domid);
    P32(&d, 8, s->type);
    P32(&d, 12, s->nvcpus);
    put(&d, 16, test_uuid, 16);
    put(&d, 32, s->name, strlen(s->name));
    P64(&d, 96, spec_pages(s) + 5);
    P64(&d, 104, spec_pages(s));
    P64(&d, 112, 0x400);
    P64(&d, 120, s->flags);
    P64(&d, 128, s->started);
    P32(&d, 136, s->shutdown_reason);
    P32(&d, 140, 4u << 16 | 17);
    put(&d, 144, "0.1.0-test", 10);
    for (size_t i = 0; i < s->nvcpus; i++)
        d.p[176 + i] = s->vcpu[i].state;
    size_t at = note(b, "XDUMP", 0x58440002u, d.p, d.len);
    free(d.p);
    return at;
}

static size_t bad_note(struct buf *b, const struct tspec *s)
{
    struct buf d = {0};
    for (size_t i = 0; i < s->nbad; i++) {
        P64(&d, 24 * i, s->bad[i].pfn);
        P64(&d, 24 * i + 8, s->bad[i].count);
        P32(&d, 24 * i + 16, (uint32_t)s->bad[i].err);
        P32(&d, 24 * i + 20, 0);
    }
    size_t at = note(b, "XDUMP", 0x58440001u, d.p, d.len);
    free(d.p);
    return at;
}

/* Section name table: offsets of each name. */
enum {
    SN_SHSTRTAB = 1,
    SN_NOTE = 11,
    SN_PRSTATUS = 21,
    SN_SHINFO = 35,
    SN_PAGES = 52,
    SN_INDEX = 63
};
static const char shstrtab_pv[] = "\0.shstrtab\0.note.Xen\0.xen_prstatus\0.xen_shared_info\0"
                                  ".xen_pages\0.xen_p2m";
static const char shstrtab_hvm[] = "\0.shstrtab\0.note.Xen\0.xen_prstatus\0.xen_shared_info\0"
                                   ".xen_pages\0.xen_pfn";

/* An xdump core, laid out as docs/FORMAT.md says. */
static struct where build_xdump(struct buf *b, const struct tspec *s)
{
    struct where w = {0};
    bool pv = s->type == 1;
    size_t nctx = spec_contexts(s);
    uint64_t npages = spec_pages(s);
    w.phoff = 64;
    w.phnum = 1 + s->nruns + s->nvirtual;
    w.first_load = 1;
    extend(b, w.phoff + 56 * w.phnum);
    align_to(b, PG);
    w.pages = b->len;
    /* Pages: each starts with its pfn, so a misplaced page would show. */
    size_t at = w.pages;
    for (size_t i = 0; i < s->nruns; i++)
        for (uint64_t k = 0; k < s->run[i].count; k++, at += PG)
            P64(b, at, s->run[i].pfn + k);
    extend(b, w.pages + npages * PG);
    size_t index = b->len;
    for (size_t i = 0, k = 0; i < s->nruns; i++)
        for (uint64_t j = 0; j < s->run[i].count; j++, k++) {
            if (pv) {
                P64(b, index + 16 * k, s->run[i].pfn + j);
                P64(b, index + 16 * k + 8, 0x80000 + s->run[i].pfn + j);
            } else {
                P64(b, index + 8 * k, s->run[i].pfn + j);
            }
        }
    size_t index_len = npages * (pv ? 16 : 8);
    extend(b, index + index_len);

    w.notes = b->len;
    vcpu_notes(b, s);
    size_t xen_notes_at = b->len;
    xen_notes(b, pv ? 0xF00FEBED : 0xF00FEBEE, nctx, npages);
    size_t xen_notes_len = b->len - xen_notes_at;
    w.desc_note = desc_note(b, s);
    w.bad_note = s->bad_note ? bad_note(b, s) : 0;
    if (s->padding)
        note(b, "XDUMP", 0x58440003u, NULL, s->padding);
    w.notes_len = b->len - w.notes;
    w.first_note = w.notes;

    size_t prstatus = b->len;
    extend(b, prstatus + 5168 * nctx);
    size_t shinfo = b->len;
    if (pv)
        extend(b, shinfo + PG);
    size_t strtab = b->len;
    const char *names = pv ? shstrtab_pv : shstrtab_hvm;
    put(b, strtab, names, sizeof(shstrtab_pv));
    align_to(b, 8);

    /* Program headers. */
    phdr(b, w.phoff, 4, w.notes, 0, 0, w.notes_len, 4);
    uint64_t off = w.pages;
    for (size_t i = 0; i < s->nruns; i++) {
        phdr(b, w.phoff + 56 * (1 + i), 1, off, 0, s->run[i].pfn * PG, s->run[i].count * PG, 0);
        off += s->run[i].count * PG;
    }
    for (size_t i = 0; i < s->nvirtual; i++)
        phdr(b, w.phoff + 56 * (1 + s->nruns + i), 1, w.pages, 0xffffffff80000000ull + i * PG,
             s->run[0].pfn * PG, PG, 0);

    if (s->no_sections) {
        ehdr(b, w.phoff, (unsigned)w.phnum, 0, 0, 0);
        w.size = b->len;
        return w;
    }
    /* Sections: null, .shstrtab, .note.Xen, .xen_prstatus, [.xen_shared_info], .xen_pages,
       index. */
    w.shoff = b->len;
    size_t sh = w.shoff + 64, shnum = 1;
    shdr(b, sh, SN_SHSTRTAB, 3, strtab, sizeof(shstrtab_pv), 1, 0), sh += 64, shnum++;
    shdr(b, sh, SN_NOTE, 7, xen_notes_at, xen_notes_len, 4, 0), sh += 64, shnum++;
    shdr(b, sh, SN_PRSTATUS, 1, prstatus, 5168 * nctx, 8, 5168), sh += 64, shnum++;
    if (pv)
        shdr(b, sh, SN_SHINFO, 1, shinfo, PG, 8, PG), sh += 64, shnum++;
    shdr(b, sh, SN_PAGES, 1, w.pages, npages * PG, PG, PG), sh += 64, shnum++;
    shdr(b, sh, SN_INDEX, 1, index, index_len, 8, pv ? 16 : 8), sh += 64, shnum++;
    extend(b, sh);
    bool xnum = w.phnum >= 0xffff;
    if (xnum)
        P32(b, w.shoff + 44, w.phnum); /* section 0's sh_info */
    ehdr(b, w.phoff, xnum ? 0xffff : (unsigned)w.phnum, w.shoff, (unsigned)shnum, 1);
    w.size = b->len;
    return w;
}

/* The PV core of the tests: domain 7, vCPUs 0 online, 1 down, 2 never brought up; 3 runs,
   2 unmappable runs, a padding note; paused, crashed, complete. */
static struct tspec pv_spec(void)
{
    struct tspec s = {
        .type = 1,
        .domid = 7,
        .name = "web\"1\tx",
        .flags = F_PAUSED | F_SHUTDOWN | F_COMPLETE,
        .shutdown_reason = 3,
        .started = 1700000000,
        .nvcpus = 3,
        .vcpu = {{1, 0xffffffff81000010ull, 0xffffc90000003f00ull, 0x1c0a000},
                 {2, 0xffffffff81000020ull, 0xffffc90000007f00ull, 0x1c0b000},
                 {0, 0, 0, 0}},
        .nruns = 3,
        .run = {{0, 4}, {0x10, 2}, {0x100, 3}},
        .nbad = 2,
        .bad = {{0x1, 2, 14}, {0x101, 1, 22}},
        .bad_note = true,
        .padding = 24 * 6,
        .nvirtual = 2,
    };
    return s;
}

static struct tspec hvm_spec(void)
{
    struct tspec s = {
        .type = 2,
        .domid = 12,
        .name = "win",
        .flags = F_LIVE | F_COMPLETE,
        .started = 1600000000,
        .nvcpus = 1,
        .vcpu = {{1, 0xfffff80000001234ull, 0xfffff80000009000ull, 0x1aa000}},
        .nruns = 2,
        .run = {{0, 0xa0}, {0x100, 0x10}},
        .bad_note = true,
    };
    return s;
}

/* ---- files ---------------------------------------------------------------------------------- */

static char *write_temp(const void *data, size_t len)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *path;
    cr_assert(asprintf(&path, "%s/xdump-test-info-XXXXXX", dir) > 0);
    int fd = mkstemp(path);
    cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
    const uint8_t *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        cr_assert(n > 0, "write: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    close(fd);
    return path;
}

/* Opens `len` bytes of b as a core; returns the code, and the core when asked. */
static int open_bytes(const void *data, size_t len, struct xd_core **out, char *err, size_t errlen)
{
    char *path = write_temp(data, len);
    struct xd_core *c = NULL;
    int rc = xd_core_open(path, &c, err, errlen);
    unlink(path);
    free(path);
    if (out)
        *out = c;
    else
        xd_core_close(c);
    return rc;
}

static struct xd_core *open_ok(const struct buf *b)
{
    char err[512];
    struct xd_core *c;
    int rc = open_bytes(b->p, b->len, &c, err, sizeof(err));
    cr_assert_eq(rc, 0, "open: %d %s", rc, err);
    return c;
}

static int open_rc(const struct buf *b, size_t len, char *err, size_t errlen)
{
    return open_bytes(b->p, len, NULL, err, errlen);
}

/* The printed summary (or JSON) as a malloc'ed string. */
static char *printed(const struct xd_core *c, bool json)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    cr_assert(f);
    cr_assert_eq(cli_core_print(c, f, json), 0);
    fclose(f);
    return s;
}

static void assert_has(const char *hay, const char *needle)
{
    cr_assert(strstr(hay, needle), "missing \"%s\" in:\n%s", needle, hay);
}

/* ---- a JSON syntax check (RFC 8259 grammar, no semantics) ------------------------------------ */

static const char *js_value(const char *p);

static const char *js_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

static const char *js_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
                        return NULL;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
        p++;
    }
    return p + 1;
}

static const char *js_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return NULL;
    if (*p == '0' && p[1] >= '0' && p[1] <= '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

static const char *js_list(const char *p, char close, bool keys)
{
    p = js_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (keys) {
            if (!(p = js_string(js_ws(p))))
                return NULL;
            p = js_ws(p);
            if (*p++ != ':')
                return NULL;
        }
        if (!(p = js_value(p)))
            return NULL;
        p = js_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *js_value(const char *p)
{
    p = js_ws(p);
    if (*p == '{')
        return js_list(p, '}', true);
    if (*p == '[')
        return js_list(p, ']', false);
    if (*p == '"')
        return js_string(p);
    if (!strncmp(p, "true", 4))
        return p + 4;
    if (!strncmp(p, "false", 5))
        return p + 5;
    if (!strncmp(p, "null", 4))
        return p + 4;
    return js_number(p);
}

static void assert_json(const char *s)
{
    const char *end = js_value(s);
    cr_assert(end, "invalid JSON:\n%s", s);
    cr_assert_str_eq(js_ws(end), "", "trailing bytes after the JSON object");
    cr_assert_eq(s[0], '{');
}

/* ---- well-formed cores ---------------------------------------------------------------------- */

Test(info, pv_core)
{
    struct tspec s = pv_spec();
    struct buf b = {0};
    build_xdump(&b, &s);
    struct xd_core *c = open_ok(&b);

    const struct xd_core_info *in = xd_core_info(c);
    for (size_t i = 0; i < xd_core_nwarnings(c); i++)
        cr_log_error("warning: %s", xd_core_warning(c, i));
    cr_assert_eq(xd_core_nwarnings(c), 0, "a well-formed core gives no warning");
    cr_assert_eq(in->format, XD_CORE_XDUMP);
    cr_assert(in->has_description);
    cr_assert_eq(in->domid, 7);
    cr_assert_str_eq(in->name, "web\"1\tx");
    cr_assert_eq(in->domain_type, XD_CORE_DOM_PV);
    cr_assert_eq(memcmp(in->uuid, test_uuid, 16), 0);
    cr_assert_eq(in->flags, F_PAUSED | F_SHUTDOWN | F_COMPLETE);
    cr_assert_eq(in->shutdown_reason, 3);
    cr_assert_eq(in->started, 1700000000);
    cr_assert_str_eq(in->xdump_version, "0.1.0-test");
    cr_assert(in->has_xen_header && in->has_xen_version && in->has_xen_format_version);
    cr_assert_eq(in->xen_major, 4);
    cr_assert_eq(in->xen_minor, 17);
    cr_assert_str_eq(in->xen_extra, ".3-pre");
    cr_assert_str_eq(in->xen_changeset, "abc123");
    cr_assert_eq(in->nr_pages, 9);
    cr_assert_eq(in->nr_virtual, 2);
    cr_assert_eq(in->phnum, 6);

    size_t n;
    const struct xd_core_run *runs = xd_core_runs(c, &n);
    cr_assert_eq(n, 3);
    cr_assert_eq(runs[0].pfn, 0);
    cr_assert_eq(runs[0].count, 4);
    cr_assert_eq(runs[1].pfn, 0x10);
    cr_assert_eq(runs[1].count, 2);
    cr_assert_eq(runs[2].pfn, 0x100);
    cr_assert_eq(runs[2].count, 3);

    const struct xd_core_unmappable *bad = xd_core_unmappable(c, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(in->unmappable_frames, 3);
    cr_assert_eq(bad[0].first_pfn, 1);
    cr_assert_eq(bad[0].nr_frames, 2);
    cr_assert_eq(bad[0].err, EFAULT);
    cr_assert_eq(bad[1].first_pfn, 0x101);
    cr_assert_eq(bad[1].err, EINVAL);

    const struct xd_core_vcpu *v = xd_core_vcpus(c, &n);
    cr_assert_eq(n, 3);
    cr_assert_eq(v[0].state, XD_CORE_VCPU_ONLINE);
    cr_assert(v[0].has_regs && v[0].has_cr && v[0].has_qemu && v[0].id_known);
    cr_assert_eq(v[0].regs.rip, 0xffffffff81000010ull);
    cr_assert_eq(v[0].regs.rsp, 0xffffc90000003f00ull);
    cr_assert_eq(v[0].regs.rax, 0x1000);
    cr_assert_eq(v[0].cr[3], 0x1c0a000);
    cr_assert_eq(v[0].cr[4], 0x3506f0);
    cr_assert_eq(v[0].idt_base, 0xfffffe0000000000ull);
    cr_assert_eq(v[1].id, 1);
    cr_assert_eq(v[1].state, XD_CORE_VCPU_DOWN);
    cr_assert_eq(v[1].regs.rip, 0xffffffff81000020ull);
    cr_assert_eq(v[1].regs.rax, 0x1001);
    cr_assert_eq(v[1].cr[3], 0x1c0b000);
    cr_assert_eq(v[2].state, XD_CORE_VCPU_NEVER_UP);
    cr_assert(!v[2].has_regs && !v[2].has_cr);

    char *h = printed(c, false);
    assert_has(h, "format:     xdump core");
    assert_has(h, "domain:     7 \"web\"1\\x09x\", PV, uuid 00112233-4455-6677-8899-aabbccddeeff");
    assert_has(h, "xen:        4.17.3-pre\n");
    assert_has(h, "taken:      paused by xdump\n");
    assert_has(h, "written by: xdump 0.1.0-test\n");
    assert_has(h, "state:      shut down (crash)\n");
    assert_has(h, "started:    2023-11-14 22:13:20 UTC (the dump began)\n");
    assert_has(h, "complete:   yes\n");
    assert_has(h, "pages:      9 in the file, 3 runs");
    assert_has(h, "pfn 0x0-0x3");
    assert_has(h, "pfn 0x100-0x102");
    assert_has(h, "virtual:    2 segments\n");
    assert_has(h, "vcpus:      3 (1 online, 1 down, 1 never brought up)\n");
    assert_has(h, "online           rip 0xffffffff81000010  rsp 0xffffc90000003f00  cr3 0x1c0a000");
    assert_has(h, "vcpu 1       down             rip 0xffffffff81000020");
    assert_has(h, "vcpu 2       never brought up\n");
    assert_has(h, "unmappable: 3 frames in 2 runs");
    assert_has(h, "EFAULT (Bad address)");
    assert_has(h, "pfn 0x101 ");
    assert_has(h, "EINVAL");
    cr_assert(!strstr(h, "INCOMPLETE"));
    cr_assert(!strstr(h, "warning"));
    free(h);

    char *j = printed(c, true);
    assert_json(j);
    assert_has(j, "\"format\":\"xdump\"");
    assert_has(j, "\"domain\":{\"id\":7,\"name\":\"web\\\"1\\tx\",\"type\":\"PV\","
                  "\"uuid\":\"00112233-4455-6677-8899-aabbccddeeff\"}");
    assert_has(j, "\"version\":\"4.17.3-pre\"");
    assert_has(j, "\"paused\":true,\"live\":false,\"shut_down\":true,"
                  "\"shutdown_reason\":\"crash\"");
    assert_has(j, "\"started\":1700000000");
    assert_has(j, "\"complete\":true");
    assert_has(j, "\"pages\":9");
    assert_has(j, "\"nr_runs\":3,\"runs\":[{\"pfn\":0,\"pfn_hex\":\"0x0\",\"count\":4},");
    assert_has(j, "{\"pfn\":256,\"pfn_hex\":\"0x100\",\"count\":3}]");
    assert_has(j, "\"virtual_segments\":2");
    assert_has(j, "{\"index\":0,\"id\":0,\"state\":\"online\",\"rip\":18446744071578845200,"
                  "\"rip_hex\":\"0xffffffff81000010\"");
    assert_has(j, "\"cr3\":29401088,\"cr3_hex\":\"0x1c0a000\"");
    assert_has(j, "{\"index\":2,\"id\":2,\"state\":\"never brought up\"}");
    assert_has(j, "\"unmappable\":{\"recorded\":true,\"frames\":3,\"nr_runs\":2,");
    assert_has(j, "{\"first_pfn\":1,\"first_pfn_hex\":\"0x1\",\"nr_frames\":2,\"errno\":14,"
                  "\"errno_name\":\"EFAULT\"}");
    assert_has(j, "\"errno_name\":\"EINVAL\"");
    assert_has(j, "\"warnings\":[]}\n");
    free(j);
    xd_core_close(c);
    free(b.p);
}

Test(info, hvm_core_live)
{
    struct tspec s = hvm_spec();
    struct buf b = {0};
    build_xdump(&b, &s);
    struct xd_core *c = open_ok(&b);
    const struct xd_core_info *in = xd_core_info(c);
    cr_assert_eq(xd_core_nwarnings(c), 0, "first warning: %s", xd_core_warning(c, 0));
    cr_assert_eq(in->domain_type, XD_CORE_DOM_HVM);
    cr_assert_eq(in->nr_pages, 0xb0);
    cr_assert_eq(in->nr_unmappable_runs, 0);
    cr_assert(in->has_unmappable_note);
    char *h = printed(c, false);
    assert_has(h, "domain:     12 \"win\", HVM, uuid");
    assert_has(h, "taken:      live (--live: the domain kept running)");
    assert_has(h, "state:      running\n");
    assert_has(h, "unmappable: none (every frame was read)\n");
    assert_has(h, "vcpus:      1 (1 online, 0 down, 0 never brought up)\n");
    assert_has(h, "cr3 0x1aa000");
    free(h);
    char *j = printed(c, true);
    assert_json(j);
    assert_has(j, "\"type\":\"HVM\"");
    assert_has(j, "\"paused\":false,\"live\":true,\"shut_down\":false,\"shutdown_reason\":null");
    assert_has(j, "\"unmappable\":{\"recorded\":true,\"frames\":0,\"nr_runs\":0,\"runs\":[]}");
    free(j);
    xd_core_close(c);
    free(b.p);
}

Test(info, pvh_incomplete_is_loud)
{
    struct tspec s = hvm_spec();
    s.type = 3;
    s.flags = F_PAUSED; /* not complete */
    struct buf b = {0};
    build_xdump(&b, &s);
    struct xd_core *c = open_ok(&b);
    char *h = printed(c, false);
    cr_assert_eq(strncmp(h, "*** INCOMPLETE CORE", 19), 0, "the first line says so:\n%s", h);
    assert_has(h, "complete:   NO");
    assert_has(h, ", PVH, uuid");
    free(h);
    char *j = printed(c, true);
    assert_json(j);
    assert_has(j, "\"complete\":false");
    assert_has(j, "\"type\":\"PVH\"");
    free(j);
    xd_core_close(c);
    free(b.p);
}

Test(info, many_runs_are_elided_in_the_summary)
{
    struct tspec s = hvm_spec();
    s.nruns = 40;
    for (size_t i = 0; i < s.nruns; i++)
        s.run[i] = (struct trun){0x10 * i, 1};
    struct buf b = {0};
    build_xdump(&b, &s);
    struct xd_core *c = open_ok(&b);
    char *h = printed(c, false);
    assert_has(h, "pages:      40 in the file, 40 runs");
    assert_has(h, "pfn 0x50 ");
    assert_has(h, "... 28 more runs ...");
    cr_assert(!strstr(h, "pfn 0x60 "));
    assert_has(h, "pfn 0x270 ");
    free(h);
    char *j = printed(c, true); /* JSON lists them all */
    assert_json(j);
    assert_has(j, "{\"pfn\":96,");
    free(j);
    xd_core_close(c);
    free(b.p);
}

Test(info, pn_xnum_70000_program_headers)
{
    struct tspec s = hvm_spec();
    s.nruns = 100;
    for (size_t i = 0; i < s.nruns; i++)
        s.run[i % 128] = (struct trun){2 * i, 1};
    s.nvirtual = 70000 - 1 - 100;
    struct buf b = {0};
    struct where w = build_xdump(&b, &s);
    cr_assert_eq(get_le(&b, 56, 2), 0xffff, "the writer used PN_XNUM");
    struct xd_core *c = open_ok(&b);
    const struct xd_core_info *in = xd_core_info(c);
    cr_assert_eq(in->phnum, 70000);
    cr_assert_eq(in->nr_runs, 100);
    cr_assert_eq(in->nr_virtual, 69899);
    cr_assert_eq(xd_core_nwarnings(c), 0, "first warning: %s", xd_core_warning(c, 0));
    char *h = printed(c, false);
    assert_has(h, "70000 program headers");
    assert_has(h, "virtual:    69899 segments");
    free(h);
    xd_core_close(c);

    /* The count in section 0 lies: more headers than the file holds. */
    P32(&b, w.shoff + 44, 0xffffffffu);
    char err[512];
    cr_assert_eq(open_rc(&b, b.len, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    free(b.p);
}

Test(info, plain_elf_core_without_description)
{
    /* Physical PT_LOADs and CORE/QEMU notes, no XDUMP description, no sections (what QEMU's
       dump-guest-memory writes looks like this). */
    struct buf b = {0};
    ehdr(&b, 64, 2, 0, 0, 0);
    extend(&b, 64 + 2 * 56);
    size_t notes = b.len;
    struct tspec s = hvm_spec();
    vcpu_notes(&b, &s);
    size_t nlen = b.len - notes;
    align_to(&b, PG);
    size_t data = b.len;
    extend(&b, data + 2 * PG);
    phdr(&b, 64, 4, notes, 0, 0, nlen, 4);
    phdr(&b, 64 + 56, 1, data, 0, 0x200000, 2 * PG, 0);
    struct xd_core *c = open_ok(&b);
    const struct xd_core_info *in = xd_core_info(c);
    cr_assert_eq(in->format, XD_CORE_ELF);
    cr_assert_eq(in->nr_pages, 2);
    size_t n;
    const struct xd_core_vcpu *v = xd_core_vcpus(c, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].state, XD_CORE_VCPU_UNKNOWN);
    cr_assert_eq(v[0].regs.rip, 0xfffff80000001234ull);
    char *h = printed(c, false);
    assert_has(h, "ELF core (not written by xdump)");
    assert_has(h, "taken:      unknown (no XDUMP dump-description note)");
    assert_has(h, "unmappable: not recorded");
    assert_has(h, "pfn 0x200-0x201");
    free(h);
    char *j = printed(c, true);
    assert_json(j);
    assert_has(j, "\"format\":\"elf\"");
    assert_has(j, "\"domain\":{\"id\":null,\"name\":null,\"type\":\"unknown\",\"uuid\":null}");
    assert_has(j, "\"complete\":null");
    free(j);
    xd_core_close(c);
    free(b.p);
}

/* ---- Xen's own format ----------------------------------------------------------------------- */

/* A core as xc_domain_dumpcore writes it: ELF header, section headers right after it, no
   program headers; PV: .xen_p2m {pfn, gmfn}; Xen's dumper pads the tail of the index with
   invalid entries when frames failed. */
static void build_xen(struct buf *b, bool pv)
{
    const size_t nsec = pv ? 7 : 6, nctx = 2;
    const uint64_t pfns[] = {0, 1, 2, 5, 6, 0x40, UINT64_MAX, UINT64_MAX};
    const size_t npages = sizeof(pfns) / sizeof(pfns[0]);
    size_t shoff = 64;
    extend(b, shoff + 64 * nsec);
    size_t strtab = b->len;
    put(b, strtab, pv ? shstrtab_pv : shstrtab_hvm, sizeof(shstrtab_pv));
    align_to(b, 8);
    size_t notes = b->len;
    xen_notes(b, pv ? 0xF00FEBED : 0xF00FEBEE, nctx, npages);
    size_t notes_len = b->len - notes;
    align_to(b, 8);
    /* vcpu_guest_context_t: flags @512 (VGCF_online = 1 << 5), user_regs @520 (rip +0x80,
       rsp +0x98), ctrlreg[3] @5008. */
    size_t prstatus = b->len;
    for (size_t i = 0; i < nctx; i++) {
        size_t ctx = prstatus + 5168 * i;
        P64(b, ctx + 512, i == 0 ? 1u << 5 : 0);
        P64(b, ctx + 520 + 0x80, 0xffffffff81000100ull + i);
        P64(b, ctx + 520 + 0x98, 0xffffc90000001000ull + i);
        P64(b, ctx + 520 + 0x50, 0xaa + i); /* rax */
        P64(b, ctx + 5008, 0x7000000ull + (i << 12));
    }
    extend(b, prstatus + 5168 * nctx);
    size_t shinfo = b->len;
    if (pv)
        extend(b, shinfo + PG);
    size_t index = b->len;
    for (size_t i = 0; i < npages; i++) {
        if (pv) {
            P64(b, index + 16 * i, pfns[i]);
            P64(b, index + 16 * i + 8, pfns[i] == UINT64_MAX ? UINT64_MAX : 0x9000 + i);
        } else {
            P64(b, index + 8 * i, pfns[i]);
        }
    }
    size_t index_len = npages * (pv ? 16 : 8);
    extend(b, index + index_len);
    align_to(b, PG);
    size_t pages = b->len;
    extend(b, pages + npages * PG);

    size_t sh = shoff + 64;
    shdr(b, sh, SN_SHSTRTAB, 3, strtab, sizeof(shstrtab_pv), 0, 0), sh += 64;
    shdr(b, sh, SN_NOTE, 7, notes, notes_len, 0, 0), sh += 64;
    shdr(b, sh, SN_PRSTATUS, 1, prstatus, 5168 * nctx, 8, 5168), sh += 64;
    if (pv)
        shdr(b, sh, SN_SHINFO, 1, shinfo, PG, 8, PG), sh += 64;
    shdr(b, sh, SN_INDEX, 1, index, index_len, 8, pv ? 16 : 8), sh += 64;
    shdr(b, sh, SN_PAGES, 1, pages, npages * PG, PG, PG);
    ehdr(b, 0, 0, shoff, (unsigned)nsec, 1);
}

Test(info, xen_format_pv)
{
    struct buf b = {0};
    build_xen(&b, true);
    struct xd_core *c = open_ok(&b);
    const struct xd_core_info *in = xd_core_info(c);
    cr_assert_eq(xd_core_nwarnings(c), 0, "first warning: %s", xd_core_warning(c, 0));
    cr_assert_eq(in->format, XD_CORE_XEN);
    cr_assert_eq(in->domain_type, XD_CORE_DOM_PV);
    cr_assert_eq(in->phnum, 0);
    cr_assert_eq(in->nr_pages, 6);
    cr_assert_eq(in->xen_invalid, 2);
    size_t n;
    const struct xd_core_run *runs = xd_core_runs(c, &n);
    cr_assert_eq(n, 3);
    cr_assert_eq(runs[0].pfn, 0);
    cr_assert_eq(runs[0].count, 3);
    cr_assert_eq(runs[1].pfn, 5);
    cr_assert_eq(runs[1].count, 2);
    cr_assert_eq(runs[2].pfn, 0x40);
    const struct xd_core_vcpu *v = xd_core_vcpus(c, &n);
    cr_assert_eq(n, 2);
    cr_assert(!v[0].id_known);
    cr_assert_eq(v[0].state, XD_CORE_VCPU_ONLINE);
    cr_assert_eq(v[1].state, XD_CORE_VCPU_DOWN);
    cr_assert_eq(v[0].regs.rip, 0xffffffff81000100ull);
    cr_assert_eq(v[1].regs.rsp, 0xffffc90000001001ull);
    cr_assert_eq(v[1].regs.rax, 0xab);
    cr_assert_eq(v[1].cr[3], 0x7001000);
    xd_core_unmappable(c, &n);
    cr_assert_eq(n, 0);

    char *h = printed(c, false);
    assert_has(h, "format:     Xen dump-core format (xl dump-core)");
    assert_has(h, "domain:     PV (id, name and uuid not recorded)");
    assert_has(h, "xen:        4.17.3-pre");
    assert_has(h, "pages:      6 in the file, 3 runs");
    assert_has(h, "2 index slots invalid");
    assert_has(h, "context 0    online           rip 0xffffffff81000100  rsp 0xffffc90000001000"
                  "  cr3 0x7000000");
    assert_has(h, "context 1    down");
    assert_has(h, "unmappable: Xen dump-core format (xl dump-core): no unmappable-frame record");
    free(h);
    char *j = printed(c, true);
    assert_json(j);
    assert_has(j, "\"format\":\"xen\"");
    assert_has(j, "\"xen_invalid_index_entries\":2");
    assert_has(j, "{\"index\":1,\"id\":null,\"state\":\"down\"");
    assert_has(j, "\"unmappable\":{\"recorded\":false");
    free(j);
    xd_core_close(c);
    free(b.p);
}

Test(info, xen_format_hvm)
{
    struct buf b = {0};
    build_xen(&b, false);
    struct xd_core *c = open_ok(&b);
    const struct xd_core_info *in = xd_core_info(c);
    cr_assert_eq(xd_core_nwarnings(c), 0, "first warning: %s", xd_core_warning(c, 0));
    cr_assert_eq(in->domain_type, XD_CORE_DOM_HVM);
    cr_assert_eq(in->nr_runs, 3);
    xd_core_close(c);
    free(b.p);
}

/* ---- damaged and foreign files -------------------------------------------------------------- */

Test(info, truncated_anywhere)
{
    struct tspec s = pv_spec();
    struct buf b = {0};
    struct where w = build_xdump(&b, &s);
    char err[512];
    for (size_t cut = 1; cut < b.len;
         cut += (cut >= w.pages + PG && cut < w.notes - 64) ? 509 : 1) {
        int rc = open_rc(&b, cut, err, sizeof(err));
        cr_assert_eq(rc, XD_E_TRUNCATED, "cut at %zu of %zu: %d %s", cut, b.len, rc, err);
    }
    cr_assert_eq(open_rc(&b, w.shoff + 100, err, sizeof(err)), XD_E_TRUNCATED);
    cr_assert(strstr(err, "truncated"), "%s", err);
    cr_assert(strstr(err, "xdump-test-info-"), "names the file: %s", err);

    struct buf x = {0};
    build_xen(&x, true);
    for (size_t cut = 1; cut < x.len; cut += 97)
        cr_assert_eq(open_rc(&x, cut, err, sizeof(err)), XD_E_TRUNCATED,
                     "Xen format cut at %zu: %s", cut, err);
    free(x.p);
    free(b.p);
}

Test(info, not_a_core)
{
    char err[512];
    cr_assert_eq(open_bytes("", 0, NULL, err, sizeof(err)), XD_E_NOTCORE, "%s", err);
    assert_has(err, "empty file");
    const char text[] = "this is not an ELF file at all, just some text\n";
    cr_assert_eq(open_bytes(text, sizeof(text), NULL, err, sizeof(err)), XD_E_NOTCORE);
    cr_assert_eq(open_bytes("\x7f", 1, NULL, err, sizeof(err)), XD_E_TRUNCATED);

    struct tspec s = pv_spec();
    struct buf b = {0};
    build_xdump(&b, &s);
    struct buf m = {0};
    put(&m, 0, b.p, b.len);
    m.p[4] = 1; /* ELFCLASS32 */
    cr_assert_eq(open_rc(&m, m.len, err, sizeof(err)), XD_E_NOTCORE);
    assert_has(err, "32-bit");
    put(&m, 0, b.p, 64);
    m.p[5] = 2; /* big-endian */
    cr_assert_eq(open_rc(&m, m.len, err, sizeof(err)), XD_E_NOTCORE);
    put(&m, 0, b.p, 64);
    P16(&m, 16, 2); /* ET_EXEC */
    cr_assert_eq(open_rc(&m, m.len, err, sizeof(err)), XD_E_NOTCORE);
    assert_has(err, "not a core");
    put(&m, 0, b.p, 64);
    P16(&m, 18, 3); /* EM_386 */
    cr_assert_eq(open_rc(&m, m.len, err, sizeof(err)), XD_E_NOTCORE);
    free(m.p);
    free(b.p);

    cr_assert_eq(xd_core_open("/nonexistent/core", &(struct xd_core *){NULL}, err, sizeof(err)),
                 XD_E_OPEN);
    assert_has(err, "/nonexistent/core: cannot open: No such file or directory");
    cr_assert_eq(xd_core_open("/", &(struct xd_core *){NULL}, err, sizeof(err)), XD_E_OPEN);
}

Test(info, xdump_core_read_through_its_sections_alone)
{
    /* What a Xen dump-core reader sees of an xdump core: the same pages. */
    struct tspec s = pv_spec();
    struct buf b = {0};
    build_xdump(&b, &s);
    P16(&b, 56, 0); /* e_phnum */
    struct xd_core *c = open_ok(&b);
    const struct xd_core_info *in = xd_core_info(c);
    cr_assert_eq(in->format, XD_CORE_XEN);
    cr_assert_eq(in->nr_pages, 9);
    cr_assert_eq(in->nr_runs, 3);
    cr_assert_eq(in->nr_vcpus, 2);
    cr_assert_eq(xd_core_nwarnings(c), 0, "first warning: %s", xd_core_warning(c, 0));
    xd_core_close(c);

    /* Without program headers and without .note.Xen there is nothing to read. */
    size_t shoff = (size_t)get_le(&b, 40, 8);
    P32(&b, shoff + 2 * 64 + 4, 1); /* .note.Xen becomes SHT_PROGBITS named .shstrtab */
    P32(&b, shoff + 2 * 64, SN_SHSTRTAB);
    char err[512];
    cr_assert_eq(open_rc(&b, b.len, err, sizeof(err)), XD_E_NOTCORE, "%s", err);
    free(b.p);
}

/* The PV core with one change made by `damage`; returns the open code. */
static int damaged(void (*damage)(struct buf *, const struct where *), char *err, size_t errlen)
{
    struct tspec s = pv_spec();
    struct buf b = {0};
    struct where w = build_xdump(&b, &s);
    damage(&b, &w);
    int rc = open_rc(&b, b.len, err, errlen);
    free(b.p);
    return rc;
}

static void namesz_huge(struct buf *b, const struct where *w)
{
    P32(b, w->first_note, 0xffffffffu);
}

static void descsz_huge(struct buf *b, const struct where *w)
{
    P32(b, w->first_note + 4, 0xfffffff0u);
}

static void descsz_past_segment(struct buf *b, const struct where *w)
{
    P32(b, w->desc_note + 4, (uint32_t)(w->notes_len - (w->desc_note - w->notes)));
}

static void bad_note_ragged(struct buf *b, const struct where *w)
{
    P32(b, w->bad_note + 4, 47);
}

static void bad_note_empty_run(struct buf *b, const struct where *w)
{
    P64(b, w->bad_note + 12 + 8 + 8, 0); /* first entry's nr_frames */
}

static void bad_note_wraps(struct buf *b, const struct where *w)
{
    P64(b, w->bad_note + 12 + 8, UINT64_MAX - 1); /* first entry's first_pfn */
}

static void desc_vcpus_beyond(struct buf *b, const struct where *w)
{
    P32(b, w->desc_note + 12 + 8 + 12, 1000); /* nr_vcpus, more than the note holds */
}

static void desc_vcpus_huge(struct buf *b, const struct where *w)
{
    P32(b, w->desc_note + 12 + 8 + 12, 0xffffffffu);
}

static void desc_second(struct buf *b, const struct where *w)
{
    P32(b, w->bad_note + 8, 0x58440002u); /* the unmappable note becomes a second description */
}

static void desc_version_2(struct buf *b, const struct where *w)
{
    P32(b, w->desc_note + 12 + 8, 2);
}

static void load_offset_past_eof(struct buf *b, const struct where *w)
{
    P64(b, w->phoff + 56 * w->first_load + 8, (uint64_t)1 << 40);
}

static void load_offset_wraps(struct buf *b, const struct where *w)
{
    P64(b, w->phoff + 56 * w->first_load + 8, UINT64_MAX - 100);
}

static void note_offset_past_eof(struct buf *b, const struct where *w)
{
    P64(b, w->phoff + 8, w->size - 8);
}

static void phnum_huge(struct buf *b, const struct where *w)
{
    (void)w;
    P16(b, 56, 0xfffe);
}

static void phentsize_wrong(struct buf *b, const struct where *w)
{
    (void)w;
    P16(b, 54, 32);
}

static void shstrndx_beyond(struct buf *b, const struct where *w)
{
    (void)w;
    P16(b, 62, 200);
}

static void shoff_wraps(struct buf *b, const struct where *w)
{
    (void)w;
    P64(b, 40, UINT64_MAX - 10);
}

static void shoff_past_eof(struct buf *b, const struct where *w)
{
    P64(b, 40, w->size + 4096);
}

static void section_past_eof(struct buf *b, const struct where *w)
{
    P64(b, w->shoff + 64 * 5 + 32, (uint64_t)1 << 50); /* .xen_pages sh_size */
}

static void shstrtab_name_past_end(struct buf *b, const struct where *w)
{
    P32(b, w->shoff + 64 * 3, 100000); /* .xen_prstatus's sh_name */
}

static void xen_format_version_2(struct buf *b, const struct where *w)
{
    (void)w;
    /* The format-version note: "Xen" type 0x2000003, descriptor 1. */
    for (size_t at = 0; at + 24 <= b->len; at += 4)
        if (get_le(b, at, 4) == 4 && get_le(b, at + 4, 4) == 8 &&
            get_le(b, at + 8, 4) == 0x2000003) {
            P64(b, at + 16, 2);
            return;
        }
    cr_assert_fail("no format-version note");
}

Test(info, hostile_notes)
{
    char err[512];
    cr_assert_eq(damaged(namesz_huge, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    assert_has(err, "runs past the end of the notes");
    cr_assert_eq(damaged(descsz_huge, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(descsz_past_segment, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(bad_note_ragged, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    assert_has(err, "not a multiple of 24");
    cr_assert_eq(damaged(bad_note_empty_run, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(bad_note_wraps, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(desc_vcpus_beyond, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(desc_vcpus_huge, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(desc_second, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(desc_version_2, err, sizeof(err)), XD_E_UNSUPPORTED, "%s", err);
    cr_assert_eq(damaged(xen_format_version_2, err, sizeof(err)), XD_E_UNSUPPORTED, "%s", err);
}

Test(info, hostile_headers)
{
    char err[512];
    /* The section headers end the file intact: a range past EOF is corruption. */
    cr_assert_eq(damaged(load_offset_past_eof, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    assert_has(err, "segment 1");
    cr_assert_eq(damaged(load_offset_wraps, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(note_offset_past_eof, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(phnum_huge, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    assert_has(err, "program header table");
    cr_assert_eq(damaged(phentsize_wrong, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(shstrndx_beyond, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    cr_assert_eq(damaged(section_past_eof, err, sizeof(err)), XD_E_CORRUPT, "%s", err);
    /* Section headers placed past the end: the file was cut short. */
    cr_assert_eq(damaged(shoff_past_eof, err, sizeof(err)), XD_E_TRUNCATED, "%s", err);
    cr_assert_eq(damaged(shoff_wraps, err, sizeof(err)), XD_E_CORRUPT, "%s", err);

    /* A nameless section is only a warning. */
    struct tspec s = pv_spec();
    struct buf b = {0};
    struct where w = build_xdump(&b, &s);
    shstrtab_name_past_end(&b, &w);
    struct xd_core *c = open_ok(&b);
    cr_assert_geq(xd_core_nwarnings(c), 1);
    xd_core_close(c);
    free(b.p);

    /* Without section headers, a segment past EOF is read as truncation. */
    s.no_sections = true;
    b = (struct buf){0};
    w = build_xdump(&b, &s);
    cr_assert_eq(open_rc(&b, b.len, err, sizeof(err)), 0, "%s", err);
    load_offset_past_eof(&b, &w);
    cr_assert_eq(open_rc(&b, b.len, err, sizeof(err)), XD_E_TRUNCATED, "%s", err);
    free(b.p);
}

Test(info, inconsistencies_are_warnings)
{
    struct tspec s = pv_spec();
    s.bad[1].pfn = 0x200; /* not in the file */
    s.vcpu[2].state = 7;
    struct buf b = {0};
    build_xdump(&b, &s);
    struct xd_core *c = open_ok(&b);
    char *h = printed(c, false);
    assert_has(h, "warning:    unmappable pfns 0x200+1 are not all in the physical segments");
    assert_has(h, "warning:    vCPU 2: vcpu_state 7 is not 0, 1 or 2");
    assert_has(h, "vcpu 2       invalid");
    free(h);
    char *j = printed(c, true);
    assert_json(j);
    assert_has(j, "\"warnings\":[\"");
    assert_has(j, "\"unmappable pfns 0x200+1 are not all in the physical segments");
    free(j);
    xd_core_close(c);
    free(b.p);
}

/* Random damage to the headers and notes of good cores: any answer but a crash (ASan and
   UBSan watch), and a core that opens prints. */
static void fuzz(struct buf *good, size_t lo, size_t hi, unsigned seed, int rounds)
{
    struct buf m = {0};
    FILE *null = fopen("/dev/null", "w");
    cr_assert(null);
    srand(seed);
    for (int i = 0; i < rounds; i++) {
        m.len = 0;
        put(&m, 0, good->p, good->len);
        int changes = 1 + rand() % 4;
        for (int k = 0; k < changes; k++) {
            size_t at = (size_t)rand() % (hi - lo) + lo;
            static const uint32_t values[] = {0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 4096};
            if (rand() % 2)
                m.p[at] = (uint8_t)rand();
            else if (at + 4 <= m.len)
                P32(&m, at, values[rand() % 7]);
        }
        size_t len = rand() % 8 ? m.len : (size_t)rand() % m.len;
        char err[512];
        struct xd_core *c;
        int rc = open_bytes(m.p, len, &c, err, sizeof(err));
        cr_assert(rc == 0 || (rc <= XD_E_OPEN && rc >= XD_E_NOMEM), "round %d: rc %d", i, rc);
        if (rc == 0) {
            cr_assert_eq(cli_core_print(c, null, false), 0);
            cr_assert_eq(cli_core_print(c, null, true), 0);
            xd_core_close(c);
        } else {
            cr_assert(err[0], "round %d: no message", i);
        }
    }
    fclose(null);
    free(m.p);
}

Test(info, fuzz_headers_and_notes, .timeout = 120)
{
    struct tspec s = pv_spec();
    struct buf b = {0};
    struct where w = build_xdump(&b, &s);
    fuzz(&b, 0, w.phoff + 56 * w.phnum, 1, 1500);
    fuzz(&b, w.notes, b.len, 2, 1500);
    free(b.p);
    struct buf x = {0};
    build_xen(&x, true);
    fuzz(&x, 0, 64 * 8 + 200, 3, 800);
    fuzz(&x, 0, x.len, 4, 800);
    free(x.p);
}

/* ---- the command ---------------------------------------------------------------------------- */

/* Runs cmd_info with stdout and stderr captured into malloc'ed strings. */
static int run_cmd(int argc, char **argv, char **out, char **errs)
{
    char *paths[2];
    int saved[2], fds[2];
    for (int i = 0; i < 2; i++) {
        paths[i] = write_temp("", 0);
        fds[i] = open(paths[i], O_WRONLY | O_TRUNC);
        cr_assert(fds[i] >= 0);
    }
    fflush(stdout);
    fflush(stderr);
    saved[0] = dup(1);
    saved[1] = dup(2);
    dup2(fds[0], 1);
    dup2(fds[1], 2);
    int rc = cmd_info(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved[0], 1);
    dup2(saved[1], 2);
    char **dst[2] = {out, errs};
    for (int i = 0; i < 2; i++) {
        close(saved[i]);
        close(fds[i]);
        FILE *f = fopen(paths[i], "r");
        cr_assert(f);
        char *s = calloc(1, 1 << 16);
        cr_assert(s);
        size_t n = fread(s, 1, (1 << 16) - 1, f);
        s[n] = '\0';
        fclose(f);
        unlink(paths[i]);
        free(paths[i]);
        *dst[i] = s;
    }
    return rc;
}

Test(info, command)
{
    struct tspec s = pv_spec();
    struct buf b = {0};
    build_xdump(&b, &s);
    char *core = write_temp(b.p, b.len);
    char *out, *err;

    char *a1[] = {"info", core, NULL};
    cr_assert_eq(run_cmd(2, a1, &out, &err), 0);
    assert_has(out, "vcpus:      3 (1 online, 1 down, 1 never brought up)");
    cr_assert_str_eq(err, "");
    free(out), free(err);

    char *a2[] = {"info", "--json", core, NULL};
    cr_assert_eq(run_cmd(3, a2, &out, &err), 0);
    assert_json(out);
    free(out), free(err);

    char *a3[] = {"info", NULL};
    cr_assert_eq(run_cmd(1, a3, &out, &err), 2);
    assert_has(err, "usage: xdump info [--json] <core>");
    free(out), free(err);

    char *a4[] = {"info", "--bogus", core, NULL};
    cr_assert_eq(run_cmd(3, a4, &out, &err), 2);
    assert_has(err, "unknown option '--bogus'");
    free(out), free(err);

    char *a5[] = {"info", core, core, NULL};
    cr_assert_eq(run_cmd(3, a5, &out, &err), 2);
    free(out), free(err);

    cr_assert_eq(truncate(core, 1000), 0);
    cr_assert_eq(run_cmd(2, a1, &out, &err), 11);
    cr_assert_str_eq(out, "");
    char *want;
    cr_assert(asprintf(&want, "xdump: info: %s: truncated: ", core) > 0);
    cr_assert_eq(strncmp(err, want, strlen(want)), 0, "stderr: %s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
    free(want);
    free(out), free(err);

    char *a6[] = {"info", "/nonexistent.core", NULL};
    cr_assert_eq(run_cmd(2, a6, &out, &err), 11);
    assert_has(err, "xdump: info: /nonexistent.core: cannot open: No such file or directory\n");
    free(out), free(err);

    unlink(core);
    free(core);
    free(b.p);
}
