/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash hook (see watch.h), as an event loop in one process:
 *
 *   xenstore @releaseDomain --> re-list the domains --> crashed, new? --> queue
 *   queue --> a worker process per dump (at most `jobs`): xdump_dump() to a temporary name,
 *             renamed when complete; then the action (xl destroy / xl create, or Xen's
 *             destroydomain). The worker reports over a pipe; the parent alone logs, keeps
 *             the state file and applies retention.
 *
 * "Dumped once" survives restarts through the state file: one line per dumped crash, naming
 * the domain by id, UUID (Xen's handle) and the toolstack's start time (<vm>/start_time in
 * xenstore), so a domid that Xen hands out again is a different crash. Lines of domains that
 * no longer exist are dropped. Failed and skipped dumps are only remembered in memory: a
 * restart of the daemon (or SIGHUP) tries them again.
 *
 * Space: before each dump the filesystem must keep min-free after the dump at its largest
 * (every present page, none of them a hole) and after what the dumps in progress may still
 * write; if not, the guest's cores that retention would delete anyway go first, and if it
 * still does not fit, the dump is skipped and said so.
 */
#include "watch.h"
#include "err.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain.h"
#include "sink.h"
#include "xdump.h"

extern char **environ;

#define STATE_NAME ".xdump-watch.state"
#define LOCK_NAME ".xdump-watch.lock"
#define TICK_MS 200 /* longest sleep: signals are seen within this */
#define MIB (1024.0 * 1024.0)

/* ---- the pure parts ------------------------------------------------------------------------ */

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

struct aged {
    const char *stamp; /* points into a parsed copy */
    uint32_t domid;
    size_t idx;
};

static int by_age(const void *a, const void *b)
{
    const struct aged *x = a, *y = b;
    int c = strcmp(x->stamp, y->stamp);
    if (c)
        return c;
    return x->domid < y->domid ? -1 : x->domid > y->domid;
}

size_t xd_watch_select_old(const char *const *files, size_t n, const char *name, unsigned keep,
                           size_t *out)
{
    struct aged *a = calloc(n ? n : 1, sizeof(*a));
    char(*stamps)[17] = calloc(n ? n : 1, sizeof(*stamps));
    size_t m = 0, k = 0;
    if (!a || !stamps) {
        free(a), free(stamps);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char guest[256];
        uint32_t domid;
        if (xd_watch_parse_core_name(files[i], guest, sizeof(guest), &domid, stamps[i]) &&
            !strcmp(guest, name))
            a[m++] = (struct aged){stamps[i], domid, i};
    }
    qsort(a, m, sizeof(*a), by_age);
    for (; m > keep && k < m - keep; k++)
        out[k] = a[k].idx;
    free(a);
    free(stamps);
    return k;
}

/* ---- the daemon's state -------------------------------------------------------------------- */

/* A crashed domain, as the daemon knows it. */
struct guest {
    uint32_t domid;
    char name[64];  /* xenstore's; may be empty */
    char fname[80]; /* for file names */
    char uuid[37];
    char start[32];
    uint64_t tot_pages;
    uint32_t vcpus;
    bool paused; /* when seen: a worker that dies must not leave it otherwise */
};

/* What a worker tells the parent (one write each, atomic on a pipe). */
enum { MSG_WARN = 1, MSG_DUMPED = 2, MSG_THEN = 3 };
struct msg {
    uint32_t kind;
    int32_t status; /* MSG_DUMPED: XDUMP_*; MSG_THEN: 0 done, 1 failed */
    uint64_t bytes;
    double seconds;
    char text[1024];
};
_Static_assert(sizeof(struct msg) <= 4096, "a message must be one atomic pipe write");

struct job {
    pid_t pid;
    int fd;  /* struct msg from the worker; -1 at its end */
    int efd; /* the worker's stderr (the library's guardian writes there too); -1 at its end */
    struct guest g;
    char path[4096]; /* the core's final path */
    char base[256];
    uint64_t estimate;
    bool skipped, dumped, acted, failed, busy;
    size_t have, ehave;
    struct msg in;
    char eline[1024];
};

/* A crash seen in this run (to say things once), with how it ended. */
struct seen {
    uint32_t domid;
    char uuid[37];
    bool failed; /* dump failed or skipped: SIGHUP tries again */
    bool busy;   /* another xdump was dumping it: tried again at retry_ms */
    long retry_ms;
};

struct watch {
    const struct xd_watch_config *c;
    struct xd_host *host;
    char state_path[4096];
    int lock_fd;
    struct xd_watch_mark *marks;
    size_t nmarks;
    struct seen *seen;
    size_t nseen;
    struct guest *queue;
    size_t nqueue;
    struct job *jobs;
    size_t njobs;
    bool stopping, need_scan, xs_lost;
    int failures;
    char *err;
    size_t errlen;
};

static void emit(struct watch *w, int kind, const struct guest *g, const char *file,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void emit_ev(struct watch *w, struct xd_watch_event ev, const struct guest *g,
                    const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (g) {
        ev.domid = g->domid;
        ev.name = g->name;
        ev.uuid = g->uuid;
    } else {
        ev.name = ev.uuid = "";
    }
    ev.message = msg;
    if (w->c->log)
        w->c->log(w->c->ctx, &ev);
}

static void emit(struct watch *w, int kind, const struct guest *g, const char *file,
                 const char *fmt, ...)
{
    struct xd_watch_event ev = {.kind = kind, .file = file};
    va_list ap;
    va_start(ap, fmt);
    emit_ev(w, ev, g, fmt, ap);
    va_end(ap);
}

static void emit_full(struct watch *w, struct xd_watch_event ev, const struct guest *g,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void emit_full(struct watch *w, struct xd_watch_event ev, const struct guest *g,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_ev(w, ev, g, fmt, ap);
    va_end(ap);
}

#define fail(w, status, ...) xd_fail((w)->err, (w)->errlen, status, __VA_ARGS__)

static void uuid_text(const uint8_t u[16], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

static void path_in_dir(const struct watch *w, const char *base, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", w->c->dir, base);
}

/* ---- the directory: creation, lock, state file, retention, space --------------------------- */

static int make_dir(struct watch *w)
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
        emit(w, XD_EV_WARNING, NULL, NULL,
             "%s can be read by other users, and cores hold guest memory: chmod 700 it", w->c->dir);
    return 0;
}

static int take_lock(struct watch *w)
{
    char p[4096];
    path_in_dir(w, LOCK_NAME, p, sizeof(p));
    w->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (w->lock_fd < 0)
        return fail(w, XDUMP_E_OUTPUT, "cannot create %s: %s", p, strerror(errno));
    if (flock(w->lock_fd, LOCK_EX | LOCK_NB) < 0)
        return fail(w, XDUMP_E_FAIL, "another xdump watch is using %s (%s is locked)", w->c->dir,
                    p);
    return 0;
}

/* Partial cores of an earlier run that was killed (ours alone: the directory is locked). */
static void remove_partials(struct watch *w, const char *only_base)
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
        path_in_dir(w, n, p, sizeof(p));
        if (unlink(p) == 0)
            emit(w, XD_EV_WARNING, NULL, p, "removed a partial core left by a dump that died: %s",
                 p);
    }
    if (d)
        closedir(d);
}

/* A --state FILE in a directory that is missing (a tmpfs /run without xdump's room): its
   directory is made, as the dump directory is; if that fails, one warning - the state only
   keeps a restarted watch from dumping a crash twice, it must not keep the watch from starting. */
static void make_state_dir(struct watch *w)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s", w->state_path);
    char *slash = strrchr(p, '/');
    if (!slash || slash == p)
        return;
    *slash = 0;
    if (mkdir(p, 0700) < 0 && errno != EEXIST)
        emit(w, XD_EV_WARNING, NULL, NULL,
             "cannot create %s for the state file (%s): a restarted watch may dump a crash again",
             p, strerror(errno));
}

static int load_state(struct watch *w)
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
static void save_state(struct watch *w)
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
        emit(w, XD_EV_WARNING, NULL, NULL, "cannot rewrite %s: %s", w->state_path, strerror(errno));
        unlink(tmp);
    }
}

static void add_mark(struct watch *w, const struct guest *g, const char *base)
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
        emit(w, XD_EV_WARNING, g, NULL,
             "cannot record the dump in %s (%s): a restart would dump this crash again",
             w->state_path, strerror(errno));
    if (fd >= 0)
        close(fd);
}

/* Deletes the guest's cores beyond the `keep` newest (only counts them when dry): the bytes
   that frees. */
static uint64_t retention(struct watch *w, const struct guest *g, unsigned keep, const char *why,
                          bool dry)
{
    uint64_t freed = 0;
    if (!w->c->keep)
        return 0;
    DIR *d = opendir(w->c->dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !strstr(e->d_name, ".core"))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **more = realloc(names, cap * sizeof(*names));
            if (!more)
                break;
            names = more;
        }
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    size_t *old = calloc(n ? n : 1, sizeof(*old));
    size_t k = old ? xd_watch_select_old((const char *const *)names, n, g->fname, keep, old) : 0;
    for (size_t i = 0; i < k; i++) {
        char p[4096];
        struct stat st;
        path_in_dir(w, names[old[i]], p, sizeof(p));
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
            freed += (uint64_t)st.st_blocks * 512;
        if (dry)
            continue;
        if (unlink(p) == 0)
            emit(w, XD_EV_DELETED, g, p, "deleted %s (%s: --keep %u)", p, why, w->c->keep);
        else
            emit(w, XD_EV_WARNING, g, p, "cannot delete %s: %s", p, strerror(errno));
    }
    free(old);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return freed;
}

/* A core's largest size: every present page and its index entry, the vCPU contexts, room. */
static uint64_t estimate(const struct guest *g)
{
    return g->tot_pages * 4096 + g->tot_pages * 16 + (uint64_t)(g->vcpus + 1) * 8192 + (1u << 20);
}

/* Whether the filesystem keeps min-free after this dump and those in progress, once `freed`
   more bytes are free. */
static bool fits(struct watch *w, uint64_t need, uint64_t freed, char *why, size_t n)
{
    struct statvfs vfs;
    if (statvfs(w->c->dir, &vfs) < 0) {
        snprintf(why, n, "cannot measure the free space of %s: %s", w->c->dir, strerror(errno));
        return false;
    }
    uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize + freed;
    uint64_t total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    uint64_t floor = w->c->min_free_pct ? total / 100 * w->c->min_free_pct : w->c->min_free;
    uint64_t busy = 0;
    for (size_t i = 0; i < w->njobs; i++)
        busy += w->jobs[i].skipped ? 0 : w->jobs[i].estimate;
    if (avail >= floor && avail - floor >= busy && avail - floor - busy >= need)
        return true;
    char promised[96] = "";
    if (busy)
        snprintf(promised, sizeof(promised), " (%.1f MiB of it promised to dumps in progress)",
                 busy / MIB);
    snprintf(why, n,
             "the core could take %.1f MiB; %s has %.1f MiB free%s, and --min-free keeps %.1f MiB",
             need / MIB, w->c->dir, avail / MIB, promised, floor / MIB);
    return false;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* ---- workers ------------------------------------------------------------------------------- */

/* A worker's only global: the flag its SIGTERM handler sets, which xdump_dump() polls. */
static volatile int worker_stop;

static void worker_on_signal(int sig)
{
    (void)sig;
    worker_stop = 1;
}

static void send_msg(int fd, uint32_t kind, int32_t status, uint64_t bytes, double seconds,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void send_msg(int fd, uint32_t kind, int32_t status, uint64_t bytes, double seconds,
                     const char *fmt, ...)
{
    struct msg m = {.kind = kind, .status = status, .bytes = bytes, .seconds = seconds};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m.text, sizeof(m.text), fmt, ap);
    va_end(ap);
    ssize_t r;
    do
        r = write(fd, &m, sizeof(m));
    while (r < 0 && errno == EINTR);
}

struct worker_ctx {
    int fd;
};

static void worker_warn(void *ctx, const char *line)
{
    struct worker_ctx *wc = ctx;
    send_msg(wc->fd, MSG_WARN, 0, 0, 0, "%s", line);
}

/* Runs a program to its exit, its output kept in memory - not in a pipe, which a daemon it
   starts (`xl create` leaves one behind) could hold open. 0: it exited 0; else why not. */
static int run_tool(char *const argv[], char *why, size_t n)
{
    int out = memfd_create("xdump-watch-tool", MFD_CLOEXEC);
    if (out < 0) {
        snprintf(why, n, "memfd_create: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, out, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        close(out);
        snprintf(why, n, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    char buf[1024];
    off_t end = lseek(out, 0, SEEK_END);
    off_t from = end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;
    ssize_t len = end > 0 ? pread(out, buf, sizeof(buf) - 1, from) : 0;
    close(out);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    len = len < 0 ? 0 : len;
    buf[len] = 0;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = 0;
    const char *last = strrchr(buf, '\n'); /* its last line says why */
    last = last ? last + 1 : buf;
    if (WIFEXITED(st))
        snprintf(why, n, "'%.200s %s' exited %d%s%.600s", argv[0], argv[1], WEXITSTATUS(st),
                 *last ? ": " : "", last);
    else
        snprintf(why, n, "'%.200s %s' was killed by signal %d", argv[0], argv[1], WTERMSIG(st));
    return -1;
}

static bool find_config(const struct xd_watch_config *c, const char *name, char *out, size_t n)
{
    const char *fmts[] = {"%s/%s.cfg", "%s/%s"};
    for (size_t i = 0; name[0] && i < 2; i++) {
        struct stat st;
        snprintf(out, n, fmts[i], c->config_dir, name);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return true;
    }
    return false;
}

/* The --then action, in the worker. */
static void worker_then(const struct xd_watch_config *c, const struct guest *g, int fd)
{
    char id[16], why[1200], cfg[1024];
    snprintf(id, sizeof(id), "%u", g->domid);
    if (c->then == XD_THEN_RESTART && (!c->xl || !find_config(c, g->name, cfg, sizeof(cfg)))) {
        send_msg(fd, MSG_THEN, 1, 0, 0,
                 !c->xl ? "restart needs the toolstack (--xl): the guest is left as it is"
                        : "restart needs the guest's xl config, and %s/%s.cfg or %s/%s is not "
                          "there: the guest is left as it is",
                 c->config_dir, g->name[0] ? g->name : "NAME", c->config_dir,
                 g->name[0] ? g->name : "NAME");
        return;
    }
    if (c->xl) {
        char *destroy[] = {(char *)c->xl, "destroy", id, NULL};
        if (run_tool(destroy, why, sizeof(why)) < 0) {
            send_msg(fd, MSG_THEN, 1, 0, 0, "%s", why);
            return;
        }
    } else {
        struct xd_host *h;
        int rc = xd_host_open(&h, why, sizeof(why));
        if (rc == 0) {
            xd_host_forget_xenstore(h);
            rc = xd_host_destroy(h, g->domid);
            if (rc < 0)
                snprintf(why, sizeof(why), "%s", xd_host_error(h));
            xd_host_close(h);
        }
        if (rc < 0) {
            send_msg(fd, MSG_THEN, 1, 0, 0, "%s", why);
            return;
        }
    }
    if (c->then == XD_THEN_DESTROY) {
        send_msg(fd, MSG_THEN, 0, 0, 0, "destroyed%s", c->xl ? " (xl destroy)" : "");
        return;
    }
    char *create[] = {(char *)c->xl, "create", cfg, NULL};
    if (run_tool(create, why, sizeof(why)) < 0)
        send_msg(fd, MSG_THEN, 1, 0, 0, "destroyed, but not started again: %s", why);
    else
        send_msg(fd, MSG_THEN, 0, 0, 0, "destroyed and started again from %s", cfg);
}

/* The worker process: dump (unless skipped), report, act, report. Never returns. */
static void worker(struct watch *w, struct job *j, int fd, pid_t parent)
{
    struct sigaction sa = {.sa_handler = worker_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* a daemon killed outright: abandon cleanly too */
    if (getppid() != parent)
        worker_stop = 1; /* the daemon died before PDEATHSIG was armed */
    /* The parent's handles are not ours: its xenstore reader thread did not follow, and
       libxencall's buffers are shared with it. */
    xd_host_forget_xenstore(w->host);
    xd_host_close(w->host);
    close(w->lock_fd);

    const struct xd_watch_config *c = w->c;
    int status = XDUMP_OK;
    if (!j->skipped) {
        char id[16], err[1024] = "";
        snprintf(id, sizeof(id), "%u", j->g.domid);
        struct worker_ctx wc = {fd};
        struct xdump_options o = XDUMP_OPTIONS_INIT;
        o.domain = id, o.output = j->path, o.stop = &worker_stop, o.warn = worker_warn;
        o.ctx = &wc;
        struct xdump_result res = XDUMP_RESULT_INIT;
        status = xdump_dump(&o, &res, err, sizeof(err));
        send_msg(fd, MSG_DUMPED, status, res.bytes, res.seconds, "%s", err);
    }
    if (c->then != XD_THEN_PRESERVE) {
        if (worker_stop)
            send_msg(fd, MSG_THEN, 1, 0, 0, "not applied: xdump watch is stopping");
        else if (status == XDUMP_E_NODOMAIN || status == XDUMP_E_DIED)
            send_msg(fd, MSG_THEN, 1, 0, 0, "not applied: the domain is gone");
        else if (status == XDUMP_E_BUSY)
            send_msg(fd, MSG_THEN, 1, 0, 0, "not applied: another xdump is dumping it");
        else if (j->skipped || status != XDUMP_OK)
            /* Nothing is lost: a crash that could not be dumped stays for a dump by hand (or
               the next try: SIGHUP, a restart) rather than being destroyed undumped. */
            send_msg(fd, MSG_THEN, 1, 0, 0,
                     "not applied: the crash was not dumped; the guest is left crashed for a "
                     "dump by hand");
        else
            worker_then(c, &j->g, fd);
    }
    close(fd);
    _exit(0);
}

static int start_job(struct watch *w, const struct guest *g)
{
    struct job *j = &w->jobs[w->njobs];
    memset(j, 0, sizeof(*j));
    j->g = *g;
    j->fd = -1;
    xd_watch_core_name(g->fname, g->domid, time(NULL), j->base, sizeof(j->base));
    path_in_dir(w, j->base, j->path, sizeof(j->path));
    j->estimate = estimate(g);
    char why[1024];
    if (!fits(w, j->estimate, 0, why, sizeof(why))) {
        /* Cores that retention deletes after this dump anyway may go first - if that is
           enough: never delete one for a dump that is skipped all the same. */
        unsigned keep = w->c->keep ? w->c->keep - 1 : 0;
        uint64_t freeable = retention(w, g, keep, NULL, true);
        if (freeable && fits(w, j->estimate, freeable, why, sizeof(why)))
            retention(w, g, keep, "to make room for a new core", false);
        j->skipped = !fits(w, j->estimate, 0, why, sizeof(why));
    }
    if (j->skipped) {
        emit_full(w, (struct xd_watch_event){.kind = XD_EV_DUMP_SKIPPED, .bytes = j->estimate}, g,
                  "not dumped: %s", why);
        j->failed = true;
    } else {
        emit(w, XD_EV_DUMP_START, g, j->path, "dumping to %s", j->path);
    }
    if (j->skipped && w->c->then == XD_THEN_PRESERVE)
        return -1; /* nothing for a worker to do */
    int p[2], e[2] = {-1, -1};
    if (pipe2(p, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
        emit(w, XD_EV_DUMP_FAILED, g, NULL, "cannot start a worker: pipe: %s", strerror(errno));
        if (e[0] < 0)
            close(p[0]), close(p[1]);
        return -1;
    }
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        close(p[0]), close(p[1]), close(e[0]), close(e[1]);
        emit(w, XD_EV_DUMP_FAILED, g, NULL, "cannot start a worker: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* Its stderr comes to us as log lines: the end of that pipe is also the end of any
           helper the library left behind (its guardian keeps stderr, and undoes a pause
           when a dumper dies). */
        dup2(e[1], STDERR_FILENO);
        close(p[0]), close(e[0]), close(e[1]);
        worker(w, j, p[1], parent);
    }
    close(p[1]), close(e[1]);
    j->pid = pid;
    j->fd = p[0];
    j->efd = e[0];
    w->njobs++;
    return 0;
}

/* ---- the parent's side of a job ------------------------------------------------------------ */

static struct seen *find_seen(struct watch *w, uint32_t domid, const char *uuid)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i].domid == domid && !strcmp(w->seen[i].uuid, uuid))
            return &w->seen[i];
    return NULL;
}

static void set_failed(struct watch *w, const struct guest *g)
{
    struct seen *s = find_seen(w, g->domid, g->uuid);
    if (s)
        s->failed = true;
    w->failures++;
}

static void on_msg(struct watch *w, struct job *j, const struct msg *m)
{
    const struct guest *g = &j->g;
    if (m->kind == MSG_WARN) {
        emit(w, XD_EV_WARNING, g, NULL, "%s", m->text);
    } else if (m->kind == MSG_DUMPED) {
        j->dumped = true;
        if (m->status == XDUMP_OK) {
            emit_full(w,
                      (struct xd_watch_event){.kind = XD_EV_DUMP_DONE,
                                              .file = j->path,
                                              .bytes = m->bytes,
                                              .seconds = m->seconds},
                      g, "dumped to %s: %llu bytes in %.2f s", j->path,
                      (unsigned long long)m->bytes, m->seconds);
            add_mark(w, g, j->base);
            retention(w, g, w->c->keep, "older than the newest", false);
        } else {
            j->busy = m->status == XDUMP_E_BUSY;
            j->failed = !j->busy;
            emit_full(w,
                      (struct xd_watch_event){.kind = XD_EV_DUMP_FAILED,
                                              .status = xdump_status_name(m->status)},
                      g, "%s%s", m->text, j->busy ? " (tried again at the next re-listing)" : "");
        }
    } else if (m->kind == MSG_THEN) {
        j->acted = true;
        emit_full(w,
                  (struct xd_watch_event){.kind = m->status ? XD_EV_THEN_FAILED : XD_EV_THEN_DONE,
                                          .action = xd_watch_then_name(w->c->then)},
                  g, "%s: %s", xd_watch_then_name(w->c->then), m->text);
        if (m->status)
            w->failures++;
    }
}

/* Reads what the worker wrote; at the end of it, closes the pipe. */
static void read_job(struct watch *w, struct job *j)
{
    ssize_t r = read(j->fd, (uint8_t *)&j->in + j->have, sizeof(j->in) - j->have);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        close(j->fd);
        j->fd = -1;
        return;
    }
    j->have += (size_t)r;
    if (j->have == sizeof(j->in)) {
        j->in.text[sizeof(j->in.text) - 1] = 0;
        on_msg(w, j, &j->in);
        j->have = 0;
    }
}

/* Lines on the worker's stderr become warnings (JSON logs stay JSON). */
static void read_job_stderr(struct watch *w, struct job *j)
{
    char *buf = j->eline;
    ssize_t r = read(j->efd, buf + j->ehave, sizeof(j->eline) - 1 - j->ehave);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r > 0)
        j->ehave += (size_t)r;
    buf[j->ehave] = 0;
    char *nl;
    while ((nl = strchr(buf, '\n')) != NULL ||
           (j->ehave && (r <= 0 || j->ehave == sizeof(j->eline) - 1))) {
        size_t len = nl ? (size_t)(nl - buf) : j->ehave;
        buf[len] = 0;
        if (len)
            emit(w, XD_EV_WARNING, &j->g, NULL, "%s", buf);
        size_t used = nl ? len + 1 : len;
        memmove(buf, buf + used, j->ehave - used + 1);
        j->ehave -= used;
    }
    if (r <= 0) {
        close(j->efd);
        j->efd = -1;
    }
}

/* The worker and whatever it left behind are gone: reap it; if it died before saying how the
   dump went, clean up after it (its temporary file, a pause nobody undid). */
static void finish_job(struct watch *w, size_t i)
{
    struct job *j = &w->jobs[i];
    int st = 0;
    while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!j->skipped && !j->dumped) {
        char how[64];
        if (WIFSIGNALED(st))
            snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(st));
        else
            snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(st));
        emit_full(w,
                  (struct xd_watch_event){.kind = XD_EV_DUMP_FAILED,
                                          .status = xdump_status_name(XDUMP_E_FAIL)},
                  &j->g, "the dump worker died (%s); no core was kept", how);
        j->failed = true;
        remove_partials(w, j->base);
        bool paused;
        if (!j->g.paused && xd_host_pause_state(w->host, j->g.domid, &paused) == 0 && paused) {
            if (xd_host_unpause(w->host, j->g.domid) == 0)
                emit(w, XD_EV_WARNING, &j->g, NULL, "unpaused: the dead worker had paused it");
            else
                emit(w, XD_EV_WARNING, &j->g, NULL, "%s", xd_host_error(w->host));
        }
    }
    if (j->failed)
        set_failed(w, &j->g);
    struct seen *s = j->busy ? find_seen(w, j->g.domid, j->g.uuid) : NULL;
    if (s) {
        s->busy = true;
        s->retry_ms = now_ms() + 1000L * w->c->rescan_seconds;
    }
    w->jobs[i] = w->jobs[--w->njobs];
}

/* ---- finding crashes ----------------------------------------------------------------------- */

static bool queued_or_running(struct watch *w, uint32_t domid)
{
    for (size_t i = 0; i < w->nqueue; i++)
        if (w->queue[i].domid == domid)
            return true;
    for (size_t i = 0; i < w->njobs; i++)
        if (w->jobs[i].g.domid == domid)
            return true;
    return false;
}

static bool listed(const struct xd_dominfo *doms, size_t n, uint32_t domid, const char *uuid)
{
    for (size_t i = 0; i < n; i++) {
        char u[37];
        uuid_text(doms[i].uuid, u);
        if (doms[i].domid == domid && !strcmp(u, uuid))
            return true;
    }
    return false;
}

/* Forgets what concerns domains that no longer exist (their ids may come back). */
static void prune(struct watch *w, const struct xd_dominfo *doms, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < w->nseen; i++)
        if (listed(doms, n, w->seen[i].domid, w->seen[i].uuid))
            w->seen[k++] = w->seen[i];
    w->nseen = k;
    k = 0;
    for (size_t i = 0; i < w->nmarks; i++)
        if (listed(doms, n, w->marks[i].domid, w->marks[i].uuid))
            w->marks[k++] = w->marks[i];
    if (k != w->nmarks) {
        w->nmarks = k;
        save_state(w);
    }
}

static int remember(struct watch *w, const struct guest *g)
{
    struct seen *more = realloc(w->seen, (w->nseen + 1) * sizeof(*more));
    if (!more)
        return -1;
    w->seen = more;
    w->seen[w->nseen] = (struct seen){.domid = g->domid};
    memcpy(w->seen[w->nseen].uuid, g->uuid, sizeof(g->uuid));
    w->nseen++;
    return 0;
}

static void enqueue(struct watch *w, const struct guest *g)
{
    struct guest *more = realloc(w->queue, (w->nqueue + 1) * sizeof(*more));
    if (!more)
        return;
    w->queue = more;
    w->queue[w->nqueue++] = *g;
}

static void consider(struct watch *w, const struct xd_dominfo *d)
{
    struct guest g = {.domid = d->domid,
                      .tot_pages = d->tot_pages,
                      .vcpus = d->max_vcpu_id + 1,
                      .paused = d->paused};
    uuid_text(d->uuid, g.uuid);
    struct seen *s = find_seen(w, g.domid, g.uuid);
    if ((s && !(s->busy && now_ms() >= s->retry_ms)) || queued_or_running(w, g.domid))
        return;
    xd_host_describe(w->host, g.domid, g.name, sizeof(g.name), g.start, sizeof(g.start));
    xd_watch_file_name(g.name, g.fname, sizeof(g.fname));
    if (!g.name[0])
        snprintf(g.fname, sizeof(g.fname), "domain");
    if (s) { /* its dump was busy: again, without saying "crashed" twice */
        s->busy = false;
        enqueue(w, &g);
        return;
    }
    if (remember(w, &g) < 0)
        return;
    if (!xd_watch_matches(w->c->patterns, w->c->npatterns, g.name, g.domid)) {
        emit(w, XD_EV_IGNORED, &g, NULL, "crashed, but no --domain pattern names it: left alone");
        return;
    }
    struct xd_watch_mark m = {.domid = g.domid};
    memcpy(m.uuid, g.uuid, sizeof(m.uuid));
    memcpy(m.start, g.start, sizeof(m.start));
    for (size_t i = 0; i < w->nmarks; i++)
        if (xd_watch_mark_same(&w->marks[i], &m)) {
            char p[4096];
            path_in_dir(w, w->marks[i].core, p, sizeof(p));
            emit(w, XD_EV_ALREADY, &g, p, "crashed, and already dumped to %s: nothing to do", p);
            return;
        }
    emit(w, XD_EV_CRASH, &g, NULL, "crashed");
    enqueue(w, &g);
}

static int scan(struct watch *w)
{
    struct xd_dominfo *doms = NULL;
    size_t n = 0;
    int rc = xd_host_list(w->host, &doms, &n);
    if (rc < 0) {
        emit(w, XD_EV_WARNING, NULL, NULL, "%s", xd_host_error(w->host));
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        const struct xd_dominfo *d = &doms[i];
        if (d->domid != 0 && d->shutdown && d->shutdown_reason == XD_SHUTDOWN_CRASH && !d->dying)
            consider(w, d);
    }
    prune(w, doms, n);
    free(doms);
    return 0;
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void start_queued(struct watch *w)
{
    while (!w->stopping && w->nqueue && w->njobs < w->c->jobs) {
        struct guest g = w->queue[0];
        memmove(w->queue, w->queue + 1, (w->nqueue - 1) * sizeof(*w->queue));
        w->nqueue--;
        if (start_job(w, &g) < 0)
            set_failed(w, &g);
    }
}

static void check_xenstore(struct watch *w)
{
    if (xd_host_watch_fd(w->host) >= 0 && xd_host_watch_events(w->host) >= 0)
        return;
    if (xd_host_watch_fd(w->host) >= 0 || !w->xs_lost) {
        emit(w, XD_EV_WARNING, NULL, NULL,
             "xenstore does not answer (%s): re-listing domains every %u s until it is back",
             xd_host_error(w->host), w->c->rescan_seconds);
        w->xs_lost = true;
    }
    if (xd_host_reconnect(w->host) == 0) {
        emit(w, XD_EV_WARNING, NULL, NULL, "xenstore is back: watching @releaseDomain again");
        w->xs_lost = false;
        w->need_scan = true;
    }
}

static void begin_stop(struct watch *w)
{
    w->stopping = true;
    emit(w, XD_EV_STOPPING, NULL, NULL,
         "asked to stop: %zu worker%s told to abandon cleanly, %zu queued dump%s left", w->njobs,
         w->njobs == 1 ? "" : "s", w->nqueue, w->nqueue == 1 ? "" : "s");
    for (size_t i = 0; i < w->njobs; i++)
        kill(w->jobs[i].pid, SIGTERM);
    w->nqueue = 0;
}

static void loop(struct watch *w)
{
    long next_rescan = now_ms() + 1000L * w->c->rescan_seconds;
    w->need_scan = true;
    for (;;) {
        if (!w->stopping && w->c->stop && *w->c->stop)
            begin_stop(w);
        if (w->c->retry && *w->c->retry) {
            *w->c->retry = 0;
            size_t k = 0;
            for (size_t i = 0; i < w->nseen; i++)
                if (!w->seen[i].failed)
                    w->seen[k++] = w->seen[i];
            w->nseen = k;
            w->need_scan = true;
        }
        if (!w->stopping && now_ms() >= next_rescan) {
            check_xenstore(w);
            w->need_scan = true;
            next_rescan = now_ms() + 1000L * w->c->rescan_seconds;
        }
        if (!w->stopping && w->need_scan) {
            w->need_scan = false;
            scan(w);
        }
        start_queued(w);
        if (w->stopping && !w->njobs)
            return;
        if (w->c->once && !w->njobs && !w->nqueue)
            return;

        struct pollfd p[1 + 2 * 64];
        size_t n = 0;
        int xfd = xd_host_watch_fd(w->host);
        if (xfd >= 0 && !w->stopping)
            p[n++] = (struct pollfd){xfd, POLLIN, 0};
        for (size_t i = 0; i < w->njobs; i++) {
            if (w->jobs[i].fd >= 0)
                p[n++] = (struct pollfd){w->jobs[i].fd, POLLIN, 0};
            if (w->jobs[i].efd >= 0)
                p[n++] = (struct pollfd){w->jobs[i].efd, POLLIN, 0};
        }
        long wait = next_rescan - now_ms();
        int r = poll(p, n, wait < 0 ? 0 : wait > TICK_MS ? TICK_MS : (int)wait);
        if (r <= 0)
            continue;
        size_t k = 0;
        if (xfd >= 0 && !w->stopping && p[k++].revents) {
            if (xd_host_watch_events(w->host) < 0)
                check_xenstore(w);
            w->need_scan = true;
        }
        for (; k < n; k++) {
            for (size_t i = 0; p[k].revents && i < w->njobs; i++) {
                if (w->jobs[i].fd == p[k].fd)
                    read_job(w, &w->jobs[i]);
                else if (w->jobs[i].efd == p[k].fd)
                    read_job_stderr(w, &w->jobs[i]);
            }
        }
        for (size_t i = w->njobs; i-- > 0;)
            if (w->jobs[i].fd < 0 && w->jobs[i].efd < 0)
                finish_job(w, i);
    }
}

static void describe_settings(struct watch *w)
{
    const struct xd_watch_config *c = w->c;
    char floor[32], pats[512] = "";
    if (c->min_free_pct)
        snprintf(floor, sizeof(floor), "%u%%", c->min_free_pct);
    else
        snprintf(floor, sizeof(floor), "%.1f MiB", c->min_free / MIB);
    for (size_t i = 0; i < c->npatterns; i++) {
        size_t l = strlen(pats);
        snprintf(pats + l, sizeof(pats) - l, "%s%s", i ? "," : "", c->patterns[i]);
    }
    emit(w, XD_EV_STARTED, NULL, c->dir,
         "watching for crashed domains%s: cores in %s, --keep %u, --min-free %s, --then %s, "
         "--jobs %u, %s%s%s",
         xd_host_watch_fd(w->host) >= 0 ? " (xenstore @releaseDomain)" : "", c->dir, c->keep, floor,
         xd_watch_then_name(c->then), c->jobs, c->npatterns ? "domains " : "every domain", pats,
         xd_host_watch_fd(w->host) >= 0 ? "" : "; xenstore does not answer: polling");
}

int xd_watch_run(const struct xd_watch_config *c, char *err, size_t errlen)
{
    struct watch w = {.c = c, .lock_fd = -1, .err = err, .errlen = errlen};
    int rc;
    if (c->jobs < 1 || c->jobs > 64 || !c->dir || !c->dir[0] || c->rescan_seconds < 1) {
        snprintf(err, errlen, "internal: bad watch settings");
        return XDUMP_E_USAGE;
    }
    w.jobs = calloc(c->jobs, sizeof(*w.jobs));
    if (!w.jobs) {
        snprintf(err, errlen, "out of memory");
        return XDUMP_E_FAIL;
    }
    if (c->state)
        snprintf(w.state_path, sizeof(w.state_path), "%s", c->state);
    else
        path_in_dir(&w, STATE_NAME, w.state_path, sizeof(w.state_path));
    /* Xen first: on a host without it, nothing is created. */
    if ((rc = xd_host_open(&w.host, err, errlen)) < 0)
        goto out;
    if ((rc = make_dir(&w)) < 0 || (rc = take_lock(&w)) < 0)
        goto out;
    make_state_dir(&w);
    if ((rc = load_state(&w)) < 0)
        goto out;
    remove_partials(&w, NULL);
    describe_settings(&w);
    w.xs_lost = xd_host_watch_fd(w.host) < 0;
    loop(&w);
    emit(&w, XD_EV_STOPPED, NULL, NULL, "no worker left: exiting");
    rc = c->once && w.failures ? -XDUMP_E_FAIL : 0;
    if (rc < 0)
        snprintf(err, errlen, "%d dump%s or action%s failed", w.failures,
                 w.failures == 1 ? "" : "s", w.failures == 1 ? "" : "s");
out:
    xd_host_close(w.host);
    if (w.lock_fd >= 0)
        close(w.lock_fd);
    free(w.jobs);
    free(w.marks);
    free(w.seen);
    free(w.queue);
    return -rc;
}
