#!/usr/bin/env bash
# The main job: installs what is missing, builds, and reproduces paper 003's figure 2
# (optimal and maximal stable learning rate against width, Init[A] and Init[B], with both
# readouts) with its data, the γ engine's lines and a verdict per slope. With a usable GPU
# it runs the paper scale (experiments/fig2-paper.toml, widths to 2^16, 3 teachers × 4
# seeds, edges refined: 313 s for `reproduce` on an H200); otherwise the CPU's quick scale
# (experiments/fig2-quick.toml: 27 s on 2 cores with AVX-512, built for the machine's own
# instructions). Results land in results/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
./build/gammalab device
# `reproduce` picks the paper scale when a GPU is usable and the quick scale otherwise,
# resumes an existing result directory, draws the figure and prints the verdicts.
./build/gammalab reproduce fig2
