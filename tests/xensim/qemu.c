/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An HVM domain's device model, as a dom0 tool meets QEMU 7.2 (Debian 12's, qemu
 * 1:7.2+dfsg-7+deb12u18 with Debian's patches) started by libxl: its QMP monitor on the
 * socket libxl gives it, XEN_RUN_DIR/qmp-libxl-<domid> (Xen 4.17.7's libxl_internal.h
 * l.4846-4849, libxl_dm.c l.1225-1246; xensim.so redirects /var/run/xen/ to DIR/run/xen/), and
 * its global dirty log, which xen-set-global-dirty-log switches. Its DMA writer is xensim.c's
 * (`xensim qemu ... PFN PAGES MIBS`): writes through the device model's own mapping, which
 * Xen's log-dirty does not see, reported by XEN_DMOP_modified_memory only while the dirty log
 * is on (world.c, xsim_dm_modified_memory()).
 *
 * The monitor, as QEMU's (file:line of qemu 7.2):
 * - one client at a time: while one is connected the listener accepts no one
 *   (chardev/char-socket.c l.864-866), and again once it hangs up (l.462-466);
 * - on connect, the greeting {"QMP": {"version": ..., "capabilities": ["oob"]}}
 *   (monitor/qmp.c l.401-436; "oob" is offered on a socket chardev, l.59 and l.490-493);
 * - until qmp_capabilities, any other command is CommandNotFound "Expecting capabilities
 *   negotiation with 'qmp_capabilities'" (l.147-157); qmp_capabilities a second time is
 *   CommandNotFound "Capabilities negotiation is already complete, command ignored"
 *   (monitor/qmp-cmds-control.c l.82-87);
 * - an unknown command: CommandNotFound "The command X has not been found"
 *   (qapi/qmp-dispatch.c l.170-174); a missing argument: GenericError "Parameter 'enable' is
 *   missing", a wrong type "Invalid parameter type for 'enable', expected: boolean"
 *   (include/qapi/qmp/qerror.h l.38-51);
 * - a response a line (monitor/qmp.c l.108-121), the request's "id" echoed
 *   (qmp-dispatch.c l.291-293);
 * - xen-set-global-dirty-log (hw/i386/xen/xen-hvm.c l.1602-1609): enable when on does
 *   nothing and answers {} (softmmu/memory.c l.2872-2875); disable when off fails the
 *   assertion of l.2892 - QEMU aborts: here counted (qmp_aborts), logged, and the process
 *   exits 134 as an abort would.
 * Requests are read a line at a time (QEMU's parser takes JSON split anywhere; every client
 * here sends one request a line).
 *
 * MODE: `ok`; `refuse`, a QEMU without the command (CommandNotFound, as qmp-dispatch.c
 * answers a command it does not have); `mute`, a monitor that never accepts (another client
 * holds it, or QEMU is wedged): a connect lands in the backlog and hears nothing; `noreply`,
 * a QEMU that acts on xen-set-global-dirty-log but whose answer never comes (it hangs after).
 */
#include "qemu.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum qmp_mode { QMP_OK, QMP_REFUSE, QMP_MUTE, QMP_NOREPLY };

struct qmp_server {
    struct xsim_handle *h;
    struct xsim_domain *d;
    int listen_fd;
    enum qmp_mode mode;
};

static void reply(int fd, const char *body, const char *id)
{
    char line[1024];
    int n = id ? snprintf(line, sizeof(line), "{%s, \"id\": %s}\n", body, id)
               : snprintf(line, sizeof(line), "{%s}\n", body);
    if (n > 0 && (size_t)n < sizeof(line)) {
        ssize_t w = send(fd, line, (size_t)n, MSG_NOSIGNAL);
        (void)w;
    }
}

static void error_reply(int fd, const char *cls, const char *desc, const char *id)
{
    char body[700];
    snprintf(body, sizeof(body), "\"error\": {\"class\": \"%s\", \"desc\": \"%s\"}", cls, desc);
    reply(fd, body, id);
}

/* The value of key in a flat-enough JSON object: a pointer to it, or NULL. Good enough for
   the requests a dom0 tool sends ({"execute": "...", "arguments": {...}, "id": ...}). */
static const char *value_of(const char *s, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\"", key);
    const char *p = strstr(s, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != ':')
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A JSON string's value (no escapes: none of the names here has one) into out. */
static bool string_of(const char *v, char *out, size_t n)
{
    if (!v || *v != '"')
        return false;
    const char *end = strchr(v + 1, '"');
    if (!end || (size_t)(end - v - 1) >= n)
        return false;
    memcpy(out, v + 1, (size_t)(end - v - 1));
    out[end - v - 1] = 0;
    return true;
}

/* One request of a client; returns false when QEMU would have aborted. */
static bool request(struct qmp_server *s, int fd, const char *line, bool *negotiated)
{
    char cmd[128], idbuf[128] = "";
    const char *idv = value_of(line, "id"), *id = NULL;
    if (idv) { /* echoed as it came: a string or a number */
        size_t n = strcspn(idv, ",}");
        if (n < sizeof(idbuf)) {
            memcpy(idbuf, idv, n);
            idbuf[n] = 0;
            while (n && (idbuf[n - 1] == ' ' || idbuf[n - 1] == '\r'))
                idbuf[--n] = 0;
            id = idbuf;
        }
    }
    if (!string_of(value_of(line, "execute"), cmd, sizeof(cmd))) {
        error_reply(fd, "GenericError", "QMP input lacks member 'execute'", id);
        return true;
    }
    if (!strcmp(cmd, "qmp_capabilities")) {
        if (*negotiated)
            error_reply(fd, "CommandNotFound",
                        "Capabilities negotiation is already complete, command ignored", id);
        else
            reply(fd, "\"return\": {}", id);
        *negotiated = true;
        return true;
    }
    if (!*negotiated) {
        error_reply(fd, "CommandNotFound",
                    "Expecting capabilities negotiation with 'qmp_capabilities'", id);
        return true;
    }
    struct xsim_domain *d = s->d;
    if (s->mode != QMP_REFUSE && !strcmp(cmd, "query-status")) {
        /* qmp_query_status(), softmmu/runstate.c l.234-243: the runstate; "paused" after a
           stop (monitor/qmp-cmds.c l.97). Xen's pause does not change it. */
        bool run = !XS_LOAD(&d->dm_stopped);
        reply(
            fd,
            run ? "\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}"
                : "\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}",
            id);
        return true;
    }
    if (s->mode != QMP_REFUSE && !strcmp(cmd, "stop")) {
        /* qmp_stop() -> vm_stop(RUN_STATE_PAUSED) (monitor/qmp-cmds.c l.85-99): do_vm_stop()
           turns the ioreq server off (hw/i386/xen/xen-hvm.c l.1229-1241) and drains the block
           layer before it returns (softmmu/cpus.c l.254-273); a stop when stopped does
           nothing but drain. Answered after. */
        xsim_dm_stop(d);
        XS_ADD(&d->c.qmp_stops, 1);
        reply(fd, "\"return\": {}", id);
        return true;
    }
    if (s->mode != QMP_REFUSE && !strcmp(cmd, "cont")) {
        /* qmp_cont() -> vm_start() (monitor/qmp-cmds.c l.111-163): running again, the ioreq
           server on; a cont when running does nothing */
        XS_STORE(&d->dm_stopped, 0);
        XS_ADD(&d->c.qmp_conts, 1);
        reply(fd, "\"return\": {}", id);
        return true;
    }
    if (strcmp(cmd, "xen-set-global-dirty-log") || s->mode == QMP_REFUSE) {
        char desc[256];
        snprintf(desc, sizeof(desc), "The command %s has not been found", cmd);
        error_reply(fd, "CommandNotFound", desc, id);
        return true;
    }
    const char *args = value_of(line, "arguments");
    const char *en = args ? value_of(args, "enable") : NULL;
    if (!en) {
        error_reply(fd, "GenericError", "Parameter 'enable' is missing", id);
        return true;
    }
    bool on = !strncmp(en, "true", 4);
    if (!on && strncmp(en, "false", 5)) {
        error_reply(fd, "GenericError", "Invalid parameter type for 'enable', expected: boolean",
                    id);
        return true;
    }
    if (on) {
        if (!XS_LOAD(&d->dm_dirty))
            XS_ADD(&d->c.qmp_dirty_on, 1);
        XS_STORE(&d->dm_dirty, 1);
    } else {
        if (!XS_LOAD(&d->dm_dirty)) {
            XS_ADD(&d->c.qmp_aborts, 1);
            xsim_log(s->h,
                     "dom%u: qemu: xen-set-global-dirty-log false while off: "
                     "memory_global_dirty_log_do_stop: assertion failed, QEMU aborts",
                     d->domid);
            return false;
        }
        XS_ADD(&d->c.qmp_dirty_off, 1);
        XS_STORE(&d->dm_dirty, 0);
    }
    if (s->mode == QMP_NOREPLY)
        for (;;)
            pause();
    reply(fd, "\"return\": {}", id);
    return true;
}

static void serve(struct qmp_server *s, int fd)
{
    XS_ADD(&s->d->c.qmp_clients, 1);
    reply(fd,
          "\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
          "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18\"}, \"capabilities\": [\"oob\"]}",
          NULL);
    char buf[8192];
    size_t len = 0;
    bool negotiated = false;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        char *nl;
        while ((nl = strchr(buf, '\n'))) {
            *nl = 0;
            if (!request(s, fd, buf, &negotiated))
                _exit(134); /* abort() */
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len + 1);
        }
        if (len == sizeof(buf) - 1)
            len = 0; /* an absurd line: dropped */
    }
    close(fd);
}

static void *qmp_thread(void *arg)
{
    struct qmp_server *s = arg;
    for (;;) {
        if (s->mode == QMP_MUTE) {
            pause();
            continue;
        }
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd >= 0)
            serve(s, fd); /* one client at a time */
        else if (errno != EINTR)
            return NULL;
    }
}

int xsim_qemu_start(struct xsim_handle *h, struct xsim_domain *d, const char *mode)
{
    static struct qmp_server s;
    s.h = h, s.d = d;
    s.mode = !strcmp(mode, "ok")        ? QMP_OK
             : !strcmp(mode, "refuse")  ? QMP_REFUSE
             : !strcmp(mode, "mute")    ? QMP_MUTE
             : !strcmp(mode, "noreply") ? QMP_NOREPLY
                                        : (enum qmp_mode) - 1;
    if ((int)s.mode < 0) {
        fprintf(stderr, "xensim qemu: MODE is ok, refuse, mute or noreply\n");
        return -1;
    }
    if (d->type != XS_HVM) {
        fprintf(stderr, "xensim qemu: dom%u is not HVM: libxl gives it no QEMU\n", d->domid);
        return -1;
    }
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    char run[4200];
    snprintf(run, sizeof(run), "%s/run", h->dir);
    mkdir(run, 0755);
    snprintf(run, sizeof(run), "%s/run/xen", h->dir);
    mkdir(run, 0755);
    if ((size_t)snprintf(un.sun_path, sizeof(un.sun_path), "%s/qmp-libxl-%u", run, d->domid) >=
        sizeof(un.sun_path)) {
        fprintf(stderr, "xensim qemu: %s: too long a socket path\n", run);
        return -1;
    }
    /* libxl__pre_open_qmp_socket(): the old socket removed, bound, listen(fd, 1)
       (libxl_dm.c l.1140-1177) */
    unlink(un.sun_path);
    s.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.listen_fd < 0 || bind(s.listen_fd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
        listen(s.listen_fd, 1) < 0) {
        fprintf(stderr, "xensim qemu: %s: %s\n", un.sun_path, strerror(errno));
        return -1;
    }
    XS_STORE(&d->dm_dirty, 0);
    XS_STORE(&d->dm_stopped, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, qmp_thread, &s)) {
        fprintf(stderr, "xensim qemu: no thread\n");
        return -1;
    }
    pthread_detach(t);
    return 0;
}
