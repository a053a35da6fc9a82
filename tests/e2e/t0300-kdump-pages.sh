# `xdump --format kdump` writes makedumpfile's kdump-compressed file: libkdumpfile (a reader
# no one here wrote, tests/tools/kdumpcheck.py) reads every present page of the guest back
# equal to the world's own memory, with each codec; zero pages share the one zero page at
# -d 1 and are pages at -d 0; holes read as absent; unmappable frames read as zeros and are
# listed; the vCPU notes, the dump description and the guest's VMCOREINFO are in the notes,
# where the sub-header points. A negative control: a flipped byte of a page is seen.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # Debian's, where python3-libkdumpfile is
$PY -c 'import kdumpfile' 2>/dev/null || { echo "SKIP: python3-libkdumpfile is not installed"; exit 77; }
KDC="$PY $(dirname "$0")/../tools/kdumpcheck.py"
# a VMCOREINFO note as Linux keeps it (t0290 has the same): at pfn 0x1200
{
  printf 'OSRELEASE=6.1.0-xdump-kdump\nPAGESIZE=4096\nNUMBER(phys_base)=16777216\n'
  printf 'SYMBOL(init_uts_ns)=ffffffff82a0c000\nCRASHTIME=1764000000\n'
} > "$T/text"
vmcoreinfo_page "$T/text" "$T/note"
seq 1 2000000 > "$T/text4m"; truncate -s $((1024 * 4096)) "$T/text4m" # 1024 pages that compress (the pattern does not)
world w <<W
domain 1
  type hvm
  memory 24M
  fill pattern 5
  load $T/text4m 0x100
  load $T/note 0x1200
  vcpus 3
domain 2
  type pv
  memory 16M
  fill zero-percent 30 3
  fault fail 0x100 3 EFAULT
  vcpus 2
W
# kd DOMID FILE [UNMAPPABLE]: the oracle's report on FILE, in $REPORT
kd() { REPORT=$($KDC "$T/w" "$@") || { printf '%s\n' "$REPORT" >&2; fail "kdumpcheck $2"; }; }
all_pages() {
  expect pages.equal "$1"; expect pages.differ 0; expect pages.unreadable 0
  expect pages.bitmap1 "$1"; expect pages.bitmap2 "$1"; expect holes.readable 0
}
declare -A flag=([none]=0x0 [zlib]=0x1 [lzo]=0x2 [snappy]=0x4 [zstd]=0x20)
for c in none zlib lzo snappy zstd; do
  say "HVM, --compress $c: every page, the notes"
  sim w "$XDUMP" -q --format kdump --compress $c 1 "$T/d1.$c" || fail "dump $c"
  kd 1 "$T/d1.$c"
  all_pages 6144
  expect format diskdump; expect header.signature 'KDUMP   '; expect header.version 6
  expect header.status "${flag[$c]}"; expect header.block_size 4096; expect sub.dump_level 1
  expect header.machine x86_64; expect header.release 6.1.0-xdump-kdump
  expect sub.phys_base 0x1000000 # NUMBER(phys_base) of the guest's VMCOREINFO
  expect sub.max_mapnr 6176      # HVM: 24 MiB around the VGA hole
  expect notes.prstatus 3; expect notes.qemu 3; expect notes.xdump_description 1
  expect notes.vmcoreinfo 1; expect notes.xen 0
  expect sub.vmcoreinfo_starts OSRELEASE=
  # libkdumpfile believes the header and takes the CPUs from the notes, the text from the note
  expect arch x86_64; expect cpus 3; expect vmcoreinfo.osrelease 6.1.0-xdump-kdump
  expect pages.zero_shared "$(val pages.zero)"
  # the pattern's 5119 pages (random bytes) are kept raw, the text's and the note's are
  # compressed - crash refuses a "compressed" page that is not smaller than a page - but
  # lzo1x_1, which does not shrink the text's first page (short numbers), and snappy, which
  # takes a few bytes off a pattern page (the zeros in its 32-byte head) and so keeps none raw
  case $c in
  none) expect pages.raw 6144 ;;
  lzo) expect pages.raw 5120 ;;
  snappy) expect pages.raw 0 ;;
  *) expect pages.raw 5119 ;;
  esac
done
# the pages compressed by 1 and by 5 threads (the default: one per CPU) - each page where the
# reader looks for it, and the same data as the default's file
for n in 1 5; do
  say "HVM, --compress zlib --threads $n: every page"
  sim w "$XDUMP" -q --format kdump --compress zlib --threads $n 1 "$T/d1.t$n" || fail "dump t$n"
  kd 1 "$T/d1.t$n"
  all_pages 6144
  # from the bitmaps on (before them: the time stamps): block 1 + sub_hdr_size (header 432)
  at=$(((1 + $(od -An -tu4 -j 432 -N 4 "$T/d1.zlib")) * 4096))
  cmp -s <(tail -c +$((at + 1)) "$T/d1.t$n") <(tail -c +$((at + 1)) "$T/d1.zlib") ||
    fail "--threads $n: not the default's bitmaps, descriptors and data"
done
# the text compresses: every codec's file is smaller by at least a quarter of its pages
for c in zlib lzo snappy zstd; do
  [ "$(stat -c %s "$T/d1.$c")" -lt $(($(stat -c %s "$T/d1.none") - 256 * 4096)) ] ||
    fail "$c does not compress"
done

say "PV, unmappable frames, zero pages: -d 1 shares one zero page, -d 0 keeps them"
sim w "$XDUMP" -q --format kdump --compress zstd 2 "$T/d2.1" || fail "dump pv"
kd 2 "$T/d2.1" 0x100+3
all_pages 4096
expect notes.unmappable 0x100+3; expect pages.unmappable_zero 3
expect header.release none; expect arch none # no VMCOREINFO: not claimed to be Linux
zero=$(val pages.zero)
[ "$zero" -gt 1000 ] || fail "only $zero zero pages in a 30% world"
expect pages.zero_shared "$zero"
sim w "$XDUMP" -q --format kdump --compress zstd -d 0 2 "$T/d2.0" || fail "dump pv -d 0"
kd 2 "$T/d2.0" 0x100+3
all_pages 4096
expect sub.dump_level 0
expect pages.zero_shared 3 # only the unmappable frames: the zero pages are pages
[ "$(stat -c %s "$T/d2.0")" -gt "$(stat -c %s "$T/d2.1")" ] || fail "-d 0 not larger than -d 1"

say "negative control: one flipped byte of a raw page is seen"
data=$($PY -c '
import struct, sys
h = open(sys.argv[1], "rb").read(8192)
sub, bmb = struct.unpack_from("<iI", h, 432)
print((1 + sub) * 4096 + bmb * 4096 + 24 * 6144)' "$T/d1.none")
cp "$T/d1.none" "$T/flip"
printf '\x5a' | dd of="$T/flip" bs=1 seek=$((data + 4096 + 100)) conv=notrunc status=none
kd 1 "$T/flip"
expect pages.differ 1

say "what is not built is refused, in one line"
expect_rc 2 sim w "$XDUMP" --format kdump -d 32 1 "$T/no"
grep -q '0 to 31' "$T/stderr" && [ "$(wc -l < "$T/stderr")" = 1 ] || fail "-d 32: $(cat "$T/stderr")"
expect_rc 2 sim w "$XDUMP" --format kdump -z 1 "$T/no"
expect_rc 2 sim w "$XDUMP" --format kdump --compress bzip2 1 "$T/no"
expect_rc 2 sim w "$XDUMP" --format kdump --keep-partial 1 "$T/no"
expect_rc 2 sim w "$XDUMP" -d 1 1 "$T/no"
[ ! -e "$T/no" ] || fail "a refused dump left a file"
