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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>

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

static void scan(xenforeignmemory_handle *fmem, uint32_t domid, const char *key, uint64_t end)
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
    xc_dominfo_t di;
    if (xc_domain_getinfo(xch, domid, 1, &di) != 1 || di.domid != domid) {
        fprintf(stderr, "xenprobe: no domain %u\n", domid);
        return 1;
    }
    printf("domid=%u\nhvm=%u\nhap=%u\npaused=%u\nshutdown=%u\ncrashed=%u\nshutdown_reason=%u\n",
           di.domid, di.hvm, di.hap, di.paused, di.shutdown, di.crashed, di.shutdown_reason);
    printf("tot_pages=%lu\nmax_memkb=%lu\nshared_info_frame=0x%lx\n", di.nr_pages, di.max_memkb,
           di.shared_info_frame);
    printf("max_vcpu_id=%u\nnr_online_vcpus=%u\n", di.max_vcpu_id, di.nr_online_vcpus);
    unsigned width = 0;
    if (!di.hvm && xc_domain_get_guest_width(xch, domid, &width) == 0)
        printf("guest_width=%u\n", width * 8);
    xen_pfn_t max_gpfn = 0;
    int rc = xc_domain_maximum_gpfn(xch, domid, &max_gpfn);
    printf("maximum_gpfn=0x%lx rc=%d\n", (unsigned long)max_gpfn, rc);
    unsigned long max_mfn = 0;
    rc = xc_maximum_ram_page(xch, &max_mfn);
    printf("maximum_ram_page=0x%lx rc=%d\n", max_mfn, rc);
    vcpus(xch, domid, di.max_vcpu_id);
    if (di.hvm) {
        int sz = xc_domain_hvm_getcontext(xch, domid, NULL, 0);
        printf("hvm_context_size=%d%s\n", sz, sz < 0 ? strerror(errno) : "");
        /* Every gfn up to the highest, as a dumper of HVM/PVH must try them. */
        scan(fmem, domid, "gfn", (uint64_t)max_gpfn + 1);
    } else {
        /* A PV guest's frames are machine frames: every mfn of the machine, to see which errno
         * the frames of others (Xen, dom0, free memory) give. */
        scan(fmem, domid, "mfn", (uint64_t)max_mfn + 1);
    }
    xenforeignmemory_close(fmem);
    xc_interface_close(xch);
    return 0;
}
