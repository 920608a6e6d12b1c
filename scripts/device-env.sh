# Sourced by the scripts that run on the GPU machine (device-check.sh, device-fig2.sh),
# with the name of their log: CUDA's tools on the path, the carried shared libraries
# (scripts/build-for-device.sh) found, everything printed also written to $OUT/LOG,
# the carried programs in $bin (with the GPU backend's plugin, gammalab-cuda.so, beside them,
# where they find it), `step` to head each part with the time, and `machine_and_kernels`:
# the card and what the program sees of it, then the kernel tests alone and under
# compute-sanitizer, so that whatever a script times next runs on checked kernels.
export PATH=/usr/local/cuda/bin:$PATH
export LD_LIBRARY_PATH=$PWD/.carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
out=${OUT:-/tmp/device-out}
mkdir -p "$out"
exec > >(tee "$out/$1") 2>&1
bin=.carry/bin
step() { echo; echo "=== $* ($(date +%T))"; }
machine_and_kernels() {
  step "machine"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  $bin/gammalab device
  step "kernel tests, and compute-sanitizer on them"
  $bin/test_gpu_kernels | tail -3
  compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 $bin/test_gpu_kernels >/tmp/sanitizer.log 2>&1
  echo "compute-sanitizer exit status: $?"; tail -2 /tmp/sanitizer.log
}
