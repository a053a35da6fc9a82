/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parent's side of a job: its core named and its room made (or the dump skipped), its
 * worker started, what the worker says read from its pipes and logged, and the worker reaped
 * at the end of both pipes - after it, if it died before saying how the dump went, the parent
 * cleans up (its temporary file, a pause nobody undid).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "private.h"
#include "xdump.h"

int xd_watch_start_job(struct watch *w, const struct guest *g)
{
    struct job *j = &w->jobs[w->njobs];
    memset(j, 0, sizeof(*j));
    j->g = *g;
    j->fd = -1;
    xd_watch_core_name(g->fname, g->domid, time(NULL), j->base, sizeof(j->base));
    xd_watch_path(w, j->base, j->path, sizeof(j->path));
    j->estimate = xd_watch_estimate(g);
    char why[1024];
    j->skipped = !xd_watch_make_room(w, g, j->estimate, why, sizeof(why));
    if (j->skipped) {
        xd_watch_emit_full(
            w, (struct xd_watch_event){.kind = XD_EV_DUMP_SKIPPED, .bytes = j->estimate}, g,
            "not dumped: %s", why);
        j->failed = true;
    } else {
        xd_watch_emit(w, XD_EV_DUMP_START, g, j->path, "dumping to %s", j->path);
    }
    if (j->skipped && w->c->then == XD_THEN_PRESERVE)
        return -1; /* nothing for a worker to do */
    if (xd_watch_spawn(w, j) < 0)
        return -1;
    w->njobs++;
    return 0;
}

static void on_msg(struct watch *w, struct job *j, const struct msg *m)
{
    const struct guest *g = &j->g;
    if (m->kind == MSG_WARN) {
        xd_watch_emit(w, XD_EV_WARNING, g, NULL, "%s", m->text);
    } else if (m->kind == MSG_DUMPED) {
        j->dumped = true;
        if (m->status == XDUMP_OK) {
            xd_watch_emit_full(w,
                               (struct xd_watch_event){.kind = XD_EV_DUMP_DONE,
                                                       .file = j->path,
                                                       .bytes = m->bytes,
                                                       .seconds = m->seconds},
                               g, "dumped to %s: %llu bytes in %.2f s", j->path,
                               (unsigned long long)m->bytes, m->seconds);
            xd_watch_add_mark(w, g, j->base);
            xd_watch_retain(w, g);
        } else {
            j->busy = m->status == XDUMP_E_BUSY;
            j->failed = !j->busy;
            xd_watch_emit_full(w,
                               (struct xd_watch_event){.kind = XD_EV_DUMP_FAILED,
                                                       .status = xdump_status_name(m->status)},
                               g, "%s%s", m->text,
                               j->busy ? " (tried again at the next re-listing)" : "");
        }
    } else if (m->kind == MSG_THEN) {
        j->acted = true;
        xd_watch_emit_full(
            w,
            (struct xd_watch_event){.kind = m->status ? XD_EV_THEN_FAILED : XD_EV_THEN_DONE,
                                    .action = xd_watch_then_name(w->c->then)},
            g, "%s: %s", xd_watch_then_name(w->c->then), m->text);
        if (m->status)
            w->failures++;
    }
}

/* Reads what the worker wrote; at the end of it, closes the pipe. */
void xd_watch_read_job(struct watch *w, struct job *j)
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
void xd_watch_read_job_stderr(struct watch *w, struct job *j)
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
            xd_watch_emit(w, XD_EV_WARNING, &j->g, NULL, "%s", buf);
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
void xd_watch_finish_job(struct watch *w, size_t i)
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
        xd_watch_emit_full(w,
                           (struct xd_watch_event){.kind = XD_EV_DUMP_FAILED,
                                                   .status = xdump_status_name(XDUMP_E_FAIL)},
                           &j->g, "the dump worker died (%s); no core was kept", how);
        j->failed = true;
        xd_watch_remove_partials(w, j->base);
        bool paused;
        if (!j->g.paused && xd_host_pause_state(w->host, j->g.domid, &paused) == 0 && paused) {
            if (xd_host_unpause(w->host, j->g.domid) == 0)
                xd_watch_emit(w, XD_EV_WARNING, &j->g, NULL,
                              "unpaused: the dead worker had paused it");
            else
                xd_watch_emit(w, XD_EV_WARNING, &j->g, NULL, "%s", xd_host_error(w->host));
        }
    }
    if (j->failed)
        xd_watch_set_failed(w, &j->g);
    struct seen *s = j->busy ? xd_watch_find_seen(w, j->g.domid, j->g.uuid) : NULL;
    if (s) {
        s->busy = true;
        s->retry_ms = xd_watch_now_ms() + 1000L * w->c->rescan_seconds;
    }
    w->jobs[i] = w->jobs[--w->njobs];
}
