// The GPU backend as the program and the Python module see it (cuda/device_probe.hpp,
// cuda/gpu_backend.hpp, cuda/fp32_peak.hpp): each function loads the plugin
// gammalab-cuda.so on first use (cuda/gpu_plugin.hpp) and calls it. Where the build has no
// CUDA, or the plugin cannot be loaded (not beside the program, or no cuBLAS on this
// machine), the probe says why and what needs a GPU refuses with that reason.
#include <exception>
#include <mutex>

#include "cuda/fp32_peak.hpp"
#include "cuda/gpu_backend.hpp"
#include "cuda/gpu_plugin.hpp"

namespace gammalab::cuda {

namespace {

// The plugin's table, or null with `why` set.
const GpuPlugin* gpu_plugin(std::string& why) {
#ifdef GAMMALAB_WITH_CUDA
  if (const void* table = sim::load_plugin(kGpuPluginFile, kGpuPluginEntry, kGpuPluginInterface, why)) return static_cast<const GpuPlugin*>(table);
  why = "the GPU backend's plugin " + why;
#else
  why = "this build has no CUDA (nvcc was not found at configure time)";
#endif
  return nullptr;
}

// The plugin's table; std::runtime_error saying why when there is none.
const GpuPlugin& required_gpu_plugin() {
  std::string why;
  if (const GpuPlugin* plugin = gpu_plugin(why)) return *plugin;
  throw std::runtime_error(why);
}

// Calls `function` of the plugin, and throws what it reported.
template <class Function, class... Arguments>
auto call(Function function, Arguments&&... arguments) {
  sim::PluginFailure failure;
  auto value = function(std::forward<Arguments>(arguments)..., failure);
  sim::rethrow(failure);
  return value;
}

// A trainer of the plugin, on the host's side of the table: what the host's callback
// throws is kept here and thrown once the plugin has returned, so that no exception
// unwinds through the plugin's frames.
class PluginTrainer final : public sim::TrainerBackend {
 public:
  PluginTrainer(const GpuPlugin& plugin, std::unique_ptr<sim::TrainerBackend> trainer) : plugin_(plugin), trainer_(std::move(trainer)) {}
  std::string describe() const override { return plugin_.describe(*trainer_); }
  int concurrent_groups() const override { return plugin_.concurrent_groups(*trainer_); }
  std::vector<sim::TrainResult> train_group(const sim::Dataset& data, const sim::StudentKey& student, const std::vector<sim::TrainSpec>& specs,
                                            const std::function<void(std::size_t, const sim::TrainResult&)>& one_done) override {
    std::exception_ptr callback_failure;
    std::mutex failing;
    const std::function<void(std::size_t, const sim::TrainResult&)> reported = [&](std::size_t index, const sim::TrainResult& result) {
      {
        std::lock_guard lock(failing);
        if (callback_failure) return;
      }
      try {
        one_done(index, result);
      } catch (...) {
        std::lock_guard lock(failing);
        callback_failure = std::current_exception();
      }
    };
    std::vector<sim::TrainResult> results = call(plugin_.train_group, *trainer_, data, student, specs, reported);
    if (callback_failure) std::rethrow_exception(callback_failure);
    return results;
  }

 private:
  const GpuPlugin& plugin_;
  std::unique_ptr<sim::TrainerBackend> trainer_;
};

}  // namespace

DeviceProbe probe_devices() {
  std::string why;
  const GpuPlugin* plugin = gpu_plugin(why);
  if (!plugin) return {false, 0, why};
  return call(plugin->probe_devices);
}

std::string unsupported_on_gpu(const sim::TrainSpec& spec) {
  std::string why;
  const GpuPlugin* plugin = gpu_plugin(why);
  return plugin ? call(plugin->unsupported_on_gpu, spec) : why;
}

double gpu_group_memory_bytes(const sim::Dataset& data, int width, int configurations, int rank) {
  return call(required_gpu_plugin().gpu_group_memory_bytes, data, width, configurations, rank);
}

double gpu_memory_bytes(int device) { return call(required_gpu_plugin().gpu_memory_bytes, device); }

double measure_fp32_peak() {
  std::string why;
  const GpuPlugin* plugin = gpu_plugin(why);
  return plugin ? call(plugin->measure_fp32_peak) : 0;
}

std::unique_ptr<sim::TrainerBackend> make_gpu_backend(int device) {
  const GpuPlugin& plugin = required_gpu_plugin();
  return std::make_unique<PluginTrainer>(plugin, call(plugin.make_gpu_backend, device));
}

std::vector<std::unique_ptr<sim::TrainerBackend>> make_gpu_backends(int at_most) {
  const GpuPlugin& plugin = required_gpu_plugin();
  std::vector<std::unique_ptr<sim::TrainerBackend>> trainers;
  for (auto& trainer : call(plugin.make_gpu_backends, at_most)) trainers.push_back(std::make_unique<PluginTrainer>(plugin, std::move(trainer)));
  return trainers;
}

}  // namespace gammalab::cuda
