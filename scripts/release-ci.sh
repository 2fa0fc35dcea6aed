#!/usr/bin/env bash
# The release part of `make test` (issue 13), run after the Go tests while
# their emulator still serves AWS_ENDPOINT_URL:
#   1. make release-check: goreleaser validates .goreleaser.yaml;
#   2. make release-snapshot-host: the release pipeline for this machine's
#      OS/arch (archive, SBOM, checksums.txt) and the built binary's --version;
#   3. test/release against that real archive (LAUNCH_RELEASE_DIST): the
#      action's install script verifies its checksum, deploys deploy.yaml and
#      writes the step outputs.
# scripts/test.sh builds the release tools in the background while the Go
# tests run (a cold build of goreleaser takes minutes) and waits for that
# build before calling this.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== release: make release-check"
make --no-print-directory release-check
echo "== release: make release-snapshot-host"
make --no-print-directory release-snapshot-host
echo "== release: the action's scripts against dist/ and the emulator"
mkdir -p test/emulator/.run
log=test/emulator/.run/release-test.log
status=0
LAUNCH_RELEASE_DIST="$PWD/dist" go test -count=1 -v ./test/release/ >"$log" 2>&1 || status=$?
grep -E '^(--- |FAIL|ok|PASS|panic|\s+\S+_test\.go:)' "$log" || true
if grep -qE -- '--- SKIP' "$log"; then
  echo "FAIL: release tests skipped; every test must run in CI" >&2
  status=1
fi
exit $status
