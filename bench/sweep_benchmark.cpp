// The sweep benchmark: trains every configuration of a sweep spec (by default the
// paper-scale figure 2 sweep) on one backend, without writing result files, and
// reports wall time, the arithmetic count Σ steps·N·n·(10r + 5), the achieved rate and
// — on the GPU — the fraction of the card's FP32 rate measured in the same run.
//
//   sweep_benchmark [SPEC] [--device gpu|cpu] [--threads N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "cuda/device_probe.hpp"
#include "cuda/fp32_peak.hpp"
#include "cuda/gpu_backend.hpp"
#include "sim/lora_network.hpp"
#include "sim/sweep.hpp"

using namespace gammalab;

int main(int argc, char** argv) {
  std::string spec_path = "experiments/fig2-paper.toml", device = "gpu";
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (argv[i][0] != '-') spec_path = argv[i];
    else {
      std::fprintf(stderr, "usage: sweep_benchmark [SPEC] [--device gpu|cpu] [--threads N]\n");
      return 2;
    }
  }
  try {
    sim::SweepSpec spec = sim::load_sweep_spec(spec_path);
    std::unique_ptr<sim::TrainerBackend> backend;
    double peak = 0;
    if (device == "gpu") {
      backend = cuda::make_gpu_backend();
      peak = cuda::measure_fp32_peak();
    } else {
      backend = std::make_unique<sim::CpuBackend>(threads);
    }
    sim::Dataset data = sim::make_teacher_dataset(spec.data);
    std::map<std::pair<int, std::uint64_t>, std::vector<sim::TrainSpec>> groups;
    for (const auto& c : sim::enumerate_configurations(spec)) groups[{c.width, c.seed}].push_back(sim::train_spec_of(spec, c));

    double flops = 0;
    std::size_t configurations = 0, diverged = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const auto& [key, specs] : groups) {
      auto results = backend->train_group(data, {key.first, spec.readout, key.second}, specs, [](std::size_t, const sim::TrainResult&) {});
      for (const auto& r : results) {
        flops += r.steps_done * sim::lora_step_flops(spec.data.train_size, key.first, spec.training.rank);
        diverged += r.diverged;
      }
      configurations += specs.size();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("spec %s: %zu configurations (%zu diverged), %d steps, widths %d … %d\n", spec_path.c_str(), configurations,
                diverged, spec.training.steps, spec.widths.front(), spec.widths.back());
    std::printf("device: %s\n", backend->describe().c_str());
    std::printf("wall time: %.2f s\n", seconds);
    std::printf("arithmetic: %.3g FLOP (Σ steps · N·n·(10r+5)); achieved %.3g FLOP/s\n", flops, flops / seconds);
    if (peak > 0)
      std::printf("measured FP32 peak %.3g FLOP/s: floor %.2f s, achieved %.1f%% of peak\n", peak, flops / peak,
                  100 * flops / seconds / peak);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sweep_benchmark: %s\n", e.what());
    return 1;
  }
  return 0;
}
