/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xdump watch`: the crash hook as a foreground daemon. Parses the options, turns signals
   into flags and writes the events src/watch/ reports: one line each, to stderr (text or JSON)
   and to syslog. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "commands.h"
#include "utf8.h"
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

/* A string member, its text made valid UTF-8 first (jansson refuses invalid UTF-8; a guest's
   name or a message may hold anything): bytes that are not UTF-8 become U+FFFD. */
static void set_text(json_t *o, const char *key, const char *s)
{
    char *clean = xd_utf8_sanitize(s);
    json_object_set_new(o, key, clean ? json_string(clean) : json_null());
    free(clean);
}

/* One JSON object per line, written at once: a line is never split by another writer. */
static void json_line(const struct xd_watch_event *ev)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *o = json_object();
    if (!o)
        return;
    json_object_set_new(o, "time", json_string(ts));
    json_object_set_new(o, "event", json_string(xd_watch_event_name(ev->kind)));
    if (ev->uuid[0]) {
        json_object_set_new(o, "domid", json_integer(ev->domid));
        set_text(o, "name", ev->name);
        set_text(o, "uuid", ev->uuid);
    }
    if (ev->file)
        set_text(o, "file", ev->file);
    if (ev->kind == XD_EV_DUMP_DONE || ev->kind == XD_EV_DUMP_SKIPPED)
        json_object_set_new(o, "bytes", json_integer((json_int_t)ev->bytes));
    if (ev->kind == XD_EV_DUMP_DONE)
        json_object_set_new(o, "seconds", json_real(ev->seconds));
    if (ev->status)
        json_object_set_new(o, "status", json_string(ev->status));
    if (ev->action)
        json_object_set_new(o, "action", json_string(ev->action));
    set_text(o, "message", ev->message);
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    if (!line)
        return;
    size_t len = strlen(line);
    line[len] = '\n'; /* json_dumps' NUL becomes the line's end: one write */
    fwrite(line, 1, len + 1, stderr);
    free(line);
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

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("xdump watch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see xdump watch --help)\n", stderr);
    va_end(ap);
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

/* Every option is long only (-h aside): each answers a code above the letters. */
enum {
    OPT_HELP = 256,
    OPT_JSON,
    OPT_NO_SYSLOG,
    OPT_ONCE,
    OPT_DIR,
    OPT_STATE,
    OPT_CONFIG_DIR,
    OPT_XL,
    OPT_KEEP,
    OPT_JOBS,
    OPT_RESCAN,
    OPT_MIN_FREE,
    OPT_THEN,
    OPT_DOMAIN,
};

static const struct option watch_options[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-syslog", no_argument, NULL, OPT_NO_SYSLOG},
    {"once", no_argument, NULL, OPT_ONCE},
    {"dir", required_argument, NULL, OPT_DIR},
    {"state", required_argument, NULL, OPT_STATE},
    {"config-dir", required_argument, NULL, OPT_CONFIG_DIR},
    {"xl", required_argument, NULL, OPT_XL},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"rescan", required_argument, NULL, OPT_RESCAN},
    {"min-free", required_argument, NULL, OPT_MIN_FREE},
    {"then", required_argument, NULL, OPT_THEN},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {0},
};

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
    int o;
    opterr = 0; /* our messages, one line each */
    optind = 1;
    while ((o = getopt_long(argc, argv, ":h", watch_options, NULL)) != -1) {
        const char *v = optarg;
        switch (o) {
        case 'h':
        case OPT_HELP:
            fputs(help, stdout);
            return XDUMP_OK;
        case OPT_JSON:
            lg.json = true;
            break;
        case OPT_NO_SYSLOG:
            lg.syslog = false;
            break;
        case OPT_ONCE:
            c.once = true;
            break;
        case OPT_DIR:
            c.dir = v;
            break;
        case OPT_STATE:
            c.state = v;
            break;
        case OPT_CONFIG_DIR:
            c.config_dir = v;
            break;
        case OPT_XL:
            c.xl = strcmp(v, "none") ? v : NULL;
            break;
        case OPT_KEEP:
            if (!parse_uint(v, 0, 100000, &c.keep))
                return usage_error("--keep wants a number of cores, not '%s'", v);
            break;
        case OPT_JOBS:
            if (!parse_uint(v, 1, XD_WATCH_MAX_JOBS, &c.jobs))
                return usage_error("--jobs wants 1 to %d, not '%s'", XD_WATCH_MAX_JOBS, v);
            break;
        case OPT_RESCAN:
            if (!parse_uint(v, 1, 86400, &c.rescan_seconds))
                return usage_error("--rescan wants seconds (1 to 86400), not '%s'", v);
            break;
        case OPT_MIN_FREE:
            if (xd_watch_parse_min_free(v, &c.min_free, &c.min_free_pct) < 0)
                return usage_error("--min-free wants a size (512M, 2G) or 1%% to 99%%, not '%s'",
                                   v);
            break;
        case OPT_THEN:
            if (!strcmp(v, "destroy"))
                c.then = XD_THEN_DESTROY;
            else if (!strcmp(v, "restart"))
                c.then = XD_THEN_RESTART;
            else if (!strcmp(v, "preserve"))
                c.then = XD_THEN_PRESERVE;
            else
                return usage_error("--then wants destroy, restart or preserve, not '%s'", v);
            break;
        case OPT_DOMAIN:
            if (c.npatterns == MAX_PATTERNS)
                return usage_error("at most %d --domain patterns", MAX_PATTERNS);
            patterns[c.npatterns++] = v;
            break;
        case ':':
            return usage_error("%s needs a value", cli_bad_option(argv));
        default:
            return usage_error("unknown option '%s'", cli_bad_option(argv));
        }
    }
    if (optind < argc)
        return usage_error("unknown option '%s'", argv[optind]);
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
    sigset_t sigs; /* the loop lets these in only while it sleeps */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    c.stop = &stop_flag;
    c.retry = &retry_flag;
    c.signals = &sigs;
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
