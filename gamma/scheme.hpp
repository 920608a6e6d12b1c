#pragma once
// The LoRA initialisation schemes, named as in the papers, each expanding to the
// exponents γ[σ_A], γ[σ_B] of its initial entries (A₀ ~ σ_A, B₀ ~ σ_B; −∞ = zero) and
// whether the initial product B₀A₀ is subtracted from the frozen weight (so training
// starts at the pretrained model). The simulator uses the same names.
#include <string>
#include <string_view>
#include <vector>

#include "gamma/exponent.hpp"

namespace gammalab::gamma {

struct Scheme {
  std::string name;   // what users type: "A", "B", "AB", "inilora", …
  std::string title;  // how the papers write it: "Init[A]"
  Exponent sigma_A, sigma_B;
  bool subtracts_initial_product;
  std::string why;  // where the exponents come from
};

const std::vector<Scheme>& builtin_schemes();

// By name, ignoring case; throws InputError listing the accepted names.
const Scheme& find_scheme(std::string_view name);
std::string scheme_names();  // "A, B, AB, inilora, …, custom"

}  // namespace gammalab::gamma
