// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the crash hook's pure parts: --min-free, core names and their parsing back
 * (retention depends on it), --domain patterns, the state file's lines and which crash they
 * name, and what retention and free space delete (xd_watch_vacuum: the limits at their
 * boundaries, ties, a core that cannot be deleted, the empty list), as systemd-coredump's
 * test-coredump-vacuum.c tests its vacuum.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "watch.h"

Test(min_free, sizes_and_percentages)
{
    uint64_t b;
    unsigned pct;
    cr_assert_eq(xd_watch_parse_min_free("10%", &b, &pct), 0);
    cr_assert(pct == 10 && b == 0);
    cr_assert_eq(xd_watch_parse_min_free("512M", &b, &pct), 0);
    cr_assert(pct == 0 && b == 512ull << 20);
    cr_assert_eq(xd_watch_parse_min_free("2G", &b, &pct), 0);
    cr_assert_eq(b, 2ull << 30);
    cr_assert_eq(xd_watch_parse_min_free("3GiB", &b, &pct), 0);
    cr_assert_eq(b, 3ull << 30);
    cr_assert_eq(xd_watch_parse_min_free("1t", &b, &pct), 0);
    cr_assert_eq(b, 1ull << 40);
    cr_assert_eq(xd_watch_parse_min_free("4096", &b, &pct), 0);
    cr_assert_eq(b, 4096);
    cr_assert_eq(xd_watch_parse_min_free("0", &b, &pct), 0);
    cr_assert(b == 0 && pct == 0);
}

Test(min_free, nonsense_is_refused)
{
    uint64_t b;
    unsigned pct;
    const char *bad[] = {"",
                         "%",
                         "0%",
                         "100%",
                         "150%",
                         "-1G",
                         "G",
                         "10X",
                         "10MBs",
                         "1.5G",
                         "99999999999999999999",
                         "20000000000000T",
                         NULL};
    for (int i = 0; bad[i]; i++)
        cr_assert_eq(xd_watch_parse_min_free(bad[i], &b, &pct), -1, "'%s' accepted", bad[i]);
}

Test(names, file_names_are_tame)
{
    char out[80];
    xd_watch_file_name("web-1.example_com", out, sizeof(out));
    cr_assert_str_eq(out, "web-1.example_com");
    xd_watch_file_name("../etc/passwd", out, sizeof(out));
    cr_assert_str_eq(out, "_._etc_passwd");
    xd_watch_file_name("a b/c", out, sizeof(out));
    cr_assert_str_eq(out, "a_b_c");
    xd_watch_file_name("", out, sizeof(out));
    cr_assert_str_eq(out, "domain");
    char long_name[200];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = 0;
    xd_watch_file_name(long_name, out, sizeof(out));
    cr_assert_eq(strlen(out), 64);
}

Test(names, core_name_round_trip)
{
    char core[256], name[80], stamp[17];
    uint32_t domid;
    time_t t = 1700000000; /* 2023-11-14T22:13:20Z */
    xd_watch_core_name("web-blue-2", 42, t, core, sizeof(core));
    cr_assert_str_eq(core, "web-blue-2-42-20231114T221320Z.core");
    cr_assert(xd_watch_parse_core_name(core, name, sizeof(name), &domid, stamp));
    cr_assert_str_eq(name, "web-blue-2");
    cr_assert_eq(domid, 42);
    cr_assert_str_eq(stamp, "20231114T221320Z");
    /* A name that itself ends like "-<digits>" still parses from the right. */
    xd_watch_core_name("db-7", 7, t, core, sizeof(core));
    cr_assert(xd_watch_parse_core_name(core, name, sizeof(name), &domid, stamp));
    cr_assert_str_eq(name, "db-7");
    cr_assert_eq(domid, 7);
}

Test(names, other_files_are_not_cores)
{
    char name[80], stamp[17];
    uint32_t domid;
    const char *bad[] = {"web-1-20231114T221320Z.core.gz",
                         ".web-1-20231114T221320Z.core.xdump-AbCdEf",
                         "web-20231114T221320Z.core",
                         "-1-20231114T221320Z.core",
                         "web-x-20231114T221320Z.core",
                         "web-1-20231114X221320Z.core",
                         "web-1-2023111T221320Z.core",
                         "web-123456-20231114T221320Z.core",
                         "web.core",
                         ".xdump-watch.state",
                         NULL};
    for (int i = 0; bad[i]; i++)
        cr_assert(!xd_watch_parse_core_name(bad[i], name, sizeof(name), &domid, stamp),
                  "'%s' taken for a core", bad[i]);
}

Test(patterns, globs_and_ids)
{
    const char *p[] = {"web*", "12", "db-?"};
    cr_assert(xd_watch_matches(NULL, 0, "anything", 5));
    cr_assert(xd_watch_matches(p, 3, "web1", 3));
    cr_assert(xd_watch_matches(p, 3, "", 12));
    cr_assert(xd_watch_matches(p, 3, "db-a", 4));
    cr_assert(!xd_watch_matches(p, 3, "db-ab", 4));
    cr_assert(!xd_watch_matches(p, 3, "mail", 120));
    cr_assert(!xd_watch_matches(p, 3, "", 13)); /* no name: only an id pattern can name it */
}

Test(state, lines_round_trip)
{
    struct xd_watch_mark m = {.domid = 7}, back;
    strcpy(m.uuid, "0123abcd-0000-1111-2222-333344445555");
    strcpy(m.start, "1700000000.25");
    strcpy(m.core, "web1-7-20231114T221320Z.core");
    char line[512];
    xd_watch_mark_format(&m, line, sizeof(line));
    cr_assert_str_eq(line, "7 0123abcd-0000-1111-2222-333344445555 1700000000.25 "
                           "web1-7-20231114T221320Z.core\n");
    cr_assert(xd_watch_mark_parse(line, &back));
    cr_assert(back.domid == 7 && !strcmp(back.uuid, m.uuid) && !strcmp(back.start, m.start) &&
              !strcmp(back.core, m.core));
    m.start[0] = 0; /* unknown start time: "-" */
    xd_watch_mark_format(&m, line, sizeof(line));
    cr_assert(strstr(line, " - "));
    cr_assert(xd_watch_mark_parse(line, &back));
    cr_assert_str_eq(back.start, "");
    cr_assert(!xd_watch_mark_parse("garbage\n", &back));
    cr_assert(!xd_watch_mark_parse("7 short-uuid - x.core\n", &back));
    cr_assert(!xd_watch_mark_parse("70000 0123abcd-0000-1111-2222-333344445555 - x.core\n", &back));
}

Test(state, which_crash_a_line_names)
{
    struct xd_watch_mark a = {.domid = 7}, b;
    strcpy(a.uuid, "0123abcd-0000-1111-2222-333344445555");
    strcpy(a.start, "1700000000.25");
    b = a;
    cr_assert(xd_watch_mark_same(&a, &b));
    b.start[0] = 0; /* xenstore did not answer this time: id and UUID decide */
    cr_assert(xd_watch_mark_same(&a, &b));
    strcpy(b.start, "1700000999.00"); /* the same id and UUID, started again: another crash */
    cr_assert(!xd_watch_mark_same(&a, &b));
    b = a;
    b.domid = 8; /* restarted by the toolstack: a new domid */
    cr_assert(!xd_watch_mark_same(&a, &b));
    b = a;
    b.uuid[0] = 'f';
    cr_assert(!xd_watch_mark_same(&a, &b));
}

/* ---- retention and free space: xd_watch_vacuum() ------------------------------------------ */

#define MiB (1ull << 20)

/* A core of the guest: its stamp (the day of January 2024, and a second), domid, size. */
static struct xd_watch_core core(int day, int second, uint32_t domid, uint64_t bytes)
{
    struct xd_watch_core c = {.domid = domid, .bytes = bytes};
    snprintf(c.stamp, sizeof(c.stamp), "202401%02dT0000%02dZ", day, second);
    return c;
}

/* After a dump: which go of cores[] at keep, as a string of indices ("1,0"). */
static const char *after(const struct xd_watch_core *cores, size_t n, unsigned keep)
{
    static char out[64];
    size_t del[16];
    struct xd_watch_room r = {.keep = keep};
    struct xd_watch_plan p = xd_watch_vacuum(cores, n, &r, del);
    cr_assert(p.fits, "nothing is coming: fits");
    out[0] = 0;
    for (size_t i = 0; i < p.ndelete; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%zu", i ? "," : "", del[i]);
    return out;
}

/* A core is coming: it needs `need`, the filesystem of 1000 MiB has `avail` free. */
static struct xd_watch_room coming(unsigned keep, uint64_t need, uint64_t min_free, uint64_t avail)
{
    return (struct xd_watch_room){.keep = keep,
                                  .coming = true,
                                  .need = need,
                                  .total = 1000 * MiB,
                                  .min_free = min_free,
                                  .avail = avail};
}

Test(retention, which_files_are_the_guests_cores)
{
    struct xd_watch_core c;
    cr_assert(xd_watch_core_of("app-9-20240102T000000Z.core", "app", &c));
    cr_assert(c.domid == 9 && !strcmp(c.stamp, "20240102T000000Z") && !c.bytes && !c.stays);
    cr_assert(!xd_watch_core_of("app2-4-20230101T000000Z.core", "app", &c)); /* another guest */
    cr_assert(!xd_watch_core_of("app-9-20240102T000000Z.core", "app2", &c));
    cr_assert(!xd_watch_core_of("app-x-20240101T000000Z.core", "app", &c)); /* not a core name */
    cr_assert(!xd_watch_core_of(".app-6-20200101T000000Z.core.xdump-Ab12Cd", "app", &c));
    cr_assert(!xd_watch_core_of("README", "app", &c));
    cr_assert(xd_watch_core_of("db-7-7-20240101T000000Z.core", "db-7", &c)); /* '-' in names */
    cr_assert_eq(c.domid, 7);
}

Test(retention, max_count_after_a_dump)
{
    struct xd_watch_core c[] = {
        core(2, 0, 9, MiB), /* 0 */
        core(1, 0, 3, MiB), /* 1: the oldest */
        core(3, 0, 2, MiB), /* 2: the newest */
        core(1, 0, 5, MiB), /* 3: the same second as 1, a higher domid: newer */
    };
    cr_assert_str_eq(after(c, 4, 2), "1,3");
    cr_assert_str_eq(after(c, 4, 1), "1,3,0");
    cr_assert_str_eq(after(c, 4, 3), "1");
    cr_assert_str_eq(after(c, 4, 4), ""); /* the boundary: exactly keep */
    cr_assert_str_eq(after(c, 4, 5), "");
    cr_assert_str_eq(after(c, 4, 0), "");    /* --keep 0: all are kept */
    cr_assert_str_eq(after(NULL, 0, 1), ""); /* the empty list */
    size_t del[4];
    struct xd_watch_room r = {.keep = 2};
    cr_assert_eq(xd_watch_vacuum(c, 4, &r, del).freed, 2 * MiB);
}

Test(retention, ties_are_ordered_by_domid_then_place)
{
    struct xd_watch_core c[] = {core(5, 7, 4, 1), core(5, 7, 2, 1), core(5, 7, 4, 1),
                                core(5, 6, 9, 1)};
    /* 3 (a second earlier), then 1 (domid 2), then 0 and 2 (the same stamp and domid: by place) */
    cr_assert_str_eq(after(c, 4, 1), "3,1,0");
    cr_assert_str_eq(after(c, 4, 2), "3,1");
}

Test(retention, a_core_that_cannot_be_deleted)
{
    struct xd_watch_core c[] = {core(1, 0, 1, MiB), core(2, 0, 1, MiB), core(3, 0, 1, MiB)};
    c[0].stays = true; /* say, a directory named like a core */
    /* It counts among the cores (the two newest are kept), never goes, frees nothing. */
    cr_assert_str_eq(after(c, 3, 2), "");
    cr_assert_str_eq(after(c, 3, 1), "1");
    size_t del[3];
    struct xd_watch_room r = coming(1, 10 * MiB, 10 * MiB, 19 * MiB);
    /* Short by 1 MiB: with keep 1 every core may make room; the one that stays is left, the
       other two go. */
    struct xd_watch_plan p = xd_watch_vacuum(c, 3, &r, del);
    cr_assert(p.fits && p.ndelete == 2 && p.freed == 2 * MiB && del[0] == 1 && del[1] == 2);
    r.avail = 18 * MiB + 512 * 1024; /* 1.5 MiB short: the one that can go is not enough */
    c[2].stays = true;
    p = xd_watch_vacuum(c, 3, &r, del);
    cr_assert(!p.fits && p.ndelete == 0 && p.freed == 0);
}

Test(retention, min_free_space_before_a_dump)
{
    struct xd_watch_core c[] = {core(1, 0, 1, 4 * MiB), core(2, 0, 1, 4 * MiB),
                                core(3, 0, 1, 4 * MiB)};
    size_t del[3];
    struct xd_watch_room r = coming(3, 10 * MiB, 20 * MiB, 30 * MiB);
    /* The boundary: avail - floor == need fits, one byte less does not. */
    struct xd_watch_plan p = xd_watch_vacuum(c, 3, &r, del);
    cr_assert(p.fits && p.ndelete == 0 && p.floor == 20 * MiB);
    r.avail--;
    p = xd_watch_vacuum(c, 3, &r, del);
    /* Room is made from the cores beyond keep - 1 = 2 (the coming one is the third): one. */
    cr_assert(p.fits && p.ndelete == 1 && del[0] == 0 && p.freed == 4 * MiB);
    /* A percentage of the filesystem: 10% of 1000 MiB = 100 MiB. */
    r.min_free_pct = 10;
    r.avail = 110 * MiB;
    p = xd_watch_vacuum(c, 3, &r, del);
    cr_assert(p.fits && p.ndelete == 0 && p.floor == 100 * MiB);
    r.avail = 107 * MiB; /* 3 MiB short: the oldest's 4 MiB make it */
    p = xd_watch_vacuum(c, 3, &r, del);
    cr_assert(p.fits && p.ndelete == 1);
    r.avail = 105 * MiB; /* 5 MiB short: one core is not enough, and nothing goes for nothing */
    p = xd_watch_vacuum(c, 3, &r, del);
    cr_assert(!p.fits && p.ndelete == 0 && p.freed == 0);
    r.keep = 1; /* keep 1: every core may make room for the coming one */
    p = xd_watch_vacuum(c, 3, &r, del);
    cr_assert(p.fits && p.ndelete == 3 && p.freed == 12 * MiB);
    cr_assert(del[0] == 0 && del[1] == 1 && del[2] == 2);
    r.keep = 0; /* --keep 0: nothing is ever deleted, the dump does not fit */
    p = xd_watch_vacuum(c, 3, &r, del);
    cr_assert(!p.fits && p.ndelete == 0);
    r.min_free_pct = 0;
    r.min_free = 2000 * MiB; /* a floor above the filesystem's free space: never fits */
    r.keep = 1;
    p = xd_watch_vacuum(c, 3, &r, del);
    cr_assert(!p.fits && p.ndelete == 0);
}

Test(retention, max_bytes_the_coming_core_and_the_dumps_in_progress)
{
    struct xd_watch_core c[] = {core(1, 0, 1, 8 * MiB), core(2, 0, 1, 8 * MiB)};
    size_t del[2];
    struct xd_watch_room r = coming(2, 16 * MiB, 0, 32 * MiB);
    r.busy = 16 * MiB; /* promised to dumps in progress: 32 free = busy 16 + need 16 */
    cr_assert(xd_watch_vacuum(c, 2, &r, del).fits);
    r.busy++;
    struct xd_watch_plan p = xd_watch_vacuum(c, 2, &r, del);
    cr_assert(p.fits && p.ndelete == 1 && p.freed == 8 * MiB);
    r.busy = 40 * MiB; /* more than is free: no deletion can help */
    p = xd_watch_vacuum(c, 2, &r, del);
    cr_assert(!p.fits && p.ndelete == 0);
    r.busy = 0;
    r.need = UINT64_MAX; /* a guest larger than any disk */
    p = xd_watch_vacuum(c, 2, &r, del);
    cr_assert(!p.fits && p.ndelete == 0);
    r.need = 1;
    r.avail = UINT64_MAX - 4 * MiB; /* no overflow when the freed bytes are added */
    r.min_free = UINT64_MAX;
    p = xd_watch_vacuum(c, 2, &r, del);
    cr_assert(!p.fits && p.ndelete == 0);
}

Test(retention, empty_list_only_says_whether_it_fits)
{
    struct xd_watch_room r = coming(3, 10 * MiB, 10 * MiB, 20 * MiB);
    struct xd_watch_plan p = xd_watch_vacuum(NULL, 0, &r, NULL);
    cr_assert(p.fits && p.ndelete == 0 && p.floor == 10 * MiB);
    r.avail--;
    p = xd_watch_vacuum(NULL, 0, &r, NULL);
    cr_assert(!p.fits && p.ndelete == 0 && p.freed == 0);
}

Test(names, events_have_names)
{
    cr_assert_str_eq(xd_watch_event_name(XD_EV_DUMP_DONE), "dump-done");
    cr_assert_str_eq(xd_watch_event_name(XD_EV_STOPPED), "stopped");
    cr_assert_str_eq(xd_watch_event_name(999), "event");
    cr_assert_str_eq(xd_watch_then_name(XD_THEN_RESTART), "restart");
}
