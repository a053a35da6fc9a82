/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash hook's directory and what it remembers. The directory is created 0700 and locked
 * (one daemon a directory); partial cores a dead run left are removed. "Dumped once" survives
 * restarts through the state file: one line per dumped crash, naming the domain by id, UUID
 * (Xen's handle) and the toolstack's start time (<vm>/start_time in xenstore), so a domid that
 * Xen hands out again is a different crash. The parent alone writes here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"
#include "sink.h"
#include "xdump.h"

#define LOCK_NAME ".xdump-watch.lock"

/* ---- the state file's lines (pure) --------------------------------------------------------- */

bool xd_watch_mark_parse(const char *line, struct xd_watch_mark *m)
{
    unsigned long id;
    char uuid[64], start[64], core[512];
    if (sscanf(line, "%lu %63s %63s %511s", &id, uuid, start, core) != 4 || id >= 0x7ff0 ||
        strlen(uuid) != 36 || strlen(start) >= sizeof(m->start) || strlen(core) >= sizeof(m->core))
        return false;
    m->domid = (uint32_t)id;
    memcpy(m->uuid, uuid, 37);
    snprintf(m->start, sizeof(m->start), "%.31s", strcmp(start, "-") ? start : "");
    snprintf(m->core, sizeof(m->core), "%.255s", core);
    return true;
}

void xd_watch_mark_format(const struct xd_watch_mark *m, char *out, size_t n)
{
    snprintf(out, n, "%u %s %s %s\n", m->domid, m->uuid, m->start[0] ? m->start : "-", m->core);
}

bool xd_watch_mark_same(const struct xd_watch_mark *a, const struct xd_watch_mark *b)
{
    return a->domid == b->domid && !strcmp(a->uuid, b->uuid) &&
           (!a->start[0] || !b->start[0] || !strcmp(a->start, b->start));
}

void xd_watch_path(const struct watch *w, const char *base, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", w->c->dir, base);
}

int xd_watch_make_dir(struct watch *w)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s", w->c->dir);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s)
            continue;
        char keep = *s;
        *s = 0;
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            return fail(w, XDUMP_E_OUTPUT, "cannot create %s: %s", p, strerror(errno));
        *s = keep;
        if (!keep)
            break;
    }
    struct stat st;
    if (stat(w->c->dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return fail(w, XDUMP_E_OUTPUT, "%s is not a directory", w->c->dir);
    if (st.st_mode & 077)
        xd_watch_emit(w, XD_EV_WARNING, NULL, NULL,
                      "%s can be read by other users, and cores hold guest memory: chmod 700 it",
                      w->c->dir);
    return 0;
}

int xd_watch_take_lock(struct watch *w)
{
    char p[4096];
    xd_watch_path(w, LOCK_NAME, p, sizeof(p));
    w->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (w->lock_fd < 0)
        return fail(w, XDUMP_E_OUTPUT, "cannot create %s: %s", p, strerror(errno));
    if (flock(w->lock_fd, LOCK_EX | LOCK_NB) < 0)
        return fail(w, XDUMP_E_FAIL, "another xdump watch is using %s (%s is locked)", w->c->dir,
                    p);
    return 0;
}

/* Partial cores of an earlier run that was killed (ours alone: the directory is locked). */
void xd_watch_remove_partials(struct watch *w, const char *only_base)
{
    DIR *d = opendir(w->c->dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        const char *n = e->d_name, *mark = strstr(n, ".core" XD_SINK_TMP_MARK);
        if (n[0] != '.' || !mark)
            continue;
        if (only_base &&
            (strncmp(n + 1, only_base, strlen(only_base)) || n + 1 + strlen(only_base) != mark + 5))
            continue;
        char p[4096];
        xd_watch_path(w, n, p, sizeof(p));
        if (unlink(p) == 0)
            xd_watch_emit(w, XD_EV_WARNING, NULL, p,
                          "removed a partial core left by a dump that died: %s", p);
    }
    if (d)
        closedir(d);
}

/* A --state FILE in a directory that is missing (a tmpfs /run without xdump's room): its
   directory is made, as the dump directory is; if that fails, one warning - the state only
   keeps a restarted watch from dumping a crash twice, it must not keep the watch from starting. */
void xd_watch_make_state_dir(struct watch *w)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s", w->state_path);
    char *slash = strrchr(p, '/');
    if (!slash || slash == p)
        return;
    *slash = 0;
    if (mkdir(p, 0700) < 0 && errno != EEXIST)
        xd_watch_emit(
            w, XD_EV_WARNING, NULL, NULL,
            "cannot create %s for the state file (%s): a restarted watch may dump a crash again", p,
            strerror(errno));
}

int xd_watch_load_state(struct watch *w)
{
    FILE *f = fopen(w->state_path, "re");
    if (!f)
        return errno == ENOENT
                   ? 0
                   : fail(w, XDUMP_E_OUTPUT, "cannot read %s: %s", w->state_path, strerror(errno));
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        struct xd_watch_mark m;
        if (!xd_watch_mark_parse(line, &m))
            continue;
        struct xd_watch_mark *more = realloc(w->marks, (w->nmarks + 1) * sizeof(*more));
        if (!more) {
            fclose(f);
            return fail(w, XDUMP_E_FAIL, "out of memory");
        }
        w->marks = more;
        w->marks[w->nmarks++] = m;
    }
    fclose(f);
    return 0;
}

/* Rewrites the whole state file (after pruning), atomically. */
void xd_watch_save_state(struct watch *w)
{
    char tmp[4200], line[512];
    snprintf(tmp, sizeof(tmp), "%s.new", w->state_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    for (size_t i = 0; ok && i < w->nmarks; i++) {
        xd_watch_mark_format(&w->marks[i], line, sizeof(line));
        ok = write(fd, line, strlen(line)) == (ssize_t)strlen(line);
    }
    ok = ok && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok || rename(tmp, w->state_path) < 0) {
        xd_watch_emit(w, XD_EV_WARNING, NULL, NULL, "cannot rewrite %s: %s", w->state_path,
                      strerror(errno));
        unlink(tmp);
    }
}

void xd_watch_add_mark(struct watch *w, const struct guest *g, const char *base)
{
    struct xd_watch_mark m = {.domid = g->domid};
    snprintf(m.uuid, sizeof(m.uuid), "%s", g->uuid);
    snprintf(m.start, sizeof(m.start), "%s", g->start);
    snprintf(m.core, sizeof(m.core), "%s", base);
    struct xd_watch_mark *more = realloc(w->marks, (w->nmarks + 1) * sizeof(*more));
    if (more) {
        w->marks = more;
        w->marks[w->nmarks++] = m;
    }
    char line[512];
    xd_watch_mark_format(&m, line, sizeof(line));
    int fd = open(w->state_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line) && fsync(fd) == 0;
    if (!ok)
        xd_watch_emit(w, XD_EV_WARNING, g, NULL,
                      "cannot record the dump in %s (%s): a restart would dump this crash again",
                      w->state_path, strerror(errno));
    if (fd >= 0)
        close(fd);
}
