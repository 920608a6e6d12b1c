#include "gamma/rank.hpp"

#include "gamma/input_error.hpp"

namespace gammalab::gamma {

namespace {
const Rational kLora = 1;
const Rational kRsLora = Rational(1, 2);
}  // namespace

Rational parse_multiplier(std::string_view text) {
  if (text == "lora") return kLora;
  if (text == "rslora") return kRsLora;
  auto kappa = parse_rational(text);
  if (!kappa || *kappa < 0) refuse_number(text, "a multiplier", kMultiplierForms);
  return *kappa;
}

std::string multiplier_name(const Rational& kappa) {
  if (kappa == kLora) return "lora";
  if (kappa == kRsLora) return "rslora";
  return to_string(kappa);
}

std::string multiplier_title(const Rational& kappa) {
  if (kappa == kLora) return "LoRA (α/r)";
  if (kappa == kRsLora) return "rsLoRA (α/√r)";
  return "α/r^" + to_string(kappa);
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
