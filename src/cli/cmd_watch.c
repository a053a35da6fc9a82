/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xdump watch`: the crash hook as a foreground daemon. Parses the options, turns signals
   into flags and writes the events watch.c reports: one line each, to stderr (text or JSON)
   and to syslog. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "commands.h"
#include "watch.h"
#include "xdump.h"

#define MAX_PATTERNS 64

static const char help[] =
    "usage: xdump watch [options]\n"
    "Dumps every guest that crashes, once, as <dir>/<name>-<domid>-<UTC time>.core; then\n"
    "destroys it (or restarts or preserves it). Runs in the foreground; SIGTERM abandons the\n"
    "dumps in progress cleanly and exits, SIGHUP retries the dumps that failed. Give the guests\n"
    "on_crash = \"preserve\" in their xl config, so that a crashed guest waits to be dumped.\n"
    "\n"
    "  --dir DIR             where cores go (default /var/lib/xen/dump; created 0700)\n"
    "  --keep N              cores kept per guest, the oldest deleted (default 3; 0: all)\n"
    "  --min-free SIZE|PCT   free space the filesystem keeps, e.g. 2G or 10% (default 10%);\n"
    "                        a dump that could cross it is skipped, and the log says so\n"
    "  --then ACTION         after the dump: destroy (default), restart, preserve\n"
    "  --domain PATTERN      only guests whose name matches the glob, or this domid\n"
    "                        (repeatable; default every guest)\n"
    "  --jobs N              dumps at once (default 1)\n"
    "  --xl CMD              the toolstack command for destroy and restart (default xl);\n"
    "                        'none': destroy with Xen's destroydomain, no restart\n"
    "  --config-dir DIR      restart: the guest's xl config, DIR/<name>.cfg or DIR/<name>\n"
    "                        (default /etc/xen)\n"
    "  --state FILE          what was dumped (default DIR/.xdump-watch.state)\n"
    "  --rescan SECONDS      re-list domains this often even without a xenstore event (10)\n"
    "  --once                deal with the guests crashed now, then exit (1 if any failed)\n"
    "  --json                one JSON object per line on stderr\n"
    "  --no-syslog           not to syslog (daemon facility, ident xdump-watch)\n";

static volatile sig_atomic_t stop_flag, retry_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    retry_flag = 1;
}

struct logger {
    bool json, syslog;
};

static int priority(int kind)
{
    switch (kind) {
    case XD_EV_DUMP_FAILED:
    case XD_EV_THEN_FAILED:
        return LOG_ERR;
    case XD_EV_DUMP_SKIPPED:
    case XD_EV_WARNING:
        return LOG_WARNING;
    case XD_EV_CRASH:
    case XD_EV_DUMP_DONE:
        return LOG_NOTICE;
    default:
        return LOG_INFO;
    }
}

/* s as a JSON string, quotes included. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_line(const struct xd_watch_event *ev)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* Built in memory, written at once: a line is never split by another writer. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    fprintf(f, "{\"time\":\"%s\",\"event\":\"%s\"", ts, xd_watch_event_name(ev->kind));
    if (ev->uuid[0]) {
        fprintf(f, ",\"domid\":%u,\"name\":", ev->domid);
        json_string(f, ev->name);
        fprintf(f, ",\"uuid\":\"%s\"", ev->uuid);
    }
    if (ev->file) {
        fputs(",\"file\":", f);
        json_string(f, ev->file);
    }
    if (ev->kind == XD_EV_DUMP_DONE || ev->kind == XD_EV_DUMP_SKIPPED)
        fprintf(f, ",\"bytes\":%llu", (unsigned long long)ev->bytes);
    if (ev->kind == XD_EV_DUMP_DONE)
        fprintf(f, ",\"seconds\":%.3f", ev->seconds);
    if (ev->status)
        fprintf(f, ",\"status\":\"%s\"", ev->status);
    if (ev->action)
        fprintf(f, ",\"action\":\"%s\"", ev->action);
    fputs(",\"message\":", f);
    json_string(f, ev->message);
    fputs("}\n", f);
    fclose(f);
    fwrite(buf, 1, len, stderr);
    free(buf);
}

static void log_event(void *ctx, const struct xd_watch_event *ev)
{
    const struct logger *lg = ctx;
    char who[128] = "";
    if (ev->uuid[0])
        snprintf(who, sizeof(who), "%s%sdomain %u%s: ", ev->name, ev->name[0] ? " (" : "",
                 ev->domid, ev->name[0] ? ")" : "");
    char line[3072];
    snprintf(line, sizeof(line), "%s: %s%s", xd_watch_event_name(ev->kind), who, ev->message);
    if (lg->json)
        json_line(ev);
    else
        fprintf(stderr, "xdump watch: %s\n", line);
    if (lg->syslog)
        syslog(priority(ev->kind), "%s", line);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("xdump watch: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see xdump watch --help)\n", stderr);
    return XDUMP_E_USAGE;
}

static bool parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi || s[0] == '-')
        return false;
    *out = (unsigned)v;
    return true;
}

/* --opt VALUE or --opt=VALUE: the value, or NULL when this is not opt. */
static const char *value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n))
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n])
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

int cmd_watch(int argc, char **argv)
{
    struct xd_watch_config c = {.dir = "/var/lib/xen/dump",
                                .keep = 3,
                                .min_free_pct = 10,
                                .then = XD_THEN_DESTROY,
                                .jobs = 1,
                                .xl = "xl",
                                .config_dir = "/etc/xen",
                                .rescan_seconds = 10};
    const char *patterns[MAX_PATTERNS];
    struct logger lg = {.syslog = true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(help, stdout);
            return XDUMP_OK;
        } else if (!strcmp(a, "--json")) {
            lg.json = true;
        } else if (!strcmp(a, "--no-syslog")) {
            lg.syslog = false;
        } else if (!strcmp(a, "--once")) {
            c.once = true;
        } else if ((v = value(argc, argv, &i, "--dir", &missing))) {
            c.dir = v;
        } else if ((v = value(argc, argv, &i, "--state", &missing))) {
            c.state = v;
        } else if ((v = value(argc, argv, &i, "--config-dir", &missing))) {
            c.config_dir = v;
        } else if ((v = value(argc, argv, &i, "--xl", &missing))) {
            c.xl = strcmp(v, "none") ? v : NULL;
        } else if ((v = value(argc, argv, &i, "--keep", &missing))) {
            if (!parse_uint(v, 0, 100000, &c.keep))
                return usage_error("--keep wants a number of cores, not '%s'", v);
        } else if ((v = value(argc, argv, &i, "--jobs", &missing))) {
            if (!parse_uint(v, 1, 64, &c.jobs))
                return usage_error("--jobs wants 1 to 64, not '%s'", v);
        } else if ((v = value(argc, argv, &i, "--rescan", &missing))) {
            if (!parse_uint(v, 1, 86400, &c.rescan_seconds))
                return usage_error("--rescan wants seconds (1 to 86400), not '%s'", v);
        } else if ((v = value(argc, argv, &i, "--min-free", &missing))) {
            if (xd_watch_parse_min_free(v, &c.min_free, &c.min_free_pct) < 0)
                return usage_error("--min-free wants a size (512M, 2G) or 1%% to 99%%, not '%s'",
                                   v);
        } else if ((v = value(argc, argv, &i, "--then", &missing))) {
            if (!strcmp(v, "destroy"))
                c.then = XD_THEN_DESTROY;
            else if (!strcmp(v, "restart"))
                c.then = XD_THEN_RESTART;
            else if (!strcmp(v, "preserve"))
                c.then = XD_THEN_PRESERVE;
            else
                return usage_error("--then wants destroy, restart or preserve, not '%s'", v);
        } else if ((v = value(argc, argv, &i, "--domain", &missing))) {
            if (c.npatterns == MAX_PATTERNS)
                return usage_error("at most 64 --domain patterns%s", "");
            patterns[c.npatterns++] = v;
        } else if (missing) {
            return usage_error("%s needs a value", a);
        } else {
            return usage_error("unknown option '%s'", a);
        }
    }
    c.patterns = patterns;
    if (c.then == XD_THEN_RESTART && !c.xl)
        return usage_error("--then restart needs the toolstack: not with --xl %s", "none");

    struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: the loop wakes up */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    c.stop = &stop_flag;
    c.retry = &retry_flag;
    c.log = log_event;
    c.ctx = &lg;
    if (lg.syslog)
        openlog("xdump-watch", LOG_PID, LOG_DAEMON);

    char err[1024] = "";
    int rc = xd_watch_run(&c, err, sizeof(err));
    if (rc != XDUMP_OK)
        fprintf(stderr, "xdump watch: %s\n", err);
    if (lg.syslog) {
        if (rc != XDUMP_OK)
            syslog(LOG_ERR, "%s", err);
        closelog();
    }
    return rc;
}
