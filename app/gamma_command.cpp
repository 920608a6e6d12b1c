#include "app/gamma_command.hpp"

#include <iostream>
#include <memory>

#include "app/cli_support.hpp"
#include "app/gamma_report.hpp"
#include "gamma/scheme.hpp"

namespace gammalab::app {

namespace {

using gamma::Notation;

void check_steps(int steps) {
  if (steps < 0 || steps > 64) reject("--steps", "must be a whole number from 0 to 64, not " + std::to_string(steps));
}

int predict(const ModelOptions& options, int steps, bool as_json) {
  check_steps(steps);
  ModelChoice choice = choose_model(options);
  Analysis analysis = analyse(choice, steps);
  int last = steps > 0 ? steps : analysis.trajectory.horizon();

  // With one shared learning rate fixed, also say where its exponent may go at most.
  std::optional<Analysis> over_eta;
  if (choice.shared_learning_rate && choice.free_parameters.empty()) {
    ModelOptions symbolic = options;
    symbolic.eta = "free";
    over_eta = analyse(choose_model(symbolic));
  }
  if (as_json) {
    print_json({{"command", "predict"},
                {"model", choice.to_json()},
                {"steps", steps_json(analysis, last)},
                {"horizon", analysis.trajectory.horizon()},
                {"settled_from", analysis.trajectory.settled_from ? nlohmann::json(*analysis.trajectory.settled_from) : nullptr},
                {"verdicts", verdicts_json(analysis)},
                {"max_stable_eta", over_eta ? max_stable_json(*over_eta) : nullptr}});
    return 0;
  }
  std::cout << choice.describe() << "\n\nexponents γ[·] by step (-inf: exactly zero; updates start at t=1)\n"
            << exponent_table(analysis, last) << "\n"
            << settle_sentence(analysis) << "\n\n"
            << verdict_table(analysis);
  if (over_eta) std::cout << "maximal stable γ[η] for this model (every step): " << max_stable_text(*over_eta) << "\n";
  return 0;
}

int solve(const ModelOptions& options, bool as_json) {
  ModelChoice choice = choose_model(options);
  if (choice.free_parameters.size() != 1)
    reject("--eta", "solve needs exactly one free parameter (now " + std::to_string(choice.free_parameters.size()) +
                        "); leave --eta out or set one option to 'free', and use 'gamma phase' for two");
  Analysis analysis = analyse(choice);
  if (as_json) {
    print_json({{"command", "solve"},
                {"model", choice.to_json()},
                {"horizon", analysis.trajectory.horizon()},
                {"settled_from", analysis.trajectory.settled_from ? nlohmann::json(*analysis.trajectory.settled_from) : nullptr},
                {"verdicts", verdicts_json(analysis)},
                {"max_stable", max_stable_json(analysis)}});
    return 0;
  }
  std::cout << choice.describe() << "\n" << settle_sentence(analysis) << "\n\n" << verdict_table(analysis);
  return 0;
}

int explain(const ModelOptions& options, int steps, bool as_json) {
  check_steps(steps);
  ModelChoice choice = choose_model(options);
  std::vector<gamma::DerivationLine> lines;
  Analysis analysis = analyse(choice, steps, &lines);
  if (as_json) {
    nlohmann::json derivation = nlohmann::json::array();
    for (const auto& line : lines)
      derivation.push_back({{"t", line.step}, {"quantity", line.quantity}, {"equation", line.equation},
                            {"rule", line.rule}, {"result", line.result.to_string(Notation::Ascii)}});
    print_json({{"command", "explain"}, {"model", choice.to_json()}, {"derivation", derivation},
                {"settled_from", analysis.trajectory.settled_from ? nlohmann::json(*analysis.trajectory.settled_from) : nullptr},
                {"verdicts", verdicts_json(analysis)}});
    return 0;
  }
  std::cout << choice.describe() << "\n\n"
            << "Rules: product → sum of exponents; sum → max; an exactly zero factor gives −inf;\n"
            << "a sum over the width n adds +1 when its two vectors share a random direction (LLN)\n"
            << "and +1/2 when they are independent (CLT); a sum over the rank r adds nothing.\n";
  int step = -1;
  for (const auto& line : lines) {
    if (line.step != step) {
      step = line.step;
      std::cout << "\n── step t = " << step << (step == 0 ? " (initialisation)" : "") << " ──\n";
    }
    std::cout << "  " << line.quantity << ": " << line.equation << "\n      " << line.rule << "  ⇒  γ = "
              << line.result.to_string(Notation::Text) << "\n";
  }
  std::cout << "\n" << settle_sentence(analysis) << "\n\n" << verdict_table(analysis);
  return 0;
}

}  // namespace

nlohmann::json phase_document(const ModelOptions& options, const std::string& x, const std::string& y,
                              const std::string& low_text, const std::string& high_text) {
  for (const auto& [option, name] : {std::pair{"--x", x}, std::pair{"--y", y}})
    if (std::find(kParameterNames.begin(), kParameterNames.end(), name) == kParameterNames.end())
      reject(option, "unknown parameter '" + name + "'; accepted: eta, eta_A, eta_B, sigma_A, sigma_B, alpha");
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
    const std::pair<const char*, const gamma::Region*> named[] = {
        {"stable", &verdicts.stable}, {"feature_learning", &verdicts.feature_learning},
        {"efficient", &verdicts.efficient}, {"internal_instability", &verdicts.internal_instability}};
    for (const auto& [key, region] : named) {
      nlohmann::json polygons = nlohmann::json::array();
      for (const auto& polygon : gamma::polygons(*region, x, y, *low, *high)) {
        nlohmann::json vertices = nlohmann::json::array(), conditions = nlohmann::json::array();
        for (const auto& [vx, vy] : polygon.vertices) vertices.push_back({gamma::to_string(vx), gamma::to_string(vy)});
        for (const auto& condition : polygon.conditions) conditions.push_back(condition.to_string(Notation::Ascii));
        polygons.push_back({{"vertices", vertices}, {"conditions", conditions}});
      }
      object[key] = polygons;
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

int phase(const ModelOptions& options, const std::string& x, const std::string& y, const std::string& low_text,
          const std::string& high_text, bool as_json) {
  nlohmann::json document = phase_document(options, x, y, low_text, high_text);
  if (as_json) {
    document.erase("description");
    document.erase("settle_sentence");
    print_json(document);
    return 0;
  }
  std::cout << document["description"].get<std::string>() << "\n" << document["settle_sentence"].get<std::string>() << "\n";
  for (const char* window : {"every_step", "from_settled"}) {
    if (document[window].is_null()) continue;
    std::cout << "\n" << (std::string(window) == "every_step" ? "at every step" : "from the settled step on")
              << " — regions in (" << x << ", " << y << ") clipped to [" << low_text << ", " << high_text << "]²\n";
    for (const auto& [verdict, polygons] : document[window].items()) {
      std::cout << "  " << verdict << ":" << (polygons.empty() ? " empty" : "") << "\n";
      for (const auto& polygon : polygons) {
        std::cout << "    vertices";
        for (const auto& vertex : polygon["vertices"])
          std::cout << " (" << vertex[0].get<std::string>() << ", " << vertex[1].get<std::string>() << ")";
        std::cout << "\n";
      }
    }
  }
  return 0;
}

// Every built-in scheme at a glance: its exponents and where γ[η] may go, in each setting.
int table(const std::string& optimizer, bool as_json) {
  struct Column {
    std::string label, setting;
    std::optional<std::string> readout;
  };
  const std::vector<Column> columns = {{"module", "module", std::nullopt},
                                       {"network sp", "network", "sp"},
                                       {"network μP", "network", "mup"}};
  nlohmann::json rows = nlohmann::json::array();
  std::cout.flush();
  if (!as_json)
    std::cout << "Maximal stable γ[η] and, once the exponents settle, the γ[η] of feature learning / efficient "
                 "learning / internal instability (" << optimizer << ").\n\n";
  for (const auto& scheme : gamma::builtin_schemes()) {
    nlohmann::json row = {{"scheme", scheme.name}, {"title", scheme.title},
                          {"sigma_A", scheme.sigma_A.to_string()}, {"sigma_B", scheme.sigma_B.to_string()}};
    std::string line = scheme.title + "  (γ[σ_A] = " + scheme.sigma_A.to_string() + ", γ[σ_B] = " +
                       scheme.sigma_B.to_string() + (scheme.subtracts_initial_product ? ", B₀A₀ subtracted" : "") + ")\n";
    for (const auto& column : columns) {
      ModelOptions options;
      options.scheme = scheme.name;
      options.setting = column.setting;
      options.readout = column.readout;
      options.optimizer = optimizer;
      Analysis analysis = analyse(choose_model(options));
      const auto& settled = analysis.from_settled ? *analysis.from_settled : analysis.every_step;
      row[column.label] = {{"max_stable_eta", max_stable_json(analysis)},
                           {"feature_learning", region_json(settled.feature_learning, {"eta"})},
                           {"efficient", region_json(settled.efficient, {"eta"})},
                           {"internal_instability", region_json(settled.internal_instability, {"eta"})}};
      line += "    " + column.label + std::string(12 - std::min<std::size_t>(12, column.label.size()), ' ') +
              "max stable " + max_stable_text(analysis) + "; FL " + region_text(settled.feature_learning, {"eta"}) +
              "; efficient " + region_text(settled.efficient, {"eta"}) + "; internal instability " +
              region_text(settled.internal_instability, {"eta"}) + "\n";
    }
    rows.push_back(row);
    if (!as_json) std::cout << line;
  }
  if (as_json) print_json({{"command", "table"}, {"optimizer", optimizer}, {"schemes", rows}});
  return 0;
}

}  // namespace

std::function<int()> add_gamma_command(CLI::App& app) {
  auto* gamma_app = app.add_subcommand("gamma", "The exact γ engine: exponents, regions and derivations");
  gamma_app->require_subcommand(1);

  struct State {
    ModelOptions model;
    int steps = 0;
    bool json = false;
    std::string x, y, low = "-2", high = "1", optimizer = "adam";
  };
  auto state = std::make_shared<State>();
  auto json_flag = [&](CLI::App* command) {
    command->add_flag("--json", state->json, "Print one JSON object (fields: README, 'gamma --json')");
  };

  auto* predict_app = gamma_app->add_subcommand("predict", "Exponents of every quantity at each step, and the verdicts");
  add_model_options(*predict_app, state->model);
  predict_app->add_option("--steps", state->steps, "Show steps 0..T (default: until the exponents settle)");
  json_flag(predict_app);

  auto* solve_app = gamma_app->add_subcommand("solve", "Regions of the free parameter (default γ[η]) for each verdict");
  add_model_options(*solve_app, state->model);
  json_flag(solve_app);

  auto* explain_app = gamma_app->add_subcommand("explain", "The derivation step by step, every rule named");
  add_model_options(*explain_app, state->model);
  explain_app->add_option("--steps", state->steps, "Derive steps 0..T (default: until the exponents settle)");
  json_flag(explain_app);

  auto* phase_app = gamma_app->add_subcommand("phase", "2-D regions with exact vertices, e.g. (γ[η_A], γ[η_B]) for LoRA+");
  add_model_options(*phase_app, state->model);
  phase_app->add_option("--x", state->x, "Horizontal axis: eta, eta_A, eta_B, sigma_A, sigma_B or alpha")->required();
  phase_app->add_option("--y", state->y, "Vertical axis, as --x")->required();
  phase_app->add_option("--low", state->low, "Lower end of the drawn box (both axes)")->capture_default_str();
  phase_app->add_option("--high", state->high, "Upper end of the drawn box (both axes)")->capture_default_str();
  json_flag(phase_app);

  auto* table_app = gamma_app->add_subcommand("table", "Every built-in scheme: maximal stable γ[η] and regions, per setting");
  table_app->add_option("--optimizer", state->optimizer, "adam or sgd")->check(CLI::IsMember({"adam", "sgd"}))->capture_default_str();
  json_flag(table_app);

  return [=] {
    if (predict_app->parsed()) return predict(state->model, state->steps, state->json);
    if (solve_app->parsed()) return solve(state->model, state->json);
    if (explain_app->parsed()) return explain(state->model, state->steps, state->json);
    if (phase_app->parsed()) return phase(state->model, state->x, state->y, state->low, state->high, state->json);
    return table(state->optimizer, state->json);
  };
}

}  // namespace gammalab::app
