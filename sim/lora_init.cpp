#include "sim/lora_init.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/random.hpp"

namespace gammalab::sim {

double EntryScale::at_width(int width) const {
  if (std::isinf(exponent) && exponent < 0) return 0.0;
  return constant * std::pow(static_cast<double>(width), exponent);
}

const std::vector<std::string>& simulator_schemes() {
  static const std::vector<std::string> names = {"A",           "B",     "AB",    "custom", "inilora", "inilora-alpha",
                                                 "inilora-beta", "inilora-beta-uniform", "pissa", "milora"};
  return names;
}

bool subtracts_by_default(const std::string& scheme) {
  return scheme == "inilora" || scheme == "inilora-alpha" || scheme == "inilora-beta" ||
         scheme == "inilora-beta-uniform" || scheme == "pissa" || scheme == "milora";
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

}  // namespace

LoraFactors initialise_lora(const InitSpec& spec, const FrozenStudent& student, int rank, double scale,
                            std::uint64_t seed) {
  const int n = student.width;
  const double width = n, r = rank;
  Rng rng(seed, "lora-init/" + spec.scheme + "/" + std::to_string(n));
  LoraFactors factors;
  factors.A = Eigen::MatrixXd::Zero(rank, n);
  factors.B = Eigen::MatrixXd::Zero(n, rank);
  const std::string& s = spec.scheme;
  if (s == "A") {
    factors.A = rng.normal_matrix(rank, n, 1 / std::sqrt(width));
  } else if (s == "B") {
    factors.B = rng.normal_matrix(n, rank, 1 / std::sqrt(r));
  } else if (s == "AB") {
    factors.A = rng.normal_matrix(rank, n, spec.sigma.value_or(1 / std::sqrt(width)));
    factors.B = rng.normal_matrix(n, rank, spec.sigma.value_or(1 / std::sqrt(width)));
  } else if (s == "custom") {
    factors.A = rng.normal_matrix(rank, n, spec.sigma_A.at_width(n));
    factors.B = rng.normal_matrix(n, rank, spec.sigma_B.at_width(n));
  } else if (s == "inilora") {
    double spread = std::sqrt((student.W_h.array() - student.W_h.mean()).square().mean());
    factors.A = rng.normal_matrix(rank, n, spread);
    factors.B = rng.normal_matrix(n, rank, spread);
    factors.fit_residual = fit_to_frozen_weight(student.W_h, scale, spec.inilora_steps, factors.A, factors.B);
  } else if (s == "inilora-alpha") {
    factors.A = rng.normal_matrix(rank, n, spec.sigma.value_or(0.5));
    factors.B = rng.normal_matrix(n, rank, spec.sigma.value_or(0.5));
  } else if (s == "inilora-beta") {
    factors.A = rng.normal_matrix(rank, n, std::sqrt(2 / width));
    factors.B = rng.normal_matrix(n, rank, std::sqrt(2 / r));
  } else if (s == "inilora-beta-uniform") {
    factors.A = rng.uniform_matrix(rank, n, std::sqrt(6 / width));
    factors.B = rng.uniform_matrix(n, rank, std::sqrt(6 / r));
  } else if (s == "pissa" || s == "milora") {
    if (rank > n) throw std::invalid_argument("rank exceeds width: no " + s + " factors");
    const auto& svd = student.svd_of_W_h();
    // Singular values come sorted from largest: PiSSA takes the first r, MiLoRA the last r.
    Eigen::Index first = s == "pissa" ? 0 : n - rank;
    Eigen::VectorXd root = svd.singularValues().segment(first, rank).cwiseSqrt() / std::sqrt(scale);
    factors.B = svd.matrixU().middleCols(first, rank) * root.asDiagonal();
    factors.A = root.asDiagonal() * svd.matrixV().middleCols(first, rank).transpose();
  } else {
    throw std::invalid_argument("unknown scheme " + s);
  }
  factors.subtract_initial_product = spec.subtract_initial_product.value_or(subtracts_by_default(s));
  return factors;
}

}  // namespace gammalab::sim
