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
export ASAN_OPTIONS=${ASAN_OPTIONS:-verify_asan_link_order=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "-- $*"; }

# world NAME: builds world $T/NAME from the world file on stdin.
world() {
  cat > "$T/$1.world"
  "$XSIM" create "$T/$1.world" "$T/$1" || fail "xensim create $1"
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
