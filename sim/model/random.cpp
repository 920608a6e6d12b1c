#include "sim/model/random.hpp"

#include <cmath>
#include <numbers>

namespace gammalab::sim {

namespace {
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
std::uint64_t hash(std::string_view text) {  // FNV-1a
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}
}  // namespace

std::uint64_t derived_seed(std::uint64_t seed, std::string_view purpose) { return splitmix64(splitmix64(seed) ^ hash(purpose)); }

Rng::Rng(std::uint64_t seed, std::string_view purpose) : engine_(derived_seed(seed, purpose)) {}

double Rng::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
  double u2 = uniform();
  double radius = std::sqrt(-2.0 * std::log(u1));
  spare_ = radius * std::sin(2.0 * std::numbers::pi * u2);
  has_spare_ = true;
  return radius * std::cos(2.0 * std::numbers::pi * u2);
}

std::uint64_t Rng::below(std::uint64_t bound) { return static_cast<std::uint64_t>(uniform() * static_cast<double>(bound)); }

Eigen::MatrixXd Rng::normal_matrix(Eigen::Index rows, Eigen::Index cols, double stddev) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = stddev * normal();
  return m;
}

Eigen::MatrixXd Rng::uniform_matrix(Eigen::Index rows, Eigen::Index cols, double bound) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = bound * (2.0 * uniform() - 1.0);
  return m;
}

}  // namespace gammalab::sim
