#!/usr/bin/env bash
# Runs every end-to-end test (tests/e2e/t*.sh) against the binaries in BUILD (default build).
# Each test is a script that drives the real programs as a user would; see lib.sh.
# ONLY=WORD runs the tests whose name has WORD; SKIP="WORD..." leaves out (and counts) those
# whose name has one of the words - the caller's choice, said in the summary.
#
# A test that cannot run here says why on a line "SKIP: reason" and exits 77. That is shown and
# counted, and FAILS the run (make check): a machine that runs `make check` as root can run
# every test, so a skip there hides a missing set-up step. On a machine that truly cannot
# (a container without mount namespaces, say), XDUMP_ALLOW_SKIP="WORD..." names the tests
# whose skip is accepted; the summary still lists them.
set -u
BUILD=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
export BUILD=$(cd "$BUILD" && pwd)
pass=0 skipped=0 failed=() selfskip=() allowed=()
for t in "$here"/t[0-9]*.sh; do
  name=$(basename "$t" .sh)
  [ -n "${ONLY:-}" ] && [[ $name != *"$ONLY"* ]] && continue
  for word in ${SKIP:-}; do
    [[ $name == *"$word"* ]] && { skipped=$((skipped + 1)); printf 'skip %s (SKIP=%s)\n' "$name" "$word"; continue 2; }
  done
  start=$(date +%s.%N)
  # Each test in a session of its own, its output in a file: a process it leaves behind can
  # neither hold the run up (a pipe kept open) nor outlive it (the session is killed after).
  # A test that runs past XDUMP_E2E_TIMEOUT seconds (default 600) is killed and fails.
  log=$(mktemp "${TMPDIR:-/tmp}/xdump-e2e-log.XXXXXX")
  setsid bash "$t" > "$log" 2>&1 < /dev/null &
  tpid=$!
  limit=${XDUMP_E2E_TIMEOUT:-600}
  (
    trap 'kill "$s" 2> /dev/null; exit 0' TERM
    sleep "$limit" & s=$!; wait "$s"
    touch "$log.timeout"; kill -TERM -- -"$tpid"; sleep 10; kill -KILL -- -"$tpid"
  ) > /dev/null 2>&1 &
  wd=$!
  wait "$tpid"
  rc=$?
  kill "$wd" 2> /dev/null; wait "$wd" 2> /dev/null
  left=$(pgrep -s "$tpid" | wc -l)
  kill -KILL -- -"$tpid" 2> /dev/null
  out=$(cat "$log")
  [ "$left" -gt 0 ] && out+=$'\n'"(run.sh: $left process(es) of the test still running after it, killed)"
  if [ -e "$log.timeout" ]; then
    rc=1
    out+=$'\n'"(run.sh: killed after ${limit}s: XDUMP_E2E_TIMEOUT)"
  fi
  rm -f "$log" "$log.timeout"
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" "BEGIN{print b-a}")
  if [ $rc = 0 ]; then
    pass=$((pass + 1))
    printf "ok   %-40s %5.1fs\n" "$name" "$secs"
  elif [ $rc = 77 ]; then
    why=$(printf '%s\n' "$out" | sed -n 's/.*SKIP: //p' | head -n 1)
    ok=0
    for word in ${XDUMP_ALLOW_SKIP:-}; do [[ $name == *"$word"* ]] && ok=1; done
    if [ $ok = 1 ]; then allowed+=("$name"); else selfskip+=("$name"); fi
    printf "SKIP %-40s %s%s\n" "$name" "${why:-no reason given}" "$([ $ok = 1 ] && echo ' (allowed by XDUMP_ALLOW_SKIP)')"
  else
    failed+=("$name")
    printf 'FAIL %s\n' "$name"
    printf '%s\n' "$out" | tail -n 40 | sed 's/^/     /'
  fi
done
summary="e2e: $pass passed, ${#failed[@]} failed"
[ ${#selfskip[@]} -gt 0 ] && summary+=", ${#selfskip[@]} skipped that must run: ${selfskip[*]}"
[ ${#allowed[@]} -gt 0 ] && summary+=", ${#allowed[@]} skipped (allowed): ${allowed[*]}"
[ -n "${SKIP:-}" ] && summary+=", $skipped left out (SKIP=)"
[ ${#failed[@]} -gt 0 ] && summary+="; failed: ${failed[*]}"
echo "$summary"
[ ${#failed[@]} -eq 0 ] && [ ${#selfskip[@]} -eq 0 ]
