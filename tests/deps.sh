#!/usr/bin/env bash
# Install the Debian 12 packages given as arguments when they are missing.
# As root: apt-get installs them. Otherwise: print the exact command and fail.
set -euo pipefail
missing=()
for p in "$@"; do
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ $st == ii* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "xdump: missing Debian packages; as root run: $cmd" >&2
  exit 1
fi
echo "xdump: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh once, then install.
apt-get update -qq >&2 || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
