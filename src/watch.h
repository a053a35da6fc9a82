/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The crash hook behind `xdump watch`: learns of domain state changes through xenstore's
 * @releaseDomain watch, dumps every domain that is shut down with reason crash ONCE into a
 * directory it keeps sane (retention per guest, a free-space floor), then applies an action
 * (destroy, restart, preserve). It never prints: every event goes to the caller's callback,
 * one call per event.
 */
#ifndef XD_WATCH_H
#define XD_WATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Dumps at once, at most (--jobs; the man page says 64 too). */
#define XD_WATCH_MAX_JOBS 64

/* What happens to a crashed guest once its dump is done (or skipped, or failed). */
enum xd_then { XD_THEN_DESTROY = 0, XD_THEN_RESTART = 1, XD_THEN_PRESERVE = 2 };

enum xd_watch_event_kind {
    XD_EV_STARTED,      /* the daemon is watching (message: its settings) */
    XD_EV_CRASH,        /* a crashed domain was seen */
    XD_EV_ALREADY,      /* a crashed domain that was dumped before (file: that core) */
    XD_EV_IGNORED,      /* a crashed domain that no --domain pattern names */
    XD_EV_DUMP_START,   /* file: the core's final name */
    XD_EV_DUMP_DONE,    /* file, bytes, seconds */
    XD_EV_DUMP_FAILED,  /* status, message */
    XD_EV_DUMP_SKIPPED, /* it cannot fit (bytes: what it could need) */
    XD_EV_DELETED,      /* file removed by retention */
    XD_EV_THEN_DONE,    /* action applied */
    XD_EV_THEN_FAILED,  /* action failed or impossible */
    XD_EV_WARNING,      /* anything else worth a line */
    XD_EV_STOPPING,     /* a signal: dumps in progress are abandoned */
    XD_EV_STOPPED,
};

struct xd_watch_event {
    int kind;           /* enum xd_watch_event_kind */
    uint32_t domid;     /* 0: not about a domain */
    const char *name;   /* the guest's name ("" when xenstore has none) */
    const char *uuid;   /* "" when not about a domain */
    const char *file;   /* a core's path, or NULL */
    uint64_t bytes;     /* DUMP_DONE: the core's size; SKIPPED: what it could need */
    double seconds;     /* DUMP_DONE */
    const char *status; /* DUMP_FAILED: xdump_status_name(); else NULL */
    const char *action; /* THEN_*: "destroy", "restart"; else NULL */
    const char *message;
};

/* "dump-done", ... (for JSON logs). */
const char *xd_watch_event_name(int kind);
/* "destroy", "restart", "preserve". */
const char *xd_watch_then_name(int then);

struct xd_watch_config {
    const char *dir;             /* where cores go; created 0700 when missing */
    const char *state;           /* what was dumped; NULL: <dir>/.xdump-watch.state */
    unsigned keep;               /* cores kept per guest; 0: all */
    uint64_t min_free;           /* bytes the filesystem keeps free... */
    unsigned min_free_pct;       /* ...or, when nonzero, this percentage of it */
    int then;                    /* enum xd_then */
    const char *const *patterns; /* glob(7) patterns on the name, or domids; none: all */
    size_t npatterns;
    unsigned jobs;                /* dumps at once (1 to XD_WATCH_MAX_JOBS) */
    const char *xl;               /* the toolstack's command for destroy/restart; NULL: Xen's
                                     destroydomain directly (no restart then) */
    const char *config_dir;       /* restart: <config_dir>/<name>.cfg or <config_dir>/<name> */
    unsigned rescan_seconds;      /* re-list domains this often even without an event */
    bool once;                    /* deal with what is crashed now, then return */
    volatile sig_atomic_t *stop;  /* set (SIGTERM): abandon dumps in progress and return */
    volatile sig_atomic_t *retry; /* set (SIGHUP): forget failed dumps, try them again */
    /* The signals whose handlers set *stop and *retry. The daemon blocks them while it runs
       and lets them in only while it sleeps (ppoll), so that one that comes between its look
       at the flags and its sleep wakes it all the same; its workers get the caller's mask
       back. NULL: none is blocked, and a flag is seen at the next event. */
    const sigset_t *signals;
    void (*log)(void *ctx, const struct xd_watch_event *ev);
    void *ctx;
};

/*
 * Runs the daemon until *stop (or, with once, until nothing crashed is left to deal with).
 * Returns 0, or an XDUMP_E_* status with a one-line message in err when it cannot start
 * (directory, lock, Xen). With once, XDUMP_E_FAIL when a dump or an action failed.
 * Dumps run in child processes (at most `jobs` at once), so that a dump that goes wrong
 * never takes the daemon with it; a domain a dead child left paused is unpaused.
 */
int xd_watch_run(const struct xd_watch_config *c, char *err, size_t errlen);

/* ---- the pure parts (unit-tested) ---------------------------------------------------------- */

/* "10%", "512M", "2G", "1048576": a byte count or a percentage (1..99). 0 or -1. */
int xd_watch_parse_min_free(const char *s, uint64_t *bytes, unsigned *pct);
/* The guest's name as a file name: [A-Za-z0-9._+-] kept, anything else '_', no leading '.';
   empty: "domain". */
void xd_watch_file_name(const char *name, char *out, size_t n);
/* "<name>-<domid>-<YYYYmmddTHHMMSSZ>.core" (UTC); name as xd_watch_file_name() makes it. */
void xd_watch_core_name(const char *name, uint32_t domid, time_t when, char *out, size_t n);
/* The inverse, for retention: false when `file` is not such a name. stamp gets 17 bytes. */
bool xd_watch_parse_core_name(const char *file, char *name, size_t namelen, uint32_t *domid,
                              char *stamp);
/* Whether a domain is one the patterns name (no patterns: every domain). */
bool xd_watch_matches(const char *const *patterns, size_t n, const char *name, uint32_t domid);

/* One dumped crash, as the state file keeps it: "<domid> <uuid> <start|-> <core>". */
struct xd_watch_mark {
    uint32_t domid;
    char uuid[37];
    char start[32]; /* the toolstack's start time; "" when unknown */
    char core[256]; /* the core's file name */
};
bool xd_watch_mark_parse(const char *line, struct xd_watch_mark *m);
void xd_watch_mark_format(const struct xd_watch_mark *m, char *out, size_t n);
/* Same crash: same domid and UUID, and the same start time when both are known. */
bool xd_watch_mark_same(const struct xd_watch_mark *a, const struct xd_watch_mark *b);

/* ---- retention and free space (pure, unit-tested as systemd-coredump's vacuum is) ---------- */

/* One of a guest's cores in the directory. */
struct xd_watch_core {
    char stamp[17]; /* its UTC time from its name, YYYYmmddTHHMMSSZ: the older goes first */
    uint32_t domid; /* in the same second, the lower domid counts as the older */
    uint64_t bytes; /* what deleting it frees (its allocated blocks; 0 when not a file) */
    bool stays;     /* it cannot be deleted (a directory): it counts among the kept, never goes */
};

/* Of `file` (a name in the directory): whether it is a core of guest `guest` (a file name as
   xd_watch_file_name() makes it); if so, *core is its stamp and domid (bytes 0, stays false). */
bool xd_watch_core_of(const char *file, const char *guest, struct xd_watch_core *core);

/* The limits and the filesystem, as the daemon measured them. */
struct xd_watch_room {
    unsigned keep;         /* cores kept per guest; 0: all, none is ever deleted */
    uint64_t min_free;     /* bytes the filesystem keeps free... */
    unsigned min_free_pct; /* ...or, when nonzero, this percentage of total */
    bool coming;           /* a core is about to be written (else: one was just written) */
    uint64_t need;         /* coming: what it may take at its largest */
    uint64_t busy;         /* coming: what the dumps in progress may still write */
    uint64_t total, avail; /* coming: the filesystem's size and free bytes */
};

struct xd_watch_plan {
    size_t ndelete; /* indices into the cores, in del[], oldest first */
    uint64_t freed; /* what deleting them frees */
    uint64_t floor; /* --min-free in bytes */
    bool fits;      /* the coming core fits, once they are deleted (true when none is coming) */
};

/*
 * Which of a guest's cores to delete (del[] has room for n). A core just written (among
 * cores): those beyond the keep newest. A core coming: none when it fits as things are (avail
 * keeps floor, busy and need); else those beyond the keep - 1 newest (the coming one is the
 * keep-th), but only when deleting them makes it fit - never a core for a dump that is
 * skipped all the same. A core that stays is never chosen and frees nothing. With n = 0: only
 * whether the coming core fits.
 */
struct xd_watch_plan xd_watch_vacuum(const struct xd_watch_core *cores, size_t n,
                                     const struct xd_watch_room *r, size_t *del);

#endif
