/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash hook (see watch.h), as an event loop in one process:
 *
 *   xenstore @releaseDomain --> re-list the domains --> crashed, new? --> queue
 *   queue --> a worker process per dump (at most `jobs`; worker.c, job.c): xdump_dump() to a
 *             temporary name, renamed when complete; then the action (xl destroy / xl create,
 *             or Xen's destroydomain). The worker reports over a pipe; the parent alone logs,
 *             keeps the state file (state.c) and applies retention (retain.c).
 *
 * The loop sleeps in ppoll() on the xenstore watch's descriptor and the workers' pipes, with
 * the caller's signals (c->signals) let in only there: nothing wakes it but an event, a signal,
 * a worker, or the next re-listing (--rescan).
 *
 * Failed and skipped dumps are only remembered in memory: a restart of the daemon (or SIGHUP)
 * tries them again. What concerns domains that no longer exist is forgotten.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "private.h"
#include "uuid.h"
#include "xdump.h"

#define STATE_NAME ".xdump-watch.state"

/* ---- the log, the clock, the crashes seen -------------------------------------------------- */

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

void xd_watch_emit(struct watch *w, int kind, const struct guest *g, const char *file,
                   const char *fmt, ...)
{
    struct xd_watch_event ev = {.kind = kind, .file = file};
    va_list ap;
    va_start(ap, fmt);
    emit_ev(w, ev, g, fmt, ap);
    va_end(ap);
}

void xd_watch_emit_full(struct watch *w, struct xd_watch_event ev, const struct guest *g,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_ev(w, ev, g, fmt, ap);
    va_end(ap);
}

long xd_watch_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

struct seen *xd_watch_find_seen(struct watch *w, uint32_t domid, const char *uuid)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i].domid == domid && !strcmp(w->seen[i].uuid, uuid))
            return &w->seen[i];
    return NULL;
}

void xd_watch_set_failed(struct watch *w, const struct guest *g)
{
    struct seen *s = xd_watch_find_seen(w, g->domid, g->uuid);
    if (s)
        s->failed = true;
    w->failures++;
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
        xd_uuid_text(doms[i].uuid, u);
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
        xd_watch_save_state(w);
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
    xd_uuid_text(d->uuid, g.uuid);
    struct seen *s = xd_watch_find_seen(w, g.domid, g.uuid);
    if ((s && !(s->busy && xd_watch_now_ms() >= s->retry_ms)) || queued_or_running(w, g.domid))
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
        xd_watch_emit(w, XD_EV_IGNORED, &g, NULL,
                      "crashed, but no --domain pattern names it: left alone");
        return;
    }
    struct xd_watch_mark m = {.domid = g.domid};
    memcpy(m.uuid, g.uuid, sizeof(m.uuid));
    memcpy(m.start, g.start, sizeof(m.start));
    for (size_t i = 0; i < w->nmarks; i++)
        if (xd_watch_mark_same(&w->marks[i], &m)) {
            char p[4096];
            xd_watch_path(w, w->marks[i].core, p, sizeof(p));
            xd_watch_emit(w, XD_EV_ALREADY, &g, p,
                          "crashed, and already dumped to %s: nothing to do", p);
            return;
        }
    xd_watch_emit(w, XD_EV_CRASH, &g, NULL, "crashed");
    enqueue(w, &g);
}

static int scan(struct watch *w)
{
    struct xd_dominfo *doms = NULL;
    size_t n = 0;
    int rc = xd_host_list(w->host, &doms, &n);
    if (rc < 0) {
        xd_watch_emit(w, XD_EV_WARNING, NULL, NULL, "%s", xd_host_error(w->host));
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
        if (xd_watch_start_job(w, &g) < 0)
            xd_watch_set_failed(w, &g);
    }
}

static void check_xenstore(struct watch *w)
{
    if (xd_host_watch_fd(w->host) >= 0 && xd_host_watch_events(w->host) >= 0)
        return;
    if (xd_host_watch_fd(w->host) >= 0 || !w->xs_lost) {
        xd_watch_emit(
            w, XD_EV_WARNING, NULL, NULL,
            "xenstore does not answer (%s): re-listing domains every %u s until it is back",
            xd_host_error(w->host), w->c->rescan_seconds);
        w->xs_lost = true;
    }
    if (xd_host_reconnect(w->host) == 0) {
        xd_watch_emit(w, XD_EV_WARNING, NULL, NULL,
                      "xenstore is back: watching @releaseDomain again");
        w->xs_lost = false;
        w->need_scan = true;
    }
}

static void begin_stop(struct watch *w)
{
    w->stopping = true;
    xd_watch_emit(w, XD_EV_STOPPING, NULL, NULL,
                  "asked to stop: %zu worker%s told to abandon cleanly, %zu queued dump%s left",
                  w->njobs, w->njobs == 1 ? "" : "s", w->nqueue, w->nqueue == 1 ? "" : "s");
    for (size_t i = 0; i < w->njobs; i++)
        kill(w->jobs[i].pid, SIGTERM);
    w->nqueue = 0;
}

static void loop(struct watch *w)
{
    long next_rescan = xd_watch_now_ms() + 1000L * w->c->rescan_seconds;
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
        if (!w->stopping && xd_watch_now_ms() >= next_rescan) {
            check_xenstore(w);
            w->need_scan = true;
            next_rescan = xd_watch_now_ms() + 1000L * w->c->rescan_seconds;
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

        struct pollfd p[1 + 2 * XD_WATCH_MAX_JOBS];
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
        /* The one timer is the next re-listing; a stopping daemon waits for its workers alone.
           The signals are let in while it sleeps, and only then: one that came since the
           flags were looked at is taken here, and ends the sleep (EINTR). */
        struct timespec ts, *timeout = NULL;
        if (!w->stopping) {
            long wait = next_rescan - xd_watch_now_ms();
            wait = wait < 0 ? 0 : wait;
            ts = (struct timespec){.tv_sec = wait / 1000, .tv_nsec = wait % 1000 * 1000000L};
            timeout = &ts;
        }
        int r = ppoll(p, n, timeout, w->sleep_mask);
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
                    xd_watch_read_job(w, &w->jobs[i]);
                else if (w->jobs[i].efd == p[k].fd)
                    xd_watch_read_job_stderr(w, &w->jobs[i]);
            }
        }
        for (size_t i = w->njobs; i-- > 0;)
            if (w->jobs[i].fd < 0 && w->jobs[i].efd < 0)
                xd_watch_finish_job(w, i);
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
    xd_watch_emit(
        w, XD_EV_STARTED, NULL, c->dir,
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
    if (c->jobs < 1 || c->jobs > XD_WATCH_MAX_JOBS || !c->dir || !c->dir[0] ||
        c->rescan_seconds < 1) {
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
        xd_watch_path(&w, STATE_NAME, w.state_path, sizeof(w.state_path));
    /* Before Xen: the xenstore reader thread that xd_host_open() starts inherits the mask, so
       that the signals reach this thread alone, and it only while it sleeps. */
    if (c->signals) {
        pthread_sigmask(SIG_BLOCK, c->signals, &w.caller_mask);
        w.sleep_mask = &w.caller_mask;
    }
    /* Xen first: on a host without it, nothing is created. */
    if ((rc = xd_host_open(&w.host, err, errlen)) < 0)
        goto out;
    if ((rc = xd_watch_make_dir(&w)) < 0 || (rc = xd_watch_take_lock(&w)) < 0)
        goto out;
    xd_watch_make_state_dir(&w);
    if ((rc = xd_watch_load_state(&w)) < 0)
        goto out;
    xd_watch_remove_partials(&w, NULL);
    describe_settings(&w);
    w.xs_lost = xd_host_watch_fd(w.host) < 0;
    loop(&w);
    xd_watch_emit(&w, XD_EV_STOPPED, NULL, NULL, "no worker left: exiting");
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
    if (w.sleep_mask)
        pthread_sigmask(SIG_SETMASK, &w.caller_mask, NULL);
    return -rc;
}
