#pragma once
// Seeded random numbers that are the same on every run and every thread count: one
// independent stream per purpose (teacher, student, init, batch order), derived from
// the seed by SplitMix64, and normals by Box–Muller (std::normal_distribution is not
// specified to give the same numbers across standard libraries).
#include <Eigen/Dense>

#include <cstdint>
#include <random>
#include <string_view>

namespace gammalab::sim {

// The seed of Rng(seed, purpose)'s engine: SplitMix64 of the seed mixed with the
// purpose's hash. Also a seed of its own, for a value that derives its seeds from
// another's (sim/model/teacher.hpp: seed_under_teacher).
std::uint64_t derived_seed(std::uint64_t seed, std::string_view purpose);

class Rng {
 public:
  Rng(std::uint64_t seed, std::string_view purpose);

  double uniform();  // [0, 1)
  double normal();   // N(0, 1)
  std::uint64_t below(std::uint64_t bound);  // uniform in [0, bound)

  Eigen::MatrixXd normal_matrix(Eigen::Index rows, Eigen::Index cols, double stddev);
  Eigen::MatrixXd uniform_matrix(Eigen::Index rows, Eigen::Index cols, double bound);  // U(−bound, bound)

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace gammalab::sim
