# gdb -batch VMLINUX CORE -x gdb-stacks.py: every thread's (vCPU's) kernel stack from its stack
# pointer to the top of its 16 KiB stack (Linux x86-64's THREAD_SIZE without KASAN), printed as
# `x/a` prints it (each word, symbolised): the return addresses the stack itself holds, for a
# check that does not depend on gdb's unwinder.
import gdb

for t in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
    t.switch()
    sp = int(gdb.parse_and_eval("$sp")) & 0xFFFFFFFFFFFFFFFF
    words = ((sp | 0x3FFF) + 1 - sp) // 8
    print(f"thread {t.num} sp {sp:#x}")
    try:
        gdb.execute(f"x/{words}a {sp:#x}")
    except gdb.error as e:
        print(f"thread {t.num}: {e}")
