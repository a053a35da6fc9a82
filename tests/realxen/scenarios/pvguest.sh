#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario pvguest (runs in dom0, cwd = its results directory): xdump's own PV test kernel
# crashes at once (on_crash="preserve" keeps it); xdump dumps the crashed domain, and so does
# Xen's own dumper for comparison. The host checks the dump with gdb.
. /scenarios/lib.sh
[ -f /guest/pvguest.elf ] || { echo "no /guest/pvguest.elf (fixtures/pvguest not built)"; exit 1; }
t0=$(now)
xl -vvv create /guest/pvguest.cfg >create.txt 2>&1 || { cat create.txt; echo "xl create failed"; exit 1; }
if ! wait_state pvguest c 60; then
    xl list -v >xl-list.txt 2>&1
    cat xl-list.txt
    echo "pvguest did not crash within 60 s"
    exit 1
fi
echo "crash_seconds=$(since $t0)" >>times.txt
sleep 1
cp /var/log/xen/console/guest-pvguest.log console.log 2>/dev/null
id=$(domid pvguest)
echo "domid=$id" >>times.txt
xl list -v pvguest >xl-list-before.txt 2>&1
xl vcpu-list pvguest >xl-vcpu-list.txt 2>&1

minimal_run
rc=0
xdump_timed $id xdump.core xdump xdump.out info.txt || rc=1
run_lock_after
xl list -v pvguest >xl-list-after-xdump.txt 2>&1
xl_dump_timed $id || rc=1
ls -l >ls.txt
cat times.txt
xl destroy pvguest
exit $rc
