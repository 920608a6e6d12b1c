#!/usr/bin/env bash
# Builds, here, the programs the GPU machine runs, and puts them in .carry/bin (git
# ignores it; name it in the device tool's `carry`). That machine has nvcc and cuBLAS
# (CUDA 13) but none of our Debian packages, so the binaries are built for sm_90 with
# libstdc++ and the CUDA runtime linked statically and only cuBLAS left dynamic. MPI is
# left out: that machine has no MPI library (the programs say so when asked for it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-device -DCMAKE_BUILD_TYPE=Release -DGAMMALAB_WITH_MPI=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" >/dev/null
cmake --build build-device -j"$(nproc)" --target gammalab test_gpu_parity test_gpu_kernels sweep_benchmark
mkdir -p .carry/bin
cp build-device/gammalab build-device/tests/test_gpu_parity build-device/tests/test_gpu_kernels build-device/bench/sweep_benchmark .carry/bin/
echo "carried programs:"; ls -la .carry/bin
echo "their dynamic libraries:"; ldd .carry/bin/gammalab | awk '{print "  " $1}'
