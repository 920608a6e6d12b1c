// One full-batch training step of the simulator (forward, loss, backward and two AdamW
// updates) at widths 2^5 … 2^13 with N = 256 and 1000 data points and rank 4. Reports FLOP/s
// against the arithmetic count N·n·(10r + 5) of the step (sim/model/lora_network.hpp).
// The frozen activations are random here: building a real student at n = 8192 costs a
// 1000 × 8192 × 8192 product once, and the step's cost does not depend on them.
#include <benchmark/benchmark.h>

#include "sim/model/lora_network.hpp"
#include "sim/model/optimizer.hpp"
#include "sim/model/random.hpp"

namespace {

void TrainingStep(benchmark::State& state) {
  using namespace gammalab::sim;
  const int width = static_cast<int>(state.range(0)), rows = static_cast<int>(state.range(1)), rank = 4;
  Rng rng(1, "benchmark");
  Eigen::MatrixXd Z = rng.normal_matrix(rows, width, 1.0).cwiseMax(0.0);
  Eigen::MatrixXd H0 = rng.normal_matrix(rows, width, 1.0);
  Eigen::VectorXd y = rng.normal_matrix(rows, 1, 1.0), w = rng.normal_matrix(width, 1, 1 / std::sqrt(double(width)));
  Eigen::MatrixXd A = rng.normal_matrix(rank, width, 1 / std::sqrt(double(width)));
  Eigen::MatrixXd B = rng.normal_matrix(width, rank, 1e-3);
  OptimizerSpec adamw;
  AdamMoments moments_A, moments_B;
  int step = 0;
  for (auto _ : state) {
    LoraGradients g = lora_loss_and_gradients({Z, H0, y}, A, B, w, 1.0);
    ++step;
    apply_update(adamw, step, 1e-4, g.A, A, moments_A);
    apply_update(adamw, step, 1e-4, g.B, B, moments_B);
    benchmark::DoNotOptimize(g.loss);
  }
  const double flops = lora_step_flops(rows, width, rank);
  state.counters["flops_per_step"] = flops;
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

// Widths 2^5 … 2^13; N = 256 (the quick fig2's data) and 1000 (the paper's).
BENCHMARK(TrainingStep)
    ->ArgsProduct({benchmark::CreateRange(1 << 5, 1 << 13, 2), {256, 1000}})
    ->ArgNames({"width", "rows"})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
