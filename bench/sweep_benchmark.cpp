// The sweep benchmark: trains every configuration of a sweep spec (by default the
// paper-scale figure 2 sweep) as `gammalab sweep` does — groups balanced by FLOPs over
// the trainers — without writing result files, and reports wall time, the arithmetic
// count Σ steps·N·n·(10r + 5), the achieved rate and — on the GPU — the fraction of
// the cards' FP32 rate (measured on GPU 0 in the same run, times the GPUs used).
//
//   sweep_benchmark [SPEC] [--device gpu|cpu] [--gpus K] [--threads N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "cuda/device_probe.hpp"
#include "cuda/fp32_peak.hpp"
#include "cuda/gpu_backend.hpp"
#include "sim/model/lora_network.hpp"
#include "sim/sweep/sweep.hpp"

using namespace gammalab;

int main(int argc, char** argv) {
  std::string spec_path = "bench/paper-sweep.toml", device = "gpu";
  int threads = static_cast<int>(std::thread::hardware_concurrency()), gpus = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--gpus") && i + 1 < argc) gpus = std::atoi(argv[++i]);
    else if (argv[i][0] != '-') spec_path = argv[i];
    else {
      std::fprintf(stderr, "usage: sweep_benchmark [SPEC] [--device gpu|cpu] [--gpus K] [--threads N]\n");
      return 2;
    }
  }
  try {
    sim::SweepSpec spec = sim::load_sweep_spec(spec_path);
    std::vector<std::unique_ptr<sim::TrainerBackend>> owned;
    double peak = 0;
    if (device == "gpu") {
      owned = cuda::make_gpu_backends(std::max(gpus, 1));
      peak = cuda::measure_fp32_peak() * static_cast<double>(owned.size());
    } else {
      owned.push_back(std::make_unique<sim::CpuBackend>(threads));
    }
    std::vector<sim::TrainerBackend*> trainers;
    for (const auto& t : owned) trainers.push_back(t.get());
    const std::vector<sim::Dataset> teachers = sim::make_teacher_datasets(spec.data, spec.teachers);
    const auto groups = sim::group_configurations(spec, sim::enumerate_configurations(spec));

    double flops = 0;
    std::size_t configurations = 0, diverged = 0;
    const auto start = std::chrono::steady_clock::now();
    sim::train_groups(spec, teachers, groups, trainers, [&](const sim::Configuration& c, const sim::TrainResult& r) {
      flops += r.steps_done * sim::lora_step_flops(spec.data.train_size, c.width, c.rank);
      diverged += r.diverged;
      ++configurations;
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("spec %s: %zu configurations (%zu diverged), %d steps, widths %d … %d\n", spec_path.c_str(), configurations,
                diverged, spec.training.steps, spec.widths.front(), spec.widths.back());
    std::printf("device: %s\n", sim::describe_trainers(trainers).c_str());
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
