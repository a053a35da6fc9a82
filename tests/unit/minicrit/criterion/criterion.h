// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The part of Criterion's API the unit tests use, for builds Criterion cannot run in: under
 * ThreadSanitizer (make TSAN=1) Criterion 2.4 dies before the first test, "Could not
 * initialize inheritable arena" - BoxFort maps its arena at a random address between 32 TiB
 * and 127 TiB, all of which TSan's shadow and guard ranges hold (Criterion issue #274).
 *
 * Header-only: it brings main(). Each test runs in a child process of its own, as under
 * Criterion (the suite's and the test's .init before it, their .fini after it, even when an
 * assertion failed); the tests run one after another (--jobs is accepted and ignored). A child
 * that exits 66 is a test ThreadSanitizer reported on (its exitcode). Included with -isystem,
 * as Criterion's own header is, so that the assertions' comparisons warn no more than theirs.
 */
#ifndef MINICRIT_CRITERION_H
#define MINICRIT_CRITERION_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct mc_test {
    const char *suite, *name;
    void (*fn)(void);
    void (*init)(void);
    void (*fini)(void);
    double timeout; /* seconds; 0: none */
    const char *description;
    bool disabled;
    struct mc_test *next;
};

struct mc_suite {
    const char *name;
    void (*init)(void);
    void (*fini)(void);
    double timeout;
    const char *description;
    bool disabled;
    struct mc_suite *next;
};

static struct mc_test *mc_tests, **mc_tests_end = &mc_tests;
static struct mc_suite *mc_suites;
static jmp_buf mc_jump;
static bool mc_failed, mc_skipped;

#define MC_NOTE(kind, s, n)                                                                        \
    __attribute__((constructor)) static void mc_note_##s##_##n(void)                               \
    {                                                                                              \
        kind;                                                                                      \
    }

#define Test(s, n, ...)                                                                            \
    static void mc_fn_##s##_##n(void);                                                             \
    static struct mc_test mc_test_##s##_##n = {                                                    \
        .suite = #s, .name = #n, .fn = mc_fn_##s##_##n, __VA_ARGS__};                              \
    MC_NOTE((*mc_tests_end = &mc_test_##s##_##n, mc_tests_end = &mc_test_##s##_##n.next), s, n)    \
    static void mc_fn_##s##_##n(void)

#define TestSuite(s, ...)                                                                          \
    static struct mc_suite mc_suite_##s = {.name = #s, __VA_ARGS__};                               \
    MC_NOTE((mc_suite_##s.next = mc_suites, mc_suites = &mc_suite_##s), s, suite_)

/* The message of a failure: Criterion's optional format and arguments, or nothing. */
static void mc_report(const char *file, int line, const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: %s", file, line, what);
    if (*fmt) {
        fputs(": ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    mc_failed = true;
}

#define MC_CHECK(fatal, cond, what, ...)                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            mc_report(__FILE__, __LINE__, what, "" __VA_ARGS__);                                   \
            if (fatal)                                                                             \
                longjmp(mc_jump, 1);                                                               \
        }                                                                                          \
    } while (0)

#define cr_assert(c, ...) MC_CHECK(1, c, "assertion failed: " #c, __VA_ARGS__)
#define cr_expect(c, ...) MC_CHECK(0, c, "expectation failed: " #c, __VA_ARGS__)
#define cr_assert_not(c, ...) MC_CHECK(1, !(c), "assertion failed: !(" #c ")", __VA_ARGS__)
#define cr_expect_not(c, ...) MC_CHECK(0, !(c), "expectation failed: !(" #c ")", __VA_ARGS__)
#define cr_assert_fail(...) MC_CHECK(1, 0, "the test failed", __VA_ARGS__)
#define cr_assert_null(p, ...) cr_assert((p) == NULL, __VA_ARGS__)
#define cr_assert_not_null(p, ...) cr_assert((p) != NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) cr_assert(strcmp((a), (b)) == 0, __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) cr_expect(strcmp((a), (b)) == 0, __VA_ARGS__)
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_neq(a, b, ...) cr_assert((a) != (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...) cr_assert((a) < (b), __VA_ARGS__)
#define cr_assert_leq(a, b, ...) cr_assert((a) <= (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...) cr_assert((a) > (b), __VA_ARGS__)
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b), __VA_ARGS__)
#define cr_expect_eq(a, b, ...) cr_expect((a) == (b), __VA_ARGS__)
#define cr_expect_neq(a, b, ...) cr_expect((a) != (b), __VA_ARGS__)
#define cr_expect_lt(a, b, ...) cr_expect((a) < (b), __VA_ARGS__)
#define cr_expect_leq(a, b, ...) cr_expect((a) <= (b), __VA_ARGS__)
#define cr_expect_gt(a, b, ...) cr_expect((a) > (b), __VA_ARGS__)
#define cr_expect_geq(a, b, ...) cr_expect((a) >= (b), __VA_ARGS__)
#define cr_log_error(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))
#define cr_log_warn cr_log_error
#define cr_log_info cr_log_error
#define cr_skip_test(...)                                                                          \
    do {                                                                                           \
        fprintf(stderr, "skipped: " __VA_ARGS__);                                                  \
        fputc('\n', stderr);                                                                       \
        mc_skipped = true;                                                                         \
        longjmp(mc_jump, 1);                                                                       \
    } while (0)

static struct mc_suite *mc_suite_of(const struct mc_test *t)
{
    static struct mc_suite none;
    for (struct mc_suite *s = mc_suites; s; s = s->next)
        if (!strcmp(s->name, t->suite))
            return s;
    return &none;
}

/* The child: 0 passed, 1 failed, 2 skipped. A fatal assertion jumps to the .fini. */
static int mc_child(const struct mc_test *t, const struct mc_suite *s)
{
    double timeout = t->timeout ? t->timeout : s->timeout;
    if (timeout > 0)
        alarm((unsigned)timeout + 1);
    if (setjmp(mc_jump) == 0) {
        if (s->init)
            s->init();
        if (t->init)
            t->init();
        t->fn();
    }
    if (setjmp(mc_jump) == 0) {
        if (t->fini)
            t->fini();
        if (s->fini)
            s->fini();
    }
    return mc_skipped ? 2 : mc_failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    (void)argc, (void)argv;
    int counts[4] = {0}; /* passed, failed, skipped, crashed */
    for (struct mc_test *t = mc_tests; t; t = t->next) {
        struct mc_suite *s = mc_suite_of(t);
        if (t->disabled || s->disabled)
            continue;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            exit(mc_child(t, s)); /* exit(), not _exit(): ThreadSanitizer reports at exit */
        int st = 0;
        while (pid > 0 && waitpid(pid, &st, 0) < 0)
            ;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        int k = pid < 0 ? 3 : WIFSIGNALED(st) ? 3 : WEXITSTATUS(st) > 2 ? 1 : WEXITSTATUS(st);
        static const char *words[] = {"PASS", "FAIL", "SKIP", "CRASH"};
        counts[k]++;
        printf("[%s] %s::%s: (%.2fs)", words[k], t->suite, t->name, secs);
        if (pid > 0 && WIFSIGNALED(st))
            printf(" signal %d", WTERMSIG(st));
        else if (pid > 0 && WEXITSTATUS(st) > 2)
            printf(" exit status %d%s", WEXITSTATUS(st),
                   WEXITSTATUS(st) == 66 ? " (ThreadSanitizer)" : "");
        putchar('\n');
    }
    int ran = counts[0] + counts[1] + counts[3];
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d \n", ran,
           counts[0], counts[1] + counts[3], counts[3]);
    return counts[1] || counts[3] ? 1 : 0;
}

#endif
