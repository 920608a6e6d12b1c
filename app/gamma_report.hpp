#pragma once
// Rendering the engine's answers for people (aligned text) and for programs (JSON).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "app/model_options.hpp"
#include "gamma/verdicts.hpp"

namespace gammalab::app {

// A model run through the engine: its trajectory and its verdicts in both windows.
struct Analysis {
  ModelChoice choice;
  gamma::Trajectory trajectory;
  gamma::Verdicts every_step;
  std::optional<gamma::Verdicts> from_settled;  // absent when the exponents never settled
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

}  // namespace gammalab::app
