/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file plan, the notes and the ELF head: sizes agree with what is encoded, segments point
   where the pages are, the reserved room for unmappable runs is exactly filled. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "elfw.h"
#include "layout.h"
#include "notes.h"
#include "p2m.h"

static struct xd_frames three_runs(void)
{
    struct xd_frames f = {0};
    for (uint64_t pfn = 0; pfn < 0x20; pfn++)
        xd_frames_add(&f, pfn, true, 0x5000 + pfn);
    for (uint64_t pfn = 0x100; pfn < 0x140; pfn++)
        xd_frames_add(&f, pfn, true, 0x7000 + pfn);
    for (uint64_t pfn = 0x1000; pfn < 0x1001; pfn++)
        xd_frames_add(&f, pfn, true, 0x9000);
    return f;
}

/* The head's pieces (elfw.c) gathered in one buffer of l->pages_off bytes, zero-padded. */
struct gather {
    uint8_t *buf;
    size_t off, cap;
};

static int gather(void *ctx, const void *b, size_t n)
{
    struct gather *g = ctx;
    cr_assert_leq(g->off + n, g->cap);
    memcpy(g->buf + g->off, b, n);
    g->off += n;
    return 0;
}

static void head_into(const struct xd_layout *l, const struct xd_layout_in *in, uint8_t *head)
{
    memset(head, 0, l->pages_off);
    struct gather g = {head, 0, l->pages_off};
    cr_assert_eq(xd_elfw_head(l, in, gather, &g), 0);
    cr_assert_eq(g.off, XD_EHDR_SIZE + l->phnum * XD_PHDR_SIZE);
}

Test(layout, offsets_are_ordered_aligned_and_sized)
{
    struct xd_frames f = three_runs();
    struct xd_layout_in in = {.type = XD_PV,
                              .frames = &f,
                              .nvcpus = 3,
                              .nctx = 2,
                              .have_shinfo = true,
                              .fail_reserve = 10};
    struct xd_layout l;
    cr_assert_eq(xd_layout_plan(&in, &l), 0);
    cr_assert_eq(l.npages, 0x20 + 0x40 + 1);
    cr_assert_eq(l.phnum, 1 + 3);
    cr_assert_eq(l.pages_off % 4096, 0);
    cr_assert_geq(l.pages_off, sizeof(Elf64_Ehdr) + l.phnum * sizeof(Elf64_Phdr));
    cr_assert_eq(l.index_off, l.pages_off + l.npages * 4096);
    cr_assert_eq(l.index_entsize, 16);
    /* a stream's plan: the notes after the index, Xen's four last */
    cr_assert_geq(l.notes_off, l.index_off + l.npages * 16);
    cr_assert(l.fail_off > l.notes_off && l.xen_notes_off > l.fail_off);
    cr_assert_eq(l.xen_notes_off + l.xen_notes_size, l.notes_off + l.notes_size);
    cr_assert_geq(l.prstatus_off, l.notes_off + l.notes_size);
    cr_assert_eq(l.shinfo_off, l.prstatus_off + 2 * XD_CTX_SIZE);
    cr_assert_eq(l.shoff % 8, 0);
    cr_assert_eq(l.file_size, l.shoff + l.shnum * sizeof(Elf64_Shdr));
    cr_assert_eq(xd_layout_pfn_offset(&l, &f, 0x101), l.pages_off + (0x20 + 1) * 4096);
    cr_assert_eq(xd_layout_pfn_offset(&l, &f, 0x99), 0);

    /* a file's plan: the same notes between the program headers and the pages */
    struct xd_layout lf;
    in.notes_first = true;
    cr_assert_eq(xd_layout_plan(&in, &lf), 0);
    cr_assert_eq(lf.notes_size, l.notes_size);
    cr_assert_eq(lf.notes_off, sizeof(Elf64_Ehdr) + lf.phnum * sizeof(Elf64_Phdr));
    cr_assert_eq(lf.pages_off % 4096, 0);
    cr_assert_geq(lf.pages_off, lf.notes_off + lf.notes_size);
    cr_assert_eq(lf.xen_notes_off - lf.notes_off, l.xen_notes_off - l.notes_off);
    cr_assert_eq(lf.index_off, lf.pages_off + lf.npages * 4096);
    cr_assert_geq(lf.prstatus_off, lf.index_off + lf.npages * 16);

    /* re-planned for more room: the notes move behind the index, the pages stay */
    in.notes_first = false;
    in.fail_reserve = 100000;
    in.pages_at = lf.pages_off;
    struct xd_layout lr;
    cr_assert_eq(xd_layout_plan(&in, &lr), 0);
    cr_assert_eq(lr.pages_off, lf.pages_off);
    cr_assert_gt(lr.notes_size, lf.notes_size);
    cr_assert_geq(lr.notes_off, lr.index_off + lr.npages * 16);
    in.pages_at = 4096 * 1000 + 1; /* not a page boundary */
    cr_assert_eq(xd_layout_plan(&in, &lr), -1);
    xd_frames_free(&f);
}

static struct xd_vcpu *vcpus3(void)
{
    struct xd_vcpu *v = calloc(3, sizeof(*v));
    for (uint32_t i = 0; i < 3; i++) {
        v[i].id = i;
        v[i].state = i == 1 ? XD_VCPU_NONE : XD_VCPU_ONLINE;
        v[i].rip = 0xffffffff81000000ull + i;
        v[i].rsp = 0x1000 * i;
        v[i].r15 = 15;
        v[i].cr[3] = 0x1234000;
    }
    return v;
}

/* Walks the encoded notes; returns their count, and the last XDUMP note's type and size. */
static int walk_notes(const uint8_t *p, uint64_t size, uint32_t *last_type, uint32_t *last_desc)
{
    int n = 0;
    for (uint64_t off = 0; off < size; n++) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, p + off, 4), memcpy(&descsz, p + off + 4, 4), memcpy(&type, p + off + 8, 4);
        *last_type = type;
        *last_desc = descsz;
        off += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
        cr_assert_leq(off, size, "note %d overruns the segment", n);
    }
    return n;
}

/* The notes of a 3-vCPU PV guest (two with a context), two unmappable runs, room for reserve. */
static struct xd_notes_in pv_notes_in(struct xd_vcpu *v, struct xd_xenver *x,
                                      struct xd_dumpdesc *desc, struct xd_badrun *bad,
                                      uint64_t reserve)
{
    return (struct xd_notes_in){.vcpus = v,
                                .nvcpus = 3,
                                .type = XD_PV,
                                .npages = 9,
                                .xen = x,
                                .desc = desc,
                                .bad = bad,
                                .nbad = 2,
                                .fail_reserve = reserve};
}

Test(notes, encoded_size_matches_plan_with_and_without_padding)
{
    struct xd_vcpu *v = vcpus3();
    struct xd_xenver x = {.major = 4, .minor = 17};
    uint8_t states[3] = {1, 0, 1};
    struct xd_dumpdesc desc = {.nr_vcpus = 3, .vcpu_state = states};
    struct xd_badrun bad[2] = {{0x10, 4, 14}, {0x20, 1, 1}};
    for (uint64_t reserve = 2; reserve <= 5; reserve++) {
        struct xd_notes_in in = pv_notes_in(v, &x, &desc, bad, reserve);
        uint64_t xoff, xsize, foff,
            size = xd_notes_size(2, 3, reserve, false, &xoff, &xsize, &foff);
        uint8_t *buf = malloc(size + 64);
        memset(buf, 0xcc, size + 64);
        xd_notes_encode(&in, buf);
        cr_assert_eq(buf[size], 0xcc, "wrote past the planned size");
        uint32_t type, dsz;
        /* the PT_NOTE part: 2 CORE + 2 QEMU + desc + unmappable + padding */
        cr_assert_eq(xoff + xsize, size);
        cr_assert_eq(walk_notes(buf, xoff, &type, &dsz), 7);
        cr_assert_eq(type, 0x58440003u, "the padding note closes the segment");
        /* then Xen's four, section .note.Xen only */
        cr_assert_eq(walk_notes(buf + xoff, xsize, &type, &dsz), 4);
        cr_assert_eq(type, 0x2000003u);
        uint32_t fsz;
        memcpy(&fsz, buf + foff + 4, 4);
        cr_assert_eq(fsz, 48, "the unmappable note holds exactly the runs");
        uint64_t first;
        memcpy(&first, buf + foff + 20, 8);
        cr_assert_eq(first, 0x10);
        free(buf);
    }
    free(v);
}

Test(notes, vmcoreinfo_fills_the_reserved_room)
{
    struct xd_vcpu *v = vcpus3();
    struct xd_xenver x = {0};
    uint8_t states[3] = {1, 0, 1};
    struct xd_dumpdesc desc = {.nr_vcpus = 3, .vcpu_state = states};
    static char text[XD_VMCOREINFO_MAX];
    memset(text, 'A', sizeof(text));
    memcpy(text, "OSRELEASE=6.1.0-x\n", 18);
    for (size_t len = 18; len <= XD_VMCOREINFO_MAX; len += 1013) {
        struct xd_notes_in in = {.vcpus = v,
                                 .nvcpus = 3,
                                 .type = XD_HVM,
                                 .xen = &x,
                                 .desc = &desc,
                                 .fail_reserve = 1,
                                 .vmcoreinfo = text,
                                 .vmcoreinfo_len = len};
        uint64_t xoff, size = xd_notes_size(2, 3, 1, false, &xoff, NULL, NULL);
        uint8_t *buf = malloc(size + 8);
        memset(buf, 0xcc, size + 8);
        xd_notes_encode(&in, buf);
        cr_assert_eq(buf[size], 0xcc);
        uint32_t type, dsz;
        cr_assert_eq(walk_notes(buf, size, &type, &dsz), 12);
        cr_assert_eq(walk_notes(buf, xoff, &type, &dsz), 8);
        cr_assert_eq(type, 0x58440003u);
        cr_assert(memmem(buf, size, "VMCOREINFO", 11) != NULL);
        free(buf);
    }
    free(v);
}

Test(notes, prstatus_in_gdb_order)
{
    struct xd_vcpu *v = vcpus3();
    uint8_t pr[XD_PRSTATUS_SIZE];
    xd_note_prstatus(&v[2], pr);
    int32_t pid;
    uint64_t r15, rip, rsp;
    memcpy(&pid, pr + 32, 4);
    memcpy(&r15, pr + 112, 8);
    memcpy(&rip, pr + 112 + 16 * 8, 8);
    memcpy(&rsp, pr + 112 + 19 * 8, 8);
    cr_assert_eq(pid, 3);
    cr_assert_eq(r15, 15);
    cr_assert_eq(rip, 0xffffffff81000002ull);
    cr_assert_eq(rsp, 0x2000);
    free(v);
}

struct piece {
    uint64_t vaddr, pfn, n, off; /* pfn: the piece's paddr */
};
static struct piece pieces[16];
static int npieces;

static void record(void *ctx, uint64_t vaddr, uint64_t pfn, uint64_t n, uint64_t off)
{
    (void)ctx;
    pieces[npieces++] = (struct piece){vaddr, pfn, n, off};
}

/* 0x80 pages from pfn 0: runs 0-0x1f and 0x100.. are apart; 0x20-0x7f are not in the file */
static const struct xd_vrange two_ranges[2] = {{0xffff888000000000ull, 0x0, 0x80},
                                               {0xffffffff81000000ull, 0x110, 0x40}};

static struct xd_layout_in hvm_in(const struct xd_frames *f, size_t nvranges)
{
    return (struct xd_layout_in){.type = XD_HVM,
                                 .frames = f,
                                 .vranges = two_ranges,
                                 .nvranges = nvranges,
                                 .nvcpus = 1,
                                 .nctx = 1,
                                 .fail_reserve = 1};
}

Test(layout, virtual_ranges_split_where_the_file_has_no_page)
{
    struct xd_frames f = three_runs();
    struct xd_layout_in in = hvm_in(&f, 2);
    struct xd_layout l;
    cr_assert_eq(xd_layout_plan(&in, &l), 0);
    npieces = 0;
    xd_layout_vpieces(&l, &in, record, NULL);
    cr_assert_eq(npieces, 2);
    cr_assert_eq(l.nvirt, 2);
    /* the linear map (the biggest piece below __START_KERNEL_map) comes last: makedumpfile
       takes PAGE_OFFSET from the last such PT_LOAD */
    cr_assert(l.have_linear);
    cr_assert_eq(l.linear_delta, 0xffff888000000000ull);
    cr_assert_eq(pieces[1].vaddr, 0xffff888000000000ull);
    cr_assert_eq(pieces[1].n, 0x20);
    cr_assert_eq(pieces[1].off, l.pages_off);
    cr_assert_eq(pieces[0].vaddr, 0xffffffff81000000ull);
    cr_assert_eq(pieces[0].n, 0x30, "clipped at the end of the run 0x100-0x13f");
    cr_assert_eq(pieces[0].off, l.pages_off + (0x20 + 0x10) * 4096);

    uint8_t *head = malloc(l.pages_off);
    head_into(&l, &in, head);
    Elf64_Ehdr eh;
    memcpy(&eh, head, sizeof(eh));
    cr_assert_eq(eh.e_type, ET_CORE);
    cr_assert_eq(eh.e_phnum, 1 + 3 + 2);
    Elf64_Phdr ph[6];
    memcpy(ph, head + eh.e_phoff, sizeof(ph));
    cr_assert_eq(ph[0].p_type, PT_NOTE);
    cr_assert_eq(ph[2].p_paddr, 0x100000);
    cr_assert_eq(ph[2].p_vaddr, 0);
    cr_assert_eq(ph[4].p_vaddr, 0xffffffff81000000ull);
    cr_assert_eq(ph[4].p_paddr, 0x110000);
    cr_assert_eq(ph[4].p_align, 0);
    cr_assert_eq(ph[5].p_vaddr - ph[5].p_paddr, 0xffff888000000000ull, "the linear map, last");
    free(head);
    xd_frames_free(&f);
}

/* A pre-copy's head keeps room for more program headers than it writes (dump.c plan()): the
   pages start after the room, and a re-plan with other virtual pieces keeps them there while
   its pieces fit, and fails (-1) when they would reach the pages. */
Test(layout, room_for_program_headers_keeps_the_pages_in_place)
{
    struct xd_frames f = three_runs();
    struct xd_layout_in in = hvm_in(&f, 1);
    struct xd_layout l0, l, lr;
    cr_assert_eq(xd_layout_plan(&in, &l0), 0);
    cr_assert_eq(l0.phdr_room, l0.phnum, "no room asked: as many as written");
    in.phdr_room = 300; /* 300 program headers: 16.8 KiB, past the first plan's pages */
    cr_assert_eq(xd_layout_plan(&in, &l), 0);
    cr_assert_eq(l.phnum, l0.phnum, "the room is not written: e_phnum is what the head has");
    cr_assert_eq(l.phdr_room, 300);
    cr_assert_geq(l.notes_off, XD_EHDR_SIZE + 300 * XD_PHDR_SIZE);
    cr_assert_gt(l.pages_off, l0.pages_off);

    in.nvranges = 2; /* the pause's tables: one range more */
    in.pages_at = l.pages_off;
    cr_assert_eq(xd_layout_plan(&in, &lr), 0);
    cr_assert_eq(lr.phnum, l.phnum + 1);
    cr_assert_eq(lr.pages_off, l.pages_off);
    cr_assert_eq(lr.notes_off, l.notes_off);
    in.nvranges = 0;
    cr_assert_eq(xd_layout_plan(&in, &lr), 0);
    cr_assert_eq(lr.pages_off, l.pages_off);
    cr_assert_eq(lr.nvirt, 0);

    in.phdr_room = 0; /* without the room, more pieces than the first plan's do not fit */
    in.nvranges = 2;
    in.pages_at = l0.pages_off;
    struct xd_vrange many[400];
    for (int i = 0; i < 400; i++) /* every other page: a piece each */
        many[i] = (struct xd_vrange){0xffffc90000000000ull + 0x2000ull * (uint64_t)i, 0x100, 1};
    in.vranges = many;
    in.nvranges = 400;
    cr_assert_eq(xd_layout_plan(&in, &lr), -1);
    xd_frames_free(&f);
}

Test(layout, pn_xnum)
{
    struct xd_frames f = {0};
    for (uint64_t i = 0; i < 70000; i++)
        xd_frames_add(&f, 2 * i, false, 0);
    struct xd_layout_in in = {
        .type = XD_HVM, .frames = &f, .nvcpus = 1, .nctx = 1, .fail_reserve = 1};
    struct xd_layout l;
    cr_assert_eq(xd_layout_plan(&in, &l), 0);
    uint8_t *head = malloc(l.pages_off), sh[7 * 64];
    head_into(&l, &in, head);
    xd_elfw_shdrs(&l, &in, sh);
    Elf64_Ehdr eh;
    Elf64_Shdr s0;
    memcpy(&eh, head, sizeof(eh));
    memcpy(&s0, sh, sizeof(s0));
    cr_assert_eq(eh.e_phnum, PN_XNUM);
    cr_assert_eq(s0.sh_info, 70001);
    free(head);
    xd_frames_free(&f);
}

/* PV cores for crash (xenkdump.h): machine-contiguous pieces, and the synthetic p2m frame lists
   that lead crash from the CRASH_INFO note's machine frame to every pfn's mfn. */
static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

Test(xenkdump, machine_pieces_and_frame_lists)
{
    struct xd_frames f = {0};
    for (uint64_t pfn = 0; pfn < 10; pfn++) /* mfns 100..104, then 200..204: two pieces */
        xd_frames_add(&f, pfn, true, pfn < 5 ? 100 + pfn : 195 + pfn);
    xd_frames_add(&f, 1000, true, 50); /* p2m page 1 */
    xd_frames_add(&f, 1001, true, 7);
    xd_frames_add(&f, XD_XK_MAX_PFNS + 3, true, 300); /* beyond what crash can read */
    cr_assert_eq(xd_xk_machine_pieces(&f, NULL, NULL), 2 + 2 + 1);

    struct xd_xk x;
    cr_assert_eq(xd_xk_plan(&f, &x), 0);
    cr_assert_eq(x.truncated, 1);
    cr_assert_eq(x.np2m, XD_XK_MAX_PFNS / 512);
    cr_assert_eq(x.nfl, 512);
    cr_assert_eq(x.npresent, 2);
    cr_assert_eq(x.npages, 1 + 512 + 1 + 2);
    cr_assert_eq(x.base_mfn, 512, "above the highest mfn (300), on a 2 MiB boundary");

    uint8_t page[4096];
    xd_xk_page(&x, &f, 0, page); /* the frame-list list: 512 frame lists, dense */
    for (int i = 0; i < 512; i++)
        cr_assert_eq(rd64(page + 8 * i), x.base_mfn + 1 + i);
    uint64_t empty = x.base_mfn + 1 + 512;
    xd_xk_page(&x, &f, 1, page); /* frame list 0: p2m pages 0, 1 present; the rest empty */
    cr_assert_eq(rd64(page), empty + 1);
    cr_assert_eq(rd64(page + 8), empty + 2);
    cr_assert_eq(rd64(page + 16), empty);
    cr_assert_eq(rd64(page + 8 * 511), empty);
    xd_xk_page(&x, &f, 512, page); /* the last frame list: all empty, still dense */
    cr_assert_eq(rd64(page + 8 * 511), empty);
    xd_xk_page(&x, &f, 1 + 512, page);
    cr_assert_eq(rd64(page), UINT64_MAX);
    xd_xk_page(&x, &f, 1 + 512 + 1, page); /* p2m page 0 */
    cr_assert_eq(rd64(page + 8 * 4), 104);
    cr_assert_eq(rd64(page + 8 * 5), 200);
    cr_assert_eq(rd64(page + 8 * 10), UINT64_MAX);
    xd_xk_page(&x, &f, 1 + 512 + 2, page); /* p2m page 1: pfns 512..1023 */
    cr_assert_eq(rd64(page + 8 * (1000 - 512)), 50);
    cr_assert_eq(rd64(page + 8 * (1001 - 512)), 7);
    cr_assert_eq(rd64(page + 8 * (999 - 512)), UINT64_MAX);
    xd_xk_free(&x);
    xd_frames_free(&f);
}

Test(xenkdump, layout_places_the_machine_view)
{
    struct xd_frames f = three_runs(); /* mfns 0x5000.., 0x7100.., 0x9000: 3 pieces */
    struct xd_xk x;
    cr_assert_eq(xd_xk_plan(&f, &x), 0);
    struct xd_layout_in in = {.type = XD_PV,
                              .frames = &f,
                              .nvcpus = 1,
                              .nctx = 1,
                              .fail_reserve = 4,
                              .notes_first = true,
                              .xk = &x};
    struct xd_layout l;
    cr_assert_eq(xd_layout_plan(&in, &l), 0);
    cr_assert_eq(l.nmach, 3 + 1);
    cr_assert_eq(l.nphys, 0, "a PV core has no pfn-addressed PT_LOADs");
    cr_assert_eq(l.phnum, 1 + 4);
    cr_assert_eq(l.xk_off % 4096, 0);
    cr_assert_geq(l.xk_off, l.index_off + l.npages * 16);
    cr_assert_geq(l.prstatus_off, l.xk_off + x.npages * 4096);
    uint8_t *head = malloc(l.pages_off);
    head_into(&l, &in, head);
    Elf64_Phdr ph[5];
    memcpy(ph, head + sizeof(Elf64_Ehdr), sizeof(ph));
    cr_assert_eq(ph[1].p_paddr, 0x5000ull << 12);
    cr_assert_eq(ph[1].p_offset, l.pages_off);
    cr_assert_eq(ph[1].p_flags & XD_PF_MACHINE, XD_PF_MACHINE);
    cr_assert_eq(ph[3].p_paddr, 0x9000ull << 12);
    cr_assert_eq(ph[4].p_flags & (XD_PF_MACHINE | XD_PF_XDUMP), XD_PF_MACHINE | XD_PF_XDUMP);
    cr_assert_eq(ph[4].p_offset, l.xk_off);
    cr_assert_eq(ph[4].p_paddr, x.base_mfn << 12);
    free(head);
    xd_xk_free(&x);
    xd_frames_free(&f);
}

/* A PV core's p_paddr is a machine address everywhere: a virtual piece also ends where the
   machine frames stop being consecutive, and names the machine address of its first page. */
Test(xenkdump, pv_virtual_pieces_are_machine_addressed)
{
    struct xd_frames f = {0};
    for (uint64_t pfn = 0; pfn < 8; pfn++) /* mfns 0x40-0x43, then 0x10-0x13: pfns overlap */
        xd_frames_add(&f, pfn, true, pfn < 4 ? 0x40 + pfn : 0x10 + pfn - 4);
    struct xd_xk x;
    cr_assert_eq(xd_xk_plan(&f, &x), 0);
    struct xd_vrange vr[1] = {{0xffff888000000000ull, 0x2, 0x5}}; /* pfns 2-6 */
    struct xd_layout_in in = {.type = XD_PV,
                              .frames = &f,
                              .vranges = vr,
                              .nvranges = 1,
                              .nvcpus = 1,
                              .nctx = 1,
                              .fail_reserve = 1,
                              .notes_first = true,
                              .xk = &x};
    struct xd_layout l;
    cr_assert_eq(xd_layout_plan(&in, &l), 0);
    npieces = 0;
    xd_layout_vpieces(&l, &in, record, NULL);
    cr_assert_eq(npieces, 2);
    cr_assert_eq(l.nvirt, 2);
    cr_assert_eq(pieces[0].pfn, 0x42ull << 12, "the paddr of pfn 2 is its machine address");
    cr_assert_eq(pieces[0].n, 2);
    cr_assert_eq(pieces[0].off, l.pages_off + 2 * 4096);
    cr_assert_eq(pieces[1].vaddr, 0xffff888000000000ull + 2 * 4096);
    cr_assert_eq(pieces[1].pfn, 0x10ull << 12);
    cr_assert_eq(pieces[1].n, 3);
    cr_assert_eq(l.phnum, 1 + 2 + 1 + 2, "note, 2 machine pieces, the p2m lists, 2 virtual");
    xd_xk_free(&x);
    xd_frames_free(&f);
}

/* The dense encoding (no padding zeros in memory) is the full one with the zeros cut out, and
   fits its bound, for reserves from the runs it holds to many more. */
Test(notes, dense_encoding_is_the_full_one_without_its_zeros)
{
    struct xd_vcpu *v = vcpus3();
    struct xd_xenver x = {.major = 4, .minor = 17};
    uint8_t states[3] = {1, 0, 1};
    struct xd_dumpdesc desc = {.nr_vcpus = 3, .vcpu_state = states};
    struct xd_badrun bad[2] = {{0x10, 4, 14}, {0x20, 1, 1}};
    for (uint64_t reserve = 2; reserve <= 40000; reserve = reserve * 7 + 1) {
        struct xd_notes_in in = pv_notes_in(v, &x, &desc, bad, reserve);
        uint64_t size = xd_notes_size(2, 3, reserve, false, NULL, NULL, NULL);
        uint64_t bound = xd_notes_dense_size(size, reserve, 2), at, len;
        uint8_t *full = malloc(size), *dense = malloc(bound + 64);
        memset(dense, 0xcc, bound + 64);
        xd_notes_encode(&in, full);
        xd_notes_encode_dense(&in, dense, &at, &len);
        cr_assert_eq(dense[bound], 0xcc, "wrote past the bound");
        cr_assert_leq(size - len, bound);
        cr_assert_eq(memcmp(full, dense, at), 0);
        for (uint64_t i = at; i < at + len; i++)
            cr_assert_eq(full[i], 0);
        cr_assert_eq(memcmp(full + at + len, dense + at, size - at - len), 0);
        if (reserve > 1000)
            cr_assert_gt(len, reserve * 20, "the zeros are the reserve's");
        free(full);
        free(dense);
    }
    free(v);
}
