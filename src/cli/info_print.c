/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `xdump info`'s presenters: what the library's core reader (src/info.c, xd_core_*) found,
 * as text for a terminal or as one JSON object (jansson) for scripts. Reading is the library's;
 * printing is the command's.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "info_print.h"
#include "utf8.h"
#include "uuid.h"

/* ---- printing ----------------------------------------------------------------------------- */

#define LIST_ALL 16 /* lists longer than this show their first and last LIST_END entries */
#define LIST_END 6

static const char *runs_word(uint64_t n)
{
    return n == 1 ? "run" : "runs";
}

static bool listed(size_t i, size_t n)
{
    return n <= LIST_ALL || i < LIST_END || i >= n - LIST_END;
}

/* File bytes for a terminal: printable ASCII as is, anything else as \xNN. */
static void put_human(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            putc(*p, f);
        else
            fprintf(f, "\\x%02x", *p);
    }
}

/* "2024-05-01 12:34:56 UTC", or false when t is 0 or not representable. */
static bool format_time(char *out, size_t len, uint64_t t)
{
    if (t == 0 || t > (uint64_t)INT32_MAX * 64)
        return false;
    time_t tt = (time_t)t;
    struct tm tm;
    return gmtime_r(&tt, &tm) && strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm) > 0;
}

static const char *shutdown_name(uint32_t reason)
{
    static const char *const names[] = {"poweroff", "reboot",   "suspend",
                                        "crash",    "watchdog", "soft_reset"};
    return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : NULL;
}

static const char *format_name(enum xd_core_format fmt)
{
    switch (fmt) {
    case XD_CORE_XDUMP:
        return "xdump";
    case XD_CORE_ELF:
        return "elf";
    case XD_CORE_XEN:
        return "xen";
    case XD_CORE_KDUMP:
        return "kdump";
    }
    return "unknown";
}

/* "4.17.7-pre" from the Xen note, "4.17" from the description, or "" when neither says. */
static void xen_version_string(const struct xd_core_info *in, char *out, size_t len)
{
    if (in->has_xen_version)
        snprintf(out, len, "%" PRIu64 ".%" PRIu64 "%s", in->xen_major, in->xen_minor,
                 in->xen_extra);
    else if (in->has_description && in->desc_xen_version)
        snprintf(out, len, "%" PRIu32 ".%" PRIu32, in->desc_xen_version >> 16,
                 in->desc_xen_version & 0xffff);
    else
        out[0] = '\0';
}

static void human_pfns(FILE *f, uint64_t pfn, uint64_t n, const char *unit)
{
    char range[48];
    if (n == 1)
        snprintf(range, sizeof(range), "pfn 0x%" PRIx64, pfn);
    else
        snprintf(range, sizeof(range), "pfn 0x%" PRIx64 "-0x%" PRIx64, pfn, pfn + n - 1);
    fprintf(f, "            %-34s %10" PRIu64 " %s%s", range, n, unit, n == 1 ? " " : "s");
}

static void human_taken(const struct xd_core *c, FILE *f)
{
    const struct xd_core_info *in = xd_core_info(c);
    if (!in->has_description) {
        fprintf(f, "taken:      unknown (%s)\n",
                in->format == XD_CORE_XEN ? "Xen dump-core format: no dump description"
                                          : "no XDUMP dump-description note");
        return;
    }
    const char *how = in->flags & XD_CORE_F_LIVE ? "live (--live: the domain kept running)"
                      : in->flags & XD_CORE_F_PRECOPY
                          ? "pre-copy (--precopy: the guest as at the final pause)"
                      : in->flags & XD_CORE_F_PAUSED ? "paused by xdump"
                                                     : "not paused by xdump";
    fprintf(f, "taken:      %s\n", how);
    if (in->has_precopy) {
        fprintf(f,
                "pre-copy:   %" PRIu32 " rounds, paused %.1f ms, final set %" PRIu64
                " pages; %" PRIu64 " pages copied again, %.2f s running, budget %" PRIu32 " ms\n",
                in->precopy_rounds, (double)in->precopy_pause_us / 1000, in->precopy_final,
                in->precopy_recopied, (double)in->precopy_running_us / 1e6, in->precopy_budget_ms);
        if (in->precopy_flags & XD_CORE_PC_NOT_CONVERGING)
            fputs("            not converging: the guest wrote faster than it was copied\n", f);
        if (in->precopy_flags & XD_CORE_PC_ROUND_LIMIT)
            fputs("            ended by the round limit before the budget was met\n", f);
        if (in->precopy_flags & XD_CORE_PC_LOST)
            fputs("            log-dirty was turned off by someone else: every page was "
                  "copied again in the pause\n",
                  f);
        if (in->precopy_flags & XD_CORE_PC_VIRT_AT_PAUSE)
            fputs("            virtual segments: the page tables as they were at the pause\n", f);
        if (in->precopy_flags & XD_CORE_PC_DM_TRACKED)
            fputs("            device model: tracked (QEMU reported its DMA writes)\n", f);
        if (in->precopy_flags & XD_CORE_PC_DM_UNTRACKED)
            fputs("            device model: NOT tracked (QEMU could not be told): its DMA "
                  "writes while the guest ran may be missing\n",
                  f);
    }
    fputs("written by: ", f);
    if (strncmp(in->xdump_version, "xdump", 5) != 0)
        fputs("xdump ", f);
    put_human(f, in->xdump_version[0] ? in->xdump_version : "(version not recorded)");
    putc('\n', f);
    if (in->flags & XD_CORE_F_SHUTDOWN) {
        const char *why = shutdown_name(in->shutdown_reason);
        if (why)
            fprintf(f, "state:      shut down (%s)\n", why);
        else
            fprintf(f, "state:      shut down (reason %" PRIu32 ")\n", in->shutdown_reason);
    } else {
        fputs("state:      running\n", f);
    }
    char when[64];
    if (format_time(when, sizeof(when), in->started))
        fprintf(f, "started:    %s (the dump began)\n", when);
    else
        fputs("started:    unknown\n", f);
    if (in->flags & XD_CORE_F_COMPLETE)
        fputs("complete:   yes\n", f);
    else
        fputs("complete:   NO - the dump did not finish: memory is missing from this core\n", f);
}

static void human_vcpus(const struct xd_core *c, FILE *f)
{
    const struct xd_core_info *in = xd_core_info(c);
    size_t nv;
    const struct xd_core_vcpu *vc = xd_core_vcpus(c, &nv);
    size_t count[4] = {0}, unknown = 0;
    for (size_t i = 0; i < in->nr_vcpus; i++) {
        int s = vc[i].state;
        if (s >= 0 && s <= XD_CORE_VCPU_DOWN)
            count[s]++;
        else
            unknown++;
    }
    fprintf(f, "vcpus:      %zu (%zu online, %zu down, %zu never brought up", in->nr_vcpus,
            count[XD_CORE_VCPU_ONLINE], count[XD_CORE_VCPU_DOWN], count[XD_CORE_VCPU_NEVER_UP]);
    if (unknown)
        fprintf(f, ", %zu unknown", unknown);
    fputs(")\n", f);
    if (in->format == XD_CORE_XEN && in->nr_vcpus)
        fprintf(f, "            (Xen's format does not record vCPU ids: contexts in order%s)\n",
                in->domain_type == XD_CORE_DOM_PV ? "; PV cr3 is a machine address" : "");
    for (size_t i = 0; i < in->nr_vcpus; i++) {
        const struct xd_core_vcpu *v = &vc[i];
        char label[32];
        snprintf(label, sizeof(label), "%s %" PRIu32, v->id_known ? "vcpu" : "context", v->id);
        fprintf(f, "  %-12s %-16s", label, xd_core_vcpu_state_name(v->state));
        if (v->has_regs)
            fprintf(f, " rip 0x%016" PRIx64 "  rsp 0x%016" PRIx64, v->regs.rip, v->regs.rsp);
        if (v->has_cr)
            fprintf(f, "  cr3 0x%" PRIx64, v->cr[3]);
        else if (v->has_regs)
            fputs("  cr3 -", f);
        if (v->idt_base) /* HVM/PVH: what crash's KASLR logic starts from */
            fprintf(f, "  idt 0x%" PRIx64, v->idt_base);
        putc('\n', f);
    }
}

static void human_unmappable(const struct xd_core *c, FILE *f)
{
    const struct xd_core_info *in = xd_core_info(c);
    if (in->format == XD_CORE_XEN) {
        fputs("unmappable: Xen dump-core format (xl dump-core): no unmappable-frame record\n", f);
        return;
    }
    if (!in->has_unmappable_note) {
        fputs("unmappable: not recorded (no XDUMP unmappable-frames note)\n", f);
        return;
    }
    if (!in->nr_unmappable_runs) {
        fputs("unmappable: none (every frame was read)\n", f);
        return;
    }
    fprintf(f, "unmappable: %" PRIu64 " frame%s in %zu %s (zeros in the file)\n",
            in->unmappable_frames, in->unmappable_frames == 1 ? "" : "s", in->nr_unmappable_runs,
            runs_word(in->nr_unmappable_runs));
    size_t nu;
    const struct xd_core_unmappable *um = xd_core_unmappable(c, &nu);
    for (size_t i = 0; i < in->nr_unmappable_runs && i < nu; i++) {
        if (!listed(i, in->nr_unmappable_runs)) {
            if (i == LIST_END)
                fprintf(f, "            ... %zu more runs ...\n",
                        in->nr_unmappable_runs - 2 * LIST_END);
            continue;
        }
        const struct xd_core_unmappable *u = &um[i];
        human_pfns(f, u->first_pfn, u->nr_frames, "frame");
        const char *name = xd_core_errno_name(u->err);
        if (name)
            fprintf(f, "  %s (%s)\n", name, strerror(u->err));
        else
            fprintf(f, "  errno %" PRId32 "\n", u->err);
    }
}

static void print_human(const struct xd_core *c, FILE *f)
{
    const struct xd_core_info *in = xd_core_info(c);
    if (in->has_description && !(in->flags & XD_CORE_F_COMPLETE))
        fputs("*** INCOMPLETE CORE: the dump did not finish; memory is missing from this file "
              "***\n",
              f);
    if (in->has_incomplete) {
        fprintf(f, "*** it stopped after %" PRIu64 " pages, at pfn 0x%" PRIx64 ": ",
                in->pages_written, in->stop_pfn);
        put_human(f, in->stop_reason);
        fputs(" ***\n", f);
    }
    fputs("file:       ", f);
    put_human(f, xd_core_path(c));
    static const char *const kinds[] = {"", "xdump core", "ELF core (not written by xdump)",
                                        "Xen dump-core format (xl dump-core)",
                                        "kdump-compressed (makedumpfile's format)"};
    if (in->format == XD_CORE_KDUMP)
        fprintf(f,
                "\nformat:     %s; %" PRIu64 " bytes, header version %" PRIu32
                ", pages %s, dump level %" PRId32 ", %" PRIu64 " pfns\n",
                kinds[in->format], in->file_size, in->kdump_version, in->kdump_codec,
                in->kdump_dump_level, in->max_mapnr);
    else
        fprintf(f, "\nformat:     %s; %" PRIu64 " bytes, %zu program headers, %zu sections\n",
                kinds[in->format], in->file_size, in->phnum, in->shnum);
    fputs("domain:     ", f);
    if (in->has_description) {
        char uuid[XD_UUID_TEXT];
        xd_uuid_text(in->uuid, uuid);
        fprintf(f, "%" PRIu32 " ", in->domid);
        if (in->name[0]) {
            putc('"', f);
            put_human(f, in->name);
            putc('"', f);
        } else {
            fputs("(no name recorded)", f);
        }
        fprintf(f, ", %s, uuid %s\n", xd_core_domain_type_name(in->domain_type), uuid);
    } else {
        fprintf(f, "%s (id, name and uuid not recorded)\n",
                xd_core_domain_type_name(in->domain_type));
    }
    char ver[128];
    xen_version_string(in, ver, sizeof(ver));
    fputs("xen:        ", f);
    put_human(f, ver[0] ? ver : "unknown");
    putc('\n', f);
    human_taken(c, f);
    fprintf(f, "pages:      %" PRIu64 " in the file, %zu %s", in->nr_pages, in->nr_runs,
            runs_word(in->nr_runs));
    if (in->has_description)
        fprintf(f, " (Xen tot_pages %" PRIu64 ", max_pfn 0x%" PRIx64 ")", in->tot_pages,
                in->max_pfn);
    putc('\n', f);
    size_t nr;
    const struct xd_core_run *runs = xd_core_runs(c, &nr);
    for (size_t i = 0; i < in->nr_runs && i < nr; i++) {
        if (!listed(i, in->nr_runs)) {
            if (i == LIST_END)
                fprintf(f, "            ... %zu more runs ...\n", in->nr_runs - 2 * LIST_END);
            continue;
        }
        human_pfns(f, runs[i].pfn, runs[i].count, "page");
        putc('\n', f);
    }
    if (in->xen_invalid)
        fprintf(f,
                "            %" PRIu64 " index slots invalid: frames Xen's dumper skipped "
                "(zeros in the file)\n",
                in->xen_invalid);
    if (in->format != XD_CORE_XEN && in->format != XD_CORE_KDUMP)
        fprintf(f, "virtual:    %zu segment%s\n", in->nr_virtual, in->nr_virtual == 1 ? "" : "s");
    if (in->nr_machine)
        fprintf(f,
                "machine:    %zu segment%s by machine frame, %" PRIu64
                " of xdump's p2m frame-list pages (crash's view of a PV guest)\n",
                in->nr_machine, in->nr_machine == 1 ? "" : "s", in->xdump_pages);
    human_vcpus(c, f);
    human_unmappable(c, f);
    if (in->osrelease[0]) {
        fputs("kernel:     ", f);
        put_human(f, in->osrelease);
        fputs(" (VMCOREINFO)", f);
        if (in->has_phys_base)
            fprintf(f, ", phys_base 0x%" PRIx64, in->phys_base);
        if (in->has_kaslr_offset)
            fprintf(f, ", KASLR offset 0x%" PRIx64, in->kaslr_offset);
        putc('\n', f);
    }
    for (size_t i = 0; i < xd_core_nwarnings(c); i++) {
        fputs("warning:    ", f);
        put_human(f, xd_core_warning(c, i));
        putc('\n', f);
    }
}

/* ---- JSON, through jansson ------------------------------------------------------------------ */

/* Text from the core (any bytes): valid UTF-8 first, for jansson, and no U+0001, which marks
   the numbers u64() hands over (a \001 of the core reads as "?"). */
static json_t *text(const char *s)
{
    char *clean = xd_utf8_sanitize(s);
    for (char *p = clean; p && *p; p++)
        if (*p == '\001')
            *p = '?';
    json_t *j = clean ? json_string(clean) : NULL;
    free(clean);
    return j ? j : json_null();
}

static json_t *text_or_null(const char *s, bool present)
{
    return present ? text(s) : json_null();
}

/* jansson's integers are signed 64-bit; an address of the kernel half is above that. Such a
   number goes in as a string marked U64_MARK and is turned back into a bare number after
   json_dumps() (print_json): the output keeps every u64 exact. */
#define U64_MARK "\001u64:"
#define U64_DUMPED "\"\\u0001u64:" /* the mark as json_dumps() escapes it, with its quote */

static json_t *u64(uint64_t v)
{
    if (v <= INT64_MAX)
        return json_integer((json_int_t)v);
    char s[32];
    snprintf(s, sizeof(s), U64_MARK "%" PRIu64, v);
    return json_string(s);
}

/* A number, and (hex) the same as a "0x..." string beside it, KEY_hex. */
static void put_u64(json_t *o, const char *key, uint64_t v, bool hex)
{
    json_object_set_new(o, key, u64(v));
    if (hex) {
        char k[64], x[32];
        snprintf(k, sizeof(k), "%s_hex", key);
        snprintf(x, sizeof(x), "0x%" PRIx64, v);
        json_object_set_new(o, k, json_string(x));
    }
}

static void json_domain(const struct xd_core *c, json_t *o)
{
    const struct xd_core_info *in = xd_core_info(c);
    char uuid[XD_UUID_TEXT] = "";
    if (in->has_description)
        xd_uuid_text(in->uuid, uuid);
    json_t *d = json_object();
    json_object_set_new(d, "id", in->has_description ? json_integer(in->domid) : json_null());
    json_object_set_new(d, "name", text_or_null(in->name, in->has_description));
    json_object_set_new(d, "type", json_string(xd_core_domain_type_name(in->domain_type)));
    json_object_set_new(d, "uuid", text_or_null(uuid, in->has_description));
    json_object_set_new(o, "domain", d);

    char ver[128];
    xen_version_string(in, ver, sizeof(ver));
    json_t *x = json_object();
    json_object_set_new(x, "version", text_or_null(ver, ver[0] != '\0'));
    json_object_set_new(x, "changeset", text_or_null(in->xen_changeset, in->has_xen_version));
    json_object_set_new(x, "format_version",
                        in->has_xen_format_version
                            ? json_integer((json_int_t)in->xen_format_version)
                            : json_null());
    json_object_set_new(o, "xen", x);
}

static void json_taken(const struct xd_core *c, json_t *o)
{
    const struct xd_core_info *in = xd_core_info(c);
    if (!in->has_description) {
        json_object_set_new(o, "xdump_version", json_null());
        json_object_set_new(o, "taken", json_null());
        json_object_set_new(o, "complete", json_null());
        return;
    }
    json_object_set_new(o, "xdump_version", text(in->xdump_version));
    char when[64];
    bool has_time = format_time(when, sizeof(when), in->started);
    bool shut = in->flags & XD_CORE_F_SHUTDOWN;
    const char *why = shutdown_name(in->shutdown_reason);
    json_t *t = json_object();
    json_object_set_new(t, "paused", json_boolean(in->flags & XD_CORE_F_PAUSED));
    json_object_set_new(t, "live", json_boolean(in->flags & XD_CORE_F_LIVE));
    json_object_set_new(t, "shut_down", json_boolean(shut));
    json_object_set_new(t, "shutdown_reason",
                        !shut ? json_null()
                        : why ? json_string(why)
                              : json_integer(in->shutdown_reason));
    json_object_set_new(t, "precopy", json_boolean(in->flags & XD_CORE_F_PRECOPY));
    put_u64(t, "flags", in->flags, false);
    put_u64(t, "started", in->started, false);
    json_object_set_new(t, "started_utc", text_or_null(when, has_time));
    json_object_set_new(o, "taken", t);
    json_object_set_new(o, "complete", json_boolean(in->flags & XD_CORE_F_COMPLETE));
    if (in->has_precopy) {
        json_t *p = json_object();
        json_object_set_new(p, "rounds", json_integer(in->precopy_rounds));
        json_object_set_new(p, "pause_ms", json_real((double)in->precopy_pause_us / 1000));
        put_u64(p, "final_pages", in->precopy_final, false);
        put_u64(p, "recopied_pages", in->precopy_recopied, false);
        json_object_set_new(p, "running_s", json_real((double)in->precopy_running_us / 1e6));
        json_object_set_new(p, "budget_ms", json_integer(in->precopy_budget_ms));
        json_object_set_new(p, "not_converging",
                            json_boolean(in->precopy_flags & XD_CORE_PC_NOT_CONVERGING));
        json_object_set_new(p, "round_limit",
                            json_boolean(in->precopy_flags & XD_CORE_PC_ROUND_LIMIT));
        json_object_set_new(p, "tracking_lost", json_boolean(in->precopy_flags & XD_CORE_PC_LOST));
        json_object_set_new(p, "virtual_at_pause",
                            json_boolean(in->precopy_flags & XD_CORE_PC_VIRT_AT_PAUSE));
        /* "tracked", "untracked", or null: no device model (PV, PVH) */
        json_object_set_new(p, "device_model",
                            in->precopy_flags & XD_CORE_PC_DM_TRACKED     ? json_string("tracked")
                            : in->precopy_flags & XD_CORE_PC_DM_UNTRACKED ? json_string("untracked")
                                                                          : json_null());
        json_object_set_new(o, "precopy", p);
    }
    if (in->has_incomplete) {
        json_t *s = json_object();
        put_u64(s, "pages_written", in->pages_written, false);
        put_u64(s, "pfn", in->stop_pfn, true);
        json_object_set_new(s, "reason", text(in->stop_reason));
        json_object_set_new(o, "stopped", s);
    }
}

static json_t *json_vcpus(const struct xd_core *c)
{
    size_t n;
    const struct xd_core_vcpu *vc = xd_core_vcpus(c, &n);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct xd_core_vcpu *v = &vc[i];
        json_t *o = json_object();
        json_object_set_new(o, "index", json_integer((json_int_t)i));
        json_object_set_new(o, "id", v->id_known ? json_integer(v->id) : json_null());
        json_object_set_new(o, "state", json_string(xd_core_vcpu_state_name(v->state)));
        if (v->has_regs) {
            put_u64(o, "rip", v->regs.rip, true);
            put_u64(o, "rsp", v->regs.rsp, true);
        }
        if (v->has_cr) {
            put_u64(o, "cr3", v->cr[3], true);
            put_u64(o, "gdt_base", v->gdt_base, true);
            put_u64(o, "idt_base", v->idt_base, true);
        }
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *json_unmappable(const struct xd_core *c)
{
    const struct xd_core_info *in = xd_core_info(c);
    size_t n;
    const struct xd_core_unmappable *um = xd_core_unmappable(c, &n);
    json_t *o = json_object(), *runs = json_array();
    json_object_set_new(o, "recorded", json_boolean(in->has_unmappable_note));
    put_u64(o, "frames", in->unmappable_frames, false);
    json_object_set_new(o, "nr_runs", json_integer((json_int_t)in->nr_unmappable_runs));
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_object();
        put_u64(r, "first_pfn", um[i].first_pfn, true);
        put_u64(r, "nr_frames", um[i].nr_frames, false);
        json_object_set_new(r, "errno", json_integer(um[i].err));
        const char *name = xd_core_errno_name(um[i].err);
        json_object_set_new(r, "errno_name", name ? json_string(name) : json_null());
        json_array_append_new(runs, r);
    }
    json_object_set_new(o, "runs", runs);
    return o;
}

static json_t *to_json(const struct xd_core *c)
{
    const struct xd_core_info *in = xd_core_info(c);
    json_t *o = json_object();
    json_object_set_new(o, "file", text(xd_core_path(c)));
    json_object_set_new(o, "format", json_string(format_name(in->format)));
    put_u64(o, "file_size", in->file_size, false);
    json_object_set_new(o, "phnum", json_integer((json_int_t)in->phnum));
    json_object_set_new(o, "shnum", json_integer((json_int_t)in->shnum));
    if (in->format == XD_CORE_KDUMP) {
        json_t *k = json_object();
        json_object_set_new(k, "header_version", json_integer(in->kdump_version));
        json_object_set_new(k, "codec", json_string(in->kdump_codec));
        json_object_set_new(k, "dump_level", json_integer(in->kdump_dump_level));
        put_u64(k, "max_mapnr", in->max_mapnr, false);
        json_object_set_new(o, "kdump", k);
    }
    json_domain(c, o);
    json_taken(c, o);
    put_u64(o, "pages", in->nr_pages, false);
    if (in->has_description) {
        put_u64(o, "tot_pages", in->tot_pages, false);
        put_u64(o, "max_pfn", in->max_pfn, true);
    } else {
        json_object_set_new(o, "tot_pages", json_null());
        json_object_set_new(o, "max_pfn", json_null());
    }
    size_t nr;
    const struct xd_core_run *runs = xd_core_runs(c, &nr);
    json_object_set_new(o, "nr_runs", json_integer((json_int_t)in->nr_runs));
    json_t *ra = json_array();
    for (size_t i = 0; i < nr; i++) {
        json_t *r = json_object();
        put_u64(r, "pfn", runs[i].pfn, true);
        put_u64(r, "count", runs[i].count, false);
        json_array_append_new(ra, r);
    }
    json_object_set_new(o, "runs", ra);
    put_u64(o, "xen_invalid_index_entries", in->xen_invalid, false);
    json_object_set_new(o, "virtual_segments", json_integer((json_int_t)in->nr_virtual));
    json_object_set_new(o, "machine_segments", json_integer((json_int_t)in->nr_machine));
    put_u64(o, "xdump_pages", in->xdump_pages, false);
    json_object_set_new(o, "vcpus", json_vcpus(c));
    json_object_set_new(o, "unmappable", json_unmappable(c));
    json_object_set_new(o, "osrelease", text_or_null(in->osrelease, in->osrelease[0] != '\0'));
    if (in->has_phys_base)
        put_u64(o, "phys_base", in->phys_base, true);
    if (in->has_kaslr_offset)
        put_u64(o, "kaslr_offset", in->kaslr_offset, true);
    json_t *w = json_array();
    for (size_t i = 0; i < xd_core_nwarnings(c); i++)
        json_array_append_new(w, text(xd_core_warning(c, i)));
    json_object_set_new(o, "warnings", w);
    return o;
}

/* One line, "{...}\n". */
static int print_json(const struct xd_core *c, FILE *f)
{
    json_t *o = to_json(c);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!s)
        return -1;
    /* "\u0001u64:123" -> 123 (u64()); no text of the core holds U+0001 (text()), and the
       escape is only the mark when its backslash is not itself escaped */
    char *w = s;
    for (const char *r = s; *r;) {
        if (!strncmp(r, U64_DUMPED, strlen(U64_DUMPED)) && (r == s || r[-1] != '\\')) {
            r += strlen(U64_DUMPED);
            while (*r >= '0' && *r <= '9')
                *w++ = *r++;
            if (*r == '"')
                r++;
        } else
            *w++ = *r++;
    }
    *w = 0;
    fputs(s, f);
    putc('\n', f);
    free(s);
    return 0;
}

int cli_core_print(const struct xd_core *c, FILE *f, bool json)
{
    if (json) {
        if (print_json(c, f) < 0)
            return -1;
    } else
        print_human(c, f);
    return ferror(f) || fflush(f) ? -1 : 0;
}
