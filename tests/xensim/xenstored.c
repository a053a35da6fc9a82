/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim-xenstored - enough of xenstored, over its unix socket, for Debian's real libxenstore
 * to run against a simulated world:
 *
 *   xensim-xenstored DIR SOCKET       serve world DIR on SOCKET until SIGTERM/SIGINT
 *
 * Programs reach it with XENSTORED_PATH=SOCKET (libxenstore connects there first).
 *
 * The store is not kept: every answer is read from the world (DIR/world.state) at the time
 * of the request, as a toolstack would have written it for each live domain:
 *
 *   /local/domain/<id>/{name,domid,vm}       vm = /vm/<uuid> (guests only)
 *   /vm/<uuid>/{uuid,name,start_time}        start_time: when the domain was laid out
 *                                            (dom<ID>.mem's mtime, "%ld.%02ld" as libxl)
 *
 * Wire protocol (xen/io/xs_wire.h): a struct xsd_sockmsg header then `len` bytes. Served:
 * READ, DIRECTORY, WATCH (with the initial event xenstored sends on registration), UNWATCH,
 * RESET_WATCHES, GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED, GET_PERMS. Writes are refused
 * (EACCES: the simulated store is read-only); DIRECTORY_PART and the rest answer ENOSYS.
 *
 * Like xenstored on VIRQ_DOM_EXC, it fires the special watch @releaseDomain when a domain
 * shuts down (crash included), starts dying or is gone: world.state is polled every 20 ms,
 * since `xensim set` changes it behind our back. Watches on ordinary paths fire when the
 * /local/domain/<id> subtree of a domain that is gone disappears.
 */
#include "world.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#define MAX_CONNS 64
#define MAX_WATCHES 32
#define POLL_MS 20

struct watch {
    char path[XENSTORE_ABS_PATH_MAX];
    char token[256];
};

struct conn {
    int fd;
    size_t have; /* bytes of the current request in buf */
    uint8_t buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    struct watch *watches;
    int nwatches;
};

struct store {
    struct xsim_handle *h;
    struct conn conns[MAX_CONNS];
    int32_t seen_life[XS_MAX_DOMAINS];
    bool verbose;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void note(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct store *s, const char *fmt, ...)
{
    if (!s->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("xensim-xenstored: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- the store, derived from the world ---------------------------------------------------- */

/* A growing list of NUL-terminated strings: a DIRECTORY answer or a value. */
struct reply {
    char data[XENSTORE_PAYLOAD_MAX];
    size_t len;
    bool overflow;
};

static void put(struct reply *r, const char *s, bool nul)
{
    size_t n = strlen(s) + (nul ? 1 : 0);
    if (r->len + n > sizeof(r->data)) {
        r->overflow = true;
        return;
    }
    memcpy(r->data + r->len, s, n);
    r->len += n;
}

static void uuid_text(const struct xsim_domain *d, char out[37])
{
    const uint8_t *u = d->handle;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

static void start_time(struct store *s, const struct xsim_domain *d, char *out, size_t n)
{
    char path[4200];
    struct stat st;
    xsim_path(s->h, d->domid, "mem", path, sizeof(path));
    if (stat(path, &st) < 0)
        st.st_mtim = (struct timespec){0, 0};
    snprintf(out, n, "%ld.%02ld", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 10000000);
}

static struct xsim_domain *by_uuid(struct store *s, const char *uuid, size_t len)
{
    for (uint32_t i = 0; i < s->h->w->nr_domains; i++) {
        struct xsim_domain *d = &s->h->w->dom[i];
        char u[37];
        uuid_text(d, u);
        if (d->domid != 0 && XS_LOAD(&d->life) != XS_GONE && len == 36 && !memcmp(u, uuid, 36))
            return d;
    }
    return NULL;
}

/* Parses "<digits>" at p (up to '/' or the end) into a live domain. */
static struct xsim_domain *by_id(struct store *s, const char *p, const char **rest)
{
    char *end;
    if (*p < '0' || *p > '9')
        return NULL;
    unsigned long id = strtoul(p, &end, 10);
    if ((*end && *end != '/') || id > 0x7fef)
        return NULL;
    *rest = end;
    return xsim_domain(s->h, (uint32_t)id);
}

/* Answers READ (dir = false) or DIRECTORY (dir = true) for path. Returns 0 or an errno. */
static int lookup(struct store *s, const char *path, bool dir, struct reply *r)
{
    const char *rest;
    char u[37], v[64];
    if (!strcmp(path, "/")) {
        if (!dir)
            return 0; /* the root has an empty value */
        put(r, "local", true), put(r, "vm", true);
        return 0;
    }
    if (!strcmp(path, "/local")) {
        if (dir)
            put(r, "domain", true);
        return 0;
    }
    if (!strcmp(path, "/local/domain") || !strcmp(path, "/vm")) {
        bool vm = path[1] == 'v';
        for (uint32_t i = 0; dir && i < s->h->w->nr_domains; i++) {
            const struct xsim_domain *d = &s->h->w->dom[i];
            if (XS_LOAD(&d->life) == XS_GONE || (vm && d->domid == 0))
                continue;
            if (vm)
                uuid_text(d, u);
            else
                snprintf(u, sizeof(u), "%u", d->domid);
            put(r, u, true);
        }
        return 0;
    }
    if (!strncmp(path, "/local/domain/", 14)) {
        struct xsim_domain *d = by_id(s, path + 14, &rest);
        if (!d)
            return ENOENT;
        if (!*rest) {
            if (dir) {
                put(r, "name", true), put(r, "domid", true);
                if (d->domid)
                    put(r, "vm", true);
            }
            return 0;
        }
        if (dir)
            return strcmp(rest, "/name") && strcmp(rest, "/domid") && strcmp(rest, "/vm") ? ENOENT
                                                                                          : 0;
        if (!strcmp(rest, "/name"))
            put(r, d->name, false);
        else if (!strcmp(rest, "/domid"))
            snprintf(v, sizeof(v), "%u", d->domid), put(r, v, false);
        else if (!strcmp(rest, "/vm") && d->domid)
            uuid_text(d, u), put(r, "/vm/", false), put(r, u, false);
        else
            return ENOENT;
        return 0;
    }
    if (!strncmp(path, "/vm/", 4)) {
        const char *slash = strchr(path + 4, '/');
        size_t len = slash ? (size_t)(slash - path - 4) : strlen(path + 4);
        struct xsim_domain *d = by_uuid(s, path + 4, len);
        if (!d)
            return ENOENT;
        rest = path + 4 + len;
        if (!*rest) {
            if (dir)
                put(r, "uuid", true), put(r, "name", true), put(r, "start_time", true);
            return 0;
        }
        if (dir)
            return strcmp(rest, "/uuid") && strcmp(rest, "/name") && strcmp(rest, "/start_time")
                       ? ENOENT
                       : 0;
        if (!strcmp(rest, "/uuid"))
            uuid_text(d, u), put(r, u, false);
        else if (!strcmp(rest, "/name"))
            put(r, d->name, false);
        else if (!strcmp(rest, "/start_time"))
            start_time(s, d, v, sizeof(v)), put(r, v, false);
        else
            return ENOENT;
        return 0;
    }
    return ENOENT;
}

/* ---- the wire ----------------------------------------------------------------------------- */

static int send_msg(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                    const void *body, size_t len)
{
    struct xsd_sockmsg h = {type, req_id, tx_id, (uint32_t)len};
    uint8_t out[sizeof(h) + XENSTORE_PAYLOAD_MAX];
    memcpy(out, &h, sizeof(h));
    memcpy(out + sizeof(h), body, len);
    size_t off = 0, total = sizeof(h) + len;
    while (off < total) {
        ssize_t w = send(c->fd, out + off, total - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

static int send_error(struct conn *c, const struct xsd_sockmsg *req, int err)
{
    const char *name = "EINVAL";
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (xsd_errors[i].errnum == err)
            name = xsd_errors[i].errstring;
    return send_msg(c, XS_ERROR, req->req_id, req->tx_id, name, strlen(name) + 1);
}

static int fire(struct conn *c, const char *path, const char *token)
{
    struct reply r = {.len = 0};
    put(&r, path, true);
    put(&r, token, true);
    return send_msg(c, XS_WATCH_EVENT, 0, 0, r.data, r.len);
}

/* The NUL-terminated strings of a request body: up to `max`, false when malformed. */
static bool strings(const char *body, size_t len, const char **out, int max, int want)
{
    int n = 0;
    for (size_t off = 0; off < len && n < max;) {
        const char *z = memchr(body + off, 0, len - off);
        if (!z)
            return false;
        out[n++] = body + off;
        off = (size_t)(z - body) + 1;
    }
    return n >= want;
}

static int do_watch(struct store *s, struct conn *c, const struct xsd_sockmsg *m, const char *body)
{
    const char *a[2];
    if (!strings(body, m->len, a, 2, 2))
        return send_error(c, m, EINVAL);
    if (c->nwatches == MAX_WATCHES)
        return send_error(c, m, ENOSPC);
    if (!c->watches && !(c->watches = calloc(MAX_WATCHES, sizeof(*c->watches))))
        return send_error(c, m, ENOMEM);
    struct watch *w = &c->watches[c->nwatches++];
    snprintf(w->path, sizeof(w->path), "%s", a[0]);
    snprintf(w->token, sizeof(w->token), "%s", a[1]);
    note(s, "fd %d watches %s (%s)", c->fd, w->path, w->token);
    if (send_msg(c, XS_WATCH, m->req_id, m->tx_id, "OK", 3) < 0)
        return -1;
    return fire(c, w->path, w->token); /* xenstored's initial event on registration */
}

static int do_unwatch(struct conn *c, const struct xsd_sockmsg *m, const char *body)
{
    const char *a[2];
    if (!strings(body, m->len, a, 2, 2))
        return send_error(c, m, EINVAL);
    for (int i = 0; i < c->nwatches; i++)
        if (!strcmp(c->watches[i].path, a[0]) && !strcmp(c->watches[i].token, a[1])) {
            c->watches[i] = c->watches[--c->nwatches];
            return send_msg(c, XS_UNWATCH, m->req_id, m->tx_id, "OK", 3);
        }
    return send_error(c, m, ENOENT);
}

static int handle(struct store *s, struct conn *c, const struct xsd_sockmsg *m, const char *body)
{
    const char *a[1];
    struct reply r = {.len = 0};
    char v[64];
    int err;
    switch (m->type) {
    case XS_READ:
    case XS_DIRECTORY:
        if (!strings(body, m->len, a, 1, 1))
            return send_error(c, m, EINVAL);
        err = lookup(s, a[0], m->type == XS_DIRECTORY, &r);
        if (!err && r.overflow)
            err = E2BIG;
        note(s, "%s %s: %s", m->type == XS_READ ? "read" : "directory", a[0],
             err ? strerror(err) : "ok");
        return err ? send_error(c, m, err)
                   : send_msg(c, m->type, m->req_id, m->tx_id, r.data, r.len);
    case XS_GET_PERMS:
        if (!strings(body, m->len, a, 1, 1))
            return send_error(c, m, EINVAL);
        if ((err = lookup(s, a[0], false, &r)) != 0)
            return send_error(c, m, err);
        return send_msg(c, m->type, m->req_id, m->tx_id, "n0", 3);
    case XS_WATCH:
        return do_watch(s, c, m, body);
    case XS_UNWATCH:
        return do_unwatch(c, m, body);
    case XS_RESET_WATCHES:
        c->nwatches = 0;
        return send_msg(c, m->type, m->req_id, m->tx_id, "OK", 3);
    case XS_GET_DOMAIN_PATH:
        if (!strings(body, m->len, a, 1, 1))
            return send_error(c, m, EINVAL);
        snprintf(v, sizeof(v), "/local/domain/%u", (unsigned)strtoul(a[0], NULL, 10));
        return send_msg(c, m->type, m->req_id, m->tx_id, v, strlen(v) + 1);
    case XS_IS_DOMAIN_INTRODUCED:
        if (!strings(body, m->len, a, 1, 1))
            return send_error(c, m, EINVAL);
        v[0] = xsim_domain(s->h, (uint32_t)strtoul(a[0], NULL, 10)) ? 'T' : 'F';
        v[1] = 0;
        return send_msg(c, m->type, m->req_id, m->tx_id, v, 2);
    case XS_WRITE:
    case XS_MKDIR:
    case XS_RM:
    case XS_SET_PERMS:
        return send_error(c, m, EACCES);
    default:
        note(s, "request type %u not served: ENOSYS", m->type);
        return send_error(c, m, ENOSYS);
    }
}

/* Reads what the connection sent; serves each whole request. -1: drop the connection. */
static int serve(struct store *s, struct conn *c)
{
    ssize_t n = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0)
        return -1;
    c->have += (size_t)n;
    const size_t hs = sizeof(struct xsd_sockmsg);
    while (c->have >= hs) {
        struct xsd_sockmsg m;
        memcpy(&m, c->buf, hs);
        if (m.len > XENSTORE_PAYLOAD_MAX)
            return -1; /* a protocol violation: xenstored drops such a client */
        if (c->have < hs + m.len)
            break;
        char body[XENSTORE_PAYLOAD_MAX + 1];
        memcpy(body, c->buf + hs, m.len);
        body[m.len] = 0;
        if (handle(s, c, &m, body) < 0)
            return -1;
        memmove(c->buf, c->buf + hs + m.len, c->have - hs - m.len);
        c->have -= hs + m.len;
    }
    return 0;
}

/* ---- VIRQ_DOM_EXC, simulated -------------------------------------------------------------- */

static bool is_subpath(const char *parent, const char *child)
{
    size_t n = strlen(parent);
    return !strncmp(parent, child, n) && (child[n] == 0 || child[n] == '/' || parent[n - 1] == '/');
}

static void fire_all(struct store *s, const char *path)
{
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &s->conns[i];
        for (int k = 0; c->fd >= 0 && k < c->nwatches; k++) {
            const struct watch *w = &c->watches[k];
            bool special = path[0] == '@';
            bool hit = special ? !strcmp(w->path, path)
                               : w->path[0] != '@' &&
                                     (is_subpath(w->path, path) || is_subpath(path, w->path));
            if (hit && fire(c, path, w->token) < 0) {
                note(s, "fd %d went away", c->fd);
                close(c->fd);
                c->fd = -1;
            }
        }
    }
}

/* Compares every domain's life with what we saw last; fires as xenstored's check_domains(). */
static void check_domains(struct store *s)
{
    bool release = false;
    for (uint32_t i = 0; i < s->h->w->nr_domains && i < XS_MAX_DOMAINS; i++) {
        const struct xsim_domain *d = &s->h->w->dom[i];
        int32_t life = XS_LOAD(&d->life);
        if (life == s->seen_life[i])
            continue;
        note(s, "domain %u: life %d -> %d", d->domid, s->seen_life[i], life);
        if (life != XS_RUNNING)
            release = true;
        if (life == XS_GONE) {
            char path[64];
            snprintf(path, sizeof(path), "/local/domain/%u", d->domid);
            fire_all(s, path);
        }
        s->seen_life[i] = life;
    }
    if (release)
        fire_all(s, "@releaseDomain");
}

static int listen_on(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(a.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void accept_one(struct store *s, int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CONNS; i++)
        if (s->conns[i].fd < 0) {
            s->conns[i].fd = fd;
            s->conns[i].have = 0;
            s->conns[i].nwatches = 0;
            note(s, "fd %d connected", fd);
            return;
        }
    close(fd); /* full: as a xenstored past its connection quota */
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void run(struct store *s, int lfd)
{
    long next_check = 0;
    while (!stopping) {
        struct pollfd p[MAX_CONNS + 1];
        int idx[MAX_CONNS + 1], n = 0;
        p[n] = (struct pollfd){lfd, POLLIN, 0}, idx[n++] = -1;
        for (int i = 0; i < MAX_CONNS; i++)
            if (s->conns[i].fd >= 0)
                p[n] = (struct pollfd){s->conns[i].fd, POLLIN, 0}, idx[n++] = i;
        long wait = next_check - now_ms();
        int r = poll(p, (nfds_t)n, wait < 0 ? 0 : (int)wait);
        for (int i = 0; r > 0 && i < n; i++) {
            if (!p[i].revents)
                continue;
            if (idx[i] < 0) {
                accept_one(s, lfd);
                continue;
            }
            struct conn *c = &s->conns[idx[i]];
            if (serve(s, c) < 0) {
                note(s, "fd %d closed", c->fd);
                close(c->fd);
                c->fd = -1;
            }
        }
        if (now_ms() >= next_check) {
            check_domains(s);
            next_check = now_ms() + POLL_MS;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: xensim-xenstored DIR SOCKET   (XENSIM_XENSTORED_VERBOSE=1: log requests)\n",
              stderr);
        return 2;
    }
    static struct store s;
    s.verbose = getenv("XENSIM_XENSTORED_VERBOSE") != NULL;
    if (!(s.h = xsim_open(argv[1]))) {
        fprintf(stderr, "xensim-xenstored: %s: not a world (%s)\n", argv[1], strerror(errno));
        return 1;
    }
    for (int i = 0; i < MAX_CONNS; i++)
        s.conns[i].fd = -1;
    for (uint32_t i = 0; i < s.h->w->nr_domains && i < XS_MAX_DOMAINS; i++)
        s.seen_life[i] = XS_LOAD(&s.h->w->dom[i].life);
    int lfd = listen_on(argv[2]);
    if (lfd < 0) {
        fprintf(stderr, "xensim-xenstored: %s: %s\n", argv[2], strerror(errno));
        xsim_close(s.h);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    run(&s, lfd);
    for (int i = 0; i < MAX_CONNS; i++) {
        if (s.conns[i].fd >= 0)
            close(s.conns[i].fd);
        free(s.conns[i].watches);
    }
    close(lfd);
    unlink(argv[2]);
    xsim_close(s.h);
    return 0;
}
