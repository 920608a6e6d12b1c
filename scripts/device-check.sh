#!/usr/bin/env bash
# Runs on the GPU machine (after scripts/build-for-device.sh here, with .carry carried):
# the kernel tests and compute-sanitizer on them, the parity test, compute-sanitizer on it, the sweep benchmark (paper-scale fig2), the
# CPU-against-GPU comparison on one spec, and the paper-scale figure 2 with its analysis.
# Everything it prints also goes to $OUT/device-check.log; results to $OUT/fig2-paper/.
set -uo pipefail
source "$(dirname "$0")/device-env.sh" device-check.log

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv
nproc
$bin/gammalab device

step "each kernel alone against its CPU reference"
$bin/test_gpu_kernels
compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 $bin/test_gpu_kernels >"$out/sanitizer-kernels.log" 2>&1
echo "compute-sanitizer exit status: $?"
tail -2 "$out/sanitizer-kernels.log"

step "parity: GPU against the CPU reference"
$bin/test_gpu_parity

step "compute-sanitizer memcheck on the parity test"
compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 $bin/test_gpu_parity >"$out/sanitizer.log" 2>&1
echo "compute-sanitizer exit status: $?"
tail -4 "$out/sanitizer.log"

step "sweep benchmark: paper-scale fig2 on the GPU, three runs"
sweep_benchmark_runs 3

step "Nsight Compute: the fused kernels at n = 8192 (one seed, 3 steps), and every kernel's time (ncu-kernels.txt)"
cat > /tmp/profile.toml <<'SPEC'
[sweep]
widths = [8192]
seeds = 1
schemes = ["A", "B"]
steps = 3
[learning_rate]
min = 1e-5
max = 1e-1
per_decade = 8
SPEC
timeout 180 ncu --kernel-name regex:"forward_kernel|grad_B_kernel" --launch-skip 2 --launch-count 2 \
  --section SpeedOfLight --section Occupancy --section LaunchStats --section ComputeWorkloadAnalysis $bin/sweep_benchmark /tmp/profile.toml --device gpu \
  | grep -E "forward_kernel|grad_B_kernel|Duration|Compute \(SM\) Throughput|Memory Throughput|Achieved Occupancy|Registers Per|Grid Size|Theoretical Occupancy|Pipe|Issue Slots|Executed Ipc" 
# With each kernel's grid: whether cuBLAS's GEMMs of Z·Aᵀ fill the SMs (gpu-notes.md, "Not
# yet run on a GPU, and the next experiment").
timeout 180 ncu --launch-count 90 --section SpeedOfLight --section LaunchStats $bin/sweep_benchmark /tmp/profile.toml --device gpu \
  | grep -E "^  [a-zA-Z_].*\(|Duration|Grid Size|Block Size" >"$out/ncu-kernels.txt"

step "the same spec on CPU and GPU: the quick fig2"
$bin/sweep_benchmark experiments/fig2-quick.toml --device gpu
$bin/sweep_benchmark experiments/fig2-quick.toml --device cpu --threads "$(nproc)"

step "paper-scale fig2: sweep, analysis, figure"
timeout 240 $bin/gammalab sweep experiments/fig2-paper.toml -o "$out/fig2-paper" --device gpu --quiet && $bin/gammalab analyze "$out/fig2-paper"
python3 plots/lr_vs_width.py "$out/fig2-paper"
rm -f "$out/fig2-paper/curves.csv"
step "done"
