#!/usr/bin/env bash
# Runs on the GPU machine (after scripts/build-for-device.sh here, with .carry carried):
# the MLP experiments at the paper scale, mlp-coordcheck then mlp-lr, on the machine's CPU
# cores. The MLP trainer is the CPU's (FP64, Eigen): a run is a few n × n products on a
# batch of 16 inputs, which the host's cores finish in minutes, so it has no GPU path
# (docs/simulator.md, "The MLP experiments", says why). Results come back in $OUT:
# device-mlp.log, mlp-coordcheck-paper/ and mlp-lr-paper/ (the figures are drawn here).
set -uo pipefail
source "$(dirname "$0")/device-env.sh" device-mlp.log

step "machine"
nproc
free -g | head -2
for name in mlp-coordcheck mlp-lr; do
  step "paper-scale $name on $(nproc) CPU threads"
  /usr/bin/time -f "wall %e s" timeout "${MLP_SECONDS:-270}" $bin/gammalab reproduce "$name" --scale paper --threads "$(nproc)" \
    -o "$work/$name-paper" --home . 2>&1 | grep -v "^progress" | tail -60
  mkdir -p "$out/$name-paper"
  cp "$work/$name-paper"/*.json "$work/$name-paper"/*.csv "$out/$name-paper/"
done
step "done"
