#include "cuda/device_probe.hpp"

namespace gammalab::cuda {

DeviceProbe probe_devices() { return {false, 0, "this build has no CUDA (nvcc was not found at configure time)"}; }

}  // namespace gammalab::cuda
