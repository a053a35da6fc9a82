/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Retention and free space. Before each dump the filesystem must keep --min-free after the
 * dump at its largest (every present page, none of them a hole) and after what the dumps in
 * progress may still write; if not, the guest's cores that retention would delete anyway go
 * first, and if it still does not fit, the dump is skipped and said so. After a dump, the
 * guest's cores beyond --keep go.
 *
 * What goes is decided by one pure function, xd_watch_vacuum() (tests/unit/test_watch.c);
 * the rest of this file measures (readdir, lstat, statvfs) and carries it out (unlink).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "private.h"

/* ---- the pure part ------------------------------------------------------------------------- */

int xd_watch_parse_min_free(const char *s, uint64_t *bytes, unsigned *pct)
{
    char *end;
    errno = 0;
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    *bytes = 0;
    *pct = 0;
    if (!strcmp(end, "%")) {
        if (v < 1 || v > 99)
            return -1;
        *pct = (unsigned)v;
        return 0;
    }
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 0:
        break;
    case 'K':
        shift = 10;
        break;
    case 'M':
        shift = 20;
        break;
    case 'G':
        shift = 30;
        break;
    case 'T':
        shift = 40;
        break;
    default:
        return -1;
    }
    if (*end && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
        return -1;
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *bytes = (uint64_t)v << shift;
    return 0;
}

bool xd_watch_core_of(const char *file, const char *guest, struct xd_watch_core *core)
{
    char name[256];
    struct xd_watch_core c = {0};
    if (!xd_watch_parse_core_name(file, name, sizeof(name), &c.domid, c.stamp) ||
        strcmp(name, guest))
        return false;
    *core = c;
    return true;
}

/* Oldest first: by time, then domid; then by place, so that the order is always the same. */
static int older(const void *a, const void *b, void *ctx)
{
    const struct xd_watch_core *cores = ctx, *x = &cores[*(const size_t *)a],
                               *y = &cores[*(const size_t *)b];
    int c = strcmp(x->stamp, y->stamp);
    if (c)
        return c;
    if (x->domid != y->domid)
        return x->domid < y->domid ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : *(const size_t *)a > *(const size_t *)b;
}

/* Whether avail keeps the floor, the dumps in progress and the coming core. */
static bool room_for(uint64_t avail, uint64_t floor, uint64_t busy, uint64_t need)
{
    return avail >= floor && avail - floor >= busy && avail - floor - busy >= need;
}

struct xd_watch_plan xd_watch_vacuum(const struct xd_watch_core *cores, size_t n,
                                     const struct xd_watch_room *r, size_t *del)
{
    struct xd_watch_plan p = {0};
    p.floor = r->min_free_pct ? r->total / 100 * r->min_free_pct : r->min_free;
    p.fits = !r->coming || room_for(r->avail, p.floor, r->busy, r->need);
    if (!r->keep || (r->coming && p.fits) || !n)
        return p;
    size_t keep = r->coming ? r->keep - 1 : r->keep;
    if (n <= keep)
        return p;
    for (size_t i = 0; i < n; i++)
        del[i] = i;
    qsort_r(del, n, sizeof(*del), older, (void *)cores);
    for (size_t i = 0; i < n - keep; i++)
        if (!cores[del[i]].stays) {
            p.freed += cores[del[i]].bytes;
            del[p.ndelete++] = del[i];
        }
    if (r->coming) {
        p.fits = p.freed && r->avail + p.freed >= r->avail &&
                 room_for(r->avail + p.freed, p.floor, r->busy, r->need);
        if (!p.fits)
            p.ndelete = 0, p.freed = 0; /* never a core for a dump skipped all the same */
    }
    return p;
}

/* A core's largest size: every present page and its index entry, the vCPU contexts, room. */
uint64_t xd_watch_estimate(const struct guest *g)
{
    return g->tot_pages * 4096 + g->tot_pages * 16 + (uint64_t)(g->vcpus + 1) * 8192 + (1u << 20);
}

/* ---- on the disk --------------------------------------------------------------------------- */

/* The guest's cores in the directory (names[] beside them): how many; 0 on any failure too
   (then nothing is deleted). */
static size_t list_cores(struct watch *w, const struct guest *g, struct xd_watch_core **cores,
                         char ***names)
{
    *cores = NULL;
    *names = NULL;
    DIR *d = opendir(w->c->dir);
    if (!d)
        return 0;
    size_t n = 0, cap = 0;
    struct dirent *e;
    struct xd_watch_core c;
    while ((e = readdir(d)) != NULL) {
        if (!xd_watch_core_of(e->d_name, g->fname, &c))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct xd_watch_core *more = realloc(*cores, cap * sizeof(**cores));
            char **nmore = more ? realloc(*names, cap * sizeof(**names)) : NULL;
            if (more)
                *cores = more;
            if (!nmore)
                break;
            *names = nmore;
        }
        char p[4096];
        struct stat st;
        xd_watch_path(w, e->d_name, p, sizeof(p));
        if (lstat(p, &st) == 0) {
            c.bytes = S_ISREG(st.st_mode) ? (uint64_t)st.st_blocks * 512 : 0;
            c.stays = S_ISDIR(st.st_mode); /* unlink(2) cannot take it */
        }
        if (!((*names)[n] = strdup(e->d_name)))
            break;
        (*cores)[n++] = c;
    }
    closedir(d);
    return n;
}

static void free_list(struct xd_watch_core *cores, char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(cores);
}

/* Plans for the guest's cores and deletes what the plan says: the plan. */
static struct xd_watch_plan vacuum(struct watch *w, const struct guest *g,
                                   const struct xd_watch_room *r, const char *why)
{
    struct xd_watch_core *cores;
    char **names;
    size_t n = list_cores(w, g, &cores, &names);
    size_t *del = calloc(n ? n : 1, sizeof(*del));
    struct xd_watch_plan p = {0}; /* out of memory: nothing goes */
    if (del)
        p = xd_watch_vacuum(cores, n, r, del);
    for (size_t i = 0; i < p.ndelete; i++) {
        char path[4096];
        xd_watch_path(w, names[del[i]], path, sizeof(path));
        if (unlink(path) == 0)
            xd_watch_emit(w, XD_EV_DELETED, g, path, "deleted %s (%s: --keep %u)", path, why,
                          w->c->keep);
        else
            xd_watch_emit(w, XD_EV_WARNING, g, path, "cannot delete %s: %s", path, strerror(errno));
    }
    free(del);
    free_list(cores, names, n);
    return p;
}

void xd_watch_retain(struct watch *w, const struct guest *g)
{
    struct xd_watch_room r = {.keep = w->c->keep};
    if (r.keep)
        vacuum(w, g, &r, "older than the newest");
}

/* The filesystem now, and what the dumps in progress may still write. */
static int measure(struct watch *w, struct xd_watch_room *r, char *why, size_t n)
{
    struct statvfs vfs;
    if (statvfs(w->c->dir, &vfs) < 0) {
        snprintf(why, n, "cannot measure the free space of %s: %s", w->c->dir, strerror(errno));
        return -1;
    }
    r->avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    r->total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    r->busy = 0;
    for (size_t i = 0; i < w->njobs; i++)
        r->busy += w->jobs[i].skipped ? 0 : w->jobs[i].estimate;
    return 0;
}

bool xd_watch_make_room(struct watch *w, const struct guest *g, uint64_t need, char *why, size_t n)
{
    struct xd_watch_room r = {.keep = w->c->keep,
                              .min_free = w->c->min_free,
                              .min_free_pct = w->c->min_free_pct,
                              .coming = true,
                              .need = need};
    if (measure(w, &r, why, n) < 0)
        return false;
    struct xd_watch_plan p = xd_watch_vacuum(NULL, 0, &r, NULL);
    if (!p.fits && vacuum(w, g, &r, "to make room for a new core").ndelete) {
        /* What the unlinks truly freed (one may have failed), as the filesystem says. */
        if (measure(w, &r, why, n) < 0)
            return false;
        p = xd_watch_vacuum(NULL, 0, &r, NULL);
    }
    if (p.fits)
        return true;
    char promised[96] = "";
    if (r.busy)
        snprintf(promised, sizeof(promised), " (%.1f MiB of it promised to dumps in progress)",
                 r.busy / MIB);
    snprintf(why, n,
             "the core could take %.1f MiB; %s has %.1f MiB free%s, and --min-free keeps %.1f MiB",
             need / MIB, w->c->dir, r.avail / MIB, promised, p.floor / MIB);
    return false;
}
