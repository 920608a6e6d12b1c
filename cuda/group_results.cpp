#include "cuda/group_results.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "sim/model/training_rules.hpp"

namespace gammalab::cuda {

namespace {

// The final factors of configuration c, without the stored columns past the rank.
void unpack_factors(const GroupRecord& record, int c, sim::TrainResult& r) {
  const int R = record.stored_rank, n = record.width;
  r.final_A.resize(record.rank, n);
  r.final_B.resize(n, record.rank);
  for (int k = 0; k < record.rank; ++k)
    for (int j = 0; j < n; ++j) {
      r.final_A(k, j) = record.A[(static_cast<std::size_t>(c) * R + k) * n + j];
      r.final_B(j, k) = record.B[(static_cast<std::size_t>(c) * n + j) * R + k];
    }
}

}  // namespace

std::vector<sim::TrainResult> assemble_results(const sim::TrainSpec& spec, const GroupRecord& record) {
  const int T = spec.steps, C = static_cast<int>(record.diverged.size());
  std::vector<sim::TrainResult> results(static_cast<std::size_t>(C));
  for (int c = 0; c < C; ++c) {
    sim::TrainResult& r = results[c];
    auto loss_at = [&](int t) { return static_cast<double>(record.history[static_cast<std::size_t>(t - 1) * C + c]); };
    r.fit_residual = record.fit_residual[c];
    r.initial_train_loss = T > 0 ? loss_at(1) : static_cast<double>(record.final_train[c]);
    const int diverged_at = record.diverged[c];
    r.steps_done = diverged_at ? diverged_at - 1 : T;
    // The horizons within the steps done take the largest loss so far and the device's
    // RMS; those at or past a divergence keep their +inf.
    r.horizons.resize(spec.horizons.size());
    for (std::size_t i = 0; i < spec.horizons.size(); ++i) r.horizons[i].step = spec.horizons[i];
    std::size_t next_horizon = 0;
    std::vector<double> kept;
    for (int t = 1; t <= r.steps_done; ++t) {
      r.max_train_loss = std::max(r.max_train_loss, loss_at(t));
      kept.push_back(loss_at(t));
      if (next_horizon < spec.horizons.size() && spec.horizons[next_horizon] == t) {
        sim::HorizonRecord& horizon = r.horizons[next_horizon];
        horizon.max_train_loss = r.max_train_loss;
        horizon.rms_Z_B = record.horizon_rms[next_horizon * C + c];
        ++next_horizon;
      }
    }
    for (std::size_t i = 0; i < record.record_steps.size(); ++i) {
      const int t = record.record_steps[i];
      if (t > r.steps_done) break;
      const std::size_t at = i * C + c;
      r.curve.push_back({t, loss_at(t), record.record_test[at], spec.schedule.factor(t, T), record.norm_A[at], record.norm_B[at]});
    }
    if (spec.keep_factors) unpack_factors(record, c, r);
    const std::size_t last_k = std::min<std::size_t>(kept.size(), static_cast<std::size_t>(spec.last_k));
    double sum = 0;
    for (std::size_t i = kept.size() - last_k; i < kept.size(); ++i) sum += kept[i];
    r.mean_last_train = last_k ? sum / static_cast<double>(last_k) : r.initial_train_loss;
    r.final_train_loss = record.final_train[c];
    r.final_test_loss = record.final_test[c];
    if (diverged_at) {
      r.diverged = true;
      r.diverged_step = diverged_at;
    } else if (sim::loss_diverged(r.final_train_loss, spec.divergence_bound)) {
      r.diverged = true;  // the very last update blew up
      r.diverged_step = sim::diverged_after_last_step(T);
    }
    if (r.diverged) r.final_train_loss = r.final_test_loss = r.mean_last_train = INFINITY;
  }
  return results;
}

}  // namespace gammalab::cuda
