#!/usr/bin/env bash
# Runs on the GPU machine, after scripts/build-for-device.sh here and with its programs
# carried: the check of every adapter rank. The kernel tests and compute-sanitizer on
# them, the parity test (ranks 1 to 256, both multipliers), the step kernels timed at
# each rank at width 4096 (bench/rank_paths.cu: cuda/group_memory.cuh's kernels_for_rank
# rests on it), and the paper-scale sweep benchmark (rank 4: the tensor-core kernels,
# unchanged).
#   scripts/device-rank-check.sh [CARRIED]   (CARRIED/bin holds the programs; default .carry)
# Everything it prints also goes to $OUT/device-rank-check.log.
set -uo pipefail
source "$(dirname "$0")/device-env.sh" device-rank-check.log
bin=${1:-.carry}/bin

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv
nproc

step "each kernel alone against its CPU reference"
timeout 120 $bin/test_gpu_kernels
timeout 300 compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 $bin/test_gpu_kernels >"$out/sanitizer-kernels.log" 2>&1
echo "compute-sanitizer exit status: $?"
tail -2 "$out/sanitizer-kernels.log"

step "parity: GPU against the CPU reference"
timeout 300 $bin/test_gpu_parity

step "the step kernels at each rank: width 4096, 33 configurations"
timeout 240 $bin/rank_paths --width 4096 --configs 33

step "sweep benchmark: paper-scale fig2 on the GPU (rank 4)"
sweep_benchmark_runs 1
step "done"
