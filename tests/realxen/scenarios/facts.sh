#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario facts (runs in dom0, cwd = its results directory; not part of `make check`): what
# real Xen answers a dumper about a PVH Linux guest, paused - xenprobe's page types, map
# results, lent frames and HVM params (probe.txt) - and xdump's time on it. Needs images
# assembled with XDUMP_REALXEN_PROBE=1:
#   XDUMP_REALXEN_PROBE=1 tests/realxen/assemble.sh build/realxen/images build/xdump
#   tests/realxen/run.sh facts build/realxen/results build/realxen/images
. /scenarios/lib.sh
. /scenarios/dumpboth.sh
name=pvh
start_paused $name 120 || exit 1
[ -x /usr/bin/xenprobe ] || { echo "no xenprobe in this dom0 (XDUMP_REALXEN_PROBE=1)"; exit 1; }
xenprobe $id >probe.txt 2>&1
xdump_timed $id xdump.core xdump xdump.out info.txt
rm -f xdump.core
cat times.txt
xl destroy $name
