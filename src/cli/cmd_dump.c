/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xdump [options] DOMAIN OUT`: the dump, with signals turned into a clean stop and a
   progress line on a terminal. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "xdump.h"

static volatile int stop;

static void on_signal(int sig)
{
    (void)sig;
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

/* --compress's codec names (XDUMP_KDUMP_* in this order); "gzip" is -z's for an ELF core. */
static const char *const codecs[] = {"none", "zlib", "lzo", "snappy", "zstd"};

static int codec_of(const char *name)
{
    for (int c = 0; c < (int)(sizeof(codecs) / sizeof(codecs[0])); c++)
        if (!strcmp(name, codecs[c]))
            return c;
    return !strcmp(name, "gzip") ? XDUMP_KDUMP_ZLIB : -1;
}

static int parse_level(const char *a, int *level)
{
    char *end;
    long n = strtol(a, &end, 10);
    if (!*a || *end || n < 0 || n > 31) {
        fprintf(stderr, "xdump: -d wants a dump level from 0 to 31 (makedumpfile's), not '%s'\n",
                a);
        return -1;
    }
    *level = (int)n;
    return 0;
}

/* Long options whose short form is a letter answer that letter; the others a code above it. */
enum {
    OPT_LIVE = 256,
    OPT_NO_VIRTUAL,
    OPT_PROBE_ALL,
    OPT_KEEP_PARTIAL,
    OPT_PROGRESS,
    OPT_THREADS,
    OPT_FORMAT,
    OPT_COMPRESS,
    OPT_PRECOPY
};

static const struct option dump_options[] = {
    {"live", no_argument, NULL, OPT_LIVE},
    {"force", no_argument, NULL, 'f'},
    {"no-virtual", no_argument, NULL, OPT_NO_VIRTUAL},
    {"probe-all", no_argument, NULL, OPT_PROBE_ALL},
    {"keep-partial", no_argument, NULL, OPT_KEEP_PARTIAL},
    {"quiet", no_argument, NULL, 'q'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"compress", optional_argument, NULL, OPT_COMPRESS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"dump-level", required_argument, NULL, 'd'},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"precopy", optional_argument, NULL, OPT_PRECOPY},
    {0},
};

int cmd_dump(int argc, char **argv)
{
    struct xdump_options o = XDUMP_OPTIONS_INIT;
    struct ui ui = {.last_percent = -1};
    bool want_progress = false, threads_given = false, level_given = false;
    int codec = -1; /* --compress CODEC */
    int c;
    opterr = 0; /* our messages, one line each */
    optind = 1;
    /* GNU getopt permutes: options may follow the domain and the output, "--" ends them, and
       "-" (standard output) is an operand. */
    while ((c = getopt_long(argc, argv, ":fqzd:", dump_options, NULL)) != -1) {
        switch (c) {
        case OPT_LIVE:
            o.live = true;
            break;
        case 'f':
            o.force = true;
            break;
        case OPT_NO_VIRTUAL:
            o.no_virtual = true;
            break;
        case OPT_PROBE_ALL:
            o.probe_all = true;
            break;
        case OPT_KEEP_PARTIAL:
            o.keep_partial = true;
            break;
        case 'q':
            ui.quiet = true;
            break;
        case OPT_PROGRESS:
            want_progress = true;
            break;
        case 'z':
            o.compress = COMPRESS_LEVEL;
            break;
        case OPT_COMPRESS: /* alone: -z; "--compress CODEC" or "--compress=CODEC": the codec */
            if (!optarg && optind < argc && codec_of(argv[optind]) >= 0)
                optarg = argv[optind++];
            if (optarg && (codec = codec_of(optarg)) < 0) {
                fprintf(stderr,
                        "xdump: --compress takes none, zlib, lzo, snappy or zstd, not '%s'\n",
                        optarg);
                return XDUMP_E_USAGE;
            }
            if (!optarg)
                o.compress = COMPRESS_LEVEL;
            break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "kdump"))
                o.format = XDUMP_FORMAT_KDUMP;
            else if (strcmp(optarg, "elf")) {
                fprintf(stderr, "xdump: --format is elf or kdump, not '%s'\n", optarg);
                return XDUMP_E_USAGE;
            }
            break;
        case 'd':
            if (parse_level(optarg, &o.dump_level) < 0)
                return XDUMP_E_USAGE;
            level_given = true;
            break;
        case OPT_PRECOPY: {
            /* --precopy[=[auto,]MS] or --precopy=auto */
            const char *a = optarg;
            o.precopy_fallback = a && strncmp(a, "auto", 4) == 0 && (!a[4] || a[4] == ',');
            if (o.precopy_fallback)
                a = a[4] ? a + 5 : NULL;
            char *end = NULL;
            unsigned long ms = a ? strtoul(a, &end, 10) : 0;
            if (a && (!*a || *end || ms < 1 || ms > 60000)) {
                fprintf(stderr, "xdump: --precopy wants [auto][,]MS, a pause budget of 1 to "
                                "60000 ms, or nothing\n");
                return XDUMP_E_USAGE;
            }
            o.precopy = true;
            o.precopy_ms = (unsigned)ms;
            break;
        }
        case OPT_THREADS:
            if (parse_threads(optarg, &o.threads) < 0)
                return XDUMP_E_USAGE;
            threads_given = true;
            break;
        case ':':
            if (optopt == OPT_THREADS) {
                parse_threads("", &o.threads); /* says what --threads wants */
                return XDUMP_E_USAGE;
            }
            if (optopt == 'd') {
                parse_level("", &o.dump_level);
                return XDUMP_E_USAGE;
            }
            if (optopt == OPT_FORMAT) {
                fprintf(stderr, "xdump: --format wants elf or kdump\n");
                return XDUMP_E_USAGE;
            }
            /* fallthrough */
        default:
            fprintf(stderr, "xdump: unknown option '%s' (see xdump --help)\n",
                    cli_bad_option(argv));
            return XDUMP_E_USAGE;
        }
    }
    if (o.format == XDUMP_FORMAT_KDUMP) {
        if (o.compress) {
            fprintf(stderr, "xdump: --format kdump compresses each page: give --compress "
                            "CODEC, not -z\n");
            return XDUMP_E_USAGE;
        }
        o.kdump_compress = codec >= 0 ? codec : XDUMP_KDUMP_ZLIB;
        if (!level_given)
            o.dump_level = 1;
    } else if (level_given) {
        fprintf(stderr, "xdump: -d filters a kdump file: it needs --format kdump\n");
        return XDUMP_E_USAGE;
    } else if (codec == XDUMP_KDUMP_ZLIB) {
        o.compress = COMPRESS_LEVEL; /* an ELF core's gzip stream */
    } else if (codec == XDUMP_KDUMP_ZSTD) {
        o.compress = COMPRESS_LEVEL; /* a zstd stream, level 1: zstd's fast end too */
        o.compress_zstd = true;
    } else if (codec > XDUMP_KDUMP_ZLIB) {
        fprintf(stderr,
                "xdump: an ELF core is compressed as a gzip (-z) or zstd stream; %s is "
                "for --format kdump\n",
                codecs[codec]);
        return XDUMP_E_USAGE;
    }
    if (threads_given && !o.compress && o.format != XDUMP_FORMAT_KDUMP) {
        fprintf(stderr, "xdump: --threads sets how many threads compress: it needs -z or "
                        "--format kdump\n");
        return XDUMP_E_USAGE;
    }
    if (argc - optind > 2) {
        fprintf(stderr, "xdump: too many arguments (see xdump --help)\n");
        return XDUMP_E_USAGE;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "xdump: give a domain and an output file (see xdump --help)\n");
        return XDUMP_E_USAGE;
    }
    const char *pos[2] = {argv[optind], argv[optind + 1]};
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

    struct xdump_result res = XDUMP_RESULT_INIT;
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
                "map calls (%llu gfns probed), %.2f s -> %s",
                res.domid, res.name[0] ? " (" : "", res.name, res.name[0] ? ")" : "",
                (unsigned long long)res.pages, (unsigned long long)res.unmappable,
                (unsigned long long)res.unmappable_runs, res.vcpus_with_context, res.vcpus_total,
                (unsigned long long)res.virtual_ranges, (unsigned long long)res.table_reads,
                (unsigned long long)res.map_calls, (unsigned long long)res.probed, res.seconds,
                strcmp(o.output, "-") ? o.output : "standard output");
    if (!ui.quiet && o.format == XDUMP_FORMAT_KDUMP)
        fprintf(stderr, " (kdump, %s, %llu zero pages shared, %llu bytes)",
                codecs[o.kdump_compress], (unsigned long long)res.zero_pages,
                (unsigned long long)res.bytes);
    if (!ui.quiet)
        fputc('\n', stderr);
    if (!ui.quiet && res.m2p_asked + res.m2p_refused && res.m2p_xen)
        fprintf(stderr,
                "xdump: machine frames looked up in Xen's M2P: %llu entries read, %llu "
                "refused (they do not lead back through the p2m)\n",
                (unsigned long long)res.m2p_asked, (unsigned long long)res.m2p_refused);
    if (!ui.quiet && o.format == XDUMP_FORMAT_KDUMP && res.dump_level & ~1)
        fprintf(stderr,
                "xdump: dump level %d: %llu pages left out (cache %llu, cache with private "
                "%llu, user %llu, free %llu, hwpoison/offline %llu; %llu kept as the kernel "
                "image's), %llu pages of struct pages read, %llu pages read to find "
                "VMCOREINFO\n",
                res.dump_level, (unsigned long long)res.excluded_pages,
                (unsigned long long)res.excluded_cache,
                (unsigned long long)res.excluded_cache_private,
                (unsigned long long)res.excluded_user, (unsigned long long)res.excluded_free,
                (unsigned long long)res.excluded_other, (unsigned long long)res.image_kept,
                (unsigned long long)res.mem_map_pages, (unsigned long long)res.vmci_scan_pages);
    if (!ui.quiet && o.precopy && !res.precopy_fell_back)
        fprintf(stderr, "xdump: pre-copy: %u rounds, paused %.1f ms, final set %llu pages%s\n",
                res.precopy_rounds, res.pause_ms, (unsigned long long)res.final_pages,
                res.not_converging ? " (not converging)" : "");
    return XDUMP_OK;
}
