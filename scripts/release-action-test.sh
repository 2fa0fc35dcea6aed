#!/usr/bin/env bash
# make release-action-test: the GitHub Action's install and run scripts
# (test/release) against the host release in dist/ (make
# release-snapshot-host) and a fresh emulator on EMULATOR_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${EMULATOR_PORT:-4566}"
export AWS_ENDPOINT_URL="http://127.0.0.1:${port}" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export LAUNCH_REQUIRE_EMULATOR=1 LAUNCH_REQUIRE_HARNESS=1 LAUNCH_RELEASE_DIST="$PWD/dist"
unset AWS_PROFILE AWS_SESSION_TOKEN

make --no-print-directory emulator-stop >/dev/null 2>&1 || true
make --no-print-directory emulator-start
trap 'make --no-print-directory emulator-stop >/dev/null 2>&1 || true' EXIT
mkdir -p test/emulator/.run
log=test/emulator/.run/release-test.log
status=0
go test -count=1 -v ./test/release/ >"$log" 2>&1 || status=$?
grep -E '^(--- |FAIL|ok|PASS|panic|\s+\S+_test\.go:)' "$log" || true
exit $status
