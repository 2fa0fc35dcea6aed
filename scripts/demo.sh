#!/usr/bin/env bash
# make demo: a real `launch deploy.yaml` against the local emulator.
# Starts the emulator, creates what an AWS account already has (network,
# the agent's secret), deploys, deploys again (nothing to do), then stops
# the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${EMULATOR_PORT:-4566}"
export AWS_ENDPOINT_URL="http://127.0.0.1:${port}"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-1
unset AWS_PROFILE AWS_SESSION_TOKEN

make --no-print-directory emulator-start
trap 'make --no-print-directory emulator-stop >/dev/null 2>&1 || true' EXIT
curl -fsS -X POST "${AWS_ENDPOINT_URL}/_harness/reset" >/dev/null
curl -fsS -X POST -H 'Content-Type: application/json' -d '{"deploymentSeconds": 3}' "${AWS_ENDPOINT_URL}/_harness/ecs" >/dev/null

echo "== creating what the account already has: a VPC, two subnets, a security group, the agent's secret"
eval "$(test/emulator/.venv/bin/python scripts/demo_seed.py)"
echo "   SUBNET_1=$SUBNET_1 SUBNET_2=$SUBNET_2 SECURITY_GROUP=$SECURITY_GROUP"

export AGENT_IMAGE="public.ecr.aws/matillion/streaming-agent:demo"
export MATILLION_ACCOUNT_ID=12345 MATILLION_AGENT_ID=demo-agent-0001

echo
echo "== launch validate deploy.yaml"
bin/launch validate deploy.yaml

echo
echo "== launch deploy.yaml --output json   (progress on stderr, the report on stdout)"
bin/launch deploy.yaml --output json > bin/demo-report.json
echo "   report written to bin/demo-report.json; its resources:"
test/emulator/.venv/bin/python - <<'PY'
import json
r = json.load(open("bin/demo-report.json"))
for role in r["roles"]:
    print(f"   role {role['name']}: {role['action']} ({role['arn']})")
for a in r["agents"]:
    td, svc = a["taskDefinition"], a["service"]
    print(f"   task definition {td['family']}:{td['revision']}: {td['action']}")
    print(f"   service {svc['name']}: {svc['action']}, deployment {svc['deploymentId']} {svc['rolloutState']} ({svc['runningCount']}/{svc['desiredCount']} running)")
print(f"   AWS calls: {r['awsCalls']['totalReads']} reads, {r['awsCalls']['totalWrites']} writes")
PY

echo
echo "== launch deploy.yaml again: nothing changed, so no write and no new revision"
bin/launch deploy.yaml

echo
echo "demo finished: the emulator is stopped on exit."
