#include "sim/model/lora_init.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gamma/input_error.hpp"
#include "gamma/scheme.hpp"

namespace gammalab::sim {

double EntryScale::at_width(int width) const {
  if (std::isinf(exponent) && exponent < 0) return 0.0;
  return constant * std::pow(static_cast<double>(width), exponent);
}

namespace {

// Fits s·B·A to W_h by plain gradient descent from a Gaussian start whose spread is the
// spread of W_h's entries (paper 002 §3, eq. 1–3, with a single layer).
double fit_to_frozen_weight(const Eigen::MatrixXd& W_h, double scale, int steps, Eigen::MatrixXd& A, Eigen::MatrixXd& B) {
  // W_h ~ N(0, 1/n) has spectral norm ≈ 2, so the factors' curvature is O(1) and a
  // fixed step of 0.1 is stable at every width.
  const double step = 0.1;
  for (int i = 0; i < steps; ++i) {
    Eigen::MatrixXd residual = W_h - scale * (B * A);
    Eigen::MatrixXd grad_A = -scale * (B.transpose() * residual);
    Eigen::MatrixXd grad_B = -scale * (residual * A.transpose());
    A -= step * grad_A;
    B -= step * grad_B;
  }
  return (W_h - scale * (B * A)).norm() / W_h.norm();
}

// √s·v for r singular directions of W_h, starting at `first` (singular values come
// sorted from the largest): B = U√S/√s, A = √S Vᵀ/√s.
void singular_directions(const InitContext& c, Eigen::Index first, LoraFactors& factors) {
  const int n = c.student.width;
  if (c.rank > n) throw std::invalid_argument("rank exceeds width: no " + c.spec.scheme + " factors");
  const auto& svd = c.student.svd_of_W_h();
  Eigen::VectorXd root = svd.singularValues().segment(first, c.rank).cwiseSqrt() / std::sqrt(c.scale);
  factors.B = svd.matrixU().middleCols(first, c.rank) * root.asDiagonal();
  factors.A = root.asDiagonal() * svd.matrixV().middleCols(first, c.rank).transpose();
}

double width_of(const InitContext& c) { return c.student.width; }

std::vector<SchemeInitialiser>& registry() {
  static std::vector<SchemeInitialiser> initialisers = {
      {"A", [](const InitContext& c, LoraFactors& f) { f.A = c.rng.normal_matrix(c.rank, c.student.width, 1 / std::sqrt(width_of(c))); },
       false, false},
      {"B", [](const InitContext& c, LoraFactors& f) { f.B = c.rng.normal_matrix(c.student.width, c.rank, 1 / std::sqrt(double(c.rank))); },
       false, false},
      {"AB",
       [](const InitContext& c, LoraFactors& f) {
         const double sigma = c.spec.sigma.value_or(1 / std::sqrt(width_of(c)));
         f.A = c.rng.normal_matrix(c.rank, c.student.width, sigma);
         f.B = c.rng.normal_matrix(c.student.width, c.rank, sigma);
       },
       false, true},
      {"inilora",
       [](const InitContext& c, LoraFactors& f) {
         const auto& W_h = c.student.W_h;
         double spread = std::sqrt((W_h.array() - W_h.mean()).square().mean());
         f.A = c.rng.normal_matrix(c.rank, c.student.width, spread);
         f.B = c.rng.normal_matrix(c.student.width, c.rank, spread);
         f.fit_residual = fit_to_frozen_weight(W_h, c.scale, c.spec.inilora_steps, f.A, f.B);
       },
       true, false},
      {"inilora-alpha",
       [](const InitContext& c, LoraFactors& f) {
         f.A = c.rng.normal_matrix(c.rank, c.student.width, c.spec.sigma.value_or(0.5));
         f.B = c.rng.normal_matrix(c.student.width, c.rank, c.spec.sigma.value_or(0.5));
       },
       false, true},
      {"inilora-beta",  // Kaiming normal, std √(2/fan-in): A's fan-in is n, B's is r
       [](const InitContext& c, LoraFactors& f) {
         f.A = c.rng.normal_matrix(c.rank, c.student.width, std::sqrt(2 / width_of(c)));
         f.B = c.rng.normal_matrix(c.student.width, c.rank, std::sqrt(2.0 / c.rank));
       },
       false, false},
      {"inilora-beta-uniform",  // Kaiming uniform, U(±√(6/fan-in))
       [](const InitContext& c, LoraFactors& f) {
         f.A = c.rng.uniform_matrix(c.rank, c.student.width, std::sqrt(6 / width_of(c)));
         f.B = c.rng.uniform_matrix(c.student.width, c.rank, std::sqrt(6.0 / c.rank));
       },
       false, false},
      {"pissa", [](const InitContext& c, LoraFactors& f) { singular_directions(c, 0, f); }, true, false},
      {"milora", [](const InitContext& c, LoraFactors& f) { singular_directions(c, c.student.width - c.rank, f); }, true, false},
      {std::string(gamma::kCustomScheme),
       [](const InitContext& c, LoraFactors& f) {
         f.A = c.rng.normal_matrix(c.rank, c.student.width, c.spec.sigma_A.at_width(c.student.width));
         f.B = c.rng.normal_matrix(c.student.width, c.rank, c.spec.sigma_B.at_width(c.student.width));
       },
       false, false},
  };
  return initialisers;
}

}  // namespace

const std::vector<SchemeInitialiser>& scheme_initialisers() { return registry(); }

void register_initialiser(SchemeInitialiser initialiser) {
  initialiser.name = gamma::find_scheme(initialiser.name).name;  // the engine must know it, by this name
  for (const auto& known : registry())
    if (known.name == initialiser.name) throw std::invalid_argument("an initialiser for '" + initialiser.name + "' exists already");
  registry().push_back(std::move(initialiser));
}

std::vector<std::string> simulator_schemes() {
  std::vector<std::string> names;
  for (const auto& initialiser : registry()) names.push_back(initialiser.name);
  return names;
}

const SchemeInitialiser& find_initialiser(const std::string& scheme) {
  const std::string name = gamma::canonical_scheme_name(scheme);  // the engine's lookup, one case rule
  for (const auto& initialiser : registry())
    if (initialiser.name == name) return initialiser;
  std::string accepted;
  for (const auto& name : simulator_schemes()) accepted += (accepted.empty() ? "" : ", ") + name;
  throw InputError("unknown scheme '" + scheme + "'; accepted: " + accepted);
}

bool subtracts_by_default(const std::string& scheme) {
  return !gamma::is_custom_scheme(scheme) && gamma::find_scheme(scheme).subtracts_initial_product;
}

LoraFactors initialise_lora(const InitSpec& spec, const FrozenStudent& student, int rank, double scale,
                            std::uint64_t seed) {
  const SchemeInitialiser& initialiser = find_initialiser(spec.scheme);
  Rng rng(seed, "lora-init/" + spec.scheme + "/" + std::to_string(student.width));
  LoraFactors factors;
  factors.A = Eigen::MatrixXd::Zero(rank, student.width);
  factors.B = Eigen::MatrixXd::Zero(student.width, rank);
  initialiser.draw({spec, student, rank, scale, rng}, factors);
  factors.subtract_initial_product = spec.subtract_initial_product.value_or(subtracts_by_default(spec.scheme));
  return factors;
}

}  // namespace gammalab::sim
