#!/usr/bin/env bash
# Runs libFuzzer targets one after the other, one process each, SECONDS each:
#   tests/fuzz/run.sh FUZZDIR SECONDS TARGET...
# FUZZDIR holds the binaries (fuzz_TARGET); each starts from the seeds in
# tests/fuzz/corpus/TARGET/ (read only) and what earlier runs found, kept in
# FUZZDIR/corpus/TARGET/, with the dictionary tests/fuzz/TARGET.dict if there is one. A crash,
# a hang (5 s on one input) or a blow-up (1 GiB) fails the run and leaves the input in
# FUZZDIR/crashes/; reproduce with FUZZDIR/fuzz_TARGET FILE.
set -u
dir=$1 seconds=$2
shift 2
seeds=$(cd "$(dirname "$0")" && pwd)/corpus
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "$@"; do
  mkdir -p "$dir/corpus/$t" "$dir/crashes"
  log=$dir/$t.log
  dict=()
  [ -f "$seeds/../$t.dict" ] && dict=(-dict="$seeds/../$t.dict")
  "$dir/fuzz_$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$dir/crashes/$t-" "${dict[@]}" \
    "$dir/corpus/$t" "$seeds/$t" > "$log" 2>&1
  rc=$?
  # the last status line: "#N DONE cov: C ft: F corp: ..."
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<< "$last")
  if [ "$rc" -eq 0 ]; then
    printf 'fuzz %-9s ok   %3ss %10s execs %7s/s  cov: %s ft: %s corp: %s\n' "$t" "$seconds" \
      "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  else
    failed+=("$t")
    printf 'fuzz %-9s FAIL (exit %s); the input: %s\n' "$t" "$rc" \
      "$(grep -o "$dir/crashes/$t-[^ ]*" "$log" | tail -n 1)"
    grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==|#[0-9]+ 0x' "$log" | head -n 30 | sed 's/^/     /'
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: failed: ${failed[*]} (logs in $dir/*.log)"; exit 1; }
