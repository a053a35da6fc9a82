# The writing guest (`xensim write`) and its checker (tests/tools/seqcheck), judged with Xen's
# own dumper (xc_domain_dumpcore, which never pauses) before xdump meets them: a core taken
# while the domain is paused holds one moment of the sequence; one taken while it writes at
# 100 MiB/s does not - so the checker can say no. Then xdump: paused, consistent; --live, not.
. "$(dirname "$0")/lib.sh"
SEQ=$BUILD/tests/seqcheck
world w <<'W'
domain 5
  type hvm
  memory 128M
domain 6
  type pv
  memory 64M
W
for d in 5 6; do
  rm -f "$T/writer.ready" "$T/w/writer.ready"
  "$XSIM" write "$T/w" $d 0x1000 8192 100 & BG_PIDS+=($!)
  for _ in $(seq 100); do [ -e "$T/w/writer.ready" ] && break; sleep 0.1; done
  [ -e "$T/w/writer.ready" ] || fail "the writer did not start"
  say "dom$d: Xen's dumper while the guest writes: inconsistent"
  sim w "$XCDUMP" $d "$T/x$d-live.core" || fail "dumpcore"
  expect_rc 1 "$SEQ" "$T/x$d-live.core"
  say "dom$d: Xen's dumper while the domain is paused: consistent"
  "$XSIM" set "$T/w" $d pause_count=1
  sleep 0.05
  sim w "$XCDUMP" $d "$T/x$d-paused.core" || fail "dumpcore"
  out=$("$SEQ" "$T/x$d-paused.core") || fail "paused core: $out"
  "$XSIM" set "$T/w" $d pause_count=0
  say "dom$d: xdump: paused consistent, --live not"
  sim w "$XDUMP" $d "$T/d$d.core" 2> /dev/null || fail "xdump"
  out=$("$SEQ" "$T/d$d.core") || fail "xdump's paused core: $out"
  sim w "$XDUMP" --live $d "$T/d$d-live.core" 2> /dev/null || fail "xdump --live"
  expect_rc 1 "$SEQ" "$T/d$d-live.core"
  [ "$(simstat w $d pause_count)" = 0 ] || fail "left paused"
  kill "${BG_PIDS[-1]}"; wait "${BG_PIDS[-1]}" 2> /dev/null || true
  [ "$(simstat w $d writer_pages)" -gt 8192 ] || fail "the writer wrote nothing after its first pass"
done
say "a flipped sequence page is caught (negative control of the checker)"
cp "$T/d5.core" "$T/flip.core"
off=$(grep -abo XSIMSEQ1 "$T/flip.core" | head -n 1 | cut -d: -f1)
printf '\x01' | dd of="$T/flip.core" bs=1 seek=$((off + 4096 * 3 + 100)) conv=notrunc status=none
expect_rc 1 "$SEQ" "$T/flip.core"
echo ok
