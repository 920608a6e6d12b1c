#pragma once
// The adapter rank as a scaling dimension: r = Θ(n^ρ) with 0 ≤ ρ < 1, and the adapter
// multiplier α/r^κ. ρ = 0 is a rank fixed while the width grows, every answer of the
// engine before rank was a dimension; κ = 1 is LoRA (Hu et al.), κ = 1/2 rsLoRA
// (Kalajdzievski), and any exact κ ≥ 0 may be asked.
#include <string>
#include <string_view>

#include <optional>
#include <vector>

#include "gamma/affine.hpp"
#include "gamma/rational.hpp"
#include "gamma/region.hpp"
#include "gamma/vocabulary.hpp"

namespace gammalab::gamma {

// The name of ρ as a free parameter (γ[r] in text: r = Θ(n^ρ)).
inline constexpr std::string_view kRankParameter = "rho";

// The multipliers with a name, each term's value its κ: lora (κ = 1), rslora (κ = 1/2).
// Any other exact κ ≥ 0 is a multiplier too, written as the number.
const Vocabulary<Rational>& named_multipliers();
// The multiplier's exponent κ from what users type: a named multiplier or an exact
// κ ≥ 0 ("3/4", "0.5", "1" — the same as lora). InputError naming the text and the
// accepted forms.
Rational parse_multiplier(std::string_view text);
// "lora", "rslora", or κ as an exact number ("3/4"): what files store and parse reads back.
std::string multiplier_name(const Rational& kappa);
// "LoRA (α/r)", "rsLoRA (α/√r)", "α/r^3/4": for people.
std::string multiplier_title(const Rational& kappa);
// What parse_multiplier accepts, in words: "lora, rslora (or rs-lora) or an exponent κ ≥ 0 …".
std::string multiplier_forms();

// ρ from what users type: an exact number in [0, 1) or "free" (the parameter rho).
// InputError naming the text and the accepted forms.
Affine parse_rank_exponent(std::string_view text);
inline constexpr std::string_view kRankExponentForms =
    "an exponent ρ with 0 ≤ ρ < 1 (r = n^ρ; 0 is a fixed rank) such as 0, 1/2 or 0.25, or 'free'";

// An exponent as a law in n and r: Θ(n^width_exponent · r^rank_exponent), the form
// c + dρ of an exponent of n read with r = n^ρ.
struct ScalingLaw {
  Rational width_exponent, rank_exponent;
  bool attained = true;  // for a supremum: whether the value itself is in the region
};
std::string to_string(const ScalingLaw& law);  // "n^-1/2 · r^0"
// The law of a supremum against ρ (supremum_along(region, parameter, "rho")) for a rank
// fixed or growing slowly: its piece on ρ ∈ [0, ε). Absent where it is unbounded there or
// the region is empty near ρ = 0.
std::optional<ScalingLaw> law_near_fixed_rank(const std::vector<SupremumPiece>& pieces);

}  // namespace gammalab::gamma
