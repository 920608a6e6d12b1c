#!/usr/bin/env bash
# Builds, here, the programs the GPU machine runs, and puts them in .carry/bin (git
# ignores it; name it in the device tool's `carry`), with the GPU backend's plugin
# gammalab-cuda.so beside them, where they look for it first. That machine has nvcc and
# cuBLAS (CUDA 13) but none of our Debian packages, so the binaries and the plugin are
# built for sm_90 with libstdc++ and the CUDA runtime linked statically and only cuBLAS
# left dynamic (the plugin's; the programs load it only for a GPU sweep). MPI is left
# out: that machine has no MPI library (the programs say so when asked for it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# ccache, where the machine has it, makes a second build take minutes rather than twenty.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-device -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" -DGAMMALAB_WITH_MPI=OFF -DGAMMALAB_TUNE_FOR_THIS_CPU=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" -DCMAKE_MODULE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" >/dev/null
cmake --build build-device -j"$(nproc)" --target gammalab gammalab-cuda test_gpu_parity test_gpu_kernels sweep_benchmark rank_paths
mkdir -p .carry/bin
cp build-device/gammalab build-device/gammalab-cuda.so build-device/tests/test_gpu_parity build-device/tests/test_gpu_kernels \
  build-device/bench/sweep_benchmark build-device/bench/rank_paths .carry/bin/
# Debian's shared libraries that gammalab links (cpp-httplib for `serve`, and what it
# needs), which that machine lacks: carried in .carry/lib, found through LD_LIBRARY_PATH
# (the device scripts set it). The C library and CUDA's own stay the machine's.
mkdir -p .carry/lib
ldd .carry/bin/gammalab | awk '$3 ~ /^\// {print $3}' |
  grep -vE '/(libc|libm|libpthread|libdl|librt|libgcc_s)\.so|/cuda/' | xargs -r cp -L -t .carry/lib/
echo "carried programs:"; ls -la .carry/bin .carry/lib
echo "their dynamic libraries:"; ldd .carry/bin/gammalab | awk '{print "  " $1}'
echo "the GPU backend's (loaded for a GPU sweep):"; ldd .carry/bin/gammalab-cuda.so | awk '{print "  " $1}'
