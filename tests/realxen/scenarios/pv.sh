#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario pv (runs in dom0, cwd = its results directory): a 2-vCPU PV Linux guest, paused
# with `xl pause`, dumped by xdump and by Xen's own dumper (`xl dump-core`), each timed.
#
# Its machine frames overlap its own pfns (issue 14), as on any host with more memory than the
# guest: a paused "balloon" domain takes first all but ~160 MiB of Xen's free memory. Xen hands
# out the highest memory first and keeps what lies below dma_bitsize (29 bits on this 2 GiB
# host, xen/arch/x86/numa.c arch_get_dma_bitsize(), xen/common/page_alloc.c
# alloc_domheap_pages()) for last, so the guest gets the lowest frames. The host check counts
# the overlap from xl's own .xen_p2m.
. /scenarios/lib.sh
. /scenarios/dumpboth.sh
free=$(xl info | sed -n 's/^free_memory *: *//p')
bal=$((free - 160))
if [ "$bal" -gt 64 ]; then
    xl create -p /guest/pvguest.cfg 'name="xdump-balloon"' "memory=$bal" >balloon.txt 2>&1 ||
        { cat balloon.txt; echo "balloon domain not created"; }
fi
echo "free_mib_before=$free" >>times.txt
echo "balloon_mib=$bal" >>times.txt
echo "free_mib_after_balloon=$(xl info | sed -n 's/^free_memory *: *//p')" >>times.txt
dump_linux_guest pv 90
rc=$?
xl destroy xdump-balloon 2>/dev/null
exit $rc
