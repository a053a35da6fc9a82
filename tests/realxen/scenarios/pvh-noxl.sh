#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario pvh-noxl: scenario pvh without Xen's own dumper (`xl dump-core` of a PVH guest tries
# all ~1 M gfns one at a time: 165-265 s under TCG, most of a release's run). xdump dumps the
# paused guest and its crash; the host checks the cores with crash, drgn and gdb, and the paused
# core's registers and size, but compares no page with xl's. `make check` runs it on the second
# release it boots (Xen 4.20); `make realxen-all` runs pvh there instead (tests/realxen/README.md).
. /scenarios/lib.sh
. /scenarios/dumpboth.sh
XL_DUMP_CORE=no dump_linux_guest pvh 120
