#pragma once
// The vocabulary of gammalab: every closed set of choices that a user types, a file
// stores and a program prints — the setting, the readout, the optimiser — defined once
// here, each with its names, its parsing and its printing. The engine, the simulator,
// the GPU backend and the command line all use these enums and these tables; the plot
// scripts see the same names through the result files. A new value is one enumerator
// and one row below.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "gamma/input_error.hpp"

namespace gammalab::gamma {

// (1) the single LoRA module of paper 003 §3.1: input Z̲ and gradient dZ̄ of order one;
// (2) the teacher-student network of eq. (4), f = w_outᵀ φ(Y_in + (W_h + (α/r)BA) φ(Y_in)).
enum class Setting { Module, Network };
// The readout's entries in the network: n^-1/2 (standard, as in the paper's toy) or n^-1 (μP).
enum class Readout { Standard, MuP };
// Adam: processed gradient entries Θ(1) wherever the raw gradient is non-zero (paper 003,
// Assumption 1; the simulator runs AdamW, whose weight decay is 0 unless a spec sets it);
// SGD: the raw gradient itself, whose size depends on alignment.
enum class Optimizer { Adam, Sgd };

template <class Value>
struct Term {
  Value value;
  std::string name;                  // what users type and files store: "adam"
  std::string title;                 // how people read it: "Adam"
  std::vector<std::string> aliases;  // other spellings accepted on input, never printed: "adamw"
};

// One concept's terms. parse() accepts a name or an alias, exactly as written, and
// otherwise throws an InputError that lists what is accepted.
template <class Value>
class Vocabulary {
 public:
  Vocabulary(std::string concept_name, std::vector<Term<Value>> terms)
      : concept_(std::move(concept_name)), terms_(std::move(terms)) {}

  const std::string& concept_name() const { return concept_; }
  const std::vector<Term<Value>>& terms() const { return terms_; }

  Value parse(std::string_view text) const {
    for (const auto& term : terms_)
      if (term.name == text || std::find(term.aliases.begin(), term.aliases.end(), text) != term.aliases.end())
        return term.value;
    throw InputError("unknown " + concept_ + " '" + std::string(text) + "'; accepted: " + accepted());
  }
  const std::string& name(Value value) const { return term(value).name; }
  const std::string& title(Value value) const { return term(value).title; }
  // The names of a list of values (an axis), in its order.
  std::vector<std::string> names(const std::vector<Value>& values) const {
    std::vector<std::string> all;
    for (Value value : values) all.push_back(name(value));
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
  const Term<Value>& term(Value value) const {
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

}  // namespace gammalab::gamma
