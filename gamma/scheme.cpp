#include "gamma/scheme.hpp"

#include <stdexcept>

#include "gamma/input_error.hpp"
#include "gamma/vocabulary.hpp"

namespace gammalab::gamma {

namespace {
std::vector<Scheme>& registry() {
  const Exponent zero = Exponent::zero_quantity();
  const Exponent half = Exponent(Rational(-1, 2));
  const Rational fan_in_r = Rational(-1, 2);  // Kaiming over B's fan-in r: σ_B ∝ r^-1/2
  static std::vector<Scheme> schemes = {
      {"A", "Init[A]", half, zero, false,
       "A₀ ~ N(0, 1/n) (Kaiming: fan-in n), B₀ = 0 — paper 003 §2.1, the PEFT default"},
      {"B", "Init[B]", zero, Exponent(0), false,
       "A₀ = 0, B₀ ~ N(0, 1/r) (Kaiming: fan-in r): Θ(1) in n, r^-1/2 — paper 003 §2.1", 0, fan_in_r},
      {"AB", "Init[AB]", half, half, false,
       "A₀, B₀ both ~ 1/√n — paper 000; the authors' option to subtract B₀A₀ is off by default"},
      {"inilora", "IniLoRA", half, half, true,
       "A, B fitted to W_h by gradient descent (paper 002): the balanced factors of the best rank-r "
       "approximation of W_h ~ N(0, 1/n), whose top r singular values are Θ(1) for r = o(n), so entries ~ n^-1/2; residual frozen"},
      {"inilora-alpha", "IniLoRA-α", Exponent(0), Exponent(0), true,
       "A₀, B₀ ~ N(0, 0.5²), constant in n and r — paper 002 §3; IniLoRA's code subtracts B₀A₀"},
      {"inilora-beta", "IniLoRA-β", half, Exponent(0), true,
       "Kaiming on both: A's fan-in is n (n^-1/2), B's fan-in is r (r^-1/2) — paper 002 §3; B₀A₀ subtracted", 0, fan_in_r},
      {"inilora-beta-uniform", "IniLoRA-β (uniform)", half, Exponent(0), true,
       "Kaiming uniform on both, U(±√(6/fan-in)): the same exponents as IniLoRA-β", 0, fan_in_r},
      {"pissa", "PiSSA", half, half, true,
       "top-r singular directions of W_h ~ N(0, 1/n): √s·v with s = Θ(1) for r = o(n), unit vectors of entries n^-1/2; residual frozen"},
      {"milora", "MiLoRA", Exponent(-1), Exponent(-1), true,
       "the r smallest singular directions of the square W_h: the k-th smallest s is Θ(k/n), so √s·v has entries up to "
       "n^-1·r^1/2; residual frozen", Rational(1, 2), Rational(1, 2)},
  };
  return schemes;
}
}  // namespace

const std::vector<Scheme>& all_schemes() { return registry(); }

namespace {
MaxAffine at_rank(const Exponent& width_exponent, const Rational& per_rank, const Affine& rank) {
  if (width_exponent.is_minus_infinity()) return MaxAffine();
  return MaxAffine(Affine::constant(width_exponent.value()) + rank * per_rank);
}
}  // namespace

MaxAffine Scheme::sigma_A_at(const Affine& rank) const { return at_rank(sigma_A, sigma_A_per_rank, rank); }
MaxAffine Scheme::sigma_B_at(const Affine& rank) const { return at_rank(sigma_B, sigma_B_per_rank, rank); }

bool is_custom_scheme(std::string_view name) { return same_name(name, kCustomScheme); }

void register_scheme(Scheme scheme) {
  for (const auto& known : registry())
    if (same_name(scheme.name, known.name) || same_name(scheme.name, known.title) || is_custom_scheme(scheme.name))
      throw std::invalid_argument("a scheme named '" + scheme.name + "' exists already");
  registry().push_back(std::move(scheme));
}

std::string scheme_names() {
  std::string names;
  for (const auto& scheme : all_schemes()) names += scheme.name + ", ";
  return names + std::string(kCustomScheme);
}

const Scheme& find_scheme(std::string_view name) {
  for (const auto& scheme : all_schemes())
    if (same_name(name, scheme.name) || same_name(name, scheme.title)) return scheme;
  throw InputError("unknown scheme '" + std::string(name) + "'; accepted: " + scheme_names());
}

std::string canonical_scheme_name(std::string_view name) {
  return is_custom_scheme(name) ? std::string(kCustomScheme) : find_scheme(name).name;
}

}  // namespace gammalab::gamma
