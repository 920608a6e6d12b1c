#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/step_limit.hpp"
#include "gamma/verdicts.hpp"

using namespace gammalab::gamma;

namespace {

// s_t for t = 0 … horizon from a rule; s_0 absent (nothing is bounded before any step).
template <class Rule>
std::vector<std::optional<Rational>> maxima(int horizon, Rule rule) {
  std::vector<std::optional<Rational>> values{std::nullopt};
  for (int t = 1; t <= horizon; ++t) values.push_back(rule(t));
  return values;
}

LoraModel init_a_under_sgd(Setting setting) {
  LoraModel model;
  model.setting = setting;
  model.optimizer = Optimizer::Sgd;
  model.sigma_A = Exponent(Rational(-1, 2));
  model.eta_A = model.eta_B = MaxAffine::parameter("eta");
  return model;
}

}  // namespace

TEST_CASE("a linear-fractional sequence of maxima has the limit of its leading coefficients") {
  // −(2t − 2)/(2t − 1): 0, −2/3, −4/5, … → −1.
  auto limit = limit_of_maxima(maxima(16, [](int t) { return Rational(-(2 * t - 2), 2 * t - 1); }));
  REQUIRE(limit);
  CHECK(limit->value == -1);
  CHECK(limit->pattern_from == 1);
  CHECK(limit->pattern() == "(-2t + 2)/(2t - 1)");
  // The pattern found from the last steps only: a different start is not part of it.
  auto late = maxima(12, [](int t) { return t < 4 ? Rational(7) : Rational(3 * t + 1, t); });
  auto from_four = limit_of_maxima(late);
  REQUIRE(from_four);
  CHECK(from_four->value == 3);
  CHECK(from_four->pattern_from == 4);
}

TEST_CASE("no limit is stated without a pattern over enough steps, or for one that grows without bound") {
  CHECK_FALSE(limit_of_maxima(maxima(3, [](int t) { return Rational(-1, t); })));           // too few steps
  CHECK_FALSE(limit_of_maxima(maxima(16, [](int t) { return Rational(-t); })));             // affine in t: diverges
  CHECK_FALSE(limit_of_maxima(maxima(16, [](int t) { return Rational(1, 1 << t) + t * t; })));  // no such pattern
}

TEST_CASE("Init[A] under SGD: the maxima -30/31 (module) and -15/31 (network) at step 16 tend to -1 and -1/2") {
  for (auto [setting, at_horizon, limit] : {std::tuple{Setting::Module, Rational(-30, 31), Rational(-1)},
                                            std::tuple{Setting::Network, Rational(-15, 31), Rational(-1, 2)}}) {
    const LoraModel model = init_a_under_sgd(setting);
    const Trajectory trajectory = run_dynamics(model);
    REQUIRE_FALSE(trajectory.settled_from);
    auto by_step = stable_maxima_by_step(trajectory, model, "eta");
    REQUIRE(by_step.back());
    CHECK(*by_step.back() == at_horizon);
    auto found = limit_of_maxima(by_step);
    REQUIRE(found);
    CHECK(found->value == limit);
  }
}
