/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu2world PHYS.CORE REGISTERS.TXT OUTDIR [--pv] - turns a capture of a real guest in QEMU
 * (fixtures/guest/capture.sh) into an xensim world, so that xdump dumps the very memory and
 * registers QEMU had, and gdb can be asked the same questions of both cores.
 *
 *   PHYS.CORE      QEMU's `dump-guest-memory` (physical: PT_LOADs located by p_paddr)
 *   REGISTERS.TXT  QEMU's HMP `info registers -a`
 *
 * Writes OUTDIR/guest-<PFN>.mem, one per PT_LOAD of PHYS.CORE (raw bytes, zero pages left as
 * holes), and OUTDIR/guest.world: domain 1 `testguest`, type hvm (pv with --pv, and then
 * `pv-pagetables`: the builder turns the guest's page tables into machine-frame ones), whose
 * `ram` ranges are exactly the PT_LOADs, each loaded from its file, and one `vcpu` line per
 * CPU of REGISTERS.TXT with every register xensim knows. Paths in the world are absolute.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096u
#define MAX_CPUS 128
#define MAX_KEYS 160
#define COPY_CHUNK (1u << 20)

/* One CPU of `info registers -a`: every NAME=VALUE seen, plus the segment fields. */
struct reg {
    char name[16];
    uint64_t value;
};

struct cpu {
    bool seen;
    int nregs;
    struct reg r[MAX_KEYS];
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("qemu2world: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void set(struct cpu *c, const char *name, uint64_t v)
{
    for (int i = 0; i < c->nregs; i++)
        if (!strcmp(c->r[i].name, name)) {
            c->r[i].value = v;
            return;
        }
    if (c->nregs == MAX_KEYS)
        return; /* more than QEMU prints: the rest cannot be registers xensim knows */
    snprintf(c->r[c->nregs].name, sizeof(c->r[0].name), "%s", name);
    c->r[c->nregs++].value = v;
}

static bool get(const struct cpu *c, const char *name, uint64_t *v)
{
    for (int i = 0; i < c->nregs; i++)
        if (!strcmp(c->r[i].name, name))
            return *v = c->r[i].value, true;
    return false;
}

/* Reads a hex field after optional blanks; false if there is none. */
static bool hex_field(const char **p, uint64_t *v)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 16);
    if (end == s || errno)
        return false;
    *v = x, *p = end;
    return true;
}

static bool is_segment(const char *k)
{
    static const char *const seg[] = {"ES", "CS", "SS", "DS", "FS", "GS", "LDT", "TR"};
    for (size_t i = 0; i < sizeof(seg) / sizeof(seg[0]); i++)
        if (!strcmp(k, seg[i]))
            return true;
    return false;
}

/*
 * One line of HMP's register dump: every "NAME=HEX" (NAME may be padded: "R8 =..."), and for
 * the lines that are tables of fields, those fields:
 *   CS =0008 0000000000000000 ffffffff 00af9a00 ...   selector, base, limit, flags
 *   GDT=     0000000000100340 00000017                base, limit
 */
static void parse_line(struct cpu *c, const char *line)
{
    for (const char *eq = strchr(line, '='); eq; eq = strchr(eq + 1, '=')) {
        const char *e = eq, *b;
        while (e > line && e[-1] == ' ')
            e--;
        for (b = e; b > line && (b[-1] == '_' || (b[-1] >= '0' && b[-1] <= '9') ||
                                 (b[-1] >= 'A' && b[-1] <= 'Z') || (b[-1] >= 'a' && b[-1] <= 'z'));
             b--)
            ;
        char key[16];
        if (b == e || (size_t)(e - b) >= sizeof(key))
            continue;
        memcpy(key, b, (size_t)(e - b));
        key[e - b] = 0;
        const char *p = eq + 1;
        uint64_t v, base, limit, flags;
        char name[24];
        if (!hex_field(&p, &v))
            continue;
        if (is_segment(key) && hex_field(&p, &base) && hex_field(&p, &limit) &&
            hex_field(&p, &flags)) {
            set(c, key, v);
            snprintf(name, sizeof(name), "%s.base", key);
            set(c, name, base);
        } else if (!strcmp(key, "GDT") || !strcmp(key, "IDT")) {
            snprintf(name, sizeof(name), "%s.base", key);
            set(c, name, v);
        } else
            set(c, key, v);
        eq = p - 1;
    }
}

static int parse_registers(const char *path, struct cpu *cpus)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("%s: %s", path, strerror(errno));
    char line[1024];
    struct cpu *cur = NULL;
    int ncpus = 0;
    unsigned id;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (sscanf(line, "CPU#%u", &id) == 1) {
            if (id >= MAX_CPUS || cpus[id].seen)
                die("%s: CPU#%u is out of range or appears twice", path, id);
            cur = &cpus[id];
            cur->seen = true;
            ncpus = (int)id + 1 > ncpus ? (int)id + 1 : ncpus;
        } else if (cur)
            parse_line(cur, line);
        else if (strchr(line, '=')) /* `info registers` of one CPU: no CPU#0 header */
            cur = &cpus[0], cur->seen = true, ncpus = 1, parse_line(cur, line);
    }
    fclose(f);
    for (int i = 0; i < ncpus; i++)
        if (!cpus[i].seen)
            die("%s: CPU#%d is missing (CPUs must be 0..%d)", path, i, ncpus - 1);
    if (!ncpus)
        die("%s: no registers (expected QEMU's `info registers -a`)", path);
    return ncpus;
}

/* The register, as named in 64-bit (R..) or else 32-bit mode (E..: a CPU in the BIOS). What
 * the dump does not have is 0 if not `need`ed (r8..r15 of a 32-bit CPU). */
static uint64_t gpr(const struct cpu *c, int id, const char *r64, const char *r32, bool need)
{
    uint64_t v = 0;
    if (get(c, r64, &v) || (r32 && get(c, r32, &v)) || !need)
        return v;
    die("CPU#%d: no %s in the register dump", id, r64);
}

static void write_vcpu(FILE *w, const struct cpu *c, int id)
{
    static const char *const gprs[][3] = {
        {"rax", "RAX", "EAX"}, {"rbx", "RBX", "EBX"}, {"rcx", "RCX", "ECX"},
        {"rdx", "RDX", "EDX"}, {"rsi", "RSI", "ESI"}, {"rdi", "RDI", "EDI"},
        {"rbp", "RBP", "EBP"}, {"rsp", "RSP", "ESP"}, {"r8", "R8", NULL},
        {"r9", "R9", NULL},    {"r10", "R10", NULL},  {"r11", "R11", NULL},
        {"r12", "R12", NULL},  {"r13", "R13", NULL},  {"r14", "R14", NULL},
        {"r15", "R15", NULL},  {"rip", "RIP", "EIP"}, {"rflags", "RFL", "EFL"},
    };
    static const char *const segs[][2] = {{"cs", "CS"}, {"ss", "SS"}, {"ds", "DS"},
                                          {"es", "ES"}, {"fs", "FS"}, {"gs", "GS"}};
    fprintf(w, "  vcpu %d", id);
    /* Every GPR is given (r8..r15 are 0 in 32-bit mode): xensim would invent the others. */
    for (size_t i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
        fprintf(w, " %s=0x%llx", gprs[i][0],
                (unsigned long long)gpr(c, id, gprs[i][1], gprs[i][2], gprs[i][2] != NULL));
    for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
        fprintf(w, " %s=0x%llx", segs[i][0], (unsigned long long)gpr(c, id, segs[i][1], 0, 1));
    /* In kernel mode the GS base in effect is the kernel's. */
    fprintf(w, " fs_base=0x%llx gs_base_kernel=0x%llx",
            (unsigned long long)gpr(c, id, "FS.base", 0, 1),
            (unsigned long long)gpr(c, id, "GS.base", 0, 1));
    uint64_t cr3 = gpr(c, id, "CR3", 0, 1);
    fprintf(w, " cr0=0x%llx cr2=0x%llx cr4=0x%llx", (unsigned long long)gpr(c, id, "CR0", 0, 1),
            (unsigned long long)gpr(c, id, "CR2", 0, 1),
            (unsigned long long)gpr(c, id, "CR4", 0, 1));
    if (cr3)
        fprintf(w, " cr3_pfn=0x%llx", (unsigned long long)(cr3 >> 12));
    else
        fprintf(w, " cr3=0"); /* no paging yet: not xensim's made-up CR3 */
    fprintf(w, " idt_base=0x%llx gdt_base=0x%llx\n",
            (unsigned long long)gpr(c, id, "IDT.base", 0, 1),
            (unsigned long long)gpr(c, id, "GDT.base", 0, 1));
}

static bool zero_page(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Copies one PT_LOAD's bytes to `path`, leaving zero pages as holes. */
static void copy_segment(int in, const char *core, const GElf_Phdr *ph, const char *path)
{
    static uint8_t buf[COPY_CHUNK];
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        die("%s: %s", path, strerror(errno));
    for (uint64_t done = 0; done < ph->p_filesz;) {
        size_t want = ph->p_filesz - done < COPY_CHUNK ? ph->p_filesz - done : COPY_CHUNK;
        ssize_t got = pread(in, buf, want, (off_t)(ph->p_offset + done));
        if (got != (ssize_t)want)
            die("%s: short read of the PT_LOAD at paddr %#llx (truncated core?)", core,
                (unsigned long long)ph->p_paddr);
        for (size_t o = 0; o < want; o += PAGE) {
            size_t n = want - o < PAGE ? want - o : PAGE;
            if (!zero_page(buf + o, n) && pwrite(out, buf + o, n, (off_t)(done + o)) != (ssize_t)n)
                die("%s: %s", path, strerror(errno));
        }
        done += want;
    }
    if (ftruncate(out, (off_t)ph->p_filesz) < 0 || close(out) < 0)
        die("%s: %s", path, strerror(errno));
}

/* Writes the memory files and the domain's ram/load lines; returns the number of PT_LOADs. */
static int convert_memory(const char *core, const char *outdir, FILE *w)
{
    int fd = open(core, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("%s: %s", core, strerror(errno));
    if (elf_version(EV_CURRENT) == EV_NONE)
        die("libelf: %s", elf_errmsg(-1));
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr eh;
    size_t phnum;
    if (!e || !gelf_getehdr(e, &eh) || elf_getphdrnum(e, &phnum) < 0)
        die("%s: %s", core, elf_errmsg(-1));
    if (eh.e_type != ET_CORE)
        die("%s: not an ELF core (expected QEMU's dump-guest-memory)", core);
    char path[PATH_MAX + 32];
    int nloads = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph))
            die("%s: program header %zu: %s", core, i, elf_errmsg(-1));
        if (ph.p_type != PT_LOAD || !ph.p_memsz)
            continue;
        if (ph.p_vaddr && ph.p_vaddr != ph.p_paddr)
            die("%s: PT_LOAD at vaddr %#llx: take QEMU's physical dump (no -p)", core,
                (unsigned long long)ph.p_vaddr);
        if (ph.p_paddr % PAGE || ph.p_memsz % PAGE || ph.p_filesz > ph.p_memsz)
            die("%s: PT_LOAD at paddr %#llx, %#llx bytes: not whole pages", core,
                (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz);
        uint64_t pfn = ph.p_paddr / PAGE;
        fprintf(w, "  ram 0x%llx 0x%llx\n", (unsigned long long)pfn,
                (unsigned long long)(pfn + ph.p_memsz / PAGE - 1));
        if (ph.p_filesz) {
            snprintf(path, sizeof(path), "%s/guest-%llx.mem", outdir, (unsigned long long)pfn);
            copy_segment(fd, core, &ph, path);
            fprintf(w, "  load %s 0x%llx\n", path, (unsigned long long)pfn);
        }
        nloads++;
    }
    elf_end(e);
    close(fd);
    if (!nloads)
        die("%s: no PT_LOAD: no memory to convert", core);
    return nloads;
}

int main(int argc, char **argv)
{
    bool pv = argc == 5 && !strcmp(argv[4], "--pv");
    if (argc != 4 && !pv) {
        fprintf(stderr, "usage: qemu2world PHYS.CORE REGISTERS.TXT OUTDIR [--pv]\n");
        return 2;
    }
    static struct cpu cpus[MAX_CPUS];
    int ncpus = parse_registers(argv[2], cpus);
    if (mkdir(argv[3], 0755) < 0 && errno != EEXIST)
        die("%s: %s", argv[3], strerror(errno));
    char outdir[PATH_MAX], path[PATH_MAX + 16];
    if (!realpath(argv[3], outdir)) /* `load` paths are read from xensim's cwd */
        die("%s: %s", argv[3], strerror(errno));
    snprintf(path, sizeof(path), "%s/guest.world", outdir);
    FILE *w = fopen(path, "w");
    if (!w)
        die("%s: %s", path, strerror(errno));
    fprintf(w, "# from %s and %s by qemu2world\n", argv[1], argv[2]);
    fprintf(w, "domain 1\n  name testguest\n  type %s\n  fill zero\n", pv ? "pv" : "hvm");
    convert_memory(argv[1], outdir, w);
    fprintf(w, "  vcpus %d\n", ncpus);
    for (int i = 0; i < ncpus; i++)
        write_vcpu(w, &cpus[i], i);
    if (pv)
        fprintf(w, "  pv-pagetables\n");
    if (fclose(w) != 0)
        die("%s: %s", path, strerror(errno));
    return 0;
}
