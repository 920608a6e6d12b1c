#pragma once
// Rendering the engine's answers for people (aligned text) and for programs (JSON).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "experiments/model_choice.hpp"
#include "gamma/rank.hpp"
#include "gamma/step_limit.hpp"
#include "gamma/verdicts.hpp"

namespace gammalab::experiments {

// A model as the user described it, with the engine's answer.
struct Analysis : gamma::EngineAnswer {
  ModelChoice choice;
};
Analysis analyse(const ModelChoice& choice, int at_least_steps = 0,
                 std::vector<gamma::DerivationLine>* derivation = nullptr);

// A region as users read it: yes/no with no free parameter, intervals with one,
// unions of condition lists with more.
std::string region_text(const gamma::Region& region, const std::vector<std::string>& free);
nlohmann::json region_json(const gamma::Region& region, const std::vector<std::string>& free);

// "-1/2 (attained)", "approaches -1/2 (not attained)", "none: …" for one free parameter;
// for γ[η] and ρ free, the supremum of γ[η] as a function of ρ, piece by piece.
std::string max_stable_text(const Analysis& analysis);
nlohmann::json max_stable_json(const Analysis& analysis);
bool is_eta_against_rank(const std::vector<std::string>& free);  // {"eta", "rho"}

// The maximal stable learning rate of a model as a law in n and r (with its rank and its
// learning rate made free): η_max = Θ(n^a · r^b) near a fixed rank. Absent where the
// model fixes the two learning rates apart (LoRA+ given as two numbers) or there is none.
std::optional<gamma::ScalingLaw> max_stable_law(const ModelOptions& options);
nlohmann::json law_json(const std::optional<gamma::ScalingLaw>& law);  // {"n", "r", "attained", "text"}
std::string law_text(const std::optional<gamma::ScalingLaw>& law, const ModelOptions& options);  // "η_max = Θ(n^-1/2 · r^0)"
// SGD in the network setting never settles, and its regions in (γ[η], ρ) grow past what
// the engine computes in reasonable time (over a minute for Init[A]); there the law is
// not computed and a free ρ is refused.
bool law_is_computed(const ModelOptions& options);
inline constexpr const char* kLawNotComputed =
    "the law in n and r is not computed for SGD in the network setting (its regions in (γ[η], ρ) take minutes); "
    "give ρ as a number";

std::string verdict_table(const Analysis& analysis);
nlohmann::json verdicts_json(const Analysis& analysis);
std::string exponent_table(const Analysis& analysis, int last_step);
nlohmann::json steps_json(const Analysis& analysis, int last_step);
std::string settle_sentence(const Analysis& analysis);

// The answers of `gamma predict`, `solve`, `explain` and `table`: what each computes,
// and its JSON (what `--json` prints, and what the Python module returns). The command
// line prints the text from the same answer. Bad input throws InputError naming the option.
struct PredictReport {
  Analysis analysis;
  std::optional<Analysis> over_eta;  // one shared learning rate, fixed: where γ[η] may go at most
  std::optional<gamma::ScalingLaw> law;  // that maximum as a law in n and r
  int last_step = 0;                 // the last step shown
  nlohmann::json json() const;
};
PredictReport predict_report(const ModelOptions& options, int steps);

struct SolveReport {
  Analysis analysis;
  std::optional<gamma::ScalingLaw> law;  // the maximal stable γ[η] as a law in n and r
  // Where the exponents never settle and one parameter is free: the limit of its maximal
  // stable value as the steps grow (gamma/step_limit.hpp), beside the finite-horizon one.
  std::optional<gamma::StepLimit> limit;
  nlohmann::json json() const;
};
// "as the steps grow: maximal stable γ[η] → -1 (…)", or "" where there is no limit to state.
std::string step_limit_text(const SolveReport& report);
SolveReport solve_report(const ModelOptions& options);

struct ExplainReport {
  Analysis analysis;
  std::vector<std::string> rules;  // the engine's rules at this model's ρ and κ (gamma/calculus_rules.hpp)
  std::vector<gamma::DerivationLine> derivation;
  nlohmann::json json() const;
};
ExplainReport explain_report(const ModelOptions& options, int steps);

// Every built-in scheme at a glance: its exponents and where γ[η] may go, in the module
// setting and in the network with each readout.
struct TableReport {
  gamma::Optimizer optimizer = gamma::Optimizer::Adam;
  gamma::Rational multiplier = 1;
  nlohmann::json schemes = nlohmann::json::array();
  std::vector<std::string> lines;  // for people: a scheme's line, then one per setting
  nlohmann::json json() const;
};
TableReport table_report(gamma::Optimizer optimizer, const gamma::Rational& multiplier = 1);

// The (x, y) phase diagram of a model with those two parameters free, clipped to
// [low, high]², every verdict's regions as polygons with exact vertices (`document`:
// what `gamma phase --json` prints and phase-*.json files hold), and the two sentences
// its text form opens with.
struct PhaseReport {
  nlohmann::json document;
  std::string description, settle_sentence;
};
PhaseReport phase_report(const ModelOptions& options, const std::string& x, const std::string& y, const std::string& low_text,
                         const std::string& high_text);

}  // namespace gammalab::experiments
