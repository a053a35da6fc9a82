#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario kdump (issue 19): a switch, not a guest. With it in the run's list, the pv, pvh and
# pvh-noxl scenarios also dump their crashed guest with `xdump --format kdump -d 31 --compress
# zstd` (dumpboth.sh's crash_linux_guest), and the host reads those files with crash and drgn
# (checks/linuxcrash.sh). `make realxen-all` runs it; `make check` does not: its host checks
# (a crash session on each file) add about 45 s a release (tests/realxen/README.md).
echo "kdump: the pv/pvh scenarios of this run also write crash.kdump"
