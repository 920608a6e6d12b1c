#include "gamma/mlp.hpp"

#include <algorithm>
#include <stdexcept>

#include "gamma/random_vector.hpp"
#include "gamma/work_limit.hpp"

namespace gammalab::gamma {

const Vocabulary<LayerGroup>& layer_groups() {
  static const Vocabulary<LayerGroup> vocabulary("layer group", {{LayerGroup::Input, "input", "input layer", {}},
                                                                {LayerGroup::Hidden, "hidden", "hidden layers", {}},
                                                                {LayerGroup::Readout, "readout", "readout", {}}});
  return vocabulary;
}

MlpModel mlp_preset(Parametrization parametrization, Optimizer optimizer, Alignment alignment, int layers) {
  MlpModel model;
  model.parametrization = parametrization;
  model.optimizer = optimizer;
  model.alignment = alignment;
  model.layers = layers;
  const bool sgd = optimizer == Optimizer::Sgd;
  const Rational half(1, 2);
  auto set = [&](std::array<Rational, 3> a, std::array<Rational, 3> b, std::array<Rational, 3> c) {
    for (int g = 0; g < 3; ++g) model.groups[g] = {a[g], b[g], c[g]};
  };
  switch (parametrization) {
    case Parametrization::Sp: set({0, 0, 0}, {0, half, half}, {0, 0, 0}); break;
    case Parametrization::Ntk: set({0, half, half}, {0, 0, 0}, {0, 0, 0}); break;
    case Parametrization::Mfp:
      set({0, half, 1}, {0, 0, 0}, sgd ? std::array<Rational, 3>{-1, -1, -1} : std::array<Rational, 3>{0, half, 0});
      break;
    case Parametrization::Mup:
      set({-half, 0, half}, {half, half, half}, sgd ? std::array<Rational, 3>{0, 0, 0} : std::array<Rational, 3>{half, 1, half});
      break;
    case Parametrization::Custom: break;
  }
  return model;
}

void check_mlp_model(const MlpModel& model) {
  if (model.layers < kMinLayers || model.layers > kMaxLayers)
    reject("layers", "'" + std::to_string(model.layers) + "' is not a number of hidden layers from " +
                         std::to_string(kMinLayers) + " to " + std::to_string(kMaxLayers));
}

LayerGroup group_of_layer(int layer, int layers) {
  return layer == 1 ? LayerGroup::Input : layer == layers + 1 ? LayerGroup::Readout : LayerGroup::Hidden;
}

std::string feature_symbol(int layer) { return "x^" + std::to_string(layer); }
std::string feature_change_symbol(int layer) { return "Δx^" + std::to_string(layer); }

namespace {

const MaxAffine kOrderOne = Exponent(0);
const Affine kWidthLength = Affine::constant(1);

std::string text(const MaxAffine& g) { return g.to_string(Notation::Text); }

// The layers are numbered as in Tensor Programs IV: weights W¹ … W^{L+1}, features
// x¹ … x^L; the input ξ is x⁰.
class MlpDynamics {
 public:
  MlpDynamics(const MlpModel& model, const GroupRates& rates, std::vector<MlpDerivationLine>* lines)
      : model_(model), lines_(lines), L_(model.layers) {
    for (LayerGroup g : kLayerGroups) {
      auto given = rates.find(g);
      rate_[static_cast<int>(g)] = given != rates.end() ? given->second : MaxAffine(Exponent(-model.group(g).c));
    }
  }

  MlpStep initial() {
    MlpStep step;
    updates_so_far_.assign(L_ + 2, MaxAffine());
    // h¹ = W¹ξ sums over the fixed input dimension d: nothing grows with n.
    MaxAffine h = initial_weight(1);
    note(0, "h^1", "h¹ = W¹ ξ: a sum of d products, d fixed", "product: γ[W¹] = −(a + b) = " + text(h), h);
    step.features.push_back(h);
    for (int l = 2; l <= L_; ++l) {
      h = over_width(0, "h^" + std::to_string(l), "hˡ = Wˡ₀ xˡ⁻¹: each entry sums n products", initial_weight(l),
                     step.features.back(), false);
      step.features.push_back(h);  // xˡ = φ(hˡ) has the order of hˡ (φ(0) = 0, φ' = Θ(1))
    }
    step.output = over_width(0, "f", "f = W^{L+1}₀ x^L: a sum of n products", initial_weight(L_ + 1),
                             step.features.back(), false);
    initial_features_ = step.features;
    step.backward = backward(0);
    backward_ = step.backward;
    return step;
  }

  MlpStep advance(int t) {
    MlpStep step;
    // The updates of step t, from the gradients of step t − 1: ∂f/∂Wˡ = dhˡ ⊗ xˡ⁻¹.
    for (int l = 1; l <= L_ + 1; ++l) {
      const MaxAffine gradient = gradient_at(l) + layer_input(l);
      MaxAffine update = processed(t, l, gradient);
      note(t, "ΔW^" + std::to_string(l), update_equation(), "product", update);
      step.update.push_back(update);
      updates_so_far_[l] = max(updates_so_far_[l], update);
    }
    // The forward pass at step t, as changes from initialisation: Δhˡ = Wˡ₀ Δxˡ⁻¹ +
    // (Wˡ_t − Wˡ₀) xˡ⁻¹_t, and Δxˡ = φ'(hˡ) ⊙ Δhˡ has the order of Δhˡ.
    MaxAffine change = updates_so_far_[1];
    note(t, "Δx^1", "Δh¹ = (W¹_t − W¹₀) ξ: a sum of d products, d fixed", "product", change);
    step.feature_change.push_back(change);
    for (int l = 2; l <= L_; ++l) {
      const std::string name = feature_change_symbol(l);
      MaxAffine through_initial = over_width(t, name + " (W₀ Δx)", "Wˡ₀ Δxˡ⁻¹: each entry sums n products",
                                             initial_weight(l), change, false);
      MaxAffine through_update = over_width(t, name + " (ΔW x)", "(Wˡ_t − Wˡ₀) xˡ⁻¹: each entry sums n products",
                                            updates_so_far_[l], layer_input(l), aligned());
      change = max(through_initial, through_update);
      note(t, name, "Δhˡ = Wˡ₀ Δxˡ⁻¹ + (Wˡ_t − Wˡ₀) xˡ⁻¹", "sum → max", change);
      step.feature_change.push_back(change);
    }
    step.readout_update_term = over_width(t, "ΔW^{L+1} x^L", "(W^{L+1}_t − W^{L+1}₀) x^L: a sum of n products",
                                          updates_so_far_[L_ + 1], layer_input(L_ + 1), aligned());
    // Δx^L is built along the backward pass, whose last vector is W^{L+1}₀ itself.
    step.readout_initial_term = over_width(t, "W^{L+1}_0 Δx^L", "W^{L+1}₀ Δx^L: a sum of n products",
                                           initial_weight(L_ + 1), change, aligned());
    step.output_change = max(step.readout_update_term, step.readout_initial_term);
    note(t, "Δf", "Δf = W^{L+1}₀ Δx^L + (W^{L+1}_t − W^{L+1}₀) x^L", "sum → max", step.output_change);
    step.backward = backward(t);
    backward_ = step.backward;
    return step;
  }

  // The state a step leaves: equal states give equal futures.
  std::pair<std::vector<MaxAffine>, std::vector<MaxAffine>> state() const { return {updates_so_far_, backward_}; }

 private:
  LayerGroup group_of(int l) const { return group_of_layer(l, L_); }
  const Abc& abc(int l) const { return model_.group(group_of(l)); }
  const MaxAffine& rate(int l) const { return rate_[static_cast<int>(group_of(l))]; }
  bool aligned() const { return model_.alignment == Alignment::Full; }

  // γ[Wˡ₀] = −(aˡ + bˡ): Wˡ = n^-a wˡ with entries n^-b.
  MaxAffine initial_weight(int l) const { return Exponent(-(abc(l).a + abc(l).b)); }
  // The vector Wˡ multiplies: ξ (Θ(1), fixed dimension) or xˡ⁻¹ at its initial order
  // (the stable path).
  MaxAffine layer_input(int l) const { return l == 1 ? kOrderOne : initial_features_[l - 2]; }
  // The gradient arriving at the output of Wˡ: dhˡ, or for the readout the loss
  // derivative, Θ(1) on the stable path.
  MaxAffine gradient_at(int l) const { return l == L_ + 1 ? kOrderOne : backward_[l - 1]; }

  // dhˡ = ∂f/∂hˡ: dh^L = (W^{L+1}_t)ᵀ ⊙ φ', dhˡ⁻¹ = (Wˡ_t)ᵀ dhˡ ⊙ φ'. The update part of
  // Wˡ is ∝ dhˡ ⊗ xˡ⁻¹, so its transpose meets dhˡ along its own direction.
  std::vector<MaxAffine> backward(int t) {
    std::vector<MaxAffine> dh(L_);
    dh[L_ - 1] = max(initial_weight(L_ + 1), updates_so_far_[L_ + 1]);
    note(t, "dh^" + std::to_string(L_), "dh^L = (W^{L+1}_t)ᵀ ⊙ φ'(h^L): the readout's entries", "sum → max", dh[L_ - 1]);
    for (int l = L_; l >= 2; --l) {
      const std::string name = "dh^" + std::to_string(l - 1);
      MaxAffine through_initial =
          over_width(t, name + " (W₀ᵀ dh)", "Wˡ₀ᵀ dhˡ: each entry sums n products", initial_weight(l), dh[l - 1], false);
      MaxAffine through_update = over_width(t, name + " (ΔWᵀ dh)", "(Wˡ_t − Wˡ₀)ᵀ dhˡ: each entry sums n products",
                                            updates_so_far_[l], dh[l - 1], aligned());
      dh[l - 2] = max(through_initial, through_update);
      note(t, name, "dhˡ⁻¹ = (Wˡ_t)ᵀ dhˡ ⊙ φ'(hˡ⁻¹)", "sum → max", dh[l - 2]);
    }
    return dh;
  }

  std::string update_equation() const {
    return model_.optimizer == Optimizer::Sgd ? "ΔWˡ = n^-a Δwˡ = −ηˡ n^-2a dhˡ ⊗ xˡ⁻¹: γ[ηˡ] − 2a + γ[dhˡ] + γ[xˡ⁻¹]"
                                              : "ΔWˡ = n^-a Δwˡ = −ηˡ n^-a sign-like(dhˡ ⊗ xˡ⁻¹): γ[ηˡ] − a";
  }

  // The update's entries. ∂L/∂wˡ = n^-a ∂L/∂Wˡ, so SGD moves Wˡ by ηˡ n^-2a times the
  // gradient; Adam by ηˡ n^-a times Θ(1) entries. A switch without default, so that the
  // compiler names this place when an optimiser is added.
  MaxAffine processed(int t, int l, const MaxAffine& gradient) {
    const std::string name = "g^" + std::to_string(l);
    switch (model_.optimizer) {
      case Optimizer::Sgd:
        note(t, name, "SGD: the raw gradient dhˡ ⊗ xˡ⁻¹", "product", gradient);
        return rate(l) + MaxAffine(Exponent(-2 * abc(l).a)) + gradient;
      case Optimizer::Adam: {
        MaxAffine entries = gradient.is_zero_quantity() ? MaxAffine() : kOrderOne;
        note(t, name, "Adam: entries Θ(1) where the gradient is non-zero", "Adam (sign-like update)", entries);
        return rate(l) + MaxAffine(Exponent(-abc(l).a)) + entries;
      }
    }
    throw std::logic_error("an optimizer without an MLP rule");
  }

  // A sum of n products u_k v_k, by the one alignment rule (gamma/random_vector.hpp).
  MaxAffine over_width(int t, const std::string& quantity, const std::string& equation, const MaxAffine& u,
                       const MaxAffine& v, bool share_direction) {
    std::vector<ContractionTerm> terms;
    MaxAffine result = contract(RandomVector(kInput, u), RandomVector(share_direction ? kInput : kBackprop, v),
                                kWidthLength, &terms);
    std::string rule = "zero: a factor is exactly zero, so is every sum of products";
    if (!terms.empty()) {
      const auto& term = terms.front();
      rule = std::string(term.aligned ? "aligned → LLN: " : "independent → CLT: ") + text(term.left_entries) + " + " +
             text(term.right_entries) + " + " + term.added.to_string(Notation::Text) + " = " + text(term.exponent);
    }
    note(t, quantity, equation, rule, result);
    return result;
  }

  void note(int t, const std::string& quantity, const std::string& equation, const std::string& rule,
            const MaxAffine& result) {
    if (lines_) lines_->push_back({t, quantity, equation, rule, result});
  }

  const MlpModel& model_;
  std::vector<MlpDerivationLine>* lines_;
  int L_;
  std::array<MaxAffine, 3> rate_;
  std::vector<MaxAffine> initial_features_;
  std::vector<MaxAffine> updates_so_far_;  // index l: Wˡ_t − Wˡ₀, the max over the updates so far
  std::vector<MaxAffine> backward_;        // dhˡ at the last step, index l − 1
};

// The first step from which every step equals the last.
int first_settled_step(const std::vector<MlpStep>& steps) {
  int first = static_cast<int>(steps.size()) - 1;
  while (first > 1 && steps[first - 1] == steps.back()) --first;
  return first;
}

// Each quantity stability bounds, with its exponent at every update of a trajectory.
std::map<std::string, std::vector<MaxAffine>> bounded_quantities(const MlpTrajectory& trajectory, int layers) {
  std::map<std::string, std::vector<MaxAffine>> quantities;
  for (std::size_t t = 1; t < trajectory.steps.size(); ++t) {
    const MlpStep& step = trajectory.steps[t];
    for (int l = 1; l <= layers; ++l) quantities[feature_change_symbol(l)].push_back(step.feature_change[l - 1]);
    quantities["ΔW^{L+1} x^L"].push_back(step.readout_update_term);
    quantities["W^{L+1}_0 Δx^L"].push_back(step.readout_initial_term);
  }
  return quantities;
}

Region bounded_everywhere(const std::vector<MaxAffine>& exponents) {
  Region region = Region::everything();
  for (const auto& g : exponents) region = region & Region::where_bounded(g);
  return region;
}

bool is_bounded(const MaxAffine& g) { return g.is_zero_quantity() || g.evaluate({}) <= Exponent(0); }
bool is_order_one(const MaxAffine& g) { return !g.is_zero_quantity() && g.evaluate({}) == Exponent(0); }

const std::string kRateParameter = "eta";

}  // namespace

MlpTrajectory run_mlp(const MlpModel& model, const GroupRates& rates, std::vector<MlpDerivationLine>* derivation) {
  check_mlp_model(model);
  WorkLimit limit;
  MlpDynamics dynamics(model, rates, derivation);
  MlpTrajectory trajectory;
  trajectory.steps.push_back(dynamics.initial());
  // On the stable path the change reaches one more layer down each step, so the state
  // repeats by step L + 2; the bound is there to fail loudly if that argument breaks.
  const int bound = 2 * model.layers + 8;
  for (int t = 1; t <= bound; ++t) {
    auto before = dynamics.state();
    trajectory.steps.push_back(dynamics.advance(t));
    if (t >= 2 && dynamics.state() == before) {
      trajectory.settled_from = first_settled_step(trajectory.steps);
      return trajectory;
    }
  }
  throw std::logic_error("the MLP's exponents did not settle on the stable path");
}

GroupRate group_rate(const MlpModel& model, LayerGroup group, const GroupRates& others) {
  GroupRates rates = others;
  rates[group] = MaxAffine::parameter(kRateParameter);
  auto conditions = bounded_quantities(run_mlp(model, rates), model.layers);
  Region stable = Region::everything();
  for (const auto& [name, exponents] : conditions) stable = stable & bounded_everywhere(exponents);
  GroupRate rate;
  rate.stable_region = interval_notation(stable, kRateParameter);
  if (auto top = supremum(stable, kRateParameter)) {
    rate.max_stable = top->value;
    for (const auto& [name, exponents] : conditions) {
      auto own = supremum(bounded_everywhere(exponents), kRateParameter);
      if (own && own->value == top->value) rate.binding.push_back(name);
    }
  }
  return rate;
}

MlpAnswer answer_mlp(const MlpModel& model, std::vector<MlpDerivationLine>* derivation) {
  check_mlp_model(model);
  WorkLimit limit;
  MlpAnswer answer;
  answer.trajectory = run_mlp(model, {}, derivation);
  const MlpStep& initial = answer.trajectory.steps.front();
  const MlpStep& settled = answer.trajectory.steps.back();
  const int L = model.layers;

  for (int l = 1; l <= L; ++l)
    if (!is_order_one(initial.features[l - 1]))
      answer.initialisation_faults.push_back("h^" + std::to_string(l) + "_0 = Θ(n^" + text(initial.features[l - 1]) +
                                             "), not Θ(1)");
  if (!is_bounded(initial.output))
    answer.initialisation_faults.push_back("f_0 = Θ(n^" + text(initial.output) + "), not O(1)");
  answer.initialisation_stable = answer.initialisation_faults.empty();

  // Verdicts at the model's own rates: bounded at every update, and the settled change.
  auto quantities = bounded_quantities(answer.trajectory, L);
  auto bounded_at_every_step = [&](const std::string& name) {
    return std::all_of(quantities[name].begin(), quantities[name].end(), is_bounded);
  };
  auto group_layers = [&](LayerGroup g) {
    if (g == LayerGroup::Input) return std::pair{1, 1};
    return std::pair{2, L};
  };
  for (LayerGroup g : kLayerGroups) {
    GroupVerdict verdict;
    if (g == LayerGroup::Readout) {
      verdict.stable = is_bounded(initial.output) && bounded_at_every_step("ΔW^{L+1} x^L") &&
                       bounded_at_every_step("W^{L+1}_0 Δx^L");
      verdict.change = settled.output_change;
    } else {
      auto [first, last] = group_layers(g);
      verdict.stable = true;
      for (int l = first; l <= last; ++l)
        verdict.stable = verdict.stable && is_order_one(initial.features[l - 1]) && bounded_at_every_step(feature_change_symbol(l));
      // Wˡ₀ carries a change up unchanged in order (a + b = 1/2), so a group's layers
      // learn features once its first layer does.
      verdict.change = settled.feature_change[first - 1];
    }
    verdict.feature_learning = verdict.stable && is_order_one(verdict.change);
    answer.verdicts[g] = verdict;
  }
  answer.stable = std::all_of(answer.verdicts.begin(), answer.verdicts.end(), [](const auto& v) { return v.second.stable; });
  const MaxAffine& last_change = settled.feature_change[L - 1];
  // Tensor Programs IV's r: Δx^L = Θ(n^-r), which its theorems state for stable networks.
  // Where something grows, the stable path's later steps say only that it grew.
  if (answer.stable && !last_change.is_zero_quantity()) answer.r = -last_change.evaluate({}).value();
  answer.feature_learning = answer.stable && is_order_one(last_change);
  answer.nontrivial = answer.stable && is_order_one(settled.output_change);

  // Each group's maximal stable rate, from the output down.
  GroupRates at_max;
  for (LayerGroup g : {LayerGroup::Readout, LayerGroup::Hidden, LayerGroup::Input}) {
    if (!answer.initialisation_stable) {
      answer.rates[g].stable_region = "empty";
      at_max[g] = MaxAffine();
      continue;
    }
    GroupRates others = at_max;
    for (LayerGroup other : kLayerGroups)
      if (!others.count(other) && other != g) others[other] = MaxAffine();  // below g: not trained
    answer.rates[g] = group_rate(model, g, others);
    at_max[g] = answer.rates[g].max_stable ? MaxAffine(Exponent(*answer.rates[g].max_stable)) : MaxAffine();
  }
  return answer;
}

}  // namespace gammalab::gamma
