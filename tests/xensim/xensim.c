/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim - build and inspect a simulated Xen world; run programs inside it.
 *
 *   xensim create WORLD-FILE DIR      lay out the world described by WORLD-FILE in DIR
 *   xensim stat DIR [DOMID]           counters and domain state, one key=value per line
 *   xensim set DIR DOMID KEY=VALUE... change a domain: state=running|crashed|dying|gone|
 *                                     shutdown:N, pause_count=N
 *   xensim frame DIR DOMID PFN        the frame number a mapping names for PFN (PV: its mfn)
 *   xensim run DIR -- PROGRAM ARGS    run PROGRAM with xensim.so preloaded on world DIR
 *   xensim write DIR DOMID PFN PAGES MIBS [SECONDS]
 *                                     the guest writes while it runs (below)
 *   xensim qemu DIR DOMID MODE [PFN PAGES MIBS [SECONDS]]
 *                                     an HVM domain's device model: QMP (qemu.c) and DMA
 */
#include "build.h"
#include "qemu.h"
#include "world.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xen/sched.h>

static int usage(void)
{
    fputs("usage: xensim create WORLD-FILE DIR | stat DIR [DOMID] | set DIR DOMID KEY=VALUE... |\n"
          "              frame DIR DOMID PFN | run DIR -- PROGRAM [ARGS...] |\n"
          "              write DIR DOMID PFN PAGES MIBS [SECONDS] |\n"
          "              qemu DIR DOMID ok|refuse|mute|noreply [PFN PAGES MIBS [SECONDS]]\n",
          stderr);
    return 2;
}

static struct xsim_handle *open_world(const char *dir)
{
    struct xsim_handle *h = xsim_open(dir);
    if (!h)
        fprintf(stderr, "xensim: %s: not a world (%s)\n", dir, strerror(errno));
    return h;
}

static void stat_domain(const struct xsim_domain *d)
{
    static const char *life[] = {"running", "shutdown", "dying", "gone"};
    const struct xsim_dom_counters *c = &d->c;
    printf("dom%u.name=%s\ndom%u.life=%s\ndom%u.shutdown_reason=%d\ndom%u.pause_count=%d\n",
           d->domid, d->name, d->domid, life[XS_LOAD(&d->life) & 3], d->domid, d->shutdown_reason,
           d->domid, XS_LOAD(&d->pause_count));
    printf("dom%u.mmapbatch_calls=%llu\ndom%u.frames_mapped=%llu\ndom%u.frames_failed=%llu\n"
           "dom%u.frames_paged=%llu\ndom%u.pause_calls=%llu\ndom%u.unpause_calls=%llu\n"
           "dom%u.pfinfo_calls=%llu\ndom%u.gnt_grow_asked=%llu\n",
           d->domid, (unsigned long long)c->mmapbatch_calls, d->domid,
           (unsigned long long)c->frames_mapped, d->domid, (unsigned long long)c->frames_failed,
           d->domid, (unsigned long long)c->frames_paged, d->domid,
           (unsigned long long)c->pause_calls, d->domid, (unsigned long long)c->unpause_calls,
           d->domid, (unsigned long long)c->pfinfo_calls, d->domid,
           (unsigned long long)c->gnt_grow_asked);
    unsigned id = d->domid;
    printf("dom%u.logdirty=%u\ndom%u.ld_dirty_count=%llu\ndom%u.ld_enable_calls=%llu\n"
           "dom%u.ld_enable_ok=%llu\ndom%u.ld_off_calls=%llu\ndom%u.ld_off_while_on=%llu\n"
           "dom%u.ld_clean_calls=%llu\ndom%u.ld_peek_calls=%llu\ndom%u.ld_final_calls=%llu\n"
           "dom%u.ld_paused_ns=%llu\ndom%u.ld_on_pid=%d\ndom%u.ld_off_pid=%d\n"
           "dom%u.writer_pages=%llu\ndom%u.writer_dirtied=%llu\n",
           id, XS_LOAD(&d->logdirty), id, (unsigned long long)XS_LOAD(&d->ld_dirty_count), id,
           (unsigned long long)c->ld_enable_calls, id, (unsigned long long)c->ld_enable_ok, id,
           (unsigned long long)c->ld_off_calls, id, (unsigned long long)c->ld_off_while_on, id,
           (unsigned long long)c->ld_clean_calls, id, (unsigned long long)c->ld_peek_calls, id,
           (unsigned long long)c->ld_final_calls, id, (unsigned long long)c->ld_paused_ns, id,
           c->ld_on_pid, id, c->ld_off_pid, id, (unsigned long long)c->writer_pages, id,
           (unsigned long long)c->writer_dirtied);
    printf("dom%u.qmp_dirty=%u\ndom%u.qmp_clients=%llu\ndom%u.qmp_dirty_on=%llu\n"
           "dom%u.qmp_dirty_off=%llu\ndom%u.qmp_aborts=%llu\ndom%u.dma_pages=%llu\n"
           "dom%u.dma_reported=%llu\n",
           id, XS_LOAD(&d->dm_dirty), id, (unsigned long long)c->qmp_clients, id,
           (unsigned long long)c->qmp_dirty_on, id, (unsigned long long)c->qmp_dirty_off, id,
           (unsigned long long)c->qmp_aborts, id, (unsigned long long)c->dma_pages, id,
           (unsigned long long)c->dma_reported);
    printf("dom%u.qmp_stopped=%u\ndom%u.qmp_stops=%llu\ndom%u.qmp_conts=%llu\n"
           "dom%u.dma_while_paused=%llu\ndom%u.dma_after_final=%llu\n",
           id, XS_LOAD(&d->dm_stopped), id, (unsigned long long)c->qmp_stops, id,
           (unsigned long long)c->qmp_conts, id, (unsigned long long)c->dma_while_paused, id,
           (unsigned long long)c->dma_after_final);
}

static int cmd_stat(const char *dir, const char *dom)
{
    struct xsim_handle *h = open_world(dir);
    if (!h)
        return 1;
    struct xsim_world *w = h->w;
    printf("xen=4.%u\nshadow_paging=%u\n", w->xen_minor, w->shadow_paging);
    static const char *hc[64] = {[12] = "memory_op",      [13] = "multicall", [17] = "xen_version",
                                 [20] = "grant_table_op", [35] = "sysctl",    [36] = "domctl"};
    for (int i = 0; i < 64; i++)
        if (w->hypercalls[i])
            printf("hypercall.%s=%llu\n", hc[i] ? hc[i] : "other",
                   (unsigned long long)w->hypercalls[i]);
    for (int i = 0; i < 128; i++)
        if (w->domctl[i])
            printf("domctl.%d=%llu\n", i, (unsigned long long)w->domctl[i]);
    for (int i = 0; i < 128; i++)
        if (w->sysctl[i])
            printf("sysctl.%d=%llu\n", i, (unsigned long long)w->sysctl[i]);
    for (int i = 0; i < 16; i++)
        if (w->gnttab[i])
            printf("gnttab.%d=%llu\n", i, (unsigned long long)w->gnttab[i]);
    printf("unknown=%llu\n", (unsigned long long)w->unknown);
    printf("m2p_frames_mapped=%llu\n", (unsigned long long)XS_LOAD(&w->m2p_frames_mapped));
    for (uint32_t i = 0; i < w->nr_domains; i++)
        if (!dom || (uint32_t)atoi(dom) == w->dom[i].domid)
            stat_domain(&w->dom[i]);
    xsim_close(h);
    return 0;
}

static struct xsim_domain *any_domain(struct xsim_handle *h, const char *id)
{
    for (uint32_t i = 0; i < h->w->nr_domains; i++)
        if (h->w->dom[i].domid == (uint32_t)strtoul(id, NULL, 0))
            return &h->w->dom[i];
    fprintf(stderr, "xensim: no domain %s\n", id);
    return NULL;
}

static int cmd_set(const char *dir, const char *id, char **kv, int n)
{
    struct xsim_handle *h = open_world(dir);
    struct xsim_domain *d = h ? any_domain(h, id) : NULL;
    int rc = d ? 0 : 1;
    for (int i = 0; d && i < n; i++) {
        const char *v = strchr(kv[i], '=');
        if (!v) {
            rc = usage();
            break;
        }
        v++;
        if (!strncmp(kv[i], "pause_count=", 12)) {
            XS_STORE(&d->pause_count, atoi(v));
        } else if (!strcmp(kv[i], "state=running")) {
            XS_STORE(&d->life, XS_RUNNING);
        } else if (!strcmp(kv[i], "state=crashed")) {
            XS_STORE(&d->shutdown_reason, SHUTDOWN_crash);
            XS_STORE(&d->life, XS_SHUTDOWN);
        } else if (!strncmp(kv[i], "state=shutdown:", 15)) {
            XS_STORE(&d->shutdown_reason, atoi(v + 9));
            XS_STORE(&d->life, XS_SHUTDOWN);
        } else if (!strncmp(kv[i], "m2p=", 4)) {
            /* The guest rewrites M2P entries (MMU_MACHPHYS_UPDATE): m2p=PFN,COUNT,VALUE|invalid */
            unsigned long long pfn, count, value = XS_GFN_NONE;
            char vs[32];
            uint32_t nf = XS_LOAD(&d->nr_faults);
            if (sscanf(v, "%lli,%lli,%31s", &pfn, &count, vs) != 3 || d->type != XS_PV ||
                nf == XS_MAX_FAULTS || (strcmp(vs, "invalid") && sscanf(vs, "%lli", &value) != 1)) {
                fprintf(stderr, "xensim: m2p=PFN,COUNT,VALUE|invalid of a PV domain (%s)\n", v);
                rc = 2;
                break;
            }
            d->faults[nf] = (struct xsim_fault){
                .pfn = pfn, .count = count, .kind = XS_FAULT_M2P, .value = value};
            XS_STORE(&d->nr_faults, nf + 1);
        } else if (!strcmp(kv[i], "state=dying")) {
            XS_STORE(&d->life, XS_DYING);
        } else if (!strcmp(kv[i], "state=gone")) {
            XS_STORE(&d->life, XS_GONE);
        } else {
            fprintf(stderr, "xensim: cannot set '%s'\n", kv[i]);
            rc = 2;
            break;
        }
    }
    if (h)
        xsim_close(h);
    return rc;
}

static int cmd_frame(const char *dir, const char *id, const char *pfn_s)
{
    struct xsim_handle *h = open_world(dir);
    struct xsim_domain *d = h ? xsim_domain(h, (uint32_t)strtoul(id, NULL, 0)) : NULL;
    uint64_t f;
    int rc = 1;
    if (d && xsim_pfn_to_frame(h, d, strtoull(pfn_s, NULL, 0), &f)) {
        printf("%#llx\n", (unsigned long long)f);
        rc = 0;
    } else if (h) {
        fprintf(stderr, "xensim: dom%s has no pfn %s\n", id, pfn_s);
    }
    if (h)
        xsim_close(h);
    return rc;
}

static int cmd_run(const char *dir, char **argv)
{
    char self[PATH_MAX], preload[PATH_MAX + 16], abs[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0 || !realpath(dir, abs)) {
        fprintf(stderr, "xensim: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    *slash = 0;
    snprintf(preload, sizeof(preload), "%s/xensim.so", self);
    const char *old = getenv("LD_PRELOAD");
    char *val = malloc(strlen(preload) + (old ? strlen(old) : 0) + 2);
    sprintf(val, "%s%s%s", preload, old && *old ? ":" : "", old ? old : "");
    setenv("LD_PRELOAD", val, 1);
    setenv("XENSIM_DIR", abs, 1);
    /* A sanitized program must accept a preload that comes before its runtime. */
    if (!getenv("ASAN_OPTIONS"))
        setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
    execvp(argv[0], argv);
    fprintf(stderr, "xensim: %s: %s\n", argv[0], strerror(errno));
    return 127;
}

/* ---- the guest's writer -------------------------------------------------------------------

   A guest that writes while it runs: PAGES pages from PFN + 1 on hold a sequence, written in
   an order scattered over them (page (k * stride) mod PAGES at step k, stride coprime to
   PAGES), each page filled with its step number. Page PFN describes the array:
   "XSIMSEQ1", PAGES, stride, first pfn (little-endian u64s). A snapshot taken at one moment,
   read in write order, is n, n+1, ... with exactly one break (where it goes back by
   PAGES - 1); pages taken at different moments break it more often, or tear (tests/tools/
   seqcheck). The first pass is written at once, then MIBS MiB/s until SECONDS (0: until
   killed). DIR/writer.ready is made after the first pass. Every write goes through the
   simulated vCPU: none while the domain is paused, the page marked dirty when log-dirty is
   on (world.c).

   `xensim qemu ... PFN PAGES MIBS` writes the same sequence as the device model's DMA
   (DIR/qemu.ready after the first pass): through QEMU's own mapping of guest memory, which
   Xen's log-dirty does not see, and then reported as QEMU reports it - flatview_write_continue()
   copies, then invalidate_and_set_dirty() -> cpu_physical_memory_set_dirty_range() ->
   xen_hvm_modified_memory() (qemu 7.2 softmmu/physmem.c l.2812-2814, l.2681-2700,
   include/exec/ram_addr.h l.332), which calls XEN_DMOP_modified_memory only while its global
   dirty log is on (hw/i386/xen/xen-hvm.c l.1579-1600). These writes are made while the guest
   runs (a device answering the guest's requests, xsim_dma_begin()); a real QEMU can also
   complete a request in flight while Xen holds the domain paused, which is not modelled. */

static bool dma_mode; /* `xensim qemu`: the writes are the device model's */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* After a DMA write: QEMU's report of it, while its dirty log is on. */
static void dma_written(struct xsim_handle *h, struct xsim_domain *d, uint64_t pfn)
{
    XS_ADD(&d->c.dma_pages, 1);
    if (XS_LOAD(&d->dm_dirty)) {
        int e = xsim_dm_modified_memory(h, d, pfn, 1);
        if (e)
            xsim_log(h, "dom%u: qemu: modified_memory of pfn %#llx: %s", d->domid,
                     (unsigned long long)pfn, strerror(-e));
        XS_ADD(&d->c.dma_reported, 1);
    }
}

static int write_step(struct xsim_handle *h, struct xsim_domain *d, uint64_t first, uint64_t n,
                      uint64_t stride, uint64_t step)
{
    static uint64_t page[XS_PAGE_SIZE / 8];
    uint64_t pfn = first + (step % n) * stride % n;
    for (size_t i = 0; i < XS_PAGE_SIZE / 8; i++)
        page[i] = step;
    /* A vCPU is never stopped half-way through a write, and a pause waits for the write in
       flight (world.c, xsim_vcpu_sync()): SIGTERM and SIGINT, which end the writer, land
       between writes or while the domain is paused, never while the vCPU is marked busy
       (SIGKILL would leave it so). */
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigaddset(&term, SIGINT);
    sigprocmask(SIG_BLOCK, &term, &old);
    int rc = -1;
    if (dma_mode ? xsim_dma_begin(h, d, &old) : xsim_vcpu_write(h, d, pfn, &old)) {
        rc = xsim_write_page(h, d, pfn, page);
        if (dma_mode && rc == 0)
            dma_written(h, d, pfn);
        dma_mode ? xsim_dma_end(d) : xsim_vcpu_stop(d);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static int cmd_write(const char *dir, char **a, int n)
{
    struct xsim_handle *h = open_world(dir);
    struct xsim_domain *d = h ? xsim_domain(h, (uint32_t)strtoul(a[0], NULL, 0)) : NULL;
    uint64_t desc = strtoull(a[1], NULL, 0), pages = strtoull(a[2], NULL, 0);
    double mibs = strtod(a[3], NULL), secs = n > 4 ? strtod(a[4], NULL) : 0;
    if (!d || pages < 2 || mibs < 0) {
        fprintf(stderr, "xensim write: no such domain, or PAGES < 2, or MIBS < 0\n");
        return 2;
    }
    uint64_t first = desc + 1, stride = pages * 618 / 1000 | 1;
    while (xsim_gcd(stride, pages) != 1)
        stride++;
    static uint64_t hdr[XS_PAGE_SIZE / 8];
    memcpy(hdr, "XSIMSEQ1", 8);
    hdr[1] = pages, hdr[2] = stride, hdr[3] = first;
    int wrc = (dma_mode ? xsim_dma_begin(h, d, NULL) : xsim_vcpu_write(h, d, desc, NULL))
                  ? xsim_write_page(h, d, desc, hdr)
                  : -1;
    if (dma_mode && wrc == 0)
        dma_written(h, d, desc);
    dma_mode ? xsim_dma_end(d) : xsim_vcpu_stop(d);
    if (wrc < 0) {
        fprintf(stderr, "xensim write: pfn %#llx: %s\n", (unsigned long long)desc, strerror(errno));
        return 1;
    }
    uint64_t step = 0;
    for (; step < pages; step++)
        if (write_step(h, d, first, pages, stride, step) < 0) {
            fprintf(stderr, "xensim write: pfn in [%#llx, +%llu): %s\n", (unsigned long long)first,
                    (unsigned long long)pages, strerror(errno));
            return 1;
        }
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s.ready", dir, dma_mode ? "qemu" : "writer");
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    double t0 = now_s(), rate = mibs * 256; /* pages a second */
    for (;;) {
        double t = now_s() - t0;
        if (secs > 0 && t >= secs)
            break;
        uint64_t due = pages + (uint64_t)(t * rate);
        for (; step < due; step++)
            if (write_step(h, d, first, pages, stride, step) < 0)
                return 0; /* the domain is gone */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    xsim_close(h);
    return 0;
}

/* The device model: its QMP monitor, and its DMA when PFN PAGES MIBS are given; runs until
   killed (or SECONDS of DMA). */
static int cmd_qemu(const char *dir, char **a, int n)
{
    struct xsim_handle *h = open_world(dir);
    struct xsim_domain *d = h ? xsim_domain(h, (uint32_t)strtoul(a[0], NULL, 0)) : NULL;
    if (!d) {
        fprintf(stderr, "xensim qemu: no such domain\n");
        return 2;
    }
    if (xsim_qemu_start(h, d, a[1]) < 0)
        return 2;
    char path[4200];
    snprintf(path, sizeof(path), "%s/qemu.listening", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    if (n >= 5) {
        dma_mode = true;
        return cmd_write(dir, (char *[]){a[0], a[2], a[3], a[4], n > 5 ? a[5] : NULL}, n - 1);
    }
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    char err[512];
    if (argc >= 4 && !strcmp(argv[1], "create")) {
        if (argc != 4)
            return usage();
        if (xsim_build(argv[2], argv[3], err, sizeof(err)) < 0) {
            fprintf(stderr, "xensim: %s: %s\n", argv[2], err);
            return 1;
        }
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "stat"))
        return argc > 4 ? usage() : cmd_stat(argv[2], argc == 4 ? argv[3] : NULL);
    if (argc >= 5 && !strcmp(argv[1], "set"))
        return cmd_set(argv[2], argv[3], argv + 4, argc - 4);
    if (argc == 5 && !strcmp(argv[1], "frame"))
        return cmd_frame(argv[2], argv[3], argv[4]);
    if ((argc == 7 || argc == 8) && !strcmp(argv[1], "write"))
        return cmd_write(argv[2], argv + 3, argc - 3);
    if ((argc == 5 || argc == 8 || argc == 9) && !strcmp(argv[1], "qemu"))
        return cmd_qemu(argv[2], argv + 3, argc - 3);
    if (argc >= 5 && !strcmp(argv[1], "run") && !strcmp(argv[3], "--"))
        return cmd_run(argv[2], argv + 4);
    return usage();
}
