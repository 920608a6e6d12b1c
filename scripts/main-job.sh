#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs gammalab's headline result.
# Until the simulator lands this is the γ engine's table: for every built-in scheme,
# the maximal stable learning-rate exponent and the regions of feature learning,
# efficient learning and internal instability, in the module and network settings.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
./build/gammalab device
./build/gammalab gamma table
