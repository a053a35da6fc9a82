# xdump watch dumps every domain that crashes, once: one crash, then a burst of ten, then a
# crash while another dump runs. Names, modes, contents, the --then action and the log.
. "$(dirname "$0")/lib.sh"
{
  printf 'domain 1\n  name web1\n  memory 8M\n  vcpus 2\n'
  for i in $(seq 2 11); do printf 'domain %d\n  name burst%d\n  memory 4M\n' $i $i; done
  printf 'domain 12\n  name slow\n  memory 16M\n  fault delay-ns 300000\n'   # ~1.2 s
  printf 'domain 13\n  name quick\n  type hvm\n  memory 4M\n'
  printf 'domain 14\n  name bystander\n  memory 4M\n'
} | world w
xenstored_start w
D=$T/dumps LOG=$T/watch.log
watch_start w "$LOG" --dir "$D" --xl none --min-free 1M

say "one crash: one core, named <name>-<domid>-<UTC stamp>.core, 0600 in a 0700 directory"
wait_log "$LOG" '^xdump watch: started: .*@releaseDomain'
"$XSIM" set "$T/w" 1 state=crashed
wait_log "$LOG" 'then-done: web1 \(domain 1\)'
core=$(cd "$D" && ls web1-*.core)
[[ $core =~ ^web1-1-[0-9]{8}T[0-9]{6}Z\.core$ ]] || fail "core name $core"
[ "$(stat -c %a "$D")" = 700 ] || fail "directory mode $(stat -c %a "$D")"
[ "$(stat -c %a "$D/$core")" = 600 ] || fail "core mode"
check w 1 "$D/$core"; expect phys.pages_ok 2048; expect phys.pages_bad 0; expect prstatus.vcpus 0,1
[ "$(simstat w 1 life)" = gone ] || fail "--then destroy (default) left dom1 $(simstat w 1 life)"
for ev in crash-seen dump-started dump-done then-done; do
  [ "$(count "$LOG" "^xdump watch: $ev: web1 \(domain 1\)")" = 1 ] || fail "one $ev line for web1"
done
grep -Eq "dump-done: web1 \(domain 1\): dumped to $D/$core: $(stat -c %s "$D/$core") bytes in [0-9.]+ s" \
  "$LOG" || fail "the done line gives the path and size"
[ "$(simstat w 14 life)" = running ] || fail "a running guest was touched"

say "a burst of ten crashes: ten cores, each checked, every guest destroyed"
t0=$(date +%s.%N)
for i in $(seq 2 11); do "$XSIM" set "$T/w" $i state=crashed; done
wait_log "$LOG" 'then-done: burst' 10
t1=$(date +%s.%N)
say "burst of ten dumped and destroyed in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"
for i in $(seq 2 11); do
  c=$(cd "$D" && ls burst$i-$i-*.core) || fail "no core for burst$i"
  check w $i "$D/$c"; expect phys.pages_ok 1024; expect phys.pages_bad 0
  [ "$(simstat w $i life)" = gone ] || fail "burst$i not destroyed"
  [ "$(simstat w $i pause_count)" = 0 ] || fail "burst$i left paused"
done
[ "$(count "$LOG" 'crash-seen: burst')" = 10 ] || fail "ten crash-seen lines"
[ "$(count "$LOG" 'dump-done: burst')" = 10 ] || fail "ten dump-done lines"

say "a crash during another dump is not missed"
"$XSIM" set "$T/w" 12 state=crashed
wait_log "$LOG" 'dump-started: slow'
"$XSIM" set "$T/w" 13 state=crashed
wait_log "$LOG" 'crash-seen: quick'
grep -q 'dump-done: slow' "$LOG" && fail "the slow dump should still be running"
wait_log "$LOG" 'then-done: quick'
check w 12 "$D/$(cd "$D" && ls slow-12-*.core)"; expect phys.pages_ok 4096
check w 13 "$D/$(cd "$D" && ls quick-13-*.core)"; expect phys.pages_bad 0

say "nothing twice, nothing else"
watch_stop
[ "$(ls "$D" | wc -l)" = 13 ] || fail "13 cores expected: $(ls "$D")"
[ -z "$(ls -A "$D" | grep -v '\.core$' | grep -Ev '^\.xdump-watch\.(lock|state)$')" ] \
  || fail "stray files: $(ls -A "$D")"
[ "$(count "$LOG" 'dump-done')" = 13 ] || fail "13 dumps"
[ "$(count "$LOG" 'dump-failed|then-failed|warning')" = 0 ] || fail "failures logged"
grep -q '^xdump watch: stopped' "$LOG" || fail "no stopped line"
[ "$(simstat w 14 life)" = running ] || fail "the bystander was touched"
