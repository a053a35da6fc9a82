# Shared helpers for the end-to-end tests. A test sources this, builds a simulated world,
# runs the real programs in it and asserts on what they leave behind.
set -euo pipefail
: "${BUILD:?run through tests/e2e/run.sh}"
XSIM=$BUILD/xensim
XDUMP=$BUILD/xdump
CORECHECK=$BUILD/tests/corecheck
XCDUMP=$BUILD/tests/xc-dumpcore
T=$(mktemp -d "${TMPDIR:-/tmp}/xdump-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
export XDUMP_LOCK_DIR=$T  # one dumper per domain: each test its own locks
export ASAN_OPTIONS=${ASAN_OPTIONS:-verify_asan_link_order=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "-- $*"; }

# world NAME: builds world $T/NAME from the world file on stdin.
world() {
  cat > "$T/$1.world"
  "$XSIM" create "$T/$1.world" "$T/$1" || fail "xensim create $1"
}

# bytes FILE OFFSET LENGTH: that part of FILE, on stdout.
# same_content A B: cores A and B hold the same things, wherever each keeps them (a file has its
# notes before the pages, a stream after them: docs/FORMAT.md): every Xen section's bytes, the
# PT_NOTE segment's bytes (the dump description's start time blanked), every PT_LOAD's
# addresses and sizes, and each PT_LOAD's bytes.
bytes() { dd if="$1" bs=64K iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none; }
same_content() {
  local a=$1 b=$2 f sec x y
  for f in "$a" "$b"; do
    readelf -SW "$f" | sed 's/^ *\[ *[0-9]*\]//' | awk '$1 ~ /^\.(xen_|note\.Xen)/ {print $1, $4, $5}' |
      while read -r sec x y; do echo "$sec $((0x$x)) $((0x$y))"; done > "$f.secs"
    readelf -lW "$f" | awk '$1 == "LOAD" {print $3, $4, $5, $6}' > "$f.loads"
    readelf -lW "$f" | awk '$1 == "LOAD" {print $2, $5}' | while read -r x y; do echo "$((x)) $((y))"; done > "$f.loadoffs"
    read -r x y < <(readelf -lW "$f" | awk '$1 == "NOTE" {print $2, $5; exit}')
    x=$((x)) y=$((y))
    bytes "$f" "$x" "$y" > "$f.notes"
    x=$(grep -abo 'xdump [0-9]' "$f.notes" | tail -n 1 | cut -d: -f1)
    [ -n "$x" ] || fail "$f: no dump description note"
    dd if=/dev/zero of="$f.notes" bs=1 seek=$((x - 16)) count=8 conv=notrunc status=none
  done
  cmp -s "$a.notes" "$b.notes" || fail "$a and $b: notes differ"
  cmp -s "$a.loads" "$b.loads" || fail "$a and $b: PT_LOADs differ"
  [ "$(cut -d' ' -f1,3 "$a.secs")" = "$(cut -d' ' -f1,3 "$b.secs")" ] || fail "$a and $b: sections differ"
  while read -r sec x y; do
    set -- $(awk -v s="$sec" '$1 == s {print $2}' "$b.secs")
    cmp -s <(bytes "$a" "$x" "$y") <(bytes "$b" "$1" "$y") ||
      fail "$a and $b: section $sec differs"
  done < "$a.secs"
  paste -d' ' "$a.loadoffs" "$b.loadoffs" | while read -r x y f sec; do
    cmp -s <(bytes "$a" "$x" "$y") <(bytes "$b" "$f" "$y") ||
      fail "$a and $b: a PT_LOAD's bytes differ (offsets $x, $f)"
  done
  rm -f "$a".secs "$a".note "$a".loads "$a".loadoffs "$a".notes "$b".secs "$b".note "$b".loads "$b".loadoffs "$b".notes
}

# same_core A B: A and B (two streams) are equal but for the dump description's start time (8 bytes).
same_core() {
  [ "$(stat -c %s "$1")" = "$(stat -c %s "$2")" ] || fail "$1 and $2 differ in size"
  { cmp -l "$1" "$2" || true; } | awk 'NR == 1 { first = $1 } { last = $1 } END { exit (NR && last - first >= 8) }' ||
    fail "$1 and $2 differ beyond the start time"
}

# sim WORLD CMD...: runs CMD inside world WORLD (xensim.so preloaded).
sim() { local w=$1; shift; "$XSIM" run "$T/$w" -- "$@"; }

# check WORLD DOMID CORE: the oracle's key=value report, kept in $REPORT.
check() {
  REPORT=$("$CORECHECK" "$T/$1" "$2" "$3") || fail "corecheck $3"
}
# val KEY: a value of the last report (empty when absent).
val() { printf '%s\n' "$REPORT" | sed -n "s/^$1=//p" | head -n 1; }
# expect KEY VALUE: asserts on the last report.
expect() {
  local got; got=$(val "$1")
  [ "$got" = "$2" ] || { printf '%s\n' "$REPORT" >&2; fail "$1 is '$got', expected '$2'"; }
}
# simstat WORLD DOMID KEY: a counter or state of xensim.
simstat() { "$XSIM" stat "$T/$1" "$2" | sed -n "s/^dom$2\.$3=//p"; }
# runs CMD expecting exit status RC; its stderr goes to $T/stderr.
expect_rc() {
  local want=$1; shift
  set +e; "$@" 2> "$T/stderr"; local rc=$?; set -e
  [ "$rc" = "$want" ] || { cat "$T/stderr" >&2; fail "'$*' exited $rc, expected $want"; }
}

# ---- the test guest (fixtures/guest) in QEMU and in gdb: tests t04* ---------------------------
GUEST_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../fixtures/guest" && pwd)
QEMU2WORLD=$BUILD/tests/qemu2world

# guest_capture DIR: builds the test kernel into DIR and boots it in QEMU, which leaves
# DIR/{kernel.elf,phys.core,paging.core,registers.txt}. QEMUs on this machine take turns
# (/tmp/xdump-qemu.lock): a capture next to a long QEMU run waits for it.
guest_capture() {
  command -v qemu-system-x86_64 > /dev/null && command -v gdb > /dev/null ||
    fail "qemu-system-x86_64 and gdb are needed: make deps (as root) installs them"
  "$GUEST_SRC/build.sh" "$1" || fail "building the test guest (fixtures/guest/build.sh)"
  flock -n /tmp/xdump-qemu.lock true || say "waiting for another QEMU (/tmp/xdump-qemu.lock)"
  flock -w "${QEMU_LOCK_WAIT:-600}" /tmp/xdump-qemu.lock "$GUEST_SRC/capture.sh" "$1" ||
    fail "capturing the test guest in QEMU (fixtures/guest/capture.sh; or /tmp/xdump-qemu.lock busy)"
}

# guest_world DIR NAME [--pv]: the capture in DIR as xensim world $T/NAME (qemu2world).
guest_world() {
  local dir=$1 name=$2; shift 2
  "$QEMU2WORLD" "$dir/phys.core" "$dir/registers.txt" "$dir/$name.in" "$@" || fail "qemu2world"
  "$XSIM" create "$dir/$name.in/guest.world" "$T/$name" || fail "xensim create $name"
}

# vloads CORE: how many PT_LOADs sit at a virtual address (p_vaddr != 0).
vloads() {
  readelf -lW "$1" | awk '$1 == "LOAD" && $3 !~ /^0x0+$/ { n++ } END { print n + 0 }'
}

# guest_answers KERNEL CORE NCPUS: what gdb shows of the test guest in CORE, as key=value lines
# (the order of guest_expected); gdb's raw output is kept in CORE.gdb.
guest_answers() {
  local kernel=$1 core=$2 n=$3 i
  cat > "$T/walk.gdb" <<'G'
set $n = list_head
set $i = 0
while $n != 0 && $i < 16
  printf "node[%d]=%u,%lu\n", $i, $n->index, $n->value
  set $n = $n->next
  set $i = $i + 1
end
G
  local ex=(-ex 'set print address off' -ex 'set print entry-values no'
    -ex 'set print frame-info short-location' -ex 'set width 0' -ex 'set pagination off'
    -ex 'echo @threads\n' -ex 'info threads')
  for ((i = 1; i <= n; i++)); do
    ex+=(-ex "thread $i" -ex "echo @regs $i\\n" -ex 'info registers rip rsp')
  done
  ex+=(-ex 'thread 1' -ex 'echo @bt\n' -ex 'bt' -ex 'echo @values\n'
    -ex 'echo counter=' -ex 'output/x counter' -ex 'echo \n' -ex 'x/s greeting'
    -ex 'echo boot_magic=' -ex 'output/x boot_magic' -ex 'echo \n')
  for i in 0 1 1000 131071 262143; do
    ex+=(-ex "echo pattern[$i]=" -ex "output pattern[$i]" -ex 'echo \n')
  done
  ex+=(-ex "source $T/walk.gdb")
  gdb -batch -nx "${ex[@]}" "$kernel" "$core" > "$core.gdb" 2>&1 || true
  awk '
    /^@threads$/ { s = "threads"; next }
    /^@regs / { s = "regs"; t = $2; next }
    /^@bt$/ { s = "bt"; next }
    /^@values$/ { s = "values"; next }
    s == "threads" && /^[* ] +[0-9]+ +LWP [0-9]+ / && match($0, /LWP [0-9]+/) { n++; print "thread=" substr($0, RSTART, RLENGTH) }
    s == "regs" && ($1 == "rip" || $1 == "rsp") { print "t" t "." $1 "=" $2 }
    s == "bt" && /^#[0-9]/ { sub(/^#[0-9]+ +/, ""); print "bt=" $0 }
    s == "values" && /<greeting>:/ { sub(/^.*<greeting>:[ \t]*/, ""); print "greeting=" $0; next }
    s == "values" && /^[a-z_]+(\[[0-9]+\])?=/ { print }
    END { print "threads=" n + 0 }' "$core.gdb"
}

# guest_expected REGISTERS.TXT: what guest_answers must say of a core of the test guest: the
# threads and registers QEMU had, and the values fixtures/guest/kernel.c computes at run time
# (its formulas, redone here).
guest_expected() {
  local regs=$1 n i
  n=$(grep -c '^CPU#' "$regs")
  for ((i = 1; i <= n; i++)); do echo "thread=LWP $i"; done
  # RIP=/EIP= and RSP=/ESP= of each CPU, as gdb prints them (0x, no leading zeros)
  awk '/^CPU#/ { c = substr($1, 5) + 1 }
    { for (i = 1; i <= NF; i++) if ($i ~ /^[RE](IP|SP)=/) {
        v = substr($i, 5); sub(/^0+/, "", v); r[c, tolower(substr($i, 2, 2))] = "0x" (v == "" ? "0" : v) } }
    END { for (k = 1; k <= c; k++) printf "t%d.rip=%s\nt%d.rsp=%s\n", k, r[k, "ip"], k, r[k, "sp"] }' "$regs"
  # level1(0xa1) -> level2(a, 2a+1) -> level3(a, b, list_head) -> level4(a, b, list_head->next,
  # greeting); nodes are 24 bytes
  local a=$((0xa1)) b=$((2 * 0xa1 + 1)) text='"hello from the xdump test guest"'
  cat <<E
bt=level4 (a=$a, b=$b, n=<nodes+24>, msg=<greeting> $text)
bt=level3 (a=$a, b=$b, n=<nodes>)
bt=level2 (a=$a, b=$b)
bt=level1 (a=$a)
bt=kmain ()
bt=start64 ()
E
  local steps; steps=$(awk 'BEGIN { for (n = 1; n <= 10000; n++) { m = n
      while (m != 1) { m = (m % 2) ? 3 * m + 1 : m / 2; t++ } } print t }')
  printf 'counter=0x%x\ngreeting=%s\nboot_magic=0x2badb002\n' $((0xc0ffee0000000000 | steps)) "$text"
  for i in 0 1 1000 131071 262143; do
    awk -v i=$i 'BEGIN { printf "pattern[%d]=%.0f\n", i, (i * 2654435761) % 4294967296 }'
  done
  for i in 0 1 2 3 4; do echo "node[$i]=$i,$(((i + 1) * (i + 1) * 1000 + 7))"; done
  echo "threads=$n"
}

# guest_expect_answers WHAT EXPECTED ANSWERS: the two agree, or fail showing the difference.
guest_expect_answers() {
  diff -u "$2" "$3" >&2 || fail "$1: gdb's answers (+) differ from the test guest's (-); gdb said: $3.gdb"
}

# guest_expect_wrong WHAT EXPECTED ANSWERS: gdb gives the threads and registers but none of the
# run-time memory: what a core without virtual PT_LOADs looks like in gdb.
guest_expect_wrong() {
  local key
  grep -E '^(thread|t[0-9]+\.r|threads)' "$2" | diff -u - <(grep -E '^(thread|t[0-9]+\.r|threads)' "$3") >&2 ||
    fail "$1: threads or registers differ"
  for key in counter= greeting= boot_magic= 'pattern\[1000\]=' 'pattern\[262143\]=' 'node\[0\]=' 'bt=level3'; do
    local want; want=$(grep "^$key" "$2")
    ! grep -qxF -- "$want" "$3" || fail "$1: gdb shows '$want' without the virtual PT_LOADs: this test could not fail"
  done
}

# guest_dump_in_gdb G WORLD: xdump the test guest captured in G (guest_capture) from world
# $T/WORLD (guest_world), with and without the page-table walk, and ask gdb: the answers
# must be the kernel's ($T/expected, from guest_expected) on $T/WORLD.core, and must not be on
# $T/WORLD.phys.core.
guest_dump_in_gdb() {
  local g=$1 w=$2 n; n=$(grep -c '^CPU#' "$g/registers.txt")
  sim "$w" "$XDUMP" -q 1 "$T/$w.core" || fail "xdump"
  sim "$w" "$XDUMP" -q --no-virtual 1 "$T/$w.phys.core" || fail "xdump --no-virtual"
  check "$w" 1 "$T/$w.core"
  expect xen.pages_bad 0; expect phys.pages_bad 0; expect virt.pages_bad 0; expect prstatus.ok "$n"
  say "xdump's core has virtual PT_LOADs"
  [ "$(vloads "$T/$w.core")" -gt 0 ] ||
    fail "xdump wrote no virtual PT_LOAD (p_vaddr != 0): gdb can only read link-time values"
  [ "$(vloads "$T/$w.phys.core")" = 0 ] || fail "--no-virtual wrote virtual PT_LOADs"
  say "gdb on xdump's core: the same threads, registers, backtrace and run-time values"
  guest_answers "$g/kernel.elf" "$T/$w.core" "$n" > "$T/$w.answers"
  guest_expect_answers "xdump's core" "$T/expected" "$T/$w.answers"
  say "gdb on xdump's physical-only core: threads and registers, none of the run-time values"
  guest_answers "$g/kernel.elf" "$T/$w.phys.core" "$n" > "$T/$w.phys.answers"
  guest_expect_wrong "xdump --no-virtual" "$T/expected" "$T/$w.phys.answers"
}

# guest_no_gdb_warning CORE: gdb said nothing about CORE's format (in guest_answers).
guest_no_gdb_warning() {
  ! grep -i 'warning' "$1.gdb" >&2 || fail "gdb warns about $1 (above)"
}

# ---- xenstore and the crash hook (t06xx) ---------------------------------------------------------
XSTORED=$BUILD/xensim-xenstored
BG_PIDS=()
# Background programs die with the test (and never hold run.sh's output open).
bg_cleanup() { local p; for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap 'bg_cleanup; rm -rf "$T"' EXIT
# xenstored_start WORLD: serves WORLD's xenstore on $T/WORLD.xs and exports XENSTORED_PATH.
xenstored_start() {
  "$XSTORED" "$T/$1" "$T/$1.xs" > /dev/null 2> "$T/$1.xenstored.log" &
  XSTORED_PID=$!; BG_PIDS+=("$XSTORED_PID")
  for _ in $(seq 250); do [ -S "$T/$1.xs" ] && break; sleep 0.02; done
  [ -S "$T/$1.xs" ] || fail "xensim-xenstored did not start"
  export XENSTORED_PATH=$T/$1.xs
}
xenstored_stop() { kill "$XSTORED_PID" 2>/dev/null || true; wait "$XSTORED_PID" 2>/dev/null || true; }
# watch_start WORLD LOG ARGS...: `xdump watch ARGS` in WORLD, stderr to LOG; pid in WATCH_PID.
watch_start() {
  local w=$1 log=$2; shift 2
  "$XSIM" run "$T/$w" -- "$XDUMP" watch --no-syslog "$@" > /dev/null 2> "$log" &
  WATCH_PID=$!; BG_PIDS+=("$WATCH_PID")
}
# watch_stop: SIGTERM, and the daemon must exit 0 within 10 s.
watch_stop() {
  kill -TERM "$WATCH_PID"
  local rc=0; wait "$WATCH_PID" || rc=$?
  [ $rc = 0 ] || fail "xdump watch exited $rc"
}
# wait_log FILE PATTERN [COUNT] [SECONDS]: until COUNT lines of FILE match the ERE PATTERN.
wait_log() {
  local f=$1 pat=$2 n=${3:-1} t=${4:-30} i
  for i in $(seq $((t * 50))); do
    [ "$(grep -Ec -- "$pat" "$f" 2> /dev/null)" -ge "$n" ] && return 0
    sleep 0.02
  done
  cat "$f" >&2; fail "waited ${t}s for $n line(s) matching '$pat' in $f"
}
# count FILE PATTERN: lines of FILE matching the ERE PATTERN.
count() { grep -Ec -- "$2" "$1" || true; }

# vmcoreinfo_page TEXT OUT: a page holding a VMCOREINFO ELF note of the file TEXT's lines, as
# Linux keeps it in memory (kernel/crash_core.c: Elf64_Nhdr, "VMCOREINFO", the text).
vmcoreinfo_page() {
  local len le32
  len=$(stat -c %s "$1")
  le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24)))"; }
  { le32 11; le32 "$len"; le32 0; printf 'VMCOREINFO\0\0'; cat "$1"; } > "$2"
  truncate -s 4096 "$2"
}

# The pre-copy tests (t0140, t0145).
# writer WORLD DOMID PAGES MIBS: starts the guest's writer (pfn 0x100 on) and waits for its
# first pass; its pid is WPID.
writer() {
  rm -f "$T/$1/writer.ready"
  "$XSIM" write "$T/$1" "$2" 0x100 "$3" "$4" & WPID=$!; BG_PIDS+=("$WPID")
  for _ in $(seq 200); do [ -e "$T/$1/writer.ready" ] && return 0; sleep 0.05; done
  fail "the writer of dom$2 did not start"
}
writer_stop() { kill "$WPID" 2> /dev/null || true; wait "$WPID" 2> /dev/null || true; }
# info CORE: `xdump info --json`'s field path (jq-less: python3) of CORE.
jfield() { python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): o=o[k]
print("null" if o is None else str(o).lower() if isinstance(o, bool) else o)' "$1" "$2"; }
