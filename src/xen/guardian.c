/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guardian: a child process that undoes the dumper's pause and its log-dirty mode, and
 * removes its unfinished output, should the dumper die (domain.h). Here because unpausing is a
 * Xen call.
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
    int fd; /* write end: 'P' a pause is held, 'U' released; end of file: the dumper is gone */
};

/* The child: waits for the dumper to go; then turns off the log-dirty mode it turned on,
   undoes its pause if it held one, and removes its unfinished output. Messages: 'P' a pause
   is held, 'U' released, 'L' log-dirty is on (the dumper's), 'l' off, 'F'<path>'\n' the
   output being written, 'K' it is complete (keep it). */
static void __attribute__((noreturn)) guard(int fd, uint32_t domid)
{
    signal(SIGINT, SIG_IGN), signal(SIGTERM, SIG_IGN), signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    bool held = false, tracking = false, in_path = false;
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
        } else if (c == 'P' || c == 'U') {
            held = c == 'P';
        } else if (c == 'L' || c == 'l') {
            tracking = c == 'L';
        } else if (c == 'F') {
            in_path = true;
            plen = 0;
        } else if (c == 'K') {
            path[0] = 0;
        }
    }
    xc_interface *xch = held || tracking ? xc_interface_open(NULL, NULL, 0) : NULL;
    if (tracking) {
        /* Off while still paused, if it is: the guest does not run on with our tracking. */
        int rc = xch ? xc_shadow_control(xch, domid, XEN_DOMCTL_SHADOW_OP_OFF, NULL, 0) : -1;
        dprintf(2, "xdump: guardian: the dumper of domain %u went away tracking its writes; %s\n",
                domid, rc == 0 ? "log-dirty mode is off" : "turning log-dirty mode off FAILED");
    }
    if (held) {
        int rc = xch ? xc_domain_unpause(xch, domid) : -1;
        dprintf(2, "xdump: guardian: the dumper of domain %u went away holding its pause; %s\n",
                domid, rc == 0 ? "the domain is unpaused" : "unpausing it FAILED");
    }
    if (xch)
        xc_interface_close(xch);
    if (path[0] && unlink(path) == 0)
        dprintf(2, "xdump: guardian: removed the unfinished %s\n", path);
    _exit(0);
}

int xd_guardian_start(struct xd_domain *d, struct xd_guardian **out)
{
    int p[2];
    struct xd_guardian *g = calloc(1, sizeof(*g));
    if (!g || pipe2(p, O_CLOEXEC) < 0) {
        free(g);
        return fail(d, XDUMP_E_FAIL, "cannot start the guardian: %s", strerror(errno));
    }
    fflush(NULL);
    g->pid = fork();
    if (g->pid < 0) {
        close(p[0]), close(p[1]), free(g);
        return fail(d, XDUMP_E_FAIL, "cannot start the guardian: %s", strerror(errno));
    }
    if (g->pid == 0) {
        /* Keep nothing of the parent's but the pipe and stderr: not its output (a reader
           must see the end of a piped core when the dumper ends), not its Xen handles. */
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0), dup2(devnull, 1);
        if (p[0] != 3)
            dup2(p[0], 3);
        closefrom(4);
        guard(3, d->domid);
    }
    close(p[0]);
    g->fd = p[1];
    *out = g;
    return 0;
}

void xd_guardian_held(struct xd_guardian *g, bool held)
{
    if (!g)
        return;
    ssize_t n = write(g->fd, held ? "P" : "U", 1);
    (void)n; /* a guardian already gone can do nothing more for us either way */
}

void xd_guardian_logdirty(struct xd_guardian *g, bool on)
{
    if (!g)
        return;
    ssize_t n = write(g->fd, on ? "L" : "l", 1);
    (void)n;
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
    close(g->fd);
    while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    free(g);
}
