# While it copies, xdump finds the guest kernel's own VMCOREINFO note (as Linux keeps it: an
# ELF note at the start of page-aligned, contiguous pages) and carries it in the core - where
# crash, drgn and makedumpfile look for it. Decoys with bad text are ignored.
. "$(dirname "$0")/lib.sh"
# the text: 4073..4096 bytes, so that it runs from the first page of the note into the next
{
  printf 'OSRELEASE=6.1.0-xdump-test\nPAGESIZE=4096\nNUMBER(phys_base)=16777216\nKERNELOFFSET=1e000000\n'
  i=0; while [ $i -lt 107 ]; do printf 'SYMBOL(filler_%04d)=ffffffff8%07x\n' $i $i; i=$((i+1)); done
  printf 'CRASHTIME=1764000000\nEND=1\n'
} > "$T/text"
len=$(stat -c %s "$T/text")
[ "$len" -gt 4072 ] && [ "$len" -le 4096 ] || fail "test text of $len bytes"
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24)))"; }
note() { le32 11; le32 "$1"; le32 0; printf 'VMCOREINFO\0\0'; }
{ note 20; printf 'OSRELEASE=\001\002bad\377xx'; } > "$T/decoy"
{ note "$len"; cat "$T/text"; } > "$T/note"
truncate -s 4096 "$T/decoy"; truncate -s 8192 "$T/note"
world w <<W
domain 1
  type hvm
  memory 32M
  load $T/decoy 0x1200
  load $T/note 0x1a00
domain 2
  type pv
  memory 16M
W
sim w "$XDUMP" 1 "$T/d1.core" 2> "$T/err" || { cat "$T/err"; fail xdump; }
"$XDUMP" info "$T/d1.core" > "$T/info"
grep -q 'kernel: *6.1.0-xdump-test (VMCOREINFO), phys_base 0x1000000, KASLR offset 0x1e000000' \
  "$T/info" || { cat "$T/info"; fail "OSRELEASE, phys_base, KASLR offset"; }
readelf -nW "$T/d1.core" > "$T/notes"
grep -q '^ *VMCOREINFO' "$T/notes" || fail "no VMCOREINFO note"
# the note holds the whole text, the part from the second page included
cmp <("$CORECHECK" "$T/w" 1 "$T/d1.core" | sed -n 's/^vmcoreinfo.text=//p' | base64 -d) "$T/text" \
  || fail "the note's text differs from the guest's"
say "no note in guest memory, no VMCOREINFO in the core"
sim w "$XDUMP" 2 "$T/d2.core" 2>/dev/null || fail xdump2
readelf -nW "$T/d2.core" > "$T/notes2"
! grep -q '^ *VMCOREINFO' "$T/notes2" || fail "a VMCOREINFO from nowhere"
check w 1 "$T/d1.core"; expect phys.pages_ok 8192
