#!/usr/bin/env bash
# Checks the Dockerfile's runtime stage without a Docker engine: a minimal Debian bookworm root
# (debootstrap, with just ca-certificates and curl, as in the Dockerfile), the compiled binary in
# /usr/local/bin, a non-root user (uid 10001), then `annopage serve` + the HEALTHCHECK's curl, and the
# whole demo. Needs root and Debian's package mirror; takes about a minute. Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-/tmp/annopage-runtime-root}
[ -x dist/annopage ] || ./node_modules/.bin/bun run build
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
if [ ! -x "$root/usr/bin/curl" ]; then
  debootstrap --variant=minbase --include=ca-certificates,curl bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
chroot "$root" id annopage >/dev/null 2>&1 || chroot "$root" useradd --system --uid 10001 --create-home --home-dir /home/annopage annopage 2>/dev/null
mkdir -p "$root/data" && chroot "$root" chown annopage:annopage /data && chmod 1777 "$root/tmp"
cp dist/annopage "$root/usr/local/bin/annopage"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
cleanup() {
  pkill -f "annopage serve --host 127.0.0.1 --port 9977" || true
  for _ in $(seq 1 50); do pgrep -f "annopage serve --host 127.0.0.1 --port 9977" >/dev/null || break; sleep 0.2; done
  sleep 0.5
  umount "$root/proc" "$root/dev" 2>/dev/null || true
}
trap cleanup EXIT
run() { chroot --userspec=10001:10001 "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/annopage BASE_DIR=/data PRODUCTION=true "$@"; }
run sh -c 'annopage serve --host 127.0.0.1 --port 9977 > /data/serve.log 2>&1 &'
for _ in $(seq 1 60); do run curl -fsS http://127.0.0.1:9977/healthz 2>/dev/null && break; sleep 0.5; done
echo
run sh -c 'cd /home/annopage && annopage demo --output results.zip 2>/dev/null'
