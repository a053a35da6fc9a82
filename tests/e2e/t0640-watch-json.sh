# xdump watch --json (issue 16, move 2): every line is one valid JSON object, whatever bytes a
# guest's name holds - jansson writes it, after invalid UTF-8 became U+FFFD (the hand-written
# escaper before passed such bytes through: invalid JSON). Judged by Python's strict json
# module, not by xdump's writer.
. "$(dirname "$0")/lib.sh"
printf 'domain 41\n  name web\xff\xfe-\xc3\xa9t\xc3\n  memory 1M\n' | world w
D=$T/dumps LOG=$T/watch.log
xenstored_start w
watch_start w "$LOG" --dir "$D" --then preserve --xl none --json
wait_log "$LOG" '"event":"started"'
"$XSIM" set "$T/w" 41 state=crashed
wait_log "$LOG" '"event":"dump-done"'
watch_stop
python3 - "$LOG" <<'P' || fail "xdump watch --json wrote a line that is not JSON: $(cat "$LOG")"
import json, sys
names = set()
with open(sys.argv[1], "rb") as f:
    for raw in f:
        line = raw.decode("utf-8")  # strict: invalid UTF-8 raises
        o = json.loads(line)
        if "name" in o:
            names.add(o["name"])
assert names == {"web\ufffd\ufffd-\u00e9t\ufffd"}, names
print("names:", names)
P
n=$(grep -c . "$LOG")
[ "$n" -ge 4 ] || fail "only $n lines"
