/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dump, top to bottom:
 *   1. open the domain, open the output, pause the domain (unless --live)
 *   2. read what Xen keeps: vCPU contexts, Xen's version, shared_info
 *   3. enumerate the frames that exist (p2m.c)
 *   4. plan the whole file (layout.c) and write its head
 *   5. copy guest memory: batches of 1024 frames, each mapped with one ioctl into one of two
 *      windows while the sink's writer thread writes the batch before from the other; a frame
 *      that cannot be mapped is written as zeros in its own place and recorded
 *   6. write the tail: the Xen index, the notes (with the unmappable frames), the raw vCPU
 *      contexts, shared_info, section headers
 *   7. check the domain is still there, commit the file, unpause
 * Every path out unpauses the domain and, on failure, removes the temporary file.
 *
 * --precopy: log-dirty mode on before step 3, the domain not paused; step 5 runs while the
 * guest runs, then rounds copy again, over their place in the file, the pages it wrote
 * meanwhile (precopy()); the domain is paused for the last of them, the vCPUs and shared_info;
 * log-dirty off and the domain unpaused before step 6.
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diskdump.h"
#include "memmap.h"
#include "domain.h"
#include "err.h"
#include "elfw.h"
#include "format.h"
#include "layout.h"
#include "vmci.h"
#include "lock.h"
#include "notes.h"
#include "p2m.h"
#include "sink.h"
#include "vspace.h"
#include "xdump.h"

#define MAX_VCPUS 4096

struct dump {
    const struct xdump_options *o;
    struct xdump_result *res;
    char *err;
    size_t errlen;
    struct xd_domain *dom;
    struct xd_sink *sink;
    struct xd_window *win[2]; /* batch k is mapped in win[k % 2] while k - 1 is written */
    struct xd_guardian *guardian;
    int lock;
    bool paused;
    bool tracking;    /* log-dirty mode is on, turned on by this dump */
    uint64_t ld_pfns; /* pre-copy: the pfns the dirty bitmap covers */
    struct timespec pause_t0;
    struct xd_precopy_note pc;     /* --precopy: how it went (the pre-copy note) */
    bool precopied;                /* ... and it did: the core is the guest at the final pause */
    bool head_written;             /* the file has begun: a partial core can be kept */
    uint64_t pages_done, next_pfn; /* how far the copy went */
    bool incomplete;               /* writing a partial core (--keep-partial) */
    int stop_status;
    char stop_reason[256];
    struct xd_dominfo info;
    struct xd_xenver xen;
    struct xd_vcpu *vcpus;
    uint32_t nvcpus, nctx;
    uint8_t shinfo[XD_PAGE_SIZE];
    bool have_shinfo;
    struct xd_p2m_anchors anchors;
    struct xd_frames frames;
    struct xd_m2p m2p;          /* PV: for the page walk and CR3 (m2p_open()), then freed */
    struct xd_xen_m2p *xen_m2p; /* ... Xen's table, while it is in use */
    struct xd_xk xk;            /* PV: the synthetic p2m frame lists crash reads (xenkdump.h) */
    bool have_xk;
    struct xd_vrange *vranges;
    size_t nvranges;
    uint64_t *pause_cr3; /* PV pre-copy: the vCPUs' CR3s at the pause as Xen gives them */
    int readback_rc;     /* the walk at the pause: the sink's status when a read failed */
    struct xd_layout_in lin;
    struct xd_layout lay;
    struct xd_badrun *bad;
    size_t nbad, badcap;
    uint64_t bad_frames;
    time_t started;
    struct xd_vmci vmci; /* the guest kernel's VMCOREINFO note, met during the copy */
    /* --format kdump: the writer (diskdump.h), its plan, and the notes' part it carries */
    struct xd_dd *kd;
    struct xd_dd_plan kplan;
    uint64_t knotes_size, knotes_carried;
    uint8_t *kexcl;     /* dump levels 2-31: the pfns left out (memmap.h), or NULL */
    uint64_t kexcluded; /* present pfns left out */
    int klevel;         /* the level written: the one asked, or & 1 when the filter could not */
    int ksink_rc;       /* the sink's status when one of the writer's outputs failed */
};

#define fail(d, status, ...) xd_fail((d)->err, (d)->errlen, status, __VA_ARGS__)

/* Carries a module's negative status and message up. */
static int pass(struct dump *d, int rc, const char *msg)
{
    if (rc < 0 && msg != d->err)
        snprintf(d->err, d->errlen, "%s", msg);
    return rc;
}

static void warn(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct dump *d, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (d->o->warn)
        d->o->warn(d->o->ctx, line);
}

/* ---- guest access for p2m.c, through the Xen door (src/xen/) ------------------------------- */

static int ops_read(void *ctx, const uint64_t *frames, size_t n, uint8_t *buf, int *err)
{
    return xd_domain_read_frames(ctx, frames, n, buf, err);
}

static int ops_exist(void *ctx, uint64_t first, size_t n, uint8_t *present)
{
    return xd_domain_frames_exist(ctx, first, n, present);
}

static int ops_probe(void *ctx, const uint64_t *frames, size_t n, uint8_t *mappable)
{
    return xd_domain_probe_frames(ctx, frames, n, mappable);
}

static int ops_lent(void *ctx, uint64_t **frames, size_t *n)
{
    return xd_domain_lent_frames(ctx, frames, n);
}

static int ops_paged(void *ctx, uint64_t *paged)
{
    struct xd_dominfo info;
    int rc = xd_domain_info(ctx, &info);
    *paged = info.paged_pages;
    return rc;
}

static const char *ops_error(void *ctx)
{
    return xd_domain_error(ctx);
}

/* ---- steps --------------------------------------------------------------------------------- */

static int read_state(struct dump *d)
{
    int rc;
    if (d->info.max_vcpu_id >= MAX_VCPUS)
        return fail(d, XDUMP_E_XEN, "domain %u claims %u vCPUs", d->info.domid,
                    d->info.max_vcpu_id + 1);
    d->nvcpus = d->info.max_vcpu_id + 1;
    d->vcpus = calloc(d->nvcpus, sizeof(*d->vcpus));
    if (!d->vcpus)
        return fail(d, XDUMP_E_FAIL, "out of memory");
    if ((rc = xd_domain_vcpus(d->dom, d->vcpus, d->nvcpus)) < 0)
        return pass(d, rc, xd_domain_error(d->dom));
    if (rc > 0)
        warn(d, "%s", xd_domain_error(d->dom));
    for (uint32_t i = 0; i < d->nvcpus; i++)
        d->nctx += d->vcpus[i].state != XD_VCPU_NONE;
    if ((rc = xd_domain_xen_version(d->dom, &d->xen)) < 0)
        return pass(d, rc, xd_domain_error(d->dom));
    bool pv = d->info.type == XD_PV;
    rc = xd_domain_shared_info(d->dom, d->shinfo, pv ? &d->anchors : NULL);
    if (rc == -XDUMP_E_XEN && !pv)
        return 0; /* HVM: Xen does not let shared_info be mapped by frame; nothing lost */
    if (rc < 0)
        return pass(d, rc, xd_domain_error(d->dom));
    d->have_shinfo = true;
    return 0;
}

static int enumerate(struct dump *d)
{
    struct xd_guest_ops ops = {d->dom,    ops_read,  ops_exist, ops_paged,
                               ops_error, ops_probe, ops_lent,  d->o->stop};
    uint64_t top;
    int rc;
    if (d->info.type == XD_PV) {
        if ((rc = xd_domain_max_mfn(d->dom, &top)) < 0)
            return pass(d, rc, xd_domain_error(d->dom));
        rc = xd_p2m_pv(&ops, &d->anchors, top, d->info.tot_pages, &d->frames, d->err, d->errlen);
    } else {
        if ((rc = xd_domain_max_gpfn(d->dom, &top)) < 0)
            return pass(d, rc, xd_domain_error(d->dom));
        rc = xd_p2m_hvm(&ops, top, d->o->probe_all, &d->frames, d->err, d->errlen);
        d->res->probed = d->frames.probed;
        d->ld_pfns = top + 1;
    }
    if (d->info.type == XD_PV)
        d->ld_pfns = d->anchors.max_pfn; /* the bitmap is by pfn for PV too */
    if (rc < 0)
        return rc;
    if (d->frames.invalid_entries)
        warn(d, "the guest's p2m has %llu entries naming no machine frame; they are left out",
             (unsigned long long)d->frames.invalid_entries);
    if (d->frames.paged_missing)
        warn(d, "%llu frames were still paged out after the retries; they are not in the core",
             (unsigned long long)d->frames.paged_missing);
    return 0;
}

/* A page table for the walk: pfn -> the frame Xen maps it by. */
static int read_pfn(void *ctx, uint64_t pfn, void *buf)
{
    struct dump *d = ctx;
    uint64_t page, frame = pfn;
    int err = 0;
    if (!xd_frames_find(&d->frames, pfn, &page))
        return -1;
    if (d->info.type == XD_PV && !xd_frames_mfn_of(&d->frames, pfn, &frame))
        return -1;
    return xd_domain_read_frames(d->dom, &frame, 1, buf, &err) < 0 || err ? -1 : 0;
}

static int ask_xen_m2p(void *ctx, uint64_t mfn, uint64_t *pfn)
{
    return xd_xen_m2p_get(ctx, mfn, pfn);
}

/* PV: machine frame -> pfn for the walk and CR3. Xen's M2P, checked against the p2m (p2m.h),
   keeps nothing per page; when it cannot be read, xdump's own inverse of the p2m. */
static int m2p_open(struct dump *d)
{
    int rc = xd_xen_m2p_open(d->dom, &d->xen_m2p);
    uint64_t pfn;
    /* The table must be readable where the guest's first frame is (a dom0 that cannot map
       Xen's frames answers per frame), or the walk would find nothing: then the inverse. */
    const char *why = rc < 0 ? xd_domain_error(d->dom) : "";
    if (rc == 0 && d->frames.nmruns &&
        xd_xen_m2p_get(d->xen_m2p, d->frames.mruns[0].mfn, &pfn) < 0) {
        xd_xen_m2p_close(d->xen_m2p);
        d->xen_m2p = NULL;
        why = "its frames did not map";
        rc = -1;
    }
    if (rc == 0) {
        xd_m2p_use(&d->m2p, &d->frames, ask_xen_m2p, d->xen_m2p);
        d->res->m2p_xen = true;
        return 0;
    }
    if (!d->res->m2p_own) /* once (a pre-copy asks again at its pause) */
        warn(d,
             "Xen's M2P could not be read (%s): machine frames are looked up in xdump's own "
             "inverse of the p2m",
             why);
    d->res->m2p_xen = false;
    d->res->m2p_own = true;
    if (xd_m2p_build(&d->frames, &d->m2p) < 0)
        return fail(d, XDUMP_E_FAIL, "out of memory for the inverse p2m");
    return 0;
}

static void m2p_close(struct dump *d)
{
    d->res->m2p_asked += d->m2p.asked;
    d->res->m2p_refused += d->m2p.refused;
    xd_m2p_free(&d->m2p);
    xd_xen_m2p_close(d->xen_m2p);
    d->xen_m2p = NULL;
}

/* The virtual ranges gdb needs (kernel text, direct map, vmalloc, modules...), from the
   vCPUs' page tables (`vcpus`, CR3 as Xen gives it): only page-table pages are read, by
   `read` - from the guest before the bulk copy, or from the file (walk_at_pause()). */
static int walk_page_tables(struct dump *d, const struct xd_vcpu *vcpus,
                            int (*read)(void *, uint64_t, void *))
{
    struct xd_vspace_in in = {.m2p = &d->m2p,
                              .type = d->info.type,
                              .frames = &d->frames,
                              .vcpus = vcpus,
                              .nvcpus = d->nvcpus,
                              .read_pfn = read,
                              .ctx = d};
    struct xd_vspace_stats st;
    int rc = xd_vspace(&in, &d->vranges, &d->nvranges, &st);
    if (rc < 0)
        return fail(d, -rc, "out of memory walking the guest's page tables");
    if (d->readback_rc < 0)
        return pass(d, d->readback_rc, xd_sink_error(d->sink));
    if (st.stopped)
        warn(d,
             "the page-table walk stopped at its work bound at %#llx; virtual segments "
             "beyond are left out",
             (unsigned long long)st.stop_vaddr);
    if (st.walk.invalid_entries)
        warn(d, "%llu page-table entries with reserved bits set were skipped",
             (unsigned long long)st.walk.invalid_entries);
    d->res->virtual_ranges = d->nvranges;
    d->res->table_reads += st.walk.table_reads;
    return 0;
}

/* A PV guest's CR3 names a machine frame; readers of the core look for a guest-physical
   address (the raw context keeps the machine frame). */
static void pv_cr3_to_pfn(struct dump *d)
{
    for (uint32_t v = 0; v < d->nvcpus; v++) {
        uint64_t pfn, mfn = d->vcpus[v].cr[3] >> XD_PAGE_SHIFT;
        if (d->vcpus[v].state == XD_VCPU_NONE)
            continue;
        if (xd_m2p_lookup(&d->m2p, mfn, &pfn))
            d->vcpus[v].cr[3] = pfn << XD_PAGE_SHIFT;
        else if (d->res->m2p_xen && mfn) /* 0: a vCPU not paging yet */
            warn(d,
                 "vCPU %u: CR3's machine frame %#llx does not lead back through the p2m (its "
                 "M2P entry names another pfn): its page tables are not followed",
                 v, (unsigned long long)mfn);
    }
}

/* Program headers kept free for a pre-copy's virtual pieces beyond twice the first count. */
#define XD_VIRT_SLACK 256

static int plan(struct dump *d, uint64_t reserve)
{
    d->lin = (struct xd_layout_in){.type = d->info.type,
                                   .frames = &d->frames,
                                   .vranges = d->vranges,
                                   .nvranges = d->nvranges,
                                   .nvcpus = d->nvcpus,
                                   .nctx = d->nctx,
                                   .have_shinfo = d->have_shinfo,
                                   .fail_reserve = reserve,
                                   .notes_first = !xd_sink_is_stream(d->sink),
                                   .xk = d->have_xk ? &d->xk : NULL};
    if (xd_layout_plan(&d->lin, &d->lay) < 0)
        return fail(d, XDUMP_E_FAIL, "internal: nothing to lay out");
    if (d->tracking && d->nvranges) {
        /* Pre-copy: the virtual pieces are counted again at the pause (walk_at_pause()), from
           tables the guest may have changed meanwhile: room for twice as many, and some. */
        d->lin.phdr_room = d->lay.phnum + d->lay.nvirt + XD_VIRT_SLACK;
        if (xd_layout_plan(&d->lin, &d->lay) < 0)
            return fail(d, XDUMP_E_FAIL, "internal: nothing to lay out");
    }
    return 0;
}

static int pad_to(struct dump *d, uint64_t off)
{
    int rc = xd_sink_zeros(d->sink, off - xd_sink_offset(d->sink));
    return pass(d, rc, xd_sink_error(d->sink));
}

/* The head goes out in pieces (elfw.c), appended or - after a re-plan - rewritten in place. */
struct head_out {
    struct dump *d;
    bool rewrite;
    uint64_t off;
    int rc; /* the sink's status, when it failed */
};

static int head_out(void *ctx, const void *buf, size_t n)
{
    struct head_out *h = ctx;
    int rc = h->rewrite ? xd_sink_rewrite(h->d->sink, h->off, buf, n)
                        : xd_sink_write(h->d->sink, buf, n);
    h->off += n;
    return rc < 0 ? (h->rc = rc) : 0;
}

/* The file's head. Written (rewrite false), the virtual ranges it was made from are freed: a
   re-plan (write_tail()) changes only where the notes are, so it rewrites the ELF header and
   the PT_NOTE program header, and zeroes the room the notes had before the pages. */
static int write_head(struct dump *d, bool rewrite)
{
    struct head_out h = {d, rewrite, 0, 0};
    if (rewrite) {
        uint8_t start[XD_EHDR_SIZE + XD_PHDR_SIZE];
        xd_elfw_head_start(&d->lay, start);
        int rc = xd_sink_rewrite(d->sink, 0, start, sizeof(start));
        if (rc < 0)
            return pass(d, rc, xd_sink_error(d->sink));
        h.off = XD_EHDR_SIZE + d->lay.phnum * XD_PHDR_SIZE;
    } else if (xd_elfw_head(&d->lay, &d->lin, head_out, &h) < 0) {
        return h.rc < 0 ? pass(d, h.rc, xd_sink_error(d->sink))
                        : fail(d, XDUMP_E_FAIL, "out of memory for the file's head");
    }
    if (!rewrite) {
        d->lin.nvirt_kept = d->lay.nvirt;
        d->lin.vranges = NULL;
        d->lin.nvranges = 0;
        free(d->vranges); /* 24 bytes a range: 768 KiB of a 64 GiB PV guest's direct map */
        d->vranges = NULL;
        d->nvranges = 0;
        return pad_to(d, d->lay.pages_off);
    }
    static const uint8_t zeros[16384];
    for (uint64_t n; h.off < d->lay.pages_off; h.off += n) {
        n = d->lay.pages_off - h.off < sizeof(zeros) ? d->lay.pages_off - h.off : sizeof(zeros);
        int rc = xd_sink_rewrite(d->sink, h.off, zeros, (size_t)n);
        if (rc < 0)
            return pass(d, rc, xd_sink_error(d->sink));
    }
    return 0;
}

static int record_bad(struct dump *d, uint64_t pfn, int err)
{
    d->bad_frames++;
    struct xd_badrun *last = d->nbad ? &d->bad[d->nbad - 1] : NULL;
    if (last && last->err == err && last->pfn + last->count == pfn) {
        last->count++;
        return 0;
    }
    if (d->nbad == d->badcap) {
        size_t cap = d->badcap ? d->badcap * 2 : 64;
        struct xd_badrun *b = realloc(d->bad, cap * sizeof(*b));
        if (!b)
            return fail(d, XDUMP_E_FAIL, "out of memory");
        d->bad = b;
        d->badcap = cap;
    }
    d->bad[d->nbad++] = (struct xd_badrun){pfn, 1, err};
    return 0;
}

/* After frames failed: is the domain still there? A dead domain is an error, never a core
   padded with zeros. */
/* The end of the messages of a dump that stops midway; keep_partial() cuts it when it does
   keep a core. */
#define NO_CORE "; no core was written"

static int check_alive(struct dump *d, uint64_t done)
{
    struct xd_dominfo now;
    int rc = xd_domain_info(d->dom, &now);
    if (rc == -XDUMP_E_DIED || (rc == 0 && now.dying))
        return fail(d, XDUMP_E_DIED,
                    "domain %u died during the dump (after %llu of %llu pages)" NO_CORE,
                    d->info.domid, (unsigned long long)done, (unsigned long long)d->frames.npages);
    return pass(d, rc, xd_domain_error(d->dom));
}

/* ---- --format kdump: makedumpfile's kdump-compressed file (diskdump.h) ------------------- */

_Static_assert((int)XDUMP_KDUMP_NONE == XD_DD_NONE && (int)XDUMP_KDUMP_ZLIB == XD_DD_ZLIB &&
                   (int)XDUMP_KDUMP_LZO == XD_DD_LZO && (int)XDUMP_KDUMP_SNAPPY == XD_DD_SNAPPY &&
                   (int)XDUMP_KDUMP_ZSTD == XD_DD_ZSTD && XD_DD_NCODECS == XDUMP_KDUMP_ZSTD + 1,
               "the public codec numbers are the writer's");

/* The writer's output is the sink; its failures keep the sink's status and message. */
static int kd_status(struct dump *d, int rc)
{
    if (rc < 0)
        d->ksink_rc = rc;
    return rc;
}

static int kd_append(void *ctx, const void *buf, size_t len)
{
    struct dump *d = ctx;
    return kd_status(d, xd_sink_write(d->sink, buf, len));
}

static int kd_zeros(void *ctx, uint64_t len)
{
    struct dump *d = ctx;
    return kd_status(d, xd_sink_zeros(d->sink, len));
}

static int kd_rewrite(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct dump *d = ctx;
    return kd_status(d, xd_sink_rewrite(d->sink, off, buf, len));
}

/* A status of the writer as the dump's. */
static int kdump_status(struct dump *d, int rc)
{
    if (rc >= 0)
        return rc;
    if (d->ksink_rc)
        return pass(d, d->ksink_rc, xd_sink_error(d->sink));
    return fail(d, XDUMP_E_FAIL, "writing the kdump file: %s", xd_dd_strerror(rc));
}

/* The plan and the file's start: the bitmaps (every present pfn), room for the notes - all
   of xdump's but Xen's four, which crash would hand to its Xen code (kdump.md 1.3). */
static int kdump_open(struct dump *d)
{
    const struct xd_frames *f = &d->frames;
    if (!f->nruns)
        return fail(d, XDUMP_E_FAIL, "internal: nothing to lay out");
    d->lin.fail_reserve = xd_layout_fail_reserve(f->npages);
    uint64_t xen_off;
    d->knotes_size =
        xd_notes_size(d->nctx, d->nvcpus, d->lin.fail_reserve, false, &xen_off, NULL, NULL);
    d->knotes_carried = xen_off;
    uint64_t max_mapnr = f->runs[f->nruns - 1].pfn + f->runs[f->nruns - 1].count;
    if (xd_dd_plan(max_mapnr, f->npages - d->kexcluded, d->knotes_carried, &d->kplan) < 0)
        return fail(d, XDUMP_E_FAIL, "%llu pfns do not fit the kdump format",
                    (unsigned long long)max_mapnr);
    struct xd_dd_out out = {d, kd_append, kd_zeros, xd_sink_is_stream(d->sink) ? NULL : kd_rewrite};
    int rc = xd_dd_open_filtered(&d->kplan, f, d->kexcl, d->o->kdump_compress, d->klevel & 1, &out,
                                 &d->kd);
    /* the pages compressed by `threads` threads (0: one per online CPU) while this one maps
       the next batch */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = d->o->threads ? d->o->threads : cpus > 0 ? (unsigned)cpus : 1;
    if (rc == 0)
        rc = xd_dd_threads(d->kd, n < XD_DD_MAX_THREADS ? n : XD_DD_MAX_THREADS);
    return kdump_status(d, rc);
}

static uint8_t *encode_notes(struct dump *d, uint64_t size, uint64_t *pad_at, uint64_t *pad_len);

/* The notes (the guest's VMCOREINFO among them), the sub-header and the header. */
static int kdump_tail(struct dump *d)
{
    if (d->nbad > d->lin.fail_reserve)
        return fail(d, XDUMP_E_IO,
                    "%zu runs of unmappable frames do not fit the room kept in the kdump "
                    "file's notes (%llu)",
                    d->nbad, (unsigned long long)d->lin.fail_reserve);
    uint8_t *notes = encode_notes(d, d->knotes_size, NULL, NULL);
    if (!notes)
        return fail(d, XDUMP_E_FAIL, "out of memory");
    char rel[XD_DD_UTS_LEN], pb[32];
    struct xd_dd_head h = {
        .dump_level = d->klevel, .nr_cpus = d->nctx, .timestamp = (int64_t)d->started};
    if (xd_vmci_value(&d->vmci, "OSRELEASE", rel, sizeof(rel)))
        h.release = rel;
    /* phys_base: crash takes it from the sub-header (x86_64_calc_phys_base()); Linux writes
       NUMBER(phys_base) in decimal */
    if (xd_vmci_value(&d->vmci, "NUMBER(phys_base)", pb, sizeof(pb)))
        h.phys_base = strtoull(pb, NULL, 10);
    int rc = xd_dd_finish(d->kd, &h, notes, d->knotes_carried);
    free(notes);
    struct xd_dd_stats st;
    xd_dd_stats(d->kd, &st);
    d->res->zero_pages = st.zero;
    return kdump_status(d, rc);
}

/* The dump's pages in pfn order with the frame each is mapped by (PV: its mfn), one after
   another: PV through the p2m's machine-contiguous pieces, HVM/PVH through the runs. */
struct cursor {
    size_t r;   /* run (HVM) or piece (PV) */
    uint64_t i; /* place inside it */
};

static bool cursor_end(const struct xd_frames *f, const struct cursor *c)
{
    return c->r >= (f->mruns ? f->nmruns : f->nruns);
}

static void cursor_next(const struct xd_frames *f, struct cursor *c, uint64_t *pfn, uint64_t *frame)
{
    uint64_t count;
    if (f->mruns) {
        *pfn = f->mruns[c->r].pfn + c->i;
        *frame = f->mruns[c->r].mfn + c->i;
        count = f->mruns[c->r].count;
    } else {
        *pfn = *frame = f->runs[c->r].pfn + c->i;
        count = f->runs[c->r].count;
    }
    if (++c->i == count)
        c->r++, c->i = 0;
}

/* The filter's struct pages: n pages by pfn with one map call. */
static int read_pfns(void *ctx, const uint64_t *pfns, size_t n, uint8_t *buf, int *err)
{
    struct dump *d = ctx;
    uint64_t frames[XD_MM_BATCH], page;
    if (n > XD_MM_BATCH)
        return -1;
    for (size_t i = 0; i < n; i++) {
        frames[i] = pfns[i];
        if (!xd_frames_find(&d->frames, pfns[i], &page) ||
            (d->info.type == XD_PV && !xd_frames_mfn_of(&d->frames, pfns[i], &frames[i])))
            return -1; /* not the guest's: the filter reads one page at a time then fails */
    }
    return xd_domain_read_frames(d->dom, frames, n, buf, err) < 0 ? -1 : 0;
}

/* PV: the kernel's page tables hold machine frames. */
static int mm_frame_to_pfn(void *ctx, uint64_t frame, uint64_t *pfn)
{
    struct dump *d = ctx;
    return xd_m2p_lookup(&d->m2p, frame, pfn) ? 0 : -1;
}

/* The guest's VMCOREINFO before the copy (the filter needs it before the bitmaps): pages in
   pfn order through a window of their own until the note is met; its pages are counted in
   result.vmci_scan_pages. */
static int find_vmcoreinfo(struct dump *d)
{
    struct xd_window *win;
    int rc = xd_window_open(d->dom, &win);
    if (rc < 0)
        return pass(d, rc, xd_domain_error(d->dom));
    uint64_t frames[XD_BATCH], pfns[XD_BATCH];
    int errs[XD_BATCH];
    struct cursor c = {0};
    while (rc == 0 && !d->vmci.found && !cursor_end(&d->frames, &c)) {
        size_t n = 0;
        for (; n < XD_BATCH && !cursor_end(&d->frames, &c); n++)
            cursor_next(&d->frames, &c, &pfns[n], &frames[n]);
        const uint8_t *base = xd_window_map(win, frames, n, errs, &rc);
        if (!base) {
            rc = pass(d, rc, xd_domain_error(d->dom));
            break;
        }
        for (size_t j = 0; j < n && !d->vmci.found; j++) {
            d->res->vmci_scan_pages++;
            if (!errs[j])
                xd_vmci_page(&d->vmci, pfns[j], base + j * XD_PAGE_SIZE);
            else
                d->vmci.want = 0; /* a note cannot continue over a page not read */
        }
    }
    d->res->map_calls += xd_window_calls(win);
    xd_window_close(win);
    return rc;
}

/* Dump levels 2-31: the pfns the level leaves out, from the guest's struct pages. What the
   filter cannot do (no VMCOREINFO, a mem_map it cannot trust) keeps every page: level & 1,
   with one warning. */
static int kdump_filter(struct dump *d)
{
    d->klevel = d->o->dump_level;
    if (!(d->klevel & ~XD_DL_ZERO))
        return 0;
    int rc = find_vmcoreinfo(d);
    if (rc < 0)
        return rc;
    const struct xd_frames *f = &d->frames;
    uint64_t max_pfn = f->runs[f->nruns - 1].pfn + f->runs[f->nruns - 1].count;
    char why[256] = "";
    if (!d->vmci.found) {
        warn(d,
             "dump level %d: no VMCOREINFO in the guest's memory (not Linux, or too early in "
             "its boot): writing level %d (no page left out by its struct page)",
             d->klevel, d->klevel & XD_DL_ZERO);
        d->klevel &= XD_DL_ZERO;
        return 0;
    }
    d->kexcl = calloc(1, (max_pfn + 7) / 8);
    if (!d->kexcl)
        return fail(d, XDUMP_E_FAIL, "out of memory for the dump level's bitmap");
    uint64_t cr3 = 0;
    for (uint32_t v = 0; v < d->nvcpus && !cr3; v++)
        if (d->vcpus[v].state != XD_VCPU_NONE)
            cr3 = d->vcpus[v].cr[3];
    struct xd_mm_in in = {.vmci = &d->vmci,
                          .level = d->klevel,
                          .max_pfn = max_pfn,
                          .present = f->runs,
                          .npresent = f->nruns,
                          .cr3 = cr3,
                          .prefer_cr3 = d->info.type == XD_PV,
                          .read_page = read_pfn,
                          .read_pages = read_pfns,
                          .frame_to_pfn = d->info.type == XD_PV ? mm_frame_to_pfn : NULL,
                          .opaque = d};
    struct xd_mm_stats st;
    if (xd_memmap_filter(&in, d->kexcl, &st, why, sizeof(why)) < 0) {
        warn(d,
             "dump level %d: the guest's mem_map cannot be trusted (%s): writing level %d "
             "(no page left out by its struct page)",
             d->klevel, why, d->klevel & XD_DL_ZERO);
        free(d->kexcl);
        d->kexcl = NULL;
        d->klevel &= XD_DL_ZERO;
        return 0;
    }
    /* the pages the notes point to: the VMCOREINFO note's */
    uint64_t npg = (XD_NOTE_HDR_SIZE + xd_note_pad4(sizeof(XD_NOTE_VMCOREINFO)) + d->vmci.len +
                    XD_PAGE_SIZE - 1) /
                   XD_PAGE_SIZE;
    for (uint64_t p = d->vmci.next_pfn > npg ? d->vmci.next_pfn - npg : 0;
         p < d->vmci.next_pfn && p < max_pfn; p++)
        d->kexcl[p >> 3] &= (uint8_t) ~(1u << (p & 7));
    d->kexcluded = 0;
    for (size_t r = 0; r < f->nruns; r++)
        for (uint64_t p = f->runs[r].pfn; p < f->runs[r].pfn + f->runs[r].count; p++)
            d->kexcluded += d->kexcl[p >> 3] >> (p & 7) & 1;
    d->res->excluded_pages = d->kexcluded;
    d->res->excluded_cache = st.cache;
    d->res->excluded_cache_private = st.cache_private;
    d->res->excluded_user = st.user;
    d->res->excluded_free = st.free;
    d->res->excluded_other = st.hwpoison + st.offline;
    d->res->mem_map_pages = st.page_reads;
    d->res->image_kept = st.image_kept;
    return 0;
}

/* One batch of the copy: the frames asked for, their pfns, and per frame 0 or an errno. */
struct batch {
    uint64_t frames[XD_BATCH], pfns[XD_BATCH];
    int errs[XD_BATCH];
};

/* Batches of up to XD_BATCH frames, in pfn order, each mapped with one call into one of two
   windows in turn: while the sink's writer thread checks and writes batch k from its window
   (--format kdump: the kdump writer's threads compress and write it), batch k + 1 is mapped
   into the other (and scanned for VMCOREINFO, its failures recorded).
   Handing batch k + 1 over waits for batch k, so a window is never mapped again while its
   pages are being written. */
static int copy_memory(struct dump *d)
{
    struct batch *b = malloc(2 * sizeof(*b));
    int rc = b ? 0 : fail(d, XDUMP_E_FAIL, "out of memory");
    for (int k = 0; k < 2 && rc == 0; k++)
        if ((rc = xd_window_open(d->dom, &d->win[k])) < 0)
            rc = pass(d, rc, xd_domain_error(d->dom));
    const struct xd_frames *f = &d->frames;
    struct cursor c = {0};
    uint64_t done = 0, skipped = 0;
    for (unsigned k = 0; rc == 0 && !cursor_end(f, &c); k ^= 1) {
        struct batch *bk = &b[k];
        size_t n = 0;
        while (n < XD_BATCH && !cursor_end(f, &c)) {
            cursor_next(f, &c, &bk->pfns[n], &bk->frames[n]);
            uint64_t p = bk->pfns[n];
            if (d->kexcl && d->kexcl[p >> 3] >> (p & 7) & 1)
                skipped++; /* left out by the dump level: not even mapped */
            else
                n++;
        }
        if (!n)
            break;
        if (d->o->stop && *d->o->stop) {
            rc = fail(d, XDUMP_E_SIGNAL, "interrupted after %llu of %llu pages" NO_CORE,
                      (unsigned long long)done, (unsigned long long)f->npages);
            break;
        }
        const uint8_t *base = xd_window_map(d->win[k], bk->frames, n, bk->errs, &rc);
        if (!base) {
            int alive = check_alive(d, done);
            rc = alive < 0 ? alive : pass(d, rc, xd_domain_error(d->dom));
            break;
        }
        bool failed = false;
        for (size_t j = 0; j < n && rc == 0; j++) {
            if (!bk->errs[j])
                xd_vmci_page(&d->vmci, bk->pfns[j], base + j * XD_PAGE_SIZE);
            else if ((rc = record_bad(d, bk->pfns[j], bk->errs[j])) == 0)
                failed = true;
        }
        if (rc < 0)
            break;
        if (d->kd)
            rc = kdump_status(d, xd_dd_pages_async(d->kd, base, n, bk->errs));
        else if ((rc = xd_sink_pages_async(d->sink, base, n, bk->errs)) < 0)
            rc = pass(d, rc, xd_sink_error(d->sink));
        if (rc < 0)
            break;
        done += n;
        d->pages_done = done;
        d->next_pfn = bk->pfns[n - 1] + 1;
        if (failed && (rc = check_alive(d, done)) < 0)
            break;
        if (d->o->progress)
            d->o->progress(d->o->ctx, done + skipped, f->npages);
    }
    /* The last batch written (or the one in flight when something failed: the sink is
       aborted, or completed by keep_partial, only after it) - b must outlive it. */
    int w = d->sink ? xd_sink_wait(d->sink) : 0;
    if (rc == 0 && w < 0)
        rc = pass(d, w, xd_sink_error(d->sink));
    w = d->kd ? xd_dd_wait(d->kd) : 0; /* the kdump writer's threads, likewise */
    if (rc == 0 && w < 0)
        rc = kdump_status(d, w);
    free(b);
    return rc;
}

/* ---- pre-copy ------------------------------------------------------------------------------ */

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The dumped pfns whose bit is set, into pfns[] (ascending); *outside counts the set bits of
   pfns the dump does not hold. */
static uint64_t dirty_pfns(const struct dump *d, const uint8_t *bits, uint64_t *pfns,
                           uint64_t *outside)
{
    uint64_t n = 0, page;
    *outside = 0;
    for (uint64_t byte = 0; byte < (d->ld_pfns + 7) / 8; byte++) {
        if (!bits[byte])
            continue;
        for (unsigned b = 0; b < 8; b++) {
            uint64_t pfn = byte * 8 + b;
            if (!(bits[byte] & (1u << b)) || pfn >= d->ld_pfns)
                continue;
            if (xd_frames_find(&d->frames, pfn, &page) && n < d->frames.npages)
                pfns[n++] = pfn;
            else
                (*outside)++;
        }
    }
    return n;
}

/* Whether pfn failed to map in the first copy (d->bad: runs in pfn order). */
static bool was_unmappable(const struct dump *d, uint64_t pfn)
{
    size_t lo = 0, hi = d->nbad;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pfn < d->bad[mid].pfn)
            hi = mid;
        else if (pfn - d->bad[mid].pfn >= d->bad[mid].count)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

/* Copies pfns[0..n) again, each over its place in the file: batches mapped into window 0,
   written with one pwrite per stretch of pages adjacent in the file. A page that mapped
   before and does not now cannot be left stale: the dump fails. */
static int recopy(struct dump *d, const uint64_t *pfns, uint64_t n)
{
    uint64_t frames[XD_BATCH], offs[XD_BATCH];
    int errs[XD_BATCH], rc = 0;
    for (uint64_t at = 0; at < n && rc == 0; at += XD_BATCH) {
        size_t m = n - at < XD_BATCH ? (size_t)(n - at) : XD_BATCH;
        if (d->o->stop && *d->o->stop)
            return fail(d, XDUMP_E_SIGNAL, "interrupted during the pre-copy; no core was written");
        for (size_t j = 0; j < m; j++) {
            uint64_t pfn = pfns[at + j];
            frames[j] = pfn;
            if (d->info.type == XD_PV && !xd_frames_mfn_of(&d->frames, pfn, &frames[j]))
                return fail(d, XDUMP_E_FAIL, "internal: pfn %#llx has no mfn",
                            (unsigned long long)pfn);
            offs[j] = xd_layout_pfn_offset(&d->lay, &d->frames, pfn);
        }
        const uint8_t *base = xd_window_map(d->win[0], frames, m, errs, &rc);
        if (!base) {
            int alive = check_alive(d, d->pages_done);
            return alive < 0 ? alive : pass(d, rc, xd_domain_error(d->dom));
        }
        for (size_t j = 0; j < m; j++) {
            bool was_bad = was_unmappable(d, pfns[at + j]);
            if (errs[j] && !was_bad)
                return fail(d, XDUMP_E_XEN,
                            "pre-copy: pfn %#llx, written by the guest, cannot be read again "
                            "(%s); no core was written",
                            (unsigned long long)pfns[at + j], strerror(errs[j]));
            if (was_bad)
                errs[j] = 1; /* listed as unmappable, zeros in the file: left so */
        }
        for (size_t j = 0, k; j < m && rc == 0; j = k) {
            for (k = j + 1; k < m && !errs[j] && !errs[k] && offs[k] == offs[k - 1] + XD_PAGE_SIZE;)
                k++;
            if (errs[j])
                continue;
            for (size_t i = j; i < k; i++)
                xd_vmci_page(&d->vmci, pfns[at + i], base + i * XD_PAGE_SIZE);
            rc = xd_sink_rewrite(d->sink, offs[j], base + j * XD_PAGE_SIZE, (k - j) * XD_PAGE_SIZE);
            if (rc < 0)
                rc = pass(d, rc, xd_sink_error(d->sink));
        }
    }
    return rc;
}

/* What Xen says at the pause: the vCPUs (the same ones with a context as planned), shared_info
   (PV: the same p2m) - the guest as it is now. */
static int reread_state(struct dump *d)
{
    struct xd_vcpu *v = calloc(d->nvcpus, sizeof(*v));
    if (!v)
        return fail(d, XDUMP_E_FAIL, "out of memory");
    int rc = xd_domain_vcpus(d->dom, v, d->nvcpus);
    for (uint32_t i = 0; rc >= 0 && i < d->nvcpus; i++)
        if ((v[i].state == XD_VCPU_NONE) != (d->vcpus[i].state == XD_VCPU_NONE))
            rc = fail(d, XDUMP_E_FAIL,
                      "vCPU %u came up or went down during the pre-copy; dump again", i);
    if (rc < 0) {
        free(v);
        return rc == -XDUMP_E_FAIL ? rc : pass(d, rc, xd_domain_error(d->dom));
    }
    free(d->vcpus);
    d->vcpus = v;
    struct xd_p2m_anchors now = {0};
    bool pv = d->info.type == XD_PV;
    rc = xd_domain_shared_info(d->dom, d->shinfo, pv ? &now : NULL);
    if (rc < 0 && (pv || rc != -XDUMP_E_XEN))
        return pass(d, rc, xd_domain_error(d->dom));
    if (pv &&
        (now.max_pfn != d->anchors.max_pfn || now.p2m_generation != d->anchors.p2m_generation))
        return fail(d, XDUMP_E_GUEST,
                    "the guest changed its p2m during the pre-copy (as Xen's saver, xdump "
                    "gives up); dump again, or without --precopy");
    if (pv) {
        if (!d->o->no_virtual) { /* walk_at_pause() follows them as Xen gives them */
            if (!d->pause_cr3 && !(d->pause_cr3 = calloc(d->nvcpus, sizeof(uint64_t))))
                return fail(d, XDUMP_E_FAIL, "out of memory");
            for (uint32_t i = 0; i < d->nvcpus; i++)
                d->pause_cr3[i] = d->vcpus[i].cr[3];
        }
        if ((rc = m2p_open(d)) < 0)
            return rc;
        pv_cr3_to_pfn(d);
        m2p_close(d);
    }
    return 0;
}

/* A page table for walk_at_pause(): from the file, which holds the page as it was at the
   pause (a page that could not be mapped is zeros there: not a table). */
static int read_core_pfn(void *ctx, uint64_t pfn, void *buf)
{
    struct dump *d = ctx;
    uint64_t off = xd_layout_pfn_offset(&d->lay, &d->frames, pfn);
    if (!off || was_unmappable(d, pfn) || d->readback_rc < 0)
        return -1;
    return (d->readback_rc = xd_sink_read(d->sink, off, buf, XD_PAGE_SIZE)) < 0 ? -1 : 0;
}

#define KERNEL_HALF 0x8000000000000000ull /* canonical addresses from here on: the kernel's */

/* The head's virtual pieces for d->vranges, fitted into the room plan() kept: 0, or -1 when
   they do not fit (the head would reach the pages). */
static int fit_virtual(struct dump *d, const struct xd_vrange *r, size_t n)
{
    struct xd_layout_in in = d->lin;
    struct xd_layout lay;
    in.vranges = r, in.nvranges = n, in.pages_at = d->lay.pages_off;
    if (xd_layout_plan(&in, &lay) < 0 || lay.phnum > d->lay.phdr_room)
        return -1;
    d->lin = in, d->lay = lay;
    return 0;
}

/* --precopy: the virtual segments as the guest's page tables were at the pause. The walk at
   the start read tables the guest changed while it ran (a process started, a module loaded, a
   vmalloc area freed); now the file holds every page as it was at the pause, tables
   included, so they are walked again from there, after the unpause: the pause does not grow.
   The head gets the new pieces, in the room plan() kept for them; if they do not fit, the user
   half's are left out first (the kernel's are what a crash is read with), then the kernel's
   from the top, and a warning says how many. */
static int walk_at_pause(struct dump *d)
{
    struct xd_vcpu *v = d->vcpus;
    if (d->info.type == XD_PV) { /* the tables hold machine frames: the M2P again */
        if (!(v = malloc(d->nvcpus * sizeof(*v))))
            return fail(d, XDUMP_E_FAIL, "out of memory");
        memcpy(v, d->vcpus, d->nvcpus * sizeof(*v));
        for (uint32_t i = 0; i < d->nvcpus; i++)
            v[i].cr[3] = d->pause_cr3[i];
    }
    int rc = d->info.type == XD_PV ? m2p_open(d) : 0;
    if (rc == 0)
        rc = walk_page_tables(d, v, read_core_pfn);
    if (v != d->vcpus)
        free(v), m2p_close(d);
    if (rc < 0)
        return rc;
    struct xd_vrange *r = d->vranges;
    size_t n = d->nvranges, user = 0;
    while (user < n && r[user].vaddr < KERNEL_HALF)
        user++;
    if (fit_virtual(d, r, n) < 0) {
        /* without the user half; then, if need be, the kernel half's longest prefix that fits
           (no range at all always fits: the first head had the pieces of n > 0 ranges) */
        size_t lo = 0, hi = n - user;
        memmove(r, r + user, (n - user) * sizeof(*r));
        while (lo < hi) {
            size_t mid = lo + (hi - lo + 1) / 2;
            if (fit_virtual(d, r, mid) == 0)
                lo = mid;
            else
                hi = mid - 1;
        }
        if (fit_virtual(d, r, lo) < 0)
            return fail(d, XDUMP_E_FAIL, "internal: the head lost its room");
        warn(d,
             "pre-copy: the page tables at the pause map %zu ranges, more than the file's head "
             "has room for: %zu of the user half and %zu of the kernel half left out",
             n, user, n - user - lo);
        d->nvranges = lo;
    }
    /* The whole head again: the ELF header, every program header, zeros over the ones the
       first head had beyond. */
    struct head_out h = {d, true, 0, 0};
    if (xd_elfw_head(&d->lay, &d->lin, head_out, &h) < 0)
        return h.rc < 0 ? pass(d, h.rc, xd_sink_error(d->sink))
                        : fail(d, XDUMP_E_FAIL, "out of memory for the file's head");
    static const uint8_t zeros[4096];
    for (uint64_t end = XD_EHDR_SIZE + d->lay.phdr_room * XD_PHDR_SIZE, k; h.off < end;
         h.off += k) {
        k = end - h.off < sizeof(zeros) ? end - h.off : sizeof(zeros);
        if ((rc = xd_sink_rewrite(d->sink, h.off, zeros, (size_t)k)) < 0)
            return pass(d, rc, xd_sink_error(d->sink));
    }
    d->res->virtual_ranges = d->nvranges;
    d->pc.flags |= XD_PRECOPY_F_VIRT_AT_PAUSE;
    d->lin.nvirt_kept = d->lay.nvirt;
    d->lin.vranges = NULL, d->lin.nvranges = 0;
    free(d->vranges);
    d->vranges = NULL, d->nvranges = 0;
    return 0;
}

static int clean(struct dump *d, bool final, uint8_t *acc, uint64_t *pfns, uint64_t *n)
{
    const uint8_t *bits;
    uint64_t count, outside;
    int rc = xd_logdirty_clean(d->dom, d->ld_pfns, final, &bits, &count);
    if (rc < 0)
        return pass(d, rc, xd_domain_error(d->dom));
    size_t bytes = (size_t)((d->ld_pfns + 7) / 8);
    for (size_t i = 0; i < bytes; i++)
        acc[i] |= bits[i];
    *n = dirty_pfns(d, acc, pfns, &outside);
    if (outside)
        warn(d,
             "%llu pages written outside the frames dumped (the guest's memory map changed?) "
             "are not in the core",
             (unsigned long long)outside);
    return 0;
}

/* A dirty set this small is copied in the pause without a round to measure its cost. */
#define XD_PRECOPY_TINY 64

/* After the full copy made while the guest ran (round 0): rounds of CLEAN and copy until what
   is left fits the pause budget at round 0's rate, stops shrinking, or the round limit; then
   the pause: the tracking checked to be still ours, the FINAL clean, the last pages, the vCPUs,
   log-dirty off, unpause. */
static int precopy(struct dump *d, double round0_ms)
{
    size_t bytes = (size_t)((d->ld_pfns + 7) / 8);
    uint8_t *acc = calloc(bytes ? bytes : 1, 1);
    uint64_t *pfns = malloc((d->frames.npages + 1) * sizeof(*pfns));
    if (!acc || !pfns) {
        free(acc), free(pfns);
        return fail(d, XDUMP_E_FAIL, "out of memory for the dirty bitmap");
    }
    double budget_ms = d->o->precopy_ms ? d->o->precopy_ms : 50;
    /* The pause's cost a page is not round 0's: the dirty pages are scattered (a map and a
       write each, where round 0 streams), measured 3-4x slower under xensim (make bench,
       "Pre-copy"). Until a round has measured it, round 0's rate, and one round is made
       whatever it says unless the set is tiny. */
    double ms_per_page = round0_ms / (double)(d->frames.npages ? d->frames.npages : 1);
    bool measured = false;
    uint64_t n = 0, prev = UINT64_MAX;
    int rc = 0;
    struct timespec rounds_t0;
    clock_gettime(CLOCK_MONOTONIC, &rounds_t0);
    d->pc.budget_ms = (uint32_t)budget_ms;
    for (unsigned round = 1; rc == 0; round++) {
        if ((rc = clean(d, false, acc, pfns, &n)) < 0)
            break;
        if ((double)n * ms_per_page <= budget_ms && (measured || n <= XD_PRECOPY_TINY))
            break; /* what is left is copied in the pause */
        if (round > XDUMP_PRECOPY_ROUNDS) {
            d->pc.flags |= XD_PRECOPY_F_ROUND_LIMIT;
            break;
        }
        if (n >= prev) {
            d->res->not_converging = true;
            d->pc.flags |= XD_PRECOPY_F_NOT_CONVERGING;
            warn(d,
                 "pre-copy: the guest writes faster than it is copied (%llu pages dirty "
                 "after round %u); pausing for them",
                 (unsigned long long)n, round - 1);
            break;
        }
        prev = n;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if ((rc = recopy(d, pfns, n)) < 0)
            break;
        if (n)
            ms_per_page = elapsed_ms(&t0) / (double)n, measured = true;
        d->res->recopied += n;
        d->res->precopy_rounds = round;
        memset(acc, 0, bytes);
    }
    bool ours = false;
    d->pc.running_us = (uint64_t)((round0_ms + elapsed_ms(&rounds_t0)) * 1000);
    if (rc == 0) {
        clock_gettime(CLOCK_MONOTONIC, &d->pause_t0);
        if ((rc = xd_domain_pause(d->dom)) < 0)
            rc = pass(d, rc, xd_domain_error(d->dom));
        else
            d->paused = true;
    }
    /* An HVM guest's QEMU stopped too: Xen's pause does not stop it, and DMA it completed
       after the FINAL clean would be missing (its requests in flight complete first, while
       its reports still count) */
    if (rc == 0 && (d->pc.flags & XD_PRECOPY_F_DM_TRACKED) && xd_dm_stop(d->dom) < 0) {
        warn(d, "%s", xd_domain_error(d->dom));
        d->pc.flags = (d->pc.flags & ~XD_PRECOPY_F_DM_TRACKED) | XD_PRECOPY_F_DM_UNTRACKED;
    }
    if (rc == 0 && (rc = xd_logdirty_still_ours(d->dom, &ours)) < 0)
        rc = pass(d, rc, xd_domain_error(d->dom));
    if (rc == 0 && !ours) {
        /* Someone turned it off (the probe turned it on again: ours to turn off). What was
           written meanwhile is unknown: every page again, paused. */
        warn(d, "pre-copy: log-dirty mode was turned off by someone else during the dump; "
                "copying every page again with the domain paused");
        d->pc.flags |= XD_PRECOPY_F_LOST;
        n = 0;
        for (struct cursor c = {0}; !cursor_end(&d->frames, &c);) {
            uint64_t frame;
            cursor_next(&d->frames, &c, &pfns[n++], &frame);
        }
    } else if (rc == 0) {
        rc = clean(d, true, acc, pfns, &n);
    }
    if (rc == 0 && (rc = recopy(d, pfns, n)) == 0)
        rc = reread_state(d);
    if (rc == 0) {
        d->res->final_pages = n;
        d->res->recopied += n;
        if ((rc = xd_logdirty_off(d->dom)) < 0)
            rc = pass(d, rc, xd_domain_error(d->dom));
        else
            d->tracking = false;
    }
    if (xd_dm_cont(d->dom) < 0) /* before the unpause, as libxl resumes QEMU first */
        warn(d, "%s", xd_domain_error(d->dom));
    if (rc == 0) {
        if ((rc = xd_domain_unpause(d->dom)) < 0) {
            rc = pass(d, rc, xd_domain_error(d->dom));
        } else {
            d->paused = false;
            d->res->pause_ms = elapsed_ms(&d->pause_t0);
            d->pc.rounds = d->res->precopy_rounds;
            d->pc.pause_us = (uint64_t)(d->res->pause_ms * 1000);
            d->pc.final_pages = n;
            d->pc.recopied = d->res->recopied;
            d->precopied = true;
        }
    }
    free(acc);
    free(pfns);
    return rc;
}

/* The Xen index: .xen_p2m {pfn, mfn} or .xen_pfn, page after page. */
static int write_index(struct dump *d)
{
    uint8_t buf[XD_BATCH * XD_INDEX_P2M_SIZE];
    size_t n = 0; /* bytes in buf */
    const struct xd_frames *f = &d->frames;
    for (struct cursor c = {0}; !cursor_end(f, &c);) {
        uint64_t pfn, frame;
        cursor_next(f, &c, &pfn, &frame);
        xd_put_le64(buf + n, pfn), n += 8;
        if (d->info.type == XD_PV)
            xd_put_le64(buf + n, frame), n += 8;
        if (n == sizeof(buf)) {
            int rc = xd_sink_write(d->sink, buf, n);
            if (rc < 0)
                return pass(d, rc, xd_sink_error(d->sink));
            n = 0;
        }
    }
    int rc = xd_sink_write(d->sink, buf, n);
    if (rc < 0 || !d->have_xk)
        return pass(d, rc, xd_sink_error(d->sink));
    /* PV: xdump's p2m frame lists for crash, after the index */
    if ((rc = pad_to(d, d->lay.xk_off)) < 0)
        return rc;
    uint8_t page[XD_PAGE_SIZE];
    for (uint64_t k = 0; k < d->xk.npages && rc == 0; k++) {
        xd_xk_page(&d->xk, &d->frames, k, page);
        rc = xd_sink_write(d->sink, page, sizeof(page));
    }
    return pass(d, rc, xd_sink_error(d->sink));
}

static int write_tail(struct dump *d)
{
    int rc;
    if (d->nbad > d->lin.fail_reserve) {
        /* More runs than room was kept for: a file is re-planned and its head rewritten; a
           stream cannot go back. */
        if (xd_sink_is_stream(d->sink))
            return fail(d, XDUMP_E_IO,
                        "%zu runs of unmappable frames do not fit the room "
                        "kept in a streamed core (%llu); dump to a file%s instead",
                        d->nbad, (unsigned long long)d->lin.fail_reserve,
                        d->o->compress ? " without -z" : "");
        /* The pages stay where they are: the notes, with room for every run, move behind the
           index, where readers that take them from the PT_NOTE (gdb, drgn, xdump info) still
           find them (crash does not). */
        d->lin.fail_reserve = d->nbad;
        d->lin.notes_first = false;
        d->lin.pages_at = d->lay.pages_off;
        if (xd_layout_plan(&d->lin, &d->lay) < 0)
            return fail(d, XDUMP_E_FAIL, "internal: cannot re-plan the notes");
        if ((rc = write_head(d, true)) < 0)
            return rc;
    }
    if (!d->lin.notes_first && (rc = pad_to(d, d->lay.notes_off)) < 0)
        return rc;

    /* Encoded without the padding's zeros (most of the room kept for unmappable runs): in
       their room before the pages, planned and left zero, those are already there. */
    uint64_t pad_at, pad_len;
    uint8_t *notes = encode_notes(d, d->lay.notes_size, &pad_at, &pad_len);
    if (!notes)
        return fail(d, XDUMP_E_FAIL, "out of memory");
    uint64_t rest = d->lay.notes_size - pad_at - pad_len;
    if (d->lin.notes_first) {
        rc = xd_sink_rewrite(d->sink, d->lay.notes_off, notes, pad_at);
        if (rc == 0)
            rc =
                xd_sink_rewrite(d->sink, d->lay.notes_off + pad_at + pad_len, notes + pad_at, rest);
    } else if ((rc = xd_sink_write(d->sink, notes, pad_at)) == 0 &&
               (rc = pad_to(d, d->lay.notes_off + pad_at + pad_len)) == 0) {
        rc = xd_sink_write(d->sink, notes + pad_at, rest);
    }
    free(notes);
    if (rc < 0)
        return pass(d, rc, xd_sink_error(d->sink));

    if ((rc = pad_to(d, d->lay.prstatus_off)) < 0)
        return rc;
    for (uint32_t i = 0; i < d->nvcpus && rc == 0; i++)
        if (d->vcpus[i].state != XD_VCPU_NONE)
            rc = xd_sink_write(d->sink, d->vcpus[i].ctx, XD_CTX_SIZE);
    if (rc == 0 && d->have_shinfo)
        rc = xd_sink_write(d->sink, d->shinfo, XD_PAGE_SIZE);
    if (rc == 0)
        rc = xd_sink_write(d->sink, XD_SHSTRTAB, XD_SHSTRTAB_SIZE);
    if (rc < 0)
        return pass(d, rc, xd_sink_error(d->sink));
    if ((rc = pad_to(d, d->lay.shoff)) < 0)
        return rc;
    uint8_t sh[XD_SEC_MAX * XD_SHDR_SIZE];
    xd_elfw_shdrs(&d->lay, &d->lin, sh);
    rc = xd_sink_write(d->sink, sh, d->lay.shnum * XD_SHDR_SIZE);
    return pass(d, rc, xd_sink_error(d->sink));
}

/* The notes (notes.c), `size` bytes as xd_notes_size() planned them: malloc'd, or NULL when
   out of memory. With pad_at: without the padding's zeros (xd_notes_encode_dense()). */
static uint8_t *encode_notes(struct dump *d, uint64_t size, uint64_t *pad_at, uint64_t *pad_len)
{
    uint8_t *states = calloc(d->nvcpus, 1);
    uint8_t *notes =
        malloc(pad_at ? xd_notes_dense_size(size, d->lin.fail_reserve, d->nbad) : size);
    if (!states || !notes) {
        free(states), free(notes);
        return NULL;
    }
    for (uint32_t i = 0; i < d->nvcpus; i++)
        states[i] = (uint8_t)d->vcpus[i].state;
    struct xd_dumpdesc desc = {.domid = d->info.domid,
                               .type = (uint32_t)d->info.type,
                               .nr_vcpus = d->nvcpus,
                               .tot_pages = d->info.tot_pages,
                               .nr_pages = d->frames.npages,
                               .max_pfn = d->frames.runs[d->frames.nruns - 1].pfn +
                                          d->frames.runs[d->frames.nruns - 1].count,
                               .flags = (d->paused ? XD_DESC_F_PAUSED : 0) |
                                        (d->o->live ? XD_DESC_F_LIVE : 0) |
                                        (d->precopied ? XD_DESC_F_PAUSED | XD_DESC_F_PRECOPY : 0) |
                                        (d->info.shutdown ? XD_DESC_F_SHUTDOWN : 0) |
                                        (d->incomplete ? 0 : XD_DESC_F_COMPLETE),
                               .started = (uint64_t)d->started,
                               .shutdown_reason = d->info.shutdown_reason,
                               .xen_version = d->xen.major << 16 | d->xen.minor,
                               .vcpu_state = states};
    if (d->info.type == XD_PV)
        desc.max_pfn = d->anchors.max_pfn;
    memcpy(desc.uuid, d->info.uuid, sizeof(desc.uuid));
    snprintf(desc.name, sizeof(desc.name), "%s", d->info.name);
    struct xd_notes_in in = {.vcpus = d->vcpus,
                             .nvcpus = d->nvcpus,
                             .type = d->info.type,
                             .npages = d->frames.npages,
                             .xen = &d->xen,
                             .desc = &desc,
                             .bad = d->bad,
                             .nbad = d->nbad,
                             .fail_reserve = d->lin.fail_reserve,
                             .vmcoreinfo = d->vmci.text,
                             .vmcoreinfo_len = d->vmci.found ? d->vmci.len : 0,
                             .incomplete = d->incomplete,
                             .pages_written = d->pages_done,
                             .next_pfn = d->next_pfn,
                             .status = d->stop_status,
                             .reason = d->stop_reason,
                             .crash_info_mfn = d->have_xk ? d->xk.base_mfn : 0,
                             .precopy = d->precopied ? &d->pc : NULL};
    if (pad_at)
        xd_notes_encode_dense(&in, notes, pad_at, pad_len);
    else
        xd_notes_encode(&in, notes);
    free(states);
    return notes;
}

/* --keep-partial: after a failure, the file is completed as far as it can be - pages never
   copied are holes, the notes mark the core incomplete and say where and why it stopped - and
   put in place under its name. The dump still fails with its own status. */
static int keep_partial(struct dump *d, int status)
{
    if (!d->o->keep_partial || !d->sink || xd_sink_is_stream(d->sink))
        return status;
    char why[512];
    snprintf(why, sizeof(why), "%s", d->err);
    snprintf(d->stop_reason, sizeof(d->stop_reason), "%.255s", why);
    d->incomplete = true;
    d->stop_status = -status;
    int rc = pad_to(d, d->lay.index_off);
    if (rc == 0)
        rc = write_index(d);
    if (rc == 0)
        rc = write_tail(d);
    if (rc == 0) {
        rc = xd_sink_commit(d->sink, d->err, d->errlen);
        d->sink = NULL;
    }
    if (rc < 0) {
        char also[512];
        snprintf(also, sizeof(also), "%s", d->err);
        snprintf(d->err, d->errlen, "%s; keeping a partial core failed too: %s", why, also);
        return status;
    }
    xd_guardian_output(d->guardian, NULL, true);
    char *cut = strstr(why, NO_CORE);
    if (cut)
        *cut = 0;
    snprintf(d->err, d->errlen, "%s; the INCOMPLETE core is kept as %s (%llu of %llu pages)", why,
             d->o->output, (unsigned long long)d->pages_done, (unsigned long long)d->frames.npages);
    return status;
}

static int run(struct dump *d)
{
    int rc = xd_domain_open(d->o->domain, &d->dom, d->err, d->errlen);
    if (rc < 0)
        return rc == -XDUMP_E_DIED ? -XDUMP_E_NODOMAIN : rc;
    if ((rc = xd_domain_info(d->dom, &d->info)) < 0)
        return pass(d, rc, xd_domain_error(d->dom));
    d->res->domid = d->info.domid;
    snprintf(d->res->name, sizeof(d->res->name), "%s", d->info.name);
    if (d->info.dying)
        return fail(d, XDUMP_E_NODOMAIN, "domain %u is dying: its memory is being released",
                    d->info.domid);
    struct xd_sink_options so = {.force = d->o->force,
                                 .compress = d->o->compress,
                                 .zstd = d->o->compress_zstd,
                                 .threads = d->o->threads};
    char lockmsg[512];
    if ((rc = xd_lock_domain(d->info.domid, &d->lock, lockmsg, sizeof(lockmsg))) < 0)
        return fail(d, -rc, "%s", lockmsg);
    if (rc > 0)
        warn(d, "%s", lockmsg);
    if ((rc = xd_sink_open_with(d->o->output, &so, &d->sink, d->err, d->errlen)) < 0)
        return rc;
    /* The guardian first: from the moment a pause is held or a file begun, someone undoes
       them should this process be killed. */
    if ((rc = xd_guardian_start(d->dom, &d->guardian)) < 0)
        return pass(d, rc, xd_domain_error(d->dom));
    xd_guardian_output(d->guardian, xd_sink_temp_path(d->sink), false);
    if (d->o->precopy) {
        if (d->o->live)
            return fail(d, XDUMP_E_USAGE, "--precopy and --live: choose one");
        if (xd_sink_is_stream(d->sink))
            return fail(d, XDUMP_E_USAGE,
                        "--precopy rewrites the pages the guest writes while it is copied: it "
                        "needs a file, not standard output or -z");
        if ((rc = xd_logdirty_enable(d->dom)) == 0) {
            d->tracking = true;
            /* the tracking ours: an HVM guest's QEMU now reports its DMA too (qmp.c) */
            int dm = xd_dm_dirty_on(d->dom, d->info.type);
            if (dm == XD_DM_UNTRACKED)
                warn(d, "%s", xd_domain_error(d->dom));
            d->pc.flags |= dm == XD_DM_TRACKED     ? XD_PRECOPY_F_DM_TRACKED
                           : dm == XD_DM_UNTRACKED ? XD_PRECOPY_F_DM_UNTRACKED
                                                   : 0;
        } else if (d->o->precopy_fallback && (rc == -XDUMP_E_NOTRACK || rc == -XDUMP_E_TRACKED)) {
            warn(d, "%s; dumping with the domain paused instead", xd_domain_error(d->dom));
            d->res->precopy_fell_back = true;
        } else {
            return pass(d, rc, xd_domain_error(d->dom));
        }
    }
    if (!d->tracking && !d->o->live) {
        if ((rc = xd_domain_pause(d->dom)) < 0)
            return pass(d, rc, xd_domain_error(d->dom));
        d->paused = true;
    }
    if ((rc = read_state(d)) < 0 || (rc = enumerate(d)) < 0)
        return rc;
    if (d->info.type == XD_PV && (rc = m2p_open(d)) < 0)
        return rc;
    bool kdump = d->o->format == XDUMP_FORMAT_KDUMP;
    if (d->info.type == XD_PV && !kdump) { /* kdump: pfn-addressed pages only */
        if (xd_xk_plan(&d->frames, &d->xk) < 0)
            return fail(d, XDUMP_E_FAIL, "out of memory for the p2m frame lists");
        d->have_xk = true;
    }
    if (!d->o->no_virtual && !kdump && (rc = walk_page_tables(d, d->vcpus, read_pfn)) < 0)
        return rc;
    /* dump levels 2-31: the filter walks with the vCPUs' CR3 as Xen gives them (PV: machine
       frames, translated by the inverse p2m) */
    if (kdump && (rc = kdump_filter(d)) < 0)
        return rc;
    if (d->info.type == XD_PV)
        pv_cr3_to_pfn(d);
    m2p_close(d); /* the walk and CR3 done: not kept while the head is built */
    /* What the p2m's reading, the inverse and (below) the head leave free in the heap goes back
       before the copy: freed, it still counted in the peak RSS (glibc keeps it, below a mmap
       threshold the 4 MiB p2m buffer's free has raised): 1 MiB of a 64 GiB PV guest's 14.5. */
    malloc_trim(0);
    if (kdump)
        rc = kdump_open(d);
    else if ((rc = plan(d, xd_layout_fail_reserve(d->frames.npages))) == 0)
        rc = write_head(d, false);
    if (rc < 0)
        return rc;
    d->head_written = true;
    malloc_trim(0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = copy_memory(d)) < 0 || (d->tracking && (rc = precopy(d, elapsed_ms(&t0))) < 0) ||
        (d->precopied && d->lin.phdr_room && (rc = walk_at_pause(d)) < 0) ||
        (kdump && (rc = kdump_tail(d)) < 0) ||
        (!kdump && ((rc = write_index(d)) < 0 || (rc = write_tail(d)) < 0)) ||
        (rc = check_alive(d, d->frames.npages)) < 0)
        return keep_partial(d, rc);
    d->res->bytes = xd_sink_offset(d->sink);
    rc = xd_sink_commit(d->sink, d->err, d->errlen);
    d->sink = NULL;
    xd_guardian_output(d->guardian, NULL, rc == 0);
    return rc;
}

/* The smallest structures of ABI 1 (up to and including their last field of then). */
#define OPTIONS_MIN (offsetof(struct xdump_options, probe_all) + sizeof(bool))
#define RESULT_MIN (offsetof(struct xdump_result, probed) + sizeof(uint64_t))
#define SIZE_MAX_SANE 65536

static int dump(const struct xdump_options *o, struct xdump_result *res, char *err, size_t errlen);

/* The caller's structures as it was built: options beyond its size read as zero, results
   beyond it are not written (include/xdump.h, "ABI"). */
int xdump_dump(const struct xdump_options *opts, struct xdump_result *res, char *err, size_t errlen)
{
    if (!opts || !res || opts->size < OPTIONS_MIN || opts->size > SIZE_MAX_SANE ||
        res->size < RESULT_MIN || res->size > SIZE_MAX_SANE) {
        if (err && errlen)
            snprintf(err, errlen,
                     "internal: the caller's xdump_options or xdump_result size is not set "
                     "(XDUMP_OPTIONS_INIT, XDUMP_RESULT_INIT)");
        return XDUMP_E_USAGE;
    }
    struct xdump_options o = {0};
    struct xdump_result r = {0};
    size_t osize = opts->size < sizeof(o) ? opts->size : sizeof(o);
    size_t rsize = res->size < sizeof(r) ? res->size : sizeof(r);
    memcpy(&o, opts, osize);
    o.size = sizeof(o);
    int rc = dump(&o, &r, err, errlen);
    r.size = res->size;
    memcpy(res, &r, rsize);
    return rc;
}

/* What the options cannot ask together, and what this xdump does not implement. */
static int check_options(const struct xdump_options *o, char *err, size_t errlen)
{
    if (o->format != XDUMP_FORMAT_ELF && o->format != XDUMP_FORMAT_KDUMP)
        return xd_fail(err, errlen, XDUMP_E_USAGE, "unknown output format %d", o->format);
    if (o->format == XDUMP_FORMAT_ELF)
        return 0;
    if (o->precopy)
        return xd_fail(err, errlen, XDUMP_E_USAGE,
                       "--precopy writes the pages the guest wrote again over their place in an "
                       "ELF core; the kdump format has no such place yet");
    if (o->compress)
        return xd_fail(err, errlen, XDUMP_E_USAGE,
                       "the kdump format compresses each page itself: choose its codec "
                       "instead of a gzip stream");
    if (o->keep_partial)
        return xd_fail(err, errlen, XDUMP_E_USAGE,
                       "--keep-partial is for ELF cores; the kdump format does not keep one yet");
    if (o->kdump_compress < 0 || o->kdump_compress >= XD_DD_NCODECS)
        return xd_fail(err, errlen, XDUMP_E_USAGE, "unknown kdump codec %d", o->kdump_compress);
    if (o->dump_level < 0 || o->dump_level > 31)
        return xd_fail(err, errlen, XDUMP_E_USAGE, "dump level %d: makedumpfile's are 0 to 31",
                       o->dump_level);
    return 0;
}

static int dump(const struct xdump_options *o, struct xdump_result *res, char *err, size_t errlen)
{
    int bad = -check_options(o, err, errlen);
    if (bad)
        return bad;
    struct dump d = {.o = o, .res = res, .err = err, .errlen = errlen, .lock = -1};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    d.started = time(NULL);
    int rc = run(&d);
    if (d.sink)
        xd_sink_abort(d.sink);
    for (int k = 0; k < 2; k++)
        if (d.win[k]) {
            res->map_calls += xd_window_calls(d.win[k]);
            xd_window_close(d.win[k]);
        }
    /* Off before the guest runs on, on every path out. What fails here the guardian tries
       again as it goes (it made the calls: it knows what is still held). */
    if (d.tracking && xd_logdirty_off(d.dom) < 0 && rc == 0)
        rc = pass(&d, -XDUMP_E_XEN, xd_domain_error(d.dom));
    if (xd_dm_cont(d.dom) < 0)
        warn(&d, "%s", xd_domain_error(d.dom));
    if (d.paused && xd_domain_unpause(d.dom) < 0 && rc == 0)
        rc = pass(&d, -XDUMP_E_XEN, xd_domain_error(d.dom));
    /* QEMU's dirty log after Xen's log-dirty, as Xen's saver (xg_sr_save.c l.832-835), and
       out of the pause: its QMP exchange costs the guest nothing here */
    if (xd_dm_dirty_off(d.dom) < 0)
        warn(&d, "%s", xd_domain_error(d.dom));
    xd_guardian_stop(d.guardian);
    if (d.lock >= 0)
        close(d.lock);
    res->pages = d.frames.npages;
    res->unmappable = d.bad_frames;
    res->unmappable_runs = d.nbad;
    res->vcpus_total = d.nvcpus;
    res->vcpus_with_context = d.nctx;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    m2p_close(&d);
    xd_xk_free(&d.xk);
    xd_dd_free(d.kd);
    free(d.kexcl);
    res->dump_level = d.klevel;
    xd_frames_free(&d.frames);
    free(d.vranges);
    free(d.vcpus);
    free(d.pause_cr3);
    free(d.bad);
    xd_domain_close(d.dom);
    return rc < 0 ? -rc : XDUMP_OK;
}

const char *xdump_version(void)
{
    return XDUMP_VERSION;
}

const char *xdump_status_name(int status)
{
    static const char *names[] = {"ok",     "fail",     "usage", "no-domain", "permission",
                                  "output", "died",     "io",    "xen",       "guest",
                                  "signal", "bad-core", "busy",  "tracked",   "no-tracking"};
    return status >= 0 && status < (int)(sizeof(names) / sizeof(names[0])) ? names[status]
                                                                           : "unknown";
}
