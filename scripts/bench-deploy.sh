#!/usr/bin/env bash
# Builds launch, starts the emulator and runs scripts/bench_deploy.py: wall time, AWS calls,
# permission simulations, dependent levels and peak RSS of cold, no-op and image-change deploys
# for fleets of N agents (default 1 10 50) at 0 and 50 ms of injected latency per request, plus
# a cold deploy under RegisterTaskDefinition's AWS quota. Prints figures; asserts nothing.
# Usage: scripts/bench-deploy.sh [N...]   (BENCH_LATENCIES="0 50" BENCH_DEPLOYMENT_SECONDS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
port="${EMULATOR_PORT:-4566}"
export AWS_ENDPOINT_URL="http://127.0.0.1:${port}" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-1
make --no-print-directory build emulator-start >/dev/null
trap 'make --no-print-directory emulator-stop >/dev/null 2>&1 || true' EXIT
test/emulator/.venv/bin/python scripts/bench_deploy.py "$@"
