# SPDX-License-Identifier: GPL-2.0-or-later
# Run by checks/dumpboth.sh as `drgn -q -c CORE -s VMLINUX xen-written.py`: the pfns of the
# guest pages that Xen itself writes while the guest is paused, as the guest's kernel
# registered them with Xen - found in the core, one "page=PFN what" line each, then
# "pfns=PFN,PFN,...". An event sent to a paused guest (its own timer firing, a backend's
# notification) is marked pending in these pages, so two dumps of one paused guest, taken one
# after the other, may differ there and nowhere else:
#   - FIFO event channels: the event array pages and each vCPU's control block
#     (EVTCHNOP_expand_array, EVTCHNOP_init_control)
#   - each vCPU's vcpu_info, placed in per-CPU memory (VCPUOP_register_vcpu_info): pending
#     selectors, upcall flags, system time
#   - each vCPU's runstate area (VCPUOP_register_runstate_memory_area)
#   - the vDSO's pvclock page, when there is one (VCPUOP_register_vcpu_time_memory_area)
from drgn.helpers.linux.cpumask import for_each_possible_cpu
from drgn.helpers.linux.percpu import per_cpu, per_cpu_ptr

base = prog["page_offset_base"].value_()
pages = {}


def add(va, what):
    if va >= base:
        pages.setdefault((va - base) >> 12, what)


def symbol(name):
    try:
        return prog[name]
    except KeyError:
        return None


arr, n = symbol("event_array"), symbol("event_array_pages")
if arr is not None and n is not None:
    for i in range(min(n.value_(), len(arr))):
        add(arr[i].value_(), f"FIFO event array page {i}")
for cpu in for_each_possible_cpu(prog):
    if symbol("cpu_control_block") is not None:
        add(per_cpu(prog["cpu_control_block"], cpu).value_(), f"FIFO control block of CPU {cpu}")
    for name, what in (("xen_vcpu_info", "vcpu_info"), ("xen_runstate", "runstate area")):
        if symbol(name) is not None:
            va = per_cpu_ptr(prog[name].address_of_(), cpu).value_()
            add(va, f"{what} of CPU {cpu}")
            add(va + prog[name].type_.size - 1, f"{what} of CPU {cpu} (end)")
clock = symbol("xen_clock")
if clock is not None and clock.value_():
    add(clock.value_(), "vDSO pvclock page")
for pfn in sorted(pages):
    print(f"page={pfn:#x} {pages[pfn]}")
print("pfns=" + ",".join(f"{p:#x}" for p in sorted(pages)))
