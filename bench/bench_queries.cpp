// What users wait for besides training, each timed alone (the program's own start, its
// loading of shared libraries, is timed from outside with perf stat: docs/simulator.md,
// "Benchmark: an engine query and a refinement round"):
//   - EngineSolveSchemeA: one exact engine query, the computation of
//     `gammalab gamma solve --scheme A` (the model chosen, every verdict's region, the
//     maximal stable γ[η] as a law), without printing;
//   - RefinementPlanning: the planning of the quick fig2's first refinement round (the
//     rates every stability edge of its 80 lines asks for next, sim/sweep/refinement.hpp) from
//     its 1,040 grid rows, here of a synthetic edge at η = 0.3·n^-1/2 (the rows' values
//     are what planning reads; no training is timed).
#include <benchmark/benchmark.h>

#include <cmath>

#include "experiments/engine_report.hpp"
#include "sim/sweep/refinement.hpp"
#include "sim/sweep/sweep.hpp"

namespace {

using namespace gammalab;

void EngineSolveSchemeA(benchmark::State& state) {
  experiments::ModelOptions options;
  options.scheme = "A";
  for (auto _ : state) {
    experiments::SolveReport report = experiments::solve_report(options);
    benchmark::DoNotOptimize(report);
  }
}

// The grid rows of `spec` as a run whose every stability criterion holds exactly below
// η = 0.3·n^-1/2 (tests/test_refinement.cpp's synthetic edge).
std::vector<sim::RunRow> synthetic_grid_rows(const sim::SweepSpec& spec) {
  std::vector<sim::RunRow> rows;
  for (const sim::Configuration& c : sim::enumerate_configurations(spec)) {
    const bool stable = c.lr_A < 0.3 / std::sqrt(static_cast<double>(c.width));
    const double loss = stable ? 0.5 : 5;
    sim::RunRow row{c.id, c.scheme, c.width, c.seed, c.lr_A, c.lr_B, 1, loss, loss, loss, loss, false};
    row.steps_done = spec.training.steps;
    row.init_sigma = c.init_sigma;
    row.readout = c.readout;
    row.rank = c.rank;
    row.multiplier = c.multiplier;
    for (int h : spec.training.horizons) row.horizons.push_back({h, stable ? 1.0 : 5.0, stable ? 1.0 : 1e4});
    rows.push_back(row);
  }
  return rows;
}

void RefinementPlanning(benchmark::State& state) {
  const sim::SweepSpec spec = sim::load_sweep_spec(GAMMALAB_SOURCE_DIR "/experiments/fig2-quick.toml");
  const std::vector<sim::RunRow> rows = synthetic_grid_rows(spec);
  std::size_t proposed = 0;
  for (auto _ : state) {
    const std::vector<sim::Configuration> round = sim::refinement_round(spec, rows, 1);
    proposed = round.size();
    benchmark::DoNotOptimize(round.data());
  }
  state.counters["grid_rows"] = static_cast<double>(rows.size());
  state.counters["proposed"] = static_cast<double>(proposed);
}

}  // namespace

BENCHMARK(EngineSolveSchemeA)->Unit(benchmark::kMillisecond);
BENCHMARK(RefinementPlanning)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
