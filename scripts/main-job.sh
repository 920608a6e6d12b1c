#!/usr/bin/env bash
# The main job: installs what is missing, builds, and reproduces paper 003's figure 2
# (optimal and maximal stable learning rate against width, Init[A] and Init[B]) with
# its data, the γ engine's lines and a verdict. On the CPU it runs the quick scale
# (about two minutes on 2 cores); results land in results/fig2-quick/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
./build/gammalab device
out=results/fig2-quick
# --resume: a finished directory is only re-analysed, an interrupted one is completed.
./build/gammalab sweep experiments/fig2-quick.toml -o "$out" --resume
python=/usr/bin/python3
[ -x "$python" ] || python=python3
"$python" plots/lr_vs_width.py "$out"
echo "data: $out/runs.csv, $out/summary.json; figure: $out/figures/lr_vs_width.png"
