# SPDX-License-Identifier: GPL-2.0-or-later
# dump_linux_guest NAME BOOT_SECONDS: create guest NAME from /guest/NAME.cfg, wait for its
# userspace, pause it, dump it with xdump and with `xl dump-core`; then unpause it, crash its
# kernel (`echo c > /proc/sysrq-trigger`, asked for on its console: guest/init), dump the
# crashed domain with xdump (an ELF core, and with scenario kdump a kdump file), destroy it.
# Writes, in the current directory: xdump.core, xl.core, crash.core, crash.kdump, info*.txt,
# times.txt (key=value), xl-list-*.txt, console*.log, and the tools' own output.

# start_paused NAME BOOT_SECONDS: create guest NAME, wait for its userspace, pause it; sets $id.
start_paused() {
    t0=$(now)
    xl create /guest/$1.cfg >create.txt 2>&1 || { cat create.txt; echo "xl create failed"; return 1; }
    echo "create_seconds=$(since $t0)" >>times.txt
    if ! wait_console $1 GUEST-READY $2; then
        cat /var/log/xen/console/guest-$1.log
        echo "guest $1 did not reach userspace in $2 s"
        return 1
    fi
    echo "boot_seconds=$(since $t0)" >>times.txt
    cp /var/log/xen/console/guest-$1.log console.log
    xl pause $1 || return 1
    # Backends (xenconsoled, xenstored) may still be consuming what the guest wrote before the
    # pause, which moves their ring indexes in its memory: let them finish before the dumps.
    sleep 1
    id=$(domid $1)
    echo "domid=$id" >>times.txt
}

dump_linux_guest() {
    name=$1
    start_paused $name $2 || return 1
    xl list -v $name >xl-list-before.txt 2>&1
    xl vcpu-list $name >xl-vcpu-list.txt 2>&1

    rc=0
    xdump_timed $id xdump.core xdump xdump.out info.txt || rc=1
    [ -f xdump.core ] && xdump info --json xdump.core >info.json 2>&1
    xl list -v $name >xl-list-after-xdump.txt 2>&1
    [ "${XL_DUMP_CORE:-yes}" = no ] || xl_dump_timed $id || rc=1
    crash_linux_guest $name $id || rc=1
    ls -l >>ls.txt
    cat times.txt
    xl destroy $name
    return $rc
}

# crash_linux_guest NAME DOMID: the guest's own panic, dumped by xdump (crash.core, crash.kdump).
crash_linux_guest() {
    xl unpause $1 || return 1
    tty=$(xenstore read /local/domain/$2/console/tty 2>&1)
    case $tty in /dev/pts/*) ;; *) echo "no console tty for domain $2: $tty"; return 1 ;; esac
    t0=$(now)
    echo crash >"$tty"
    if ! wait_state $1 c 60; then
        cp /var/log/xen/console/guest-$1.log console-crash.log
        tail -20 console-crash.log
        echo "guest $1 did not crash within 60 s of 'crash' on its console"
        return 1
    fi
    echo "crash_seconds=$(since $t0)" >>times.txt
    sleep 1
    cp /var/log/xen/console/guest-$1.log console-crash.log
    xl list -v $1 >xl-list-crashed.txt 2>&1
    xdump_timed $2 crash.core crash_xdump xdump-crash.out info-crash.txt || return 1
    # Issue 19, when this run has scenario kdump (make realxen-all): the same crashed guest,
    # still held by on_crash="preserve", as a filtered, zstd-compressed kdump file.
    case "+$(sed -n 's/.*xdump_scenario=\([^ ]*\).*/\1/p' /proc/cmdline)+" in
    *+kdump+*) xdump_timed "--format kdump -d 31 --compress zstd $2" crash.kdump crash_kdump \
        xdump-kdump.out info-kdump.txt ;;
    esac
}
