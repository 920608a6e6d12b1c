#pragma once
// What GPU, if any, this process can use: the GPU backend's first question.
#include <string>

namespace gammalab::cuda {

struct DeviceProbe {
  bool compiled_in = false;  // is the GPU backend here: built with CUDA, and its plugin loaded (cuda/gpu_plugin.hpp)?
  int device_count = 0;      // usable GPUs (0 when none, or no driver)
  std::string description;   // "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)" or why there is none
};

DeviceProbe probe_devices();

}  // namespace gammalab::cuda
