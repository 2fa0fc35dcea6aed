"""Measures launch against the emulator and prints one table row per scenario.

For fleets of N agents (default 1, 10, 50) and a per-request latency the harness injects
(default 0 and 50 ms, the shape of an AWS round trip from CI), it runs the built binary:
  cold         first deploy: roles, log groups, task definitions, cluster, services, waits
  no-op        the same spec again: nothing to change
  image        every agent's image changed: a new revision and a deployment each, waited on
  cold+quota   a cold deploy with RegisterTaskDefinition throttled as AWS does (token bucket:
               burst 20, 1 per second; FIELD-NOTES, amazon-ecs-deploy-task-definition#502),
               for the largest N and 0 ms only; its quota bound is printed beside it
Columns: wall time, AWS calls (reads/writes, from launch's JSON report), SimulatePrincipalPolicy
calls, dependent levels (the longest chain of requests each received only after the previous
one was answered, from the emulator's request log), and peak RSS of the launch process.

Nothing is asserted: the machine is shared and noisy. Tests assert call counts and levels.
Usage (from scripts/bench-deploy.sh, which starts the emulator): python bench_deploy.py [N...]
Environment: BENCH_LATENCIES="0 50" (ms), BENCH_DEPLOYMENT_SECONDS=1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
LAUNCH = os.path.abspath("bin/launch")
QUOTA_BURST, QUOTA_RATE = 20, 1.0


def control(method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(ENDPOINT + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def levels(reqs: list[dict]) -> int:
    """Longest chain of requests each of which started after the previous one ended."""
    spans = sorted((r["start"], r.get("end", r["start"])) for r in reqs)
    level: list[int] = []
    for i, (start, _) in enumerate(spans):
        level.append(1 + max((level[j] for j in range(i) if spans[j][1] <= start), default=0))
    return max(level, default=0)


def seed() -> dict[str, str]:
    out = subprocess.run([sys.executable, "scripts/demo_seed.py"], check=True, capture_output=True, text=True).stdout
    return dict(kv.split("=", 1) for kv in out.split()[1:])


def write_spec(path: str, n: int, net: dict[str, str], image: str) -> None:
    lines = [
        "cluster: {name: bench, create: true}",
        "taskRole: {name: bench-task}",
        "executionRole: {name: bench-exec}",
        "secrets: {creds: matillion/streaming-agent/credentials}",
        "defaults:",
        f"  image: {image}",
        "  network:",
        f"    subnets: [{net['SUBNET_1']}]",
        f"    securityGroups: [{net['SECURITY_GROUP']}]",
        "  secrets:",
        "    OAUTH_CLIENT_ID: {secret: creds, key: client_id}",
        "agents:",
    ] + [f"  - name: agent-{i:02d}" for i in range(1, n + 1)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run(spec: str) -> dict:
    control("DELETE", "/_harness/requests")
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([LAUNCH, "deploy", spec, "--output", "json"], stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        if status != 0:
            err.seek(0)
            sys.exit(f"launch deploy failed ({status}):\n{err.read().decode()}")
        out.seek(0)
        report = json.load(out)
    reqs = control("GET", "/_harness/requests")
    calls = report["awsCalls"]
    return {
        "wall": wall,
        "reads": calls["totalReads"],
        "writes": calls["totalWrites"],
        "sims": calls["reads"].get("iam:SimulatePrincipalPolicy", 0),
        "levels": levels(reqs),
        "rss": usage.ru_maxrss / 1024,  # KiB on Linux
    }


def row(n: int, latency: int, scenario: str, m: dict, note: str = "") -> None:
    print(
        f"| {n:>3} | {latency:>3} ms | {scenario:<10} | {m['wall']:6.2f} s | {m['reads'] + m['writes']:>5} "
        f"({m['reads']}/{m['writes']}) | {m['sims']:>4} | {m['levels']:>6} | {m['rss']:5.1f} MiB | {note} |",
        flush=True,
    )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1, 10, 50]
    latencies = [int(x) for x in os.environ.get("BENCH_LATENCIES", "0 50").split()]
    deployment_seconds = float(os.environ.get("BENCH_DEPLOYMENT_SECONDS", "1"))
    print(f"deployments take {deployment_seconds:g} s in the emulator; calls are reads/writes\n")
    print("| agents | latency | scenario | wall | calls (r/w) | sims | levels | peak RSS | note |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---|")
    cold_unthrottled: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as d:
        spec = os.path.join(d, "fleet.yaml")
        # Warm-up, not measured: the emulator loads each service's model and
        # backend on its first request, which no real AWS round trip pays.
        control("POST", "/_harness/reset")
        control("POST", "/_harness/ecs", {"deploymentSeconds": 0})
        write_spec(spec, 1, seed(), "example.com/agent:0")
        run(spec)
        for latency in latencies:
            for n in sizes:
                control("POST", "/_harness/reset")
                control("POST", "/_harness/ecs", {"deploymentSeconds": deployment_seconds})
                net = seed()
                control("POST", "/_harness/latency", {"ms": latency})
                write_spec(spec, n, net, "example.com/agent:1")
                m = run(spec)
                if latency == 0:
                    cold_unthrottled[n] = m["wall"]
                row(n, latency, "cold", m)
                row(n, latency, "no-op", run(spec))
                write_spec(spec, n, net, "example.com/agent:2")
                row(n, latency, "image", run(spec))
        n = max(sizes)
        if n > QUOTA_BURST and 0 in latencies:
            control("POST", "/_harness/reset")
            control("POST", "/_harness/ecs", {"deploymentSeconds": deployment_seconds})
            net = seed()
            control("POST", "/_harness/throttle", {"action": "RegisterTaskDefinition", "burst": QUOTA_BURST, "rate": QUOTA_RATE})
            write_spec(spec, n, net, "example.com/agent:1")
            m = run(spec)
            # The last registration cannot start before (n - burst) / rate; what follows it
            # (its service, its deployment) takes what the unthrottled cold run took.
            bound = (n - QUOTA_BURST) / QUOTA_RATE + cold_unthrottled[n]
            throttled = sum(1 for r in control("GET", "/_harness/requests") if r.get("throttled"))
            row(n, 0, "cold+quota", m, f"quota bound {bound:.1f} s, ratio {m['wall'] / bound:.2f}; {throttled} throttled answers")


if __name__ == "__main__":
    main()
