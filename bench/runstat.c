// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * runstat - the benchmark's stopwatch.
 *
 *   runstat [-o FILE] PROGRAM [ARGS...]
 *                                runs PROGRAM, then appends one line to FILE (default:
 *                                stderr) and exits with PROGRAM's status:
 *                                wall=SECONDS user=SECONDS sys=SECONDS maxrss_kib=N rc=N
 *                                (getrusage of the child, from wait4: its peak RSS)
 *   runstat --cpus N             spins N threads for one second and prints how many CPUs'
 *                                worth of time they got (cpus=1.93): what a parallel run
 *                                can expect on this machine, now
 * PROGRAM's standard output and error are left as they are.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static void *spin(void *arg)
{
    double *cpu = arg, end = seconds(CLOCK_MONOTONIC) + 1.0;
    volatile unsigned long x = 0;
    while (seconds(CLOCK_MONOTONIC) < end)
        for (int i = 0; i < 100000; i++)
            x += (unsigned long)i;
    *cpu = seconds(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

static int cpus(int n)
{
    pthread_t t[256];
    double cpu[256], total = 0, t0 = seconds(CLOCK_MONOTONIC);
    if (n < 1 || n > 256)
        return 2;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, spin, &cpu[i]);
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        total += cpu[i];
    }
    fprintf(stderr, "cpus=%.2f\n", total / (seconds(CLOCK_MONOTONIC) - t0));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--cpus"))
        return cpus(atoi(argv[2]));
    FILE *report = stderr;
    if (argc > 3 && !strcmp(argv[1], "-o")) {
        if (!(report = fopen(argv[2], "a"))) {
            perror(argv[2]);
            return 2;
        }
        argc -= 2, argv += 2;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: runstat [-o FILE] PROGRAM [ARGS...] | runstat --cpus N\n");
        return 2;
    }
    double t0 = seconds(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("runstat: wait4");
        return 1;
    }
    double wall = seconds(CLOCK_MONOTONIC) - t0;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(report, "wall=%.4f user=%.3f sys=%.3f maxrss_kib=%ld rc=%d\n", wall, tv(ru.ru_utime),
            tv(ru.ru_stime), ru.ru_maxrss, rc);
    if (report != stderr)
        fclose(report);
    return rc;
}
