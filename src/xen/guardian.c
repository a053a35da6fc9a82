/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guardian: a child process that makes the calls whose undoing it guarantees - the pause,
 * log-dirty mode and an HVM guest's QEMU dirty log (qmp.c) - and undoes them, and removes the
 * unfinished output, should the dumper die (domain.h). Here because pausing is a Xen call.
 *
 * Why the guardian makes the calls rather than being told of them: a dumper killed between
 * its pause and its message would leave the guest paused for good, one killed between its
 * message and its pause would make the guardian unpause a pause that is someone else's, and
 * log-dirty announced before an ENABLE that then fails (another tool's tracking) would make
 * it turn off a migration's tracking. The process that made a call knows whether it landed.
 */
#include "private.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct xd_guardian {
    pid_t pid;
    int fd;    /* requests: a call ('P', 'U', 'L', 'E', 'l', 'Q', 'q'), 'F'<path>'\n', 'K'; end of
                  file:    the dumper is gone */
    int reply; /* the answer to a call: its errno, 0 when it succeeded */
    struct xd_domain *dom;
};

/* One of the calls, made with handle xch: 0 or the errno it failed with. */
static int call(xc_interface *xch, uint32_t domid, char op)
{
    int rc = -1;
    if (op == 'Q' || op == 'q') /* QMP, not libxenctrl: its own errno */
        return xd_qmp_set_dirty_log(domid, op == 'Q');
    if (op == 'S')
        return xd_qmp_stop(domid);
    if (op == 'C')
        return xd_qmp_cont(domid);
    errno = EBADF;
    if (!xch)
        return errno;
    switch (op) {
    case 'P':
        rc = xc_domain_pause(xch, domid);
        break;
    case 'U':
        rc = xc_domain_unpause(xch, domid);
        break;
    case 'L':
    case 'E': /* the probe of xd_logdirty_still_ours(): the same call */
        rc = xc_shadow_control(xch, domid, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, NULL, 0);
        break;
    case 'l':
        rc = xc_shadow_control(xch, domid, XEN_DOMCTL_SHADOW_OP_OFF, NULL, 0);
        break;
    default:
        errno = EINVAL;
    }
    return rc == 0 ? 0 : errno;
}

/* The child: makes the calls it is asked for, answering each; once the dumper is gone, turns
   off the log-dirty mode it turned on, continues QEMU if it stopped it, undoes its pause if it
   holds one, turns off QEMU's dirty log if it turned it on, and removes the unfinished output
   ('F'<path>'\n' names it, 'K' says it is complete: keep it). */
static void __attribute__((noreturn)) guard(int fd, int reply, uint32_t domid)
{
    signal(SIGINT, SIG_IGN), signal(SIGTERM, SIG_IGN), signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    struct quiet_logger q;
    xd_quiet_logger(&q);
    xc_interface *xch = xc_interface_open(&q.vtable, NULL, 0);
    bool held = false, tracking = false, dm = false, stopped = false, in_path = false;
    char c, path[4096] = "";
    size_t plen = 0;
    ssize_t n;
    while ((n = read(fd, &c, 1)) > 0 || (n < 0 && errno == EINTR)) {
        if (n <= 0)
            continue;
        if (in_path) {
            in_path = c != '\n';
            if (in_path && plen < sizeof(path) - 1)
                path[plen++] = c;
            path[plen] = 0;
        } else if (c == 'F') {
            in_path = true;
            plen = 0;
        } else if (c == 'K') {
            path[0] = 0;
        } else {
            int e = call(xch, domid, c);
            if (c == 'Q' || c == 'q')
                dm = c == 'Q' && e == 0;   /* an "off" is tried once, answered or not */
            else if (c == 'S' || c == 'C') /* a stop sent unanswered may still land */
                stopped = c == 'S' && (e == 0 || e == ETIME);
            else if (e == 0 && (c == 'P' || c == 'U'))
                held = c == 'P';
            else if (e == 0)
                tracking = c != 'l'; /* 'E' succeeding turned it on again: ours */
            else if (e == ESRCH)
                held = tracking = false; /* the domain is gone: nothing to undo */
            ssize_t w = write(reply, &e, sizeof(e));
            (void)w; /* the dumper gone: end of file next */
        }
    }
    if (tracking) {
        /* Off while still paused, if it is: the guest does not run on with our tracking. */
        int e = call(xch, domid, 'l');
        dprintf(2, "xdump: guardian: the dumper of domain %u went away tracking its writes; %s\n",
                domid, e == 0 ? "log-dirty mode is off" : "turning log-dirty mode off FAILED");
    }
    /* QEMU continued before the unpause: a guest running while its QEMU is stopped finds its
       emulated devices gone (the ioreq server is off while stopped, qemu 7.2
       hw/i386/xen/xen-hvm.c l.1229-1241); libxl resumes QEMU before the domain too. */
    if (stopped) {
        int e = call(xch, domid, 'C');
        dprintf(2,
                "xdump: guardian: the dumper of domain %u went away with its device model "
                "stopped; %s\n",
                domid, e == 0 ? "QEMU continues" : "continuing QEMU FAILED");
    }
    if (held) {
        int e = call(xch, domid, 'U');
        dprintf(2, "xdump: guardian: the dumper of domain %u went away holding its pause; %s\n",
                domid, e == 0 ? "the domain is unpaused" : "unpausing it FAILED");
    }
    /* After the unpause (a QEMU slow to answer does not hold the guest), as Xen's saver turns
       QEMU's off after its log-dirty (xg_sr_save.c l.832-835). */
    if (dm) {
        int e = call(xch, domid, 'q');
        dprintf(2,
                "xdump: guardian: the dumper of domain %u went away with its device model "
                "reporting DMA; %s\n",
                domid, e == 0 ? "QEMU's dirty log is off" : "turning QEMU's dirty log off FAILED");
    }
    if (xch)
        xc_interface_close(xch);
    if (path[0] && unlink(path) == 0)
        dprintf(2, "xdump: guardian: removed the unfinished %s\n", path);
    _exit(0);
}

int xd_guardian_start(struct xd_domain *d, struct xd_guardian **out)
{
    int p[2], r[2] = {-1, -1};
    struct xd_guardian *g = calloc(1, sizeof(*g));
    if (!g || pipe2(p, O_CLOEXEC) < 0) {
        free(g);
        return fail(d, XDUMP_E_FAIL, "cannot start the guardian: %s", strerror(errno));
    }
    if (pipe2(r, O_CLOEXEC) < 0) {
        close(p[0]), close(p[1]), free(g);
        return fail(d, XDUMP_E_FAIL, "cannot start the guardian: %s", strerror(errno));
    }
    fflush(NULL);
    g->pid = fork();
    if (g->pid < 0) {
        close(p[0]), close(p[1]), close(r[0]), close(r[1]), free(g);
        return fail(d, XDUMP_E_FAIL, "cannot start the guardian: %s", strerror(errno));
    }
    if (g->pid == 0) {
        /* Keep nothing of the parent's but the pipes and stderr: not its output (a reader
           must see the end of a piped core when the dumper ends), not its Xen handles. */
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0), dup2(devnull, 1);
        int rq = fcntl(p[0], F_DUPFD_CLOEXEC, 10), rp = fcntl(r[1], F_DUPFD_CLOEXEC, 10);
        dup2(rq, 3), dup2(rp, 4);
        closefrom(5);
        guard(3, 4, d->domid);
    }
    close(p[0]), close(r[1]);
    g->fd = p[1], g->reply = r[0], g->dom = d;
    d->guardian = g;
    *out = g;
    return 0;
}

int xd_guardian_call(struct xd_domain *d, char op)
{
    struct xd_guardian *g = d->guardian;
    if (!g) /* no guardian (the tests of the door, a dump that has none): the call itself */
        return call(d->xch, d->domid, op);
    int e = EPIPE;
    ssize_t n;
    if (write(g->fd, &op, 1) == 1) {
        while ((n = read(g->reply, &e, sizeof(e))) < 0 && errno == EINTR)
            ;
        if (n != (ssize_t)sizeof(e))
            e = EPIPE;
    }
    /* A guardian that is gone cannot take a pause or tracking on: the dumper does not start
       what no one would undo. Releasing them it does itself. */
    if (e == EPIPE && (op == 'U' || op == 'l' || op == 'q' || op == 'C'))
        return call(d->xch, d->domid, op);
    return e;
}

void xd_guardian_output(struct xd_guardian *g, const char *path, bool complete)
{
    if (!g)
        return;
    char msg[4100];
    int len = complete || !path ? snprintf(msg, sizeof(msg), "K")
                                : snprintf(msg, sizeof(msg), "F%s\n", path);
    ssize_t n = write(g->fd, msg, (size_t)len);
    (void)n;
}

void xd_guardian_stop(struct xd_guardian *g)
{
    if (!g)
        return;
    close(g->fd), close(g->reply);
    while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (g->dom)
        g->dom->guardian = NULL;
    free(g);
}
