# A core written to a pipe holds what one written to a file holds (holes read as zeros).
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  type pv
  memory 24M
  fill zero-percent 40 9
  fault fail 0x100 3 EFAULT
  vcpus 2
W
sim w "$XDUMP" 1 "$T/file.core" || fail file
sim w "$XDUMP" -q 1 - | cat > "$T/pipe.core" || fail pipe
# The file keeps its notes before the pages (crash reads them only there), the pipe after them
# (a stream cannot go back): the same notes, sections and segments, each in its place.
same_content "$T/file.core" "$T/pipe.core"
[ "$(readelf -lW "$T/file.core" | awk '$1 == "NOTE" {print $2}')" \< \
  "$(readelf -lW "$T/file.core" | awk '$1 == "LOAD" {print $2; exit}')" ] || fail "file: notes not before the pages"
# zero pages are holes in the file: it takes less disk than its size
[ $(( $(du -k "$T/file.core" | cut -f1) * 1024 )) -lt $(stat -c %s "$T/file.core") ] || fail "no holes"
check w 1 "$T/pipe.core"; expect phys.pages_ok $((6144 - 3)); expect unmappable.runs 1
