#include "app/gamma_command.hpp"

#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "app/cli_support.hpp"
#include "app/model_options.hpp"
#include "experiments/engine_report.hpp"
#include "experiments/mlp_report.hpp"
#include "gamma/rank.hpp"
#include "gamma/scheme.hpp"

namespace gammalab::app {

namespace {

using gamma::Notation;
using namespace experiments;

int predict(const ModelOptions& options, int steps, bool as_json) {
  const PredictReport report = predict_report(options, steps);
  if (as_json) {
    print_json(report.json());
    return 0;
  }
  const Analysis& analysis = report.analysis;
  std::cout << analysis.choice.describe() << "\n\nexponents γ[·] by step (-inf: exactly zero; updates start at t=1)\n"
            << exponent_table(analysis, report.last_step) << "\n"
            << settle_sentence(analysis) << "\n\n"
            << verdict_table(analysis);
  if (report.over_eta)
    std::cout << "maximal stable γ[η] for this model (every step): " << max_stable_text(*report.over_eta) << "\n"
              << "as a law in the width n and the rank r: " << law_text(report.law, options) << "\n";
  return 0;
}

int solve(const ModelOptions& options, bool as_json) {
  const SolveReport report = solve_report(options);
  if (as_json) {
    print_json(report.json());
    return 0;
  }
  const Analysis& analysis = report.analysis;
  std::cout << analysis.choice.describe() << "\n" << settle_sentence(analysis) << "\n\n" << verdict_table(analysis);
  if (report.law) std::cout << "as a law in the width n and the rank r: " << law_text(report.law, options) << "\n";
  std::cout << step_limit_text(report);
  return 0;
}

int explain(const ModelOptions& options, int steps, bool as_json) {
  const ExplainReport report = explain_report(options, steps);
  if (as_json) {
    print_json(report.json());
    return 0;
  }
  const Analysis& analysis = report.analysis;
  std::cout << analysis.choice.describe() << "\n\nRules (the engine's, for this model):\n";
  for (const auto& rule : report.rules) std::cout << "- " << rule << "\n";
  std::cout << "A sum over the rank is marked '(rank)'. A₀v, B₀v: the new directions A₀ and B₀ make of a vector independent of them.\n";
  int step = -1;
  for (const auto& line : report.derivation) {
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

int phase(const ModelOptions& options, const std::string& x, const std::string& y, const std::string& low_text,
          const std::string& high_text, bool as_json) {
  const PhaseReport report = phase_report(options, x, y, low_text, high_text);
  const nlohmann::json& document = report.document;
  if (as_json) {
    print_json(document);
    return 0;
  }
  std::cout << report.description << "\n" << report.settle_sentence << "\n";
  for (const auto& window : gamma::verdict_windows().terms()) {
    if (document[window.name].is_null()) continue;
    std::cout << "\n" << window.title << " — regions in (" << x << ", " << y << ") clipped to [" << low_text << ", " << high_text << "]²\n";
    for (const auto& [verdict, polygons] : document[window.name].items()) {
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

// Every built-in scheme at a glance.
int table(gamma::Optimizer optimizer, const std::string& multiplier, bool as_json) {
  const TableReport report = table_report(optimizer, multiplier_option(multiplier));
  if (as_json) {
    print_json(report.json());
    return 0;
  }
  std::cout << "Maximal stable γ[η] and, once the exponents settle, the γ[η] of feature learning / efficient "
               "learning / internal instability (" << gamma::optimizers().name(optimizer) << ", "
            << gamma::multiplier_title(report.multiplier) << "),\nand the maximal stable η as a law in the width n and the "
               "rank r (r = n^ρ, near a fixed rank).\n\n";
  for (const auto& line : report.lines) std::cout << line;
  return 0;
}

// A deep MLP (gamma/mlp.hpp): verdicts and per-group maximal rates, with every step or
// the derivation, or every preset at a glance.
int mlp(const std::map<std::string, std::string>& given, bool predict, bool explain, bool table, bool as_json) {
  auto option = [&](const std::string& name) -> std::optional<std::string> {
    auto found = given.find(name);
    return found == given.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  const gamma::MlpModel model = mlp_model_from(option);
  if (table) {
    for (const auto& name : kMlpOptionNames)
      if (given.count(name) && name != "layers") reject("--" + name, "is not used by --table, which shows every preset");
    if (as_json) print_json(mlp_table_json(model.layers));
    else std::cout << mlp_table_text(model.layers);
    return 0;
  }
  const MlpDetail detail{predict, explain};
  if (as_json) print_json(mlp_json(model, detail));
  else std::cout << mlp_text(model, detail);
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
    std::string x, y, low = "-2", high = "1";
    gamma::Optimizer optimizer = gamma::Optimizer::Adam;
    std::string multiplier = "lora";
    std::map<std::string, std::string> mlp;
    bool mlp_predict = false, mlp_explain = false, mlp_table = false;
  };
  auto state = std::make_shared<State>();
  auto json_flag = [&](CLI::App* command) {
    command->add_flag("--json", state->json, "Print one JSON object (fields: docs/engine.md, 'JSON fields')");
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
  phase_app->add_option("--x", state->x, "Horizontal axis: one of " + parameter_names())->required();
  phase_app->add_option("--y", state->y, "Vertical axis, as --x")->required();
  phase_app->add_option("--low", state->low, "Lower end of the drawn box (both axes)")->capture_default_str();
  phase_app->add_option("--high", state->high, "Upper end of the drawn box (both axes)")->capture_default_str();
  json_flag(phase_app);

  auto* table_app = gamma_app->add_subcommand("table", "Every built-in scheme: maximal stable γ[η] and regions, per setting");
  add_term_option(*table_app, "--optimizer", state->optimizer, gamma::optimizers(), "The optimiser; default adam");
  table_app->add_option("--multiplier", state->multiplier, "The adapter's scale α/r^κ: " + gamma::multiplier_forms())
      ->capture_default_str();
  json_flag(table_app);

  auto* mlp_app = gamma_app->add_subcommand(
      "mlp", "A deep MLP in the abc convention of Tensor Programs IV: verdicts, r and per-layer maximal rates");
  const std::map<std::string, std::string> mlp_help = {
      {"parametrization", "sp, ntk, mfp, mup or custom (default mup; aliases: standard, mean-field)"},
      {"optimizer", "sgd or adam (default sgd)"},
      {"alignment", "full or none (default full): how an update meets the vectors it was built from"},
      {"layers", "L, the number of hidden layers, 2 to 64 (default 3)"},
      {"a", "Wˡ = n^-a wˡ: one exact exponent, or input,hidden,readout (overrides the preset)"},
      {"b", "wˡ entries of size n^-b: as --a"},
      {"c", "learning rate η n^-c: as --a"}};
  for (const auto& name : kMlpOptionNames)
    mlp_app->add_option_function<std::string>(
        "--" + name, [state, name](const std::string& text) { state->mlp[name] = text; }, mlp_help.at(name));
  mlp_app->add_flag("--predict", state->mlp_predict, "Also every exponent at every step");
  mlp_app->add_flag("--explain", state->mlp_explain, "Also the derivation, rule by rule");
  mlp_app->add_flag("--table", state->mlp_table, "Every preset × optimiser × alignment instead of one model");
  json_flag(mlp_app);

  return [=] {
    if (mlp_app->parsed()) return mlp(state->mlp, state->mlp_predict, state->mlp_explain, state->mlp_table, state->json);
    if (predict_app->parsed()) return predict(state->model, state->steps, state->json);
    if (solve_app->parsed()) return solve(state->model, state->json);
    if (explain_app->parsed()) return explain(state->model, state->steps, state->json);
    if (phase_app->parsed()) return phase(state->model, state->x, state->y, state->low, state->high, state->json);
    return table(state->optimizer, state->multiplier, state->json);
  };
}

}  // namespace gammalab::app
