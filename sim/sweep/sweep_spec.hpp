#pragma once
// A sweep described by a TOML spec file: which widths, learning rates, seeds and
// schemes to train, how, and how to analyse the result. Every key is checked: an
// unknown key or a bad value is an InputError naming the file, the table, the key, the
// value and what is accepted. The reference of every key is in
// docs/simulator.md, "The spec file".
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gamma/vocabulary.hpp"
#include "sim/model/student.hpp"
#include "sim/model/trainer.hpp"

namespace gammalab::sim {

// Which loss of a run the analysis compares across learning rates.
enum class LossStatistic { FinalTrain, FinalTest, LastKTrain };
const gamma::Vocabulary<LossStatistic>& loss_statistics();
// The learning-rate schedule's decay after warm-up.
const gamma::Vocabulary<ScheduleSpec::Decay>& schedule_decays();
// The stability criteria of a width sweep (defined in sim/sweep/stability.hpp): final_loss,
// output, internal, as summary.json names them.
enum class Criterion { FinalLoss, Output, Internal };
const gamma::Vocabulary<Criterion>& stability_criteria();
// The two learning rates the analysis estimates per (arm, width); "optimal", "max_stable":
// the prefix of their keys in summary.json, and measures `[analysis] primary` may name.
enum class Estimator { Optimal, MaxStable };
const gamma::Vocabulary<Estimator>& estimators();
// Which spec a sweep is: quick (a 2-core CPU in minutes), paper (the papers' grid, on a
// GPU) or custom (any other); recorded in the manifest.
enum class Scale { Quick, Paper, Custom };
const gamma::Vocabulary<Scale>& scales();

struct AnalysisSpec {
  LossStatistic loss = LossStatistic::FinalTrain;
  int bootstrap = 1000;        // resamples over seeds
  double stable_factor = 1.0;  // stable: not diverged and final train loss ≤ factor × initial
  int slope_min_width = 0, slope_max_width = 0;  // 0: every width
  // The optimum is the vertex of a parabola through the grid points whose seed-averaged
  // log loss lies within this of the best (sim/sweep/optimum.hpp;
  // docs/simulator.md, "`gammalab analyze DIR`", justifies 0.1).
  double optimum_window = 0.1;
  // The two stability criteria read at each horizon (TrainSpec::horizons):
  //   output:   the largest train loss so far at most edge_factor × the initial one;
  //   internal: the RMS of the adapter's output s·Z_B at most internal_bound.
  double edge_factor = 2.0;
  double internal_bound = 100.0;
  // The margin δ of the verdicts: a slope agrees with the engine's exponent e when its
  // interval lies inside [e − δ, e + δ] (sim/analysis/statistics.hpp). 1/8 is half the smallest
  // gap between the exponents the engine gives LoRA's learning rates (−1, −3/4, −1/2,
  // 0): an interval that agrees with one of them excludes the others.
  double margin = 0.125;
  // The experiment's primary slopes, by measure ("optimal", "final_loss", "output",
  // "internal"; a criterion at the last horizon), along the width: the family Holm's
  // correction is applied to (sim/analysis/slope_verdicts.hpp).
  std::vector<std::string> primary = {"optimal", "output"};
};

// Locating stability edges beyond the grid's resolution (sim/sweep/refinement.hpp): after the
// grid, each (arm, width, seed)'s edges are bisected in log η until the last stable and
// the first unstable rate differ by at most a factor 1 + edge_precision, and where a
// run is still stable at the grid's largest rate, rates above it are tried up to
// extend_up_to. With optimum_per_decade, each seed's best grid rate is surrounded by
// rates at that spacing in the first round, so that the optimum's vertex rests on at
// least five points (sim/sweep/optimum.hpp). All 0: the grid alone.
struct RefineSpec {
  double edge_precision = 0;
  double extend_up_to = 0;
  int optimum_per_decade = 0;
  bool enabled() const { return edge_precision > 0 || optimum_per_decade > 0; }
};

// [record] every: the spacing of curves.csv's steps when [record] curves is on.
inline constexpr int kDefaultRecordEvery = 10;

// [data] teachers accepts 1 to this: each teacher trains the whole grid again.
inline constexpr int kMaxTeachers = 100;

struct SweepSpec {
  std::string name;
  Scale scale = Scale::Custom;
  std::vector<int> widths;
  std::vector<std::uint64_t> seeds;
  std::vector<std::string> schemes;
  std::vector<double> learning_rates;  // of A; B's is ratio × this
  std::vector<double> init_sigmas;     // [init_sigma]: σ of A's and B's entries (AB, inilora-alpha); empty: the scheme's own
  double lr_ratio = 1.0;
  TeacherSpec data;
  // [data] teachers: how many teachers (and data sets) the sweep draws, each with every
  // student of the grid (sim/model/teacher.hpp: seed_under_teacher); the analysis resamples
  // teachers and the seeds within each (sim/analysis/statistics.hpp).
  int teachers = 1;
  std::vector<Readout> readouts = {Readout::Standard};  // an axis: [model] readout, one or a list
  std::vector<int> ranks = {4};                         // an axis: [model] rank, one or a list
  // An axis: [model] multiplier, each κ of the adapter's scale α/r^κ by its name
  // (gamma::multiplier_name: "lora", "rslora", "3/4"), the exact text the engine reads.
  std::vector<std::string> multipliers = {"lora"};
  // α, init options, optimiser, schedule, steps, batch, bound, recording. Its rank and
  // multiplier_exponent are each configuration's, set by train_spec_of (sim/sweep/sweep.hpp).
  TrainSpec training;
  std::string custom_sigma_A_exponent = "-1/2", custom_sigma_B_exponent = "-inf";  // exact text, for the γ engine
  AnalysisSpec analysis;
  RefineSpec refine;

  // The configurations of the grid; refinement adds its own (sim/sweep/refinement.hpp).
  std::size_t configuration_count() const {
    return widths.size() * static_cast<std::size_t>(teachers) * seeds.size() * readouts.size() * ranks.size() * multipliers.size() * schemes.size() *
           std::max<std::size_t>(init_sigmas.size(), 1) * learning_rates.size();
  }
};

// κ of a multiplier's name (SweepSpec::multipliers) as the trainers use it.
double multiplier_exponent(const std::string& multiplier);

SweepSpec parse_sweep_spec(const std::string& text, const std::string& origin);
// The text of a spec file; InputError naming the path when it cannot be read.
std::string read_spec_file(const std::string& path);
SweepSpec load_sweep_spec(const std::string& path);

// The spec as data (a manifest keeps it so): its tables and keys as in a file, with
// every value explicit. spec_from_json reads it back with a file's checks; `origin`
// names it in errors. spec_from_json(spec_to_json(s)) trains and analyses as s does.
nlohmann::json spec_to_json(const SweepSpec& spec);
SweepSpec spec_from_json(const nlohmann::json& json, const std::string& origin);

}  // namespace gammalab::sim
