/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash hook's names (pure): a core's file name from the guest's name, id and the time
 * (and back, for retention), events and actions by name, which guests --domain names.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

const char *xd_watch_event_name(int kind)
{
    static const char *names[] = {"started",      "crash-seen", "already-dumped", "ignored",
                                  "dump-started", "dump-done",  "dump-failed",    "dump-skipped",
                                  "deleted",      "then-done",  "then-failed",    "warning",
                                  "stopping",     "stopped"};
    return kind >= 0 && kind < (int)(sizeof(names) / sizeof(names[0])) ? names[kind] : "event";
}

const char *xd_watch_then_name(int then)
{
    return then == XD_THEN_RESTART ? "restart" : then == XD_THEN_PRESERVE ? "preserve" : "destroy";
}

void xd_watch_file_name(const char *name, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < n && k < 64; p++) {
        unsigned char ch = (unsigned char)*p;
        bool ok = isalnum(ch) || ch == '.' || ch == '_' || ch == '+' || ch == '-';
        out[k] = ok && !(k == 0 && ch == '.') ? (char)ch : '_';
        k++;
    }
    out[k] = 0;
    if (!k)
        snprintf(out, n, "domain");
}

void xd_watch_core_name(const char *name, uint32_t domid, time_t when, char *out, size_t n)
{
    char safe[80], stamp[32];
    struct tm tm;
    xd_watch_file_name(name, safe, sizeof(safe));
    gmtime_r(&when, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, n, "%s-%u-%s.core", safe, domid, stamp);
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool xd_watch_parse_core_name(const char *file, char *name, size_t namelen, uint32_t *domid,
                              char *stamp)
{
    size_t len = strlen(file);
    /* <name>-<domid>-YYYYmmddTHHMMSSZ.core: parsed from the right, names may hold '-'. */
    if (len < 5 + 17 + 2 + 1 || strcmp(file + len - 5, ".core") || file[0] == '.')
        return false;
    const char *st = file + len - 5 - 16;
    if (st[-1] != '-' || !digits(st, 8) || st[8] != 'T' || !digits(st + 9, 6) || st[15] != 'Z')
        return false;
    const char *id_end = st - 1, *id = id_end;
    while (id > file && isdigit((unsigned char)id[-1]))
        id--;
    if (id == id_end || id_end - id > 5 || id - file < 2 || id[-1] != '-')
        return false;
    size_t nlen = (size_t)(id - 1 - file);
    if (nlen + 1 > namelen)
        return false;
    memcpy(name, file, nlen);
    name[nlen] = 0;
    *domid = (uint32_t)strtoul(id, NULL, 10);
    memcpy(stamp, st, 16);
    stamp[16] = 0;
    return true;
}

bool xd_watch_matches(const char *const *patterns, size_t n, const char *name, uint32_t domid)
{
    char id[16];
    snprintf(id, sizeof(id), "%u", domid);
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(patterns[i], id) || (name[0] && fnmatch(patterns[i], name, 0) == 0))
            return true;
    return false;
}
