/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenprobe DOMID - runs in dom0 of the real-Xen tests and writes down, as key=value lines,
 * what real Xen answers to the calls a dumper makes: domain info, each vCPU's context (or the
 * errno), the highest gfn, and - mapping frames in batches of 1024 with a per-frame err[] -
 * which frames map and with which errno the others fail. The facts feed xensim and xdump.
 *
 * Built on the host against Debian's libxen (assemble.sh):
 *   gcc -std=gnu11 -O2 probe.c -lxenctrl -lxenforeignmemory
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xen/grant_table.h>
#include <xen/hvm/params.h>

#define BATCH 1024
#define MAX_RUNS 24

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct runs {
    uint64_t first, count;
    int err;
    unsigned printed;
    uint64_t total_ok, total_err;
    uint64_t by_errno[160];
};

/* Record frame f's result, printing each run of equal results (up to MAX_RUNS). */
static void add(struct runs *r, const char *key, uint64_t f, int err)
{
    if (r->count && f == r->first + r->count && err == r->err) {
        r->count++;
        return;
    }
    if (r->count && r->printed++ < MAX_RUNS)
        printf("%s.run=0x%" PRIx64 "+%" PRIu64 " err=%d\n", key, r->first, r->count, r->err);
    r->first = f;
    r->count = 1;
    r->err = err;
}

/* scan: map every frame below end; res[f] (if given) = 0 mapped, else the errno (capped). */
static void scan(xenforeignmemory_handle *fmem, uint32_t domid, const char *key, uint64_t end,
                 uint8_t *res)
{
    static xen_pfn_t arr[BATCH];
    static int err[BATCH];
    struct runs r = {0};
    uint64_t calls_failed = 0;
    double t0 = now();
    for (uint64_t base = 0; base < end; base += BATCH) {
        size_t n = end - base < BATCH ? end - base : BATCH;
        for (size_t i = 0; i < n; i++)
            arr[i] = base + i;
        memset(err, 0x55, sizeof(err));
        void *p = xenforeignmemory_map(fmem, domid, PROT_READ, n, arr, err);
        for (size_t i = 0; i < n; i++) {
            int e = p ? -err[i] : errno;
            add(&r, key, base + i, e);
            if (res)
                res[base + i] = (uint8_t)(e < 0 || e > 255 ? 255 : e);
            if (e == 0)
                r.total_ok++;
            else
                r.total_err++;
            if (e >= 0 && e < 160)
                r.by_errno[e]++;
        }
        if (p)
            xenforeignmemory_unmap(fmem, p, n);
        else
            calls_failed++;
    }
    add(&r, key, ~0ull, 0); /* flush the last run */
    if (r.printed > MAX_RUNS)
        printf("%s.runs_not_printed=%u\n", key, r.printed - MAX_RUNS);
    printf("%s.frames=%" PRIu64 "\n%s.mapped=%" PRIu64 "\n%s.failed=%" PRIu64 "\n", key, end, key,
           r.total_ok, key, r.total_err);
    for (int e = 1; e < 160; e++)
        if (r.by_errno[e])
            printf("%s.errno_%d=%" PRIu64 " (%s)\n", key, e, r.by_errno[e], strerror(e));
    printf("%s.map_calls_failed=%" PRIu64 "\n%s.seconds=%.3f\n", key, calls_failed, key,
           now() - t0);
}

/* What getpageframeinfo3 says of every gfn below end (its LTAB type, types[f] = type >> 28),
   as runs; the frames a dumper finds only by mapping are those it calls XTAB that map. */
static void pfinfo(xc_interface *xch, uint32_t domid, uint64_t end, uint8_t *types)
{
    DECLARE_HYPERCALL_BUFFER(xen_pfn_t, arr);
    arr = xc_hypercall_buffer_alloc(xch, arr, BATCH * sizeof(xen_pfn_t));
    if (!arr) {
        printf("pfinfo.error=%s\n", strerror(errno));
        return;
    }
    struct runs r = {0};
    double t0 = now();
    for (uint64_t base = 0; base < end; base += BATCH) {
        size_t n = end - base < BATCH ? end - base : BATCH;
        for (size_t i = 0; i < n; i++)
            arr[i] = base + i;
        struct xen_domctl dc = {.cmd = XEN_DOMCTL_getpageframeinfo3,
                                .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
                                .domain = (domid_t)domid};
        dc.u.getpageframeinfo3.num = n;
        set_xen_guest_handle(dc.u.getpageframeinfo3.array, arr);
        if (xc_domctl(xch, &dc)) {
            printf("pfinfo.failed_at=0x%" PRIx64 " errno=%d\n", base, errno);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            types[base + i] = (uint8_t)((arr[i] & XEN_DOMCTL_PFINFO_LTAB_MASK) >> 28);
            add(&r, "pfinfo", base + i, types[base + i]);
        }
    }
    add(&r, "pfinfo", ~0ull, 0);
    printf("pfinfo.seconds=%.3f\n", now() - t0);
    xc_hypercall_buffer_free(xch, arr);
}

/* The gfns Xen itself names for the pages it lends the guest: shared_info (getdomaininfo) and
   the grant table's frames (setup_table asked for the frames the table has: it grows nothing;
   skipped while the guest has not chosen a grant version, which setup_table would set). */
static void lent(xc_interface *xch, uint32_t domid)
{
    int ver = xc_gnttab_get_version(xch, domid);
    printf("gnttab.version=%d\n", ver);
    struct gnttab_query_size q = {.dom = (domid_t)domid};
    if (xc_gnttab_query_size(xch, &q) || q.status) {
        printf("gnttab.query_size=failed errno=%d status=%d\n", errno, q.status);
        return;
    }
    printf("gnttab.nr_frames=%u\ngnttab.max_nr_frames=%u\n", q.nr_frames, q.max_nr_frames);
    if (ver < 1 || q.nr_frames == 0)
        return;
    DECLARE_HYPERCALL_BUFFER(xen_pfn_t, fl);
    fl = xc_hypercall_buffer_alloc(xch, fl, q.nr_frames * sizeof(xen_pfn_t));
    if (!fl)
        return;
    struct gnttab_setup_table st = {.dom = (domid_t)domid, .nr_frames = q.nr_frames};
    set_xen_guest_handle(st.frame_list, fl);
    if (xc_gnttab_op(xch, GNTTABOP_setup_table, &st, sizeof(st), 1) || st.status)
        printf("gnttab.setup_table=failed errno=%d status=%d\n", errno, st.status);
    else
        for (unsigned i = 0; i < q.nr_frames; i++)
            printf("gnttab.frame%u=0x%lx\n", i, (unsigned long)fl[i]);
    xc_hypercall_buffer_free(xch, fl);
    if (ver == 2) {
        DECLARE_HYPERCALL_BUFFER(uint64_t, sf);
        unsigned ns = (q.nr_frames * 512 + 511) / 512 + 1;
        sf = xc_hypercall_buffer_alloc(xch, sf, ns * sizeof(uint64_t));
        if (!sf)
            return;
        struct gnttab_get_status_frames gs = {.dom = (domid_t)domid, .nr_frames = ns};
        set_xen_guest_handle(gs.frame_list, sf);
        if (xc_gnttab_op(xch, GNTTABOP_get_status_frames, &gs, sizeof(gs), 1) || gs.status)
            printf("gnttab.status_frames=failed errno=%d status=%d\n", errno, gs.status);
        else
            for (unsigned i = 0; i < ns; i++)
                printf("gnttab.status%u=0x%" PRIx64 "\n", i, sf[i]);
        xc_hypercall_buffer_free(xch, sf);
    }
}

static void hvm_params(xc_interface *xch, uint32_t domid)
{
    static const struct {
        unsigned id;
        const char *name;
    } ps[] = {{HVM_PARAM_STORE_PFN, "store_pfn"},
              {HVM_PARAM_CONSOLE_PFN, "console_pfn"},
              {HVM_PARAM_IOREQ_PFN, "ioreq_pfn"},
              {HVM_PARAM_BUFIOREQ_PFN, "bufioreq_pfn"},
              {HVM_PARAM_PAGING_RING_PFN, "paging_ring_pfn"},
              {HVM_PARAM_MONITOR_RING_PFN, "monitor_ring_pfn"},
              {HVM_PARAM_SHARING_RING_PFN, "sharing_ring_pfn"},
              {HVM_PARAM_IOREQ_SERVER_PFN, "ioreq_server_pfn"},
              {HVM_PARAM_NR_IOREQ_SERVER_PAGES, "nr_ioreq_server_pages"}};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        uint64_t v = 0;
        if (xc_hvm_param_get(xch, domid, ps[i].id, &v))
            printf("hvm_param.%s=error errno=%d\n", ps[i].name, errno);
        else
            printf("hvm_param.%s=0x%" PRIx64 "\n", ps[i].name, v);
    }
}

static void vcpus(xc_interface *xch, uint32_t domid, unsigned max_vcpu_id)
{
    for (unsigned v = 0; v <= max_vcpu_id; v++) {
        vcpu_guest_context_any_t ctx;
        xc_vcpuinfo_t info;
        int rc = xc_vcpu_getcontext(xch, domid, v, &ctx);
        printf("vcpu%u.getcontext=%s", v, rc ? strerror(errno) : "ok");
        if (rc)
            printf(" errno=%d", errno);
        else
            printf(" flags=0x%lx rip=0x%" PRIx64 " cr3=0x%lx", (unsigned long)ctx.x64.flags,
                   (uint64_t)ctx.x64.user_regs.rip, (unsigned long)ctx.x64.ctrlreg[3]);
        if (xc_vcpu_getinfo(xch, domid, v, &info) == 0)
            printf(" online=%u blocked=%u running=%u", info.online, info.blocked, info.running);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: xenprobe DOMID\n");
        return 2;
    }
    uint32_t domid = (uint32_t)strtoul(argv[1], NULL, 0);
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
    if (!xch || !fmem) {
        perror("xenprobe: open");
        return 1;
    }
    /* The list call: xc_domain_getinfo() is gone since Xen 4.18; this one is in 4.17 and 4.20. */
    xc_domaininfo_t di;
    if (xc_domain_getinfolist(xch, domid, 1, &di) != 1 || di.domain != domid) {
        fprintf(stderr, "xenprobe: no domain %u\n", domid);
        return 1;
    }
    bool hvm = (di.flags & XEN_DOMINF_hvm_guest) != 0;
    printf("domid=%u\nflags=0x%x\nhvm=%d\nhap=%d\npaused=%d\nshutdown=%d\nshutdown_reason=%u\n",
           di.domain, di.flags, hvm, (di.flags & XEN_DOMINF_hap) != 0,
           (di.flags & XEN_DOMINF_paused) != 0, (di.flags & XEN_DOMINF_shutdown) != 0,
           (di.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask);
    printf("emulation_flags=0x%x\n", di.arch_config.emulation_flags);
    printf("tot_pages=%" PRIu64 "\nmax_pages=%" PRIu64 "\nshared_info_frame=0x%" PRIx64 "\n",
           (uint64_t)di.tot_pages, (uint64_t)di.max_pages, (uint64_t)di.shared_info_frame);
    printf("max_vcpu_id=%u\nnr_online_vcpus=%u\n", di.max_vcpu_id, di.nr_online_vcpus);
    unsigned width = 0;
    if (!hvm && xc_domain_get_guest_width(xch, domid, &width) == 0)
        printf("guest_width=%u\n", width * 8);
    xen_pfn_t max_gpfn = 0;
    int rc = xc_domain_maximum_gpfn(xch, domid, &max_gpfn);
    printf("maximum_gpfn=0x%lx rc=%d\n", (unsigned long)max_gpfn, rc);
    unsigned long max_mfn = 0;
    rc = xc_maximum_ram_page(xch, &max_mfn);
    printf("maximum_ram_page=0x%lx rc=%d\n", max_mfn, rc);
    vcpus(xch, domid, di.max_vcpu_id);
    if (hvm) {
        int sz = xc_domain_hvm_getcontext(xch, domid, NULL, 0);
        printf("hvm_context_size=%d%s\n", sz, sz < 0 ? strerror(errno) : "");
        hvm_params(xch, domid);
        lent(xch, domid);
        /* Every gfn up to the highest, as a dumper of HVM/PVH must try them, and what Xen's
           page-type query says of each: the frames it calls absent that map, listed. */
        uint64_t end = (uint64_t)max_gpfn + 1;
        uint8_t *types = calloc(end, 1), *res = calloc(end, 1);
        if (!types || !res) {
            perror("xenprobe: calloc");
            return 1;
        }
        pfinfo(xch, domid, end, types);
        scan(fmem, domid, "gfn", end, res);
        unsigned listed = 0;
        uint64_t xtab_mapped = 0, typed_unmapped = 0;
        for (uint64_t f = 0; f < end; f++) {
            bool xtab = types[f] == (XEN_DOMCTL_PFINFO_XTAB >> 28);
            bool maps = res[f] == 0 || res[f] == ENOENT;
            if (xtab && maps) {
                xtab_mapped++;
                if (listed++ < 64)
                    printf("xtab_mapped.gfn=0x%" PRIx64 " map=%d\n", f, res[f]);
            } else if (!xtab && !maps) {
                typed_unmapped++;
                if (listed++ < 64)
                    printf("typed_unmapped.gfn=0x%" PRIx64 " type=%u map=%d\n", f, types[f],
                           res[f]);
            }
        }
        printf("xtab_mapped=%" PRIu64 "\ntyped_unmapped=%" PRIu64 "\n", xtab_mapped,
               typed_unmapped);
        free(types);
        free(res);
    } else {
        /* A PV guest's frames are machine frames: every mfn of the machine, to see which errno
         * the frames of others (Xen, dom0, free memory) give. */
        scan(fmem, domid, "mfn", (uint64_t)max_mfn + 1, NULL);
    }
    xenforeignmemory_close(fmem);
    xc_interface_close(xch);
    return 0;
}
