#!/usr/bin/env bash
# Opt-in test of the container image; it takes minutes, so `npm test` does not run it: run it on every change to
# packaging/container. Builds the image with build-offline.sh, loads the oci-archive into a scratch buildah store
# and runs inside it, as the image's own non-root user (chroot isolation, no daemon): pgdr --version, a round trip
# through each WAL codec tool and pgdr demo (embedded PostgreSQL, a file:// bucket, every runbook scenario).
# Usage: bash packaging/container/test-image.sh   (as root, on Debian)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
VERSION=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")
WORK=$(mktemp -d /var/tmp/pgdr-image-test.XXXXXX)
bh() { buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs "$@"; }
cleanup() {
  [ -d "$WORK/storage" ] && bh rm --all >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
failed=0
# check WHAT EXPECTED CMD...: CMD succeeds and, unless EXPECTED is empty, prints exactly EXPECTED.
check() {
  local what=$1 want=$2
  shift 2
  if "$@" >"$WORK/out" 2>&1 && { [ -z "$want" ] || [ "$(cat "$WORK/out")" = "$want" ]; }; then
    echo "ok: $what"
  else
    echo "FAILED: $what${want:+ (want '$want')}"
    tail -40 "$WORK/out"
    failed=1
  fi
}

start=$(date +%s)
bash "$ROOT/packaging/container/build-offline.sh" "$WORK/pgdr-image.oci.tar" >/dev/null
built=$(date +%s)
echo "built in $((built - start)) s: $(du -h "$WORK/pgdr-image.oci.tar" | cut -f1) compressed"

CTR=$(bh from --quiet "oci-archive:$WORK/pgdr-image.oci.tar")
echo "image: $(bh images --format '{{.Name}}:{{.Tag}} {{.Size}}' | head -1) unpacked"
run() { bh run --isolation chroot "$CTR" -- "$@"; }
check 'image config: user and entrypoint' '26:26 [pgdr]' \
  bh inspect --type container --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}}' "$CTR"
check 'processes run as uid 26, not root' 26 run id -u
check 'pgdr --version' "pgdr $VERSION" run pgdr --version
for tool in bzip2 xz zstd lz4; do
  check "$tool round trip" '' run sh -c "head -c 65536 /usr/local/bin/node >/tmp/in && $tool -c </tmp/in | $tool -dc | cmp - /tmp/in"
done
check 'pgdr demo' '' run pgdr demo
tail -15 "$WORK/out"
echo "total $(($(date +%s) - start)) s"
exit "$failed"
