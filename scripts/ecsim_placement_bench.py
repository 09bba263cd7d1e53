#!/usr/bin/env python3
"""ecsim side of scripts/bench-moto.sh: the peer baseline's placement workload
(/work/shared/peers/moto_bench.py) run by the release binary.

Usage: ecsim_placement_bench.py ECSIM_BINARY INSTANCES TASKS [REPEATS] [STRATEGY]

Writes two scenarios: INSTANCES container instances (2048 CPU, 4096 MiB, round-robin over
three AZs) and a task definition `web` (256 CPU / 512 MiB); one with TASKS/10 run_task calls
(count 10, RunTask's default random strategy unless STRATEGY is a JSON placementStrategy list),
one without. Each runs REPEATS times with `ecsim run --json`; placement time = median(with) -
median(without), so process start, parsing and instance registration cancel out, as moto's
timer excludes its own setup. Checks that every task was placed (summary.json's placement
counters). Prints one line like the peer script.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def scenario(instances, calls, strategy):
    lines = [
        "name: moto-workload",
        "seed: 1",
        "until: 2m",
        "containerInstances:",
        f"  - count: {instances}",
        "    availabilityZones: [us-east-1a, us-east-1b, us-east-1c]",
        "    totalResources: [{name: CPU, type: INTEGER, integerValue: 2048},"
        " {name: MEMORY, type: INTEGER, integerValue: 4096}]",
        "taskDefinitions:",
        "  - family: web",
        "    containerDefinitions: [{name: web, image: nginx, cpu: 256, memory: 512, essential: true}]",
    ]
    if calls:
        body = {"taskDefinition": "web", "count": 10}
        if strategy:
            body["placementStrategy"] = strategy
        lines.append("timeline:")
        for _ in range(calls):
            lines.append("  - at: 1m")
            lines.append(f"    run_task: {json.dumps(body)}")
    return "\n".join(lines) + "\n"


def timed_run(binary, path):
    t0 = time.perf_counter()
    out = subprocess.run([binary, "run", path, "--json"], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"ecsim run failed ({out.returncode}): {out.stderr[-2000:]}")
    return dt, json.loads(out.stdout)


def placed_count(summary):
    """The placed-task counter of summary.json, wherever the summary keeps it."""
    stack = [summary]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "placed" and isinstance(v, int):
                    return v
                stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return None


def main():
    binary, instances, tasks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    strategy = json.loads(sys.argv[5]) if len(sys.argv) > 5 else None
    calls = tasks // 10
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for name, n in (("with", calls), ("without", 0)):
            paths[name] = os.path.join(d, f"{name}.yaml")
            with open(paths[name], "w") as f:
                f.write(scenario(instances, n, strategy))
        times = {"with": [], "without": []}
        summary = None
        for _ in range(repeats):
            for name in ("without", "with"):
                dt, s = timed_run(binary, paths[name])
                times[name].append(dt)
                if name == "with":
                    summary = s
    placed = placed_count(summary)
    if placed != calls * 10:
        sys.exit(f"ecsim placed {placed} of {calls * 10} tasks")
    dt = statistics.median(times["with"]) - statistics.median(times["without"])
    setup = statistics.median(times["without"])
    print(f"ecsim: instances={instances} placed={placed} seconds={dt:.4f} "
          f"placements_per_s={placed / dt:.0f} setup_run_seconds={setup:.3f}")


if __name__ == "__main__":
    main()
