# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the host-side checks: each assertion prints one PASS or FAIL line.
NFAIL=0
NPASS=0
pass() { echo "PASS: $SCEN: $*"; NPASS=$((NPASS + 1)); }
failed() { echo "FAIL: $SCEN: $*"; NFAIL=$((NFAIL + 1)); }
# check DESCRIPTION COMMAND...: PASS when the command succeeds.
check() {
    d=$1
    shift
    if "$@"; then pass "$d"; else failed "$d"; fi
}
# kv FILE KEY: the value of KEY=... in FILE (first match).
kv() { sed -n "s/^$2=\([^ ]*\).*/\1/p" "$1" 2>/dev/null | head -1; }
finish() {
    echo "$SCEN: $NPASS passed, $NFAIL failed"
    [ $NFAIL -eq 0 ]
}
