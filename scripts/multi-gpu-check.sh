#!/usr/bin/env bash
# Runs on a two-GPU device machine (nvidia-h200-x2), after scripts/build-for-device.sh
# here, with .carry carried: the paper-scale fig2 sweep benchmark on one GPU and on
# both; the same sweep written by one process over both GPUs and as two shards (one
# per GPU) merged, compared row by row; then the paper-scale variance, schemes and
# coordcheck experiments with their figures, and one HTML report of them
# (--timing-only stops before those).
# Everything it prints also goes to $OUT/multi-gpu-check.log.
set -uo pipefail
export PATH=/usr/local/cuda/bin:$PATH
out=${OUT:-/tmp/device-out}
mkdir -p "$out"
exec > >(tee "$out/multi-gpu-check.log") 2>&1
bin=$PWD/.carry/bin
step() { echo; echo "=== $* ($(date +%T))"; }

step "machine"
nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv
nproc
$bin/gammalab device

step "parity: GPU against the CPU reference"
$bin/test_gpu_parity

step "sweep benchmark, paper-scale fig2: one GPU, then both"
timeout 120 $bin/sweep_benchmark bench/paper-sweep.toml --device gpu --gpus 1
timeout 120 $bin/sweep_benchmark bench/paper-sweep.toml --device gpu --gpus 2

step "one process over both GPUs against two shards (one per GPU) merged"
time timeout 200 $bin/gammalab sweep experiments/fig2-paper.toml -o /tmp/both --device gpu --quiet
( CUDA_VISIBLE_DEVICES=0 timeout 200 $bin/gammalab sweep experiments/fig2-paper.toml -o /tmp/shard1 --shard 1/2 --device gpu --quiet &
  CUDA_VISIBLE_DEVICES=1 timeout 200 $bin/gammalab sweep experiments/fig2-paper.toml -o /tmp/shard2 --shard 2/2 --device gpu --quiet &
  wait )
$bin/gammalab merge /tmp/shard1 /tmp/shard2 -o /tmp/merged --quiet
for f in runs.csv curves.csv summary.json; do cmp /tmp/both/$f /tmp/merged/$f && echo "identical: $f"; done
grep -E '"device"|wall_seconds' /tmp/both/manifest.json /tmp/merged/manifest.json
if [ "${1:-}" = "--timing-only" ]; then step "done"; exit 0; fi

python=python3
for name in variance schemes coordcheck; do
  step "reproduce $name --scale paper"
  GAMMALAB_PYTHON=$python timeout 240 $bin/gammalab reproduce $name --scale paper -o "$out/$name-paper" 2>&1 | grep -v '^progress'
  rm -f "$out/$name-paper/curves.csv" "$out/$name-paper"/figures/*.svg
done
step "report"
$bin/gammalab report "$out/variance-paper" "$out/schemes-paper" "$out/coordcheck-paper" -o "$out/report.html"
step "done"
