// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the crash hook's pure parts: --min-free, core names and their parsing back
 * (retention depends on it), --domain patterns, the state file's lines and which crash they
 * name, and which cores retention picks.
 */
#include <criterion/criterion.h>
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

Test(retention, oldest_of_the_guest_beyond_keep)
{
    const char *files[] = {
        "app-9-20240102T000000Z.core",               /* 0 */
        "app-3-20240101T000000Z.core",               /* 1: oldest */
        "app-2-20240103T000000Z.core",               /* 2: newest */
        "app-x-20240101T000000Z.core",               /* 3: not a core name */
        "app2-4-20230101T000000Z.core",              /* 4: another guest */
        "app-5-20240101T000000Z.core",               /* 5: same second as 1, higher domid: newer */
        ".app-6-20200101T000000Z.core.xdump-Ab12Cd", /* 6: in progress */
        "README",                                    /* 7 */
    };
    size_t out[8], n = sizeof(files) / sizeof(files[0]);
    size_t k = xd_watch_select_old(files, n, "app", 2, out);
    cr_assert_eq(k, 2);
    cr_assert_eq(out[0], 1);
    cr_assert_eq(out[1], 5);
    cr_assert_eq(xd_watch_select_old(files, n, "app", 4, out), 0);
    cr_assert_eq(xd_watch_select_old(files, n, "app", 0, out), 4); /* keep none */
    cr_assert_eq(xd_watch_select_old(files, n, "app2", 1, out), 0);
    k = xd_watch_select_old(files, n, "app", 1, out);
    cr_assert_eq(k, 3);
    cr_assert(out[0] == 1 && out[1] == 5 && out[2] == 0);
}

Test(names, events_have_names)
{
    cr_assert_str_eq(xd_watch_event_name(XD_EV_DUMP_DONE), "dump-done");
    cr_assert_str_eq(xd_watch_event_name(XD_EV_STOPPED), "stopped");
    cr_assert_str_eq(xd_watch_event_name(999), "event");
    cr_assert_str_eq(xd_watch_then_name(XD_THEN_RESTART), "restart");
}
