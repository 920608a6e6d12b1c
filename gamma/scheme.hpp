#pragma once
// The LoRA initialisation schemes, named as in the papers, each expanding to the
// exponents γ[σ_A], γ[σ_B] of its initial entries (A₀ ~ σ_A, B₀ ~ σ_B; −∞ = zero) and
// whether the initial product B₀A₀ is subtracted from the frozen weight (so training
// starts at the pretrained model). This registry is the one list of scheme names: the
// simulator registers an initialiser under each of them (sim/model/lora_init.cpp), and a test
// checks that the two lists agree. "custom" is not a row: its σ exponents are given.
#include <string>
#include <string_view>
#include <vector>

#include "gamma/exponent.hpp"
#include "gamma/max_affine.hpp"

namespace gammalab::gamma {

struct Scheme {
  std::string name;   // what users type: "A", "B", "AB", "inilora", …
  std::string title;  // how the papers write it: "Init[A]"
  Exponent sigma_A, sigma_B;  // at a fixed rank
  bool subtracts_initial_product;
  std::string why;  // where the exponents come from
  // How σ moves with the rank: σ = Θ(n^γ[σ] · r^c); Init[B]'s Kaiming B₀ ~ N(0, 1/r) has
  // c = −1/2 for B. With r = n^ρ, γ[σ] + cρ (gamma/rank.hpp).
  Rational sigma_A_per_rank = 0, sigma_B_per_rank = 0;

  MaxAffine sigma_A_at(const Affine& rank) const;  // γ[σ_A] at r = n^rank
  MaxAffine sigma_B_at(const Affine& rank) const;
};

// Every scheme: the papers' ones, then any registered.
const std::vector<Scheme>& all_schemes();
// Adds a scheme (a test's made-up one, or a plug-in's) before any lookup runs; throws
// std::invalid_argument for a name already taken.
void register_scheme(Scheme scheme);

// The scheme whose σ exponents the user gives (--sigma-A/--sigma-B, or a spec's [init]).
inline constexpr std::string_view kCustomScheme = "custom";
bool is_custom_scheme(std::string_view name);  // under the case rule of gamma/vocabulary.hpp

// By name or by title ("B", "b", "Init[B]", "init[b]"), under the case rule of
// gamma/vocabulary.hpp; throws InputError listing the accepted names.
const Scheme& find_scheme(std::string_view name);
// The name a scheme is printed and stored under ("B" for "init[b]", "custom" for
// "Custom"); InputError as find_scheme.
std::string canonical_scheme_name(std::string_view name);
std::string scheme_names();  // "A, B, AB, inilora, …, custom"

}  // namespace gammalab::gamma
