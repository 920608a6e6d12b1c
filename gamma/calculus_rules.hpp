#pragma once
// The rules of the γ calculus in words, as the engine applies them to one model: what the
// page and the guide show as "the rules", asked of the engine, never written out by hand.
#include <string>
#include <vector>

#include "gamma/lora_dynamics.hpp"

namespace gammalab::gamma {

// One sentence each: products and sums; what a sum over the width and over the rank adds
// (asked of the alignment rule itself, gamma/random_vector.hpp: contract, at the model's
// ρ); and the adapter's scale at the model's κ.
std::vector<std::string> calculus_rules(const LoraModel& model);

}  // namespace gammalab::gamma
