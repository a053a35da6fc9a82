// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the sink (src/sink.c) and its compressor (src/compress.c): what is written is
 * what a reader gets back - from the file (holes read as zeros), from a pipe (which cannot
 * seek), or through gunzip (zlib's inflate here; zcat in tests/e2e/t0700) - and the file
 * appears under its name only on commit.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "model.h"
#include "sink.h"
#include "xdump.h"

#define PAGE XD_PAGE_SIZE

/* ---- helpers ------------------------------------------------------------------------------ */

static char dir[256];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "%s/xdump-sink.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cr_assert_not_null(mkdtemp(dir));
}

/* Entries of dir (but . and ..). */
static int entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    char p[512];
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

TestSuite(sink, .init = make_dir, .fini = remove_dir);

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)x;
    }
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    uint8_t *b = malloc(*len + 1);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

/* The gzip stream gz decompressed (zlib's inflate, gzip wrapper); it must be one complete
   member and nothing after it. */
static uint8_t *gunzip(const uint8_t *gz, size_t gzlen, size_t *len)
{
    z_stream zs = {0};
    cr_assert_eq(inflateInit2(&zs, 16 + 15), Z_OK);
    size_t cap = 1 << 20, n = 0;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)gz;
    zs.avail_in = (uInt)gzlen;
    int r;
    do {
        if (n == cap)
            out = realloc(out, cap *= 2);
        zs.next_out = out + n;
        zs.avail_out = (uInt)(cap - n);
        r = inflate(&zs, Z_NO_FLUSH);
        n = cap - zs.avail_out;
        cr_assert(r == Z_OK || r == Z_STREAM_END || r == Z_BUF_ERROR, "inflate: %d %s", r,
                  zs.msg ? zs.msg : "");
        cr_assert(r != Z_BUF_ERROR || n == cap, "the gzip stream is truncated");
    } while (r != Z_STREAM_END);
    cr_assert_eq(zs.avail_in, 0, "%u bytes after the gzip member", zs.avail_in);
    inflateEnd(&zs);
    *len = n;
    return out;
}

/* What a test writes, mirrored in `expect` as a reader must see it. */
struct script {
    uint8_t *expect;
    size_t len, cap;
};

static void expect_bytes(struct script *sc, const void *p, size_t n)
{
    if (sc->len + n > sc->cap) {
        sc->cap = (sc->len + n) * 2;
        sc->expect = realloc(sc->expect, sc->cap);
    }
    if (p)
        memcpy(sc->expect + sc->len, p, n);
    else
        memset(sc->expect + sc->len, 0, n);
    sc->len += n;
}

/* A dump-like mix: a head, batches of pages (random, all-zero, unmappable), zero padding,
   a tail; every call through the sink's API. */
static void write_mix(struct xd_sink *s, struct script *sc, size_t batches, uint64_t seed)
{
    uint8_t head[1000];
    fill_random(head, sizeof(head), seed);
    cr_assert_eq(xd_sink_write(s, head, sizeof(head)), 0, "%s", xd_sink_error(s));
    expect_bytes(sc, head, sizeof(head));
    cr_assert_eq(xd_sink_zeros(s, 3 * PAGE - sizeof(head)), 0);
    expect_bytes(sc, NULL, 3 * PAGE - sizeof(head));

    enum { N = 100 };
    uint8_t *pages = malloc(N * PAGE);
    int skip[N];
    for (size_t b = 0; b < batches; b++) {
        fill_random(pages, N * PAGE, seed + b + 1);
        for (size_t i = 0; i < N; i++) {
            skip[i] = 0;
            if ((i + b) % 3 == 0) /* a zero page */
                memset(pages + i * PAGE, 0, PAGE);
            else if ((i + b) % 17 == 5) /* unmappable: zeros, its bytes never read */
                skip[i] = EFAULT;
            expect_bytes(sc, skip[i] ? NULL : pages + i * PAGE, PAGE);
        }
        cr_assert_eq(xd_sink_pages(s, pages, N, skip), 0, "%s", xd_sink_error(s));
        if (b % 4 == 1) { /* runs of zero pages across block boundaries */
            memset(pages, 0, N * PAGE);
            cr_assert_eq(xd_sink_pages(s, pages, N, skip), 0);
            expect_bytes(sc, NULL, N * PAGE);
        }
    }
    free(pages);
    cr_assert_eq(xd_sink_zeros(s, 12345), 0);
    expect_bytes(sc, NULL, 12345);
    cr_assert_eq(xd_sink_write(s, head, 77), 0);
    expect_bytes(sc, head, 77);
    cr_assert_eq(xd_sink_offset(s), sc->len);
}

static char *out_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

/* ---- compressed output --------------------------------------------------------------------- */

static void compressed_round_trip(size_t block, unsigned threads, int level, size_t batches)
{
    struct xd_sink_options o = {.compress = level, .threads = threads, .block = block};
    struct xd_sink *s;
    char err[512];
    const char *path = out_path("core.gz");
    cr_assert_eq(xd_sink_open_with(path, &o, &s, err, sizeof(err)), 0, "%s", err);
    cr_assert(xd_sink_is_compressed(s));
    cr_assert(xd_sink_is_stream(s), "a compressed output cannot be rewritten");
    struct script sc = {0};
    write_mix(s, &sc, batches, block + threads);
    cr_assert_eq(xd_sink_commit(s, err, sizeof(err)), 0, "%s", err);

    size_t gzlen, len;
    uint8_t *gz = read_all(path, &gzlen);
    cr_assert(gzlen > 18 && gz[0] == 0x1f && gz[1] == 0x8b, "a gzip header");
    uint8_t *plain = gunzip(gz, gzlen, &len);
    cr_assert_eq(len, sc.len, "gunzip gives %zu bytes, %zu were written", len, sc.len);
    cr_assert(!memcmp(plain, sc.expect, len), "gunzip gives other bytes than written");
    cr_assert(gzlen < len, "zero pages compress (%zu of %zu)", gzlen, len);
    free(gz), free(plain), free(sc.expect);
}

Test(sink, compressed_small_blocks_one_thread)
{
    compressed_round_trip(4096, 1, 1, 12);
}

Test(sink, compressed_small_blocks_two_threads)
{
    compressed_round_trip(4096, 2, 1, 12);
}

Test(sink, compressed_odd_blocks_two_threads_level_6)
{
    compressed_round_trip(65536 + 4096 * 3, 2, 6, 12);
}

Test(sink, compressed_default_blocks_one_thread)
{
    compressed_round_trip(0, 1, 1, 30);
}

Test(sink, compressed_default_blocks_two_threads)
{
    compressed_round_trip(0, 2, 1, 30);
}

Test(sink, compressed_many_threads)
{
    compressed_round_trip(8192, 8, 1, 12);
}

Test(sink, compressed_empty_and_exact_blocks)
{
    const size_t sizes[] = {0, 4096, 8192, 3 * 4096 + 1};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
        for (unsigned t = 1; t <= 2; t++) {
            struct xd_sink_options o = {.compress = 1, .threads = t, .block = 4096};
            struct xd_sink *s;
            char err[512];
            const char *path = out_path("e.gz");
            unlink(path);
            cr_assert_eq(xd_sink_open_with(path, &o, &s, err, sizeof(err)), 0, "%s", err);
            uint8_t *buf = calloc(1, sizes[k] + 1);
            fill_random(buf, sizes[k] / 2, k); /* data, then zeros */
            cr_assert_eq(xd_sink_write(s, buf, sizes[k]), 0);
            cr_assert_eq(xd_sink_commit(s, err, sizeof(err)), 0, "%s", err);
            size_t gzlen, len;
            uint8_t *gz = read_all(path, &gzlen);
            uint8_t *plain = gunzip(gz, gzlen, &len);
            cr_assert_eq(len, sizes[k]);
            cr_assert(!memcmp(plain, buf, len));
            free(gz), free(plain), free(buf);
        }
}

/* All-zero blocks are never deflated again: a GiB of zeros costs memory speed. */
Test(sink, compressed_zeros_are_cheap)
{
    struct xd_sink_options o = {.compress = 9, .threads = 1};
    struct xd_sink *s;
    char err[512];
    const char *path = out_path("z.gz");
    cr_assert_eq(xd_sink_open_with(path, &o, &s, err, sizeof(err)), 0, "%s", err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(xd_sink_zeros(s, (uint64_t)1 << 30), 0);
    cr_assert_eq(xd_sink_commit(s, err, sizeof(err)), 0, "%s", err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert(secs < 1.0, "1 GiB of zeros took %.2f s", secs);
    /* inflated piece by piece: zeros, 1 GiB of them */
    size_t gzlen;
    uint8_t *gz = read_all(path, &gzlen), *buf = malloc(1 << 20);
    z_stream zs = {0};
    cr_assert_eq(inflateInit2(&zs, 16 + 15), Z_OK);
    zs.next_in = gz;
    zs.avail_in = (uInt)gzlen;
    uint64_t total = 0;
    int r;
    do {
        zs.next_out = buf;
        zs.avail_out = 1 << 20;
        r = inflate(&zs, Z_NO_FLUSH);
        cr_assert(r == Z_OK || r == Z_STREAM_END, "inflate: %d", r);
        size_t n = (1 << 20) - zs.avail_out;
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(buf[i], 0);
        total += n;
    } while (r != Z_STREAM_END);
    inflateEnd(&zs);
    cr_assert_eq(total, (uint64_t)1 << 30);
    free(gz), free(buf);
}

Test(sink, compressed_cannot_rewrite)
{
    struct xd_sink_options o = {.compress = 1, .threads = 2};
    struct xd_sink *s;
    char err[512];
    cr_assert_eq(xd_sink_open_with(out_path("r.gz"), &o, &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(xd_sink_write(s, "abc", 3), 0);
    cr_assert_eq(xd_sink_rewrite(s, 0, "x", 1), -XDUMP_E_IO);
    cr_assert(strstr(xd_sink_error(s), "compressed"), "%s", xd_sink_error(s));
    xd_sink_abort(s);
    cr_assert_eq(entries(), 0, "abort removed the temporary file");
}

Test(sink, compress_options_out_of_range)
{
    struct xd_sink *s;
    char err[512];
    struct xd_sink_options bad[] = {
        {.compress = 10}, {.compress = 1, .threads = 1000}, {.compress = 1, .block = 100}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(xd_sink_open_with(out_path("x"), &bad[i], &s, err, sizeof(err)),
                     -XDUMP_E_USAGE);
        cr_assert_eq(entries(), 0, "no temporary left behind");
    }
}

/* ---- regular files ------------------------------------------------------------------------- */

static void plain_file(uint64_t drop_cache_every)
{
    struct xd_sink_options o = {.drop_cache_every = drop_cache_every};
    struct xd_sink *s;
    char err[512];
    const char *path = out_path("core");
    cr_assert_eq(xd_sink_open_with(path, &o, &s, err, sizeof(err)), 0, "%s", err);
    cr_assert(!xd_sink_is_stream(s) && !xd_sink_is_compressed(s));
    struct script sc = {0};
    write_mix(s, &sc, 10, 3);
    /* a big hole and nothing after it: the file must still have its full size */
    cr_assert_eq(xd_sink_zeros(s, 64 * PAGE), 0);
    expect_bytes(&sc, NULL, 64 * PAGE);
    cr_assert_eq(xd_sink_commit(s, err, sizeof(err)), 0, "%s", err);
    size_t len;
    uint8_t *got = read_all(path, &len);
    cr_assert_eq(len, sc.len);
    cr_assert(!memcmp(got, sc.expect, len), "the file reads back as written");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_lt((uint64_t)st.st_blocks * 512, (uint64_t)st.st_size, "zero pages are holes");
    free(got), free(sc.expect);
}

Test(sink, file_zero_pages_are_holes)
{
    plain_file(0);
}

Test(sink, file_with_frequent_cache_dropping)
{
    plain_file(3 * PAGE); /* every few pages: sync_file_range + fadvise on each */
}

Test(sink, file_hole_is_where_the_zero_page_is)
{
    struct xd_sink *s;
    char err[512];
    const char *path = out_path("h");
    cr_assert_eq(xd_sink_open(path, false, &s, err, sizeof(err)), 0, "%s", err);
    uint8_t *pages = malloc(64 * PAGE);
    fill_random(pages, 64 * PAGE, 9);
    memset(pages + 32 * PAGE, 0, 16 * PAGE); /* pages 32..47 are zero */
    int skip[64] = {0};
    cr_assert_eq(xd_sink_pages(s, pages, 64, skip), 0);
    cr_assert_eq(xd_sink_commit(s, err, sizeof(err)), 0, "%s", err);
    int fd = open(path, O_RDONLY);
    off_t hole = lseek(fd, 0, SEEK_HOLE);
    off_t data = lseek(fd, 32 * PAGE, SEEK_DATA);
    close(fd);
    /* A file system without SEEK_HOLE support reports the end as the only hole. */
    if (hole != (off_t)(64 * PAGE)) {
        cr_assert_eq(hole, (off_t)(32 * PAGE));
        cr_assert_eq(data, (off_t)(48 * PAGE));
    }
    free(pages);
}

Test(sink, file_appears_only_on_commit)
{
    struct xd_sink *s;
    char err[512];
    const char *path = out_path("late.core");
    struct stat st;
    cr_assert_eq(xd_sink_open(path, false, &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(xd_sink_write(s, "data", 4), 0);
    cr_assert_neq(stat(path, &st), 0, "not under its name before commit");
    cr_assert_eq(entries(), 1, "one temporary file");
    DIR *d = opendir(dir);
    bool found = false;
    for (struct dirent *e; (e = readdir(d));)
        found |= !strncmp(e->d_name, ".late.core.xdump-", 17);
    closedir(d);
    cr_assert(found, "the temporary is .late.core.xdump-XXXXXX");
    cr_assert_eq(xd_sink_commit(s, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(st.st_size, 4);
    cr_assert_eq(entries(), 1, "the temporary became the file");
}

Test(sink, abort_removes_the_temporary)
{
    for (int compress = 0; compress <= 1; compress++) {
        struct xd_sink_options o = {.compress = compress, .threads = 2};
        struct xd_sink *s;
        char err[512];
        cr_assert_eq(xd_sink_open_with(out_path("gone"), &o, &s, err, sizeof(err)), 0, "%s", err);
        uint8_t buf[3 * 4096];
        fill_random(buf, sizeof(buf), 1);
        cr_assert_eq(xd_sink_write(s, buf, sizeof(buf)), 0);
        xd_sink_abort(s);
        cr_assert_eq(entries(), 0, "nothing is left (compress %d)", compress);
    }
}

Test(sink, existing_file_is_refused_without_force)
{
    const char *path = out_path("there");
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    cr_assert_eq(write(fd, "old", 3), 3);
    close(fd);
    struct xd_sink *s;
    char err[512];
    cr_assert_eq(xd_sink_open(path, false, &s, err, sizeof(err)), -XDUMP_E_OUTPUT);
    cr_assert(strstr(err, "exists"), "%s", err);
    struct xd_sink_options o = {.force = true, .compress = 1};
    cr_assert_eq(xd_sink_open_with(path, &o, &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(xd_sink_write(s, "new", 3), 0);
    cr_assert_eq(xd_sink_commit(s, err, sizeof(err)), 0, "%s", err);
    size_t gzlen, len;
    uint8_t *gz = read_all(path, &gzlen);
    uint8_t *plain = gunzip(gz, gzlen, &len);
    cr_assert(len == 3 && !memcmp(plain, "new", 3));
    free(gz), free(plain);
}

/* ---- standard output: a pipe, which cannot seek ---------------------------------------------- */

struct drain {
    int fd;
    uint8_t *buf;
    size_t len, cap;
    size_t stop_after; /* close the pipe after this many bytes (0: read to the end) */
};

static void *drain_main(void *arg)
{
    struct drain *d = arg;
    for (;;) {
        if (d->len == d->cap)
            d->buf = realloc(d->buf, d->cap = d->cap ? d->cap * 2 : 1 << 20);
        ssize_t n = read(d->fd, d->buf + d->len, d->cap - d->len);
        if (n <= 0)
            break;
        d->len += (size_t)n;
        if (d->stop_after && d->len >= d->stop_after)
            break;
    }
    close(d->fd);
    return NULL;
}

/* Points standard output at a pipe drained by a thread. Returns the saved stdout. */
static int stdout_to_pipe(struct drain *d, pthread_t *t)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(p[1], STDOUT_FILENO);
    close(p[1]);
    d->fd = p[0];
    pthread_create(t, NULL, drain_main, d);
    return saved;
}

static void stdout_back(int saved)
{
    dup2(saved, STDOUT_FILENO);
    close(saved);
}

static void stream(int compress, unsigned threads)
{
    struct drain d = {0};
    pthread_t t;
    int saved = stdout_to_pipe(&d, &t);
    struct xd_sink_options o = {.compress = compress, .threads = threads, .block = 16384};
    struct xd_sink *s;
    char err[512];
    cr_assert_eq(xd_sink_open_with("-", &o, &s, err, sizeof(err)), 0, "%s", err);
    cr_assert(xd_sink_is_stream(s));
    struct script sc = {0};
    write_mix(s, &sc, 6, 11);
    cr_assert_eq(xd_sink_rewrite(s, 0, "x", 1), -XDUMP_E_IO, "a stream is never rewritten");
    int rc = xd_sink_commit(s, err, sizeof(err));
    stdout_back(saved); /* the pipe's last writer is gone: the reader sees its end */
    pthread_join(t, NULL);
    cr_assert_eq(rc, 0, "%s", err);
    size_t len = d.len;
    uint8_t *got = compress ? gunzip(d.buf, d.len, &len) : d.buf;
    cr_assert_eq(len, sc.len);
    cr_assert(!memcmp(got, sc.expect, len), "the stream carries the bytes written, in order");
    if (got != d.buf)
        free(got);
    free(d.buf), free(sc.expect);
}

Test(sink, stream_plain_never_seeks)
{
    stream(0, 1);
}

Test(sink, stream_compressed_one_thread)
{
    stream(1, 1);
}

Test(sink, stream_compressed_two_threads)
{
    stream(1, 2);
}

/* The reader goes away: a write error, from the compressor's writer thread, reaches the
   caller as XDUMP_E_IO with the reason. */
static void broken_pipe(int compress, unsigned threads)
{
    signal(SIGPIPE, SIG_IGN);
    struct drain d = {.stop_after = 1};
    pthread_t t;
    int saved = stdout_to_pipe(&d, &t);
    struct xd_sink_options o = {.compress = compress, .threads = threads, .block = 4096};
    struct xd_sink *s;
    char err[512] = "";
    int rc = xd_sink_open_with("-", &o, &s, err, sizeof(err));
    uint8_t *buf = malloc(1 << 20);
    fill_random(buf, 1 << 20, 5);
    for (int i = 0; rc == 0 && i < 64; i++)
        rc = xd_sink_write(s, buf, 1 << 20);
    if (rc == 0)
        rc = xd_sink_commit(s, err, sizeof(err));
    else {
        snprintf(err, sizeof(err), "%s", xd_sink_error(s));
        xd_sink_abort(s);
    }
    stdout_back(saved);
    pthread_join(t, NULL); /* the reader left after its first read */
    cr_assert_eq(rc, -XDUMP_E_IO, "status %d: %s", rc, err);
    cr_assert(strstr(err, "broken pipe"), "%s", err);
    free(buf), free(d.buf);
}

Test(sink, broken_pipe_plain)
{
    broken_pipe(0, 1);
}

Test(sink, broken_pipe_compressed_one_thread)
{
    broken_pipe(1, 1);
}

Test(sink, broken_pipe_compressed_two_threads)
{
    broken_pipe(1, 2);
}

/* A full disk (/dev/full as standard output) fails the commit or a write, never silently. */
Test(sink, disk_full_compressed)
{
    int full = open("/dev/full", O_WRONLY);
    if (full < 0)
        cr_skip_test("no /dev/full");
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(full, STDOUT_FILENO);
    close(full);
    struct xd_sink_options o = {.compress = 1, .threads = 2};
    struct xd_sink *s;
    char err[512] = "";
    int rc = xd_sink_open_with("-", &o, &s, err, sizeof(err)); /* the header fails */
    if (rc == 0) {
        rc = xd_sink_write(s, "abc", 3);
        if (rc == 0)
            rc = xd_sink_commit(s, err, sizeof(err));
        else
            xd_sink_abort(s);
    }
    stdout_back(saved);
    cr_assert_eq(rc, -XDUMP_E_IO, "%s", err);
    cr_assert(strstr(err, "space"), "%s", err);
}

/* ---- asynchronous batches: the sink writes one while the caller fills another ------------- */

static void async_batches(const char *path, int compress, struct script *sc)
{
    struct xd_sink_options o = {.compress = compress, .threads = 2, .block = 65536};
    struct xd_sink *s;
    char err[512];
    cr_assert_eq(xd_sink_open_with(path, &o, &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(xd_sink_write(s, "head", 4), 0);
    expect_bytes(sc, "head", 4);
    enum { N = 64 };
    uint8_t *win[2] = {malloc(N * PAGE), malloc(N * PAGE)};
    int skip[2][N];
    for (int b = 0; b < 40; b++) {
        uint8_t *p = win[b % 2]; /* the other window may still be being written */
        fill_random(p, N * PAGE, 100 + (uint64_t)b);
        for (size_t i = 0; i < N; i++) {
            skip[b % 2][i] = (i + (size_t)b) % 11 == 3 ? EIO : 0;
            if ((i + (size_t)b) % 4 == 0)
                memset(p + i * PAGE, 0, PAGE);
            expect_bytes(sc, skip[b % 2][i] ? NULL : p + i * PAGE, PAGE);
        }
        cr_assert_eq(xd_sink_pages_async(s, p, N, skip[b % 2]), 0, "%s", xd_sink_error(s));
        if (b % 2) /* harmless between batches */
            cr_assert_eq(xd_sink_wait(s), 0);
    }
    cr_assert_eq(xd_sink_offset(s), 4 + 40 * N * PAGE, "the offset counts the batch in flight");
    cr_assert_eq(xd_sink_write(s, "tail", 4), 0);
    expect_bytes(sc, "tail", 4);
    cr_assert_eq(xd_sink_commit(s, err, sizeof(err)), 0, "%s", err);
    free(win[0]), free(win[1]);
}

Test(sink, async_batches_file)
{
    struct script sc = {0};
    const char *path = out_path("async.core");
    async_batches(path, 0, &sc);
    size_t len;
    uint8_t *got = read_all(path, &len);
    cr_assert_eq(len, sc.len);
    cr_assert(!memcmp(got, sc.expect, len), "the file holds the batches, in order");
    struct stat st;
    stat(path, &st);
    cr_assert_lt((uint64_t)st.st_blocks * 512, (uint64_t)st.st_size, "zero pages are holes");
    free(got), free(sc.expect);
}

Test(sink, async_batches_compressed)
{
    struct script sc = {0};
    const char *path = out_path("async.core.gz");
    async_batches(path, 1, &sc);
    size_t gzlen, len;
    uint8_t *gz = read_all(path, &gzlen);
    uint8_t *got = gunzip(gz, gzlen, &len);
    cr_assert_eq(len, sc.len);
    cr_assert(!memcmp(got, sc.expect, len));
    free(gz), free(got), free(sc.expect);
}

Test(sink, async_failure_reaches_the_caller)
{
    signal(SIGPIPE, SIG_IGN);
    struct drain d = {.stop_after = 1};
    pthread_t t;
    int saved = stdout_to_pipe(&d, &t);
    struct xd_sink *s;
    char err[512];
    cr_assert_eq(xd_sink_open("-", false, &s, err, sizeof(err)), 0, "%s", err);
    enum { N = 256 };
    uint8_t *p = malloc(N * PAGE);
    fill_random(p, N * PAGE, 77);
    int skip[N] = {0}, rc = 0;
    for (int b = 0; b < 64 && rc == 0; b++)
        rc = xd_sink_pages_async(s, p, N, skip);
    if (rc == 0)
        rc = xd_sink_wait(s);
    cr_assert_eq(rc, -XDUMP_E_IO, "status %d", rc);
    cr_assert(strstr(xd_sink_error(s), "broken pipe"), "%s", xd_sink_error(s));
    cr_assert_eq(xd_sink_write(s, "x", 1), -XDUMP_E_IO, "the failure is sticky");
    xd_sink_abort(s);
    stdout_back(saved);
    pthread_join(t, NULL);
    free(p), free(d.buf);
}

Test(sink, abort_with_a_batch_in_flight)
{
    struct xd_sink *s;
    char err[512];
    cr_assert_eq(xd_sink_open(out_path("inflight"), false, &s, err, sizeof(err)), 0, "%s", err);
    enum { N = 512 };
    uint8_t *p = malloc(N * PAGE);
    fill_random(p, N * PAGE, 5);
    int skip[N] = {0};
    cr_assert_eq(xd_sink_pages_async(s, p, N, skip), 0);
    xd_sink_abort(s); /* waits for the batch, stops the thread, removes the file */
    cr_assert_eq(entries(), 0);
    free(p);
}
