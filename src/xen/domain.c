/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What Xen says of a domain: getdomaininfo, pause and unpause, the vCPU contexts, Xen's
 * version, shared_info, which frames exist (getpageframeinfo3) and the frames Xen lends the
 * guest (grant table) - translated into model.h's plain types.
 */
#include "private.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/grant_table.h>
#include <xen/hvm/save.h>

#include "format.h"

/* The core carries Xen's vcpu_guest_context raw (.xen_prstatus) and its version strings in the
   Xen version note; the reader takes them apart by format.h's numbers: pinned here, against
   Xen's headers (the same in Xen 4.17 and 4.20). */
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
void xd_dominfo_convert(const xc_domaininfo_t *x, struct xd_dominfo *d)
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
    xd_dominfo_convert(&x, info);
    snprintf(info->name, sizeof(info->name), "%s", d->name);
    return 0;
}

int xd_domain_pause(struct xd_domain *d)
{
    int e = xd_guardian_call(d, 'P');
    if (e)
        return fail(d, e == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN, "cannot pause domain %u: %s",
                    d->domid, strerror(e));
    return 0;
}

int xd_domain_unpause(struct xd_domain *d)
{
    int e = xd_guardian_call(d, 'U');
    if (e)
        return fail(d, e == ESRCH ? XDUMP_E_DIED : XDUMP_E_XEN, "cannot unpause domain %u: %s",
                    d->domid, strerror(e));
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
