# Sourced by the scripts that run on the GPU machine (device-check.sh, device-fig2.sh),
# with the name of their log: CUDA's tools on the path, the carried shared libraries
# (scripts/build-for-device.sh) found, everything printed also written to $OUT/LOG,
# the carried programs in $bin (with the GPU backend's plugin, gammalab-cuda.so, beside them,
# where they find it), `step` to head each part with the time, and `machine_and_kernels`:
# the card and what the program sees of it, then the kernel tests alone and under
# compute-sanitizer, so that whatever a script times next runs on checked kernels, and
# `parity_test`, `sweep_benchmark_runs COUNT [DIR]`, and
# `paper_experiment NAME SECONDS`: `reproduce NAME --scale paper` in $work, which outlives
# one call while the machine stays warm, so that a call cut short by the device's
# 10-minute limit is resumed by the next (`reproduce` resumes an existing directory),
# then its result files (not curves, lock or figures: the figures are drawn here) to $out.
export PATH=/usr/local/cuda/bin:$PATH
export LD_LIBRARY_PATH=$PWD/.carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
out=${OUT:-/tmp/device-out}
mkdir -p "$out"
exec > >(tee "$out/$1") 2>&1
bin=.carry/bin
work=/tmp/gammalab-device
mkdir -p "$work"
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
# The parity test: its summary, or all of its output where it fails. $1: what the step
# title adds.
parity_test() {
  step "parity: GPU against the CPU reference${1:+, $1}"
  if timeout 300 $bin/test_gpu_parity >/tmp/parity.log 2>&1; then tail -3 /tmp/parity.log; else cat /tmp/parity.log; fi
}
# The sweep benchmark (bench/paper-sweep.toml, the paper-scale fig2 grid) $1 times, with
# the programs in $2 (default $bin).
sweep_benchmark_runs() {
  for run in $(seq "$1"); do timeout 100 "${2:-$bin}"/sweep_benchmark bench/paper-sweep.toml --device gpu; done
}
paper_experiment() {
  step "paper-scale $1 on the GPU: sweep (timed, resumed if a call before was cut short) and analysis"
  /usr/bin/time -f "wall %e s" timeout "$2" $bin/gammalab reproduce "$1" --scale paper -o "$work/$1-paper" --device gpu --home . 2>&1 |
    grep -vE "^refining|^  [0-9]" | tail -80
  mkdir -p "$out/$1-paper"
  find "$work/$1-paper" -maxdepth 1 -type f ! -name curves.csv ! -name .lock -exec cp -t "$out/$1-paper" {} +
}
