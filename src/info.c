/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * info: reading a core back (see info.h).
 *
 * xd_core_open() reads in this order, each step trusting only what the previous ones checked:
 * the raw ELF header and section header 0 (so that a truncated file is named as such before
 * libelf sees it), the program and section header tables (libelf), the notes (our own bounded
 * parser over pread: libelf's note iterator wants the whole segment in memory), and for a
 * Xen-format core its vCPU contexts and page index. Then it cross-checks the counts and keeps
 * what disagrees as warnings: a reader of a possibly damaged core should show all it can.
 */
#include "info.h"
#include "diskdump.h"
#include "format.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The format's numbers (note types, layouts, Xen's vcpu_guest_context offsets) are format.h's,
   shared with the writer. What only the reader needs is here. */
#define XEN_INVALID_PFN UINT64_MAX /* an index slot Xen's dumper did not fill */
#define VMCOREINFO_READ 65536      /* OSRELEASE is near the start; the rest is not needed */

/* info.h's numbers are the format's (info.h does not include format.h: it is the reader's
   interface, not the format). */
_Static_assert(XD_CORE_F_PAUSED == XD_DESC_F_PAUSED && XD_CORE_F_LIVE == XD_DESC_F_LIVE &&
                   XD_CORE_F_SHUTDOWN == XD_DESC_F_SHUTDOWN &&
                   XD_CORE_F_COMPLETE == XD_DESC_F_COMPLETE &&
                   XD_CORE_F_PRECOPY == XD_DESC_F_PRECOPY &&
                   XD_CORE_PC_NOT_CONVERGING == XD_PRECOPY_F_NOT_CONVERGING &&
                   XD_CORE_PC_ROUND_LIMIT == XD_PRECOPY_F_ROUND_LIMIT &&
                   XD_CORE_PC_LOST == XD_PRECOPY_F_LOST &&
                   XD_CORE_PC_VIRT_AT_PAUSE == XD_PRECOPY_F_VIRT_AT_PAUSE &&
                   XD_CORE_PC_DM_TRACKED == XD_PRECOPY_F_DM_TRACKED &&
                   XD_CORE_PC_DM_UNTRACKED == XD_PRECOPY_F_DM_UNTRACKED,
               "the description's flags");
_Static_assert(XD_CORE_DOM_PV == XD_DESC_TYPE_PV && XD_CORE_DOM_HVM == XD_DESC_TYPE_HVM &&
                   XD_CORE_DOM_PVH == XD_DESC_TYPE_PVH,
               "the description's domain types");
_Static_assert(XD_CORE_VCPU_NEVER_UP == XD_DESC_VCPU_NONE &&
                   XD_CORE_VCPU_ONLINE == XD_DESC_VCPU_ONLINE &&
                   XD_CORE_VCPU_DOWN == XD_DESC_VCPU_DOWN,
               "the description's vcpu_state values");
_Static_assert(sizeof(((struct xd_core_info *)0)->name) == XD_DESC_NAME_LEN + 1 &&
                   sizeof(((struct xd_core_info *)0)->xdump_version) ==
                       XD_DESC_XDUMP_VERSION_LEN + 1 &&
                   sizeof(((struct xd_core_info *)0)->xen_extra) == XD_XEN_VERSION_EXTRA_LEN + 1 &&
                   sizeof(((struct xd_core_info *)0)->xen_changeset) ==
                       XD_XEN_VERSION_CHANGESET_LEN + 1 &&
                   sizeof(((struct xd_core_info *)0)->stop_reason) ==
                       XD_INCOMPLETE_SIZE - XD_INCOMPLETE_O_REASON + 1,
               "the strings hold the format's fields and a NUL");

/* Bounds on what a core may hold, far above any real guest. */
#define MAX_VCPUS 65536
#define MAX_NOTES (1u << 20)
#define MAX_WARNINGS 32
#define INDEX_CHUNK 4096 /* index entries read at once */

struct xd_core {
    char *path;
    struct xd_core_info info;
    struct xd_core_run *runs;
    size_t runs_cap;
    struct xd_core_unmappable *unmappable;
    size_t unmappable_cap;
    struct xd_core_vcpu *vcpus;
    char *warnings[MAX_WARNINGS + 1];
    size_t nwarnings;
    uint64_t warnings_dropped;
    bool unmappable_unsorted; /* runs overlap or go backwards */
    bool runs_unsorted;       /* physical runs overlap or go backwards */
};

/* A known section: where its bytes are. */
struct section {
    bool present;
    uint32_t type;
    uint64_t offset, size, entsize;
};

/* A "QEMU" note, matched to the i-th "CORE" note. */
struct qemu_state {
    uint64_t cr[5];
    uint64_t kernel_gs_base, gdt_base, idt_base, rip;
};

/* What xd_core_open gathers on the way. */
struct reader {
    const char *path;
    int fd;
    uint64_t size;
    bool whole; /* section headers end exactly at EOF: the file was not cut short */
    char *err;
    size_t errlen;
    Elf *elf;
    struct xd_core *c;

    uint64_t phoff, shoff;
    size_t phnum, shnum, shstrndx;
    size_t nnote_segments;
    bool first_is_note;

    struct section note_xen, prstatus, shared_info, pages, p2m, pfn;

    uint8_t *vcpu_state; /* the description's array, desc nr_vcpus bytes */
    uint32_t desc_nr_vcpus;
    struct xd_core_vcpu *ctxs; /* one per "CORE" NT_PRSTATUS note, in note order */
    size_t nctxs, ctxs_cap;
    struct qemu_state *qemu; /* one per "QEMU" note, in note order */
    size_t nqemu, qemu_cap;
};

/* ---- errors and warnings ------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static int fail(struct reader *r, int code, const char *fmt,
                                                      ...)
{
    if (r->err && r->errlen) {
        int n = snprintf(r->err, r->errlen, "%s: ", r->path);
        if (n >= 0 && (size_t)n < r->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

__attribute__((format(printf, 2, 3))) static void warn(struct reader *r, const char *fmt, ...)
{
    struct xd_core *c = r->c;
    if (c->nwarnings >= MAX_WARNINGS) {
        c->warnings_dropped++;
        return;
    }
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    char *copy = strdup(line);
    if (copy)
        c->warnings[c->nwarnings++] = copy;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* Checks that [off, off + len) lies in the file; `what` names it for the message. */
static int in_file(struct reader *r, uint64_t off, uint64_t len, const char *what)
{
    if (len > UINT64_MAX - off)
        return fail(r, XD_E_CORRUPT, "%s: offset %" PRIu64 " + size %" PRIu64 " overflows", what,
                    off, len);
    if (off + len <= r->size)
        return 0;
    if (r->whole)
        return fail(r, XD_E_CORRUPT,
                    "%s (bytes %" PRIu64 "..%" PRIu64 ") lies past the end of the file (%" PRIu64
                    " bytes), though the section headers end it intact",
                    what, off, off + len, r->size);
    return fail(r, XD_E_TRUNCATED,
                "truncated: %s ends at byte %" PRIu64 " but the file has only %" PRIu64 " bytes",
                what, off + len, r->size);
}

/* Reads [off, off + len) exactly, after checking it lies in the file. */
static int read_at(struct reader *r, uint64_t off, void *buf, size_t len, const char *what)
{
    int rc = in_file(r, off, len, what);
    if (rc)
        return rc;
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(r->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(r, XD_E_OPEN, "read error at byte %" PRIu64 ": %s", off, strerror(errno));
        if (n == 0)
            return fail(r, XD_E_TRUNCATED,
                        "truncated: the file shrank to byte %" PRIu64 " while being read", off);
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* Grows *arr (element size `size`) to hold at least n + 1 elements. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > SIZE_MAX / size)
        return -1;
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

static int nomem(struct reader *r)
{
    return fail(r, XD_E_NOMEM, "out of memory");
}

/* Copies a fixed-size char field of the file into a NUL-terminated string (dst: len + 1). */
static void copy_field(char *dst, const uint8_t *src, size_t len)
{
    size_t n = strnlen((const char *)src, len);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- ELF header and header tables ---------------------------------------------------------- */

static const char *elf_type_name(unsigned t)
{
    switch (t) {
    case ET_NONE:
        return "no file type";
    case ET_REL:
        return "a relocatable object";
    case ET_EXEC:
        return "an executable";
    case ET_DYN:
        return "a shared object or PIE executable";
    default:
        return "an unknown file type";
    }
}

/* The ELF header, read raw: says what the file is before libelf is asked anything. */
static int check_ehdr(struct reader *r, uint8_t *h)
{
    static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
    if (r->size == 0)
        return fail(r, XD_E_NOTCORE, "empty file (0 bytes): not a core");
    size_t n = r->size < XD_EHDR_SIZE ? (size_t)r->size : XD_EHDR_SIZE;
    int rc = read_at(r, 0, h, n, "ELF header");
    if (rc)
        return rc;
    if (memcmp(h, magic, n < 4 ? n : 4) != 0)
        return fail(r, XD_E_NOTCORE, "not an ELF file (no ELF magic): not a core");
    if (n < XD_EHDR_SIZE)
        return fail(r, XD_E_TRUNCATED,
                    "truncated: %zu bytes, shorter than an ELF header (64 bytes)", n);
    if (h[EI_CLASS] == ELFCLASS32)
        return fail(r, XD_E_NOTCORE, "32-bit ELF file (ELFCLASS32): not an x86-64 core");
    if (h[EI_CLASS] != ELFCLASS64)
        return fail(r, XD_E_NOTCORE, "unknown ELF class %u: not a core", h[EI_CLASS]);
    if (h[EI_DATA] != ELFDATA2LSB)
        return fail(r, XD_E_NOTCORE,
                    "big-endian or unknown ELF data encoding %u: not an "
                    "x86-64 core",
                    h[EI_DATA]);
    if (h[EI_VERSION] != EV_CURRENT || xd_get_le32(h + 20) != EV_CURRENT)
        return fail(r, XD_E_NOTCORE, "unknown ELF version: not a core");
    unsigned type = xd_get_le16(h + 16), machine = xd_get_le16(h + 18);
    if (type != ET_CORE)
        return fail(r, XD_E_NOTCORE, "ELF file but %s (e_type %u), not a core", elf_type_name(type),
                    type);
    if (machine != EM_X86_64)
        return fail(r, XD_E_NOTCORE, "ELF core for machine %u, not x86-64 (%u)", machine,
                    EM_X86_64);
    if (xd_get_le16(h + 52) < XD_EHDR_SIZE)
        return fail(r, XD_E_CORRUPT, "ELF header size e_ehsize %u is below 64",
                    xd_get_le16(h + 52));
    return 0;
}

/* Program and section header counts and tables: in the file, and consistent. */
static int check_tables(struct reader *r, const uint8_t *h)
{
    r->phoff = xd_get_le64(h + 32);
    r->shoff = xd_get_le64(h + 40);
    unsigned e_phnum = xd_get_le16(h + 56), e_shnum = xd_get_le16(h + 60),
             e_shstrndx = xd_get_le16(h + 62);
    uint64_t shnum = e_shnum, phnum = e_phnum, shstrndx = e_shstrndx;

    if (r->shoff) {
        if (xd_get_le16(h + 58) != XD_SHDR_SIZE)
            return fail(r, XD_E_CORRUPT, "e_shentsize %u, not 64", xd_get_le16(h + 58));
        uint8_t s0[XD_SHDR_SIZE];
        int rc = read_at(r, r->shoff, s0, sizeof(s0), "section header 0");
        if (rc)
            return rc;
        if (e_shnum == 0)
            shnum = xd_get_le64(s0 + 32); /* sh_size */
        if (e_phnum == PN_XNUM)
            phnum = xd_get_le32(s0 + 44); /* sh_info */
        if (e_shstrndx == SHN_XINDEX)
            shstrndx = xd_get_le32(s0 + 40); /* sh_link */
        if (shnum > (UINT64_MAX - r->shoff) / XD_SHDR_SIZE)
            return fail(r, XD_E_CORRUPT,
                        "%" PRIu64 " section headers: the table's size "
                        "overflows",
                        shnum);
        r->whole = shnum && r->shoff + shnum * XD_SHDR_SIZE == r->size;
        rc = in_file(r, r->shoff, shnum * XD_SHDR_SIZE, "the section header table");
        if (rc)
            return rc;
    } else {
        if (e_phnum == PN_XNUM)
            return fail(r, XD_E_CORRUPT,
                        "e_phnum is PN_XNUM but there is no section header 0 "
                        "to hold the count");
        shnum = 0;
    }
    if (shnum && shstrndx >= shnum)
        return fail(r, XD_E_CORRUPT, "section name table index %" PRIu64 " >= %" PRIu64 " sections",
                    shstrndx, shnum);
    if (phnum) {
        if (xd_get_le16(h + 54) != XD_PHDR_SIZE)
            return fail(r, XD_E_CORRUPT, "e_phentsize %u, not 56", xd_get_le16(h + 54));
        if (r->phoff == 0)
            return fail(r, XD_E_CORRUPT, "%" PRIu64 " program headers at offset 0", phnum);
        char what[64];
        snprintf(what, sizeof(what), "the program header table (%" PRIu64 " entries)", phnum);
        int rc = in_file(r, r->phoff, phnum * XD_PHDR_SIZE, what);
        if (rc)
            return rc;
        if (phnum > INT32_MAX) /* gelf_getphdr takes an int */
            return fail(r, XD_E_UNSUPPORTED, "%" PRIu64 " program headers", phnum);
    }
    r->phnum = (size_t)phnum;
    r->shnum = (size_t)shnum;
    r->shstrndx = (size_t)shstrndx;
    return 0;
}

/* libelf over the checked file; its counts must agree with ours. */
static int open_elf(struct reader *r)
{
    elf_version(EV_CURRENT);
    r->elf = elf_begin(r->fd, ELF_C_READ, NULL);
    if (!r->elf)
        return fail(r, XD_E_CORRUPT, "libelf cannot read it: %s", elf_errmsg(-1));
    size_t n;
    if (elf_getphdrnum(r->elf, &n) != 0 || n != r->phnum)
        return fail(r, XD_E_CORRUPT,
                    "libelf counts a different number of program headers "
                    "(%s)",
                    elf_errmsg(-1));
    if (r->shnum && (elf_getshdrnum(r->elf, &n) != 0 || n != r->shnum))
        return fail(r, XD_E_CORRUPT, "libelf counts a different number of sections (%s)",
                    elf_errmsg(-1));
    if (r->shnum && (elf_getshdrstrndx(r->elf, &n) != 0 || n != r->shstrndx))
        return fail(r, XD_E_CORRUPT, "libelf finds a different section name table (%s)",
                    elf_errmsg(-1));
    return 0;
}

/* ---- program headers ---------------------------------------------------------------------- */

static int add_run(struct reader *r, uint64_t pfn, uint64_t count)
{
    struct xd_core *c = r->c;
    size_t n = c->info.nr_runs;
    if (grow((void **)&c->runs, &c->runs_cap, n, sizeof(*c->runs)))
        return nomem(r);
    c->runs[n] = (struct xd_core_run){pfn, count};
    c->info.nr_runs = n + 1;
    c->info.nr_pages += count;
    return 0;
}

static int add_note_segment(struct reader *r, size_t i, const GElf_Phdr *ph);

static int scan_phdrs(struct reader *r)
{
    uint64_t next_pfn = 0; /* physical runs must start at or after this */
    size_t other = 0;
    for (size_t i = 0; i < r->phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(r->elf, (int)i, &ph))
            return fail(r, XD_E_CORRUPT, "program header %zu: %s", i, elf_errmsg(-1));
        if (i == 0)
            r->first_is_note = ph.p_type == PT_NOTE;
        char what[64];
        snprintf(what, sizeof(what), "segment %zu", i);
        if (ph.p_type == PT_NOTE) {
            int rc = in_file(r, ph.p_offset, ph.p_filesz, what);
            if (rc)
                return rc;
            rc = add_note_segment(r, i, &ph);
            if (rc)
                return rc;
            continue;
        }
        if (ph.p_type != PT_LOAD) {
            other += ph.p_type != PT_NULL;
            continue;
        }
        int rc = in_file(r, ph.p_offset, ph.p_filesz, what);
        if (rc)
            return rc;
        if (ph.p_flags & XD_PF_MACHINE) { /* crash's view of a PV guest */
            r->c->info.nr_machine++;
            if (ph.p_flags & XD_PF_XDUMP) /* xdump's p2m frame lists */
                r->c->info.xdump_pages += ph.p_filesz / XD_PAGE_SIZE;
            continue;
        }
        if (ph.p_vaddr != 0) {
            r->c->info.nr_virtual++;
            continue;
        }
        if (ph.p_filesz != ph.p_memsz)
            warn(r,
                 "segment %zu: p_filesz %" PRIu64 " != p_memsz %" PRIu64
                 " (pages beyond p_filesz are not in the file)",
                 i, ph.p_filesz, ph.p_memsz);
        if ((ph.p_paddr | ph.p_filesz) & (XD_PAGE_SIZE - 1))
            warn(r,
                 "segment %zu: p_paddr 0x%" PRIx64 " or p_filesz %" PRIu64 " is not page aligned",
                 i, ph.p_paddr, ph.p_filesz);
        if (ph.p_filesz == 0)
            continue;
        uint64_t pfn = ph.p_paddr >> XD_PAGE_SHIFT;
        uint64_t count = (ph.p_filesz + XD_PAGE_SIZE - 1) >> XD_PAGE_SHIFT;
        if (pfn < next_pfn && !r->c->runs_unsorted) {
            r->c->runs_unsorted = true;
            warn(r,
                 "segment %zu: pfn 0x%" PRIx64 " overlaps or precedes the run before it "
                 "(physical runs must be pfn ascending)",
                 i, pfn);
        }
        next_pfn = pfn + count < pfn ? UINT64_MAX : pfn + count;
        rc = add_run(r, pfn, count);
        if (rc)
            return rc;
    }
    if (other)
        warn(r, "%zu program headers are neither PT_NOTE nor PT_LOAD", other);
    return 0;
}

/* ---- sections ----------------------------------------------------------------------------- */

static struct section *known_section(struct reader *r, const char *name)
{
    static const struct {
        const char *name;
        size_t field;
    } known[] = {
        {XD_SECNAME_NOTE_XEN, offsetof(struct reader, note_xen)},
        {XD_SECNAME_PRSTATUS, offsetof(struct reader, prstatus)},
        {XD_SECNAME_SHARED_INFO, offsetof(struct reader, shared_info)},
        {XD_SECNAME_PAGES, offsetof(struct reader, pages)},
        {XD_SECNAME_P2M, offsetof(struct reader, p2m)},
        {XD_SECNAME_PFN, offsetof(struct reader, pfn)},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(name, known[i].name) == 0)
            return (struct section *)((char *)r + known[i].field);
    return NULL;
}

static int scan_sections(struct reader *r)
{
    for (size_t i = 1; i < r->shnum; i++) {
        Elf_Scn *scn = elf_getscn(r->elf, i);
        GElf_Shdr sh;
        if (!scn || !gelf_getshdr(scn, &sh))
            return fail(r, XD_E_CORRUPT, "section %zu: %s", i, elf_errmsg(-1));
        char what[64];
        snprintf(what, sizeof(what), "section %zu", i);
        if (sh.sh_type != SHT_NOBITS) {
            int rc = in_file(r, sh.sh_offset, sh.sh_size, what);
            if (rc)
                return rc;
        }
        const char *name = elf_strptr(r->elf, r->shstrndx, sh.sh_name);
        if (!name) {
            warn(r, "section %zu has no readable name (%s)", i, elf_errmsg(-1));
            continue;
        }
        struct section *s = known_section(r, name);
        if (!s)
            continue;
        if (s->present) {
            warn(r, "section %s appears twice; the first is used", name);
            continue;
        }
        if (sh.sh_type == SHT_NOBITS)
            return fail(r, XD_E_CORRUPT, "section %s is SHT_NOBITS: it has no bytes", name);
        *s = (struct section){true, sh.sh_type, sh.sh_offset, sh.sh_size, sh.sh_entsize};
    }
    return 0;
}

/* ---- notes -------------------------------------------------------------------------------- */

static void read_regs(struct xd_core_regs *g, const uint8_t *p)
{
    uint64_t v[XD_PRSTATUS_NREG];
    for (size_t i = 0; i < XD_PRSTATUS_NREG; i++)
        v[i] = xd_get_le64(p + 8 * i);
    *g = (struct xd_core_regs){
        .r15 = v[0],
        .r14 = v[1],
        .r13 = v[2],
        .r12 = v[3],
        .rbp = v[4],
        .rbx = v[5],
        .r11 = v[6],
        .r10 = v[7],
        .r9 = v[8],
        .r8 = v[9],
        .rax = v[10],
        .rcx = v[11],
        .rdx = v[12],
        .rsi = v[13],
        .rdi = v[14],
        .orig_rax = v[15],
        .rip = v[16],
        .cs = v[17],
        .eflags = v[18],
        .rsp = v[19],
        .ss = v[20],
        .fs_base = v[21],
        .gs_base = v[22],
        .ds = v[23],
        .es = v[24],
        .fs = v[25],
        .gs = v[26],
    };
}

/* "CORE" NT_PRSTATUS: a vCPU's registers, pr_pid = vCPU id + 1. */
static int note_prstatus(struct reader *r, size_t idx, uint64_t off, uint32_t descsz)
{
    if (descsz != XD_PRSTATUS_SIZE)
        warn(r, "note %zu: NT_PRSTATUS of %" PRIu32 " bytes, not 336 (gdb ignores it)", idx,
             descsz);
    if (descsz < XD_PRSTATUS_REG + 8 * XD_PRSTATUS_NREG)
        return 0;
    uint8_t d[XD_PRSTATUS_SIZE];
    int rc = read_at(r, off, d, XD_PRSTATUS_REG + 8 * XD_PRSTATUS_NREG, "an NT_PRSTATUS note");
    if (rc)
        return rc;
    int32_t pid = (int32_t)xd_get_le32(d + XD_PRSTATUS_PID);
    if (pid <= 0) {
        warn(r, "note %zu: NT_PRSTATUS with pr_pid %" PRId32 " (must be vCPU id + 1); skipped", idx,
             pid);
        return 0;
    }
    if (r->nctxs >= MAX_VCPUS)
        return fail(r, XD_E_CORRUPT, "more than %d NT_PRSTATUS notes", MAX_VCPUS);
    if (grow((void **)&r->ctxs, &r->ctxs_cap, r->nctxs, sizeof(*r->ctxs)))
        return nomem(r);
    struct xd_core_vcpu *v = &r->ctxs[r->nctxs++];
    *v = (struct xd_core_vcpu){
        .id = (uint32_t)pid - 1, .id_known = true, .state = XD_CORE_VCPU_UNKNOWN, .has_regs = true};
    read_regs(&v->regs, d + XD_PRSTATUS_REG);
    return 0;
}

/* "QEMU" type 0: QEMUCPUState v1 (control registers, descriptor tables). */
static int note_qemu(struct reader *r, size_t idx, uint64_t off, uint32_t descsz)
{
    if (descsz < XD_QEMU_MIN) {
        warn(r, "note %zu: QEMU CPU state of %" PRIu32 " bytes, below %d; skipped", idx, descsz,
             XD_QEMU_MIN);
        return 0;
    }
    uint8_t d[XD_QEMU_SIZE];
    size_t n = descsz < XD_QEMU_SIZE ? descsz : XD_QEMU_SIZE;
    int rc = read_at(r, off, d, n, "a QEMU note");
    if (rc)
        return rc;
    if (xd_get_le32(d) != XD_QEMU_VERSION) {
        warn(r, "note %zu: QEMU CPU state version %" PRIu32 ", not 1; skipped", idx,
             xd_get_le32(d));
        return 0;
    }
    if (r->nqemu >= MAX_VCPUS)
        return fail(r, XD_E_CORRUPT, "more than %d QEMU notes", MAX_VCPUS);
    if (grow((void **)&r->qemu, &r->qemu_cap, r->nqemu, sizeof(*r->qemu)))
        return nomem(r);
    struct qemu_state *q = &r->qemu[r->nqemu++];
    for (size_t i = 0; i < 5; i++)
        q->cr[i] = xd_get_le64(d + XD_QEMU_CR + 8 * i);
    const uint8_t *gdt = d + XD_QEMU_SEGS + XD_QEMU_SEG_SIZE * XD_QEMU_SEG_GDT;
    q->gdt_base = xd_get_le64(gdt + XD_QEMU_SEG_BASE);
    q->idt_base = xd_get_le64(gdt + XD_QEMU_SEG_SIZE + XD_QEMU_SEG_BASE); /* the next one */
    q->kernel_gs_base = n >= XD_QEMU_SIZE ? xd_get_le64(d + XD_QEMU_KGS) : 0;
    q->rip = xd_get_le64(d + XD_QEMU_RIP);
    return 0;
}

/* The four "Xen" notes of Xen's dump-core format. */
static int note_xen(struct reader *r, size_t idx, uint32_t type, uint64_t off, uint32_t descsz)
{
    struct xd_core_info *in = &r->c->info;
    uint8_t d[XD_XEN_VERSION_SIZE];
    int rc;
    switch (type) {
    case XD_XEN_NT_NONE:
        return 0;
    case XD_XEN_NT_HEADER:
        if (descsz < XD_XEN_HEADER_SIZE)
            return fail(r, XD_E_CORRUPT, "note %zu: Xen header note of %" PRIu32 " bytes, below 32",
                        idx, descsz);
        if (in->has_xen_header) {
            warn(r, "note %zu: a second Xen header note; the first is used", idx);
            return 0;
        }
        if ((rc = read_at(r, off, d, XD_XEN_HEADER_SIZE, "the Xen header note")))
            return rc;
        in->has_xen_header = true;
        in->xen_magic = xd_get_le64(d);
        in->xen_nr_vcpus = xd_get_le64(d + 8);
        in->xen_nr_pages = xd_get_le64(d + 16);
        in->xen_page_size = xd_get_le64(d + 24);
        return 0;
    case XD_XEN_NT_VERSION:
        if (descsz < XD_XEN_VERSION_O_VIRT_START) {
            warn(r, "note %zu: Xen version note of %" PRIu32 " bytes, below 1264; skipped", idx,
                 descsz);
            return 0;
        }
        if (in->has_xen_version)
            return 0;
        if ((rc = read_at(r, off, d, XD_XEN_VERSION_O_VIRT_START, "the Xen version note")))
            return rc;
        in->has_xen_version = true;
        in->xen_major = xd_get_le64(d);
        in->xen_minor = xd_get_le64(d + 8);
        copy_field(in->xen_extra, d + XD_XEN_VERSION_O_EXTRA, XD_XEN_VERSION_EXTRA_LEN);
        copy_field(in->xen_changeset, d + XD_XEN_VERSION_O_CHANGESET, XD_XEN_VERSION_CHANGESET_LEN);
        return 0;
    case XD_XEN_NT_FORMAT:
        if (descsz < XD_XEN_FORMAT_SIZE)
            return fail(r, XD_E_CORRUPT,
                        "note %zu: Xen format-version note of %" PRIu32 " bytes, below 8", idx,
                        descsz);
        if ((rc = read_at(r, off, d, XD_XEN_FORMAT_SIZE, "the Xen format-version note")))
            return rc;
        in->has_xen_format_version = true;
        in->xen_format_version = xd_get_le64(d);
        return 0;
    case XD_XEN_NT_CRASH_INFO: /* xdump's PV cores carry it for crash */
        return 0;
    default:
        warn(r, "note %zu: unknown Xen note type 0x%" PRIx32, idx, type);
        return 0;
    }
}

/* "XDUMP" type 2: how the dump was taken, and each vCPU's state. */
static int note_description(struct reader *r, size_t idx, uint64_t off, uint32_t descsz)
{
    struct xd_core_info *in = &r->c->info;
    if (in->has_description)
        return fail(r, XD_E_CORRUPT, "note %zu: a second XDUMP dump-description note", idx);
    uint8_t d[XD_DESC_SIZE];
    if (descsz < XD_DESC_SIZE)
        return fail(r, XD_E_CORRUPT,
                    "note %zu: XDUMP dump description of %" PRIu32 " bytes, below 176", idx,
                    descsz);
    int rc = read_at(r, off, d, XD_DESC_SIZE, "the XDUMP dump description");
    if (rc)
        return rc;
    uint32_t version = xd_get_le32(d + XD_DESC_O_VERSION);
    if (version != XD_DESC_VERSION)
        return fail(r, XD_E_UNSUPPORTED,
                    "XDUMP dump description version %" PRIu32 " (this xdump reads version 1)",
                    version);
    uint32_t nr_vcpus = xd_get_le32(d + XD_DESC_O_NR_VCPUS);
    if (nr_vcpus > MAX_VCPUS)
        return fail(r, XD_E_CORRUPT, "XDUMP dump description: nr_vcpus %" PRIu32 " exceeds %d",
                    nr_vcpus, MAX_VCPUS);
    if (descsz - XD_DESC_SIZE < nr_vcpus)
        return fail(r, XD_E_CORRUPT,
                    "XDUMP dump description: %" PRIu32 " bytes hold no "
                    "vcpu_state for its %" PRIu32 " vCPUs",
                    descsz, nr_vcpus);
    if (descsz - XD_DESC_SIZE > nr_vcpus)
        warn(r, "XDUMP dump description: %" PRIu32 " bytes, more than 176 + nr_vcpus (%" PRIu32 ")",
             descsz, nr_vcpus);
    r->vcpu_state = malloc(nr_vcpus ? nr_vcpus : 1);
    if (!r->vcpu_state)
        return nomem(r);
    if (nr_vcpus &&
        (rc = read_at(r, off + XD_DESC_SIZE, r->vcpu_state, nr_vcpus, "the vcpu_state array")))
        return rc;
    r->desc_nr_vcpus = nr_vcpus;
    in->has_description = true;
    in->domid = xd_get_le32(d + XD_DESC_O_DOMID);
    in->domain_type = (int)xd_get_le32(d + XD_DESC_O_TYPE);
    memcpy(in->uuid, d + XD_DESC_O_UUID, 16);
    copy_field(in->name, d + XD_DESC_O_NAME, XD_DESC_NAME_LEN);
    in->tot_pages = xd_get_le64(d + XD_DESC_O_TOT_PAGES);
    in->desc_nr_pages = xd_get_le64(d + XD_DESC_O_NR_PAGES);
    in->max_pfn = xd_get_le64(d + XD_DESC_O_MAX_PFN);
    in->flags = xd_get_le64(d + XD_DESC_O_FLAGS);
    in->started = xd_get_le64(d + XD_DESC_O_STARTED);
    in->shutdown_reason = xd_get_le32(d + XD_DESC_O_SHUTDOWN_REASON);
    in->desc_xen_version = xd_get_le32(d + XD_DESC_O_XEN_VERSION);
    copy_field(in->xdump_version, d + XD_DESC_O_XDUMP_VERSION, XD_DESC_XDUMP_VERSION_LEN);
    if (in->domain_type < XD_CORE_DOM_PV || in->domain_type > XD_CORE_DOM_PVH) {
        warn(r, "XDUMP dump description: unknown domain_type %d", in->domain_type);
        in->domain_type = XD_CORE_DOM_UNKNOWN;
    }
    return 0;
}

/* "XDUMP" type 1: runs of frames that could not be read, with their errno. */
static int note_unmappable(struct reader *r, size_t idx, uint64_t off, uint32_t descsz)
{
    struct xd_core *c = r->c;
    struct xd_core_info *in = &c->info;
    if (in->has_unmappable_note)
        return fail(r, XD_E_CORRUPT, "note %zu: a second XDUMP unmappable-frames note", idx);
    if (descsz % XD_UNMAPPABLE_SIZE)
        return fail(r, XD_E_CORRUPT,
                    "note %zu: XDUMP unmappable-frames note of %" PRIu32
                    " bytes, not a multiple of 24",
                    idx, descsz);
    in->has_unmappable_note = true;
    uint64_t prev_end = 0;
    uint8_t buf[XD_UNMAPPABLE_SIZE * 256];
    for (uint32_t done = 0; done < descsz;) {
        uint32_t chunk = descsz - done < sizeof(buf) ? descsz - done : (uint32_t)sizeof(buf);
        int rc = read_at(r, off + done, buf, chunk, "the unmappable-frames note");
        if (rc)
            return rc;
        for (uint32_t k = 0; k < chunk; k += XD_UNMAPPABLE_SIZE) {
            size_t i = in->nr_unmappable_runs;
            const uint8_t *e = buf + k;
            struct xd_core_unmappable u = {xd_get_le64(e + XD_UNMAPPABLE_O_PFN),
                                           xd_get_le64(e + XD_UNMAPPABLE_O_COUNT),
                                           (int32_t)xd_get_le32(e + XD_UNMAPPABLE_O_ERRNO)};
            if (u.nr_frames == 0 || u.nr_frames > UINT64_MAX - u.first_pfn)
                return fail(r, XD_E_CORRUPT,
                            "unmappable-frames entry %zu: pfn 0x%" PRIx64 " + %" PRIu64
                            " frames is empty or overflows",
                            i, u.first_pfn, u.nr_frames);
            if (u.err <= 0)
                warn(r, "unmappable-frames entry %zu: errno %" PRId32 " is not positive", i, u.err);
            if (xd_get_le32(e + XD_UNMAPPABLE_O_RESERVED) != 0)
                warn(r, "unmappable-frames entry %zu: reserved field is 0x%" PRIx32 ", not 0", i,
                     xd_get_le32(e + XD_UNMAPPABLE_O_RESERVED));
            if (i && u.first_pfn < prev_end && !c->unmappable_unsorted) {
                c->unmappable_unsorted = true;
                warn(r,
                     "unmappable-frames entry %zu: pfn 0x%" PRIx64 " overlaps or precedes "
                     "the run before it (runs must be pfn ascending)",
                     i, u.first_pfn);
            }
            prev_end = u.first_pfn + u.nr_frames;
            if (grow((void **)&c->unmappable, &c->unmappable_cap, i, sizeof(u)))
                return nomem(r);
            c->unmappable[i] = u;
            in->nr_unmappable_runs = i + 1;
            in->unmappable_frames = u.nr_frames > UINT64_MAX - in->unmappable_frames
                                        ? UINT64_MAX
                                        : in->unmappable_frames + u.nr_frames;
        }
        done += chunk;
    }
    return 0;
}

/* "VMCOREINFO": the kernel release, phys_base and the KASLR offset are shown. */

/* A number after `key` on a VMCOREINFO line, in `base`: true and *out when the line has it. */
static bool vmcoreinfo_number(const char *line, size_t len, const char *key, int base,
                              uint64_t *out)
{
    size_t k = strlen(key);
    char num[32];
    if (len <= k || len - k >= sizeof(num) || strncmp(line, key, k) != 0)
        return false;
    memcpy(num, line + k, len - k);
    num[len - k] = '\0';
    *out = strtoull(num, NULL, base);
    return true;
}

static void vmcoreinfo_line(struct xd_core_info *in, const char *line, size_t len)
{
    static const char rel[] = "OSRELEASE=";
    if (len > sizeof(rel) - 1 && !strncmp(line, rel, sizeof(rel) - 1) && !in->osrelease[0]) {
        size_t n = len - (sizeof(rel) - 1);
        if (n >= sizeof(in->osrelease))
            n = sizeof(in->osrelease) - 1;
        memcpy(in->osrelease, line + sizeof(rel) - 1, n);
        in->osrelease[n] = '\0';
    } else if (vmcoreinfo_number(line, len, "NUMBER(phys_base)=", 10, &in->phys_base)) {
        in->has_phys_base = true; /* Linux writes it in decimal */
    } else if (vmcoreinfo_number(line, len, "KERNELOFFSET=", 16, &in->kaslr_offset)) {
        in->has_kaslr_offset = true; /* and this one in hex */
    }
}

static int note_vmcoreinfo(struct reader *r, uint64_t off, uint32_t descsz)
{
    size_t n = descsz < VMCOREINFO_READ ? descsz : VMCOREINFO_READ;
    char *d = malloc(n + 1);
    if (!d)
        return nomem(r);
    int rc = read_at(r, off, d, n, "the VMCOREINFO note");
    if (rc == 0) {
        d[n] = '\0';
        for (char *line = d; line && *line;) {
            char *eol = strchr(line, '\n');
            vmcoreinfo_line(&r->c->info, line, eol ? (size_t)(eol - line) : strlen(line));
            line = eol ? eol + 1 : NULL;
        }
    }
    free(d);
    return rc;
}

static bool name_is(const char *name, uint32_t namesz, const char *want)
{
    return namesz == strlen(want) + 1 && memcmp(name, want, namesz) == 0;
}

static int dispatch_note(struct reader *r, size_t idx, const char *name, uint32_t namesz,
                         uint32_t type, uint64_t off, uint32_t descsz)
{
    if (name_is(name, namesz, XD_NOTE_CORE))
        return type == XD_NT_PRSTATUS ? note_prstatus(r, idx, off, descsz) : 0;
    if (name_is(name, namesz, XD_NOTE_QEMU))
        return type == XD_NT_QEMU ? note_qemu(r, idx, off, descsz) : 0;
    if (name_is(name, namesz, XD_NOTE_XEN))
        return note_xen(r, idx, type, off, descsz);
    if (name_is(name, namesz, XD_NOTE_VMCOREINFO))
        return note_vmcoreinfo(r, off, descsz);
    if (!name_is(name, namesz, XD_NOTE_XDUMP))
        return 0;
    switch (type) {
    case XD_NT_UNMAPPABLE:
        return note_unmappable(r, idx, off, descsz);
    case XD_NT_DESCRIPTION:
        return note_description(r, idx, off, descsz);
    case XD_NT_PADDING:
        return 0;
    case XD_NT_INCOMPLETE: {
        uint8_t d[XD_INCOMPLETE_SIZE];
        if (descsz < sizeof(d))
            return fail(r, XD_E_CORRUPT, "note %zu: XDUMP incomplete note of %" PRIu32 " bytes",
                        idx, descsz);
        int rc = read_at(r, off, d, sizeof(d), "the XDUMP incomplete note");
        if (rc)
            return rc;
        struct xd_core_info *in = &r->c->info;
        in->has_incomplete = true;
        in->pages_written = xd_get_le64(d + XD_INCOMPLETE_O_WRITTEN);
        in->stop_pfn = xd_get_le64(d + XD_INCOMPLETE_O_NEXT_PFN);
        in->stop_status = (int32_t)xd_get_le32(d + XD_INCOMPLETE_O_STATUS);
        copy_field(in->stop_reason, d + XD_INCOMPLETE_O_REASON,
                   XD_INCOMPLETE_SIZE - XD_INCOMPLETE_O_REASON);
        return 0;
    }
    case XD_NT_PRECOPY: {
        uint8_t d[XD_PRECOPY_SIZE];
        if (descsz < sizeof(d))
            return fail(r, XD_E_CORRUPT, "note %zu: XDUMP pre-copy note of %" PRIu32 " bytes", idx,
                        descsz);
        int rc = read_at(r, off, d, sizeof(d), "the XDUMP pre-copy note");
        if (rc)
            return rc;
        struct xd_core_info *in = &r->c->info;
        in->has_precopy = true;
        in->precopy_rounds = xd_get_le32(d + XD_PRECOPY_O_ROUNDS);
        in->precopy_flags = xd_get_le32(d + XD_PRECOPY_O_FLAGS);
        in->precopy_pause_us = xd_get_le64(d + XD_PRECOPY_O_PAUSE_US);
        in->precopy_final = xd_get_le64(d + XD_PRECOPY_O_FINAL);
        in->precopy_recopied = xd_get_le64(d + XD_PRECOPY_O_RECOPIED);
        in->precopy_running_us = xd_get_le64(d + XD_PRECOPY_O_RUNNING_US);
        in->precopy_budget_ms = xd_get_le32(d + XD_PRECOPY_O_BUDGET_MS);
        return 0;
    }
    default:
        warn(r, "note %zu: unknown XDUMP note type %" PRIu32, idx, type);
        return 0;
    }
}

/* Walks the notes in [off, off + len) (already checked to lie in the file). Each note costs
   one or two small reads; at most MAX_NOTES notes. */
static int parse_notes(struct reader *r, uint64_t off, uint64_t len, const char *where)
{
    uint64_t pos = 0;
    size_t idx = 0;
    while (len - pos >= XD_NOTE_HDR_SIZE) {
        uint8_t h[XD_NOTE_HDR_SIZE];
        int rc = read_at(r, off + pos, h, XD_NOTE_HDR_SIZE, where);
        if (rc)
            return rc;
        uint32_t namesz = xd_get_le32(h), descsz = xd_get_le32(h + 4), type = xd_get_le32(h + 8);
        uint64_t desc = pos + XD_NOTE_HDR_SIZE + xd_note_pad4(namesz);
        if (desc > len || descsz > len - desc)
            return fail(r, XD_E_CORRUPT,
                        "%s: note %zu at byte %" PRIu64 " (namesz %" PRIu32 ", descsz %" PRIu32
                        ") runs past the end of the notes (%" PRIu64 " bytes)",
                        where, idx, off + pos, namesz, descsz, len);
        char name[16] = "";
        if (namesz <= sizeof(name) &&
            (rc = read_at(r, off + pos + XD_NOTE_HDR_SIZE, name, namesz, where)))
            return rc;
        if (namesz <= sizeof(name) &&
            (rc = dispatch_note(r, idx, name, namesz, type, off + desc, descsz)))
            return rc;
        if (++idx > MAX_NOTES)
            return fail(r, XD_E_CORRUPT, "%s: more than %u notes", where, MAX_NOTES);
        pos = desc + xd_note_pad4(descsz); /* may pass len when the last descriptor is unpadded */
        if (pos > len)
            pos = len;
    }
    if (pos < len) {
        uint8_t tail[XD_NOTE_HDR_SIZE] = {0};
        int rc = read_at(r, off + pos, tail, (size_t)(len - pos), where);
        if (rc)
            return rc;
        for (size_t i = 0; i < len - pos; i++)
            if (tail[i]) {
                warn(r, "%s: %" PRIu64 " stray bytes after the last note", where, len - pos);
                break;
            }
    }
    return 0;
}

static int add_note_segment(struct reader *r, size_t i, const GElf_Phdr *ph)
{
    r->nnote_segments++;
    char where[64];
    snprintf(where, sizeof(where), "PT_NOTE segment %zu", i);
    return parse_notes(r, ph->p_offset, ph->p_filesz, where);
}

/* ---- vCPUs -------------------------------------------------------------------------------- */

static struct xd_core_vcpu *find_vcpu(struct xd_core_vcpu *v, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id)
            return &v[i];
    return NULL;
}

/* The vCPU list: the description's (states) merged with the NT_PRSTATUS notes (registers) and
   the QEMU notes (control registers, matched by order). */
static int build_vcpus(struct reader *r)
{
    struct xd_core *c = r->c;
    size_t n = r->c->info.has_description ? r->desc_nr_vcpus : 0;
    size_t cap = n + r->nctxs;
    c->vcpus = calloc(cap ? cap : 1, sizeof(*c->vcpus));
    if (!c->vcpus)
        return nomem(r);
    for (size_t i = 0; i < n; i++) {
        struct xd_core_vcpu *v = &c->vcpus[i];
        v->id = (uint32_t)i;
        v->id_known = true;
        v->raw_state = r->vcpu_state[i];
        v->state = v->raw_state <= XD_CORE_VCPU_DOWN ? v->raw_state : XD_CORE_VCPU_INVALID;
        if (v->state == XD_CORE_VCPU_INVALID)
            warn(r, "vCPU %zu: vcpu_state %u is not 0, 1 or 2", i, v->raw_state);
    }
    if (r->nqemu && r->nqemu != r->nctxs)
        warn(r, "%zu QEMU notes for %zu NT_PRSTATUS notes: they must pair up", r->nqemu, r->nctxs);
    size_t extra = 0; /* vCPUs without a description entry, after the n described */
    for (size_t k = 0; k < r->nctxs; k++) {
        const struct xd_core_vcpu *ctx = &r->ctxs[k];
        struct xd_core_vcpu *v =
            ctx->id < n ? &c->vcpus[ctx->id] : find_vcpu(c->vcpus + n, extra, ctx->id);
        if (v && v->has_regs)
            return fail(r, XD_E_CORRUPT, "two NT_PRSTATUS notes for vCPU %" PRIu32, ctx->id);
        if (!v) {
            if (c->info.has_description)
                warn(r,
                     "NT_PRSTATUS note for vCPU %" PRIu32 ", beyond the description's %zu "
                     "vCPUs",
                     ctx->id, n);
            v = &c->vcpus[n + extra++];
            *v = *ctx;
        } else {
            v->has_regs = true;
            v->regs = ctx->regs;
        }
        if (k < r->nqemu) {
            const struct qemu_state *q = &r->qemu[k];
            v->has_cr = v->has_qemu = true;
            memcpy(v->cr, q->cr, sizeof(v->cr));
            v->kernel_gs_base = q->kernel_gs_base;
            v->gdt_base = q->gdt_base;
            v->idt_base = q->idt_base;
            if (q->rip != v->regs.rip)
                warn(r,
                     "vCPU %" PRIu32 ": rip 0x%" PRIx64 " in NT_PRSTATUS but 0x%" PRIx64
                     " in its QEMU note",
                     v->id, v->regs.rip, q->rip);
        }
    }
    c->info.nr_vcpus = n + extra;
    for (size_t i = 0; i < n; i++) {
        const struct xd_core_vcpu *v = &c->vcpus[i];
        if (v->state == XD_CORE_VCPU_NEVER_UP && v->has_regs)
            warn(r, "vCPU %zu: never brought up, yet it has an NT_PRSTATUS note", i);
        if ((v->state == XD_CORE_VCPU_ONLINE || v->state == XD_CORE_VCPU_DOWN) && !v->has_regs)
            warn(r, "vCPU %zu: %s, but it has no NT_PRSTATUS note", i,
                 xd_core_vcpu_state_name(v->state));
    }
    return 0;
}

/* Xen format: registers from Xen's own vcpu_guest_context records. */
static int xen_contexts(struct reader *r)
{
    struct xd_core *c = r->c;
    const struct section *s = &r->prstatus;
    if (!s->present)
        return 0;
    if (s->size % XD_CTX_SIZE)
        return fail(r, XD_E_CORRUPT,
                    ".xen_prstatus: %" PRIu64 " bytes, not a multiple of "
                    "vcpu_guest_context's 5168",
                    s->size);
    uint64_t n = s->size / XD_CTX_SIZE;
    if (n > MAX_VCPUS)
        return fail(r, XD_E_CORRUPT, ".xen_prstatus: %" PRIu64 " contexts, more than %d", n,
                    MAX_VCPUS);
    c->vcpus = calloc(n ? n : 1, sizeof(*c->vcpus));
    uint8_t *ctx = malloc(XD_CTX_SIZE);
    if (!c->vcpus || !ctx) {
        free(ctx);
        return nomem(r);
    }
    for (uint64_t i = 0; i < n; i++) {
        int rc = read_at(r, s->offset + i * XD_CTX_SIZE, ctx, XD_CTX_SIZE, ".xen_prstatus");
        if (rc) {
            free(ctx);
            return rc;
        }
        struct xd_core_vcpu *v = &c->vcpus[i];
        const uint8_t *u = ctx + XD_CTX_USER_REGS;
        uint64_t g[XD_REGS_NGPR];
        for (size_t k = 0; k < XD_REGS_NGPR; k++)
            g[k] = xd_get_le64(u + 8 * k);
        v->id = (uint32_t)i;
        v->state = xd_get_le64(ctx + XD_CTX_FLAGS) & XD_CTX_VGCF_ONLINE ? XD_CORE_VCPU_ONLINE
                                                                        : XD_CORE_VCPU_DOWN;
        v->has_regs = v->has_cr = true;
        v->regs = (struct xd_core_regs){
            .r15 = g[0],
            .r14 = g[1],
            .r13 = g[2],
            .r12 = g[3],
            .rbp = g[4],
            .rbx = g[5],
            .r11 = g[6],
            .r10 = g[7],
            .r9 = g[8],
            .r8 = g[9],
            .rax = g[10],
            .rcx = g[11],
            .rdx = g[12],
            .rsi = g[13],
            .rdi = g[14],
            .orig_rax = g[10],
            .rip = xd_get_le64(u + XD_REGS_RIP),
            .cs = xd_get_le16(u + XD_REGS_CS),
            .eflags = xd_get_le64(u + XD_REGS_RFLAGS),
            .rsp = xd_get_le64(u + XD_REGS_RSP),
            .ss = xd_get_le16(u + XD_REGS_SS),
            .es = xd_get_le16(u + XD_REGS_ES),
            .ds = xd_get_le16(u + XD_REGS_DS),
            .fs = xd_get_le16(u + XD_REGS_FS),
            .gs = xd_get_le16(u + XD_REGS_GS),
            .fs_base = xd_get_le64(ctx + XD_CTX_FS_BASE),
            .gs_base = xd_get_le64(ctx + XD_CTX_GS_BASE_KERNEL),
        };
        for (size_t k = 0; k < 5; k++)
            v->cr[k] = xd_get_le64(ctx + XD_CTX_CTRLREG + 8 * k);
    }
    free(ctx);
    c->info.nr_vcpus = (size_t)n;
    return 0;
}

/* Xen format: the page runs, from the .xen_pfn / .xen_p2m index (pfn first in each entry). */
static int xen_index(struct reader *r)
{
    struct xd_core *c = r->c;
    bool pv = r->p2m.present;
    const struct section *s = pv ? &r->p2m : &r->pfn;
    const char *name = pv ? XD_SECNAME_P2M : XD_SECNAME_PFN;
    if (r->p2m.present && r->pfn.present)
        warn(r, "both .xen_p2m and .xen_pfn are present; .xen_p2m is used");
    if (!s->present)
        return 0;
    unsigned esize = pv ? XD_INDEX_P2M_SIZE : XD_INDEX_PFN_SIZE;
    if (s->size % esize)
        return fail(r, XD_E_CORRUPT, "%s: %" PRIu64 " bytes, not a multiple of %u", name, s->size,
                    esize);
    uint64_t n = s->size / esize;
    uint8_t *buf = malloc((size_t)INDEX_CHUNK * esize);
    if (!buf)
        return nomem(r);
    uint64_t prev_end = 0; /* pfn after the last run */
    for (uint64_t i = 0; i < n; i += INDEX_CHUNK) {
        size_t m = n - i < INDEX_CHUNK ? (size_t)(n - i) : INDEX_CHUNK;
        int rc = read_at(r, s->offset + i * esize, buf, m * esize, name);
        for (size_t k = 0; !rc && k < m; k++) {
            uint64_t pfn = xd_get_le64(buf + k * esize);
            size_t nr = c->info.nr_runs;
            if (pfn == XEN_INVALID_PFN) {
                c->info.xen_invalid++;
            } else if (nr && pfn == prev_end) {
                c->runs[nr - 1].count++;
                c->info.nr_pages++;
                prev_end++;
            } else {
                if (nr && pfn < prev_end && !c->runs_unsorted) {
                    c->runs_unsorted = true;
                    warn(r, "%s entry %" PRIu64 ": pfn 0x%" PRIx64 " is not ascending", name, i + k,
                         pfn);
                }
                rc = add_run(r, pfn, 1);
                prev_end = pfn + 1;
            }
        }
        if (rc) {
            free(buf);
            return rc;
        }
    }
    free(buf);
    return 0;
}

/* ---- cross-checks ------------------------------------------------------------------------- */

/* Is [pfn, pfn + n) inside the (sorted) physical runs? */
static bool covered(const struct xd_core *c, uint64_t pfn, uint64_t n)
{
    size_t lo = 0, hi = c->info.nr_runs;
    while (lo < hi) { /* first run ending after pfn */
        size_t mid = lo + (hi - lo) / 2;
        if (c->runs[mid].pfn + c->runs[mid].count <= pfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; n && i < c->info.nr_runs; i++) {
        const struct xd_core_run *run = &c->runs[i];
        if (run->pfn > pfn)
            return false;
        uint64_t have = run->pfn + run->count - pfn;
        if (have >= n)
            return true;
        pfn += have;
        n -= have;
    }
    return n == 0;
}

static void check_xen_notes(struct reader *r)
{
    const struct xd_core_info *in = &r->c->info;
    if (!in->has_xen_header) {
        warn(r, "no Xen header note (Xen dump-core readers need it)");
        return;
    }
    if (in->xen_magic != XD_XEN_MAGIC_PV && in->xen_magic != XD_XEN_MAGIC_HVM)
        warn(r, "Xen header magic 0x%" PRIx64 " is neither PV nor HVM", in->xen_magic);
    if (in->xen_nr_pages != in->nr_pages + in->xen_invalid)
        warn(r, "Xen header says %" PRIu64 " pages, the file holds %" PRIu64, in->xen_nr_pages,
             in->nr_pages + in->xen_invalid);
    if (r->pages.present && r->pages.size / XD_PAGE_SIZE != in->xen_nr_pages)
        warn(r, ".xen_pages holds %" PRIu64 " pages, the Xen header says %" PRIu64,
             r->pages.size / XD_PAGE_SIZE, in->xen_nr_pages);
    if (r->prstatus.present && r->prstatus.size / XD_CTX_SIZE != in->xen_nr_vcpus)
        warn(r, ".xen_prstatus holds %" PRIu64 " contexts, the Xen header says %" PRIu64,
             r->prstatus.size / XD_CTX_SIZE, in->xen_nr_vcpus);
    if (!in->has_xen_format_version)
        warn(r, "no Xen format-version note");
}

static void check_xdump(struct reader *r)
{
    struct xd_core *c = r->c;
    const struct xd_core_info *in = &c->info;
    if (r->nnote_segments != 1 || !r->first_is_note)
        warn(r, "%zu PT_NOTE segments; the format has one, as program header 0", r->nnote_segments);
    if (in->has_description && in->desc_nr_pages != in->nr_pages)
        warn(r, "the description says %" PRIu64 " pages, the physical segments hold %" PRIu64,
             in->desc_nr_pages, in->nr_pages);
    if (in->has_xen_header && in->xen_nr_vcpus != r->nctxs)
        warn(r,
             "the Xen header says %" PRIu64 " vCPU contexts, there are %zu NT_PRSTATUS "
             "notes",
             in->xen_nr_vcpus, r->nctxs);
    if (in->has_description && in->has_xen_header) {
        bool pv = in->domain_type == XD_CORE_DOM_PV;
        if (in->xen_magic != (pv ? XD_XEN_MAGIC_PV : XD_XEN_MAGIC_HVM))
            warn(r, "domain type %s but Xen header magic 0x%" PRIx64,
                 xd_core_domain_type_name(in->domain_type), in->xen_magic);
    }
    if (in->has_description && in->has_xen_version &&
        in->desc_xen_version != (uint32_t)(in->xen_major << 16 | (in->xen_minor & 0xffff)))
        warn(r,
             "the description says Xen %" PRIu32 ".%" PRIu32 ", the Xen note %" PRIu64 ".%" PRIu64,
             in->desc_xen_version >> 16, in->desc_xen_version & 0xffff, in->xen_major,
             in->xen_minor);
    if (in->has_description && !in->has_unmappable_note)
        warn(r, "no XDUMP unmappable-frames note: failed frames are not recorded");
    if ((in->flags & XD_CORE_F_PAUSED) && (in->flags & XD_CORE_F_LIVE))
        warn(r, "flags say both paused by xdump and --live");
    if (in->has_description && !(in->flags & XD_CORE_F_PRECOPY) != !in->has_precopy)
        warn(r, "the description %s pre-copy, but the pre-copy note is %s",
             in->flags & XD_CORE_F_PRECOPY ? "says" : "does not say",
             in->has_precopy ? "there" : "missing");
    if (r->pages.present && r->pages.size / XD_PAGE_SIZE != in->nr_pages)
        warn(r, ".xen_pages holds %" PRIu64 " pages, the physical segments %" PRIu64,
             r->pages.size / XD_PAGE_SIZE, in->nr_pages);
    if (!c->runs_unsorted && !c->unmappable_unsorted)
        for (size_t i = 0; i < in->nr_unmappable_runs; i++) {
            const struct xd_core_unmappable *u = &c->unmappable[i];
            if (!covered(c, u->first_pfn, u->nr_frames)) {
                warn(r,
                     "unmappable pfns 0x%" PRIx64 "+%" PRIu64 " are not all in the "
                     "physical segments (they must keep their place, as zeros)",
                     u->first_pfn, u->nr_frames);
                break;
            }
        }
}

/* ---- makedumpfile's kdump-compressed file (docs/FORMAT.md; diskdump.h's numbers) --------- */

#define KDUMP_MAX_NOTES (64u << 20)

/* The pfns of bitmap 2 (dumped), as runs: read in 64 KiB pieces, max_mapnr bits at most. */
static int kdump_runs(struct reader *r, uint64_t off, uint64_t max_mapnr)
{
    uint8_t buf[65536];
    uint64_t start = 0, bytes = (max_mapnr + 7) / 8;
    bool in_run = false;
    for (uint64_t at = 0; at < bytes; at += sizeof(buf)) {
        size_t n = bytes - at < sizeof(buf) ? (size_t)(bytes - at) : sizeof(buf);
        int rc = read_at(r, off + at, buf, n, "kdump bitmap 2");
        if (rc)
            return rc;
        for (size_t i = 0; i < n * 8; i++) {
            uint64_t pfn = at * 8 + i;
            bool set = pfn < max_mapnr && (buf[i >> 3] >> (i & 7) & 1);
            if (set && !in_run)
                start = pfn, in_run = true;
            else if (!set && in_run && (rc = add_run(r, start, pfn - start)))
                return rc;
            in_run = set;
        }
    }
    return in_run ? add_run(r, start, max_mapnr - start) : 0;
}

static const char *kdump_codec(uint32_t status)
{
    static const struct {
        uint32_t flag;
        const char *name;
    } codecs[] = {{XD_DD_COMPRESSED_ZLIB, "zlib"},
                  {XD_DD_COMPRESSED_LZO, "lzo"},
                  {XD_DD_COMPRESSED_SNAPPY, "snappy"},
                  {XD_DD_COMPRESSED_ZSTD, "zstd"}};
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
        if (status & codecs[i].flag)
            return codecs[i].name;
    return "none";
}

/* The header, sub-header and notes (the same notes as an ELF core's), and the pages bitmap 2
   says are in the file - each with its descriptor inside the file. */
static int read_kdump(struct reader *r)
{
    struct xd_core_info *in = &r->c->info;
    uint8_t h[XD_DD_HEADER_SIZE], sub[XD_DD_SUB_SIZE];
    int rc = read_at(r, 0, h, sizeof(h), "kdump header");
    if (rc)
        return rc;
    in->format = XD_CORE_KDUMP;
    in->file_size = r->size;
    uint32_t version = xd_get_le32(h + XD_DD_H_VERSION);
    uint32_t block = xd_get_le32(h + XD_DD_H_BLOCK_SIZE);
    uint64_t sub_blocks = xd_get_le32(h + XD_DD_H_SUB_HDR_SIZE);
    uint64_t bitmap_blocks = xd_get_le32(h + XD_DD_H_BITMAP_BLOCKS);
    in->kdump_version = version;
    in->kdump_status = xd_get_le32(h + XD_DD_H_STATUS);
    snprintf(in->kdump_codec, sizeof(in->kdump_codec), "%s", kdump_codec(in->kdump_status));
    if (version < 4 || version > 64)
        return fail(r, XD_E_UNSUPPORTED,
                    "kdump header version %" PRIu32 " (this xdump reads 4 and later)", version);
    if (block != XD_DD_BLOCK)
        return fail(r, XD_E_UNSUPPORTED, "kdump block size %" PRIu32 ", not 4096", block);
    if ((rc = read_at(r, XD_DD_BLOCK, sub, sizeof(sub), "kdump sub-header")))
        return rc;
    in->kdump_dump_level = (int32_t)xd_get_le32(sub + XD_DD_S_DUMP_LEVEL);
    uint64_t max_mapnr = xd_get_le32(h + XD_DD_H_MAX_MAPNR);
    if (version >= 6 && xd_get_le64(sub + XD_DD_S_MAX_MAPNR_64))
        max_mapnr = xd_get_le64(sub + XD_DD_S_MAX_MAPNR_64);
    in->max_mapnr = max_mapnr;
    uint64_t note_off = xd_get_le64(sub + XD_DD_S_OFFSET_NOTE);
    uint64_t note_size = xd_get_le64(sub + XD_DD_S_SIZE_NOTE);
    if (note_size > KDUMP_MAX_NOTES)
        return fail(r, XD_E_CORRUPT, "kdump notes of %" PRIu64 " bytes", note_size);
    if (note_size && ((rc = in_file(r, note_off, note_size, "kdump notes")) ||
                      (rc = parse_notes(r, note_off, note_size, "the kdump notes"))))
        return rc;
    /* each bitmap half the blocks, and room for max_mapnr bits (crash's dump_is_partial()) */
    uint64_t half = bitmap_blocks * XD_DD_BLOCK / 2;
    if (bitmap_blocks % 2 || half < (max_mapnr + 7) / 8)
        return fail(r, XD_E_CORRUPT,
                    "kdump bitmaps of %" PRIu64 " blocks cannot hold %" PRIu64 " pfns",
                    bitmap_blocks, max_mapnr);
    uint64_t bm = (1 + sub_blocks) * XD_DD_BLOCK;
    if ((rc = in_file(r, bm, 2 * half, "kdump bitmaps")) ||
        (rc = kdump_runs(r, bm + half, max_mapnr)))
        return rc;
    if ((rc = in_file(r, bm + 2 * half, in->nr_pages * XD_DD_DESC_SIZE, "kdump page descriptors")))
        return rc;
    if ((rc = build_vcpus(r)))
        return rc;
    if (in->has_description && in->desc_nr_pages != in->nr_pages)
        warn(r, "the description says %" PRIu64 " pages, the kdump bitmap holds %" PRIu64,
             in->desc_nr_pages, in->nr_pages);
    if (in->kdump_status & XD_DD_INCOMPLETE)
        warn(r, "the kdump header says INCOMPLETE: pages at the end are missing");
    return 0;
}

/* ---- open / close ------------------------------------------------------------------------- */

static int read_core(struct reader *r)
{
    uint8_t ehdr[XD_EHDR_SIZE];
    int rc;
    if (r->size >= XD_DD_HEADER_SIZE && read_at(r, 0, ehdr, 8, "signature") == 0 &&
        !memcmp(ehdr, XD_DD_SIGNATURE, 8))
        return read_kdump(r);
    if ((rc = check_ehdr(r, ehdr)) || (rc = check_tables(r, ehdr)) || (rc = open_elf(r)))
        return rc;
    struct xd_core_info *in = &r->c->info;
    in->file_size = r->size;
    in->phnum = r->phnum;
    in->shnum = r->shnum;
    if ((rc = scan_sections(r)) || (rc = scan_phdrs(r)))
        return rc;
    /* A PV core addresses its PT_LOADs by machine frame only (FORMAT.md, "PV cores"): its pfns
       are those of the Xen index. */
    if (r->phnum && !in->nr_runs && in->nr_machine && (rc = xen_index(r)))
        return rc;
    if (r->phnum) {
        in->format = in->has_description ? XD_CORE_XDUMP : XD_CORE_ELF;
        /* xdump keeps Xen's four notes outside its PT_NOTE (section .note.Xen only) */
        if (r->note_xen.present && !in->has_xen_header &&
            (rc = parse_notes(r, r->note_xen.offset, r->note_xen.size, "section .note.Xen")))
            return rc;
        if ((rc = build_vcpus(r)))
            return rc;
        if (in->format == XD_CORE_XDUMP)
            check_xdump(r);
        if (in->format == XD_CORE_XDUMP || in->has_xen_header)
            check_xen_notes(r);
    } else {
        if (!r->note_xen.present)
            return fail(r, XD_E_NOTCORE,
                        "ELF core with neither program headers nor a "
                        ".note.Xen section: nothing to read");
        in->format = XD_CORE_XEN;
        if ((rc = parse_notes(r, r->note_xen.offset, r->note_xen.size, "section .note.Xen")))
            return rc;
        if (!in->has_xen_header)
            return fail(r, XD_E_CORRUPT, "Xen dump-core format without a Xen header note");
        if ((rc = xen_contexts(r)) || (rc = xen_index(r)))
            return rc;
        if (!r->p2m.present && !r->pfn.present && r->pages.present && r->pages.size)
            warn(r, ".xen_pages without a .xen_p2m or .xen_pfn index");
        check_xen_notes(r);
    }
    if (in->has_xen_format_version && in->xen_format_version != XD_XEN_FORMAT_VERSION)
        return fail(r, XD_E_UNSUPPORTED,
                    "Xen dump-core format version %" PRIu64 " (this xdump reads version 1)",
                    in->xen_format_version);
    if (in->has_xen_header && in->xen_page_size != XD_PAGE_SIZE)
        return fail(r, XD_E_UNSUPPORTED, "page size %" PRIu64 " in the Xen header, not 4096",
                    in->xen_page_size);
    if (!in->domain_type && in->has_xen_header)
        in->domain_type = in->xen_magic == XD_XEN_MAGIC_PV    ? XD_CORE_DOM_PV
                          : in->xen_magic == XD_XEN_MAGIC_HVM ? XD_CORE_DOM_HVM
                                                              : XD_CORE_DOM_UNKNOWN;
    if (r->c->warnings_dropped) {
        char line[64];
        snprintf(line, sizeof(line), "... and %" PRIu64 " more warnings", r->c->warnings_dropped);
        r->c->warnings[r->c->nwarnings] = strdup(line);
        if (r->c->warnings[r->c->nwarnings])
            r->c->nwarnings++;
    }
    return 0;
}

int xd_core_open(const char *path, struct xd_core **out, char *err, size_t errlen)
{
    struct reader r = {.path = path, .fd = -1, .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    r.c = calloc(1, sizeof(*r.c));
    if (!r.c || !(r.c->path = strdup(path))) {
        free(r.c);
        return fail(&r, XD_E_NOMEM, "out of memory");
    }
    int rc;
    struct stat st;
    r.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r.fd < 0 || fstat(r.fd, &st) != 0)
        rc = fail(&r, XD_E_OPEN, "cannot open: %s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = fail(&r, XD_E_OPEN, "not a regular file");
    else {
        r.size = (uint64_t)st.st_size;
        rc = read_core(&r);
    }
    if (r.elf)
        elf_end(r.elf);
    if (r.fd >= 0)
        close(r.fd);
    free(r.vcpu_state);
    free(r.ctxs);
    free(r.qemu);
    if (rc) {
        xd_core_close(r.c);
        return rc;
    }
    *out = r.c;
    return 0;
}

void xd_core_close(struct xd_core *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nwarnings; i++)
        free(c->warnings[i]);
    free(c->runs);
    free(c->unmappable);
    free(c->vcpus);
    free(c->path);
    free(c);
}

/* ---- accessors ---------------------------------------------------------------------------- */

const struct xd_core_info *xd_core_info(const struct xd_core *c)
{
    return &c->info;
}

const char *xd_core_path(const struct xd_core *c)
{
    return c->path;
}

const struct xd_core_run *xd_core_runs(const struct xd_core *c, size_t *n)
{
    *n = c->info.nr_runs;
    return c->runs;
}

const struct xd_core_unmappable *xd_core_unmappable(const struct xd_core *c, size_t *n)
{
    *n = c->info.nr_unmappable_runs;
    return c->unmappable;
}

const struct xd_core_vcpu *xd_core_vcpus(const struct xd_core *c, size_t *n)
{
    *n = c->info.nr_vcpus;
    return c->vcpus;
}

size_t xd_core_nwarnings(const struct xd_core *c)
{
    return c->nwarnings;
}

const char *xd_core_warning(const struct xd_core *c, size_t i)
{
    return i < c->nwarnings ? c->warnings[i] : NULL;
}

const char *xd_core_domain_type_name(int type)
{
    switch (type) {
    case XD_CORE_DOM_PV:
        return "PV";
    case XD_CORE_DOM_HVM:
        return "HVM";
    case XD_CORE_DOM_PVH:
        return "PVH";
    default:
        return "unknown";
    }
}

const char *xd_core_vcpu_state_name(int state)
{
    switch (state) {
    case XD_CORE_VCPU_NEVER_UP:
        return "never brought up";
    case XD_CORE_VCPU_ONLINE:
        return "online";
    case XD_CORE_VCPU_DOWN:
        return "down";
    case XD_CORE_VCPU_INVALID:
        return "invalid";
    default:
        return "unknown";
    }
}

const char *xd_core_strerror(int code)
{
    switch (code) {
    case 0:
        return "ok";
    case XD_E_OPEN:
        return "cannot open";
    case XD_E_NOTCORE:
        return "not a core";
    case XD_E_TRUNCATED:
        return "truncated";
    case XD_E_CORRUPT:
        return "corrupt";
    case XD_E_UNSUPPORTED:
        return "unsupported";
    case XD_E_NOMEM:
        return "out of memory";
    default:
        return "unknown error";
    }
}

/* glibc 2.32 and later (Debian 12 has 2.36, Debian 13 2.41). */
const char *xd_core_errno_name(int err)
{
    return err > 0 ? strerrorname_np(err) : NULL;
}
