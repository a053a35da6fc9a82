# Names are looked up in xenstore, as xl does: through Debian's libxenstore, talking to
# xensim's stand-in xenstored (tests/xensim/xenstored.c) over XENSTORED_PATH.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 3
  name web1
  type pv
  memory 8M
domain 7
  name db-primary
  type hvm
  memory 8M
W
xenstored_start w

say "a dump by name: the right domain, every page"
sim w "$XDUMP" -q web1 "$T/web1.core" || fail "xdump web1"
check w 3 "$T/web1.core"; expect phys.pages_ok 2048; expect phys.pages_bad 0
sim w "$XDUMP" -q db-primary "$T/db.core" || fail "xdump db-primary"
check w 7 "$T/db.core"; expect phys.pages_ok 2048; expect phys.pages_bad 0
"$XDUMP" info "$T/db.core" | grep -q "db-primary" || fail "info should name db-primary"

say "a numeric id reads the name for the core (best effort)"
sim w "$XDUMP" -q 3 "$T/by-id.core" || fail "xdump 3"
"$XDUMP" info "$T/by-id.core" | grep -q "web1" || fail "info should name web1"

say "an unknown name: no such domain (3); the name of dom0 is refused too"
expect_rc 3 sim w "$XDUMP" -q nosuch "$T/x.core"
grep -q "no domain named 'nosuch'" "$T/stderr" || fail "message: $(cat "$T/stderr")"
expect_rc 3 sim w "$XDUMP" -q Domain-0 "$T/x.core"

say "a domain that is gone is gone from xenstore too"
"$XSIM" set "$T/w" 7 state=gone
expect_rc 3 sim w "$XDUMP" -q db-primary "$T/x.core"

say "no xenstored: a name cannot be looked up, an id still dumps"
xenstored_stop
expect_rc 3 sim w "$XDUMP" -q web1 "$T/x.core"
grep -q "xenstore is not reachable" "$T/stderr" || fail "message: $(cat "$T/stderr")"
sim w "$XDUMP" -q 3 "$T/no-xs.core" || fail "xdump 3 without xenstore"
[ ! -e "$T/x.core" ] || fail "a core was left"
