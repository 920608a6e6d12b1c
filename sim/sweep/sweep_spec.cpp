#include "sim/sweep/sweep_spec.hpp"

#include <toml++/toml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <variant>

#include "gamma/exponent.hpp"
#include "gamma/input_error.hpp"
#include "gamma/rank.hpp"
#include "gamma/scheme.hpp"
#include "sim/model/lora_init.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/sweep/spec_tables.hpp"

namespace gammalab::sim {

namespace {

const std::vector<std::string> kTables = {"sweep", "learning_rate", "init_sigma", "data", "model", "init",
                                          "optimizer", "schedule", "training", "record", "analysis"};

double exponent_value(const std::string& text) {
  gamma::Exponent e = gamma::parse_exponent(text);
  return e.is_minus_infinity() ? -INFINITY : static_cast<double>(e.value());
}

// A grid of positive numbers: `values = [...]`, or min/max/per_decade giving the points
// 10^(k/per_decade) inside [min, max], so that exact decades land on the grid.
std::vector<double> read_log_grid(TableReader& table, double default_min, double default_max, int default_per_decade) {
  std::vector<double> grid;
  if (const toml::array* values = table.array("values")) {
    if (values->empty()) table.fail("values", "is empty; accepted: a list of positive numbers, or min/max/per_decade");
    for (const auto& v : *values) {
      auto x = v.is_integer() ? std::optional<double>(static_cast<double>(*v.value<std::int64_t>())) : v.value<double>();
      if (!x || !(*x > 0) || !std::isfinite(*x)) table.fail("values", "got " + TableReader::text_of(v) + "; accepted: positive numbers");
      grid.push_back(*x);
    }
  }
  const bool has_range = table.find("min") || table.find("max") || table.find("per_decade");
  if (has_range && !grid.empty()) table.fail("values", "give either values or min/max/per_decade, not both");
  refuse_repeats(table, "values", grid);
  if (!grid.empty()) return grid;
  const double low = table.number("min", default_min, 1e-300, 1e300, "a positive number");
  const double high = table.number("max", default_max, 1e-300, 1e300, "a positive number");
  const int per_decade = table.integer("per_decade", default_per_decade, 1, 1000);
  if (!(low <= high)) table.fail("max", "must be at least min");
  const int first = static_cast<int>(std::ceil(std::log10(low) * per_decade - 1e-9));
  const int last = static_cast<int>(std::floor(std::log10(high) * per_decade + 1e-9));
  for (int k = first; k <= last; ++k) grid.push_back(std::pow(10.0, static_cast<double>(k) / per_decade));
  if (grid.empty()) table.fail("min", "no grid point lies in [min, max]");
  return grid;
}

}  // namespace

const gamma::Vocabulary<ScheduleSpec::Decay>& schedule_decays() {
  using Decay = ScheduleSpec::Decay;
  static const gamma::Vocabulary<Decay> vocabulary(
      "decay", {{Decay::Constant, "constant", "constant", {}}, {Decay::Linear, "linear", "linear", {}}, {Decay::Cosine, "cosine", "cosine", {}}});
  return vocabulary;
}

const gamma::Vocabulary<Criterion>& stability_criteria() {
  static const gamma::Vocabulary<Criterion> vocabulary(
      "stability criterion", {{Criterion::FinalLoss, "final_loss", "final loss", {}},
                              {Criterion::Output, "output", "output", {}},
                              {Criterion::Internal, "internal", "internal", {}}});
  return vocabulary;
}

const gamma::Vocabulary<Estimator>& estimators() {
  static const gamma::Vocabulary<Estimator> vocabulary(
      "estimator", {{Estimator::Optimal, "optimal", "optimal η", {}},
                    {Estimator::MaxStable, "max_stable", "max stable η (" + stability_criteria().title(Criterion::FinalLoss) + ")", {}}});
  return vocabulary;
}

const gamma::Vocabulary<Scale>& scales() {
  static const gamma::Vocabulary<Scale> vocabulary("scale", {{Scale::Quick, "quick", "quick (a CPU, minutes)", {}},
                                                            {Scale::Paper, "paper", "paper (a GPU)", {}},
                                                            {Scale::Custom, "custom", "custom", {}}});
  return vocabulary;
}

const gamma::Vocabulary<LossStatistic>& loss_statistics() {
  static const gamma::Vocabulary<LossStatistic> vocabulary(
      "loss statistic", {{LossStatistic::FinalTrain, "final_train", "final train loss", {}},
                         {LossStatistic::FinalTest, "final_test", "final test loss", {}},
                         {LossStatistic::LastKTrain, "last_k_train", "mean of the last K train losses", {}}});
  return vocabulary;
}

namespace {

// Each table of the spec is read by one function below, in the order of the file's
// reference (docs/simulator.md, "The spec file").

std::vector<std::string> read_schemes(TableReader& sweep) {
  const std::vector<std::string> known = simulator_schemes();
  const toml::array* schemes = sweep.array("schemes");
  if (!schemes || schemes->empty()) sweep.fail("schemes", "missing; accepted: a list of " + TableReader::join(known));
  std::vector<std::string> list;
  for (const auto& s : *schemes) {
    try {
      if (s.is_string()) {
        list.push_back(find_initialiser(*s.value<std::string>()).name);  // stored by its canonical name
        continue;
      }
    } catch (const InputError&) {
    }
    sweep.fail("schemes", "got " + TableReader::text_of(s) + "; accepted: " + TableReader::join(known));
  }
  refuse_repeats(sweep, "schemes", list);
  return list;
}

void read_sweep_table(TableReader sweep, SweepSpec& spec) {
  const toml::node* name = sweep.find("name");
  if (name && !name->is_string())
    sweep.fail("name", "got " + TableReader::text_of(*name) + ", " + TableReader::type_of(*name) + "; accepted: a quoted string, e.g. name = \"fig2\"");
  spec.name = name ? *name->value<std::string>() : "sweep";
  spec.scale = sweep.term("scale", Scale::Custom, scales());
  spec.widths = read_widths(sweep);
  spec.seeds = read_seeds(sweep);
  spec.schemes = read_schemes(sweep);
  spec.training.steps = sweep.integer("steps", TrainSpec{}.steps, 1, 10'000'000);
  sweep.finish();
}

void read_data_table(TableReader data, SweepSpec& spec) {
  TeacherSpec& teacher = spec.data;
  teacher.input_dim = data.integer("input_dim", TeacherSpec{}.input_dim, 1, 100000);
  teacher.width = data.integer("teacher_width", TeacherSpec{}.width, 1, 1 << 20);
  teacher.rank = data.integer("teacher_rank", TeacherSpec{}.rank, 1, 1 << 20);
  teacher.train_size = data.integer("train_size", TeacherSpec{}.train_size, 1, 10'000'000);
  teacher.test_size = data.integer("test_size", TeacherSpec{}.test_size, 1, 10'000'000);
  teacher.seed = static_cast<std::uint64_t>(data.integer("seed", static_cast<int>(TeacherSpec{}.seed), 0, INT32_MAX));
  spec.teachers = data.integer("teachers", SweepSpec{}.teachers, 1, kMaxTeachers);
  data.finish();
}

// The rank and the multiplier are axes, so that one sweep measures how the learning rate
// moves with r under each multiplier; α is one number for the whole sweep.
void read_model_table(TableReader model, SweepSpec& spec) {
  constexpr std::int64_t kLargestRank = 1 << 20;
  spec.ranks = model.axis<int>("rank", SweepSpec{}.ranks.front(), "a whole number from 1 to " + std::to_string(kLargestRank),
                               [&](const toml::node& item) -> std::optional<int> {
                                 auto value = item.value<std::int64_t>();
                                 if (!item.is_integer() || *value < 1 || *value > kLargestRank) return std::nullopt;
                                 return static_cast<int>(*value);
                               });
  refuse_repeats(model, "rank", spec.ranks);
  // Each κ by its canonical name, so that "1" and "lora" are the same multiplier.
  spec.multipliers = model.axis<std::string>(
      "multiplier", SweepSpec{}.multipliers.front(), gamma::multiplier_forms() + " (κ quoted: \"3/4\")",
      [](const toml::node& item) -> std::optional<std::string> {
        try {
          if (item.is_string()) return gamma::multiplier_name(gamma::parse_multiplier(*item.value<std::string>()));
          if (item.is_integer()) return gamma::multiplier_name(gamma::parse_multiplier(std::to_string(*item.value<std::int64_t>())));
        } catch (const InputError&) {
        }
        return std::nullopt;
      });
  refuse_repeats(model, "multiplier", spec.multipliers);
  // α = r (α/r = 1 under LoRA) is a default only for one rank: with several, α/r^κ
  // must vary with r for the rank to be a scaling dimension, so α is asked for.
  if (spec.ranks.size() > 1 && !model.find("alpha"))
    model.fail("alpha", "missing; with a list of ranks give α explicitly (e.g. alpha = 1): the default α = r would hold "
                        "α/r^κ fixed as r moves, and rank would not be a scaling dimension");
  spec.training.alpha = model.number("alpha", spec.ranks.front(), 1e-300, 1e300, "a positive number (α/r^κ scales the adapter)");
  spec.readouts = model.terms("readout", SweepSpec{}.readouts.front(), gamma::readouts());
  refuse_repeats(model, "readout", gamma::readouts().names(spec.readouts));
  model.finish();
  for (int rank : spec.ranks)
    for (int width : spec.widths)
      if (rank > width) model.fail("rank", "is " + std::to_string(rank) + ", larger than the width " + std::to_string(width));
}

void read_init_table(TableReader init, SweepSpec& spec) {
  InitSpec& i = spec.training.init;
  std::string subtract = init.choice("subtract_initial", "auto", {"auto", "on", "off"});
  if (subtract != "auto") i.subtract_initial_product = subtract == "on";
  i.sigma_A.constant = init.number("sigma_A_scale", InitSpec{}.sigma_A.constant, 0, 1e300, "a number ≥ 0");
  spec.custom_sigma_A_exponent = init.exponent("sigma_A_exponent", SweepSpec{}.custom_sigma_A_exponent);
  i.sigma_B.constant = init.number("sigma_B_scale", InitSpec{}.sigma_B.constant, 0, 1e300, "a number ≥ 0");
  spec.custom_sigma_B_exponent = init.exponent("sigma_B_exponent", SweepSpec{}.custom_sigma_B_exponent);
  i.sigma_A.exponent = exponent_value(spec.custom_sigma_A_exponent);
  i.sigma_B.exponent = exponent_value(spec.custom_sigma_B_exponent);
  i.inilora_steps = init.integer("inilora_steps", InitSpec{}.inilora_steps, 0, 1'000'000);
  init.finish();
  // σ = c·n^γ must be a number at every width the custom scheme trains: beyond a
  // double's range every entry, and every loss, would be inf or nan.
  if (std::find(spec.schemes.begin(), spec.schemes.end(), std::string(gamma::kCustomScheme)) == spec.schemes.end()) return;
  for (const auto& [name, scale, exponent] : {std::tuple{"sigma_A", i.sigma_A, spec.custom_sigma_A_exponent},
                                              std::tuple{"sigma_B", i.sigma_B, spec.custom_sigma_B_exponent}})
    for (int width : spec.widths)
      if (!std::isfinite(scale.at_width(width)))
        init.fail(std::string(name) + "_exponent", "\"" + shown(exponent) + "\" gives " + name + " = " + std::to_string(scale.constant) +
                                                       " · " + std::to_string(width) + "^" + shown(exponent) + " at width " +
                                                       std::to_string(width) + ", beyond the range of a double (about 1.8e308); "
                                                       "accepted: an exponent that keeps σ a number at every width of the sweep");
}

// The initial-scale axis (papers 000 and 002): σ of A's and B's entries, for the
// schemes whose A and B are both N(0, σ²).
void read_init_sigma_table(TableReader sigma, SweepSpec& spec) {
  spec.init_sigmas = read_log_grid(sigma, 1e-4, 1, 2);
  sigma.finish();
  std::string drawn_with_sigma;
  for (const auto& initialiser : scheme_initialisers())
    if (initialiser.takes_init_sigma) drawn_with_sigma += (drawn_with_sigma.empty() ? "" : " and ") + initialiser.name;
  for (const auto& scheme : spec.schemes)
    if (!find_initialiser(scheme).takes_init_sigma)
      sigma.fail("values", "sets σ of A's and B's entries, which only schemes " + drawn_with_sigma +
                           " draw from N(0, σ²); [sweep] schemes includes " + scheme);
}

void read_optimizer_table(TableReader optimizer, OptimizerSpec& o) {
  o.kind = optimizer.term("kind", OptimizerSpec{}.kind, gamma::optimizers());
  o.beta1 = optimizer.number("beta1", OptimizerSpec{}.beta1, 0, 0.999999, "a number in [0, 1)");
  o.beta2 = optimizer.number("beta2", OptimizerSpec{}.beta2, 0, 0.999999, "a number in [0, 1)");
  o.epsilon = optimizer.number("epsilon", OptimizerSpec{}.epsilon, 0, 1, "a number in [0, 1]");
  o.weight_decay = optimizer.number("weight_decay", OptimizerSpec{}.weight_decay, 0, 1e6, "a number ≥ 0");
  optimizer.finish();
}

void read_schedule_table(TableReader schedule, ScheduleSpec& s) {
  s.decay = schedule.term("decay", ScheduleSpec{}.decay, schedule_decays());
  s.warmup_steps = schedule.integer("warmup_steps", ScheduleSpec{}.warmup_steps, 0, 10'000'000);
  s.final_fraction = schedule.number("final_fraction", ScheduleSpec{}.final_fraction, 0, 1, "a number in [0, 1]");
  schedule.finish();
}

void read_training_tables(TableReader training, TableReader record, TrainSpec& t) {
  t.batch_size = training.integer("batch_size", TrainSpec{}.batch_size, 0, 10'000'000);
  t.divergence_bound = training.number("divergence_bound", TrainSpec{}.divergence_bound, 1e-300, 1e300, "a positive loss");
  training.finish();
  bool curves = record.boolean("curves", false);
  int every = record.integer("every", kDefaultRecordEvery, 1, 10'000'000);
  t.record_every = curves ? every : 0;
  record.finish();
}

// The horizons at which stability is read: those listed (default 10 and 100, where
// shorter than the run) and always the run's last step.
std::vector<int> read_horizons(TableReader& analysis, int steps) {
  std::vector<int> horizons;
  if (const toml::array* listed = analysis.array("horizons")) {
    for (const auto& h : *listed) {
      if (!h.is_integer() || *h.value<std::int64_t>() < 1 || *h.value<std::int64_t>() > steps)
        analysis.fail("horizons", "got " + TableReader::text_of(h) + "; accepted: steps from 1 to [sweep] steps = " + std::to_string(steps));
      horizons.push_back(static_cast<int>(*h.value<std::int64_t>()));
    }
    refuse_repeats(analysis, "horizons", horizons);
  } else {
    for (int h : {10, 100})
      if (h < steps) horizons.push_back(h);
  }
  if (std::find(horizons.begin(), horizons.end(), steps) == horizons.end()) horizons.push_back(steps);
  std::sort(horizons.begin(), horizons.end());
  return horizons;
}

void read_analysis_table(TableReader analysis, SweepSpec& spec) {
  spec.analysis.loss = analysis.term("loss", AnalysisSpec{}.loss, loss_statistics());
  spec.training.last_k = analysis.integer("last_k", TrainSpec{}.last_k, 1, 10'000'000);
  spec.analysis.bootstrap = analysis.integer("bootstrap", AnalysisSpec{}.bootstrap, 0, 1'000'000);
  spec.analysis.stable_factor = analysis.number("stable_factor", AnalysisSpec{}.stable_factor, 1e-300, 1e300, "a positive number");
  spec.analysis.optimum_window = analysis.number("optimum_window", AnalysisSpec{}.optimum_window, 0, 10, "a log-loss difference from 0 to 10");
  spec.analysis.edge_factor = analysis.number("edge_factor", AnalysisSpec{}.edge_factor, 1, 1e300, "a number ≥ 1 (the loss may rise to this × the initial)");
  spec.analysis.internal_bound = analysis.number("internal_bound", AnalysisSpec{}.internal_bound, 1e-300, 1e300, "a positive RMS of s·Z_B");
  spec.analysis.margin = analysis.number("margin", AnalysisSpec{}.margin, 0, 10, "a margin of exponents from 0 to 10, e.g. 0.125");
  std::vector<std::string> measures = {estimators().name(Estimator::Optimal)};
  for (Criterion c : stability_criteria().values()) measures.push_back(stability_criteria().name(c));
  if (analysis.array("primary")) {
    spec.analysis.primary = analysis.axis<std::string>("primary", "", TableReader::join(measures), [&](const toml::node& item) -> std::optional<std::string> {
      if (item.is_string())
        for (const auto& name : measures)
          if (gamma::same_name(*item.value<std::string>(), name)) return name;
      return std::nullopt;
    });
    refuse_repeats(analysis, "primary", spec.analysis.primary);
  }
  spec.training.horizons = read_horizons(analysis, spec.training.steps);
  if (const toml::array* range = analysis.array("slope_widths")) {
    if (range->size() != 2 || !(*range)[0].is_integer() || !(*range)[1].is_integer())
      analysis.fail("slope_widths", "accepted: [smallest, largest] widths, e.g. [512, 8192]");
    spec.analysis.slope_min_width = static_cast<int>(*(*range)[0].value<std::int64_t>());
    spec.analysis.slope_max_width = static_cast<int>(*(*range)[1].value<std::int64_t>());
    for (int end : {spec.analysis.slope_min_width, spec.analysis.slope_max_width})
      if (std::find(spec.widths.begin(), spec.widths.end(), end) == spec.widths.end())
        analysis.fail("slope_widths", "names the width " + std::to_string(end) + ", which [sweep] widths does not train");
    if (spec.analysis.slope_min_width >= spec.analysis.slope_max_width)
      analysis.fail("slope_widths", "accepted: [smallest, largest] with smallest < largest, two widths of the sweep");
  }
  analysis.finish();
}

void read_refinement(TableReader& lr, SweepSpec& spec) {
  spec.refine.edge_precision = lr.number("edge_precision", RefineSpec{}.edge_precision, 0, 1, "a relative precision from 0 (the grid alone) to 1, e.g. 0.03");
  spec.refine.extend_up_to = lr.number("extend_up_to", RefineSpec{}.extend_up_to, 0, 1e300, "0 (no extension) or a rate above the grid's largest");
  const double largest = *std::max_element(spec.learning_rates.begin(), spec.learning_rates.end());
  if (spec.refine.extend_up_to != 0 && !(spec.refine.extend_up_to > largest))
    lr.fail("extend_up_to", "is " + std::to_string(spec.refine.extend_up_to) + ", not above the grid's largest rate " +
                                std::to_string(largest) + "; accepted: 0 (no extension) or a larger rate");
  if (spec.refine.extend_up_to != 0 && !(spec.refine.edge_precision > 0))
    lr.fail("extend_up_to", "extends the grid to locate edges, which needs edge_precision > 0");
  spec.refine.optimum_per_decade = lr.integer("optimum_per_decade", RefineSpec{}.optimum_per_decade, 0, 1000);
}

// Defined below parse_sweep_spec, which it serves with spec_from_json.
SweepSpec spec_of_tables(const toml::table& root, const std::string& origin);
}  // namespace

SweepSpec parse_sweep_spec(const std::string& text, const std::string& origin) {
  const toml::table root = parse_toml(text, origin);
  return spec_of_tables(root, origin);
}

namespace {

// The spec's tables, whether from a file or from a manifest (spec_from_json): every
// key checked the same way.
SweepSpec spec_of_tables(const toml::table& root, const std::string& origin) {
  check_table_names(root, origin, kTables);
  auto table = [&](const std::string& name) { return TableReader(root[name].as_table(), origin, name); };

  SweepSpec spec;
  read_sweep_table(table("sweep"), spec);
  TableReader lr = table("learning_rate");
  spec.learning_rates = read_log_grid(lr, 1e-5, 1e-1, 8);
  spec.lr_ratio = lr.number("ratio", SweepSpec{}.lr_ratio, 1e-300, 1e300, "a positive number (η_B = ratio × η_A)");
  read_refinement(lr, spec);
  lr.finish();
  read_data_table(table("data"), spec);
  read_model_table(table("model"), spec);
  read_init_table(table("init"), spec);
  if (root.contains("init_sigma")) read_init_sigma_table(table("init_sigma"), spec);
  read_optimizer_table(table("optimizer"), spec.training.optimizer);
  read_schedule_table(table("schedule"), spec.training.schedule);
  read_training_tables(table("training"), table("record"), spec.training);
  read_analysis_table(table("analysis"), spec);
  return spec;
}

}  // namespace

std::string read_spec_file(const std::string& path) {
  if (std::filesystem::is_directory(path))
    throw InputError(path + ": is a directory, not a spec file; give the path of a TOML spec (e.g. experiments/fig2-quick.toml)");
  std::ifstream file(path);
  if (!file) throw InputError(path + ": cannot read the spec file (" + (std::filesystem::exists(path) ? "permission denied" : "no such file") + ")");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

SweepSpec load_sweep_spec(const std::string& path) { return parse_sweep_spec(read_spec_file(path), path); }

double multiplier_exponent(const std::string& multiplier) { return static_cast<double>(gamma::parse_multiplier(multiplier)); }

// The spec as data, in the tables and keys of its file, every value explicit: a grid's
// points, the seeds, the defaults the file left out. spec_from_json reads it back with
// the checks of a file, so both directions share one vocabulary.
nlohmann::json spec_to_json(const SweepSpec& spec) {
  const TrainSpec& t = spec.training;
  nlohmann::json json;
  json["sweep"] = {{"name", spec.name},       {"scale", scales().name(spec.scale)}, {"widths", spec.widths},
                   {"seeds", spec.seeds},     {"schemes", spec.schemes}, {"steps", t.steps}};
  json["learning_rate"] = {{"values", spec.learning_rates},
                           {"ratio", spec.lr_ratio},
                           {"edge_precision", spec.refine.edge_precision},
                           {"extend_up_to", spec.refine.extend_up_to}};
  // Written only where set, so that the specs written before it have the same hash.
  if (spec.refine.optimum_per_decade > 0) json["learning_rate"]["optimum_per_decade"] = spec.refine.optimum_per_decade;
  if (!spec.init_sigmas.empty()) json["init_sigma"] = {{"values", spec.init_sigmas}};
  json["data"] = {{"input_dim", spec.data.input_dim},   {"teacher_width", spec.data.width}, {"teacher_rank", spec.data.rank},
                  {"train_size", spec.data.train_size}, {"test_size", spec.data.test_size}, {"seed", spec.data.seed},
                  {"teachers", spec.teachers}};
  json["model"] = {{"rank", spec.ranks},
                   {"multiplier", spec.multipliers},
                   {"alpha", t.alpha},
                   {"readout", gamma::readouts().names(spec.readouts)}};
  const auto& subtract = t.init.subtract_initial_product;
  json["init"] = {{"subtract_initial", !subtract ? "auto" : *subtract ? "on" : "off"},
                  {"sigma_A_scale", t.init.sigma_A.constant},
                  {"sigma_A_exponent", spec.custom_sigma_A_exponent},
                  {"sigma_B_scale", t.init.sigma_B.constant},
                  {"sigma_B_exponent", spec.custom_sigma_B_exponent},
                  {"inilora_steps", t.init.inilora_steps}};
  json["optimizer"] = {{"kind", gamma::optimizers().name(t.optimizer.kind)},
                       {"beta1", t.optimizer.beta1},
                       {"beta2", t.optimizer.beta2},
                       {"epsilon", t.optimizer.epsilon},
                       {"weight_decay", t.optimizer.weight_decay}};
  json["schedule"] = {{"decay", schedule_decays().name(t.schedule.decay)},
                      {"warmup_steps", t.schedule.warmup_steps},
                      {"final_fraction", t.schedule.final_fraction}};
  json["training"] = {{"batch_size", t.batch_size}, {"divergence_bound", t.divergence_bound}};
  json["record"] = {{"curves", t.record_every > 0}, {"every", t.record_every > 0 ? t.record_every : kDefaultRecordEvery}};
  json["analysis"] = {{"loss", loss_statistics().name(spec.analysis.loss)},
                      {"last_k", t.last_k},
                      {"bootstrap", spec.analysis.bootstrap},
                      {"stable_factor", spec.analysis.stable_factor},
                      {"optimum_window", spec.analysis.optimum_window},
                      {"edge_factor", spec.analysis.edge_factor},
                      {"internal_bound", spec.analysis.internal_bound},
                      {"margin", spec.analysis.margin},
                      {"primary", spec.analysis.primary},
                      {"horizons", t.horizons}};
  if (spec.analysis.slope_min_width != 0 || spec.analysis.slope_max_width != 0)
    json["analysis"]["slope_widths"] = {spec.analysis.slope_min_width, spec.analysis.slope_max_width};
  return json;
}

namespace {

using TomlValue = std::variant<toml::table, toml::array, std::string, bool, std::int64_t, double>;

// A JSON value as the TOML value it stands for.
TomlValue toml_of(const nlohmann::json& value, const std::string& origin) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::object: {
      toml::table table;
      for (const auto& [key, item] : value.items()) std::visit([&](auto&& v) { table.insert(key, std::move(v)); }, toml_of(item, origin));
      return table;
    }
    case Type::array: {
      toml::array array;
      for (const auto& item : value) std::visit([&](auto&& v) { array.push_back(std::move(v)); }, toml_of(item, origin));
      return array;
    }
    case Type::string: return value.get<std::string>();
    case Type::boolean: return value.get<bool>();
    case Type::number_integer:
    case Type::number_unsigned: return value.get<std::int64_t>();
    case Type::number_float: return value.get<double>();
    default: throw InputError(origin + ": " + value.dump() + " has no place in a spec");
  }
}

}  // namespace

SweepSpec spec_from_json(const nlohmann::json& json, const std::string& origin) {
  if (!json.is_object()) throw InputError(origin + ": a spec is an object of tables, not " + json.dump());
  return spec_of_tables(std::get<toml::table>(toml_of(json, origin)), origin);
}

}  // namespace gammalab::sim
