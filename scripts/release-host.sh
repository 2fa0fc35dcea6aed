#!/usr/bin/env bash
# make release-snapshot-host: the release pipeline for this machine's OS and
# architecture only (CI's check of .goreleaser.yaml): one archive, its SBOM
# and checksums.txt in dist/, nothing signed or published. Then checks that
# the built binary's --version carries the version goreleaser stamped.
set -euo pipefail
cd "$(dirname "$0")/.."

goos="$(go env GOOS)" goarch="$(go env GOARCH)"
mkdir -p bin
cfg=bin/goreleaser-host.yaml
# Same configuration, with the build's target lists narrowed to the host.
sed -e "s/^    goos: \[linux, darwin, windows\]$/    goos: [${goos}]/" \
    -e "s/^    goarch: \[amd64, arm64\]$/    goarch: [${goarch}]/" .goreleaser.yaml >"$cfg"
if cmp -s "$cfg" .goreleaser.yaml || grep -q "goos: \[linux, darwin" "$cfg"; then
  echo "release-host: could not narrow the targets in .goreleaser.yaml (its goos/goarch lines changed?)" >&2
  exit 1
fi

go tool -modfile=tools/go.mod goreleaser release --snapshot --clean --skip=sign,docker --config "$cfg"

version="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' dist/metadata.json | head -1)"
bin="$(find dist -path "dist/launch_${goos}_${goarch}*/launch" -type f | head -1)"
got="$("$bin" --version)"
case "$got" in
  "launch ${version} (commit "*) echo "release-host: ${bin} --version: ${got}" ;;
  *) echo "release-host: ${bin} --version says '${got}', want 'launch ${version} (commit …)'" >&2; exit 1 ;;
esac
