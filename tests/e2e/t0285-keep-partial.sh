# A core is complete or visibly not: with --keep-partial, a dump that fails (the domain dies)
# keeps what it had under the final name, with a note that marks it incomplete and says where
# it stopped - which `xdump info` reports loudly. Without it, nothing is left.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 4
  type pv
  memory 16M
  fault die-after 2500
domain 5
  type pv
  memory 16M
  fault die-after 2500
W
expect_rc 6 sim w "$XDUMP" 4 "$T/none.core"
[ ! -e "$T/none.core" ] || fail "a core was left without --keep-partial"
expect_rc 6 sim w "$XDUMP" --keep-partial 5 "$T/part.core"
grep -q "INCOMPLETE core is kept as $T/part.core ([0-9]* of 4096 pages)" "$T/stderr" || { cat "$T/stderr"; fail msg; }
n=$(sed -n 's/.*(\([0-9]*\) of 4096 pages).*/\1/p' "$T/stderr")
[ "$n" -gt 0 ] && [ "$n" -lt 4096 ] || fail "stopped after $n pages?"

"$XDUMP" info "$T/part.core" > "$T/info"
head -1 "$T/info" | grep -q '^\*\*\* INCOMPLETE CORE' || { cat "$T/info"; fail "not loud"; }
grep -q "stopped after $n pages, at pfn $(printf %#x "$n"): domain 5 died" "$T/info" || { cat "$T/info"; fail where; }
grep -q '^complete: *NO' "$T/info" || { cat "$T/info"; fail 'complete: NO'; }
"$XDUMP" info --json "$T/part.core" | grep -q '"complete":false' || fail json
check w 5 "$T/part.core"
# the pages it copied are right; the rest are zeros (holes)
[ "$(val phys.pages_ok)" -ge $((n - 1024)) ] && [ "$(val phys.pages_ok)" -lt 4096 ] || fail "pages_ok $(val phys.pages_ok)"
