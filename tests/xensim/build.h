/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xensim's builder: a world file (text, see README.md) -> a world directory. */
#ifndef XENSIM_BUILD_H
#define XENSIM_BUILD_H

#include <stddef.h>

/* Builds the world described by `spec_path` into directory `dir` (created; an existing world
   there is replaced). Returns 0, or -1 with a one-line message in err. */
int xsim_build(const char *spec_path, const char *dir, char *err, size_t errlen);

#endif
