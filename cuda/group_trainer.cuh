#pragma once
// Training one group on the GPU: its memory (group_memory.cuh), its step
// (training_step.cuh) replayed as a graph, the recorded points and horizons in between,
// and the results in the CPU trainer's terms (group_results.hpp).
#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <vector>

#include "cuda/group_memory.cuh"
#include "cuda/group_results.hpp"
#include "cuda/training_step.cuh"
#include "sim/model/training_rules.hpp"

namespace gammalab::cuda {

// The configurations of a group must share what the step's graph fixes.
inline void check_group(const std::vector<sim::TrainSpec>& specs) {
  const sim::TrainSpec& first = specs.front();
  for (const auto& spec : specs)
    if (spec.steps != first.steps || spec.rank != first.rank || spec.alpha != first.alpha || spec.multiplier_exponent != first.multiplier_exponent ||
        spec.record_every != first.record_every || spec.optimizer.kind != first.optimizer.kind ||
        spec.schedule.decay != first.schedule.decay || spec.divergence_bound != first.divergence_bound ||
        spec.horizons != first.horizons)
      throw std::logic_error("a GPU group must share steps, rank, α, optimiser, schedule, recording and horizons");
}

template <int R, StepKernels KERNELS = kernels_for_rank(R)>
class GroupTrainer {
 public:
  GroupTrainer(const sim::Dataset& data, const sim::StudentKey& key, const std::vector<sim::TrainSpec>& specs,
               const HostAdapters& adapters, int multiprocessors)
      : first_(specs.front()), blas_(stream_), memory_(data, key, adapters, multiprocessors, blas_, stream_),
        step_(memory_, blas_, stream_, first_), fit_residual_(adapters.fit_residual) {}

  std::vector<sim::TrainResult> run() {
    const int T = first_.steps, C = memory_.C;
    DeviceBuffer<kernels::StepScalars> scalars(step_scalars());
    DeviceBuffer<int> step(std::vector<int>{1});
    Floats history(static_cast<std::size_t>(std::max(T, 1)) * C);
    GroupRecord record{first_.rank, R, memory_.n};
    for (int t = 1; t <= T; ++t)
      if (sim::is_recorded_step(t, T, first_.record_every)) record.record_steps.push_back(t);
    const std::size_t records = record.record_steps.size() * static_cast<std::size_t>(C);
    Floats record_test(records), norm_A(records), norm_B(records);
    const std::vector<int>& horizons = first_.horizons;
    Floats horizon_rms(horizons.size() * static_cast<std::size_t>(C));

    auto enqueue = [&] { step_.enqueue(scalars.get(), step.get(), history.get()); };
    std::optional<StepGraph> graph;
    if (T >= 2) graph.emplace(stream_, enqueue);
    std::size_t next_record = 0, next_horizon = 0;
    for (int t = 1; t <= T; ++t) {
      // Curves and horizons see the parameters before step t's update, as on the CPU.
      if (next_record < record.record_steps.size() && record.record_steps[next_record] == t) {
        const std::size_t at = next_record++ * static_cast<std::size_t>(C);
        step_.feature_norms(norm_A.get() + at, norm_B.get() + at);
        step_.test_loss(record_test.get() + at);
      }
      if (next_horizon < horizons.size() && horizons[next_horizon] == t)
        step_.adapter_output_rms(horizon_rms.get() + next_horizon++ * static_cast<std::size_t>(C));
      if (graph) graph->launch(enqueue);
      else enqueue();
    }
    graph.reset();
    // The losses after the last update.
    Floats final_train(static_cast<std::size_t>(C)), final_test(static_cast<std::size_t>(C));
    step_.train_loss(final_train.get());
    step_.test_loss(final_test.get());
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    record.history = history.download();
    record.diverged = memory_.diverged.download();
    record.final_train = final_train.download();
    record.final_test = final_test.download();
    record.record_test = record_test.download();
    record.norm_A = norm_A.download();
    record.norm_B = norm_B.download();
    record.horizon_rms = horizon_rms.download();
    if (first_.keep_factors) {
      record.A = memory_.A.download();
      record.B = memory_.B.download();
    }
    record.fit_residual = fit_residual_;
    return assemble_results(first_, record);
  }

 private:
  // The scalars of steps 1 … T (index 0 unused): the schedule's factor and Adam's bias
  // corrections, computed in double on the host as on the CPU.
  std::vector<kernels::StepScalars> step_scalars() const {
    const int T = first_.steps;
    std::vector<kernels::StepScalars> scalars(static_cast<std::size_t>(T) + 1);
    for (int t = 1; t <= T; ++t)
      scalars[t] = {static_cast<float>(first_.schedule.factor(t, T)), static_cast<float>(1 - std::pow(first_.optimizer.beta1, t)),
                    static_cast<float>(1 - std::pow(first_.optimizer.beta2, t))};
    return scalars;
  }

  const sim::TrainSpec& first_;
  Stream stream_;
  Cublas blas_;
  GroupMemory<R, KERNELS> memory_;
  TrainingStep<R, KERNELS> step_;
  std::vector<double> fit_residual_;
};

}  // namespace gammalab::cuda
