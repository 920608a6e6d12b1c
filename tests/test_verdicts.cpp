#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <random>

#include "gamma/scheme.hpp"
#include "gamma/verdicts.hpp"

using namespace gammalab::gamma;

namespace {

LoraModel model_of(const Scheme& preset, const MaxAffine& eta, Setting setting = Setting::Module,
                   Readout readout = Readout::Standard, Optimizer optimizer = Optimizer::Adam) {
  LoraModel model;
  model.setting = setting;
  model.readout = readout;
  model.optimizer = optimizer;
  model.sigma_A = preset.sigma_A;
  model.sigma_B = preset.sigma_B;
  model.eta_A = model.eta_B = eta;
  model.subtract_initial_product = preset.subtracts_initial_product;
  return model;
}

struct Solved {
  Trajectory trajectory;
  Verdicts every_step;
  std::optional<Verdicts> settled;
};

Solved solve(const LoraModel& model) {
  Solved s{run_dynamics(model), {}, std::nullopt};
  s.every_step = verdicts_over(s.trajectory, model, kEveryStep);
  if (s.trajectory.settled_from) s.settled = verdicts_over(s.trajectory, model, settled_window(*s.trajectory.settled_from));
  return s;
}

Solved solve_scheme(const std::string& name, Setting setting = Setting::Module, Readout readout = Readout::Standard) {
  return solve(model_of(find_scheme(name), MaxAffine::parameter("eta"), setting, readout));
}

std::string in_eta(const Region& region) { return interval_notation(region, "eta"); }

}  // namespace

TEST_CASE("Theorem 1 (Init[A]), derived by the engine") {
  Solved a = solve_scheme("A");
  REQUIRE(a.settled);
  CHECK(in_eta(a.every_step.stable) == "(-inf, -1/2]");
  CHECK(in_eta(a.settled->stable) == "(-inf, -1/2]");
  CHECK(in_eta(a.settled->feature_learning) == "{-1/2}");
  CHECK(in_eta(a.settled->efficient) == "{-1/2}");
  // Paper 003 prints (-1, 1/2]; Z_A grows for γ[η] > -1 and Z_B is bounded only up to -1/2.
  CHECK(in_eta(a.settled->internal_instability) == "(-1, -1/2]");
  // Step 1 differs: ΔZ_B¹ = Θ(n^γ[η]) (A has not moved), so no γ[η] learns features at every step.
  CHECK(in_eta(a.every_step.feature_learning) == "empty");
  CHECK(in_eta(a.every_step.efficient) == "empty");
  auto top = supremum(a.every_step.stable, "eta");
  REQUIRE(top);
  CHECK(top->value == Rational(-1, 2));
  CHECK(top->attained);
}

TEST_CASE("Theorem 2 (Init[B]), derived by the engine") {
  Solved b = solve_scheme("B");
  REQUIRE(b.settled);
  CHECK(in_eta(b.every_step.stable) == "(-inf, -1]");
  CHECK(in_eta(b.settled->feature_learning) == "{-1}");
  CHECK(in_eta(b.every_step.feature_learning) == "{-1}");
  CHECK(in_eta(b.settled->efficient) == "empty");
  CHECK(in_eta(b.every_step.efficient) == "empty");
  CHECK(in_eta(b.settled->internal_instability) == "empty");
}

TEST_CASE("the toy network with the paper's standard readout: the output binds first for Init[A]") {
  Solved a = solve_scheme("A", Setting::Network, Readout::Standard);
  CHECK(in_eta(a.every_step.lora_output_bounded) == "(-inf, -1/2]");
  CHECK(in_eta(a.every_step.network_output_bounded) == "(-inf, -3/4]");
  CHECK(in_eta(a.every_step.stable) == "(-inf, -3/4]");
  CHECK(binding_constraint(a.every_step) == "f");
  // With a μP readout (n^-1) the output no longer binds: the module answer returns.
  Solved mup = solve_scheme("A", Setting::Network, Readout::MuP);
  CHECK(in_eta(mup.every_step.stable) == "(-inf, -1/2]");
  CHECK(binding_constraint(mup.every_step) == "both (the same region)");  // f − f_pre = -1 + γ[Z_B] + 1
  // Init[B]: the hidden output binds; -1 in every setting.
  Solved b = solve_scheme("B", Setting::Network, Readout::Standard);
  CHECK(in_eta(b.every_step.stable) == "(-inf, -1]");
}

TEST_CASE("Init[AB] learns through A from step 1: δ¹ = Θ(n^(γ[η]+1/2)) rather than n^(2γ[η]+1)") {
  Solved ab = solve_scheme("AB");
  CHECK(ab.trajectory.at(1, Quantity::delta1) == MaxAffine(Affine::parameter("eta") + Affine::constant(Rational(1, 2))));
  CHECK(in_eta(ab.every_step.stable) == "(-inf, -1/2]");
  CHECK(in_eta(ab.every_step.feature_learning) == "{-1/2}");
}

TEST_CASE("property: solve's regions agree with predict at random rational points") {
  std::mt19937 random(20261123);
  std::uniform_int_distribution<int> numerator(-48, 12), denominator(1, 8);
  const std::vector<std::pair<Setting, Readout>> settings = {
      {Setting::Module, Readout::Standard}, {Setting::Network, Readout::Standard}, {Setting::Network, Readout::MuP}};
  for (const auto& scheme : all_schemes())
    for (const auto& [setting, readout] : settings)
      for (Optimizer optimizer : {Optimizer::Adam, Optimizer::Sgd}) {
        Solved symbolic = solve(model_of(scheme, MaxAffine::parameter("eta"), setting, readout, optimizer));
        std::vector<Rational> points = {Rational(-1), Rational(-1, 2), Rational(-3, 4), Rational(0)};
        for (int i = 0; i < 8; ++i) points.emplace_back(numerator(random), denominator(random));
        for (const auto& value : points) {
          CAPTURE(scheme.name);
          CAPTURE(static_cast<int>(setting));
          CAPTURE(static_cast<int>(optimizer));
          CAPTURE(value.str());
          Solved numeric = solve(model_of(scheme, Exponent(value), setting, readout, optimizer));
          Point at = {{"eta", value}};
          auto agree = [&](const Verdicts& regions, const Verdicts& answers) {
            CHECK(regions.stable.contains(at) == !answers.stable.is_empty());
            CHECK(regions.feature_learning.contains(at) == !answers.feature_learning.is_empty());
            CHECK(regions.efficient.contains(at) == !answers.efficient.is_empty());
            CHECK(regions.internal_instability.contains(at) == !answers.internal_instability.is_empty());
          };
          agree(symbolic.every_step, numeric.every_step);
          if (symbolic.settled) {
            REQUIRE(numeric.settled);
            agree(*symbolic.settled, *numeric.settled);
          }
          for (int t = 0; t <= std::min(symbolic.trajectory.horizon(), numeric.trajectory.horizon()); ++t)
            CHECK(symbolic.trajectory.at(t, Quantity::Z_B).evaluate(at) == numeric.trajectory.at(t, Quantity::Z_B).evaluate({}));
        }
      }
}
