#include "experiments/engine_report.hpp"

#include <algorithm>
#include <sstream>

#include "gamma/input_error.hpp"

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

// Widths counted in characters, not bytes (γ, η, ∪ are several bytes in UTF-8).
std::size_t display_width(const std::string& text) {
  std::size_t characters = 0;
  for (unsigned char c : text) characters += (c & 0xC0) != 0x80;
  return characters;
}

std::string padded(const std::string& text, std::size_t width) {
  std::size_t characters = display_width(text);
  return text + std::string(width > characters ? width - characters : 1, ' ');
}

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

std::string max_stable_text(const Analysis& analysis) {
  const auto& free = analysis.choice.free_parameters;
  const auto& stable = analysis.every_step.stable;
  if (gamma::is_unbounded_above(stable, free.front())) return "none: stable for every value";
  auto top = gamma::supremum(stable, free.front());
  if (!top) return "none: never stable";
  return top->attained ? gamma::to_string(top->value) + " (attained)" : "approaches " + gamma::to_string(top->value) + " (not attained)";
}

nlohmann::json max_stable_json(const Analysis& analysis) {
  const auto& free = analysis.choice.free_parameters;
  if (free.size() != 1) return nullptr;
  auto top = gamma::supremum(analysis.every_step.stable, free.front());
  if (!top) return nullptr;
  return {{"parameter", free.front()}, {"value", gamma::to_string(top->value)}, {"attained", top->attained}};
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
  std::string later = analysis.from_settled ? "from step " + std::to_string(*analysis.trajectory.settled_from) + " on"
                                            : "(not settled)";
  std::vector<std::array<std::string, 3>> rows = {{"verdict", "at every step", later}};
  for (const auto& row : verdict_rows(analysis.choice.model))
    rows.push_back({(row.is_bound ? "  of which " : "") + row.label, region_text(analysis.every_step.*row.member, free),
                    analysis.from_settled ? region_text(*analysis.from_settled.*row.member, free) : "—"});
  std::size_t first = 0, second = 0;
  for (const auto& row : rows) {
    first = std::max(first, display_width(row[0]));
    second = std::max(second, display_width(row[1]));
  }
  std::ostringstream out;
  for (const auto& row : rows) out << padded(row[0], first + 2) << padded(row[1], second + 2) << row[2] << "\n";
  if (free.size() == 1 && analysis.choice.free_parameters.front() == "eta")
    out << "maximal stable γ[η] (every step): " << max_stable_text(analysis) << "\n";
  else if (free.size() == 1)
    out << "largest stable " << gamma::parameter_symbol(free.front(), Notation::Text) << ": " << max_stable_text(analysis) << "\n";
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
  return {{"every_step", window(analysis.every_step)},
          {"from_settled", analysis.from_settled ? window(*analysis.from_settled) : nlohmann::json(nullptr)}};
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
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  std::ostringstream out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out << (i + 1 < row.size() ? padded(row[i], widths[i] + 2) : row[i]);
    out << "\n";
  }
  return out.str();
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

nlohmann::json phase_document(const ModelOptions& options, const std::string& x, const std::string& y,
                              const std::string& low_text, const std::string& high_text) {
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
  return {{"command", "phase"}, {"model", choice.to_json()}, {"description", choice.describe()},
          {"settle_sentence", settle_sentence(analysis)}, {"x", x}, {"y", y},
          {"box", {gamma::to_string(*low), gamma::to_string(*high)}},
          {"settled_from", analysis.trajectory.settled_from ? nlohmann::json(*analysis.trajectory.settled_from) : nullptr},
          {"every_step", window_json(analysis.every_step)},
          {"from_settled", analysis.from_settled ? window_json(*analysis.from_settled) : nlohmann::json(nullptr)}};
}

namespace {
void check_steps(int steps) {
  if (steps < 0 || steps > 64) reject("--steps", "must be a whole number from 0 to 64, not " + std::to_string(steps));
}
nlohmann::json settled_json(const Analysis& analysis) {
  return analysis.trajectory.settled_from ? nlohmann::json(*analysis.trajectory.settled_from) : nullptr;
}
}  // namespace

nlohmann::json predict_document(const ModelOptions& options, int steps) {
  check_steps(steps);
  ModelChoice choice = choose_model(options);
  Analysis analysis = analyse(choice, steps);
  int last = steps > 0 ? steps : analysis.trajectory.horizon();
  // With one shared learning rate fixed, also say where its exponent may go at most.
  nlohmann::json max_stable_eta = nullptr;
  if (choice.shared_learning_rate && choice.free_parameters.empty()) {
    ModelOptions symbolic = options;
    symbolic.eta = "free";
    max_stable_eta = max_stable_json(analyse(choose_model(symbolic)));
  }
  return {{"command", "predict"},
          {"model", choice.to_json()},
          {"steps", steps_json(analysis, last)},
          {"horizon", analysis.trajectory.horizon()},
          {"settled_from", settled_json(analysis)},
          {"verdicts", verdicts_json(analysis)},
          {"max_stable_eta", max_stable_eta}};
}

nlohmann::json solve_document(const ModelOptions& options) {
  ModelChoice choice = choose_model(options);
  if (choice.free_parameters.size() != 1)
    reject("--eta", "solve needs exactly one free parameter (now " + std::to_string(choice.free_parameters.size()) +
                        "); leave --eta out or set one option to 'free', and use 'gamma phase' for two");
  Analysis analysis = analyse(choice);
  return {{"command", "solve"},
          {"model", choice.to_json()},
          {"horizon", analysis.trajectory.horizon()},
          {"settled_from", settled_json(analysis)},
          {"verdicts", verdicts_json(analysis)},
          {"max_stable", max_stable_json(analysis)}};
}

nlohmann::json explain_document(const ModelOptions& options, int steps) {
  check_steps(steps);
  ModelChoice choice = choose_model(options);
  std::vector<gamma::DerivationLine> lines;
  Analysis analysis = analyse(choice, steps, &lines);
  nlohmann::json derivation = nlohmann::json::array();
  for (const auto& line : lines)
    derivation.push_back({{"t", line.step}, {"quantity", line.quantity}, {"equation", line.equation},
                          {"rule", line.rule}, {"result", line.result.to_string(Notation::Ascii)}});
  return {{"command", "explain"}, {"model", choice.to_json()}, {"derivation", derivation},
          {"settled_from", settled_json(analysis)}, {"verdicts", verdicts_json(analysis)}};
}

}  // namespace gammalab::experiments
