#include "experiments/engine_report.hpp"

#include <algorithm>
#include <sstream>

#include "gamma/calculus_rules.hpp"
#include "gamma/input_error.hpp"
#include "gamma/work_limit.hpp"
#include "sim/analysis/results_view.hpp"

namespace gammalab::experiments {

using gamma::Notation;

Analysis analyse(const ModelChoice& choice, int at_least_steps, std::vector<gamma::DerivationLine>* derivation) {
  Analysis analysis;
  static_cast<gamma::EngineAnswer&>(analysis) = gamma::answer(choice.model, at_least_steps, derivation);
  analysis.choice = choice;
  return analysis;
}

namespace {

std::string piece_text(const gamma::Polyhedron& piece, Notation notation) {
  if (piece.conditions().empty()) return "everywhere";
  std::string text = "{";
  for (std::size_t i = 0; i < piece.conditions().size(); ++i)
    text += (i ? ", " : "") + piece.conditions()[i].to_string(notation);
  return text + "}";
}

using sim::aligned_table;

// The verdicts a model's tables show: the parts of stability only where there are two.
std::vector<gamma::VerdictKind> verdict_rows(const gamma::LoraModel& model) {
  std::vector<gamma::VerdictKind> rows;
  for (const auto& kind : gamma::verdict_kinds())
    if (!kind.is_bound || model.setting == gamma::Setting::Network) rows.push_back(kind);
  return rows;
}

}  // namespace

std::string region_text(const gamma::Region& region, const std::vector<std::string>& free) {
  if (free.empty()) return region.is_empty() ? "no" : "yes";
  if (free.size() == 1) return gamma::interval_notation(region, free.front());
  if (region.is_empty()) return "empty";
  std::string text;
  for (const auto& piece : region.pieces()) text += (text.empty() ? "" : " ∪ ") + piece_text(piece, Notation::Text);
  return text;
}

nlohmann::json region_json(const gamma::Region& region, const std::vector<std::string>& free) {
  if (free.empty()) return !region.is_empty();
  if (free.size() == 1) return gamma::interval_notation(region, free.front());
  nlohmann::json pieces = nlohmann::json::array();
  for (const auto& piece : region.pieces()) {
    nlohmann::json conditions = nlohmann::json::array();
    for (const auto& condition : piece.conditions()) conditions.push_back(condition.to_string(Notation::Ascii));
    pieces.push_back(conditions);
  }
  return pieces;
}

bool is_eta_against_rank(const std::vector<std::string>& free) {
  return free.size() == 2 && free[0] == "eta" && free[1] == gamma::kRankParameter;
}

namespace {

std::string piece_range(const gamma::SupremumPiece& piece) {
  if (piece.from && piece.to && *piece.from == *piece.to) return "ρ = " + gamma::to_string(*piece.from);
  return "ρ ∈ " + std::string(piece.from_included ? "[" : "(") + (piece.from ? gamma::to_string(*piece.from) : "-inf") + ", " +
         (piece.to ? gamma::to_string(*piece.to) : "inf") + (piece.to_included ? "]" : ")");
}

std::vector<gamma::SupremumPiece> stable_eta_against_rank(const Analysis& analysis) {
  return gamma::supremum_along(analysis.every_step.stable, "eta", std::string(gamma::kRankParameter));
}

}  // namespace

std::string max_stable_text(const Analysis& analysis) {
  const auto& free = analysis.choice.free_parameters;
  const auto& stable = analysis.every_step.stable;
  if (is_eta_against_rank(free)) {
    auto pieces = stable_eta_against_rank(analysis);
    if (pieces.empty()) return "none: never stable";
    std::string text;
    for (const auto& piece : pieces)
      text += (text.empty() ? "" : "; ") + piece_range(piece) + ": " +
              (piece.value ? piece.value->to_string(Notation::Text) + (piece.attained ? " (attained)" : " (not attained)")
                           : "unbounded");
    return text;
  }
  if (gamma::is_unbounded_above(stable, free.front())) return "none: stable for every value";
  auto top = gamma::supremum(stable, free.front());
  if (!top) return "none: never stable";
  return top->attained ? gamma::to_string(top->value) + " (attained)" : "approaches " + gamma::to_string(top->value) + " (not attained)";
}

nlohmann::json max_stable_json(const Analysis& analysis) {
  const auto& free = analysis.choice.free_parameters;
  if (is_eta_against_rank(free)) {
    nlohmann::json pieces = nlohmann::json::array();
    for (const auto& piece : stable_eta_against_rank(analysis))
      pieces.push_back({{"from", piece.from ? nlohmann::json(gamma::to_string(*piece.from)) : nlohmann::json(nullptr)},
                        {"to", piece.to ? nlohmann::json(gamma::to_string(*piece.to)) : nlohmann::json(nullptr)},
                        {"from_included", piece.from_included},
                        {"to_included", piece.to_included},
                        {"value", piece.value ? nlohmann::json(piece.value->to_string(Notation::Ascii)) : nlohmann::json(nullptr)},
                        {"attained", piece.attained}});
    return {{"parameter", "eta"}, {"along", gamma::kRankParameter}, {"pieces", pieces}};
  }
  if (free.size() != 1) return nullptr;
  auto top = gamma::supremum(analysis.every_step.stable, free.front());
  if (!top) return nullptr;
  return {{"parameter", free.front()}, {"value", gamma::to_string(top->value)}, {"attained", top->attained}};
}

bool law_is_computed(const ModelOptions& options) {
  return !(options.optimizer == gamma::Optimizer::Sgd && options.setting == gamma::Setting::Network);
}

std::optional<gamma::ScalingLaw> max_stable_law(const ModelOptions& options) {
  if (!law_is_computed(options)) return std::nullopt;
  ModelOptions symbolic = options;
  symbolic.rho = "free";
  if (!symbolic.eta_A && !symbolic.eta_B) symbolic.eta = "free";
  const ModelChoice choice = choose_model(symbolic);
  if (!is_eta_against_rank(choice.free_parameters)) return std::nullopt;
  return gamma::max_stable_law(choice.model, &gamma::Verdicts::stable);
}

nlohmann::json law_json(const std::optional<gamma::ScalingLaw>& law) {
  if (!law) return nullptr;
  return {{"width_exponent", gamma::to_string(law->width_exponent)}, {"rank_exponent", gamma::to_string(law->rank_exponent)},
          {"attained", law->attained}, {"text", gamma::to_string(*law)}};
}

std::string law_text(const std::optional<gamma::ScalingLaw>& law, const ModelOptions& options) {
  if (!law_is_computed(options)) return kLawNotComputed;
  if (!law) return "none near a fixed rank (unbounded, or never stable)";
  return "η_max = Θ(" + gamma::to_string(*law) + ")" + (law->attained ? "" : ", the edge itself unstable");
}

std::string settle_sentence(const Analysis& analysis) {
  const auto& trajectory = analysis.trajectory;
  if (!trajectory.settled_from)
    return "The exponents were still changing at step " + std::to_string(trajectory.horizon()) +
           ": every verdict below holds for the steps up to it only.";
  return "The exponents settle from step " + std::to_string(*trajectory.settled_from) +
         " on: every later step repeats it exactly.";
}

std::string verdict_table(const Analysis& analysis) {
  const auto& free = analysis.choice.free_parameters;
  std::vector<std::string> header = {"verdict"};
  for (const auto& window : gamma::verdict_windows().terms())
    header.push_back(window.value != gamma::VerdictWindow::FromSettled ? window.title
                     : analysis.from_settled ? "from step " + std::to_string(*analysis.trajectory.settled_from) + " on"
                                             : "(not settled)");
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& row : verdict_rows(analysis.choice.model)) {
    std::vector<std::string> cells = {(row.is_bound ? "  of which " : "") + row.label};
    for (gamma::VerdictWindow window : gamma::verdict_windows().values()) {
      const gamma::Verdicts* verdicts = gamma::verdicts_in(analysis, window);
      cells.push_back(verdicts ? region_text(verdicts->*row.member, free) : "—");
    }
    rows.push_back(cells);
  }
  std::ostringstream out;
  out << aligned_table(rows);
  if (free.size() == 1 && free.front() == "eta")
    out << "maximal stable γ[η] (every step): " << max_stable_text(analysis) << "\n";
  else if (free.size() == 1)
    out << "largest stable " << gamma::parameter_symbol(free.front(), Notation::Text) << ": " << max_stable_text(analysis) << "\n";
  else if (is_eta_against_rank(free))
    out << "maximal stable γ[η] against ρ (every step): " << max_stable_text(analysis) << "\n";
  if (analysis.choice.model.setting == gamma::Setting::Network)
    out << "stability binds on: " << gamma::binding_constraint(analysis.every_step) << "\n";
  return out.str();
}

nlohmann::json verdicts_json(const Analysis& analysis) {
  auto window = [&](const gamma::Verdicts& verdicts) {
    nlohmann::json object;
    for (const auto& row : verdict_rows(analysis.choice.model))
      object[row.key] = region_json(verdicts.*row.member, analysis.choice.free_parameters);
    if (analysis.choice.model.setting == gamma::Setting::Network) object["binding"] = gamma::binding_constraint(verdicts);
    return object;
  };
  nlohmann::json windows;
  for (const auto& kind : gamma::verdict_windows().terms()) {
    const gamma::Verdicts* verdicts = gamma::verdicts_in(analysis, kind.value);
    windows[kind.name] = verdicts ? window(*verdicts) : nlohmann::json(nullptr);
  }
  return windows;
}

std::string exponent_table(const Analysis& analysis, int last_step) {
  const auto& model = analysis.choice.model;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"quantity"};
  for (int t = 0; t <= last_step; ++t) header.push_back("t=" + std::to_string(t));
  rows.push_back(header);
  for (const auto& quantity : gamma::all_quantities()) {
    if (!gamma::is_reported(quantity.id, model)) continue;
    std::vector<std::string> row = {quantity.symbol};
    for (int t = 0; t <= last_step; ++t) {
      const auto& exponents = analysis.trajectory.steps.at(std::min(t, analysis.trajectory.horizon()));
      auto found = exponents.find(quantity.id);
      row.push_back(found == exponents.end() ? "·" : found->second.to_string(Notation::Text));
    }
    rows.push_back(row);
  }
  return aligned_table(rows);
}

nlohmann::json steps_json(const Analysis& analysis, int last_step) {
  nlohmann::json steps = nlohmann::json::array();
  for (int t = 0; t <= last_step; ++t) {
    nlohmann::json exponents;
    for (const auto& [quantity, value] : analysis.trajectory.steps.at(std::min(t, analysis.trajectory.horizon())))
      if (gamma::is_reported(quantity, analysis.choice.model))
        exponents[gamma::info(quantity).key] = value.to_string(Notation::Ascii);
    steps.push_back({{"t", t}, {"exponents", exponents}});
  }
  return steps;
}

namespace {

void check_steps(int steps) {
  if (steps < 0 || steps > 64) reject("--steps", "must be a whole number from 0 to 64, not " + std::to_string(steps));
}

nlohmann::json settled_json(const Analysis& analysis) {
  return analysis.trajectory.settled_from ? nlohmann::json(*analysis.trajectory.settled_from) : nullptr;
}

}  // namespace

PredictReport predict_report(const ModelOptions& options, int steps) {
  check_steps(steps);
  PredictReport report;
  ModelChoice choice = choose_model(options);
  report.analysis = analyse(choice, steps);
  report.last_step = steps > 0 ? steps : report.analysis.trajectory.horizon();
  // With one shared learning rate fixed, also say where its exponent may go at most.
  if (choice.shared_learning_rate && choice.free_parameters.empty()) {
    ModelOptions symbolic = options;
    symbolic.eta = "free";
    report.over_eta = analyse(choose_model(symbolic));
    report.law = max_stable_law(options);
  }
  return report;
}

nlohmann::json PredictReport::json() const {
  return {{"command", "predict"},
          {"model", analysis.choice.to_json()},
          {"steps", steps_json(analysis, last_step)},
          {"horizon", analysis.trajectory.horizon()},
          {"settled_from", settled_json(analysis)},
          {"verdicts", verdicts_json(analysis)},
          {"max_stable_eta", over_eta ? max_stable_json(*over_eta) : nullptr},
          {"max_stable_law", law_json(law)}};
}

SolveReport solve_report(const ModelOptions& options) {
  if (options.rho && *options.rho == "free" && !law_is_computed(options)) reject("--rho", kLawNotComputed);
  ModelChoice choice = choose_model(options);
  if (choice.free_parameters.size() != 1 && !is_eta_against_rank(choice.free_parameters))
    reject("--eta", "solve needs exactly one free parameter, or γ[η] with --rho free (now " +
                        std::to_string(choice.free_parameters.size()) +
                        "); leave --eta out or set one option to 'free', and use 'gamma phase' for two");
  std::optional<gamma::ScalingLaw> law;
  if (choice.free_parameters.front() == "eta") law = max_stable_law(options);
  SolveReport report{analyse(choice), law, std::nullopt};
  if (!report.analysis.trajectory.settled_from && choice.free_parameters.size() == 1) {
    // The maxima step by step cost about as much again as the verdicts; past the work
    // limit the finite-horizon answer stands alone, as it would without a pattern.
    try {
      gamma::WorkLimit limit;
      report.limit = gamma::limit_of_maxima(
          gamma::stable_maxima_by_step(report.analysis.trajectory, choice.model, choice.free_parameters.front()));
    } catch (const gamma::WorkLimitReached&) {
    }
  }
  return report;
}

std::string step_limit_text(const SolveReport& report) {
  if (!report.limit) return "";
  const auto& limit = *report.limit;
  const std::string symbol = gamma::parameter_symbol(report.analysis.choice.free_parameters.front(), Notation::Text);
  return "as the steps grow: maximal stable " + symbol + " → " + gamma::to_string(limit.value) + " (the maxima over steps " +
         std::to_string(limit.pattern_from) + " … " + std::to_string(report.analysis.trajectory.horizon()) + " are exactly " +
         limit.pattern() + " at step t: the exponent that binds grows by a fixed affine amount each step, and the limit is "
         "where that growth vanishes; gamma/step_limit.hpp)\n";
}

nlohmann::json SolveReport::json() const {
  return {{"command", "solve"},
          {"model", analysis.choice.to_json()},
          {"horizon", analysis.trajectory.horizon()},
          {"settled_from", settled_json(analysis)},
          {"verdicts", verdicts_json(analysis)},
          {"max_stable", max_stable_json(analysis)},
          {"max_stable_law", law_json(law)},
          {"limit", limit ? nlohmann::json{{"value", gamma::to_string(limit->value)},
                                           {"pattern", limit->pattern()},
                                           {"from_step", limit->pattern_from},
                                           {"to_step", analysis.trajectory.horizon()}}
                          : nlohmann::json(nullptr)}};
}

ExplainReport explain_report(const ModelOptions& options, int steps) {
  check_steps(steps);
  ExplainReport report;
  report.analysis = analyse(choose_model(options), steps, &report.derivation);
  report.rules = gamma::calculus_rules(report.analysis.choice.model);
  return report;
}

nlohmann::json ExplainReport::json() const {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& line : derivation)
    lines.push_back({{"t", line.step}, {"quantity", line.quantity}, {"equation", line.equation},
                     {"rule", line.rule}, {"result", line.result.to_string(Notation::Ascii)}});
  return {{"command", "explain"}, {"model", analysis.choice.to_json()}, {"rules", rules}, {"derivation", lines},
          {"settled_from", settled_json(analysis)}, {"verdicts", verdicts_json(analysis)}};
}

TableReport table_report(gamma::Optimizer optimizer, const gamma::Rational& multiplier) {
  struct Column {
    std::string label;
    gamma::Setting setting;
    std::optional<gamma::Readout> readout;
  };
  std::vector<Column> columns = {{"module", gamma::Setting::Module, std::nullopt}};
  for (const auto& readout : gamma::readouts().terms())
    columns.push_back({"network " + readout.name, gamma::Setting::Network, readout.value});
  // What the settled regime says beyond the maximal stable rate: every verdict but
  // stability and its parts.
  std::vector<gamma::VerdictKind> regimes;
  for (const auto& kind : gamma::verdict_kinds())
    if (!kind.is_bound && kind.key != "stable") regimes.push_back(kind);

  TableReport report;
  report.optimizer = optimizer;
  report.multiplier = multiplier;
  for (const auto& scheme : gamma::all_schemes()) {
    // σ as a law in n and r, e.g. Init[B]'s B₀: n^0 · r^-1/2.
    auto sigma_law = [](const gamma::Exponent& width, const gamma::Rational& per_rank) {
      return width.is_minus_infinity() ? std::string("0 (exactly)") : gamma::to_string(gamma::ScalingLaw{width.value(), per_rank});
    };
    nlohmann::json row = {{"scheme", scheme.name}, {"title", scheme.title},
                          {"sigma_A", scheme.sigma_A.to_string()}, {"sigma_B", scheme.sigma_B.to_string()},
                          {"sigma_A_per_rank", gamma::to_string(scheme.sigma_A_per_rank)},
                          {"sigma_B_per_rank", gamma::to_string(scheme.sigma_B_per_rank)}};
    std::string line = scheme.title + "  (σ_A = " + sigma_law(scheme.sigma_A, scheme.sigma_A_per_rank) + ", σ_B = " +
                       sigma_law(scheme.sigma_B, scheme.sigma_B_per_rank) +
                       (scheme.subtracts_initial_product ? ", B₀A₀ subtracted" : "") + ")\n";
    for (const auto& column : columns) {
      ModelOptions options;
      options.scheme = scheme.name;
      options.setting = column.setting;
      options.readout = column.readout;
      options.optimizer = optimizer;
      options.multiplier = gamma::multiplier_name(multiplier);
      Analysis analysis = analyse(choose_model(options));
      const auto& settled = analysis.from_settled ? *analysis.from_settled : analysis.every_step;
      const auto law = max_stable_law(options);
      nlohmann::json cell = {{"max_stable_eta", max_stable_json(analysis)}, {"max_stable_law", law_json(law)}};
      line += "    " + column.label + std::string(12 - std::min<std::size_t>(12, column.label.size()), ' ') +
              "max stable " + max_stable_text(analysis) +
              (law ? " = " + gamma::to_string(*law) : law_is_computed(options) ? "" : " (law in n, r: not computed)");
      for (const auto& kind : regimes) {
        cell[kind.key] = region_json(settled.*kind.member, {"eta"});
        line += "; " + kind.short_label + " " + region_text(settled.*kind.member, {"eta"});
      }
      row[column.label] = cell;
      line += "\n";
    }
    report.schemes.push_back(row);
    report.lines.push_back(line);
  }
  return report;
}

nlohmann::json TableReport::json() const {
  return {{"command", "table"},
          {"optimizer", gamma::optimizers().name(optimizer)},
          {"multiplier", gamma::multiplier_name(multiplier)},
          {"schemes", schemes}};
}

PhaseReport phase_report(const ModelOptions& options, const std::string& x, const std::string& y, const std::string& low_text,
                         const std::string& high_text) {
  for (const auto& [option, name] : {std::pair{"--x", x}, std::pair{"--y", y}})
    if (std::find(kParameterNames.begin(), kParameterNames.end(), name) == kParameterNames.end())
      reject(option, "unknown parameter '" + name + "'; accepted: " + parameter_names());
  if (x == y) reject("--y", "must differ from --x (both are '" + x + "')");
  auto low = gamma::parse_rational(low_text), high = gamma::parse_rational(high_text);
  if (!low) reject("--low", "'" + low_text + "' is not a rational number");
  if (!high) reject("--high", "'" + high_text + "' is not a rational number");
  if (!(*low < *high)) reject("--high", "must exceed --low");
  ModelChoice choice = choose_model(options, {x, y});
  if (choice.free_parameters.size() != 2)
    reject("--" + x, "the diagram needs exactly the two axes free; other options must be numbers");
  // The axes in the order given, whatever order the options were read in.
  choice.free_parameters = {x, y};
  Analysis analysis = analyse(choice);

  auto window_json = [&](const gamma::Verdicts& verdicts) {
    nlohmann::json object;
    for (const auto& kind : gamma::verdict_kinds()) {
      if (kind.is_bound) continue;  // the diagram draws stability whole
      nlohmann::json polygons = nlohmann::json::array();
      for (const auto& polygon : gamma::polygons(verdicts.*kind.member, x, y, *low, *high)) {
        nlohmann::json vertices = nlohmann::json::array(), conditions = nlohmann::json::array();
        for (const auto& [vx, vy] : polygon.vertices) vertices.push_back({gamma::to_string(vx), gamma::to_string(vy)});
        for (const auto& condition : polygon.conditions) conditions.push_back(condition.to_string(Notation::Ascii));
        polygons.push_back({{"vertices", vertices}, {"conditions", conditions}});
      }
      object[kind.key] = polygons;
    }
    return object;
  };
  PhaseReport report{{{"command", "phase"},
                      {"model", choice.to_json()},
                      {"x", x},
                      {"y", y},
                      {"box", {gamma::to_string(*low), gamma::to_string(*high)}},
                      {"settled_from", settled_json(analysis)}},
                     choice.describe(),
                     settle_sentence(analysis)};
  for (const auto& window : gamma::verdict_windows().terms()) {
    const gamma::Verdicts* verdicts = gamma::verdicts_in(analysis, window.value);
    report.document[window.name] = verdicts ? window_json(*verdicts) : nlohmann::json(nullptr);
  }
  return report;
}

}  // namespace gammalab::experiments
