#include <cuda_runtime.h>

#include <cstdio>

#include "cuda/device_probe.hpp"

namespace gammalab::cuda {

DeviceProbe probe_devices() {
  DeviceProbe probe;
  probe.compiled_in = true;
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    probe.description = std::string("no usable GPU: ") + cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return probe;
  }
  probe.device_count = count;
  if (count == 0) {
    probe.description = "no GPU found";
    return probe;
  }
  cudaDeviceProp properties{};
  status = cudaGetDeviceProperties(&properties, 0);
  if (status != cudaSuccess) {
    probe.device_count = 0;
    probe.description = std::string("cannot read GPU 0: ") + cudaGetErrorString(status);
    return probe;
  }
  char text[256];
  std::snprintf(text, sizeof text, "%s (sm_%d%d, %d SMs, %.1f GiB)%s", properties.name, properties.major,
                properties.minor, properties.multiProcessorCount,
                static_cast<double>(properties.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0),
                count > 1 ? (" and " + std::to_string(count - 1) + " more").c_str() : "");
  probe.description = text;
  return probe;
}

}  // namespace gammalab::cuda
