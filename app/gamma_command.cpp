#include "app/gamma_command.hpp"

#include <iostream>
#include <memory>

#include "app/cli_support.hpp"
#include "app/model_options.hpp"
#include "experiments/engine_report.hpp"
#include "gamma/scheme.hpp"

namespace gammalab::app {

namespace {

using gamma::Notation;
using namespace experiments;

void check_steps(int steps) {
  if (steps < 0 || steps > 64) reject("--steps", "must be a whole number from 0 to 64, not " + std::to_string(steps));
}

int predict(const ModelOptions& options, int steps, bool as_json) {
  if (as_json) {
    print_json(predict_document(options, steps));
    return 0;
  }
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
  std::cout << choice.describe() << "\n\nexponents γ[·] by step (-inf: exactly zero; updates start at t=1)\n"
            << exponent_table(analysis, last) << "\n"
            << settle_sentence(analysis) << "\n\n"
            << verdict_table(analysis);
  if (over_eta) std::cout << "maximal stable γ[η] for this model (every step): " << max_stable_text(*over_eta) << "\n";
  return 0;
}

int solve(const ModelOptions& options, bool as_json) {
  if (as_json) {
    print_json(solve_document(options));
    return 0;
  }
  ModelChoice choice = choose_model(options);
  if (choice.free_parameters.size() != 1)
    reject("--eta", "solve needs exactly one free parameter (now " + std::to_string(choice.free_parameters.size()) +
                        "); leave --eta out or set one option to 'free', and use 'gamma phase' for two");
  Analysis analysis = analyse(choice);
  std::cout << choice.describe() << "\n" << settle_sentence(analysis) << "\n\n" << verdict_table(analysis);
  return 0;
}

int explain(const ModelOptions& options, int steps, bool as_json) {
  if (as_json) {
    print_json(explain_document(options, steps));
    return 0;
  }
  check_steps(steps);
  ModelChoice choice = choose_model(options);
  std::vector<gamma::DerivationLine> lines;
  Analysis analysis = analyse(choice, steps, &lines);
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

// Every built-in scheme at a glance: its exponents and where γ[η] may go, in the module
// setting and in the network with each readout.
int table(gamma::Optimizer optimizer, bool as_json) {
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

  nlohmann::json rows = nlohmann::json::array();
  if (!as_json)
    std::cout << "Maximal stable γ[η] and, once the exponents settle, the γ[η] of feature learning / efficient "
                 "learning / internal instability (" << gamma::optimizers().name(optimizer) << ").\n\n";
  for (const auto& scheme : gamma::all_schemes()) {
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
      nlohmann::json cell = {{"max_stable_eta", max_stable_json(analysis)}};
      line += "    " + column.label + std::string(12 - std::min<std::size_t>(12, column.label.size()), ' ') +
              "max stable " + max_stable_text(analysis);
      for (const auto& kind : regimes) {
        cell[kind.key] = region_json(settled.*kind.member, {"eta"});
        line += "; " + kind.short_label + " " + region_text(settled.*kind.member, {"eta"});
      }
      row[column.label] = cell;
      line += "\n";
    }
    rows.push_back(row);
    if (!as_json) std::cout << line;
  }
  if (as_json) print_json({{"command", "table"}, {"optimizer", gamma::optimizers().name(optimizer)}, {"schemes", rows}});
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
