// The entry of the GPU backend's plugin, gammalab-cuda.so (cuda/gpu_plugin.hpp): the
// backend's functions, each with its exceptions turned into a PluginFailure.
#include "cuda/fp32_peak.hpp"
#include "cuda/gpu_backend.hpp"
#include "cuda/gpu_plugin.hpp"

namespace gammalab::cuda {
namespace {

using sim::guarded;
using sim::PluginFailure;

const GpuPlugin kPlugin{
    [](PluginFailure& failure) { return guarded(failure, [] { return probe_devices(); }); },
    [](const sim::TrainSpec& spec, PluginFailure& failure) { return guarded(failure, [&] { return unsupported_on_gpu(spec); }); },
    [](const sim::Dataset& data, int width, int configurations, int rank, PluginFailure& failure) {
      return guarded(failure, [&] { return gpu_group_memory_bytes(data, width, configurations, rank); });
    },
    [](int device, PluginFailure& failure) { return guarded(failure, [&] { return gpu_memory_bytes(device); }); },
    [](PluginFailure& failure) { return guarded(failure, [] { return measure_fp32_peak(); }); },
    [](int device, PluginFailure& failure) { return guarded(failure, [&] { return make_gpu_backend(device); }); },
    [](int at_most, PluginFailure& failure) { return guarded(failure, [&] { return make_gpu_backends(at_most); }); },
    [](sim::TrainerBackend& trainer, const sim::Dataset& data, const sim::StudentKey& student, const std::vector<sim::TrainSpec>& specs,
       const std::function<void(std::size_t, const sim::TrainResult&)>& one_done, PluginFailure& failure) {
      return guarded(failure, [&] { return trainer.train_group(data, student, specs, one_done); });
    },
    [](const sim::TrainerBackend& trainer) { return trainer.describe(); },
    [](const sim::TrainerBackend& trainer) { return trainer.concurrent_groups(); },
};

}  // namespace
}  // namespace gammalab::cuda

extern "C" __attribute__((visibility("default"))) const void* gammalab_gpu_plugin(int interface_version) {
  return interface_version == gammalab::cuda::kGpuPluginInterface ? &gammalab::cuda::kPlugin : nullptr;
}
