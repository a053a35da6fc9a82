/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One dumper per domain: see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "xdump.h"

const char *xd_lock_dir(void)
{
    const char *d = getenv("XDUMP_LOCK_DIR");
    return d && *d ? d : "/run/lock";
}

int xd_lock_domain(uint32_t domid, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/xdump-dom%u.lock", xd_lock_dir(), domid);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the lock %s: %s", path, strerror(errno));
        return -XDUMP_E_FAIL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        snprintf(err, errlen, "domain %u is being dumped by another xdump%s%s%s; wait for it",
                 domid, *pid ? " (pid " : "", pid, *pid ? ")" : "");
        close(fd);
        return -(errno == EWOULDBLOCK ? XDUMP_E_BUSY : XDUMP_E_FAIL);
    }
    char line[32];
    int len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)len, 0) != len) {
        /* only the holder's pid for the message of a second dumper is lost */
    }
    return fd;
}
