/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated hypervisor. Each handler answers as Xen 4.17 (or 4.20: the world's release,
 * struct xsim_release, where they differ) does for the cases a dom0 toolstack meets; anything
 * else is logged and answered -ENOSYS, so a test sees it.
 */
#include "hypercall.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/sysctl.h>
#include <xen/version.h>
#include <xen/hvm/save.h>

#ifndef MEMOP_CMD_MASK
#define MEMOP_CMD_MASK ((1u << 6) - 1) /* the sub-op; higher bits carry extent starts */
#endif

#define XS_XEN_MAJOR 4

static long unknown(struct xsim_handle *h, const char *what, unsigned op, unsigned sub)
{
    XS_ADD(&h->w->unknown, 1);
    xsim_log(h, "unknown %s op=%u sub=%u: -ENOSYS", what, op, sub);
    return -ENOSYS;
}

static void count(uint64_t *arr, size_t n, unsigned idx)
{
    XS_ADD(&arr[idx < n ? idx : n - 1], 1);
}

/* ---- domain info --------------------------------------------------------------------------- */

static uint64_t paged_pages(struct xsim_handle *h, const struct xsim_domain *d)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < d->nr_faults; i++) {
        const struct xsim_fault *f = &d->faults[i];
        if (f->kind != XS_FAULT_PAGED)
            continue;
        for (uint64_t k = 0; k < f->count; k++)
            if (XS_LOAD(&h->w->paged_attempts[f->paged_slot + k]) < f->retries)
                n++;
    }
    return n;
}

static void fill_info(struct xsim_handle *h, const struct xsim_domain *d,
                      struct xen_domctl_getdomaininfo *info)
{
    memset(info, 0, sizeof(*info));
    int life = XS_LOAD(&d->life);
    uint32_t flags = 0;
    info->domain = (domid_t)d->domid;
    if (d->type != XS_PV)
        flags |= XEN_DOMINF_hvm_guest | XEN_DOMINF_hap;
    if (life == XS_DYING)
        flags |= XEN_DOMINF_dying;
    if (life == XS_SHUTDOWN)
        flags |=
            XEN_DOMINF_shutdown | ((uint32_t)XS_LOAD(&d->shutdown_reason) & XEN_DOMINF_shutdownmask)
                                      << XEN_DOMINF_shutdownshift;
    if (XS_LOAD(&d->pause_count) > 0)
        flags |= XEN_DOMINF_paused;
    else if (life == XS_RUNNING)
        flags |= XEN_DOMINF_blocked;
    info->flags = flags;
    info->tot_pages = d->tot_pages;
    info->max_pages = d->max_pages;
    info->paged_pages = paged_pages(h, d);
    info->shared_info_frame = d->shinfo_mfn;
    info->nr_online_vcpus = d->nr_online_vcpus;
    info->max_vcpu_id = d->max_vcpu_id;
    info->ssidref = d->ssidref;
    memcpy(info->handle, d->handle, sizeof(info->handle));
    info->gpaddr_bits = 52;
    if (d->type == XS_HVM)
        info->arch_config.emulation_flags = XEN_X86_EMU_ALL;
    else if (d->type == XS_PVH)
        info->arch_config.emulation_flags = XEN_X86_EMU_LAPIC;
}

/* The first live domain with id >= domid (getdomaininfolist; and 4.17's getdomaininfo). */
static struct xsim_domain *domain_from(struct xsim_handle *h, uint32_t domid)
{
    struct xsim_domain *best = NULL;
    for (uint32_t i = 0; i < h->w->nr_domains; i++) {
        struct xsim_domain *d = &h->w->dom[i];
        if (XS_LOAD(&d->life) == XS_GONE || d->domid < domid)
            continue;
        if (!best || d->domid < best->domid)
            best = d;
    }
    return best;
}

/* ---- domctl -------------------------------------------------------------------------------- */

static long pfinfo3(struct xsim_handle *h, struct xsim_domain *d, struct xen_domctl *dc)
{
    uint64_t num = dc->u.getpageframeinfo3.num;
    xen_pfn_t *arr = dc->u.getpageframeinfo3.array.p;
    if (num > 1024)
        return -E2BIG;
    XS_ADD(&d->c.pfinfo_calls, 1);
    for (uint64_t i = 0; i < num; i++) {
        uint64_t pfn;
        xen_pfn_t type = XEN_DOMCTL_PFINFO_NOTAB;
        if (!xsim_frame_to_pfn(h, d, arr[i], &pfn))
            type = XEN_DOMCTL_PFINFO_XTAB;
        /* A paged-out frame has no page yet: Xen answers XTAB, and the lookup (P2M_ALLOC)
           starts paging it in - one step of its way back, like a mapping attempt. */
        for (uint32_t k = 0; type != XEN_DOMCTL_PFINFO_XTAB && k < d->nr_faults; k++) {
            const struct xsim_fault *f = &d->faults[k];
            if (f->kind == XS_FAULT_SPECIAL && pfn >= f->pfn && pfn - f->pfn < f->count)
                type = XEN_DOMCTL_PFINFO_XTAB; /* is_special_page(): Xen answers "no page" */
            if (f->kind != XS_FAULT_PAGED || pfn < f->pfn || pfn - f->pfn >= f->count)
                continue;
            uint32_t *tries = &h->w->paged_attempts[f->paged_slot + (pfn - f->pfn)];
            if (XS_LOAD(tries) < f->retries) {
                XS_ADD(tries, 1);
                type = XEN_DOMCTL_PFINFO_XTAB;
            }
        }
        arr[i] = type;
    }
    return 0;
}

static long vcpucontext(struct xsim_handle *h, struct xsim_domain *d, struct xen_domctl *dc)
{
    uint32_t vcpu = dc->u.vcpucontext.vcpu;
    if (vcpu > d->max_vcpu_id)
        return -EINVAL;
    struct xsim_dommap *m = xsim_dommap(h, d);
    if (!m)
        return -EIO;
    const struct xsim_vcpu *v = &m->vcpus[vcpu];
    if (v->err)
        return -v->err;
    if (dc->u.vcpucontext.ctxt.p)
        memcpy(dc->u.vcpucontext.ctxt.p, v->ctx, sizeof(v->ctx));
    return 0;
}

/* The HVM CPU save record of one vCPU (gethvmcontext_partial, type CPU): registers from the
   context, long-mode segments, and the vCPU's descriptor tables. */
static long hvmcontext_partial(struct xsim_handle *h, struct xsim_domain *d, struct xen_domctl *dc)
{
    struct xen_domctl_hvmcontext_partial *q = &dc->u.hvmcontext_partial;
    struct xsim_dommap *m = xsim_dommap(h, d);
    if (d->type == XS_PV)
        return -EINVAL;
    if (d->sim_flags & XS_NO_HVM_CONTEXT)
        return unknown(h, "domctl", dc->cmd, 0);
    if (q->type != HVM_SAVE_CODE(CPU))
        return -ENOENT;
    if (q->instance > d->max_vcpu_id || !m || m->vcpus[q->instance].err)
        return -ENOENT;
    if (q->bufsz < sizeof(struct hvm_hw_cpu))
        return -ENOSPC;
    const struct xsim_vcpu *v = &m->vcpus[q->instance];
    const vcpu_guest_context_t *c = (const vcpu_guest_context_t *)v->ctx;
    struct hvm_hw_cpu hw;
    memset(&hw, 0, sizeof(hw));
    const struct cpu_user_regs *r = &c->user_regs;
    hw.rax = r->rax, hw.rbx = r->rbx, hw.rcx = r->rcx, hw.rdx = r->rdx, hw.rbp = r->rbp;
    hw.rsi = r->rsi, hw.rdi = r->rdi, hw.rsp = r->rsp, hw.r8 = r->r8, hw.r9 = r->r9;
    hw.r10 = r->r10, hw.r11 = r->r11, hw.r12 = r->r12, hw.r13 = r->r13, hw.r14 = r->r14;
    hw.r15 = r->r15, hw.rip = r->rip, hw.rflags = r->rflags;
    hw.cr0 = c->ctrlreg[0], hw.cr2 = c->ctrlreg[2], hw.cr3 = c->ctrlreg[3], hw.cr4 = c->ctrlreg[4];
    hw.cs_sel = r->cs, hw.ds_sel = r->ds, hw.es_sel = r->es, hw.fs_sel = r->fs;
    hw.gs_sel = r->gs, hw.ss_sel = r->ss, hw.tr_sel = 0x40;
    hw.cs_limit = hw.ds_limit = hw.es_limit = hw.fs_limit = hw.gs_limit = hw.ss_limit = ~0u;
    hw.cs_arbytes = 0xa09b; /* present, long-mode code */
    hw.ds_arbytes = hw.es_arbytes = hw.ss_arbytes = hw.fs_arbytes = hw.gs_arbytes = 0xc093;
    hw.tr_arbytes = 0x8b, hw.tr_limit = 0x4087, hw.tr_base = v->tr_base;
    /* The world keeps a vCPU's context as getvcpucontext returns it: for HVM, in ring 0
       gs_base_kernel is the live GS base and gs_base_user MSR_SHADOW_GS_BASE, in ring 3 the
       other way round (xen/arch/x86/domctl.c, arch_get_info_guest(), 4.17.7 lines 1490-1499).
       The save record has the live base as gs_base (hvm/hvm.c, hvm_save_cpu_ctxt(), line 878)
       and the MSR as shadow_gs (hvm/svm/svm.c line 525). */
    int ring0 = (r->cs & 3) == 0;
    hw.fs_base = c->fs_base;
    hw.gs_base = ring0 ? c->gs_base_kernel : c->gs_base_user;
    hw.shadow_gs = ring0 ? c->gs_base_user : c->gs_base_kernel;
    hw.gdtr_base = v->gdt_base, hw.gdtr_limit = 0x7f;
    hw.idtr_base = v->idt_base, hw.idtr_limit = 0xfff;
    hw.msr_efer = 0xd01; /* SCE, LME, LMA, NXE */
    memcpy(q->buffer.p, &hw, sizeof(hw));
    return 0;
}

static void delay(uint64_t ns);

static long pause_domain(struct xsim_domain *d, int delta)
{
    int32_t old = XS_LOAD(&d->pause_count), want;
    do {
        want = old + delta;
        if (want > 255)
            return -EOVERFLOW;
        if (want < 0)
            return -EINVAL;
    } while (!__atomic_compare_exchange_n(&d->pause_count, &old, want, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    XS_ADD(delta > 0 ? &d->c.pause_calls : &d->c.unpause_calls, 1);
    /* domain_pause_by_systemcontroller() pauses synchronously: the vCPUs are off the CPU when
       it returns (xen/common/domain.c RELEASE-4.17.7 l.1303-1329 -> _domain_pause(d, true)). */
    if (delta > 0)
        xsim_vcpu_sync(d);
    /* The sync waits for each vCPU to be off its CPU: vcpu_sleep_sync() spins while
       v->is_running (xen/common/sched/core.c, l.956 in 4.17's tree as the XSA-469 hunk
       header places it); 'fault pause-ns' makes that slow, so that
       a test can kill the caller while its pause is landing: the count is taken, the caller
       gets no answer (on Xen the ioctl completes and the process dies on its way out). */
    if (delta > 0)
        delay(d->pause_ns);
    return 0;
}

/* ---- log-dirty: XEN_DOMCTL_shadow_op, as xen/arch/x86/mm/paging.c (RELEASE-4.17.7) -------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The guest's stores a world scheduled for this CLEAN (`fault store`): its vCPU makes them
   while it runs, just before the CLEAN's domain_pause() (paging.c l.427) stops it - so the
   CLEAN finds them marked, as the write fault marks them (xsim_vcpu_write()). A domain paused
   by someone has no running vCPU: its stores are not made, and the log says so. */
static void scheduled_stores(struct xsim_handle *h, struct xsim_domain *d, uint64_t nth)
{
    uint8_t page[XS_PAGE_SIZE];
    for (uint32_t i = 0; i < d->nr_faults && i < XS_MAX_FAULTS; i++) {
        const struct xsim_fault *f = &d->faults[i];
        if (f->kind != XS_FAULT_STORE || f->retries != nth)
            continue;
        if (XS_LOAD(&d->pause_count)) {
            xsim_log(h, "dom%u: store at CLEAN %llu not made: the domain is paused", d->domid,
                     (unsigned long long)nth);
            continue;
        }
        if (!xsim_vcpu_write(h, d, f->pfn, NULL))
            return;
        if (xsim_read_page(h, d, f->pfn, page) == 0) {
            memcpy(page + f->offset, &f->value, 8);
            xsim_write_page(h, d, f->pfn, page);
        }
        xsim_vcpu_stop(d);
        xsim_log(h, "dom%u: the guest stored %#llx at pfn %#llx + %#llx before CLEAN %llu",
                 d->domid, (unsigned long long)f->value, (unsigned long long)f->pfn,
                 (unsigned long long)f->offset, (unsigned long long)nth);
    }
}

/* CLEAN and PEEK: paging_log_dirty_op(), l.407-596. The bitmap is walked leaf by leaf (4 KiB
   of bits, l.489-517), each copied to byte offset pages >> 3 - a leaf never allocated is
   zero-filled (clear_guest_offset, l.503) - the last one cut to (sc->pages - pages + 7) >> 3
   bytes (l.496-497); CLEAN then clears the whole leaf (clear_page, l.513-514). Neither looks
   at whether log-dirty is on: off, the bitmap is empty and the answer all zeros. */
static long logdirty_op(struct xsim_handle *h, struct xsim_domain *d,
                        struct xen_domctl_shadow_op *sc)
{
    struct xsim_dommap *m = xsim_dommap(h, d);
    if (!m)
        return -EIO;
    int clean = sc->op == XEN_DOMCTL_SHADOW_OP_CLEAN;
    XS_ADD(clean ? &d->c.ld_clean_calls : &d->c.ld_peek_calls, 1);
    if (clean)
        scheduled_stores(h, d, XS_LOAD(&d->c.ld_clean_calls));
    /* FINAL on HVM marks the frames Xen keeps mapped writably (hvm.c l.2776-2784, called at
       paging.c l.423-425): xensim's Xen maps none. Counted. */
    if (sc->mode & XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL) {
        XS_ADD(&d->c.ld_final_calls, 1);
        if (XS_LOAD(&d->pause_count)) /* the dumper's last: DMA after it is counted */
            XS_STORE(&d->dm_final_seen, 1);
    }
    uint64_t t0 = now_ns();
    xsim_sys_pause(d, +1); /* domain_pause(d), l.427; undone at l.578 */
    /* The stats, before anything is cleared (l.459-462). fault_count is only counted by the
       shadow fault handler: 0 here (HAP, and PV without its faults emulated). */
    uint64_t dc = XS_LOAD(&d->ld_dirty_count);
    sc->stats.fault_count = 0;
    sc->stats.dirty_count = dc > UINT32_MAX ? UINT32_MAX : (uint32_t)dc;
    /* A NULL handle: the caller wants only the stats or the clean (l.464-466). */
    uint8_t *out = sc->dirty_bitmap.p;
    uint64_t pages = 0, nleaves = 512ull * 512 * 512; /* i4, i3, i2 < LOGDIRTY_NODE_ENTRIES */
    for (uint64_t leaf = 0; pages < sc->pages && leaf < nleaves; leaf++) {
        uint64_t bytes = XS_LD_LEAF_BYTES;
        if (((sc->pages - pages + 7) >> 3) < bytes)
            bytes = (sc->pages - pages + 7) >> 3;
        const int have = leaf * XS_LD_LEAF_BITS < d->ld_bits; /* an allocated leaf */
        uint8_t *l1 = have ? m->dirty + leaf * XS_LD_LEAF_BYTES : NULL;
        if (out) {
            if (l1)
                memcpy(out + (pages >> 3), l1, bytes);
            else
                memset(out + (pages >> 3), 0, bytes);
        }
        pages += bytes << 3;
        if (l1 && clean)
            memset(l1, 0, XS_LD_LEAF_BYTES);
        if (!l1 && !out)
            break; /* nothing left to copy or clean: the rest of the walk does nothing */
    }
    if (clean)
        XS_STORE(&d->ld_dirty_count, 0); /* l.548-552 */
    if (pages < sc->pages)
        sc->pages = pages; /* l.570-571 */
    /* The mode's clean hook (HAP: write-protect all again; shadow: blow the tables) runs while
       paused (l.572-577): nothing to emulate, the next write marks its pfn again. */
    xsim_sys_pause(d, -1);
    XS_ADD(&d->c.ld_paused_ns, now_ns() - t0);
    return 0;
}

/* paging_domctl(), l.684-758, for the sub-ops a dump needs. */
static long shadow_op(struct xsim_handle *h, struct xsim_domain *d, struct xen_domctl_shadow_op *sc)
{
    if (d->domid == 0)
        return -EINVAL; /* a paging op on the caller itself, l.690-694 */
    if (XS_LOAD(&d->life) == XS_DYING)
        return 0; /* ignored on a dying domain: success, nothing done (l.696-701) */
    /* A world's domains all have vCPU 0 (l.703-708's -EINVAL does not arise); no op is ever
       preempted here, so the -EBUSY of an unfinished one (l.710-722) does not either. */
    const int pv = d->type == XS_PV;
    switch (sc->op) {
    case XEN_DOMCTL_SHADOW_OP_ENABLE:
        if (!(sc->mode & XEN_DOMCTL_SHADOW_ENABLE_LOG_DIRTY))
            break;                    /* l.735-736: to the paging mode's domctl */
        __attribute__((fallthrough)); /* l.737 */
    case XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY: {
        /* paging_log_dirty_enable(), l.216-237 */
        XS_ADD(&d->c.ld_enable_calls, 1);
        if (d->pci_passthrough)
            return -EINVAL; /* has_arch_pdevs(), l.220-227 */
        if (XS_LOAD(&d->logdirty))
            return -EINVAL; /* already on, l.229-230: not -EBUSY */
        /* A PV guest is tracked by shadow paging; without CONFIG_SHADOW_PAGING the ops are
           mm/shadow/none.c's, whose enable is -EOPNOTSUPP (l.4-8). */
        if (pv && !h->w->shadow_paging)
            return -EOPNOTSUPP;
        xsim_sys_pause(d, +1); /* l.232-234 */
        XS_STORE(&d->logdirty, 1);
        XS_STORE(&d->c.ld_on_pid, (int32_t)getpid());
        XS_ADD(&d->c.ld_enable_ok, 1);
        xsim_sys_pause(d, -1);
        xsim_log(h, "dom%u: log-dirty on (pid %d)", d->domid, (int)getpid());
        return 0;
    }
    case XEN_DOMCTL_SHADOW_OP_OFF: {
        /* paging_log_dirty_disable(), l.239-261: paused, the mode's disable if log-dirty is
           on, the bitmap freed (l.114-212; dirty_count is left as it is). Then the paging
           mode's own OFF below. */
        XS_ADD(&d->c.ld_off_calls, 1);
        xsim_sys_pause(d, +1);
        if (XS_LOAD(&d->logdirty)) {
            struct xsim_dommap *m = xsim_dommap(h, d);
            XS_STORE(&d->logdirty, 0);
            if (m)
                memset(m->dirty, 0, d->ld_bits / 8);
            XS_ADD(&d->c.ld_off_while_on, 1);
            XS_STORE(&d->c.ld_off_pid, (int32_t)getpid());
            xsim_log(h, "dom%u: log-dirty off (pid %d)", d->domid, (int)getpid());
        }
        xsim_sys_pause(d, -1);
        break;
    }
    case XEN_DOMCTL_SHADOW_OP_CLEAN:
    case XEN_DOMCTL_SHADOW_OP_PEEK:
        if (sc->mode & ~XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL)
            return -EINVAL; /* l.748-749 */
        return logdirty_op(h, d, sc);
    }
    /* The paging mode's domctl (l.754-757). HAP: OFF is 0, anything else here -EINVAL
       (mm/hap/hap.c l.665-694). PV without shadow paging: the stub's -EINVAL
       (include/asm/shadow.h l.132-137); with it, shadow_domctl()'s OFF is 0 outside test
       mode (mm/shadow/common.c l.3276-3282) - its other ops are not emulated. */
    if (!pv)
        return sc->op == XEN_DOMCTL_SHADOW_OP_OFF ? 0 : -EINVAL;
    if (!h->w->shadow_paging)
        return -EINVAL;
    if (sc->op == XEN_DOMCTL_SHADOW_OP_OFF)
        return 0;
    return unknown(h, "domctl shadow_op", XEN_DOMCTL_shadow_op, sc->op);
}

static long domctl(struct xsim_handle *h, struct xen_domctl *dc)
{
    const struct xsim_release *rel = xsim_release(h->w->xen_minor);
    if (dc->interface_version != rel->domctl_version)
        return -EACCES;
    count(h->w->domctl, 128, dc->cmd);
    if (dc->cmd == XEN_DOMCTL_getdomaininfo) {
        struct xsim_domain *d =
            rel->getdomaininfo_next ? domain_from(h, dc->domain) : xsim_domain(h, dc->domain);
        if (!d)
            return -ESRCH;
        fill_info(h, d, &dc->u.getdomaininfo);
        dc->domain = (domid_t)d->domid;
        return 0;
    }
    struct xsim_domain *d = xsim_domain(h, dc->domain);
    if (!d)
        return -ESRCH;
    switch (dc->cmd) {
    case XEN_DOMCTL_pausedomain:
        return dc->domain == 0 ? -EINVAL : pause_domain(d, +1);
    case XEN_DOMCTL_unpausedomain:
        return pause_domain(d, -1);
    case XEN_DOMCTL_getvcpucontext:
        return vcpucontext(h, d, dc);
    case XEN_DOMCTL_get_address_size:
        dc->u.address_size.size = 64;
        return 0;
    case XEN_DOMCTL_getpageframeinfo3:
        return pfinfo3(h, d, dc);
    case XEN_DOMCTL_gethvmcontext_partial:
        return hvmcontext_partial(h, d, dc);
    case XEN_DOMCTL_shadow_op:
        return shadow_op(h, d, &dc->u.shadow_op);
    case XEN_DOMCTL_destroydomain:
        XS_STORE(&d->life, XS_GONE);
        xsim_log(h, "dom%u destroyed", d->domid);
        return 0;
    case XEN_DOMCTL_getvcpuinfo: {
        uint32_t v = dc->u.getvcpuinfo.vcpu;
        struct xsim_dommap *m = xsim_dommap(h, d);
        if (v > d->max_vcpu_id || !m)
            return -EINVAL;
        memset(&dc->u.getvcpuinfo, 0, sizeof(dc->u.getvcpuinfo));
        dc->u.getvcpuinfo.vcpu = v;
        dc->u.getvcpuinfo.online = m->vcpus[v].online;
        dc->u.getvcpuinfo.blocked = 1;
        return 0;
    }
    default:
        return unknown(h, "domctl", dc->cmd, 0);
    }
}

/* ---- sysctl -------------------------------------------------------------------------------- */

static long sysctl(struct xsim_handle *h, struct xen_sysctl *sc)
{
    if (sc->interface_version != xsim_release(h->w->xen_minor)->sysctl_version)
        return -EACCES;
    count(h->w->sysctl, 128, sc->cmd);
    if (sc->cmd != XEN_SYSCTL_getdomaininfolist)
        return unknown(h, "sysctl", sc->cmd, 0);
    struct xen_sysctl_getdomaininfolist *l = &sc->u.getdomaininfolist;
    xen_domctl_getdomaininfo_t *out = l->buffer.p;
    uint32_t n = 0;
    for (uint32_t id = l->first_domain; n < l->max_domains;) {
        struct xsim_domain *d = domain_from(h, id);
        if (!d)
            break;
        if (out)
            fill_info(h, d, &out[n]);
        n++;
        id = d->domid + 1;
    }
    l->num_domains = n;
    return 0;
}

/* ---- memory_op, xen_version, multicall ----------------------------------------------------- */

static long memory_op(struct xsim_handle *h, uint64_t cmd, void *arg)
{
    count(h->w->memory_op, 64, (unsigned)(cmd & MEMOP_CMD_MASK));
    switch (cmd & MEMOP_CMD_MASK) {
    case XENMEM_maximum_ram_page:
        return (long)h->w->max_mfn;
    case XENMEM_maximum_gpfn:
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation: {
        struct xsim_domain *d = xsim_domain(h, *(domid_t *)arg);
        if (!d)
            return -ESRCH;
        if ((cmd & MEMOP_CMD_MASK) == XENMEM_maximum_gpfn)
            return (long)d->max_gpfn;
        return (long)((cmd & MEMOP_CMD_MASK) == XENMEM_current_reservation ? d->tot_pages
                                                                           : d->max_pages);
    }
    case XENMEM_machphys_mfn_list: {
        /* The machine frame starting each 2 MiB piece of the M2P, as many as asked for and the
           table has (xen/arch/x86/x86_64/mm.c l.932-965); no XSM check there. */
        struct xen_machphys_mfn_list *l = arg;
        xen_pfn_t *out = l->extent_start.p;
        unsigned i;
        for (i = 0; i < l->max_extents && i < h->w->m2p_pieces; i++)
            out[i] = h->w->m2p_base + (uint64_t)i * 512;
        l->nr_extents = i;
        return 0;
    }
    default:
        return unknown(h, "memory_op", 12, (unsigned)cmd);
    }
}

/* ---- grant_table_op: what a dom0 tool asks of another domain's table ------------------------ */

static long grant_table_op(struct xsim_handle *h, uint64_t cmd, void *arg, uint64_t count_)
{
    count(h->w->gnttab, 16, (unsigned)cmd);
    if (count_ != 1)
        return -EINVAL;
    switch (cmd) {
    case GNTTABOP_get_version: {
        struct gnttab_get_version *op = arg;
        struct xsim_domain *d = xsim_domain(h, op->dom);
        if (!d)
            return -ESRCH;
        op->version = d->gnt_version;
        return 0;
    }
    case GNTTABOP_query_size: {
        struct gnttab_query_size *op = arg;
        struct xsim_domain *d = xsim_domain(h, op->dom);
        op->status = d ? GNTST_okay : GNTST_bad_domain;
        if (d) {
            op->nr_frames = d->gnt_nr_frames;
            op->max_nr_frames = XS_MAX_GNT;
        }
        return 0;
    }
    case GNTTABOP_setup_table: {
        /* The gfn of each frame (Xen's M2P): XS_GFN_NONE where the guest placed none. Asked for
           more frames than the table has, Xen grows it - a change to the guest that a dumper
           must never make: counted, and refused here. */
        struct gnttab_setup_table *op = arg;
        struct xsim_domain *d = xsim_domain(h, op->dom);
        op->status = d ? GNTST_okay : GNTST_bad_domain;
        if (d && op->nr_frames > d->gnt_nr_frames) {
            XS_ADD(&d->c.gnt_grow_asked, 1);
            xsim_log(h, "dom%u: setup_table asked for %u grant frames, the table has %u", d->domid,
                     op->nr_frames, d->gnt_nr_frames);
            op->status = GNTST_general_error;
        }
        for (uint32_t i = 0; op->status == GNTST_okay && i < op->nr_frames; i++)
            op->frame_list.p[i] = d->gnt_frame[i];
        return 0;
    }
    case GNTTABOP_get_status_frames: {
        struct gnttab_get_status_frames *op = arg;
        struct xsim_domain *d = xsim_domain(h, op->dom);
        op->status = !d                                                       ? GNTST_bad_domain
                     : d->gnt_version < 2 || op->nr_frames > d->gnt_nr_status ? GNTST_general_error
                                                                              : GNTST_okay;
        for (uint32_t i = 0; op->status == GNTST_okay && i < op->nr_frames; i++)
            op->frame_list.p[i] = d->gnt_status[i];
        return 0;
    }
    default:
        return unknown(h, "grant_table_op", 20, (unsigned)cmd);
    }
}

static long xen_version(struct xsim_handle *h, uint64_t cmd, void *arg)
{
    switch (cmd) {
    case XENVER_version:
        return (XS_XEN_MAJOR << 16) | h->w->xen_minor;
    case XENVER_extraversion:
        memset(arg, 0, sizeof(xen_extraversion_t));
        strcpy(arg, ".7-xensim");
        return 0;
    case XENVER_compile_info: {
        xen_compile_info_t *ci = arg;
        memset(ci, 0, sizeof(*ci));
        strcpy(ci->compiler, "xensim");
        strcpy(ci->compile_by, "xdump");
        strcpy(ci->compile_domain, "tests");
        strcpy(ci->compile_date, "simulated");
        return 0;
    }
    case XENVER_capabilities:
        memset(arg, 0, sizeof(xen_capabilities_info_t));
        strcpy(arg, "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64");
        return 0;
    case XENVER_changeset:
        memset(arg, 0, sizeof(xen_changeset_info_t));
        strcpy(arg, "xensim");
        return 0;
    case XENVER_platform_parameters:
        ((xen_platform_parameters_t *)arg)->virt_start = 0xffff800000000000ull;
        return 0;
    case XENVER_get_features:
        ((xen_feature_info_t *)arg)->submap = 0;
        return 0;
    case XENVER_pagesize:
        return XS_PAGE_SIZE;
    default:
        return unknown(h, "xen_version", 17, (unsigned)cmd);
    }
}

long xsim_hypercall(struct xsim_handle *h, uint64_t op, const uint64_t arg[5])
{
    count(h->w->hypercalls, 64, (unsigned)op);
    switch (op) {
    case __HYPERVISOR_domctl:
        return domctl(h, (struct xen_domctl *)(uintptr_t)arg[0]);
    case __HYPERVISOR_sysctl:
        return sysctl(h, (struct xen_sysctl *)(uintptr_t)arg[0]);
    case __HYPERVISOR_memory_op:
        return memory_op(h, arg[0], (void *)(uintptr_t)arg[1]);
    case __HYPERVISOR_xen_version:
        return xen_version(h, arg[0], (void *)(uintptr_t)arg[1]);
    case __HYPERVISOR_grant_table_op:
        return grant_table_op(h, arg[0], (void *)(uintptr_t)arg[1], arg[2]);
    case __HYPERVISOR_multicall: {
        multicall_entry_t *mc = (multicall_entry_t *)(uintptr_t)arg[0];
        for (uint64_t i = 0; i < arg[1]; i++) {
            uint64_t a[5];
            memcpy(a, mc[i].args, sizeof(a));
            mc[i].result = (xen_ulong_t)xsim_hypercall(h, mc[i].op, a);
        }
        return 0;
    }
    default:
        return unknown(h, "hypercall", (unsigned)op, 0);
    }
}

/* ---- mapping ------------------------------------------------------------------------------- */

static void delay(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (ns && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Applies the domain's injected faults to pfn: 0, or the -errno the frame answers. */
static int fault_for(struct xsim_handle *h, struct xsim_domain *d, uint64_t pfn)
{
    for (uint32_t i = 0; i < d->nr_faults; i++) {
        const struct xsim_fault *f = &d->faults[i];
        if (pfn < f->pfn || pfn - f->pfn >= f->count)
            continue;
        if (f->kind == XS_FAULT_FAIL)
            return -f->err;
        if (f->kind != XS_FAULT_PAGED)
            continue;
        uint32_t *tries = &h->w->paged_attempts[f->paged_slot + (pfn - f->pfn)];
        if (XS_LOAD(tries) < f->retries) {
            XS_ADD(tries, 1);
            return -ENOENT;
        }
    }
    return 0;
}

/* The M2P entry of machine frame mfn: the pfn of a PV domain's frame, as Xen set it when the
   frame joined the domain (guest_physmap_add_page(), xen/arch/x86/mm/physmap.c l.59) or as
   the guest rewrote it (the domain's `fault m2p`: MMU_MACHPHYS_UPDATE, xen/arch/x86/mm.c
   l.4210-4244, any value for a frame it owns); INVALID_M2P_ENTRY for any other frame (the
   table starts filled with 0xFF, xen/arch/x86/x86_64/mm.c l.581-583; a Xen page shared with
   a guest, shared_info, gets it again: share_xen_page_with_guest(), xen/arch/x86/mm.c l.501).
   HVM/PVH domains of xensim have no machine frames of their own. */
static uint64_t m2p_entry(struct xsim_handle *h, uint64_t mfn)
{
    for (uint32_t k = 0; k < h->w->nr_domains; k++) {
        struct xsim_domain *d = &h->w->dom[k];
        uint64_t pfn;
        if (d->type != XS_PV || XS_LOAD(&d->life) == XS_GONE || mfn < d->mfn_base ||
            mfn - d->mfn_base >= d->nr_frames || !xsim_frame_to_pfn(h, d, mfn, &pfn))
            continue;
        uint32_t nf = XS_LOAD(&d->nr_faults);
        for (uint32_t i = nf; i-- > 0;) { /* the latest write wins */
            const struct xsim_fault *f = &d->faults[i];
            if (f->kind == XS_FAULT_M2P && pfn >= f->pfn && pfn - f->pfn < f->count)
                return f->value == XS_GFN_NONE ? ~0ull : f->value + (pfn - f->pfn);
        }
        return pfn;
    }
    return ~0ull;
}

/* A frame of Xen's M2P, as a dom0 mapping of DOMID_XEN shows it: its page is written into
   the handle's memfd now (the table as it is at the time of the mapping). */
static int map_m2p_frame(struct xsim_handle *h, uint64_t frame, int *fd, uint64_t *off)
{
    uint64_t base = h->w->m2p_base, frames = h->w->m2p_pieces * 512;
    if (frame < base || frame - base >= frames)
        return -EBUSY; /* not a frame Xen shares: get_page_from_l1e(), xen/arch/x86/mm.c l.1046 */
    if (h->w->m2p_unmappable)
        return -EPERM;
    if (h->m2p_fd < 0) {
        h->m2p_fd = memfd_create("xensim-m2p", MFD_CLOEXEC);
        if (h->m2p_fd < 0 || ftruncate(h->m2p_fd, (off_t)(frames * XS_PAGE_SIZE)) < 0)
            return -errno;
    }
    uint64_t page[XS_PAGE_SIZE / 8];
    for (unsigned i = 0; i < XS_PAGE_SIZE / 8; i++)
        page[i] = m2p_entry(h, (frame - base) * (XS_PAGE_SIZE / 8) + i);
    *off = (frame - base) * XS_PAGE_SIZE;
    if (pwrite(h->m2p_fd, page, sizeof(page), (off_t)*off) != (ssize_t)sizeof(page))
        return -EIO;
    *fd = h->m2p_fd;
    XS_ADD(&h->w->m2p_frames_mapped, 1);
    return 0;
}

int xsim_map_frame(struct xsim_handle *h, uint32_t domid, uint64_t frame, int *fd, uint64_t *off)
{
    if (domid == DOMID_XEN)
        return map_m2p_frame(h, frame, fd, off);
    struct xsim_domain *d = xsim_domain(h, domid);
    if (!d)
        return -ESRCH; /* the domain is gone: Xen cannot look it up */
    struct xsim_dommap *m = xsim_dommap(h, d);
    if (!m)
        return -EIO;
    if (frame == d->shinfo_mfn && d->type == XS_PV) {
        *fd = m->shinfo_fd;
        *off = 0;
        return 0;
    }
    uint64_t pfn;
    if (!xsim_frame_to_pfn(h, d, frame, &pfn)) {
        XS_ADD(&d->c.frames_failed, 1);
        /* As measured on Xen 4.17: a machine frame a PV domain does not own answers -EBUSY
           (Xen's own low frames -EPERM); a gfn an HVM/PVH domain does not have, -EINVAL. */
        if (d->type != XS_PV)
            return -EINVAL;
        return frame < 0x100 ? -EPERM : -EBUSY;
    }
    int rc = fault_for(h, d, pfn);
    if (rc == -ENOENT) {
        XS_ADD(&d->c.frames_paged, 1);
        return rc;
    }
    if (rc) {
        XS_ADD(&d->c.frames_failed, 1);
        return rc;
    }
    uint64_t mapped = XS_ADD(&d->c.frames_mapped, 1);
    if (d->die_after && mapped > d->die_after) {
        if (XS_LOAD(&d->life) != XS_GONE)
            xsim_log(h, "dom%u dies after %llu frames mapped", d->domid,
                     (unsigned long long)d->die_after);
        XS_STORE(&d->life, XS_GONE);
        XS_ADD(&d->c.frames_mapped, (uint64_t)-1);
        XS_ADD(&d->c.frames_failed, 1);
        return -ESRCH;
    }
    delay(d->delay_ns);
    *fd = m->mem_fd;
    *off = xsim_pfn_offset(h, d, pfn);
    return 0;
}
