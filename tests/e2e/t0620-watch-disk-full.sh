# Retention and free space: at most --keep cores per guest (a restarted guest keeps its name,
# not its domid), cores that retention would delete anyway make room first, and a core that
# cannot fit above --min-free is skipped and said so - the disk is never filled.
# The dump directory is a small tmpfs, mounted in a private mount namespace.
if [ -z "${XD_IN_MOUNT_NS:-}" ]; then
  export XD_IN_MOUNT_NS=1
  flags=-m; [ "$(id -u)" = 0 ] || flags=-rm
  if unshare $flags true 2> /dev/null; then exec unshare $flags bash "$0" "$@"; fi
  echo "-- SKIP: no mount namespace (unshare $flags) for a small tmpfs"; exit 77
fi
. "$(dirname "$0")/lib.sh"
{
  for i in 21 22 23 24; do printf 'domain %d\n  name app\n  memory 4M\n  fill random %d\n' $i $i; done
  printf 'domain 25\n  name huge\n  memory 32M\n  fill random 5\n'
  printf 'domain 27\n  name app\n  memory 32M\n  fill random 7\n'
  printf 'domain 26\n  name slow\n  memory 1M\n  fill random 6\n  fault delay-ns 3000000\n'  # ~0.8 s
} | world w
D=$T/dumps LOG=$T/watch.log
mkdir -p "$D"
mount -t tmpfs -o size=12m,mode=700 xdump-e2e "$D" || fail "cannot mount a tmpfs"
trap 'bg_cleanup; umount -l "$D"; rm -rf "$T"' EXIT
xenstored_start w
watch_start w "$LOG" --dir "$D" --keep 2 --min-free 1M --then preserve --xl none
wait_log "$LOG" '^xdump watch: started'

say "three crashes of guest app (restarted between them): the two newest cores stay"
for i in 21 22 23; do
  "$XSIM" set "$T/w" $i state=crashed
  wait_log "$LOG" "dump-done: app \(domain $i\)"
done
wait_log "$LOG" 'deleted: app \(domain 23\): deleted .*/app-21-'
ls "$D"/app-21-* > /dev/null 2>&1 && fail "app-21 was not deleted"
ls "$D"/app-22-*.core "$D"/app-23-*.core > /dev/null || fail "app-22 and app-23 must stay"

say "the fourth only fits once retention has made room: the oldest goes first"
# 12 MiB: two cores of 4 MiB leave ~4 MiB; a third could need ~5 MiB, + --min-free 1M.
"$XSIM" set "$T/w" 24 state=crashed
wait_log "$LOG" "dump-done: app \(domain 24\)"
grep -Eq 'deleted: app \(domain 24\): deleted .*/app-22-.*to make room' "$LOG" \
  || fail "app-22 should have been deleted to make room"
[ "$(ls "$D" | grep -c '^app-')" = 2 ] || fail "two cores of app: $(ls "$D")"
check w 24 "$D/$(cd "$D" && ls app-24-*.core)"; expect phys.pages_ok 1024; expect phys.pages_bad 0

say "a core that cannot fit: skipped, logged, the disk not filled, the guest left alone"
before=$(df --output=avail -B1 "$D" | tail -n 1)
"$XSIM" set "$T/w" 25 state=crashed
wait_log "$LOG" 'dump-skipped: huge \(domain 25\)'
grep -Eq 'dump-skipped: huge \(domain 25\): not dumped: the core could take 33\.[0-9] MiB; .* and --min-free keeps 1\.0 MiB' \
  "$LOG" || fail "the skip line says why"
[ "$(df --output=avail -B1 "$D" | tail -n 1)" = "$before" ] || fail "space was used"
ls "$D" | grep -q huge && fail "a core of huge exists"
[ "$(simstat w 25 life)" = shutdown ] && [ "$(simstat w 25 pause_calls)" = 0 ] \
  || fail "huge should be left crashed and untouched"
[ "$(simstat w 25 pause_count)" = 0 ] || fail "huge left paused"

say "deleting old cores would not be enough: none is deleted for nothing"
"$XSIM" set "$T/w" 27 state=crashed
wait_log "$LOG" 'dump-skipped: app \(domain 27\)'
ls "$D"/app-23-*.core "$D"/app-24-*.core > /dev/null || fail "a core was deleted for a skipped dump"

say "the disk fills behind our back during a dump: it fails, no partial core is left"
"$XSIM" set "$T/w" 26 state=crashed
wait_log "$LOG" 'dump-started: slow \(domain 26\)'
sleep 0.2
fallocate -l "$(df --output=avail -B1 "$D" | tail -n 1)" "$D/filler" || fail "fallocate"
wait_log "$LOG" 'dump-failed: slow \(domain 26\)'
grep -Eq 'dump-failed: slow \(domain 26\): writing .*No space left on device' "$LOG" \
  || fail "the failure line says why"
ls -A "$D" | grep -q slow && fail "a (partial) core of slow was left: $(ls -A "$D")"
[ "$(simstat w 26 pause_count)" = 0 ] || fail "slow left paused"
rm "$D/filler"

watch_stop
[ "$(count "$LOG" 'dump-failed')" = 1 ] && [ "$(count "$LOG" 'then-')" = 0 ] \
  || fail "one failure (slow), no action (--then preserve)"
