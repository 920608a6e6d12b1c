#!/usr/bin/env bash
# The main job: installs what is missing, builds, and reproduces paper 003's figure 2
# (optimal and maximal stable learning rate against width, Init[A] and Init[B]) with its
# data, the γ engine's lines and a verdict. With a usable GPU it runs the paper scale
# (experiments/fig2-paper.toml, about 20 s on an H100); otherwise the CPU's quick scale
# (experiments/fig2-quick.toml, about 90 s on 2 cores). Results land in results/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
./build/gammalab device
if ./build/gammalab device --json | grep -q '"device_count": [1-9]'; then
  spec=experiments/fig2-paper.toml out=results/fig2-paper
else
  spec=experiments/fig2-quick.toml out=results/fig2-quick
fi
# --resume: a finished directory is only re-analysed, an interrupted one is completed.
./build/gammalab sweep "$spec" -o "$out" --resume
python=/usr/bin/python3
[ -x "$python" ] || python=python3
"$python" plots/lr_vs_width.py "$out"
echo "data: $out/runs.csv, $out/summary.json; figure: $out/figures/lr_vs_width.png"
