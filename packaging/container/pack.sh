#!/bin/sh
# Packs this checkout as npm publishes it (`npm pack`, dist/ built first) into OUTDIR and prints the tarball's
# path. Both image builds (Containerfile, build-offline.sh) install pgdr from this tarball.
# Usage: sh packaging/container/pack.sh OUTDIR
set -eu
out=${1:?usage: pack.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
cd "$(dirname "$0")/../.."
[ -d node_modules ] || npm ci --no-audit --no-fund >&2
# A prepack script builds what the package needs; without one, build here so dist/ is in the tarball.
if ! node -e 'process.exit(require("./package.json").scripts?.prepack ? 0 : 1)'; then npm run build >&2; fi
npm pack --json --pack-destination "$out" | node -e '
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(`${process.argv[1]}/${JSON.parse(s)[0].filename}`));
' "$out"
