/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker: one process per dump, forked by the parent (xd_watch_spawn). It dumps with
 * xdump_dump() to a temporary name, renamed when complete, then applies the --then action
 * (xl destroy / xl create, or Xen's destroydomain), and reports each step over a pipe
 * (struct msg). Its stderr is a second pipe, whose end is the end of the job. A dump that goes
 * wrong takes only its worker with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain.h"
#include "private.h"
#include "xdump.h"

extern char **environ;

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
    /* The daemon blocks its signals outside its sleep; the worker takes them with its own
       handlers, and what it runs (xl, the library's guardian) starts with the caller's mask. */
    if (w->sleep_mask)
        pthread_sigmask(SIG_SETMASK, w->sleep_mask, NULL);
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

int xd_watch_spawn(struct watch *w, struct job *j)
{
    const struct guest *g = &j->g;
    int p[2] = {-1, -1}, e[2] = {-1, -1};
    if (pipe2(p, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
        xd_watch_emit(w, XD_EV_DUMP_FAILED, g, NULL, "cannot start a worker: pipe: %s",
                      strerror(errno));
        if (e[0] < 0)
            close(p[0]), close(p[1]);
        return -1;
    }
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        close(p[0]), close(p[1]), close(e[0]), close(e[1]);
        xd_watch_emit(w, XD_EV_DUMP_FAILED, g, NULL, "cannot start a worker: fork: %s",
                      strerror(errno));
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
    return 0;
}
