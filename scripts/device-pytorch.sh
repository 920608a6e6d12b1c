#!/usr/bin/env bash
# Runs on the GPU machine (after scripts/build-for-device.sh here, with .carry carried):
# the kernel tests (with compute-sanitizer) and the parity test, then in the same call the
# sweep benchmark twice and the same sweep's arithmetic in PyTorch with torch.compile
# (bench/pytorch_sweep.py), for the ratio docs/gpu-notes.md keeps. Everything printed also
# goes to $OUT/device-pytorch.log.
set -uo pipefail
source "$(dirname "$0")/device-env.sh" device-pytorch.log

machine_and_kernels
parity_test
step "sweep benchmark: paper-scale fig2 on the GPU, two runs"
sweep_benchmark_runs 2
step "the same sweep in PyTorch, torch.compile, FP32"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))" &&
  timeout "${PYTORCH_SECONDS:-420}" python3 bench/pytorch_sweep.py
step "done"
