# Sourced by the scripts that run on the GPU machine (device-check.sh, device-fig2.sh),
# with the name of their log: CUDA's tools on the path, the carried shared libraries
# (scripts/build-for-device.sh) found, everything printed also written to $OUT/LOG,
# the carried programs in $bin (with the GPU backend's plugin, gammalab-cuda.so, beside them,
# where they find it), and `step` to head each part with the time.
export PATH=/usr/local/cuda/bin:$PATH
export LD_LIBRARY_PATH=$PWD/.carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
out=${OUT:-/tmp/device-out}
mkdir -p "$out"
exec > >(tee "$out/$1") 2>&1
bin=.carry/bin
step() { echo; echo "=== $* ($(date +%T))"; }
