#pragma once
// The frozen part of a student of width n (paper 003, appendix B.1.1), computed once
// per (width, seed) and shared by every configuration that trains on it (its weights
// come from counter_normal, so the GPU backend builds the very same student):
//   W_in ~ N(0, 1/d), W_h ~ N(0, 1/n), w_out ~ N(0, 1/n) (standard) or N(0, 1/n²) (μP),
//   Z = φ(X W_inᵀ)             the LoRA layer's input, one row per data point,
//   H = X W_inᵀ + Z W_hᵀ       the hidden pre-activation before the adapter.
#include <Eigen/Dense>

#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>

#include "gamma/vocabulary.hpp"
#include "sim/model/teacher.hpp"

namespace gammalab::sim {

using Readout = gamma::Readout;  // the one definition, with its names, is the vocabulary's

struct FrozenSplit {
  Eigen::MatrixXd Z;  // N × n
  Eigen::MatrixXd H;  // N × n
  Eigen::VectorXd y;  // N
};

struct FrozenStudent {
  int width = 0;
  Readout readout = Readout::Standard;
  std::uint64_t seed = 0;
  Eigen::MatrixXd W_in;   // n × d
  Eigen::MatrixXd W_h;    // n × n
  Eigen::VectorXd w_out;  // n
  FrozenSplit train, test;

  // W_h's singular value decomposition, for the spectral schemes: computed on first
  // use (O(n³)) and kept, so PiSSA and MiLoRA at one width share it.
  const Eigen::BDCSVD<Eigen::MatrixXd>& svd_of_W_h() const;

 private:
  mutable std::once_flag svd_once_;
  mutable std::unique_ptr<Eigen::BDCSVD<Eigen::MatrixXd>> svd_;
};

// The standard deviation of the readout's entries: n^-1/2 (standard) or n^-1 (μP).
inline double readout_scale(Readout readout, int width) {
  return readout == Readout::Standard ? 1 / std::sqrt(static_cast<double>(width)) : 1 / static_cast<double>(width);
}

// A matrix of counter_normal(key, i·cols + j) · stddev, the student's frozen weights.
Eigen::MatrixXd counter_normal_matrix(std::uint64_t key, Eigen::Index rows, Eigen::Index cols, double stddev);

std::shared_ptr<const FrozenStudent> make_frozen_student(const Dataset& data, int width, Readout readout,
                                                         std::uint64_t seed);

}  // namespace gammalab::sim
