#!/usr/bin/env bash
# Runs launch as the GitHub Action's inputs say (its second step):
#   LAUNCH_COMMAND (deploy, plan, rollback, …), LAUNCH_SPEC, LAUNCH_ARGS
# (extra flags, split on whitespace). LAUNCH_BIN is the binary to run
# (default: launch on PATH). Under GitHub Actions launch itself writes the
# step outputs (task-definition-arn, service-arn, result or changes) to
# $GITHUB_OUTPUT and its summary to $GITHUB_STEP_SUMMARY; its exit code is
# the step's.
set -euo pipefail

command="${LAUNCH_COMMAND:-deploy}"
spec="${LAUNCH_SPEC:-deploy.yaml}"
read -r -a extra <<<"${LAUNCH_ARGS:-}"
echo "launch ${command} ${spec} ${LAUNCH_ARGS:-}" >&2
exec "${LAUNCH_BIN:-launch}" "$command" "$spec" ${extra[@]+"${extra[@]}"}
