#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario pvh (runs in dom0, cwd = its results directory): a 1-vCPU PVH Linux guest, paused
# with `xl pause`, dumped by xdump and by Xen's own dumper (`xl dump-core`), each timed.
. /scenarios/lib.sh
. /scenarios/dumpboth.sh
dump_linux_guest pvh 120
