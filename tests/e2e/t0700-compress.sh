# xdump -z writes a gzip stream: zcat gives back the core xdump writes without -z (to the byte,
# but for the dump's start time), with one thread or two, to a file or to standard output; the
# oracle checks every page of it. A failed compressed dump leaves nothing behind.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  type pv
  memory 40M
  fill zero-percent 60 4
  fault fail 0x200 3 EFAULT
  vcpus 2
domain 2
  type hvm
  memory 24M
  fill random 8
  vcpus 1
domain 3
  type pv
  memory 32M
  fault die-after 3000
W
for d in 1 2; do
  say "dom$d: plain, -z, --compress --threads 2, -z to standard output"
  sim w "$XDUMP" -q $d "$T/d$d.core" || fail "plain dump"
  sim w "$XDUMP" -q -z $d "$T/d$d.core.gz" || fail "xdump -z"
  sim w "$XDUMP" -q --compress --threads 2 $d "$T/d$d.t2.core.gz" || fail "--threads 2"
  sim w "$XDUMP" -q -z --threads 1 $d - > "$T/d$d.pipe.gz" || fail "-z to a pipe"
  for gz in "$T/d$d.core.gz" "$T/d$d.t2.core.gz" "$T/d$d.pipe.gz"; do
    gzip -t "$gz" || fail "$gz is not a valid gzip file"
    zcat "$gz" > "$T/unzipped.core"
    same_content "$T/d$d.core" "$T/unzipped.core"
    if [ -f "$T/first.core" ]; then same_core "$T/first.core" "$T/unzipped.core"; else mv "$T/unzipped.core" "$T/first.core"; fi
  done
  mv "$T/first.core" "$T/unzipped.core"
  check w $d "$T/unzipped.core"
  expect phys.pages_bad 0
  [ $d = 2 ] || expect unmappable.runs 1
  [ "$(stat -c %s "$T/d$d.core.gz")" -lt "$(stat -c %s "$T/d$d.core")" ] || [ $d = 2 ] ||
    fail "compressing did not make the core smaller"
  [ "$(stat -c %a "$T/d$d.core.gz")" = 600 ] || fail "mode"
done

say "bad --threads, an existing output, a domain that dies: no file is left"
expect_rc 2 sim w "$XDUMP" -z --threads 0 1 "$T/x.gz"
expect_rc 2 sim w "$XDUMP" -z --threads 1 "$T/x.gz"
expect_rc 5 sim w "$XDUMP" -z 1 "$T/d1.core.gz"
expect_rc 6 sim w "$XDUMP" -z --threads 2 3 "$T/dead.core.gz"
[ ! -e "$T/dead.core.gz" ] || fail "a dead domain's core was left"
ls -A "$T" | grep '^\..*\.xdump-' && fail "a temporary file was left"
[ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused"
true
