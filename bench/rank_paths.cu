// The measurement behind cuda/group_memory.cuh's kernels_for_rank: one training step of
// each kind of step kernels (StepKernels: the fused tensor-core kernels, at the stored
// ranks they hold, and the GEMMs) for one group of C configurations at width n, on the
// teacher's default data (sim::TeacherSpec: N = 1000, as in bench/paper-sweep.toml),
// AdamW. A step's time is (time of T₂ steps − time of T₁ steps) / (T₂ − T₁), each run a
// group of its own built
// beforehand, so that the setup and the final losses cancel; a recorded point's (feature
// norms and test loss) likewise from runs of T₁ steps with and without a record at each.
// Beside each, the group's memory: the estimate (group_memory_bytes) and what the device
// lost to the group while it was built (cudaMemGetInfo).
//
//   rank_paths [--width n] [--configs C]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "cuda/group_trainer.cuh"
#include "sim/model/teacher.hpp"

// Inside the project's namespace rather than `using` it: a global using-directive for
// gammalab::cuda makes CUB's own `cuda::std` ambiguous in nvcc's generated stubs.
namespace gammalab::cuda::bench {

constexpr int kFewSteps = 3, kMoreSteps = 13;

struct Setting {
  sim::Dataset data;
  sim::StudentKey key;
  int configs, multiprocessors;
};

// Adapters of rank R with every column in use (Init[A]'s shapes): the step's work does
// not depend on their values.
HostAdapters random_adapters(int R, int n, int C) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  HostAdapters out;
  out.rank = R;
  const std::size_t size = static_cast<std::size_t>(C) * R * n;
  out.A.resize(size), out.B.resize(size), out.A0.assign(size, 0.0f), out.B0.assign(size, 0.0f);
  for (float& a : out.A) a = normal(rng) / std::sqrt(static_cast<float>(n));
  for (float& b : out.B) b = 1e-3f * normal(rng);
  for (int c = 0; c < C; ++c) {
    out.lr_A.push_back(1e-4f), out.lr_B.push_back(1e-4f);
    out.fit_residual.push_back(0.0);
  }
  return out;
}

struct Run {
  double seconds, estimated_bytes, allocated_bytes;
};

template <int R, StepKernels KERNELS>
Run run(const Setting& s, int steps, int record_every) {
  sim::TrainSpec spec;
  spec.rank = spec.alpha = R;
  spec.steps = steps;
  spec.record_every = record_every;
  const std::vector<sim::TrainSpec> specs(static_cast<std::size_t>(s.configs), spec);
  std::size_t free_before = 0, free_after = 0, total = 0;
  CUDA_CHECK(cudaDeviceSynchronize());
  CUDA_CHECK(cudaMemGetInfo(&free_before, &total));
  Lane lane;
  GroupTrainer<R, KERNELS> trainer(s.data, s.key, specs, random_adapters(R, s.key.width, s.configs), s.multiprocessors, lane);
  CUDA_CHECK(cudaDeviceSynchronize());
  CUDA_CHECK(cudaMemGetInfo(&free_after, &total));
  const auto start = std::chrono::steady_clock::now();
  trainer.run();  // ends with the stream synchronised
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {seconds, group_memory_bytes(s.data, s.key.width, s.configs, R, KERNELS),
          static_cast<double>(free_before - free_after)};
}

template <int R, StepKernels KERNELS>
void measure(const Setting& s) {
  run<R, KERNELS>(s, kFewSteps, 0);  // warm-up: the kernels' first launches
  const Run few = run<R, KERNELS>(s, kFewSteps, 0), more = run<R, KERNELS>(s, kMoreSteps, 0);
  const Run recorded = run<R, KERNELS>(s, kFewSteps, 1);
  const double step = (more.seconds - few.seconds) / (kMoreSteps - kFewSteps);
  const double record = (recorded.seconds - few.seconds) / kFewSteps;
  std::printf("%-11s rank %3d: step %8.3f ms, record %8.3f ms, memory estimated %6.2f GiB, allocated %6.2f GiB\n",
              KERNELS == StepKernels::TensorCore ? "tensor-core" : "gemm", R, 1e3 * step, 1e3 * record,
              few.estimated_bytes / (1 << 30), few.allocated_bytes / (1 << 30));
  std::fflush(stdout);
}

int run_all(int argc, char** argv) {
  int width = 4096, configs = 33;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--width")) width = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--configs")) configs = std::atoi(argv[i + 1]);
  }
  try {
    cudaDeviceProp properties{};
    CUDA_CHECK(cudaGetDeviceProperties(&properties, 0));
    const Setting s{sim::make_teacher_dataset(sim::TeacherSpec{}),
                    {width, sim::Readout::Standard, 1}, configs, properties.multiProcessorCount};
    std::printf("%s: width %d, %d configurations, N = %d, AdamW; step from %d and %d steps\n", properties.name, width, configs,
                static_cast<int>(s.data.X_train.rows()), kFewSteps, kMoreSteps);
    measure<1, StepKernels::TensorCore>(s);
    measure<4, StepKernels::TensorCore>(s);
    measure<16, StepKernels::TensorCore>(s);
    measure<1, StepKernels::Gemm>(s);
    measure<4, StepKernels::Gemm>(s);
    measure<16, StepKernels::Gemm>(s);
    measure<32, StepKernels::Gemm>(s);
    measure<64, StepKernels::Gemm>(s);
    measure<128, StepKernels::Gemm>(s);
    measure<256, StepKernels::Gemm>(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank_paths: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace gammalab::cuda::bench

int main(int argc, char** argv) { return gammalab::cuda::bench::run_all(argc, argv); }
