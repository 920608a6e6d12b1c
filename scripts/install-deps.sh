#!/usr/bin/env bash
# Installs, from Debian's packages, whatever gammalab needs that this machine lacks.
# Idempotent: a package already installed is skipped, and apt is not touched at all
# when nothing is missing. Then the browser tests' one npm package (playwright-core,
# pinned in tests/browser/package-lock.json; it drives Debian's chromium, no browser
# download) is installed into tests/browser/node_modules unless it is there. CUDA is never installed here: the build uses nvcc when the
# machine has one (CMake detects it) and skips cuda/ otherwise.
set -euo pipefail

packages=(
  build-essential cmake          # the toolchain
  libboost-dev                   # Boost.Multiprecision: exact rationals for the gamma engine
  libeigen3-dev                  # dense linear algebra for the CPU simulator
  doctest-dev                    # unit tests
  libbenchmark-dev               # Google Benchmark
  libcli11-dev                   # command-line parsing
  nlohmann-json3-dev             # JSON output and result files
  libtomlplusplus-dev            # sweep spec files
  libopenmpi-dev openmpi-bin     # sweeps over MPI ranks (mpirun -np K gammalab sweep ...)
  python3 python3-matplotlib     # figures (plots/ reads result files only)
  python3-dev pybind11-dev python3-pybind11   # the Python module (python/), for Debian's /usr/bin/python3
  python3-pandas python3-pytest  # its result frames and its tests
  python3-jsonschema             # result documents held against schema/ (Python reader and tests)
  jupyter-nbconvert python3-ipykernel python3-nbformat   # the tour notebook, executed by the tests
  pkg-config libcpp-httplib-dev  # the HTTP server of `gammalab serve`
  chromium                       # the browser tests of the page (headless)
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

# Node.js and npm run the browser tests; a machine may have them from elsewhere than Debian.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: every package is present"
else
  echo "install-deps: installing ${missing[*]}"
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

browser_tests="$(dirname "$0")/../tests/browser"
if [ ! -f "$browser_tests/node_modules/playwright-core/package.json" ] ||
   [ "$browser_tests/package-lock.json" -nt "$browser_tests/node_modules/.package-lock.json" ]; then
  echo "install-deps: npm ci in tests/browser (playwright-core)"
  (cd "$browser_tests" && npm ci --no-audit --no-fund --loglevel=error)
fi
