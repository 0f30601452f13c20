#!/usr/bin/env bash
# Builds the scimharness container image (ci/image/Dockerfile) from a
# static binary built here, and smoke-tests it: `version`, `conform`
# against the in-process reference server, and `simulate` against a
# `scimharness serve` on this machine's loopback (the container shares the
# host's network), with the JUnit and HTML reports written to a mounted
# directory. No registry is needed, to build or to test.
#
# Usage: ci/image.sh [IMAGE]   (default scimharness:local)
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-scimharness:local}

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "image: $*" >&2; exit 1; }

echo "== building the static binary"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/ctx/scimharness" ./cmd/scimharness
ca=""
for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
  [ -f "$f" ] && { ca=$f; break; }
done
[ -n "$ca" ] || fail "no CA bundle on this machine to put in the image"
cp "$ca" "$work/ctx/ca-certificates.crt"
cp ci/image/Dockerfile "$work/ctx/Dockerfile"

echo "== docker build $image"
docker build -q -t "$image" "$work/ctx" >/dev/null

echo "== smoke test: version"
docker run --rm "$image" version | grep -q '^scimharness ' || fail "version printed nothing"

echo "== smoke test: conform against the in-process reference server"
docker run --rm "$image" conform --only discovery/ >"$work/conform.out" || { cat "$work/conform.out" >&2; fail "conform failed in the image"; }

echo "== smoke test: simulate against a server on the host's loopback, reports to a mounted directory"
"$work/ctx/scimharness" serve --addr 127.0.0.1:0 --token image-token 2>"$work/serve.log" &
pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/.*url=\(http:[^ ]*\/scim\/v2\).*/\1/p' "$work/serve.log" | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log" >&2; fail "the server did not start"; }
mkdir -p "$work/reports" && chmod 777 "$work/reports"
docker run --rm --network host -e SCIM_TOKEN=image-token -v "$work/reports:/reports" "$image" \
  simulate --idp okta --url "$url" --report-dir /reports/okta >"$work/simulate.out" || { cat "$work/simulate.out" >&2; fail "simulate failed in the image"; }
for f in junit.xml report.html report.json; do
  [ -s "$work/reports/okta/$f" ] || fail "the image wrote no $f"
done
echo "image: $image built and smoke-tested ($(du -h "$work/ctx/scimharness" | cut -f1) binary)"
