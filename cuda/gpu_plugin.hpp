#pragma once
// The contract between gammalab and its GPU backend, gammalab-cuda.so (sim/model/plugin_library.hpp
// says why it is a plugin): the functions of cuda/device_probe.hpp, cuda/gpu_backend.hpp and
// cuda/fp32_peak.hpp, as the plugin implements them, behind a table the host loads at run
// time. The host's side (cuda/gpu_plugin_host.cpp) implements the same headers by calling
// through this table, so that callers see no difference. No function throws: each
// reports a failure in its last argument.
#include <memory>
#include <string>
#include <vector>

#include "cuda/device_probe.hpp"
#include "sim/model/backend.hpp"
#include "sim/model/plugin_library.hpp"

namespace gammalab::cuda {

// Raised whenever the table or a type it passes (sim::TrainSpec, sim::TrainResult,
// sim::Dataset, ...) changes in a way an older plugin would misread.
inline constexpr int kGpuPluginInterface = 1;
inline constexpr const char* kGpuPluginFile = "gammalab-cuda.so";
inline constexpr const char* kGpuPluginEntry = "gammalab_gpu_plugin";

struct GpuPlugin {
  DeviceProbe (*probe_devices)(sim::PluginFailure&);
  std::string (*unsupported_on_gpu)(const sim::TrainSpec&, sim::PluginFailure&);
  double (*gpu_group_memory_bytes)(const sim::Dataset&, int width, int configurations, int rank, sim::PluginFailure&);
  double (*gpu_memory_bytes)(int device, sim::PluginFailure&);
  double (*measure_fp32_peak)(sim::PluginFailure&);
  // The trainers of GPUs, as make_gpu_backend(s) returns them; the host uses each only
  // through the three functions below, and deletes it through its virtual destructor.
  std::unique_ptr<sim::TrainerBackend> (*make_gpu_backend)(int device, sim::PluginFailure&);
  std::vector<std::unique_ptr<sim::TrainerBackend>> (*make_gpu_backends)(int at_most, sim::PluginFailure&);
  std::vector<sim::TrainResult> (*train_group)(sim::TrainerBackend&, const sim::Dataset&, const sim::StudentKey&,
                                               const std::vector<sim::TrainSpec>&,
                                               const std::function<void(std::size_t, const sim::TrainResult&)>& one_done,
                                               sim::PluginFailure&);
  std::string (*describe)(const sim::TrainerBackend&);
  int (*concurrent_groups)(const sim::TrainerBackend&);
};

}  // namespace gammalab::cuda
