# xdump watch across its own restarts and signals: a crash is dumped once even when the
# daemon restarts; SIGTERM abandons a dump cleanly (the next run does it); a worker killed
# outright leaves no paused guest and no partial core; xenstore going away; --domain, --json,
# --then restart/destroy through a toolstack (a stand-in for xl), --once.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 31
  name keeper
  memory 4M
domain 32
  name slowpoke
  memory 16M
  fault delay-ns 300000
domain 33
  name victim
  memory 16M
  fault delay-ns 300000
domain 34
  name web
  memory 4M
domain 35
  name noconf
  memory 4M
domain 36
  name other
  memory 4M
domain 37
  name web2
  memory 4M
domain 38
  name nameless
  memory 4M
domain 39
  name locked
  memory 4M
W
xenstored_start w
D=$T/dumps
cat > "$T/xl" <<XL
#!/bin/bash
# A stand-in for xl: logs its arguments; destroy makes the simulated domain gone.
echo "\$*" >> "$T/xl.log"
case \$1 in
  destroy) exec "$XSIM" set "$T/w" "\$2" state=gone ;;
  create) [ -r "\$2" ] || { echo "Failed to read config file: \$2" >&2; exit 1; } ;;
esac
XL
chmod +x "$T/xl"
mkdir "$T/cfg"; echo 'name = "web"' > "$T/cfg/web.cfg"
workers() { cat /proc/"$WATCH_PID"/task/*/children 2> /dev/null || true; }
opts=(--dir "$D" --then preserve --json --rescan 1 --domain keeper --domain 'slow*'
      --domain 33 --domain 38 --domain locked)

say "first run: a dump, a crash no --domain names, SIGTERM during a dump"
L1=$T/run1.log
watch_start w "$L1" "${opts[@]}"
wait_log "$L1" '"event":"started"'
"$XSIM" set "$T/w" 31 state=crashed
wait_log "$L1" '"event":"dump-done","domid":31,"name":"keeper"'
grep -Eq '"event":"dump-done","domid":31,"name":"keeper","uuid":"[0-9a-f-]{36}","file":"[^"]*/keeper-31-[0-9]{8}T[0-9]{6}Z\.core","bytes":[0-9]+,"seconds":[0-9.]+,"message":"dumped to' \
  "$L1" || fail "the JSON line of a dump: $(grep dump-done "$L1")"
"$XSIM" set "$T/w" 36 state=crashed
wait_log "$L1" '"event":"ignored","domid":36'
"$XSIM" set "$T/w" 32 state=crashed
wait_log "$L1" '"event":"dump-started","domid":32'
for _ in $(seq 200); do [ "$(simstat w 32 frames_mapped)" -gt 200 ] && break; sleep 0.02; done
watch_stop
grep -q '"event":"dump-failed","domid":32,.*"status":"signal"' "$L1" || fail "no abandoned dump line"
grep -q '"event":"stopped"' "$L1" || fail "no stopped line"
[ "$(simstat w 32 pause_count)" = 0 ] || fail "slowpoke left paused"
[ "$(simstat w 32 life)" = shutdown ] || fail "slowpoke should stay crashed"
[ -z "$(ls -A "$D" | grep slowpoke)" ] || fail "a (partial) core of slowpoke: $(ls -A "$D")"
[ -z "$(ls "$D" | grep other)" ] || fail "other was dumped"

say "second run: keeper is not dumped again, slowpoke is; a worker killed outright"
L2=$T/run2.log
watch_start w "$L2" "${opts[@]}"
wait_log "$L2" '"event":"already-dumped","domid":31,.*keeper-31-'
wait_log "$L2" '"event":"dump-done","domid":32' 1 60
[ "$(ls "$D" | grep -c '^keeper-')" = 1 ] || fail "keeper dumped twice"
check w 32 "$D/$(cd "$D" && ls slowpoke-32-*.core)"; expect phys.pages_ok 4096; expect phys.pages_bad 0
"$XSIM" set "$T/w" 33 state=crashed
wait_log "$L2" '"event":"dump-started","domid":33'
for _ in $(seq 200); do [ "$(simstat w 33 pause_count)" = 1 ] && [ -n "$(workers)" ] && break; sleep 0.02; done
[ "$(simstat w 33 pause_count)" = 1 ] || fail "victim is not being dumped"
kill -KILL $(workers)
wait_log "$L2" '"event":"dump-failed","domid":33,.*worker died \(killed by signal 9\)'
[ "$(simstat w 33 pause_count)" = 0 ] || fail "victim left paused by the dead worker"
[ -z "$(ls -A "$D" | grep victim)" ] || fail "a partial core of victim: $(ls -A "$D")"

say "another xdump holds the domain's lock: no action, tried again at the next re-listing"
flock "$XDUMP_LOCK_DIR/xdump-dom39.lock" sleep 1.5 & BG_PIDS+=($!)
sleep 0.2
"$XSIM" set "$T/w" 39 state=crashed
wait_log "$L2" '"event":"dump-failed","domid":39,.*"status":"busy"'
wait_log "$L2" '"event":"dump-done","domid":39' 1 20
[ "$(grep -c '"event":"crash-seen","domid":39' "$L2")" = 1 ] || fail "crash-seen once for locked"

say "xenstore goes away: crashes are still found (by re-listing), nameless"
xenstored_stop
"$XSIM" set "$T/w" 38 state=crashed
wait_log "$L2" '"event":"dump-done","domid":38,"name":""' 1 20
grep -q '"event":"warning",.*xenstore does not answer' "$L2" || fail "no line for xenstore lost"
ls "$D"/domain-38-*.core > /dev/null || fail "a nameless guest's core is domain-<id>-..."
xenstored_start w
wait_log "$L2" '"event":"warning",.*xenstore is back' 1 10
watch_stop
[ "$(grep -c '"event":"ignored","domid":36' "$L2")" = 1 ] || fail "ignored: once per run"

say "--then restart through the toolstack: xl destroy, then xl create with the guest's config"
L3=$T/run3.log
watch_start w "$L3" --dir "$D" --then restart --xl "$T/xl" --config-dir "$T/cfg" --domain 'web' \
  --domain noconf
wait_log "$L3" '^xdump watch: started'
"$XSIM" set "$T/w" 34 state=crashed
wait_log "$L3" 'then-done: web \(domain 34\): restart: destroyed and started again from .*/cfg/web\.cfg'
[ "$(cat "$T/xl.log")" = "destroy 34
create $T/cfg/web.cfg" ] || fail "xl calls: $(cat "$T/xl.log")"
[ "$(simstat w 34 life)" = gone ] || fail "web not destroyed"
"$XSIM" set "$T/w" 35 state=crashed
wait_log "$L3" "then-failed: noconf \(domain 35\): restart: restart needs the guest's xl config"
[ "$(simstat w 35 life)" = shutdown ] || fail "noconf should be left as it is"
ls "$D"/noconf-35-*.core > /dev/null || fail "noconf should have been dumped all the same"

say "a second daemon on the same directory is refused"
expect_rc 1 sim w "$XDUMP" watch --no-syslog --once --dir "$D"
grep -q "another xdump watch is using" "$T/stderr" || fail "message: $(cat "$T/stderr")"
watch_stop

say "--once: what is crashed now, then exit; 1 when an action failed"
"$XSIM" set "$T/w" 37 state=crashed
sim w "$XDUMP" watch --no-syslog --once --dir "$D" --xl "$T/xl" --domain web2 2> "$T/once.log" \
  || { cat "$T/once.log"; fail "--once"; }
grep -q 'then-done: web2 (domain 37): destroy: destroyed (xl destroy)' "$T/once.log" || fail "web2"
[ "$(tail -n 1 "$T/xl.log")" = "destroy 37" ] || fail "xl destroy 37"
expect_rc 1 sim w "$XDUMP" watch --no-syslog --once --dir "$D" --then restart --xl "$T/xl" \
  --config-dir "$T/cfg" --domain noconf --domain other
grep -q 'already-dumped: noconf' "$T/stderr" || fail "noconf was dumped already"
grep -q 'dump-done: other (domain 36)' "$T/stderr" || fail "other: dumped"
grep -q 'then-failed: other (domain 36)' "$T/stderr" || fail "other: no config, so no restart"
