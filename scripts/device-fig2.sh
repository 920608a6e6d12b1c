#!/usr/bin/env bash
# Runs on the GPU machine (after scripts/build-for-device.sh here, with .carry carried):
# the measurements of the horizon records and the refined fig2. The kernel tests (with compute-sanitizer) and the parity test,
# both covering the horizon records; the quick fig2 spec on the GPU in FP32, to set beside
# the same spec on the CPU in FP64; the paper-scale fig2 (both readouts, widths to 2^16,
# edges refined), timed, analysed, and analysed again in two halves of the seeds.
# Results come back in $OUT: device-fig2.log, fig2-quick-gpu/ and fig2-paper/ (their
# manifest, runs, summary and split-seeds files; figures are drawn from them here).
set -uo pipefail
source "$(dirname "$0")/device-env.sh" device-fig2.log

machine_and_kernels

step "parity: GPU against the CPU reference, horizons included"
$bin/test_gpu_parity 2>&1 | tail -12

step "quick fig2 spec on the GPU (FP32)"
/usr/bin/time -f "wall %e s" $bin/gammalab sweep experiments/fig2-quick.toml -o "$out/fig2-quick-gpu" --device gpu --quiet >/dev/null
$bin/gammalab analyze "$out/fig2-quick-gpu" | grep -E "readout:|optimal η:|max stable η"
rm -f "$out/fig2-quick-gpu/curves.csv" "$out/fig2-quick-gpu/.lock"

step "paper-scale fig2 on the GPU: sweep (timed), analysis, split seeds"
/usr/bin/time -f "wall %e s" timeout 480 $bin/gammalab reproduce fig2 --scale paper -o "$out/fig2-paper" --device gpu --home .
$bin/gammalab analyze "$out/fig2-paper" --split-seeds
rm -rf "$out/fig2-paper/curves.csv" "$out/fig2-paper/.lock" "$out/fig2-paper/figures"  # drawn here from what comes back
step "done"
