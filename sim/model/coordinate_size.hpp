#pragma once
// The size of a coordinate, as the coordinate checks measure it: the root-mean-square
// entry of a matrix (its Frobenius norm over √(entries)), which is Θ(n^γ) when a typical
// entry is.
#include <Eigen/Dense>

#include <cmath>

namespace gammalab::sim {

inline double rms(const Eigen::MatrixXd& m) { return std::sqrt(m.squaredNorm() / static_cast<double>(m.size())); }

}  // namespace gammalab::sim
