/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash hook's rooms (src/watch/), behind watch.h:
 *
 *   names.c   naming: a core's file name from the guest's name, id and time, and back; event
 *             and action names; --domain patterns (pure)
 *   state.c   the directory and what it remembers: created 0700, locked, partial cores of a
 *             dead run removed; the state file of dumped crashes (its lines are pure)
 *   retain.c  retention and free space: which cores go, and whether a dump fits, as one pure
 *             function (xd_watch_vacuum); the directory listing and the unlinks around it
 *   worker.c  the worker process, one per dump: xdump_dump(), then the --then action,
 *             reported over a pipe; the fork that starts it
 *   job.c     the parent's side of a job: started, its messages read, reaped
 *   loop.c    the parent: finding crashes, the queue, the loop (ppoll), xd_watch_run()
 *
 * The parent is one thread of the daemon's process and owns struct watch; a worker gets a
 * copy of it by fork() and uses only its own job and the configuration.
 */
#ifndef XD_WATCH_PRIVATE_H
#define XD_WATCH_PRIVATE_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "uuid.h"
#include "watch.h"

struct xd_host;

#define MIB (1024.0 * 1024.0)

/* A crashed domain, as the daemon knows it. */
struct guest {
    uint32_t domid;
    char name[64];  /* xenstore's; may be empty */
    char fname[80]; /* for file names */
    char uuid[XD_UUID_TEXT];
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
    char uuid[XD_UUID_TEXT];
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
    /* The caller's signal mask, from before c->signals were blocked: the loop sleeps with it
       (ppoll), a worker is given it back. sleep_mask: &caller_mask, or NULL when nothing was
       blocked. */
    sigset_t caller_mask;
    const sigset_t *sleep_mask;
    char *err;
    size_t errlen;
};

#define fail(w, status, ...) xd_fail((w)->err, (w)->errlen, status, __VA_ARGS__)

/* loop.c: the log (one call of the caller's callback per event), the clock. */
void xd_watch_emit(struct watch *w, int kind, const struct guest *g, const char *file,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void xd_watch_emit_full(struct watch *w, struct xd_watch_event ev, const struct guest *g,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
long xd_watch_now_ms(void);
struct seen *xd_watch_find_seen(struct watch *w, uint32_t domid, const char *uuid);
void xd_watch_set_failed(struct watch *w, const struct guest *g);

/* names.c */

/* state.c */
void xd_watch_path(const struct watch *w, const char *base, char *out, size_t n);
int xd_watch_make_dir(struct watch *w);
int xd_watch_take_lock(struct watch *w);
void xd_watch_remove_partials(struct watch *w, const char *only_base);
void xd_watch_make_state_dir(struct watch *w);
int xd_watch_load_state(struct watch *w);
void xd_watch_save_state(struct watch *w);
void xd_watch_add_mark(struct watch *w, const struct guest *g, const char *base);

/* retain.c: after a dump, the guest's cores beyond --keep go; before one, whether it fits
   (the guest's cores that go anyway make room first, if that is enough). */
void xd_watch_retain(struct watch *w, const struct guest *g);
uint64_t xd_watch_estimate(const struct guest *g);
bool xd_watch_make_room(struct watch *w, const struct guest *g, uint64_t need, char *why, size_t n);

/* worker.c: forks the worker of job j (its pipes are j->fd, j->efd): 0, or -1 (said). */
int xd_watch_spawn(struct watch *w, struct job *j);

/* job.c */
int xd_watch_start_job(struct watch *w, const struct guest *g);
void xd_watch_read_job(struct watch *w, struct job *j);
void xd_watch_read_job_stderr(struct watch *w, struct job *j);
void xd_watch_finish_job(struct watch *w, size_t i);

#endif
