#!/usr/bin/env bash
# Installs the Debian packages the integration tests use, only those missing: barman-cli-cloud (the
# interoperability oracle), PostgreSQL 15 (the second major version, and pgbench), the WAL codec tools and
# Chromium for the dashboard tests, promtool for the alert rules.
# With --bench, also what the benchmarks compare against. Needs root or sudo.
set -euo pipefail

missing=()
command -v barman-cloud-backup >/dev/null 2>&1 || missing+=(barman-cli-cloud)
[ -x /usr/lib/postgresql/15/bin/postgres ] && [ -x /usr/lib/postgresql/15/bin/pgbench ] || missing+=(postgresql-15)
# WAL codecs: pgdr pipes through these CLIs; barman-cloud-wal-archive/-restore need the Python modules for
# --snappy, --zstd and --lz4 (the WAL interop tests use every compression).
for tool in bzip2 xz zstd lz4; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$([ "$tool" = xz ] && echo xz-utils || echo "$tool")")
done
/usr/bin/python3 -c 'import snappy' >/dev/null 2>&1 || missing+=(python3-snappy)
/usr/bin/python3 -c 'import zstandard' >/dev/null 2>&1 || missing+=(python3-zstandard)
/usr/bin/python3 -c 'import lz4.frame' >/dev/null 2>&1 || missing+=(python3-lz4)
# barman-cloud-* --cloud-provider azure-blob-storage (the Azure interop tests on Azurite) needs the Azure SDK.
/usr/bin/python3 -c 'import azure.storage.blob' >/dev/null 2>&1 || missing+=(python3-azure)
# The restore durability test watches pgdr's fsync calls with strace.
command -v strace >/dev/null 2>&1 || missing+=(strace)
# The service files in packaging/systemd are checked with systemd-analyze verify (no running systemd needed).
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# The dashboard tests (`pgdr serve`) load the page in a real headless browser through playwright-core.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Benchmarks only (`bash scripts/setup.sh --bench`): pgBackRest is the other reference bench/backup compares with.
if [ "${1:-}" = "--bench" ]; then
  command -v pgbackrest >/dev/null 2>&1 || missing+=(pgbackrest)
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The alerts of `pgdr k8s manifests monitoring` are checked and unit-tested with promtool. Only the binary is
# taken from Debian's prometheus package: installing the package would start a Prometheus server.
if ! command -v promtool >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  work=$(mktemp -d)
  echo "setup: installing promtool (from Debian's prometheus package)"
  (cd "$work" && apt-get download prometheus >/dev/null 2>&1 || { $sudo apt-get update -qq && apt-get download prometheus >/dev/null; })
  dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
  $sudo install -m 0755 "$work/x/usr/bin/promtool" /usr/local/bin/promtool
  rm -rf "$work"
fi
# Debian's postgresql package may start a cluster on 5432; the tests start their own servers on free ports.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | awk '$4=="online"{print $1, $2}' | while read -r v n; do
    pg_ctlcluster "$v" "$n" stop || true
  done
fi
# When run as root, pgdr and the tests start PostgreSQL as this unprivileged user.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
