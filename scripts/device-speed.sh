#!/usr/bin/env bash
# Runs on the GPU machine (after scripts/build-for-device.sh here, with .carry carried):
# the kernel tests (with compute-sanitizer) and the parity test; the sweep benchmark twice
# with the carried programs and, where .carry/before holds an earlier build's
# sweep_benchmark and gammalab-cuda.so (copied there before rebuilding), twice with those,
# in the same call, for docs/gpu-notes.md's table of each change's prediction and outcome;
# then the paper-scale fig2, timed. Run again while the machine is warm, it skips what it
# already ran and resumes the fig2 a call before left unfinished. Everything printed also
# goes to $OUT/device-speed.log; fig2's result files to $OUT/fig2-paper/.
set -uo pipefail
source "$(dirname "$0")/device-env.sh" device-speed.log

if [ ! -e "$work/speed-checked" ]; then
  machine_and_kernels
  parity_test
  step "sweep benchmark, this build"
  sweep_benchmark_runs 2
  if [ -x .carry/before/sweep_benchmark ]; then
    step "sweep benchmark, the earlier build in .carry/before"
    sweep_benchmark_runs 2 .carry/before
  fi
  touch "$work/speed-checked"
fi
paper_experiment fig2 "${FIG2_SECONDS:-480}"
step "done"
