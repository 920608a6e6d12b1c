#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
// The deep MLP engine against the papers: Tensor Programs IV (Yang & Hu 2021), its
// stability and feature-learning verdicts and r for each named parametrization, and the
// per-layer maximal learning rates, with a few derivations written out by hand.
#include <doctest/doctest.h>

#include "gamma/input_error.hpp"
#include "gamma/mlp.hpp"

#include <algorithm>

using namespace gammalab;
using namespace gammalab::gamma;

namespace {

Rational q(int numerator, int denominator = 1) { return Rational(numerator, denominator); }

MlpAnswer solve(Parametrization p, Optimizer o, Alignment alignment = Alignment::Full, int layers = 3) {
  return answer_mlp(mlp_preset(p, o, alignment, layers));
}

std::optional<Rational> max_rate(const MlpAnswer& answer, LayerGroup g) { return answer.rates.at(g).max_stable; }

bool binds(const MlpAnswer& answer, LayerGroup g, const std::string& quantity) {
  const auto& binding = answer.rates.at(g).binding;
  return std::find(binding.begin(), binding.end(), quantity) != binding.end();
}

Exponent at(const MaxAffine& g) { return g.evaluate({}); }

}  // namespace

TEST_CASE("TP4: μP is stable, learns features in every layer, and has r = 0") {
  for (Optimizer o : {Optimizer::Sgd, Optimizer::Adam}) {
    auto answer = solve(Parametrization::Mup, o);
    CHECK(answer.initialisation_stable);
    CHECK(answer.stable);
    CHECK(answer.feature_learning);
    CHECK(answer.nontrivial);
    REQUIRE(answer.r);
    CHECK(*answer.r == 0);
    for (LayerGroup g : kLayerGroups) CHECK(answer.verdicts.at(g).feature_learning);
  }
}

TEST_CASE("TP4: NTK under SGD is stable and nontrivial, but in the kernel regime: r = 1/2, no feature learning") {
  auto answer = solve(Parametrization::Ntk, Optimizer::Sgd);
  CHECK(answer.stable);
  CHECK(answer.nontrivial);
  CHECK_FALSE(answer.feature_learning);
  REQUIRE(answer.r);
  CHECK(*answer.r == q(1, 2));
  CHECK_FALSE(answer.verdicts.at(LayerGroup::Hidden).feature_learning);
  CHECK(answer.verdicts.at(LayerGroup::Readout).feature_learning);  // the output moves by Θ(1)
}

TEST_CASE("TP4: SP with a width-independent learning rate blows up; with η ∝ 1/n it is stable, in the kernel regime") {
  auto unstable = solve(Parametrization::Sp, Optimizer::Sgd);
  CHECK(unstable.initialisation_stable);  // SP is fine at t = 0 ...
  CHECK_FALSE(unstable.stable);           // ... and not after one step
  CHECK_FALSE(unstable.verdicts.at(LayerGroup::Hidden).stable);
  CHECK_FALSE(unstable.verdicts.at(LayerGroup::Readout).stable);
  // TP4: r = min(1/2, 0) + 0 − 1 + min(1, 0) = −1 < 0, the features blow up; the engine
  // states no r for a network that is not stable.
  CHECK_FALSE(unstable.r);
  CHECK(at(unstable.trajectory.steps.at(1).feature_change[2]) > Exponent(0));

  MlpModel slow = mlp_preset(Parametrization::Sp, Optimizer::Sgd, Alignment::Full, 3);
  for (LayerGroup g : kLayerGroups) slow.group(g).c = 1;
  auto stable = answer_mlp(slow);
  CHECK(stable.stable);
  CHECK(stable.nontrivial);
  CHECK_FALSE(stable.feature_learning);
  REQUIRE(stable.r);
  CHECK(*stable.r == q(1, 2));  // TP4: min(1/2, 1) + 1 − 1 + min(1, 0) = 1/2
}

TEST_CASE("TP4: the mean-field parametrization learns features with r = 0, like μP") {
  for (Optimizer o : {Optimizer::Sgd, Optimizer::Adam}) {
    auto answer = solve(Parametrization::Mfp, o);
    CHECK(answer.stable);
    CHECK(answer.feature_learning);
    REQUIRE(answer.r);
    CHECK(*answer.r == 0);
  }
}

TEST_CASE("TP4's r formula, min(a+b, 2a+c) + c − 1 + min(2a₁ + 1, 2a) over the readout and the layers, for custom exponents under SGD") {
  // a = (0, 1/2, 1/2) and b = (0, 0, 1/2): the readout starts smaller than NTK's (a + b = 1).
  MlpModel model = mlp_preset(Parametrization::Ntk, Optimizer::Sgd, Alignment::Full, 4);
  model.parametrization = Parametrization::Custom;
  model.group(LayerGroup::Readout).b = q(1, 2);
  for (int c_times_2 : {0, 1, 2}) {  // each stable: 2a + c ≥ 1 and a + b + r ≥ 1
    const Rational c = q(c_times_2, 2);
    for (LayerGroup g : kLayerGroups) model.group(g).c = c;
    const Rational readout = std::min(Rational(1), 2 * q(1, 2) + c);
    const Rational r = readout + c - 1 + std::min(Rational(2 * 0 + 1), 2 * q(1, 2));
    auto answer = answer_mlp(model);
    CHECK(answer.stable);
    REQUIRE(answer.r);
    CHECK(*answer.r == r);
  }
}

TEST_CASE("a derivation by hand: NTK under SGD, steps 0 and 1") {
  // a = (0, 1/2, 1/2), b = 0, c = 0. At t = 0: h¹ = W¹ξ over d fixed: −(0 + 0) = 0;
  // h² = W²₀x¹ by the CLT: −1/2 + 0 + 1/2 = 0; f = W³₀x² likewise 0.
  // Backward: dh² = the readout's entries −1/2; dh¹ = W²₀ᵀdh² by the CLT: −1/2 − 1/2 + 1/2 = −1/2.
  // Step 1, SGD: ΔWˡ = γ[η] − 2a + γ[dh] + γ[x]: ΔW¹ = 0 − 0 − 1/2 + 0 = −1/2,
  // ΔW² = 0 − 1 − 1/2 + 0 = −3/2, ΔW³ = 0 − 1 + 0 + 0 = −1.
  // Δx¹ = ΔW¹ξ = −1/2; Δx² = max(W²₀Δx¹: −1/2 − 1/2 + 1/2, ΔW²x¹ aligned: −3/2 + 0 + 1) = −1/2;
  // Δf = max(ΔW³x² aligned: −1 + 0 + 1, W³₀Δx² aligned: −1/2 − 1/2 + 1) = 0.
  auto trajectory = run_mlp(mlp_preset(Parametrization::Ntk, Optimizer::Sgd, Alignment::Full, 2));
  const MlpStep& start = trajectory.steps.at(0);
  CHECK(at(start.features[0]) == Exponent(0));
  CHECK(at(start.features[1]) == Exponent(0));
  CHECK(at(start.output) == Exponent(0));
  CHECK(at(start.backward[1]) == Exponent(q(-1, 2)));
  CHECK(at(start.backward[0]) == Exponent(q(-1, 2)));
  const MlpStep& one = trajectory.steps.at(1);
  CHECK(at(one.update[0]) == Exponent(q(-1, 2)));
  CHECK(at(one.update[1]) == Exponent(q(-3, 2)));
  CHECK(at(one.update[2]) == Exponent(-1));
  CHECK(at(one.feature_change[0]) == Exponent(q(-1, 2)));
  CHECK(at(one.feature_change[1]) == Exponent(q(-1, 2)));
  CHECK(at(one.readout_update_term) == Exponent(0));
  CHECK(at(one.readout_initial_term) == Exponent(0));
  CHECK(at(one.output_change) == Exponent(0));
}

TEST_CASE("μP's per-layer maximal rates are its own rates, for SGD and Adam with full alignment") {
  // SGD (a = −1/2, 0, 1/2; b = 1/2): the readout: ΔW x^L = γ[η] − 1 + 0 + 1 ≤ 0; the hidden
  // layers: ΔW x = γ[η] − 0 − 1 + 1 ≤ 0; the input: ΔW ξ = γ[η] + 1 − 1 ≤ 0 — all γ[η] ≤ 0.
  auto sgd = solve(Parametrization::Mup, Optimizer::Sgd);
  for (LayerGroup g : kLayerGroups) CHECK(max_rate(sgd, g) == q(0));
  CHECK(binds(sgd, LayerGroup::Readout, "ΔW^{L+1} x^L"));
  CHECK(binds(sgd, LayerGroup::Hidden, "Δx^2"));
  CHECK(binds(sgd, LayerGroup::Input, "Δx^1"));
  // Adam: ΔWˡ = γ[η] − a. Readout: γ[η] − 1/2 + 1 ≤ 0; hidden: γ[η] + 1 ≤ 0; input:
  // γ[η] + 1/2 ≤ 0. In the form with a = 0 (Everett et al. 2024; Tensor Programs V) these
  // are the familiar Θ(1), 1/n, 1/n for input, hidden and readout: γ[η] shifts by −θ.
  auto adam = solve(Parametrization::Mup, Optimizer::Adam);
  CHECK(max_rate(adam, LayerGroup::Input) == q(-1, 2));
  CHECK(max_rate(adam, LayerGroup::Hidden) == q(-1));
  CHECK(max_rate(adam, LayerGroup::Readout) == q(-1, 2));
  CHECK(adam.rates.at(LayerGroup::Hidden).stable_region == "(-inf, -1]");
}

TEST_CASE("without alignment the hidden and readout rates may grow by n^1/2; the input layer's sum is over d and does not change") {
  // Adam, μP, none: hidden ΔW x = γ[η] + 1/2 ≤ 0; readout ΔW x^L = γ[η] − 1/2 + 1/2 ≤ 0.
  auto adam = solve(Parametrization::Mup, Optimizer::Adam, Alignment::None);
  CHECK(max_rate(adam, LayerGroup::Input) == q(-1, 2));
  CHECK(max_rate(adam, LayerGroup::Hidden) == q(-1, 2));
  CHECK(max_rate(adam, LayerGroup::Readout) == q(0));
  // SGD, μP, none: the readout ΔW x^L = γ[η] − 1 + 1/2 ≤ 0 allows γ[η] = 1/2; there its
  // update, 1/2 − 1 = −1/2, outgrows W^{L+1}₀'s −1, so from step 2 the backward pass
  // carries dh = −1/2. Hidden: γ[η] − 0 − 1/2 + 1/2 ≤ 0; input: γ[η] + 1 − 1/2 ≤ 0.
  auto sgd = solve(Parametrization::Mup, Optimizer::Sgd, Alignment::None);
  CHECK(max_rate(sgd, LayerGroup::Readout) == q(1, 2));
  CHECK(max_rate(sgd, LayerGroup::Hidden) == q(0));
  CHECK(max_rate(sgd, LayerGroup::Input) == q(-1, 2));
}

TEST_CASE("SP under SGD: the readout and the hidden layers need η ∝ 1/n, the input layer Θ(1) (TP4: SP with c = 1)") {
  // Readout: ΔW x^L = γ[η] + 0 + 1 ≤ 0. Hidden, the readout at 1/n: Δx = γ[η] − 1/2 + 1, and
  // the output W^{L+1}₀Δx^L = −1/2 + Δx + 1 ≤ 0 binds first: γ[η] ≤ −1. Input: Δx¹ = γ[η] − 1/2,
  // the output −1/2 + γ[η] − 1/2 + 1 ≤ 0: γ[η] ≤ 0.
  auto answer = solve(Parametrization::Sp, Optimizer::Sgd);
  CHECK(max_rate(answer, LayerGroup::Readout) == q(-1));
  CHECK(max_rate(answer, LayerGroup::Hidden) == q(-1));
  CHECK(binds(answer, LayerGroup::Hidden, "W^{L+1}_0 Δx^L"));
  CHECK_FALSE(binds(answer, LayerGroup::Hidden, "Δx^2"));
  CHECK(max_rate(answer, LayerGroup::Input) == q(0));
}

TEST_CASE("NTK under SGD sits at its maximal rates; a larger one blows the output up through W^{L+1}₀ Δx^L") {
  auto answer = solve(Parametrization::Ntk, Optimizer::Sgd);
  for (LayerGroup g : kLayerGroups) CHECK(max_rate(answer, g) == q(0));
  CHECK(binds(answer, LayerGroup::Hidden, "W^{L+1}_0 Δx^L"));
  CHECK_FALSE(binds(answer, LayerGroup::Hidden, "Δx^3"));
}

TEST_CASE("the abc symmetry: mfp is μP moved by θ = 1/2, so its verdicts are μP's and its rates γ[η] + 2θ (SGD), + θ (Adam)") {
  for (Optimizer o : {Optimizer::Sgd, Optimizer::Adam})
    for (Alignment alignment : {Alignment::Full, Alignment::None}) {
      auto mup = solve(Parametrization::Mup, o, alignment);
      auto mfp = solve(Parametrization::Mfp, o, alignment);
      CHECK(mfp.stable == mup.stable);
      CHECK(mfp.feature_learning == mup.feature_learning);
      CHECK(mfp.r == mup.r);
      const Rational shift = o == Optimizer::Sgd ? q(1) : q(1, 2);
      for (LayerGroup g : {LayerGroup::Input, LayerGroup::Hidden, LayerGroup::Readout}) {
        REQUIRE(max_rate(mup, g));
        CHECK(max_rate(mfp, g) == *max_rate(mup, g) + shift);
      }
    }
}

TEST_CASE("μP's exponents do not depend on the depth L") {
  for (Optimizer o : {Optimizer::Sgd, Optimizer::Adam})
    for (Alignment alignment : {Alignment::Full, Alignment::None}) {
      auto shallow = solve(Parametrization::Mup, o, alignment, 2);
      for (int layers : {3, 5, 8}) {
        auto deep = solve(Parametrization::Mup, o, alignment, layers);
        CHECK(deep.stable == shallow.stable);
        CHECK(deep.feature_learning == shallow.feature_learning);
        CHECK(deep.r == shallow.r);
        for (LayerGroup g : kLayerGroups) {
          CHECK(max_rate(deep, g) == max_rate(shallow, g));
          CHECK(deep.verdicts.at(g).change == shallow.verdicts.at(g).change);
        }
        // Every hidden layer's features move by the same order.
        const MlpStep& settled = deep.trajectory.steps.back();
        for (int l = 2; l <= layers; ++l) CHECK(settled.feature_change[l - 1] == settled.feature_change[1]);
      }
    }
}

TEST_CASE("the exponents settle on the stable path within L + 2 steps") {
  for (int layers : {2, 4, 7}) {
    auto trajectory = run_mlp(mlp_preset(Parametrization::Sp, Optimizer::Sgd, Alignment::Full, layers));
    CHECK(trajectory.settled_from <= layers + 2);
    CHECK(trajectory.steps.size() >= 3);
  }
}

TEST_CASE("an initialisation that is not Θ(1) is not stable, and no rate makes it so") {
  MlpModel model = mlp_preset(Parametrization::Mup, Optimizer::Sgd, Alignment::Full, 3);
  model.parametrization = Parametrization::Custom;
  model.group(LayerGroup::Hidden).b = 1;  // hˡ₀ = Θ(n^-1/2)
  auto answer = answer_mlp(model);
  CHECK_FALSE(answer.initialisation_stable);
  CHECK_FALSE(answer.stable);
  REQUIRE_FALSE(answer.initialisation_faults.empty());
  CHECK(answer.initialisation_faults.front() == "h^2_0 = Θ(n^-1/2), not Θ(1)");
  CHECK_FALSE(max_rate(answer, LayerGroup::Hidden));
}

TEST_CASE("a number of layers out of range is refused, naming the field") {
  MlpModel model = mlp_preset(Parametrization::Mup, Optimizer::Sgd, Alignment::Full, 1);
  CHECK_THROWS_WITH_AS(answer_mlp(model), doctest::Contains("layers: '1'"), InputError);
}

TEST_CASE("the derivation names every rule it applies") {
  std::vector<MlpDerivationLine> lines;
  answer_mlp(mlp_preset(Parametrization::Mup, Optimizer::Adam, Alignment::Full, 2), &lines);
  auto found = [&](const std::string& quantity, const std::string& rule_part) {
    return std::any_of(lines.begin(), lines.end(), [&](const auto& line) {
      return line.quantity == quantity && line.rule.find(rule_part) != std::string::npos;
    });
  };
  CHECK(found("h^2", "independent → CLT"));
  CHECK(found("Δx^2 (ΔW x)", "aligned → LLN"));
  CHECK(found("g^2", "Adam"));
}

TEST_CASE("the parametrization, alignment and layer-group vocabularies parse what they print and list themselves") {
  CHECK(parametrizations().parse("MuP") == Parametrization::Mup);
  CHECK(parametrizations().parse("mean-field") == Parametrization::Mfp);
  CHECK(parametrizations().accepted() == "sp (or standard), ntk, mfp (or mean-field), mup, custom");
  CHECK(alignments().parse("None") == Alignment::None);
  CHECK(layer_groups().name(LayerGroup::Readout) == "readout");
  CHECK_THROWS_WITH_AS(alignments().parse("partial"), doctest::Contains("accepted: full, none"), InputError);
}
