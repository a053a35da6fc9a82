# Bad input: a clear one-line error and a documented exit code.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  type pv
  memory 8M
domain 2
  type pv
  memory 8M
  state dying
W
one_line() { [ "$(wc -l < "$T/stderr")" = 1 ] || { cat "$T/stderr"; fail "not one line"; }; }
expect_rc 2 "$XDUMP"; expect_rc 2 "$XDUMP" 1; expect_rc 2 "$XDUMP" --bogus 1 x
expect_rc 0 "$XDUMP" --help; expect_rc 0 "$XDUMP" --version
say "the command line (getopt_long): each refusal one line naming what it refused"
expect_rc 2 "$XDUMP" -qx 1 x; one_line; grep -q "unknown option '-x'" "$T/stderr" || fail msg
expect_rc 2 "$XDUMP" --live=yes 1 x; one_line; grep -q "'--live=yes'" "$T/stderr" || fail msg
expect_rc 2 "$XDUMP" -z 1 x --threads; one_line; grep -q "from 1 to 64, not ''" "$T/stderr" || fail msg
expect_rc 2 "$XDUMP" -z --threads=65 1 x; one_line; grep -q "not '65'" "$T/stderr" || fail msg
expect_rc 2 "$XDUMP" 1 x y; one_line; grep -q "too many" "$T/stderr" || fail msg
expect_rc 2 "$XDUMP" info; expect_rc 2 "$XDUMP" info a b
expect_rc 2 "$XDUMP" info --bogus a; grep -q "unknown option '--bogus'" "$T/stderr" || fail msg
sim w "$XDUMP" 1 "$T/late.core" --quiet 2>"$T/stderr" || fail "an option after the operands"
[ ! -s "$T/stderr" ] && [ -s "$T/late.core" ] || fail "--quiet after the operands not taken"
say "xdump watch's command line (getopt_long): --opt VALUE and --opt=VALUE; refusals one line, 2"
watch_refused() { # MESSAGE ARGS...
  local msg=$1; shift
  expect_rc 2 "$XDUMP" watch "$@"; one_line
  grep -qF "xdump watch: $msg (see xdump watch --help)" "$T/stderr" || { cat "$T/stderr"; fail "watch $*"; }
}
watch_refused "unknown option '--bogus=1'" --bogus=1
watch_refused "--keep wants a number of cores, not 'x'" --keep=x
watch_refused "--keep wants a number of cores, not 'x'" --keep x
watch_refused "--jobs wants 1 to 64, not '65'" --jobs=65
watch_refused "--dir needs a value" --once --dir
watch_refused "unknown option '--once=yes'" --once=yes
watch_refused "unknown option 'stray'" --once stray
watch_refused "--then restart needs the toolstack: not with --xl none" --then restart --xl=none
expect_rc 0 "$XDUMP" watch --help
say "every option in both forms is taken: without Xen the watch then fails to start (4), creating nothing"
expect_rc 4 "$XDUMP" watch --no-syslog --once --dir="$T/wd" --keep 2 --jobs=2 --min-free 1M \
  --then=preserve --domain web1 --domain=7 --rescan 5 --state="$T/wd/st" --xl xl --config-dir=/etc \
  --json
one_line; [ ! -e "$T/wd" ] || fail "created without Xen"
say "no Xen here (no /dev/xen/privcmd)"
expect_rc 4 "$XDUMP" 1 "$T/x.core"; one_line; grep -q "root in dom0" "$T/stderr" || fail msg
say "no such domain, dom0, a dying domain, a name without xenstore"
expect_rc 3 sim w "$XDUMP" 99 "$T/x.core"; one_line
expect_rc 3 sim w "$XDUMP" 0 "$T/x.core"; one_line; grep -q "control domain" "$T/stderr" || fail msg
expect_rc 3 sim w "$XDUMP" 2 "$T/x.core"; one_line; grep -q dying "$T/stderr" || fail msg
XENSTORED_PATH=$T/nowhere expect_rc 3 sim w "$XDUMP" web1 "$T/x.core"; one_line
grep -q "numeric id" "$T/stderr" || fail "should suggest the numeric id"
say "output: exists, missing directory"
: > "$T/there.core"
expect_rc 5 sim w "$XDUMP" 1 "$T/there.core"; one_line; grep -q -- --force "$T/stderr" || fail msg
[ ! -s "$T/there.core" ] || fail "overwritten"
sim w "$XDUMP" -q --force 1 "$T/there.core" || fail "--force"
expect_rc 5 sim w "$XDUMP" 1 "$T/no/such/dir/x.core"; one_line
[ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused"
say "xdump info on something that is not a core"
echo hello > "$T/notcore"
expect_rc 11 "$XDUMP" info "$T/notcore"; one_line
say "-- ends the options: a domain name that starts with '-', an output named like an option"
XENSTORED_PATH=$T/nowhere expect_rc 3 sim w "$XDUMP" -- -web1 "$T/x.core"; one_line
grep -q "numeric id" "$T/stderr" || { cat "$T/stderr"; fail "-- did not end the options"; }
(cd "$T" && sim w "$XDUMP" -q -- 1 --live) || fail "an output named --live after --"
[ -s "$T/--live" ] || fail "no file named --live"
expect_rc 2 "$XDUMP" -- 1 a b; one_line
say "--threads without -z is refused, not silently ignored"
expect_rc 2 sim w "$XDUMP" --threads 2 1 "$T/t.core"; one_line
grep -q "needs -z" "$T/stderr" || fail msg
[ ! -e "$T/t.core" ] || fail "dumped anyway"
