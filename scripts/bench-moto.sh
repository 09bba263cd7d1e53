#!/usr/bin/env bash
# The peer baseline's placement workload through moto (boto3, in-process) and through ecsim
# (the release binary, scripts/ecsim_placement_bench.py), and the ratio ecsim/moto.
#
# Usage: scripts/bench-moto.sh [INSTANCES...]          (default: 100 1000)
# Env:   MOTO_TASKS_CAP   most tasks moto places per size (default 500; moto is slow)
#        ECSIM_REPEATS    runs per ecsim measurement (default 5; the median is used)
#        PEER             the peer script (default /work/shared/peers/moto_bench.py)
#
# Workload (the peer's): INSTANCES container instances of 2048 CPU / 4096 MiB over three AZs,
# a 256 CPU / 512 MiB task definition, run_task count=10 until TASKS tasks are placed. TASKS is
# min(MOTO_TASKS_CAP, 0.8 x capacity) for both, so neither fills the fleet. moto places
# first-fit; ecsim uses RunTask's default (random) with every filter evaluated.
set -euo pipefail
cd "$(dirname "$0")/.."
PEER=${PEER:-/work/shared/peers/moto_bench.py}
CAP=${MOTO_TASKS_CAP:-500}
REPEATS=${ECSIM_REPEATS:-5}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(100 1000)

if ! python3 -c 'import moto, boto3' 2>/dev/null; then
    pip install --user --quiet moto boto3
fi
cargo build --release --quiet --bin ecsim
BIN=target/release/ecsim

printf '%-10s %-7s %-16s %-16s %s\n' instances tasks moto_per_s ecsim_per_s ratio
for n in "${SIZES[@]}"; do
    tasks=$(( n * 8 * 8 / 10 ))
    (( tasks > CAP )) && tasks=$CAP
    tasks=$(( tasks / 10 * 10 ))
    moto_line=$(python3 "$PEER" "$n" "$tasks")
    ecsim_line=$(python3 scripts/ecsim_placement_bench.py "$BIN" "$n" "$tasks" "$REPEATS")
    echo "# $moto_line" >&2
    echo "# $ecsim_line" >&2
    moto=$(sed -n 's/.*placements_per_s=\([0-9]*\).*/\1/p' <<<"$moto_line")
    ecsim=$(sed -n 's/.*placements_per_s=\([0-9]*\).*/\1/p' <<<"$ecsim_line")
    ratio=$(python3 -c "print(f'{$ecsim / $moto:.1f}x')")
    printf '%-10s %-7s %-16s %-16s %s\n' "$n" "$tasks" "$moto" "$ecsim" "$ratio"
done
