#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest drives the doctest
# programs; GPU tests skip with a message where no GPU is present).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --preset default -j"$(nproc)"
