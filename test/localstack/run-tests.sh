#!/usr/bin/env bash
# The LocalStack lane: starts LocalStack 4.13.1 with the launch harness plugin (unless
# AWS_ENDPOINT_URL points elsewhere), runs every Go test against it and stops it again.
# A skipped test fails the run, as in scripts/test.sh.
#
#   test/localstack/run-tests.sh                       # own LocalStack on 127.0.0.1:$LOCALSTACK_PORT (4566)
#   AWS_ENDPOINT_URL=http://host:4566 test/localstack/run-tests.sh   # a LocalStack you already run
set -euo pipefail
cd "$(dirname "$0")/../.."

port="${LOCALSTACK_PORT:-4566}"
mk=(make --no-print-directory -f test/localstack/localstack.mk "LOCALSTACK_PORT=${port}")
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:${port}}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export LAUNCH_REQUIRE_EMULATOR=1
export LAUNCH_REQUIRE_HARNESS="${LAUNCH_REQUIRE_HARNESS:-1}"
unset AWS_PROFILE AWS_SESSION_TOKEN

started=""
if [[ "$AWS_ENDPOINT_URL" == "http://127.0.0.1:${port}" ]]; then
  "${mk[@]}" localstack-stop >/dev/null 2>&1 || true
  t0=$(date +%s)
  "${mk[@]}" localstack-start
  echo "localstack: ready in $(( $(date +%s) - t0 ))s"
  started=1
fi
cleanup() { [[ -n "$started" ]] && "${mk[@]}" localstack-stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

mkdir -p test/localstack/.run
log=test/localstack/.run/go-test.log
status=0
t0=$(date +%s)
# -p 1: integration packages share one LocalStack and reset it between tests.
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

passed=$(grep -cE -- '^\s*--- PASS' "$log" || true)
failed=$(grep -cE -- '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE -- '^\s*--- SKIP' "$log" || true)
echo "go (LocalStack lane, ${AWS_ENDPOINT_URL}): ${passed} passed, ${failed} failed, ${skipped} skipped in $(( $(date +%s) - t0 ))s"
exit $status
