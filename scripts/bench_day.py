#!/usr/bin/env python3
"""Times one generated "day" scenario with the release binary: wall time and peak RSS.

Usage: bench_day.py ECSIM_BINARY INSTANCES SERVICES TASKS_PER_SERVICE [HOURS] [--placement MODE]
                    [--timeout SECONDS]

The scenario is the shape of ecsim_testkit::bench::day_scenario_yaml (keep the two in step):
m5.xlarge instances over three AZs, REPLICA services (default AZ balance) of 128 CPU / 512 MiB
tasks placed with spread(attribute:ecs.availability-zone) then binpack(memory), a rolling deployment of a tenth of the services spread over the day, and a scale-out to
1.5x and back of every tenth service. The issue's target is 10000 1000 200 24: under 5 s and
1 GiB. Runs `ecsim run --json` (plus `--placement MODE` if given) under a wall-clock timeout and
reads the peak RSS of the child from getrusage. Prints one line.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


STRATEGY = ("[{type: spread, field: \"attribute:ecs.availability-zone\"}, "
            "{type: binpack, field: memory}]")


def day_yaml(instances, services, per_service, hours):
    y = [f"name: bench-day\nseed: 1\nuntil: {hours}h",
         "timing: {pending: 5s..30s, healthy: 40s, stopping: 2s..10s}",
         f"containerInstances:\n  - count: {instances}\n    instanceType: m5.xlarge\n"
         "    availabilityZones: [us-east-1a, us-east-1b, us-east-1c]",
         "taskDefinitions:"]
    for rev in (1, 2):
        y.append(f"  - family: app\n    containerDefinitions: "
                 f"[{{name: app, image: \"app:{rev}\", cpu: 128, memory: 512}}]")
    y.append("services:")
    for s in range(services):
        y.append(f"  - {{serviceName: s{s}, taskDefinition: \"app:1\", desiredCount: {per_service}, "
                 f"placementStrategy: {STRATEGY}}}")
    y.append("timeline:")
    minutes = hours * 60
    span = max(minutes - 60, 1)
    deployments = max(services // 10, 1)
    for d in range(min(deployments, services)):
        at = 30 + span * d // deployments
        y.append(f"  - at: {at}m\n    update_service: {{service: s{d}, taskDefinition: \"app:2\"}}")
    up = per_service + per_service // 2
    for s in range(0, services, 10):
        at = 20 + span * s // services
        y.append(f"  - at: {at}m\n    update_service: {{service: s{s}, desiredCount: {up}}}")
        y.append(f"  - at: {at + 20}m\n    update_service: {{service: s{s}, desiredCount: {per_service}}}")
    return "\n".join(y) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("instances", type=int)
    p.add_argument("services", type=int)
    p.add_argument("per_service", type=int)
    p.add_argument("hours", type=int, nargs="?", default=24)
    p.add_argument("--placement")
    p.add_argument("--timeout", type=float, default=600)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "day.yaml")
        with open(path, "w") as f:
            f.write(day_yaml(a.instances, a.services, a.per_service, a.hours))
        cmd = [a.binary, "run", path, "--json", "--max-events", "1000000000"]
        if a.placement:
            cmd += ["--placement", a.placement]
        t0 = time.perf_counter()
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
        except subprocess.TimeoutExpired:
            print(f"day: instances={a.instances} services={a.services} "
                  f"tasks={a.services * a.per_service} TIMEOUT after {a.timeout:.0f} s")
            return 1
        dt = time.perf_counter() - t0
    rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = json.loads(out.stdout) if out.stdout.strip().startswith("{") else {}
    print(f"day: instances={a.instances} services={a.services} tasks={a.services * a.per_service} "
          f"hours={a.hours} placement={a.placement or 'default'} exit={out.returncode} "
          f"seconds={dt:.2f} peak_rss_mib={rss_mib:.0f} "
          f"placed={summary.get('placements', {}).get('placed', '?')}")
    if out.returncode != 0:
        print(out.stderr[-1500:], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
