#include "gamma/rank.hpp"

#include "gamma/input_error.hpp"

namespace gammalab::gamma {

const Vocabulary<Rational>& named_multipliers() {
  static const Vocabulary<Rational> vocabulary(
      "multiplier", {{Rational(1), "lora", "LoRA (α/r)", {}},  // Hu et al.
                     {Rational(1, 2), "rslora", "rsLoRA (α/√r)", {"rs-lora"}}});  // Kalajdzievski, rank-stabilised
  return vocabulary;
}

std::string multiplier_forms() {
  return named_multipliers().accepted() + " or an exponent κ ≥ 0 such as 3/4 (α/r^κ)";
}

Rational parse_multiplier(std::string_view text) {
  if (auto named = named_multipliers().find(text)) return *named;
  auto kappa = parse_rational(text);
  if (!kappa || *kappa < 0) refuse_number(text, "a multiplier", multiplier_forms());
  return *kappa;
}

std::string multiplier_name(const Rational& kappa) {
  return named_multipliers().has(kappa) ? named_multipliers().name(kappa) : to_string(kappa);
}

std::string multiplier_title(const Rational& kappa) {
  return named_multipliers().has(kappa) ? named_multipliers().title(kappa) : "α/r^" + to_string(kappa);
}

Affine parse_rank_exponent(std::string_view text) {
  if (text == "free") return Affine::parameter(std::string(kRankParameter));
  auto rho = parse_rational(text);
  if (!rho || *rho < 0 || *rho >= 1) refuse_number(text, "a rank exponent", kRankExponentForms);
  return Affine::constant(*rho);
}

std::string to_string(const ScalingLaw& law) {
  return "n^" + to_string(law.width_exponent) + " · r^" + to_string(law.rank_exponent);
}

std::optional<ScalingLaw> law_near_fixed_rank(const std::vector<SupremumPiece>& pieces) {
  const std::string rho(kRankParameter);
  for (const auto& piece : pieces) {
    bool starts_by_zero = !piece.from || *piece.from <= 0;
    bool goes_past_zero = !piece.to || *piece.to > 0;
    if (!starts_by_zero || !goes_past_zero) continue;
    if (!piece.value) return std::nullopt;
    return ScalingLaw{piece.value->evaluate({{rho, 0}}), piece.value->coefficient(rho), piece.attained};
  }
  return std::nullopt;
}

}  // namespace gammalab::gamma
