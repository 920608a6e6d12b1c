#pragma once
// The vocabulary of gammalab: every closed set of choices that a user types, a file
// stores and a program prints — the setting, the readout, the optimiser here; the
// multiplier, the window of steps, the scale, the statistical verdict, the stability
// criterion and the estimator beside the code they belong to — each defined once, with
// its names, its parsing and its printing. The engine, the simulator, the GPU backend and
// the command line all use these enums and these tables; the plot scripts see the same
// names through the result files. A new value is one enumerator and one row.
//
// One case rule for every lookup, these vocabularies and the scheme registries alike:
// input matches a name or an alias ignoring the case of ASCII letters ("Adam", "B",
// "RsLoRA"), and what is printed and stored is always the canonical name ("adam", "B",
// "rslora"), so a file written from any spelling reads the same.
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gamma/input_error.hpp"

namespace gammalab::gamma {

// The case rule above: whether `typed` spells `name`, ignoring the case of ASCII letters.
inline bool same_name(std::string_view typed, std::string_view name) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::equal(typed.begin(), typed.end(), name.begin(), name.end(),
                    [&](char a, char b) { return lower(a) == lower(b); });
}

// (1) the single LoRA module of paper 003 §3.1: input Z̲ and gradient dZ̄ of order one;
// (2) the teacher-student network of eq. (4), f = w_outᵀ φ(Y_in + (W_h + (α/r)BA) φ(Y_in)).
enum class Setting { Module, Network };
// The readout's entries in the network: n^-1/2 (standard, as in the paper's toy) or n^-1 (μP).
enum class Readout { Standard, MuP };
// Adam: processed gradient entries Θ(1) wherever the raw gradient is non-zero (paper 003,
// Assumption 1; the simulator runs AdamW, whose weight decay is 0 unless a spec sets it);
// SGD: the raw gradient itself, whose size depends on alignment.
enum class Optimizer { Adam, Sgd };
// A deep MLP's width parametrization (gamma/mlp.hpp): the four of Tensor Programs IV
// (Yang & Hu 2021) — standard, neural tangent, mean field, maximal update — or exponents
// given per layer group.
enum class Parametrization { Sp, Ntk, Mfp, Mup, Custom };
// How an update meets the vectors it multiplies in a sum over the width: `full`, as the
// engine derives it (ΔW ∝ g ⊗ x meets x again: the law of large numbers, the sum adds the
// length); `none`, treated as independent of them (the central limit rate, half the length).
enum class Alignment { Full, None };

template <class Value>
struct Term {
  Value value;
  std::string name;                  // what users type and files store: "adam"
  std::string title;                 // how people read it: "Adam"
  std::vector<std::string> aliases;  // other spellings accepted on input, never printed: "adamw"

  bool is_spelled(std::string_view text) const {
    return same_name(text, name) ||
           std::any_of(aliases.begin(), aliases.end(), [&](const std::string& alias) { return same_name(text, alias); });
  }
};

// One concept's terms. parse() accepts a name or an alias under the case rule above, and
// otherwise throws an InputError that lists what is accepted.
template <class Value>
class Vocabulary {
 public:
  Vocabulary(std::string concept_name, std::vector<Term<Value>> terms)
      : concept_(std::move(concept_name)), terms_(std::move(terms)) {}

  const std::string& concept_name() const { return concept_; }
  const std::vector<Term<Value>>& terms() const { return terms_; }
  // Every value, in the table's order.
  std::vector<Value> values() const {
    std::vector<Value> all;
    for (const auto& term : terms_) all.push_back(term.value);
    return all;
  }

  Value parse(std::string_view text) const {
    if (auto value = find(text)) return *value;
    throw InputError("unknown " + concept_ + " '" + std::string(text) + "'; accepted: " + accepted());
  }
  // The value `text` spells; none where it spells no term (a concept whose other values
  // are written out, as the multiplier's exact κ).
  std::optional<Value> find(std::string_view text) const {
    for (const auto& term : terms_)
      if (term.is_spelled(text)) return term.value;
    return std::nullopt;
  }
  // Whether a value has a row (a named multiplier, rather than an exact κ).
  bool has(const Value& value) const {
    return std::any_of(terms_.begin(), terms_.end(), [&](const auto& term) { return term.value == value; });
  }
  const std::string& name(const Value& value) const { return term(value).name; }
  const std::string& title(const Value& value) const { return term(value).title; }
  // The names of a list of values (an axis), in its order.
  std::vector<std::string> names(const std::vector<Value>& values) const {
    std::vector<std::string> all;
    for (const Value& value : values) all.push_back(name(value));
    return all;
  }

  // Every spelling parse() accepts, names first.
  std::vector<std::string> spellings() const {
    std::vector<std::string> all;
    for (const auto& term : terms_) all.push_back(term.name);
    for (const auto& term : terms_) all.insert(all.end(), term.aliases.begin(), term.aliases.end());
    return all;
  }
  // "adam (or adamw), sgd"
  std::string accepted() const {
    std::string text;
    for (const auto& term : terms_) {
      text += (text.empty() ? "" : ", ") + term.name;
      for (const auto& alias : term.aliases) text += " (or " + alias + ")";
    }
    return text;
  }

 private:
  const Term<Value>& term(const Value& value) const {
    for (const auto& term : terms_)
      if (term.value == value) return term;
    throw std::logic_error(concept_ + ": a value without a row in its vocabulary");
  }
  std::string concept_;
  std::vector<Term<Value>> terms_;
};

inline const Vocabulary<Setting>& settings() {
  static const Vocabulary<Setting> vocabulary("setting", {{Setting::Module, "module", "module", {}},
                                                         {Setting::Network, "network", "network", {}}});
  return vocabulary;
}

inline const Vocabulary<Readout>& readouts() {
  static const Vocabulary<Readout> vocabulary("readout", {{Readout::Standard, "sp", "standard readout", {}},
                                                         {Readout::MuP, "mup", "μP readout", {}}});
  return vocabulary;
}

inline const Vocabulary<Optimizer>& optimizers() {
  static const Vocabulary<Optimizer> vocabulary("optimizer", {{Optimizer::Adam, "adam", "Adam", {"adamw"}},
                                                             {Optimizer::Sgd, "sgd", "SGD", {}}});
  return vocabulary;
}

inline const Vocabulary<Parametrization>& parametrizations() {
  static const Vocabulary<Parametrization> vocabulary(
      "parametrization", {{Parametrization::Sp, "sp", "standard", {"standard"}},
                          {Parametrization::Ntk, "ntk", "NTK", {}},
                          {Parametrization::Mfp, "mfp", "mean field", {"mean-field"}},
                          {Parametrization::Mup, "mup", "μP", {}},
                          {Parametrization::Custom, "custom", "custom", {}}});
  return vocabulary;
}

inline const Vocabulary<Alignment>& alignments() {
  static const Vocabulary<Alignment> vocabulary("alignment", {{Alignment::Full, "full", "full alignment", {}},
                                                             {Alignment::None, "none", "no alignment", {}}});
  return vocabulary;
}

}  // namespace gammalab::gamma
