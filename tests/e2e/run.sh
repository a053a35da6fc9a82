#!/usr/bin/env bash
# Runs every end-to-end test (tests/e2e/t*.sh) against the binaries in BUILD (default build).
# Each test is a script that drives the real programs as a user would; see lib.sh.
# ONLY=WORD runs the tests whose name has WORD; SKIP="WORD..." leaves out (and counts) those
# whose name has one of the words.
set -u
BUILD=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
export BUILD=$(cd "$BUILD" && pwd)
pass=0 skipped=0 failed=()
for t in "$here"/t[0-9]*.sh; do
  name=$(basename "$t" .sh)
  [ -n "${ONLY:-}" ] && [[ $name != *"$ONLY"* ]] && continue
  for word in ${SKIP:-}; do
    [[ $name == *"$word"* ]] && { skipped=$((skipped + 1)); printf 'skip %s\n' "$name"; continue 2; }
  done
  start=$(date +%s.%N)
  if out=$(bash "$t" 2>&1); then
    pass=$((pass + 1))
    printf "ok   %-40s %5.1fs\n" "$name" "$(awk -v a="$start" -v b="$(date +%s.%N)" "BEGIN{print b-a}")"
  else
    failed+=("$name")
    printf 'FAIL %s\n' "$name"
    printf '%s\n' "$out" | tail -n 40 | sed 's/^/     /'
  fi
done
echo "e2e: $pass passed, ${#failed[@]} failed${SKIP:+, $skipped skipped}${failed:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
