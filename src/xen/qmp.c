/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An HVM guest's device model, QEMU, writes guest RAM (emulated DMA, string I/O) through its
 * own mapping, which Xen's log-dirty does not see. QEMU reports those writes to Xen
 * (XEN_DMOP_modified_memory) only while its global dirty log is on: xen_hvm_modified_memory()
 * tests xen_in_migration (qemu 7.2, Debian 12's, hw/i386/xen/xen-hvm.c l.1579-1600), set by
 * the memory listener's log_global_start (l.698-708), which the QMP command
 * xen-set-global-dirty-log starts and stops (l.1602-1609; softmmu/memory.c l.2860-2948).
 * libxl turns it on for a migration of an HVM guest (not PVH: libxl_dom_save.c l.287-290)
 * before Xen's log-dirty, and off after it (tools/libs/guest/xg_sr_save_x86_hvm.c
 * l.160-167, 218-224; xg_sr_save.c l.832-835: Xen's OFF first), by QMP on the socket it
 * gives QEMU: XEN_RUN_DIR/qmp-libxl-<domid> (libxl_internal.h l.4846-4849, libxl_paths.c
 * l.33-36; `-chardev socket,id=libxl-cmd,...,server=on` in libxl_dm.c l.1225-1246), with a
 * 10 s timeout (libxl_dom_save.c l.220-221). All of Xen 4.17.7.
 *
 * What QEMU does that shapes this:
 * - the monitor serves one client at a time: while one is connected, its listener accepts
 *   no one (chardev/char-socket.c l.864-866, again on disconnect l.462-466); a second client
 *   connects into the kernel's backlog and hears nothing. So every exchange is short and
 *   bounded (XD_QMP_TIMEOUT_MS), and the socket is never held across the dump.
 * - on connect it sends a greeting {"QMP": {...}} (monitor/qmp.c l.401-436), then accepts only
 *   qmp_capabilities (other commands: CommandNotFound, l.147-157); responses are one JSON
 *   object a line (l.108-121), {"return": ...} or {"error": {"class", "desc"}}, with the
 *   request's "id" (qapi/qmp-dispatch.c l.287-293); events ({"event": ...}) may come between.
 * - enable when the log is already on answers {} and does nothing (memory.c l.2872-2875):
 *   QEMU does not say whose it is. Disable when it is off fails an assertion - QEMU aborts
 *   and the guest loses its device model (memory.c l.2889-2892). So xdump turns it off only
 *   when it was xdump's own "enable" that was answered, and asks only after its own log-dirty
 *   ENABLE succeeded (no migration is tracking the guest then).
 * - Xen ignores the reports while log-dirty is off (xen/arch/x86/hvm/dm.c l.135-136): the
 *   order of the two offs does not matter to the core, and QEMU's left on costs it a
 *   hypercall a write, nothing else.
 * The calls are made by the guardian (guardian.c), which turns QEMU's dirty log off should the
 * dumper die.
 */
#include "private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define XD_QMP_RUN_DIR                                                                             \
    "/var/run/xen"             /* XEN_RUN_DIR: $localstatedir/run/xen, m4/paths.m4 l.99, 131 */
#define XD_QMP_TIMEOUT_MS 5000 /* each exchange, from connect to the last reply */
#define XD_QMP_PAUSE_TIMEOUT_MS                                                                    \
    1000 /* the stop in the pause: its drain waits for the block requests in flight */
#define XD_QMP_LINE 8192 /* longer lines (no QEMU's answer here is) are skipped */

struct qmp_conn {
    int fd;
    struct timespec deadline;
    char buf[XD_QMP_LINE];
    size_t len;
    bool skipping;          /* inside a line too long to keep */
    char last[XD_QMP_LINE]; /* the last line expect() accepted */
};

static int remaining_ms(const struct qmp_conn *c)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms =
        (c->deadline.tv_sec - now.tv_sec) * 1000LL + (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
    return ms <= 0 ? 0 : ms > XD_QMP_TIMEOUT_MS ? XD_QMP_TIMEOUT_MS : (int)ms;
}

static int wait_fd(struct qmp_conn *c, short events)
{
    for (;;) {
        struct pollfd p = {.fd = c->fd, .events = events};
        int ms = remaining_ms(c);
        int n = ms ? poll(&p, 1, ms) : 0;
        if (n > 0)
            return 0;
        if (n == 0)
            return ETIMEDOUT;
        if (errno != EINTR)
            return errno;
    }
}

/* The top-level keys of the JSON object in line: which of QMP, return, error, event. A
   string's escapes and nested values are skipped; anything not an object answers 0. */
#define K_QMP 1u
#define K_RETURN 2u
#define K_ERROR 4u
#define K_EVENT 8u
static unsigned top_keys(const char *s)
{
    unsigned keys = 0, depth = 0;
    bool key_next = true;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s != '{')
        return 0;
    for (; *s; s++) {
        if (*s == '"') {
            const char *start = ++s;
            while (*s && *s != '"')
                s += s[0] == '\\' && s[1] ? 2 : 1;
            if (!*s)
                return 0;
            size_t n = (size_t)(s - start);
            if (depth == 1 && key_next) {
                keys |= n == 3 && !memcmp(start, "QMP", 3)      ? K_QMP
                        : n == 6 && !memcmp(start, "return", 6) ? K_RETURN
                        : n == 5 && !memcmp(start, "error", 5)  ? K_ERROR
                        : n == 5 && !memcmp(start, "event", 5)  ? K_EVENT
                                                                : 0;
                key_next = false;
            }
        } else if (*s == '{' || *s == '[') {
            depth++;
            key_next = *s == '{' && depth == 1;
        } else if (*s == '}' || *s == ']') {
            if (depth-- == 0)
                return 0;
        } else if (*s == ',' && depth == 1) {
            key_next = true;
        }
    }
    return keys;
}

/* The next line QEMU sends, into c->buf (NUL-terminated). 0, ETIMEDOUT, ECONNRESET (it hung
   up) or an errno. */
static int read_line(struct qmp_conn *c)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            *nl = 0;
            return 0;
        }
        if (c->len == sizeof(c->buf) - 1) { /* too long: dropped up to its end */
            c->len = 0;
            c->skipping = true;
        }
        int e = wait_fd(c, POLLIN);
        if (e)
            return e;
        ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
        if (n == 0)
            return ECONNRESET;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return errno;
        }
        if (c->skipping) {
            char *end = memchr(c->buf + c->len, '\n', (size_t)n);
            if (!end)
                continue;
            size_t rest = (size_t)n - (size_t)(end + 1 - (c->buf + c->len));
            memmove(c->buf, end + 1, rest);
            c->len = rest;
            c->skipping = false;
            continue;
        }
        c->len += (size_t)n;
    }
}

/* Drops the line read_line() returned. */
static void drop_line(struct qmp_conn *c)
{
    size_t used = strlen(c->buf) + 1;
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
}

/* Waits for a line with any of `want` among its keys, skipping events. */
static int expect(struct qmp_conn *c, unsigned want, unsigned *got)
{
    for (;;) {
        int e = read_line(c);
        if (e)
            return e;
        unsigned k = top_keys(c->buf);
        if (k & want)
            memcpy(c->last, c->buf, strlen(c->buf) + 1);
        drop_line(c);
        if (k & want) {
            *got = k;
            return 0;
        }
        if (!(k & K_EVENT))
            return EBADMSG; /* something else: not QEMU's monitor */
    }
}

static int send_all(struct qmp_conn *c, const char *msg)
{
    size_t len = strlen(msg), done = 0;
    while (done < len) {
        int e = wait_fd(c, POLLOUT);
        if (e)
            return e;
        ssize_t n = send(c->fd, msg + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return errno;
        if (n > 0)
            done += (size_t)n;
    }
    return 0;
}

void xd_qmp_path(uint32_t domid, char *path, size_t n)
{
    snprintf(path, n, "%s/qmp-libxl-%u", XD_QMP_RUN_DIR, domid);
}

/* The start of an exchange: connect, the greeting, qmp_capabilities. */
static int session(struct qmp_conn *c, uint32_t domid)
{
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    xd_qmp_path(domid, un.sun_path, sizeof(un.sun_path));
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        return errno;
    if (connect(c->fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
        /* ENOENT: no socket; ECONNREFUSED: its QEMU is gone; EAGAIN: the backlog is full (a
           client holds the monitor and another waits) */
        if (errno != EINPROGRESS)
            return errno == EAGAIN ? EBUSY : errno;
        int e = wait_fd(c, POLLOUT), err = 0;
        socklen_t len = sizeof(err);
        if (e || getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
            return e ? e : err ? err : errno;
    }
    unsigned k;
    int e = expect(c, K_QMP, &k);
    if (!e)
        e = send_all(c, "{\"execute\": \"qmp_capabilities\", \"id\": \"xdump-caps\"}\n");
    if (!e)
        e = expect(c, K_RETURN | K_ERROR, &k);
    return !e && (k & K_ERROR) ? EPROTO : e;
}

/* A command of the session, its answer in c->last: 0, EPROTO (an error answered), ETIME (no
   answer: QEMU may have acted) or an errno. */
static int command(struct qmp_conn *c, const char *request)
{
    unsigned k;
    int e = send_all(c, request);
    if (e)
        return e;
    /* From here QEMU may have acted: no answer is not "not done". */
    e = expect(c, K_RETURN | K_ERROR, &k);
    if (e)
        return e == ETIMEDOUT || e == ECONNRESET ? ETIME : e;
    return k & K_ERROR ? EPROTO : 0;
}

/* A session bounded by ms from now: op(c) after the greeting and the capabilities. */
static int bounded(uint32_t domid, int ms, int (*op)(struct qmp_conn *, void *), void *arg)
{
    struct qmp_conn c = {.fd = -1};
    clock_gettime(CLOCK_MONOTONIC, &c.deadline);
    c.deadline.tv_sec += ms / 1000;
    c.deadline.tv_nsec += (ms % 1000) * 1000000L;
    if (c.deadline.tv_nsec >= 1000000000L)
        c.deadline.tv_sec++, c.deadline.tv_nsec -= 1000000000L;
    int e = session(&c, domid);
    if (!e)
        e = op(&c, arg);
    if (c.fd >= 0)
        close(c.fd);
    return e;
}

static int set_dirty_log(struct qmp_conn *c, void *arg)
{
    return command(c, *(bool *)arg ? "{\"execute\": \"xen-set-global-dirty-log\", \"arguments\": "
                                     "{\"enable\": true}, \"id\": \"xdump-dirty\"}\n"
                                   : "{\"execute\": \"xen-set-global-dirty-log\", \"arguments\": "
                                     "{\"enable\": false}, \"id\": \"xdump-dirty\"}\n");
}

int xd_qmp_set_dirty_log(uint32_t domid, bool enable)
{
    return bounded(domid, XD_QMP_TIMEOUT_MS, set_dirty_log, &enable);
}

/* "running": true in query-status's answer ({"return": {"status": ..., "singlestep": ...,
   "running": BOOL}}: qmp_query_status(), qemu 7.2 softmmu/runstate.c l.234-243, keys written
   `"key": value`, qobject/json-writer.c l.171). */
static bool says_running(const char *line)
{
    /* the key, not the status's value "running" before it */
    for (const char *p = line; (p = strstr(p, "\"running\"")); p += 9) {
        const char *q = p + 9;
        while (*q == ' ')
            q++;
        if (*q != ':')
            continue;
        for (q++; *q == ' '; q++)
            ;
        return !strncmp(q, "true", 4);
    }
    return false;
}

static int stop_if_running(struct qmp_conn *c, void *arg)
{
    (void)arg;
    int e = command(c, "{\"execute\": \"query-status\", \"id\": \"xdump-status\"}\n");
    if (e)
        return e == ETIME ? ETIMEDOUT : e; /* a question: nothing was done */
    if (!says_running(c->last))
        return EALREADY; /* stopped by someone else (or never started): theirs to resume */
    return command(c, "{\"execute\": \"stop\", \"id\": \"xdump-stop\"}\n");
}

int xd_qmp_stop(uint32_t domid)
{
    return bounded(domid, XD_QMP_PAUSE_TIMEOUT_MS, stop_if_running, NULL);
}

static int cont(struct qmp_conn *c, void *arg)
{
    (void)arg;
    return command(c, "{\"execute\": \"cont\", \"id\": \"xdump-cont\"}\n");
}

int xd_qmp_cont(uint32_t domid)
{
    return bounded(domid, XD_QMP_TIMEOUT_MS, cont, NULL);
}

int xd_dm_dirty_on(struct xd_domain *d, enum xd_domtype type)
{
    /* PV guests' back ends use grants, which Xen marks (grant_table.c); PVH has no QEMU */
    if (type != XD_HVM)
        return XD_DM_NONE;
    char path[108];
    xd_qmp_path(d->domid, path, sizeof(path));
    int e = xd_guardian_call(d, 'Q');
    if (e == 0) {
        d->dm_dirty = true;
        return XD_DM_TRACKED;
    }
    const char *why = e == ENOENT         ? "no device model's QMP socket"
                      : e == ECONNREFUSED ? "no device model listens on its QMP socket"
                      : e == ETIMEDOUT    ? "its device model did not answer in 5 s (another "
                                            "client on its monitor?)"
                      : e == ETIME        ? "its device model did not answer the command in 5 s "
                                            "(it may be on now: harmless, Xen ignores its reports "
                                            "without log-dirty)"
                      : e == EBUSY        ? "its device model's monitor is busy (other clients)"
                      : e == EPROTO       ? "its device model refused xen-set-global-dirty-log"
                      : e == EBADMSG      ? "what answers on the QMP socket is not QEMU's monitor"
                                          : strerror(e);
    fail(d, XDUMP_E_FAIL,
         "domain %u: %s (%s): writes its emulated devices make into guest memory (DMA) while "
         "the guest runs are not tracked; the core says so",
         d->domid, why, path);
    return XD_DM_UNTRACKED;
}

int xd_dm_stop(struct xd_domain *d)
{
    if (!d->dm_dirty)
        return 0;
    d->dm_stop_sent = true;
    int e = xd_guardian_call(d, 'S');
    if (e == 0)
        return 0;
    if (e == EALREADY || e == ETIMEDOUT) /* asked nothing, or no answer before the stop */
        d->dm_stop_sent = false;
    char path[108];
    xd_qmp_path(d->domid, path, sizeof(path));
    return fail(d, XDUMP_E_FAIL,
                "domain %u: its device model was %s (%s): DMA it completes in the pause may be "
                "missing from the core; the core says so",
                d->domid,
                e == EALREADY                  ? "not running (stopped by someone else: left so)"
                : e == ETIME || e == ETIMEDOUT ? "not stopped within 1 s"
                                               : strerror(e),
                path);
}

int xd_dm_cont(struct xd_domain *d)
{
    if (!d || !d->dm_stop_sent)
        return 0;
    d->dm_stop_sent = false;
    int e = xd_guardian_call(d, 'C');
    if (e == 0)
        return 0;
    char path[108];
    xd_qmp_path(d->domid, path, sizeof(path));
    return fail(d, XDUMP_E_FAIL,
                "domain %u: cannot continue its device model (%s, %s): its emulated devices do "
                "not answer the guest until QMP 'cont' is sent on that socket",
                d->domid, path, e == ETIME || e == ETIMEDOUT ? "no answer in 5 s" : strerror(e));
}

int xd_dm_dirty_off(struct xd_domain *d)
{
    if (!d || !d->dm_dirty)
        return 0;
    d->dm_dirty = false;
    int e = xd_guardian_call(d, 'q');
    if (e == 0)
        return 0;
    char path[108];
    xd_qmp_path(d->domid, path, sizeof(path));
    return fail(d, XDUMP_E_FAIL,
                "domain %u: cannot turn its device model's dirty log off (%s, %s): harmless, Xen "
                "ignores its reports without log-dirty",
                d->domid, path, e == ETIMEDOUT || e == ETIME ? "no answer in 5 s" : strerror(e));
}
