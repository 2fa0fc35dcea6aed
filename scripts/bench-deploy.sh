#!/usr/bin/env bash
# Measures launch against the emulator: wall time, peak memory (max RSS) and
# AWS calls of a cold deploy, a no-op redeploy and a plan, for a fleet of N
# agents (default 1 and 10). Prints figures; asserts nothing (the machine is
# shared and noisy). Usage: scripts/bench-deploy.sh [N...]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1 10}")
port="${EMULATOR_PORT:-4566}"
export AWS_ENDPOINT_URL="http://127.0.0.1:${port}" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-1
make --no-print-directory build emulator-start >/dev/null
trap 'make --no-print-directory emulator-stop >/dev/null 2>&1 || true' EXIT
py=test/emulator/.venv/bin/python
dir=$(mktemp -d)

measure() { # label, then the command; prints seconds, max RSS and calls
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$dir/time" "$@" --output json >"$dir/out.json" 2>"$dir/err" || { cat "$dir/err"; exit 1; }
  read -r secs rss <"$dir/time"
  calls=$($py -c 'import json,sys; c=json.load(open(sys.argv[1]))["awsCalls"]; print("%d reads, %d writes" % (c["totalReads"], c["totalWrites"]))' "$dir/out.json")
  printf '%-28s %6ss  %7s KiB max RSS  %s\n' "$label" "$secs" "$rss" "$calls"
}

for n in ${sizes[*]}; do
  curl -fsS -X POST "$AWS_ENDPOINT_URL/_harness/reset" >/dev/null
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{"deploymentSeconds": 1}' "$AWS_ENDPOINT_URL/_harness/ecs" >/dev/null
  eval "$($py scripts/demo_seed.py)"
  {
    printf 'cluster: {name: bench, create: true}\ntaskRole: {name: bench-task}\nexecutionRole: {name: bench-exec}\n'
    printf 'secrets: {creds: matillion/streaming-agent/credentials}\n'
    printf 'defaults:\n  image: example.com/agent:1\n  network:\n    subnets:\n      - %s\n    securityGroups:\n      - %s\n' "$SUBNET_1" "$SECURITY_GROUP"
    printf '  secrets:\n    OAUTH_CLIENT_ID: {secret: creds, key: client_id}\nagents:\n'
    for i in $(seq 1 "$n"); do printf '  - name: agent-%02d\n' "$i"; done
  } >"$dir/fleet.yaml"
  echo "== $n agent(s)"
  measure "deploy (cold)" bin/launch deploy "$dir/fleet.yaml" --poll-interval 500ms
  measure "deploy (nothing changed)" bin/launch deploy "$dir/fleet.yaml" --poll-interval 500ms
  /usr/bin/time -f '%e %M' -o "$dir/time" bin/launch plan "$dir/fleet.yaml" >/dev/null 2>&1
  read -r secs rss <"$dir/time"
  printf '%-28s %6ss  %7s KiB max RSS\n' "plan" "$secs" "$rss"
done
