#pragma once
// Training one group on the GPU: its memory (group_memory.cuh), its step
// (training_step.cuh) replayed as a graph, the recorded points and horizons in between,
// the group rebuilt without its diverged configurations where enough have diverged, and
// the results in the CPU trainer's terms (group_results.hpp).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <numeric>
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

// When a group looks for diverged configurations to drop: after steps 8, 16, 32, … (a
// synchronisation each, microseconds). Most diverging runs of a learning-rate grid cross
// the bound within their first five steps; the later checks catch the slower ones.
constexpr bool is_divergence_check(int step) { return step >= 8 && (step & (step - 1)) == 0; }

// Whether dropping `diverged` of the C configurations in place pays for rebuilding the
// group (new buffers and a new graph: milliseconds): from an eighth of them on.
constexpr bool worth_dropping(int diverged, int C) { return diverged > 0 && 8 * diverged >= C; }

template <int R, StepKernels KERNELS = kernels_for_rank(R)>
class GroupTrainer {
  using Memory = GroupMemory<R, KERNELS>;
  using Step = TrainingStep<R, KERNELS>;

 public:
  // On `lane`, which must outlive the trainer; the trainer's buffers are stream-ordered on
  // the lane's stream (device_buffer.hpp), and trainers on one thread must end in the
  // reverse order of their start, as local variables do.
  GroupTrainer(const sim::Dataset& data, const sim::StudentKey& key, const std::vector<sim::TrainSpec>& specs,
               const HostAdapters& adapters, int multiprocessors, Lane& lane)
      : first_(specs.front()), multiprocessors_(multiprocessors), stream_(lane.stream), blas_(lane.blas), allocation_(stream_),
        memory_(std::make_unique<Memory>(data, key, adapters, multiprocessors, blas_, stream_)),
        step_(std::make_unique<Step>(*memory_, blas_, stream_, first_)), fit_residual_(adapters.fit_residual) {}

  // Trains the group's steps (once). A configuration that diverges stops counting at
  // that step (sim/model/training_rules.hpp: nothing after it is read), so where enough
  // of them have (worth_dropping), the group is rebuilt without them and the rest train
  // on. Each stretch of steps between rebuilds writes its own records on the device,
  // which `collect` puts back in the group's first order.
  std::vector<sim::TrainResult> run() {
    const int T = first_.steps, C = memory_->C;
    DeviceBuffer<kernels::StepScalars> scalars(step_scalars());
    DeviceBuffer<int> step(std::vector<int>{1});
    GroupRecord record{first_.rank, R, memory_->n};
    for (int t = 1; t <= T; ++t)
      if (sim::is_recorded_step(t, T, first_.record_every)) record.record_steps.push_back(t);
    const std::vector<int>& horizons = first_.horizons;
    const std::size_t points = record.record_steps.size();
    auto per_config = [C](std::size_t count, float value) { return std::vector<float>(count * C, value); };
    record.history = per_config(static_cast<std::size_t>(std::max(T, 1)), NAN);
    record.record_test = record.norm_A = record.norm_B = per_config(points, NAN);
    record.horizon_rms = per_config(horizons.size(), NAN);
    record.final_train = record.final_test = per_config(1, INFINITY);  // what a dropped (diverged) one keeps
    record.diverged.assign(static_cast<std::size_t>(C), 0);
    if (first_.keep_factors) record.A = record.B = std::vector<float>(memory_->A.size());
    in_first_order_.resize(static_cast<std::size_t>(C));
    std::iota(in_first_order_.begin(), in_first_order_.end(), 0);
    rebuilds_ = 0;

    auto stretch = std::make_unique<StretchRecords>(memory_->C, T, points, horizons.size());
    auto enqueue = [&] { step_->enqueue(scalars.get(), step.get(), stretch->history.get()); };
    std::optional<StepGraph> graph;
    if (T >= 2) graph.emplace(stream_, enqueue);
    std::size_t next_record = 0, next_horizon = 0;
    int stretch_begins = 1;
    for (int t = 1; t <= T; ++t) {
      if (is_divergence_check(t - 1)) {
        const std::vector<int> kept = not_diverged();
        if (worth_dropping(memory_->C - static_cast<int>(kept.size()), memory_->C)) {
          graph.reset();
          collect(*stretch, stretch_begins, t - 1, record);
          collect_factors(leaving(kept), record);
          if (kept.empty()) return finish(record);  // every configuration has diverged
          rebuild(kept);
          stretch_begins = t;
          stretch = std::make_unique<StretchRecords>(memory_->C, T, points, horizons.size());
          graph.emplace(stream_, enqueue);
        }
      }
      // Curves and horizons see the parameters before step t's update, as on the CPU.
      if (next_record < points && record.record_steps[next_record] == t) {
        const std::size_t at = next_record++ * static_cast<std::size_t>(memory_->C);
        step_->feature_norms(stretch->norm_A.get() + at, stretch->norm_B.get() + at);
        step_->test_loss(stretch->record_test.get() + at);
      }
      if (next_horizon < horizons.size() && horizons[next_horizon] == t)
        step_->adapter_output_rms(stretch->horizon_rms.get() + next_horizon++ * static_cast<std::size_t>(memory_->C));
      if (graph) graph->launch(enqueue);
      else enqueue();
    }
    graph.reset();
    collect(*stretch, stretch_begins, T, record);
    collect_factors(in_place(), record);
    // The losses after the last update.
    Floats final_train(static_cast<std::size_t>(memory_->C)), final_test(final_train.size());
    step_->train_loss(final_train.get());
    step_->test_loss(final_test.get());
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    scatter(final_train.download(), record.final_train);
    scatter(final_test.download(), record.final_test);
    return finish(record);
  }

  // How many times the last run rebuilt the group without its diverged configurations.
  int rebuilds() const { return rebuilds_; }

 private:
  // What one stretch of steps records on the device for the C configurations in place, in
  // GroupRecord's layouts: every step's training loss, the recorded points and the
  // horizons' RMS.
  struct StretchRecords {
    Floats history, record_test, norm_A, norm_B, horizon_rms;
    StretchRecords(int configs, int T, std::size_t points, std::size_t horizons) {
      const std::size_t C = static_cast<std::size_t>(configs);
      history = Floats(static_cast<std::size_t>(std::max(T, 1)) * C);
      record_test = Floats(points * C), norm_A = Floats(points * C), norm_B = Floats(points * C);
      horizon_rms = Floats(horizons * C);
    }
  };

  // The configurations in place that have not diverged, by their index in place.
  std::vector<int> not_diverged() const {
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    const std::vector<int> diverged = memory_->diverged.download();
    std::vector<int> kept;
    for (int k = 0; k < static_cast<int>(diverged.size()); ++k)
      if (!diverged[k]) kept.push_back(k);
    return kept;
  }

  // Copies what the stretch of steps `from` … `to` recorded for the configurations in
  // place into `record`, at their places in the group's first order: the losses of those
  // steps, the points and horizons among them, and the steps at which they diverged.
  void collect(const StretchRecords& device, int from, int to, GroupRecord& record) const {
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    const std::vector<float> history = device.history.download(), record_test = device.record_test.download(),
                             norm_A = device.norm_A.download(), norm_B = device.norm_B.download(),
                             horizon_rms = device.horizon_rms.download();
    for (int t = from; t <= to; ++t) scatter(history, record.history, t - 1);
    for (std::size_t i = 0; i < record.record_steps.size(); ++i)
      if (from <= record.record_steps[i] && record.record_steps[i] <= to) {
        scatter(record_test, record.record_test, i);
        scatter(norm_A, record.norm_A, i);
        scatter(norm_B, record.norm_B, i);
      }
    for (std::size_t i = 0; i < first_.horizons.size(); ++i)
      if (from <= first_.horizons[i] && first_.horizons[i] <= to) scatter(horizon_rms, record.horizon_rms, i);
    scatter(memory_->diverged.download(), record.diverged);
  }

  // Row `row` of `in_place` (rows of one entry per configuration in place, in order) into
  // the same row of `first_order` (rows of one per configuration of the group as it
  // began), each entry at its configuration's first place.
  template <class T>
  void scatter(const std::vector<T>& in_place, std::vector<T>& first_order, std::size_t row = 0) const {
    const std::size_t C = in_first_order_.size(), C0 = first_order.size() / (in_place.size() / C);
    for (std::size_t k = 0; k < C; ++k) first_order[row * C0 + static_cast<std::size_t>(in_first_order_[k])] = in_place[row * C + k];
  }

  // The final factors (where the specs keep them) of the configurations in place listed in
  // `leaving` (by their index in place), as they leave the device: at a rebuild those
  // dropped, after the last step all.
  void collect_factors(const std::vector<int>& leaving, GroupRecord& record) const {
    if (!first_.keep_factors || leaving.empty()) return;
    const std::vector<float> A = memory_->A.download(), B = memory_->B.download();
    const std::size_t block = static_cast<std::size_t>(memory_->factor_size());
    for (int k : leaving) {
      const std::size_t c = static_cast<std::size_t>(in_first_order_[k]);
      std::copy_n(A.begin() + k * block, block, record.A.begin() + c * block);
      std::copy_n(B.begin() + k * block, block, record.B.begin() + c * block);
    }
  }

  // The configurations in place (their indices in place): all, or those not in `kept`.
  std::vector<int> in_place() const {
    std::vector<int> all(in_first_order_.size());
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
  std::vector<int> leaving(const std::vector<int>& kept) const {
    std::vector<int> out;
    for (int k : in_place())
      if (!std::binary_search(kept.begin(), kept.end(), k)) out.push_back(k);
    return out;
  }

  // The group without its diverged configurations: `kept` indexes those in place.
  void rebuild(const std::vector<int>& kept) {
    std::vector<int> in_first_order;
    for (int k : kept) in_first_order.push_back(in_first_order_[k]);
    in_first_order_ = std::move(in_first_order);
    step_.reset();
    memory_ = std::make_unique<Memory>(std::move(memory_), kept, multiprocessors_, stream_);
    step_ = std::make_unique<Step>(*memory_, blas_, stream_, first_);
    ++rebuilds_;
  }

  std::vector<sim::TrainResult> finish(GroupRecord& record) const {
    record.fit_residual = fit_residual_;
    return assemble_results(first_, record);
  }

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

  const sim::TrainSpec first_;  // a copy: the caller's specs need not outlive the trainer
  const int multiprocessors_;
  const cudaStream_t stream_;
  Cublas& blas_;
  const StreamOrderedAllocation allocation_;  // for every buffer the trainer creates, until it ends
  std::unique_ptr<Memory> memory_;
  std::unique_ptr<Step> step_;
  std::vector<double> fit_residual_;
  std::vector<int> in_first_order_;  // the index in the group as it began of each configuration in place
  int rebuilds_ = 0;
};

}  // namespace gammalab::cuda
