#!/usr/bin/env bash
# Runs on the GPU machine (after scripts/build-for-device.sh here, with .carry carried):
# the kernel tests (with compute-sanitizer) and the parity test, then the paper-scale fig2
# (both readouts, widths to 2^16, 3 teachers × 4 seeds, edges refined), timed, analysed,
# and analysed again in two halves of the seeds. Run again while the machine is warm, it
# resumes a sweep the last call left unfinished and skips the checks it already passed.
# Results come back in $OUT: device-fig2.log and fig2-paper/ (manifest, runs, summary and
# split-seeds files; the figures are drawn here from them).
set -uo pipefail
source "$(dirname "$0")/device-env.sh" device-fig2.log

if [ ! -e "$work/fig2-checked" ]; then
  machine_and_kernels
  parity_test "horizons included"
  touch "$work/fig2-checked"
fi
paper_experiment fig2 "${FIG2_SECONDS:-480}"
$bin/gammalab analyze "$out/fig2-paper" --split-seeds | tail -5
step "done"
