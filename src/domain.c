/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one door to Xen. Talks to libxenctrl (domctl, sysctl, memory_op), libxenstore (names)
 * and the privcmd driver (IOCTL_PRIVCMD_MMAPBATCH_V2) and hands the rest of xdump plain types.
 *
 * Guest memory is mapped with the batch ioctl directly rather than through
 * xenforeignmemory_map(): the library retries paged-out frames (-ENOENT) in an unbounded
 * loop, and an operator's dump must never hang on a pager that does not answer. The ioctl,
 * its struct and its per-frame err[] are the ones the library uses (xen/sys/privcmd.h).
 */
#include "domain.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenstore.h>
#include <xentoollog.h>
#include <xen/grant_table.h>
#include <xen/hvm/save.h>
#include <xen/sys/privcmd.h>

#include "xdump.h"

/* The core carries Xen's vcpu_guest_context raw (.xen_prstatus) and its version strings in the
   Xen version note; the reader takes them apart by format.h's numbers: pinned here, against
   Xen's headers (the same in Xen 4.17 and 4.20). */
#include <stddef.h>

#include "format.h"

#define XD_CTX_AT(f, at) (offsetof(vcpu_guest_context_x86_64_t, f) == (at))
#define XD_REG_AT(f, at) (offsetof(struct cpu_user_regs_x86_64, f) == (at))
_Static_assert(sizeof(vcpu_guest_context_x86_64_t) == XD_CTX_SIZE &&
                   sizeof(vcpu_guest_context_any_t) == XD_CTX_SIZE,
               "vcpu_guest_context on x86-64");
_Static_assert(XD_CTX_AT(flags, XD_CTX_FLAGS) && XD_CTX_AT(user_regs, XD_CTX_USER_REGS) &&
                   XD_CTX_AT(ctrlreg, XD_CTX_CTRLREG) && XD_CTX_AT(fs_base, XD_CTX_FS_BASE) &&
                   XD_CTX_AT(gs_base_kernel, XD_CTX_GS_BASE_KERNEL) &&
                   XD_CTX_AT(gs_base_user, XD_CTX_GS_BASE_USER) &&
                   VGCF_online == XD_CTX_VGCF_ONLINE,
               "vcpu_guest_context's fields");
_Static_assert(XD_REG_AT(r15, 0) && XD_REG_AT(rdi, 8 * (XD_REGS_NGPR - 1)) &&
                   XD_REG_AT(rip, XD_REGS_RIP) && XD_REG_AT(cs, XD_REGS_CS) &&
                   XD_REG_AT(rflags, XD_REGS_RFLAGS) && XD_REG_AT(rsp, XD_REGS_RSP) &&
                   XD_REG_AT(ss, XD_REGS_SS) && XD_REG_AT(es, XD_REGS_ES) &&
                   XD_REG_AT(ds, XD_REGS_DS) && XD_REG_AT(fs, XD_REGS_FS) &&
                   XD_REG_AT(gs, XD_REGS_GS),
               "cpu_user_regs' fields");
_Static_assert(sizeof(xen_extraversion_t) == XD_XEN_VERSION_EXTRA_LEN &&
                   sizeof(xen_compile_info_t) == XD_XEN_VERSION_COMPILE_INFO_LEN &&
                   sizeof(xen_capabilities_info_t) == XD_XEN_VERSION_CAPABILITIES_LEN &&
                   sizeof(xen_changeset_info_t) == XD_XEN_VERSION_CHANGESET_LEN,
               "the Xen version note's strings");
#undef XD_CTX_AT
#undef XD_REG_AT

/* Pages of getpageframeinfo3's array: XD_BATCH entries (Xen takes at most 1024 a call). */
#define PFINFO_PAGES ((int)((XD_BATCH * sizeof(xen_pfn_t) + XD_PAGE_SIZE - 1) / XD_PAGE_SIZE))
#define PAGED_RETRIES 64 /* rounds of re-asking for paged-out frames, backing off to 10 ms */

/* A logger that keeps libxenctrl's last complaint for our one-line errors instead of
   printing it. */
struct quiet_logger {
    xentoollog_logger vtable;
    char last[256];
};

struct xd_domain {
    xc_interface *xch;
    struct quiet_logger log;
    int privcmd;
    uint32_t domid;
    char name[64];
    char err[512];
    /* getpageframeinfo3's array, in hypercall-safe memory allocated once for a whole scan:
       libxenctrl's xc_get_pfn_type_batch() allocates (mmap), bounces and frees one per
       call, which was most of the cost of scanning a large sparse gfn space. */
    xc_hypercall_buffer_t pfbuf;
    /* The probe's privcmd mapping, kept while no frame was mapped in it (see probe_area()). */
    uint8_t *probe;
    size_t probe_len; /* pages */
    bool probe_clean;
};

struct xd_window {
    struct xd_domain *d;
    uint8_t *area; /* XD_BATCH pages of address space owned by the window */
    size_t mapped; /* pages of the current privcmd mapping over it */
    uint64_t calls;
};

static void quiet_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
                           const char *context, const char *format, va_list al)
{
    struct quiet_logger *q = (struct quiet_logger *)lg;
    (void)errnoval;
    (void)context;
    if (level >= XTL_ERROR)
        vsnprintf(q->last, sizeof(q->last), format, al);
}

static void quiet_progress(xentoollog_logger *lg, const char *context, const char *doing_what,
                           int percent, unsigned long done, unsigned long total)
{
    (void)lg, (void)context, (void)doing_what, (void)percent, (void)done, (void)total;
}

static void quiet_destroy(xentoollog_logger *lg)
{
    (void)lg;
}

#define fail(d, status, ...) xd_fail((d)->err, sizeof((d)->err), status, __VA_ARGS__)

const char *xd_domain_error(const struct xd_domain *d)
{
    return d->err;
}

/* ---- opening ----------------------------------------------------------------------------- */

static int parse_domid(const char *s, uint32_t *id)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v >= DOMID_FIRST_RESERVED)
        return -1;
    *id = (uint32_t)v;
    return 0;
}

/* Reads /local/domain/<id>/name for every domain in xenstore, as xl does. */
static int lookup_name(struct xd_domain *d, const char *name)
{
    struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
    if (!xs)
        return fail(d, XDUMP_E_NODOMAIN,
                    "cannot look up domain '%s': xenstore is not reachable (%s); give its "
                    "numeric id instead",
                    name, strerror(errno));
    unsigned n = 0;
    char **ids = xs_directory(xs, XBT_NULL, "/local/domain", &n);
    int found = 0;
    for (unsigned i = 0; ids && i < n && !found; i++) {
        char path[64];
        unsigned len;
        snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
        char *v = xs_read(xs, XBT_NULL, path, &len);
        if (v && !strcmp(v, name) && parse_domid(ids[i], &d->domid) == 0)
            found = 1;
        free(v);
    }
    free(ids);
    xs_close(xs);
    return found ? 0 : fail(d, XDUMP_E_NODOMAIN, "no domain named '%s' (see 'xl list')", name);
}

/* The name of a domain given by id, best effort: empty when xenstore does not answer. */
static void read_name(struct xd_domain *d)
{
    struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
    if (!xs)
        return;
    char path[64];
    unsigned len;
    snprintf(path, sizeof(path), "/local/domain/%u/name", d->domid);
    char *v = xs_read(xs, XBT_NULL, path, &len);
    if (v)
        snprintf(d->name, sizeof(d->name), "%s", v);
    free(v);
    xs_close(xs);
}

int xd_domain_open(const char *spec, struct xd_domain **out, char *err, size_t errlen)
{
    struct xd_domain *d = calloc(1, sizeof(*d));
    int rc;
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -XDUMP_E_FAIL;
    }
    d->privcmd = -1;
    d->log.vtable = (xentoollog_logger){quiet_vmessage, quiet_progress, quiet_destroy};
    d->xch = xc_interface_open(&d->log.vtable, &d->log.vtable, 0);
    if (!d->xch) {
        rc = fail(d, XDUMP_E_PERM,
                  "cannot open the Xen control interface (/dev/xen/privcmd): run xdump as "
                  "root in dom0");
        goto out;
    }
    d->privcmd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (d->privcmd < 0)
        d->privcmd = open("/proc/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (d->privcmd < 0) {
        rc = fail(d, XDUMP_E_PERM, "cannot open /dev/xen/privcmd: %s", strerror(errno));
        goto out;
    }
    if (parse_domid(spec, &d->domid) == 0)
        read_name(d); /* a numeric id needs no xenstore: the name is only for messages */
    else if ((rc = lookup_name(d, spec)) < 0)
        goto out;
    else
        snprintf(d->name, sizeof(d->name), "%s", spec);
    if (d->domid == 0) {
        rc = fail(d, XDUMP_E_NODOMAIN, "domain 0 is the control domain: xdump dumps guests");
        goto out;
    }
    struct xd_dominfo info;
    if ((rc = xd_domain_info(d, &info)) < 0)
        goto out;
    *out = d;
    return 0;
out:
    snprintf(err, errlen, "%s", d->err);
    xd_domain_close(d);
    return rc;
}

void xd_domain_close(struct xd_domain *d)
{
    if (!d)
        return;
    if (d->pfbuf.hbuf)
        xc__hypercall_buffer_free_pages(d->xch, &d->pfbuf, PFINFO_PAGES);
    if (d->probe)
        munmap(d->probe, d->probe_len * XD_PAGE_SIZE);
    if (d->privcmd >= 0)
        close(d->privcmd);
    if (d->xch)
        xc_interface_close(d->xch);
    free(d);
}

/* ---- what Xen says ------------------------------------------------------------------------ */

/* One meaning of a domain's type for every door (xd_domain_info, xd_host_list): a PVH guest is
   an HVM container whose emulation is at most the local APIC and vPCI (libxl's PVH config). */
static int dom_type(bool hvm, uint32_t emulation_flags)
{
    if (!hvm)
        return XD_PV;
    return (emulation_flags & ~(XEN_X86_EMU_LAPIC | XEN_X86_EMU_VPCI)) == 0 ? XD_PVH : XD_HVM;
}

/* What getdomaininfo says of a domain, as xdump keeps it (both doors). The list call (sysctl
   getdomaininfolist) is the one both Xen 4.17 and 4.20 libraries have: xc_domain_getinfo() and
   xc_dominfo_t are gone since 4.18. Its flags carry a crash as a shutdown of reason
   SHUTDOWN_crash (xen/common/domctl.c:100-105 in 4.17.7, :101-106 in 4.20.4). */
static void dominfo_convert(const xc_domaininfo_t *x, struct xd_dominfo *d)
{
    memset(d, 0, sizeof(*d));
    d->domid = x->domain;
    d->type = dom_type((x->flags & XEN_DOMINF_hvm_guest) != 0, x->arch_config.emulation_flags);
    memcpy(d->uuid, x->handle, sizeof(d->uuid));
    d->paused = (x->flags & XEN_DOMINF_paused) != 0;
    d->shutdown = (x->flags & XEN_DOMINF_shutdown) != 0;
    d->dying = (x->flags & XEN_DOMINF_dying) != 0;
    d->shutdown_reason = (x->flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
    d->tot_pages = x->tot_pages;
    d->max_pages = x->max_pages;
    d->paged_pages = x->paged_pages;
    d->max_vcpu_id = x->max_vcpu_id;
    d->nr_online_vcpus = x->nr_online_vcpus;
    d->shared_info_frame = x->shared_info_frame;
}

int xd_domain_info(struct xd_domain *d, struct xd_dominfo *info)
{
    xc_domaininfo_t x;
    int n = xc_domain_getinfolist(d->xch, d->domid, 1, &x);
    if (n < 0 && (errno == EACCES || errno == EPERM))
        return fail(d, XDUMP_E_PERM, "Xen refused to describe domain %u: %s", d->domid,
                    strerror(errno));
    if (n != 1 || x.domain != d->domid)
        return fail(d, XDUMP_E_DIED, "domain %u does not exist (any more)", d->domid);
    dominfo_convert(&x, info);
    snprintf(info->name, sizeof(info->name), "%s", d->name);
    return 0;
}

int xd_domain_pause(struct xd_domain *d)
{
    if (xc_domain_pause(d->xch, d->domid))
        return fail(d, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN, "cannot pause domain %u: %s",
                    d->domid, strerror(errno));
    return 0;
}

int xd_domain_unpause(struct xd_domain *d)
{
    if (xc_domain_unpause(d->xch, d->domid))
        return fail(d, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN, "cannot unpause domain %u: %s",
                    d->domid, strerror(errno));
    return 0;
}

static struct xd_seg seg(uint16_t selector, uint64_t base)
{
    return (struct xd_seg){.selector = selector, .base = base};
}

/* Fills the registers of v from Xen's vcpu_guest_context (and, for HVM, the segment state). */
static void convert_context(const vcpu_guest_context_x86_64_t *c, bool pv, struct xd_vcpu *v)
{
    const struct cpu_user_regs_x86_64 *r = &c->user_regs;
    v->rax = r->rax, v->rbx = r->rbx, v->rcx = r->rcx, v->rdx = r->rdx;
    v->rsi = r->rsi, v->rdi = r->rdi, v->rbp = r->rbp, v->rsp = r->rsp;
    v->r8 = r->r8, v->r9 = r->r9, v->r10 = r->r10, v->r11 = r->r11;
    v->r12 = r->r12, v->r13 = r->r13, v->r14 = r->r14, v->r15 = r->r15;
    v->rip = r->rip, v->rflags = r->rflags;
    v->fs_base = c->fs_base;
    /* Xen's two GS bases are the kernel's and the user's, not "live" and "shadow"
       (xen/arch/x86/domctl.c, arch_get_info_guest(), Xen 4.17.7): for HVM, in ring 0
       gs_base_kernel is the live GS base and gs_base_user MSR_SHADOW_GS_BASE, in ring 3 the
       other way round (lines 1490-1499; ring_0() is cs & 3 == 0); for PV they are the bases
       Xen keeps per mode (1524-1525) and VGCF_in_kernel says which mode the vCPU is in
       (1556-1557); Xen 4.20.0 the same (lines 1450-1459, 1484-1485, 1516-1517). The note's
       gs_base is the live one, kernel_gs_base the swapgs shadow. */
    bool kernel = pv ? (c->flags & VGCF_in_kernel) != 0 : (r->cs & 3) == 0;
    v->gs_base = kernel ? c->gs_base_kernel : c->gs_base_user;
    v->kernel_gs_base = kernel ? c->gs_base_user : c->gs_base_kernel;
    for (int i = 0; i < 5; i++)
        v->cr[i] = c->ctrlreg[i];
    v->cs = seg(r->cs, 0), v->ds = seg(r->ds, 0), v->es = seg(r->es, 0);
    v->fs = seg(r->fs, c->fs_base), v->gs = seg(r->gs, v->gs_base), v->ss = seg(r->ss, 0);
}

static void hvm_segments(const struct hvm_hw_cpu *h, struct xd_vcpu *v)
{
#define SEG(dst, p)                                                                                \
    (v->dst = (struct xd_seg){h->p##_sel, h->p##_limit, h->p##_arbytes, h->p##_base})
    SEG(cs, cs), SEG(ds, ds), SEG(es, es), SEG(fs, fs), SEG(gs, gs), SEG(ss, ss);
    SEG(tr, tr), SEG(ldt, ldtr);
#undef SEG
    v->gdt = (struct xd_seg){0, h->gdtr_limit, 0, h->gdtr_base};
    v->idt = (struct xd_seg){0, h->idtr_limit, 0, h->idtr_base};
    v->cr[0] = h->cr0, v->cr[2] = h->cr2, v->cr[3] = h->cr3, v->cr[4] = h->cr4;
    /* The save record's gs_base is the GS segment's (live) base (xen/arch/x86/hvm/hvm.c,
       hvm_save_cpu_ctxt(), 4.17.7 line 878), shadow_gs the swapgs MSR (svm.c line 525). */
    v->gs_base = h->gs_base;
    v->kernel_gs_base = h->shadow_gs;
}

int xd_domain_vcpus(struct xd_domain *d, struct xd_vcpu *vcpus, uint32_t n)
{
    struct xd_dominfo info;
    int rc = xd_domain_info(d, &info);
    if (rc < 0)
        return rc;
    bool pv = info.type == XD_PV, hvm_ctx_warned = false;
    for (uint32_t i = 0; i < n; i++) {
        struct xd_vcpu *v = &vcpus[i];
        vcpu_guest_context_any_t ctx;
        memset(v, 0, sizeof(*v));
        v->id = i;
        if (xc_vcpu_getcontext(d->xch, d->domid, i, &ctx)) {
            if (errno == ENODATA)
                continue; /* never brought up: no context, no note */
            return fail(d, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                        "cannot read the context of vCPU %u of domain %u: %s", i, d->domid,
                        strerror(errno));
        }
        memcpy(v->ctx, &ctx, sizeof(v->ctx) < sizeof(ctx) ? sizeof(v->ctx) : sizeof(ctx));
        v->state = (ctx.x64.flags & VGCF_online) ? XD_VCPU_ONLINE : XD_VCPU_DOWN;
        convert_context(&ctx.x64, pv, v);
        if (pv)
            continue;
        struct hvm_hw_cpu hw;
        if (xc_domain_hvm_getcontext_partial(d->xch, d->domid, HVM_SAVE_CODE(CPU), (uint16_t)i, &hw,
                                             sizeof(hw)) == 0)
            hvm_segments(&hw, v);
        else if (!hvm_ctx_warned) {
            hvm_ctx_warned = true;
            snprintf(d->err, sizeof(d->err),
                     "Xen gave no HVM CPU context (%s): segment bases, GDTR and IDTR are "
                     "left out",
                     strerror(errno));
        }
    }
    return hvm_ctx_warned ? 1 : 0; /* 1: a warning is in xd_domain_error() */
}

int xd_domain_xen_version(struct xd_domain *d, struct xd_xenver *v)
{
    memset(v, 0, sizeof(*v));
    int ver = xc_version(d->xch, XENVER_version, NULL);
    if (ver < 0)
        return fail(d, XDUMP_E_XEN, "cannot read Xen's version: %s", strerror(errno));
    v->major = (uint32_t)ver >> 16;
    v->minor = (uint32_t)ver & 0xffff;
    xen_extraversion_t extra = {0};
    xen_compile_info_t ci;
    xen_capabilities_info_t caps = {0};
    xen_changeset_info_t cs = {0};
    xen_platform_parameters_t pp = {0};
    memset(&ci, 0, sizeof(ci));
    /* The rest is descriptive: a Xen that refuses one leaves it empty. */
    if (xc_version(d->xch, XENVER_extraversion, &extra) == 0)
        memcpy(v->extra, extra, sizeof(v->extra));
    if (xc_version(d->xch, XENVER_compile_info, &ci) == 0) {
        memcpy(v->compiler, ci.compiler, sizeof(v->compiler));
        memcpy(v->compile_by, ci.compile_by, sizeof(v->compile_by));
        memcpy(v->compile_domain, ci.compile_domain, sizeof(v->compile_domain));
        memcpy(v->compile_date, ci.compile_date, sizeof(v->compile_date));
    }
    if (xc_version(d->xch, XENVER_capabilities, &caps) == 0)
        memcpy(v->capabilities, caps, sizeof(v->capabilities));
    if (xc_version(d->xch, XENVER_changeset, &cs) == 0)
        memcpy(v->changeset, cs, sizeof(v->changeset));
    if (xc_version(d->xch, XENVER_platform_parameters, &pp) == 0)
        v->virt_start = pp.virt_start;
    int ps = xc_version(d->xch, XENVER_pagesize, NULL);
    v->pagesize = ps > 0 ? (uint64_t)ps : XD_PAGE_SIZE;
    return 0;
}

int xd_domain_shared_info(struct xd_domain *d, uint8_t page[XD_PAGE_SIZE],
                          struct xd_p2m_anchors *pv)
{
    struct xd_dominfo info;
    int rc = xd_domain_info(d, &info), err = 0;
    if (rc < 0)
        return rc;
    uint64_t frame = info.shared_info_frame;
    if ((rc = xd_domain_read_frames(d, &frame, 1, page, &err)) < 0)
        return rc;
    if (err)
        return fail(d, XDUMP_E_XEN, "cannot map the shared_info frame %#llx of domain %u: %s",
                    (unsigned long long)frame, d->domid, strerror(err));
    if (pv) {
        const shared_info_x86_64_t *s = (const shared_info_x86_64_t *)page;
        pv->max_pfn = s->arch.max_pfn;
        pv->fll_mfn = s->arch.pfn_to_mfn_frame_list_list;
        pv->p2m_cr3 = s->arch.p2m_cr3;
        pv->p2m_vaddr = s->arch.p2m_vaddr;
        pv->p2m_generation = s->arch.p2m_generation;
    }
    return 0;
}

int xd_domain_max_gpfn(struct xd_domain *d, uint64_t *gpfn)
{
    xen_pfn_t g;
    if (xc_domain_maximum_gpfn(d->xch, d->domid, &g) < 0)
        return fail(d, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                    "cannot read the highest gfn of domain %u: %s", d->domid, strerror(errno));
    *gpfn = g;
    return 0;
}

int xd_domain_max_mfn(struct xd_domain *d, uint64_t *mfn)
{
    unsigned long m;
    if (xc_maximum_ram_page(d->xch, &m) < 0)
        return fail(d, XDUMP_E_XEN, "cannot read the highest machine frame: %s", strerror(errno));
    *mfn = m;
    return 0;
}

int xd_domain_frames_exist(struct xd_domain *d, uint64_t first, size_t n, uint8_t *present)
{
    if (n > XD_BATCH)
        return fail(d, XDUMP_E_FAIL, "internal: %zu frames in one page-type query", n);
    if (!d->pfbuf.hbuf) {
        d->pfbuf = (xc_hypercall_buffer_t){.ubuf = (void *)-1};
        if (!xc__hypercall_buffer_alloc_pages(d->xch, &d->pfbuf, PFINFO_PAGES))
            return fail(d, XDUMP_E_XEN, "cannot allocate a hypercall buffer: %s", strerror(errno));
    }
    xen_pfn_t *arr = d->pfbuf.hbuf;
    for (size_t i = 0; i < n; i++)
        arr[i] = first + i;
    /* What xc_get_pfn_type_batch() does, through the buffer kept: xc_domctl() bounces only
       the domctl itself (one page, which libxencall keeps cached). */
    struct xen_domctl dc = {.cmd = XEN_DOMCTL_getpageframeinfo3,
                            .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
                            .domain = (domid_t)d->domid};
    dc.u.getpageframeinfo3.num = n;
    set_xen_guest_handle_raw(dc.u.getpageframeinfo3.array, arr);
    if (xc_domctl(d->xch, &dc))
        return fail(d, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                    "cannot ask Xen which frames of domain %u exist: %s", d->domid,
                    strerror(errno));
    for (size_t i = 0; i < n; i++)
        present[i] = (arr[i] & XEN_DOMCTL_PFINFO_LTAB_MASK) != XEN_DOMCTL_PFINFO_XTAB;
    return 0;
}

/* The gfns of the pages Xen lends an HVM/PVH guest - shared_info and the grant table's frames,
   Xen's own pages that the guest placed in its physmap. getpageframeinfo3 calls them "no page"
   (is_special_page()), yet they map, and nothing else of that kind does (measured on a PVH
   Linux guest, Xen 4.17: tests/realxen, scenario facts). Xen names each: getdomaininfo's
   shared_info_frame, GNTTABOP_setup_table's frame list (asked for the frames the table has, so
   it grows nothing) and, for grant version 2, GNTTABOP_get_status_frames. Their gfns come from
   Xen's M2P: a frame the guest did not place says so with a value beyond any gfn. */
#define LENT_MAX 65536u /* grant frames we accept to list; more: "Xen cannot say" */

static int ask_frames(struct xd_domain *d, unsigned cmd, uint32_t nr, uint64_t *out)
{
    DECLARE_HYPERCALL_BUFFER(uint64_t, fl);
    fl = xc_hypercall_buffer_alloc(d->xch, fl, nr * sizeof(uint64_t));
    if (!fl)
        return -1;
    int rc, status;
    if (cmd == GNTTABOP_setup_table) {
        struct gnttab_setup_table op = {.dom = (domid_t)d->domid, .nr_frames = nr};
        set_xen_guest_handle(op.frame_list, fl);
        rc = xc_gnttab_op(d->xch, cmd, &op, sizeof(op), 1);
        status = op.status;
    } else {
        struct gnttab_get_status_frames op = {.dom = (domid_t)d->domid, .nr_frames = nr};
        set_xen_guest_handle(op.frame_list, fl);
        rc = xc_gnttab_op(d->xch, cmd, &op, sizeof(op), 1);
        status = op.status;
    }
    if (rc == 0 && status == GNTST_okay)
        memcpy(out, fl, nr * sizeof(uint64_t));
    xc_hypercall_buffer_free(d->xch, fl);
    return rc == 0 && status == GNTST_okay ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int xd_domain_lent_frames(struct xd_domain *d, uint64_t **gfns, size_t *n)
{
    *gfns = NULL;
    *n = 0;
    struct xd_dominfo info;
    int rc = xd_domain_info(d, &info);
    if (rc < 0)
        return rc;
    int ver = xc_gnttab_get_version(d->xch, d->domid);
    struct gnttab_query_size q = {.dom = (domid_t)d->domid};
    if (ver < 0 || ver > 2 || xc_gnttab_query_size(d->xch, &q) || q.status != GNTST_okay ||
        q.nr_frames > LENT_MAX) {
        fail(d, XDUMP_E_XEN, "Xen did not name domain %u's grant frames", d->domid);
        return 0;
    }
    /* Version 0: the guest never used its table (placing a frame sets version 1) - and Xen up
       to 4.12 sets it in setup_table, a change to the guest a dumper must not make. */
    uint32_t nshared = ver ? q.nr_frames : 0;
    uint32_t nstatus = ver == 2 ? (nshared * 256 + 2047) / 2048 : 0; /* grant_to_status_frames */
    uint64_t *g = malloc((1 + (size_t)nshared + nstatus) * sizeof(*g));
    if (!g)
        return fail(d, XDUMP_E_FAIL, "out of memory");
    g[0] = info.shared_info_frame;
    if ((nshared && ask_frames(d, GNTTABOP_setup_table, nshared, g + 1) < 0) ||
        (nstatus && ask_frames(d, GNTTABOP_get_status_frames, nstatus, g + 1 + nshared) < 0)) {
        free(g);
        fail(d, XDUMP_E_XEN, "Xen did not name domain %u's grant frames", d->domid);
        return 0;
    }
    size_t total = 1 + (size_t)nshared + nstatus, k = 0;
    qsort(g, total, sizeof(*g), cmp_u64);
    for (size_t i = 0; i < total; i++)
        if (k == 0 || g[i] != g[k - 1])
            g[k++] = g[i];
    *gfns = g;
    *n = k;
    return 1;
}

/* ---- mapping ----------------------------------------------------------------------------- */

static void nap(unsigned round)
{
    long us = 100L << (round < 7 ? round : 7); /* 100 us doubling to 12.8 ms */
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* Issues the batch ioctl for frames[0..n) at addr; on -ENOENT retries, a bounded number of
   times, the frames still paged out. Per-frame results end in err[] (negative errno). */
static int mmapbatch(struct xd_domain *d, uint8_t *addr, const uint64_t *frames, size_t n, int *err,
                     uint64_t *calls)
{
    privcmd_mmapbatch_v2_t m = {.num = (unsigned)n,
                                .dom = (domid_t)d->domid,
                                .addr = (uintptr_t)addr,
                                .arr = (const xen_pfn_t *)frames,
                                .err = err};
    (*calls)++;
    int rc = ioctl(d->privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m);
    for (unsigned round = 0; rc < 0 && errno == ENOENT && round < PAGED_RETRIES; round++) {
        nap(round);
        rc = 0;
        for (size_t i = 0; i < n; i++) {
            if (err[i] != -ENOENT)
                continue;
            size_t j = i;
            while (j < n && err[j] == -ENOENT)
                j++;
            privcmd_mmapbatch_v2_t r = {.num = (unsigned)(j - i),
                                        .dom = (domid_t)d->domid,
                                        .addr = (uintptr_t)(addr + i * XD_PAGE_SIZE),
                                        .arr = (const xen_pfn_t *)frames + i,
                                        .err = err + i};
            (*calls)++;
            if (ioctl(d->privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &r) < 0) {
                if (errno != ENOENT)
                    return -1;
                rc = -1; /* still some paged out: another round */
            }
            i = j;
        }
        if (rc < 0)
            errno = ENOENT;
    }
    if (rc < 0 && errno == ENOENT)
        rc = 0; /* out of patience: those frames stay -ENOENT and are recorded */
    return rc;
}

int xd_window_open(struct xd_domain *d, struct xd_window **out)
{
    struct xd_window *w = calloc(1, sizeof(*w));
    if (!w)
        return fail(d, XDUMP_E_FAIL, "out of memory");
    /* Own the address range; each batch is mapped over it with MAP_FIXED. */
    w->area = mmap(NULL, (size_t)XD_BATCH * XD_PAGE_SIZE, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (w->area == MAP_FAILED) {
        free(w);
        return fail(d, XDUMP_E_FAIL, "cannot reserve address space: %s", strerror(errno));
    }
    w->d = d;
    *out = w;
    return 0;
}

void xd_window_close(struct xd_window *w)
{
    if (!w)
        return;
    munmap(w->area, (size_t)XD_BATCH * XD_PAGE_SIZE);
    free(w);
}

uint64_t xd_window_calls(const struct xd_window *w)
{
    return w->calls;
}

const uint8_t *xd_window_map(struct xd_window *w, const uint64_t *frames, size_t n, int *err,
                             int *status)
{
    struct xd_domain *d = w->d;
    /* A fresh privcmd VMA over the window (the driver refuses to map over mapped pages). Linux
       refuses (ENOMEM) a privcmd mapping over PART of another one: a batch of another length
       first gives the window back to a plain reservation (seen on real Xen, dom0 6.1). */
    if (w->mapped && w->mapped != n &&
        mmap(w->area, (size_t)XD_BATCH * XD_PAGE_SIZE, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED) {
        *status = fail(d, XDUMP_E_XEN, "cannot reset the mapping window: %s", strerror(errno));
        return NULL;
    }
    w->mapped = 0;
    void *p = mmap(w->area, n * XD_PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, d->privcmd, 0);
    if (p == MAP_FAILED) {
        *status = fail(d, XDUMP_E_XEN, "cannot map a window of privcmd: %s", strerror(errno));
        return NULL;
    }
    w->mapped = n;
    if (mmapbatch(d, w->area, frames, n, err, &w->calls) < 0) {
        if (errno == EINVAL)
            *status = fail(d, XDUMP_E_XEN,
                           "the privcmd driver refused the batch map: it needs "
                           "IOCTL_PRIVCMD_MMAPBATCH_V2 (Linux >= 3.3)");
        else
            *status = fail(d, XDUMP_E_XEN, "mapping frames of domain %u failed: %s", d->domid,
                           strerror(errno));
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        err[i] = -err[i];
    return w->area;
}

/* A privcmd mapping for a probe of n frames. The driver lets a mapping that has had its
   batch be batched again over any part where no frame is mapped (that is how paged-out frames
   are retried): as long as every frame probed failed - the common case, a scan of holes - one
   mapping serves every probe, and no mmap/munmap is paid per batch. Otherwise, or when n is
   larger, a fresh mapping of n frames (whose first batch must cover all of it). */
static uint8_t *probe_area(struct xd_domain *d, size_t n, bool *fresh)
{
    *fresh = false;
    if (d->probe && d->probe_clean && n <= d->probe_len)
        return d->probe;
    if (d->probe)
        munmap(d->probe, d->probe_len * XD_PAGE_SIZE);
    d->probe = NULL;
    void *p = mmap(NULL, n * XD_PAGE_SIZE, PROT_READ, MAP_SHARED, d->privcmd, 0);
    if (p == MAP_FAILED)
        return NULL;
    d->probe = p;
    d->probe_len = n;
    *fresh = true;
    return p;
}

int xd_domain_probe_frames(struct xd_domain *d, const uint64_t *frames, size_t n, uint8_t *mappable)
{
    int e[XD_BATCH];
    bool fresh;
    if (n > XD_BATCH)
        return fail(d, XDUMP_E_FAIL, "internal: %zu frames in one probe", n);
    uint8_t *p = probe_area(d, n, &fresh);
    if (!p)
        return fail(d, XDUMP_E_FAIL, "cannot map %zu frames: %s", n, strerror(errno));
    privcmd_mmapbatch_v2_t m = {.num = (unsigned)n,
                                .dom = (domid_t)d->domid,
                                .addr = (uintptr_t)p,
                                .arr = (const xen_pfn_t *)frames,
                                .err = e};
    int rc = ioctl(d->privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m), saved = errno;
    if (rc < 0 && saved == EINVAL && !fresh) {
        /* A driver that does not batch a mapping twice after all: a fresh one each time. */
        d->probe_clean = false;
        if (!(p = probe_area(d, n, &fresh)))
            return fail(d, XDUMP_E_FAIL, "cannot map %zu frames: %s", n, strerror(errno));
        m.addr = (uintptr_t)p;
        rc = ioctl(d->privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m), saved = errno;
    }
    d->probe_clean = rc == 0 || saved == ENOENT;
    if (rc < 0 && saved != ENOENT)
        return fail(d, XDUMP_E_XEN, "mapping frames of domain %u failed: %s", d->domid,
                    strerror(saved));
    for (size_t i = 0; i < n; i++) {
        mappable[i] = e[i] == 0 || e[i] == -ENOENT;
        if (e[i] == 0)
            d->probe_clean = false; /* a frame is mapped there now */
    }
    return 0;
}

int xd_domain_read_frames(struct xd_domain *d, const uint64_t *frames, size_t n, uint8_t *buf,
                          int *err)
{
    uint64_t calls = 0;
    int *e = calloc(n, sizeof(*e));
    uint8_t *p = e ? mmap(NULL, n * XD_PAGE_SIZE, PROT_READ, MAP_SHARED, d->privcmd, 0) : NULL;
    if (!e || p == MAP_FAILED) {
        free(e);
        return fail(d, XDUMP_E_FAIL, "cannot map %zu frames: %s", n, strerror(errno));
    }
    int rc = mmapbatch(d, p, frames, n, e, &calls);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        err[i] = -e[i];
        if (e[i] == 0)
            memcpy(buf + i * XD_PAGE_SIZE, p + i * XD_PAGE_SIZE, XD_PAGE_SIZE);
        else
            memset(buf + i * XD_PAGE_SIZE, 0, XD_PAGE_SIZE);
    }
    int saved = errno;
    munmap(p, n * XD_PAGE_SIZE);
    free(e);
    if (rc < 0)
        return fail(d, XDUMP_E_XEN, "mapping frames of domain %u failed: %s", d->domid,
                    strerror(saved));
    return 0;
}

/* ---- the guardian ------------------------------------------------------------------------ */

struct xd_guardian {
    pid_t pid;
    int fd; /* write end: 'P' a pause is held, 'U' released; end of file: the dumper is gone */
};

/* The child: waits for the dumper to go; then undoes its pause if it held one, and removes
   its unfinished output. Messages: 'P' a pause is held, 'U' released, 'F'<path>'\n' the
   output being written, 'K' it is complete (keep it). */
static void __attribute__((noreturn)) guard(int fd, uint32_t domid)
{
    signal(SIGINT, SIG_IGN), signal(SIGTERM, SIG_IGN), signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    bool held = false, in_path = false;
    char c, path[4096] = "";
    size_t plen = 0;
    ssize_t n;
    while ((n = read(fd, &c, 1)) > 0 || (n < 0 && errno == EINTR)) {
        if (n <= 0)
            continue;
        if (in_path) {
            in_path = c != '\n';
            if (in_path && plen < sizeof(path) - 1)
                path[plen++] = c;
            path[plen] = 0;
        } else if (c == 'P' || c == 'U') {
            held = c == 'P';
        } else if (c == 'F') {
            in_path = true;
            plen = 0;
        } else if (c == 'K') {
            path[0] = 0;
        }
    }
    if (held) {
        xc_interface *xch = xc_interface_open(NULL, NULL, 0);
        int rc = xch ? xc_domain_unpause(xch, domid) : -1;
        dprintf(2, "xdump: guardian: the dumper of domain %u went away holding its pause; %s\n",
                domid, rc == 0 ? "the domain is unpaused" : "unpausing it FAILED");
        if (xch)
            xc_interface_close(xch);
    }
    if (path[0] && unlink(path) == 0)
        dprintf(2, "xdump: guardian: removed the unfinished %s\n", path);
    _exit(0);
}

int xd_guardian_start(struct xd_domain *d, struct xd_guardian **out)
{
    int p[2];
    struct xd_guardian *g = calloc(1, sizeof(*g));
    if (!g || pipe2(p, O_CLOEXEC) < 0) {
        free(g);
        return fail(d, XDUMP_E_FAIL, "cannot start the guardian: %s", strerror(errno));
    }
    fflush(NULL);
    g->pid = fork();
    if (g->pid < 0) {
        close(p[0]), close(p[1]), free(g);
        return fail(d, XDUMP_E_FAIL, "cannot start the guardian: %s", strerror(errno));
    }
    if (g->pid == 0) {
        /* Keep nothing of the parent's but the pipe and stderr: not its output (a reader
           must see the end of a piped core when the dumper ends), not its Xen handles. */
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0), dup2(devnull, 1);
        if (p[0] != 3)
            dup2(p[0], 3);
        closefrom(4);
        guard(3, d->domid);
    }
    close(p[0]);
    g->fd = p[1];
    *out = g;
    return 0;
}

void xd_guardian_held(struct xd_guardian *g, bool held)
{
    if (!g)
        return;
    ssize_t n = write(g->fd, held ? "P" : "U", 1);
    (void)n; /* a guardian already gone can do nothing more for us either way */
}

void xd_guardian_output(struct xd_guardian *g, const char *path, bool complete)
{
    if (!g)
        return;
    char msg[4100];
    int len = complete || !path ? snprintf(msg, sizeof(msg), "K")
                                : snprintf(msg, sizeof(msg), "F%s\n", path);
    ssize_t n = write(g->fd, msg, (size_t)len);
    (void)n;
}

void xd_guardian_stop(struct xd_guardian *g)
{
    if (!g)
        return;
    close(g->fd);
    while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    free(g);
}

/* ---- for the crash hook (watch.c) ---- */

_Static_assert(XD_SHUTDOWN_CRASH == SHUTDOWN_crash, "SHUTDOWN_crash");

#define WATCH_TOKEN "xdump-watch"
#define LIST_BATCH 256

struct xd_host {
    xc_interface *xch;
    struct quiet_logger log;
    struct xs_handle *xs;
    int watch_fd;
    char err[512];
};

#define host_fail(h, status, ...) xd_fail((h)->err, sizeof((h)->err), status, __VA_ARGS__)

const char *xd_host_error(const struct xd_host *h)
{
    return h->err;
}

static void host_drop_xenstore(struct xd_host *h)
{
    if (h->xs)
        xs_close(h->xs);
    h->xs = NULL;
    h->watch_fd = -1;
}

int xd_host_reconnect(struct xd_host *h)
{
    host_drop_xenstore(h);
    h->xs = xs_open(0);
    if (!h->xs)
        return host_fail(h, XDUMP_E_FAIL, "xenstore is not reachable: %s", strerror(errno));
    /* xs_fileno() first: the watch's events then also wake the pipe it returns. */
    h->watch_fd = xs_fileno(h->xs);
    if (h->watch_fd < 0 || !xs_watch(h->xs, "@releaseDomain", WATCH_TOKEN)) {
        int e = errno;
        host_drop_xenstore(h);
        return host_fail(h, XDUMP_E_FAIL, "cannot watch @releaseDomain in xenstore: %s",
                         strerror(e));
    }
    return 0;
}

int xd_host_open(struct xd_host **out, char *err, size_t errlen)
{
    struct xd_host *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -XDUMP_E_FAIL;
    }
    h->watch_fd = -1;
    h->log.vtable = (xentoollog_logger){quiet_vmessage, quiet_progress, quiet_destroy};
    h->xch = xc_interface_open(&h->log.vtable, &h->log.vtable, 0);
    if (!h->xch) {
        snprintf(err, errlen,
                 "cannot open the Xen control interface (/dev/xen/privcmd): run xdump as root "
                 "in dom0");
        free(h);
        return -XDUMP_E_PERM;
    }
    xd_host_reconnect(h); /* best effort: the caller asks xd_host_watch_fd() */
    *out = h;
    return 0;
}

void xd_host_forget_xenstore(struct xd_host *h)
{
    if (h->xs)
        xs_daemon_destroy_postfork(h->xs);
    h->xs = NULL;
    h->watch_fd = -1;
}

void xd_host_close(struct xd_host *h)
{
    if (!h)
        return;
    host_drop_xenstore(h);
    xc_interface_close(h->xch);
    free(h);
}

int xd_host_list(struct xd_host *h, struct xd_dominfo **doms, size_t *n)
{
    xc_domaininfo_t *batch = calloc(LIST_BATCH, sizeof(*batch));
    struct xd_dominfo *all = NULL;
    size_t count = 0;
    uint32_t first = 0;
    int rc = 0;
    if (!batch)
        return host_fail(h, XDUMP_E_FAIL, "out of memory");
    for (;;) {
        int got = xc_domain_getinfolist(h->xch, first, LIST_BATCH, batch);
        if (got < 0) {
            rc = host_fail(h, errno == EACCES || errno == EPERM ? XDUMP_E_PERM : XDUMP_E_XEN,
                           "cannot list the domains (getdomaininfolist): %s", strerror(errno));
            break;
        }
        struct xd_dominfo *more = got ? realloc(all, (count + (size_t)got) * sizeof(*all)) : all;
        if (got && !more) {
            rc = host_fail(h, XDUMP_E_FAIL, "out of memory");
            break;
        }
        all = more;
        for (int i = 0; i < got; i++)
            dominfo_convert(&batch[i], &all[count++]);
        if (got < LIST_BATCH)
            break;
        first = batch[got - 1].domain + 1u;
    }
    free(batch);
    if (rc < 0) {
        free(all);
        return rc;
    }
    *doms = all;
    *n = count;
    return 0;
}

/* Reads a xenstore value into buf (empty when absent). */
static void host_read(struct xd_host *h, const char *path, char *buf, size_t len)
{
    unsigned n = 0;
    char *v = h->xs ? xs_read(h->xs, XBT_NULL, path, &n) : NULL;
    snprintf(buf, len, "%s", v ? v : "");
    free(v);
}

void xd_host_describe(struct xd_host *h, uint32_t domid, char *name, size_t namelen, char *start,
                      size_t startlen)
{
    char path[256], vm[128];
    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    host_read(h, path, name, namelen);
    snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
    host_read(h, path, vm, sizeof(vm));
    start[0] = 0;
    if (vm[0]) {
        snprintf(path, sizeof(path), "%s/start_time", vm);
        host_read(h, path, start, startlen);
    }
}

int xd_host_watch_fd(const struct xd_host *h)
{
    return h->watch_fd;
}

int xd_host_watch_events(struct xd_host *h)
{
    if (!h->xs)
        return -1;
    int n = 0;
    char **ev;
    while ((ev = xs_check_watch(h->xs)) != NULL) {
        n++;
        free(ev);
    }
    if (errno != EAGAIN) {
        /* libxenstore's reader thread closed the connection: xenstored went away. */
        host_fail(h, XDUMP_E_FAIL, "the xenstore connection was lost: %s", strerror(errno));
        return -1;
    }
    return n;
}

int xd_host_pause_state(struct xd_host *h, uint32_t domid, bool *paused)
{
    xc_domaininfo_t x;
    int got = xc_domain_getinfolist(h->xch, domid, 1, &x);
    if (got != 1 || x.domain != domid)
        return host_fail(h, XDUMP_E_DIED, "domain %u does not exist (any more)", domid);
    *paused = (x.flags & XEN_DOMINF_paused) != 0;
    return 0;
}

int xd_host_unpause(struct xd_host *h, uint32_t domid)
{
    if (xc_domain_unpause(h->xch, domid))
        return host_fail(h, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                         "cannot unpause domain %u: %s", domid, strerror(errno));
    return 0;
}

int xd_host_destroy(struct xd_host *h, uint32_t domid)
{
    if (xc_domain_destroy(h->xch, domid))
        return host_fail(h, errno == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN,
                         "cannot destroy domain %u: %s", domid, strerror(errno));
    return 0;
}
