#include "gamma/lora_dynamics.hpp"

#include <algorithm>
#include <stdexcept>

#include "gamma/width_vector.hpp"

namespace gammalab::gamma {

const std::vector<QuantityInfo>& all_quantities() {
  static const std::vector<QuantityInfo> table = {
      {Quantity::A, "A", "A", false, "entries of A"},
      {Quantity::B, "B", "B", false, "entries of B"},
      {Quantity::Z_A, "Z_A", "Z_A", false, "LoRA feature A Z̲ (r entries)"},
      {Quantity::Z_B, "Z_B", "Z_B", false, "LoRA output (α/r) B A Z̲ (n entries)"},
      {Quantity::AdapterOutput, "Z_B-Z_B0", "Z_B−Z_B⁰", false,
       "what the adapter adds to the pretrained layer when B₀A₀ is subtracted"},
      {Quantity::f, "f", "f", false, "network output w_outᵀ φ(h)"},
      {Quantity::dA, "dA", "ΔA", true, "entries of the update of A"},
      {Quantity::dB, "dB", "ΔB", true, "entries of the update of B"},
      {Quantity::dZ_A, "dZ_A", "ΔZ_A", true, "change of Z_A"},
      {Quantity::dZ_B, "dZ_B", "ΔZ_B", true, "change of Z_B = δ¹ + δ² + δ³"},
      {Quantity::delta1, "delta1", "δ¹", true, "(α/r) B_{t−1} ΔZ_A^t: learning through A"},
      {Quantity::delta2, "delta2", "δ²", true, "(α/r) ΔB_t Z_A^{t−1}: learning through B"},
      {Quantity::delta3, "delta3", "δ³", true, "(α/r) ΔB_t ΔZ_A^t: both at once"},
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

std::string text(const MaxAffine& g) { return g.to_string(Notation::Text); }

// What training carries from one step to the next. Equal states give equal futures.
struct State {
  WidthVector A;  // rows of A (r × n)
  WidthVector B;  // columns of B (n × r)
  bool A_gradient_seen = false;  // Adam's moments remember a gradient once it was non-zero
  bool B_gradient_seen = false;
  friend bool operator==(const State&, const State&) = default;
};

using Exponents = std::map<Quantity, MaxAffine>;

class Dynamics {
 public:
  Dynamics(const LoraModel& model, std::vector<DerivationLine>* lines)
      : model_(model),
        lines_(lines),
        input_(kInput, kOrderOne),
        initial_B_(kInitialB, model.sigma_B),
        readout_(kBackprop, Exponent(model.readout == Readout::Standard ? Rational(-1, 2) : Rational(-1))) {}

  State initial_state() {
    State state{WidthVector(kInitialA, model_.sigma_A), WidthVector(kInitialB, model_.sigma_B)};
    note(0, "A₀", "A₀ entries ~ σ_A", "initialisation", model_.sigma_A);
    note(0, "B₀", "B₀ entries ~ σ_B", "initialisation (−inf: exactly zero)", model_.sigma_B);
    return state;
  }

  // The exponents that a state determines: weights, features and (network) the output.
  Exponents observe(int t, const State& state) {
    Exponents q;
    q[Quantity::A] = state.A.entries();
    q[Quantity::B] = state.B.entries();
    note(t, "A", "entries of A_t: the max over its parts " + parts(state.A), "sum → max", q[Quantity::A]);
    note(t, "B", "entries of B_t: the max over its parts " + parts(state.B), "sum → max", q[Quantity::B]);

    q[Quantity::Z_A] = contracted(t, "Z_A", "Z_A = A_t Z̲: each entry sums n products A_ik Z̲_k", state.A, input_);

    // (α/r) B Z_A is a sum of r columns of B weighted by Z_A's entries: r is fixed, so the
    // sum over r adds nothing, and each column keeps its sources.
    WidthVector lora_output = state.B.times(model_.alpha + q[Quantity::Z_A]);
    q[Quantity::Z_B] = lora_output.entries();
    note(t, "Z_B", "Z_B = (α/r) B_t Z_A: a sum over the r columns of B (r fixed: no width factor)",
         "product: γ[α] + γ[B] + γ[Z_A] = " + text(model_.alpha) + " + " + text(q[Quantity::B]) + " + " +
             text(q[Quantity::Z_A]),
         q[Quantity::Z_B]);

    WidthVector seen_by_network = lora_output;
    if (model_.subtract_initial_product) {
      // Z_B − Z_B⁰ = (α/r)[B₀ (Z_A − Z_A⁰) + (B − B₀) Z_A]: the initial part of B times the
      // change of Z_A, plus the change of B times Z_A.
      MaxAffine change_of_Z_A = contract(state.A.without(kInitialA), input_);
      seen_by_network = initial_B_.times(model_.alpha + change_of_Z_A) +
                        state.B.without(kInitialB).times(model_.alpha + q[Quantity::Z_A]);
      q[Quantity::AdapterOutput] = seen_by_network.entries();
      note(t, "Z_B−Z_B⁰", "(α/r)[B₀(Z_A − Z_A⁰) + (B − B₀) Z_A], γ[Z_A − Z_A⁰] = " + text(change_of_Z_A),
           "product and sum → max", q[Quantity::AdapterOutput]);
    }

    if (model_.setting == Setting::Network) {
      // f = w_outᵀ φ(h + adapter output): φ is 1-Lipschitz, so the change of φ(h) has the
      // order and the sources of the adapter output (ReLU's mask φ' is Θ(1) entries).
      MaxAffine change = contracted(t, "f−f_pre", "w_outᵀ (φ(h) − φ(h_pre)) ≈ w_outᵀ (φ'(h) ⊙ adapter output)",
                                    readout_, seen_by_network);
      q[Quantity::f] = max(pretrained_output(), change);
      note(t, "f", "f = f_pre + (f − f_pre)", "sum → max: max(" + text(pretrained_output()) + ", " + text(change) + ")",
           q[Quantity::f]);
    }
    return q;
  }

  // One optimiser step: gradients at step t−1, updates, and the exponents at step t.
  std::pair<State, Exponents> advance(int t, const State& before, const Exponents& was) {
    // The gradient arriving at the layer output. Module: Θ(1) by assumption. Network:
    // dZ̄ = (f − y)·w_out ⊙ φ'(h), whose size is γ[w_out] + γ[f − y], with y = Θ(1).
    MaxAffine backprop_size = kOrderOne;
    if (model_.setting == Setting::Network) backprop_size = readout_.entries() + max(kOrderOne, was.at(Quantity::f));
    WidthVector backprop(kBackprop, backprop_size);
    note(t, "dZ̄", model_.setting == Setting::Network ? "dZ̄ = (f − y) w_out ⊙ φ'(h): entries γ[w_out] + max(0, γ[f])"
                                                      : "dZ̄ = Θ(1) entries (paper 003, Assumption 1)",
         "product", backprop_size);

    // ∂L/∂B = (α/r) dZ̄ ⊗ Z_A: an outer product, no sum over n. ∂L/∂A = (α/r)(Bᵀ dZ̄) ⊗ Z̲,
    // where Bᵀ dZ̄ sums over n and so carries an alignment.
    MaxAffine raw_B = model_.alpha + backprop_size + was.at(Quantity::Z_A);
    note(t, "∂L/∂B", "(α/r) dZ̄ ⊗ Z_A^{t−1}: entries γ[α] + γ[dZ̄] + γ[Z_A]" +
                          std::string(raw_B.is_zero_quantity() ? " — exactly zero because Z_A is" : ""),
         "product (zero stays zero)", raw_B);
    MaxAffine B_transpose_backprop = contracted(t, "Bᵀ dZ̄", "Bᵀ_{t−1} dZ̄: each entry sums n products", before.B, backprop);
    MaxAffine raw_A = model_.alpha + B_transpose_backprop + kOrderOne;
    note(t, "∂L/∂A", "(α/r)(Bᵀ dZ̄) ⊗ Z̲: entries γ[α] + γ[Bᵀ dZ̄] + γ[Z̲]" +
                          std::string(raw_A.is_zero_quantity() ? " — exactly zero because B is" : ""),
         "product (zero stays zero)", raw_A);

    State after = before;
    after.A_gradient_seen = before.A_gradient_seen || !raw_A.is_zero_quantity();
    after.B_gradient_seen = before.B_gradient_seen || !raw_B.is_zero_quantity();
    MaxAffine processed_A = processed(t, "g_A", raw_A, after.A_gradient_seen);
    MaxAffine processed_B = processed(t, "g_B", raw_B, after.B_gradient_seen);

    WidthVector update_A(kInput, model_.eta_A + processed_A);     // rows ∝ Z̲
    WidthVector update_B(kBackprop, model_.eta_B + processed_B);  // columns ∝ dZ̄
    after.A = before.A + update_A;
    after.B = before.B + update_B;

    Exponents q = observe(t, after);
    q[Quantity::dA] = update_A.entries();
    q[Quantity::dB] = update_B.entries();
    note(t, "ΔA", "ΔA = −η_A g_A: entries γ[η_A] + γ[g_A], rows built from Z̲", "product", q[Quantity::dA]);
    note(t, "ΔB", "ΔB = −η_B g_B: entries γ[η_B] + γ[g_B], columns built from dZ̄", "product", q[Quantity::dB]);
    q[Quantity::dZ_A] = contracted(t, "ΔZ_A", "ΔZ_A = ΔA_t Z̲: each entry sums n products", update_A, input_);

    // Paper 003 eq. (2): ΔZ_B = δ¹ + δ² + δ³, each a sum over r of columns (no width factor).
    WidthVector delta1 = before.B.times(model_.alpha + q[Quantity::dZ_A]);
    WidthVector delta2 = update_B.times(model_.alpha + was.at(Quantity::Z_A));
    WidthVector delta3 = update_B.times(model_.alpha + q[Quantity::dZ_A]);
    q[Quantity::delta1] = delta1.entries();
    q[Quantity::delta2] = delta2.entries();
    q[Quantity::delta3] = delta3.entries();
    note(t, "δ¹", "(α/r) B_{t−1} ΔZ_A^t", "product: γ[α] + γ[B_{t−1}] + γ[ΔZ_A]", q[Quantity::delta1]);
    note(t, "δ²", "(α/r) ΔB_t Z_A^{t−1}", "product: γ[α] + γ[ΔB] + γ[Z_A^{t−1}]", q[Quantity::delta2]);
    note(t, "δ³", "(α/r) ΔB_t ΔZ_A^t", "product: γ[α] + γ[ΔB] + γ[ΔZ_A]", q[Quantity::delta3]);
    WidthVector change = delta1 + delta2 + delta3;
    q[Quantity::dZ_B] = change.entries();
    note(t, "ΔZ_B", "δ¹ + δ² + δ³", "sum → max", q[Quantity::dZ_B]);
    if (model_.setting == Setting::Network)
      q[Quantity::df] = contracted(t, "Δf", "Δf ≈ w_outᵀ (φ' ⊙ ΔZ_B): sums n products", readout_, change);
    return {after, q};
  }

 private:
  // The pretrained output w_outᵀ φ(h_pre): the readout is drawn independently of the
  // pretrained features, so CLT: γ[w_out] + 0 + 1/2.
  MaxAffine pretrained_output() const { return readout_.entries() + MaxAffine(Exponent(Rational(1, 2))); }

  // The optimiser's processed gradient; a switch without default, so that the compiler
  // names this place when an optimiser is added to the vocabulary.
  MaxAffine processed(int t, const std::string& name, const MaxAffine& raw, bool seen) {
    switch (model_.optimizer) {
      case Optimizer::Sgd:
        note(t, name, "SGD uses the raw gradient", "identity", raw);
        return raw;
      case Optimizer::Adam: {
        MaxAffine result = seen ? kOrderOne : MaxAffine();
        note(t, name,
             seen ? "Adam: entries Θ(1) where the gradient has been non-zero"
                  : "Adam: the gradient has been exactly zero so far, so are its moments",
             "Adam (paper 003, Assumption 1)", result);
        return result;
      }
    }
    throw std::logic_error("an optimizer without an engine rule");
  }

  MaxAffine contracted(int t, const std::string& quantity, const std::string& equation, const WidthVector& u,
                       const WidthVector& v) {
    std::vector<ContractionTerm> terms;
    MaxAffine result = contract(u, v, &terms);
    std::string rule;
    for (const auto& term : terms) {
      if (!rule.empty()) rule += "; ";
      rule += describe(term.left) + "·" + describe(term.right) + ": " +
              (term.aligned ? "share a direction → LLN: " : "independent → CLT: ") + text(u.parts().at(term.left)) +
              " + " + text(v.parts().at(term.right)) + (term.aligned ? " + 1" : " + 1/2") + " = " + text(term.exponent);
    }
    if (rule.empty()) rule = "zero: a factor is exactly zero, so is every sum of products";
    note(t, quantity, equation, rule, result);
    return result;
  }

  static std::string parts(const WidthVector& v) {
    if (v.is_zero()) return "(none: exactly zero)";
    std::string text_of_parts;
    for (const auto& [sources, exponent] : v.parts())
      text_of_parts += (text_of_parts.empty() ? "" : ", ") + describe(sources) + "-built " + text(exponent);
    return text_of_parts;
  }

  void note(int t, const std::string& quantity, const std::string& equation, const std::string& rule,
            const MaxAffine& result) {
    if (lines_) lines_->push_back({t, quantity, equation, rule, result});
  }

  const LoraModel& model_;
  std::vector<DerivationLine>* lines_;
  WidthVector input_;       // Z̲: Θ(1) entries
  WidthVector initial_B_;   // B₀
  WidthVector readout_;     // w_out, along dZ̄'s direction
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
  Dynamics dynamics(model, derivation);
  State state = dynamics.initial_state();
  Trajectory trajectory;
  trajectory.steps.push_back(dynamics.observe(0, state));
  bool repeated = false;
  for (int t = 1; t <= std::max(kMaxSteps, at_least_steps); ++t) {
    if (repeated && t > at_least_steps) break;
    auto [next, exponents] = dynamics.advance(t, state, trajectory.steps.back());
    trajectory.steps.push_back(std::move(exponents));
    // The step map is fixed, so once the state repeats every later step is the same.
    repeated = repeated || next == state;
    state = std::move(next);
  }
  if (repeated) trajectory.settled_from = first_settled_step(trajectory.steps);
  return trajectory;
}

}  // namespace gammalab::gamma
