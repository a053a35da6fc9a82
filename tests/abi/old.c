/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stands for libxdump.so.0, the ABI before sizes: t0810 links a program against it, then runs
   that program where only the current library is. */
int xdump_dump(const void *opts, void *res, char *err, unsigned long errlen);
const char *xdump_version(void);

int xdump_dump(const void *opts, void *res, char *err, unsigned long errlen)
{
    (void)opts, (void)res, (void)err, (void)errlen;
    return 0;
}

const char *xdump_version(void)
{
    return "0.1.0";
}
