#pragma once
// Rendering the engine's answers for people (aligned text) and for programs (JSON).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "experiments/model_choice.hpp"
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

// "-1/2 (attained)", "approaches -1/2 (not attained)", "none: …"; only for one free parameter.
std::string max_stable_text(const Analysis& analysis);
nlohmann::json max_stable_json(const Analysis& analysis);

std::string verdict_table(const Analysis& analysis);
nlohmann::json verdicts_json(const Analysis& analysis);
std::string exponent_table(const Analysis& analysis, int last_step);
nlohmann::json steps_json(const Analysis& analysis, int last_step);
std::string settle_sentence(const Analysis& analysis);

// The (x, y) phase diagram of a model with those two parameters free, clipped to
// [low, high]², every verdict's regions as polygons with exact vertices: what
// `gamma phase --json` prints, plus "description" and "settle_sentence" for people.
nlohmann::json phase_document(const ModelOptions& options, const std::string& x, const std::string& y,
                              const std::string& low_text, const std::string& high_text);

// What `gamma predict/solve/explain --json` print, one object each (docs/engine.md,
// "JSON fields"); `steps` from 0 to 64, 0: until the exponents settle. Bad input throws
// InputError naming the option.
nlohmann::json predict_document(const ModelOptions& options, int steps);
nlohmann::json solve_document(const ModelOptions& options);
nlohmann::json explain_document(const ModelOptions& options, int steps);

}  // namespace gammalab::experiments
