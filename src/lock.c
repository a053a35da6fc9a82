/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One dumper per domain: see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xdump.h"

/* The directory of the lock files: $XDUMP_LOCK_DIR, else /run/lock. */
static const char *lock_dir(void)
{
    const char *d = getenv("XDUMP_LOCK_DIR");
    return d && *d ? d : "/run/lock";
}

static int open_lock(const char *dir, const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    /* A dom0 without /run/lock (busybox, an initramfs, OpenRC): make it as tmpfiles.d does.
       Only the last component: a missing /run is not ours to invent. */
    if (mkdir(dir, 0755) == 0)
        (void)chmod(dir, 0755); /* whatever the umask */
    else if (errno != EEXIST) {
        errno = ENOENT;
        return -1;
    }
    return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

int xd_lock_domain(uint32_t domid, int *fd, char *msg, size_t msglen)
{
    char path[4096];
    const char *dir = lock_dir();
    *fd = -1;
    snprintf(path, sizeof(path), "%s/xdump-dom%u.lock", dir, domid);
    int lfd = open_lock(dir, path);
    if (lfd < 0) {
        snprintf(msg, msglen,
                 "cannot open the lock %s (%s): dumping without it, so a second xdump of "
                 "domain %u is not kept out",
                 path, strerror(errno), domid);
        return 1;
    }
    if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno; /* before pread() and close() can change it */
        if (e != EWOULDBLOCK) {
            snprintf(msg, msglen,
                     "cannot lock %s (%s): dumping without it, so a second xdump of domain %u is "
                     "not kept out",
                     path, strerror(e), domid);
            close(lfd);
            return 1;
        }
        char pid[32] = "";
        ssize_t n = pread(lfd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        snprintf(msg, msglen, "domain %u is being dumped by another xdump%s%s%s; wait for it",
                 domid, *pid ? " (pid " : "", pid, *pid ? ")" : "");
        close(lfd);
        return -XDUMP_E_BUSY;
    }
    char line[32];
    int len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
    if (ftruncate(lfd, 0) < 0 || pwrite(lfd, line, (size_t)len, 0) != len) {
        /* only the holder's pid for the message of a second dumper is lost */
    }
    *fd = lfd;
    return 0;
}
