# The disk fails under the dump: EIO and ENOSPC while writing, a read-only directory. Each is
# a clear one-line error and exit 7 (5 for the directory), the guest is unpaused, and no file
# is left that looks like a core.
. "$(dirname "$0")/lib.sh"
IOFAULT=$BUILD/tests/iofault.so
world w <<'W'
domain 1
  type pv
  memory 16M
W
mkdir "$T/out"
for e in EIO ENOSPC; do
  say "$e after 5 MiB written"
  LD_PRELOAD=$IOFAULT IOFAULT_MATCH=xdump- IOFAULT_AFTER=$((5 << 20)) IOFAULT_ERRNO=$e \
    expect_rc 7 sim w "$XDUMP" 1 "$T/out/d.core"
  [ "$(wc -l < "$T/stderr")" = 1 ] || { cat "$T/stderr"; fail "one line"; }
  case $e in
  EIO) grep -q "writing $T/out/d.core: Input/output error" "$T/stderr" || { cat "$T/stderr"; fail msg; } ;;
  ENOSPC) grep -q "No space left on device" "$T/stderr" || { cat "$T/stderr"; fail msg; } ;;
  esac
  [ -z "$(ls -A "$T/out")" ] || { ls -la "$T/out"; fail "a file was left"; }
  [ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused"
done
say "--format kdump: EIO after 5 MiB, met by the kdump writer's thread"
LD_PRELOAD=$IOFAULT IOFAULT_MATCH=xdump- IOFAULT_AFTER=$((5 << 20)) IOFAULT_ERRNO=EIO \
  expect_rc 7 sim w "$XDUMP" --format kdump -d 0 --compress none 1 "$T/out/d.kdump"
[ "$(wc -l < "$T/stderr")" = 1 ] || { cat "$T/stderr"; fail "one line"; }
grep -q "writing $T/out/d.kdump: Input/output error" "$T/stderr" || { cat "$T/stderr"; fail msg; }
[ -z "$(ls -A "$T/out")" ] || { ls -la "$T/out"; fail "a file was left"; }
[ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused"
say "a full disk for real: a small tmpfs (needs a mount namespace)"
if unshare -m true 2>/dev/null; then
  expect_rc 7 unshare -m sh -c "mount -t tmpfs -o size=4m none '$T/out' && \
    '$XSIM' run '$T/w' -- '$XDUMP' 1 '$T/out/d.core'"
  grep -q "No space left on device" "$T/stderr" || { cat "$T/stderr"; fail msg; }
  say "a read-only directory"
  expect_rc 5 unshare -m sh -c "mount -t tmpfs -o ro none '$T/out' && \
    '$XSIM' run '$T/w' -- '$XDUMP' 1 '$T/out/d.core'"
  grep -q "Read-only file system" "$T/stderr" || { cat "$T/stderr"; fail msg; }
  [ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused"
else
  echo "(no mount namespace here: the injected ENOSPC above stands for the full disk)"
fi
say "the reader of a pipe goes away: exit 7, unpaused"
set +e; sim w "$XDUMP" 1 - 2> "$T/pipe.err" | head -c 100000 > /dev/null; rc=${PIPESTATUS[0]}; set -e
[ "$rc" = 7 ] || { cat "$T/pipe.err"; fail "closed pipe: exit $rc"; }
grep -q "broken pipe" "$T/pipe.err" || { cat "$T/pipe.err"; fail msg; }
[ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused"
