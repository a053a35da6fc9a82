/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xdump [options] DOMAIN OUT`: the dump, with signals turned into a clean stop and a
   progress line on a terminal. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "xdump.h"

static volatile sig_atomic_t stop_signal;
static volatile int stop;

static void on_signal(int sig)
{
    stop_signal = sig;
    stop = 1;
}

struct ui {
    bool quiet, progress;
    int last_percent;
    struct timespec start;
};

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct ui *ui = ctx;
    int pct = total ? (int)(done * 100 / total) : 100;
    if (!ui->progress || pct == ui->last_percent)
        return;
    if (ui->last_percent < 0)
        clock_gettime(CLOCK_MONOTONIC, &ui->start);
    ui->last_percent = pct;
    double secs = since(&ui->start), mib = (double)done * 4096 / (1 << 20);
    double rate = secs > 0 ? mib / secs : 0,
           eta = rate > 0 ? (double)(total - done) * 4096 / (1 << 20) / rate : 0;
    fprintf(stderr, "\rxdump: %3d%%  %llu of %llu pages  %7.1f MiB/s  ETA %3.0f s ", pct,
            (unsigned long long)done, (unsigned long long)total, rate, eta);
    if (done == total)
        fputc('\n', stderr);
}

static void show_warning(void *ctx, const char *line)
{
    struct ui *ui = ctx;
    if (!ui->quiet)
        fprintf(stderr, "xdump: warning: %s\n", line);
}

/* zlib's fastest level: the guest is paused while it runs, and memory's zeros and text
   compress well even so (bench/results.md). */
#define COMPRESS_LEVEL 1

static int parse_threads(const char *a, unsigned *threads)
{
    char *end;
    unsigned long n = strtoul(a, &end, 10);
    if (!*a || *end || n < 1 || n > 64) {
        fprintf(stderr, "xdump: --threads wants a number from 1 to 64, not '%s'\n", a);
        return -1;
    }
    *threads = (unsigned)n;
    return 0;
}

int cmd_dump(int argc, char **argv)
{
    struct xdump_options o = {0};
    struct ui ui = {.last_percent = -1};
    const char *pos[2];
    int npos = 0;
    bool want_progress = false, options_done = false, threads_given = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || !a[1]) { /* "-" is standard output */
            if (npos == 2) {
                fprintf(stderr, "xdump: too many arguments (see xdump --help)\n");
                return XDUMP_E_USAGE;
            }
            pos[npos++] = a;
        } else if (!strcmp(a, "--"))
            options_done = true; /* what follows is the domain and the output, whatever they are */
        else if (!strcmp(a, "--live"))
            o.live = true;
        else if (!strcmp(a, "-f") || !strcmp(a, "--force"))
            o.force = true;
        else if (!strcmp(a, "--no-virtual"))
            o.no_virtual = true;
        else if (!strcmp(a, "--probe-all"))
            o.probe_all = true;
        else if (!strcmp(a, "--keep-partial"))
            o.keep_partial = true;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
            ui.quiet = true;
        else if (!strcmp(a, "--progress"))
            want_progress = true;
        else if (!strcmp(a, "-z") || !strcmp(a, "--compress"))
            o.compress = COMPRESS_LEVEL;
        else if (!strcmp(a, "--threads")) {
            if (parse_threads(i + 1 < argc ? argv[++i] : "", &o.threads) < 0)
                return XDUMP_E_USAGE;
            threads_given = true;
        } else {
            fprintf(stderr, "xdump: unknown option '%s' (see xdump --help)\n", a);
            return XDUMP_E_USAGE;
        }
    }
    if (threads_given && !o.compress) {
        fprintf(stderr, "xdump: --threads sets how many threads compress: it needs -z\n");
        return XDUMP_E_USAGE;
    }
    if (npos != 2) {
        fprintf(stderr, "xdump: give a domain and an output file (see xdump --help)\n");
        return XDUMP_E_USAGE;
    }
    o.domain = pos[0];
    o.output = pos[1];
    ui.progress = !ui.quiet && (want_progress || isatty(STDERR_FILENO));
    o.stop = &stop;
    o.progress = show_progress;
    o.warn = show_warning;
    o.ctx = &ui;

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error (EPIPE), handled as such */

    struct xdump_result res;
    char err[1024] = "";
    int rc = xdump_dump(&o, &res, err, sizeof(err));
    if (rc != XDUMP_OK) {
        if (ui.progress && ui.last_percent >= 0)
            fputc('\n', stderr);
        fprintf(stderr, "xdump: %s\n", err);
        return rc;
    }
    if (!ui.quiet)
        fprintf(stderr,
                "xdump: domain %u%s%s%s: %llu pages (%llu unmappable in %llu runs), %u of %u "
                "vCPUs with a context, %llu virtual ranges (%llu page-table pages read), %llu "
                "map calls (%llu gfns probed), %.2f s -> %s\n",
                res.domid, res.name[0] ? " (" : "", res.name, res.name[0] ? ")" : "",
                (unsigned long long)res.pages, (unsigned long long)res.unmappable,
                (unsigned long long)res.unmappable_runs, res.vcpus_with_context, res.vcpus_total,
                (unsigned long long)res.virtual_ranges, (unsigned long long)res.table_reads,
                (unsigned long long)res.map_calls, (unsigned long long)res.probed, res.seconds,
                strcmp(o.output, "-") ? o.output : "standard output");
    return XDUMP_OK;
}
