# xdump -z --compress zstd writes a zstd stream: `zstdcat` (zstd's own tool) gives back the core
# -z writes as gzip (a stream's core: notes after the pages), to the byte but for the dump's
# start time, holding what the plain file holds; with one thread or two, to a file or to
# standard output; the oracle checks every page of it. A failed dump leaves nothing behind.
. "$(dirname "$0")/lib.sh"
command -v zstdcat > /dev/null || { echo "SKIP: zstd is not installed"; exit 77; }
world w <<'W'
domain 1
  type pv
  memory 32M
  fill zero-percent 50 6
  fault fail 0x180 2 EIO
  vcpus 3
domain 2
  type hvm
  memory 20M
  fill random 3
domain 3
  type hvm
  memory 32M
  fault die-after 2500
W
for d in 1 2; do
  say "dom$d: plain, -z --compress zstd with 1 and 2 threads, to standard output"
  sim w "$XDUMP" -q $d "$T/d$d.core" || fail "plain dump"
  sim w "$XDUMP" -q -z $d - | zcat > "$T/d$d.gz.core" || fail "gzip stream"
  sim w "$XDUMP" -q -z --compress zstd --threads 1 $d "$T/d$d.t1.zst" || fail "zstd, 1 thread"
  sim w "$XDUMP" -q --compress zstd --threads 2 $d "$T/d$d.t2.zst" || fail "zstd, 2 threads"
  sim w "$XDUMP" -q -z --compress zstd $d - > "$T/d$d.pipe.zst" || fail "zstd to a pipe"
  for f in t1 t2 pipe; do
    [ "$(head -c 4 "$T/d$d.$f.zst" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] || fail "$f: no zstd magic"
    zstd -q -t "$T/d$d.$f.zst" || fail "$f: zstd -t finds the stream broken"
    zstdcat "$T/d$d.$f.zst" > "$T/d$d.$f.core"
    same_core "$T/d$d.gz.core" "$T/d$d.$f.core"
    same_content "$T/d$d.core" "$T/d$d.$f.core"
  done
  check w $d "$T/d$d.t2.core"
  expect phys.pages_bad 0
done
# the zero pages and the random ones: dom1 (60% zeros) shrinks, dom2 (random) does not grow much
[ "$(stat -c %s "$T/d1.t2.zst")" -lt $(($(stat -c %s "$T/d1.core") / 2)) ] || fail "dom1 does not shrink"
[ "$(stat -c %s "$T/d2.t2.zst")" -lt $(($(stat -c %s "$T/d2.core") * 101 / 100)) ] || fail "dom2 grew"
say "a domain that dies mid-dump: exit 6, no file"
expect_rc 6 sim w "$XDUMP" -q -z --compress zstd 3 "$T/d3.zst"
[ ! -e "$T/d3.zst" ] && [ -z "$(ls -A "$T" | grep '\.xdump-')" ] || fail "left a file"
say "other codecs are the kdump format's"
expect_rc 2 sim w "$XDUMP" --compress lzo 1 "$T/no"
