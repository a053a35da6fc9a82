# `xdump info` reads a kdump-compressed file too: the format, codec and dump level from its
# header, the pages from its bitmap (as the world has them), the vCPUs from its notes, the
# dump description, the unmappable frames and the guest's VMCOREINFO - the same domain, pages
# and vCPUs as `xdump info` says of the ELF core of the same guest. A file cut short, or with
# a bitmap that cannot hold its pfns, is refused (exit status 11), never read past its end.
. "$(dirname "$0")/lib.sh"
{
  printf 'OSRELEASE=6.1.0-xdump-info\nPAGESIZE=4096\nNUMBER(phys_base)=16777216\n'
  printf 'KERNELOFFSET=1e000000\nCRASHTIME=1764000000\n'
} > "$T/text"
vmcoreinfo_page "$T/text" "$T/note"
world w <<W
domain 1

  type hvm
  memory 24M
  fill zero-percent 40 9
  load $T/note 0x1200
  vcpus 3
  vcpu 2 down
  fault fail 0x300 5 EFAULT
W
sim w "$XDUMP" -q --format kdump --compress lzo 1 "$T/d.kdump" || fail "kdump"
sim w "$XDUMP" -q 1 "$T/d.elf" || fail "elf"
"$XDUMP" info "$T/d.kdump" > "$T/info" || { cat "$T/info"; fail "xdump info on a kdump file"; }
grep -q "^format: *kdump-compressed (makedumpfile's format); .*header version 6, pages lzo, dump level 1, 6176 pfns" "$T/info" ||
  { cat "$T/info"; fail "format line"; }
grep -q 'kernel: *6.1.0-xdump-info (VMCOREINFO), phys_base 0x1000000, KASLR offset 0x1e000000' "$T/info" ||
  { cat "$T/info"; fail "VMCOREINFO"; }
"$XDUMP" info --json "$T/d.kdump" > "$T/k.json"
"$XDUMP" info --json "$T/d.elf" > "$T/e.json"
python3 - "$T/k.json" "$T/e.json" <<'EOF'
import json, sys
k, e = (json.load(open(p)) for p in sys.argv[1:])
assert k["format"] == "kdump" and e["format"] == "xdump", (k["format"], e["format"])
assert k["kdump"] == {"header_version": 6, "codec": "lzo", "dump_level": 1, "max_mapnr": 6176}, k["kdump"]
assert k["pages"] == e["pages"] == 6144, (k["pages"], e["pages"])
for key in ("domain", "vcpus", "unmappable", "kernel"):
    assert k.get(key) == e.get(key), (key, k.get(key), e.get(key))
assert [v["state"] for v in k["vcpus"]] == ["online", "online", "never brought up"], k["vcpus"]
assert k["unmappable"]["runs"][0]["first_pfn"] == 0x300, k["unmappable"]
EOF
say "cut short, or a bitmap too small for its pfns: refused"
head -c 20000 "$T/d.kdump" > "$T/cut"
expect_rc 11 "$XDUMP" info "$T/cut"
grep -q 'truncated' "$T/stderr" || fail "cut: $(cat "$T/stderr")"
cp "$T/d.kdump" "$T/bad"
printf '\xff\xff\xff\x7f' | dd of="$T/bad" bs=1 seek=$((4096 + 96)) conv=notrunc status=none # max_mapnr_64
expect_rc 11 "$XDUMP" info "$T/bad"
grep -q 'cannot hold' "$T/stderr" || fail "bad bitmap: $(cat "$T/stderr")"
