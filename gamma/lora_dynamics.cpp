#include "gamma/lora_dynamics.hpp"

#include <algorithm>
#include <stdexcept>

#include "gamma/calculus_rules.hpp"
#include "gamma/random_vector.hpp"
#include "gamma/work_limit.hpp"

namespace gammalab::gamma {

const std::vector<QuantityInfo>& all_quantities() {
  static const std::vector<QuantityInfo> table = {
      {Quantity::A, "A", "A", false, "entries of A"},
      {Quantity::B, "B", "B", false, "entries of B"},
      {Quantity::Z_A, "Z_A", "Z_A", false, "LoRA feature A Z̲ (r entries)"},
      {Quantity::Z_B, "Z_B", "Z_B", false, "LoRA output s B A Z̲ with s = α/r^κ (n entries)"},
      {Quantity::AdapterOutput, "Z_B-Z_B0", "Z_B−Z_B⁰", false,
       "what the adapter adds to the pretrained layer when B₀A₀ is subtracted"},
      {Quantity::f, "f", "f", false, "network output w_outᵀ φ(h)"},
      {Quantity::dA, "dA", "ΔA", true, "entries of the update of A"},
      {Quantity::dB, "dB", "ΔB", true, "entries of the update of B"},
      {Quantity::dZ_A, "dZ_A", "ΔZ_A", true, "change of Z_A"},
      {Quantity::dZ_B, "dZ_B", "ΔZ_B", true, "change of Z_B = δ¹ + δ² + δ³"},
      {Quantity::delta1, "delta1", "δ¹", true, "s B_{t−1} ΔZ_A^t: learning through A"},
      {Quantity::delta2, "delta2", "δ²", true, "s ΔB_t Z_A^{t−1}: learning through B"},
      {Quantity::delta3, "delta3", "δ³", true, "s ΔB_t ΔZ_A^t: both at once"},
      {Quantity::df, "df", "Δf", true, "change of the network output"},
  };
  return table;
}

const QuantityInfo& info(Quantity quantity) {
  for (const auto& entry : all_quantities())
    if (entry.id == quantity) return entry;
  throw std::logic_error("unknown quantity");
}

bool is_reported(Quantity quantity, const LoraModel& model) {
  if (quantity == Quantity::f || quantity == Quantity::df) return model.setting == Setting::Network;
  if (quantity == Quantity::AdapterOutput) return model.subtract_initial_product;
  return true;
}

namespace {

const MaxAffine kOrderOne = Exponent(0);
const Affine kWidthLength = Affine::constant(1);  // a sum over the width has n terms

std::string text(const MaxAffine& g) { return g.to_string(Notation::Text); }

// What training carries from one step to the next. Equal states give equal futures.
struct State {
  RandomMatrix A;  // r × n
  RandomMatrix B;  // n × r
  // Adam's moments: the directions of every gradient so far, each with Θ(1) entries
  // (they remember a gradient once it was non-zero).
  RandomMatrix A_moments, B_moments;
  friend bool operator==(const State&, const State&) = default;
};

using Exponents = std::map<Quantity, MaxAffine>;

// The features of a step, along the rank (Z_A) and the width (what the network sees).
struct Features {
  RandomVector Z_A;
  RandomVector seen_by_network;  // the adapter output, less s·Z_B⁰ when B₀A₀ is subtracted
};

class Dynamics {
 public:
  Dynamics(const LoraModel& model, std::vector<DerivationLine>* lines)
      : model_(model),
        lines_(lines),
        scale_(model.adapter_scale()),
        input_(kInput, kOrderOne),
        readout_(kBackprop, Exponent(model.readout == Readout::Standard ? Rational(-1, 2) : Rational(-1))),
        initial_B_(initial_matrix(kInitialB, model.sigma_B, kBackprop)) {}

  State initial_state() {
    // A₀ meets Z̲ (Z_A = A Z̲) and B₀ meets dZ̄ (Bᵀ dZ̄ in ∂L/∂A) on their width sides.
    State state{initial_matrix(kInitialA, model_.sigma_A, kInput), initial_B_};
    note(0, "A₀", "A₀ entries ~ σ_A; carried as its part along Z̲ (entries n^-1/2 σ_A) and the rest",
         "initialisation (Gaussian conditioning)", model_.sigma_A);
    note(0, "B₀", "B₀ entries ~ σ_B; carried as its part along dZ̄ (entries n^-1/2 σ_B) and the rest",
         "initialisation (−inf: exactly zero)", model_.sigma_B);
    if (!model_.rank.is_constant() || model_.rank.constant_term() != 0 || model_.multiplier != 1)
      note(0, "s", "s = α/r^κ with r = n^ρ: γ[s] = γ[α] − κρ", "product", scale_);
    return state;
  }

  // The exponents that a state determines: weights, features and (network) the output.
  std::pair<Features, Exponents> observe(int t, const State& state) {
    Exponents q;
    Features features;
    q[Quantity::A] = state.A.entries();
    q[Quantity::B] = state.B.entries();
    note(t, "A", "entries of A_t: the max over its parts " + parts(state.A), "sum → max", q[Quantity::A]);
    note(t, "B", "entries of B_t: the max over its parts " + parts(state.B), "sum → max", q[Quantity::B]);

    features.Z_A = applied(t, "Z_A", "Z_A = A_t Z̲: each entry sums n products A_ik Z̲_k", state.A, Dimension::Width, input_);
    q[Quantity::Z_A] = features.Z_A.entries();

    RandomVector lora_output = over_rank(t, "Z_B", "Z_B = s B_t Z_A: each entry sums r products B_ij Z_A_j", state.B, features.Z_A);
    q[Quantity::Z_B] = lora_output.entries();

    features.seen_by_network = lora_output;
    if (model_.subtract_initial_product) {
      // Z_B − Z_B⁰ = s[B₀ (Z_A − Z_A⁰) + (B − B₀) Z_A]: the initial part of B times the
      // change of Z_A, plus the change of B times Z_A.
      RandomVector change_of_Z_A = apply(state.A.without(kInitialA), Dimension::Width, input_, kWidthLength);
      features.seen_by_network = over_rank(t, "s B₀(Z_A − Z_A⁰)", "each entry sums r products", initial_B_, change_of_Z_A) +
                                 over_rank(t, "s (B − B₀) Z_A", "each entry sums r products", state.B.without(kInitialB), features.Z_A);
      q[Quantity::AdapterOutput] = features.seen_by_network.entries();
      note(t, "Z_B−Z_B⁰", "s[B₀(Z_A − Z_A⁰) + (B − B₀) Z_A]", "sum → max", q[Quantity::AdapterOutput]);
    }

    if (model_.setting == Setting::Network) {
      // f = w_outᵀ φ(h + adapter output): φ is 1-Lipschitz, so the change of φ(h) has the
      // order and the sources of the adapter output (ReLU's mask φ' is Θ(1) entries).
      MaxAffine change = contracted(t, "f−f_pre", "w_outᵀ (φ(h) − φ(h_pre)) ≈ w_outᵀ (φ'(h) ⊙ adapter output)",
                                    readout_, features.seen_by_network);
      q[Quantity::f] = max(pretrained_output(), change);
      note(t, "f", "f = f_pre + (f − f_pre)", "sum → max: max(" + text(pretrained_output()) + ", " + text(change) + ")",
           q[Quantity::f]);
    }
    return {features, q};
  }

  // One optimiser step: gradients at step t−1, updates, and the exponents at step t.
  std::tuple<State, Features, Exponents> advance(int t, const State& before, const Features& was_features,
                                                 const Exponents& was) {
    // The gradient arriving at the layer output. Module: Θ(1) by assumption. Network:
    // dZ̄ = (f − y)·w_out ⊙ φ'(h), whose size is γ[w_out] + γ[f − y], with y = Θ(1).
    MaxAffine backprop_size = kOrderOne;
    if (model_.setting == Setting::Network) backprop_size = readout_.entries() + max(kOrderOne, was.at(Quantity::f));
    RandomVector backprop(kBackprop, backprop_size);
    note(t, "dZ̄", model_.setting == Setting::Network ? "dZ̄ = (f − y) w_out ⊙ φ'(h): entries γ[w_out] + max(0, γ[f])"
                                                      : "dZ̄ = Θ(1) entries (paper 003, Assumption 1)",
         "product", backprop_size);

    // ∂L/∂B = s dZ̄ ⊗ Z_A: an outer product, no sum. ∂L/∂A = s (Bᵀ dZ̄) ⊗ Z̲, where Bᵀ dZ̄
    // sums over n and so carries an alignment.
    RandomMatrix raw_B = RandomMatrix::outer(backprop.times(scale_), was_features.Z_A);
    note(t, "∂L/∂B", "s dZ̄ ⊗ Z_A^{t−1}: entries γ[s] + γ[dZ̄] + γ[Z_A]" +
                          std::string(raw_B.is_zero() ? " — exactly zero because Z_A is" : ""),
         "product (zero stays zero)", raw_B.entries());
    RandomVector B_transpose_backprop = applied(t, "Bᵀ dZ̄", "Bᵀ_{t−1} dZ̄: each entry sums n products", before.B,
                                                Dimension::Width, backprop);
    RandomMatrix raw_A = RandomMatrix::outer(input_, B_transpose_backprop.times(scale_));
    note(t, "∂L/∂A", "s (Bᵀ dZ̄) ⊗ Z̲: entries γ[s] + γ[Bᵀ dZ̄] + γ[Z̲]" +
                          std::string(raw_A.is_zero() ? " — exactly zero because B is" : ""),
         "product (zero stays zero)", raw_A.entries());

    State after = before;
    after.A_moments = before.A_moments + directions_of(raw_A);
    after.B_moments = before.B_moments + directions_of(raw_B);
    RandomMatrix update_A = processed(t, "g_A", raw_A, after.A_moments).times(model_.eta_A);
    RandomMatrix update_B = processed(t, "g_B", raw_B, after.B_moments).times(model_.eta_B);
    after.A = before.A + update_A;
    after.B = before.B + update_B;

    auto [features, q] = observe(t, after);
    q[Quantity::dA] = update_A.entries();
    q[Quantity::dB] = update_B.entries();
    note(t, "ΔA", "ΔA = −η_A g_A: entries γ[η_A] + γ[g_A], width side Z̲", "product", q[Quantity::dA]);
    note(t, "ΔB", "ΔB = −η_B g_B: entries γ[η_B] + γ[g_B], width side dZ̄", "product", q[Quantity::dB]);
    RandomVector change_of_Z_A = applied(t, "ΔZ_A", "ΔZ_A = ΔA_t Z̲: each entry sums n products", update_A, Dimension::Width, input_);
    q[Quantity::dZ_A] = change_of_Z_A.entries();

    // Paper 003 eq. (2): ΔZ_B = δ¹ + δ² + δ³, each entry a sum over the rank.
    RandomVector delta1 = over_rank(t, "δ¹", "s B_{t−1} ΔZ_A^t: each entry sums r products", before.B, change_of_Z_A);
    RandomVector delta2 = over_rank(t, "δ²", "s ΔB_t Z_A^{t−1}: each entry sums r products", update_B, was_features.Z_A);
    RandomVector delta3 = over_rank(t, "δ³", "s ΔB_t ΔZ_A^t: each entry sums r products", update_B, change_of_Z_A);
    q[Quantity::delta1] = delta1.entries();
    q[Quantity::delta2] = delta2.entries();
    q[Quantity::delta3] = delta3.entries();
    RandomVector change = delta1 + delta2 + delta3;
    q[Quantity::dZ_B] = change.entries();
    note(t, "ΔZ_B", "δ¹ + δ² + δ³", "sum → max", q[Quantity::dZ_B]);
    if (model_.setting == Setting::Network)
      q[Quantity::df] = contracted(t, "Δf", "Δf ≈ w_outᵀ (φ' ⊙ ΔZ_B): sums n products", readout_, change);
    return {after, features, q};
  }

 private:
  // The pretrained output w_outᵀ φ(h_pre): the readout is drawn independently of the
  // pretrained features, so CLT: γ[w_out] + 0 + 1/2.
  MaxAffine pretrained_output() const { return readout_.entries() + MaxAffine(Exponent(Rational(1, 2))); }

  // Each direction of a gradient with Θ(1) entries: what Adam's moments keep of it.
  static RandomMatrix directions_of(const RandomMatrix& gradient) {
    RandomMatrix directions;
    for (const auto& [part, entries] : gradient.parts())
      directions = directions + RandomMatrix::outer(RandomVector(part.width_side, kOrderOne), RandomVector(part.rank_side, kOrderOne));
    return directions;
  }

  // The optimiser's processed gradient; a switch without default, so that the compiler
  // names this place when an optimiser is added to the vocabulary.
  RandomMatrix processed(int t, const std::string& name, const RandomMatrix& raw, const RandomMatrix& moments) {
    switch (model_.optimizer) {
      case Optimizer::Sgd:
        note(t, name, "SGD uses the raw gradient", "identity", raw.entries());
        return raw;
      case Optimizer::Adam:
        // Θ(1) entries along every direction its moments hold: exact where the gradient
        // has one direction (Init[A], Init[B]); where it mixes two (A₀ and B₀ both
        // non-zero), the smaller one's share of the sign pattern is taken as Θ(1) too, an
        // upper bound on every rank sum it enters (at ρ = 0 a rank sum adds nothing either way).
        note(t, name,
             moments.is_zero() ? "Adam: the gradient has been exactly zero so far, so are its moments"
                               : "Adam: entries Θ(1) where the gradient has been non-zero, along its directions",
             "Adam (paper 003, Assumption 1)", moments.entries());
        return moments;
    }
    throw std::logic_error("an optimizer without an engine rule");
  }

  std::string rule_text(const std::vector<ContractionTerm>& terms, const std::string& over) const {
    std::string rule;
    for (const auto& term : terms) {
      if (!rule.empty()) rule += "; ";
      rule += describe(term.left) + "·" + describe(term.right) + ": " +
              (term.aligned ? "share a direction → LLN: " : "independent → CLT: ") + text(term.left_entries) + " + " +
              text(term.right_entries) + " + " + term.added.to_string(Notation::Text) + over + " = " + text(term.exponent);
    }
    return rule.empty() ? "zero: a factor is exactly zero, so is every sum of products" : rule;
  }

  MaxAffine contracted(int t, const std::string& quantity, const std::string& equation, const RandomVector& u,
                       const RandomVector& v) {
    std::vector<ContractionTerm> terms;
    MaxAffine result = contract(u, v, kWidthLength, &terms);
    note(t, quantity, equation, rule_text(terms, ""), result);
    return result;
  }

  // A matrix applied over the width (Z_A, Bᵀ dZ̄, ΔZ_A): sums of n products.
  RandomVector applied(int t, const std::string& quantity, const std::string& equation, const RandomMatrix& matrix,
                       Dimension over, const RandomVector& vector) {
    std::vector<ContractionTerm> terms;
    RandomVector result = apply(matrix, over, vector, kWidthLength, &terms);
    note(t, quantity, equation, rule_text(terms, ""), result.entries());
    return result;
  }

  // s times a matrix applied over the rank (Z_B, δ¹, δ², δ³): sums of r = n^ρ products.
  RandomVector over_rank(int t, const std::string& quantity, const std::string& equation, const RandomMatrix& matrix,
                         const RandomVector& vector) {
    std::vector<ContractionTerm> terms;
    RandomVector result = apply(matrix, Dimension::Rank, vector, model_.rank, &terms).times(scale_);
    note(t, quantity, equation + " (over the rank; then γ[s] = " + text(scale_) + ")", rule_text(terms, " (rank)"),
         result.entries());
    return result;
  }

  static std::string parts(const RandomMatrix& m) {
    if (m.is_zero()) return "(none: exactly zero)";
    std::string text_of_parts;
    for (const auto& [part, exponent] : m.parts())
      text_of_parts += (text_of_parts.empty() ? "" : ", ") +
                       (part.independent_entries ? describe(part.width_side) + " (independent entries)"
                                                 : describe(part.width_side) + "⊗" + describe(part.rank_side)) +
                       " " + text(exponent);
    return text_of_parts;
  }

  void note(int t, const std::string& quantity, const std::string& equation, const std::string& rule,
            const MaxAffine& result) {
    if (lines_) lines_->push_back({t, quantity, equation, rule, result});
  }

  const LoraModel& model_;
  std::vector<DerivationLine>* lines_;
  MaxAffine scale_;           // γ[s], s = α/r^κ
  RandomVector input_;        // Z̲: Θ(1) entries
  RandomVector readout_;      // w_out, along dZ̄'s direction
  RandomMatrix initial_B_;    // B₀
};

// The first step from which every quantity equals its value at the horizon. Updates do
// not exist at t = 0, so a trajectory with any update settles at t ≥ 1.
int first_settled_step(const std::vector<Exponents>& steps) {
  const Exponents& last = steps.back();
  int first = static_cast<int>(steps.size()) - 1;
  while (first > 0 && steps[first - 1] == last) --first;
  return first;
}

}  // namespace

Trajectory run_dynamics(const LoraModel& model, int at_least_steps, std::vector<DerivationLine>* derivation) {
  WorkLimit limit;
  Dynamics dynamics(model, derivation);
  State state = dynamics.initial_state();
  Trajectory trajectory;
  auto [features, exponents] = dynamics.observe(0, state);
  trajectory.steps.push_back(std::move(exponents));
  bool repeated = false;
  for (int t = 1; t <= std::max(kMaxSteps, at_least_steps); ++t) {
    if (repeated && t > at_least_steps) break;
    auto [next, next_features, next_exponents] = dynamics.advance(t, state, features, trajectory.steps.back());
    trajectory.steps.push_back(std::move(next_exponents));
    // The step map is fixed, so once the state repeats every later step is the same.
    repeated = repeated || next == state;
    state = std::move(next);
    features = std::move(next_features);
  }
  if (repeated) trajectory.settled_from = first_settled_step(trajectory.steps);
  return trajectory;
}

std::vector<std::string> calculus_rules(const LoraModel& model) {
  // What a sum of n^length products adds to γ[u] + γ[v]: two parts that share a source,
  // and two that do not.
  auto added = [](const Affine& length, bool aligned) {
    std::vector<ContractionTerm> terms;
    contract(RandomVector(kInput, kOrderOne), RandomVector(aligned ? kInput : kBackprop, kOrderOne), length, &terms);
    return terms.front().added.to_string(Notation::Text);
  };
  auto sum_rule = [&](const std::string& over, const Affine& length) {
    return "a sum over " + over + " adds " + added(length, true) + " when its two vectors share a random direction (LLN) and " +
           added(length, false) + " when they are independent (CLT)";
  };
  return {"a product adds the exponents of its factors; a sum takes the largest; an exactly zero factor gives −inf",
          sum_rule("the width n", kWidthLength),
          sum_rule("the rank r = n^ρ (here ρ = " + model.rank.to_string(Notation::Text) + ")", model.rank),
          "the adapter's scale s = α/r^κ (here κ = " + to_string(model.multiplier) + "): γ[s] = γ[α] − κρ = " +
              text(model.adapter_scale())};
}

MaxAffine LoraModel::adapter_scale() const { return alpha + MaxAffine(rank * Rational(-multiplier)); }

}  // namespace gammalab::gamma
