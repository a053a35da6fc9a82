# xdump's kdump file against makedumpfile 1.7.2, the format's own writer: on xdump's ELF core
# of the same guest (physical PT_LOADs only), `makedumpfile -d 1 -c` (zlib) and `-l` (lzo)
# write the same file as `xdump --format kdump -d 1 --compress zlib|lzo`, byte for byte, but
# for the header's timestamp, utsname.machine (makedumpfile leaves it empty; crash and
# libkdumpfile read it) and the start time in xdump's dump description. And the flattened form
# xdump writes to a pipe: `makedumpfile -R` rebuilds from it the file xdump writes directly.
# (makedumpfile does not read a kdump file as input: 1.7.2 crashes on its own, so these are
# the checks it can make; libkdumpfile reads the pages in t0300.)
. "$(dirname "$0")/lib.sh"
command -v makedumpfile > /dev/null || { echo "SKIP: makedumpfile is not installed"; exit 77; }
seq 1 2000000 > "$T/text"
truncate -s $((1024 * 4096)) "$T/text"
world w <<W
domain 1
  type hvm
  memory 24M
  fill zero-percent 40 9
  load $T/text 0x100
  vcpus 2
domain 2
  type pv
  memory 16M
  fill zero-percent 30 3
  vcpus 2
W
# blank FILE: a copy (FILE.b) without the bytes that may differ: utsname.machine, the
# timestamp, the dump description's start time (where the notes say it is)
blank() {
  python3 - "$1" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
b[12 + 4 * 65 : 12 + 5 * 65] = bytes(65)  # utsname.machine
b[408:424] = bytes(16)                     # timestamp
off, size = struct.unpack_from("<QQ", b, 4096 + 48)
at = off
while at + 12 <= off + size:
    namesz, descsz, ntype = struct.unpack_from("<III", b, at)
    d = at + 12 + (namesz + 3) // 4 * 4
    if b[at + 12 : at + 12 + namesz] == b"XDUMP\0" and ntype == 0x58440002:
        b[d + 128 : d + 136] = bytes(8)     # started
    at = d + (descsz + 3) // 4 * 4
open(sys.argv[1] + ".b", "wb").write(b)
EOF
}
sim w "$XDUMP" -q --no-virtual 1 "$T/d1.elf" || fail "ELF dump"
for c in zlib:-c lzo:-l; do
  codec=${c%%:*} opt=${c#*:}
  say "HVM: makedumpfile -d 1 $opt on xdump's ELF, xdump --format kdump --compress $codec"
  makedumpfile -d 1 $opt "$T/d1.elf" "$T/m.$codec" > "$T/mdf.out" 2>&1 || { cat "$T/mdf.out"; fail "makedumpfile $opt"; }
  sim w "$XDUMP" -q --format kdump --compress $codec 1 "$T/x.$codec" || fail "kdump $codec"
  blank "$T/m.$codec"; blank "$T/x.$codec"
  cmp "$T/m.$codec.b" "$T/x.$codec.b" || fail "$codec: xdump's kdump file is not makedumpfile's"
  # not by accident: the files hold the zero pages shared and the text compressed
  [ "$(stat -c %s "$T/x.$codec")" -lt $((6144 * 4096 * 3 / 4)) ] || fail "$codec: not smaller"
done
cp "$T/x.zlib.b" "$T/flip"
printf '\x01' | dd of="$T/flip" bs=1 seek=$(($(stat -c %s "$T/flip") - 10)) conv=notrunc status=none
! cmp -s "$T/m.zlib.b" "$T/flip" || fail "negative control: a flipped byte is not seen"

for d in 1 2; do
  say "dom$d: the flattened form to a pipe, makedumpfile -R, the file written directly"
  sim w "$XDUMP" -q --format kdump --compress zstd $d - > "$T/flat$d" || fail "flattened $d"
  sim w "$XDUMP" -q --format kdump --compress zstd $d "$T/file$d" || fail "file $d"
  head -c 12 "$T/flat$d" | grep -q makedumpfile || fail "no flattened header"
  makedumpfile -R "$T/re$d" < "$T/flat$d" > "$T/mdf.out" 2>&1 || { cat "$T/mdf.out"; fail "makedumpfile -R"; }
  blank "$T/re$d"; blank "$T/file$d"
  cmp "$T/re$d.b" "$T/file$d.b" || fail "dom$d: makedumpfile -R of the stream is not the file"
done
# the stream ends with the end record {-1, -1}, which -R needs (a stream cut before it is no
# file: -R then waits for more input, 10 minutes in 1.7.2's read_buf_from_stdin())
[ "$(tail -c 16 "$T/flat1" | od -An -tx1 | tr -d ' \n')" = "$(printf 'ff%.0s' $(seq 16))" ] ||
  fail "the stream does not end with the end record"
