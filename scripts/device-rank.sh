#!/usr/bin/env bash
# Runs on the GPU machine (after scripts/build-for-device.sh here, with .carry carried):
# the rank experiment's measurements. The parity test (ranks 1 … 256, both multipliers), then the
# paper-scale rank experiment, timed and analysed. Results come back in $OUT:
# device-rank.log and rank-paper/ (manifest, runs and summary; the figure is drawn here
# from what comes back).
set -uo pipefail
source "$(dirname "$0")/device-env.sh" device-rank.log

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv

parity_test "ranks 1 … 256, LoRA and rsLoRA"

paper_experiment rank "${RANK_SECONDS:-420}"
step "done"
