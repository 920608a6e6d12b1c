#include "sim/sweep/stability.hpp"

#include <stdexcept>

namespace gammalab::sim {

gamma::Region gamma::Verdicts::*bound_of(Criterion criterion) {
  return criterion == Criterion::Internal ? &gamma::Verdicts::lora_output_bounded : &gamma::Verdicts::network_output_bounded;
}

std::vector<StabilityMeasure> stability_measures(const SweepSpec& spec) {
  std::vector<StabilityMeasure> measures = {{Criterion::FinalLoss}};
  for (Criterion criterion : {Criterion::Output, Criterion::Internal})
    for (std::size_t h = 0; h < spec.training.horizons.size(); ++h) measures.push_back({criterion, h});
  return measures;
}

bool is_stable(const RunRow& run, const StabilityMeasure& measure, const AnalysisSpec& analysis, int steps) {
  if (measure.criterion == Criterion::FinalLoss)
    return !run.diverged && run.final_train_loss <= analysis.stable_factor * run.initial_train_loss;
  const HorizonRecord& at = run.horizons.at(measure.horizon);
  const bool diverged_by_then = run.diverged && (run.diverged_step <= at.step || at.step == steps);
  if (diverged_by_then || !std::isfinite(at.max_train_loss)) return false;
  if (measure.criterion == Criterion::Output) return at.max_train_loss <= analysis.edge_factor * run.initial_train_loss;
  return std::isfinite(at.rms_Z_B) && at.rms_Z_B <= analysis.internal_bound;
}

SeedEdge seed_edge(const std::vector<const RunRow*>& ascending, const StabilityMeasure& measure, const SweepSpec& spec) {
  SeedEdge edge;
  bool failed_above = false;  // a failure above the lowest stable rate has been met
  for (std::size_t i = 0; i < ascending.size(); ++i) {
    const bool stable = is_stable(*ascending[i], measure, spec.analysis, spec.training.steps);
    if (stable && failed_above) edge.non_monotone = true;
    else if (stable) edge.last_monotone_stable = i;
    else if (edge.last_monotone_stable) failed_above = true;
  }
  return edge;
}

}  // namespace gammalab::sim
