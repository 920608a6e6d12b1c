#!/usr/bin/env bash
# Runs on the GPU machine (after scripts/build-for-device.sh here, with .carry carried):
# where the paper-scale fig2 spends its time, before any change to the step is made.
#   - the kernel tests and the parity test (with compute-sanitizer on the kernels), so
#     that the binaries timed are right;
#   - the sweep benchmark, twice;
#   - the paper-scale fig2 sweep, its progress lines stamped with the seconds since it
#     started (the grid, then each refinement round and its size), while nvidia-smi
#     samples the GPU's utilisation every second (gpu-utilisation.csv): the time of
#     each round against how busy the GPU was in it;
#   - the analysis of that sweep, timed apart from the training.
# Results come back in $OUT: device-profile.log, gpu-utilisation.csv, fig2-paper/.
set -uo pipefail
source "$(dirname "$0")/device-env.sh" device-profile.log

machine_and_kernels
parity_test

step "sweep benchmark (paper-scale fig2 grid, 1.85e14 FLOP), twice"
sweep_benchmark_runs 2

step "paper-scale fig2: the sweep, its rounds stamped, the GPU sampled"
nvidia-smi --query-gpu=timestamp,utilization.gpu,utilization.memory,memory.used --format=csv,noheader -lms 1000 \
  >"$out/gpu-utilisation.csv" &
sampler=$!
start=$(date +%s.%N)
timeout 420 $bin/gammalab sweep experiments/fig2-paper.toml -o "$out/fig2-paper" --device gpu 2>&1 |
  while IFS= read -r line; do  # stamped as each line arrives (awk would read the pipe in blocks)
    printf '%7.1f s  %s\n' "$(awk -v start="$start" -v now="$(date +%s.%N)" 'BEGIN { print now - start }')" "$line"
  done
awk -v start="$start" -v end="$(date +%s.%N)" 'BEGIN { printf "sweep wall: %.1f s\n", end - start }'
kill $sampler
step "analysis alone"
/usr/bin/time -f "analysis wall %e s" $bin/gammalab analyze "$out/fig2-paper" >/dev/null
rm -f "$out/fig2-paper/curves.csv" "$out/fig2-paper/.lock"
step "done"
