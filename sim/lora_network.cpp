#include "sim/lora_network.hpp"

#include <algorithm>

namespace gammalab::sim {

namespace {
// The step's column blocks hold about this many entries of H' (128 KB): small enough
// for a core's cache, large enough that each block's products run as matrix products.
constexpr Eigen::Index kBlockEntries = 16384;

// H' = H₀ + s (Z Aᵀ) Bᵀ, computed in place of a copy of H₀.
Eigen::MatrixXd adapted_preactivation(const LoraBatch& batch, const Eigen::MatrixXd& Z_A, const Eigen::MatrixXd& B,
                                      double scale) {
  Eigen::MatrixXd H = batch.H0;
  H.noalias() += scale * (Z_A * B.transpose());
  return H;
}
}  // namespace

Eigen::VectorXd lora_outputs(const LoraBatch& batch, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                             const Eigen::VectorXd& w_out, double scale) {
  Eigen::MatrixXd Z_A = batch.Z * A.transpose();
  return adapted_preactivation(batch, Z_A, B, scale).cwiseMax(0.0) * w_out;
}

double lora_loss(const LoraBatch& batch, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                 const Eigen::VectorXd& w_out, double scale) {
  return (lora_outputs(batch, A, B, w_out, scale) - batch.y).squaredNorm() / static_cast<double>(batch.y.size());
}

LoraGradients lora_loss_and_gradients(const LoraBatch& batch, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                                      const Eigen::VectorXd& w_out, double scale) {
  // H' (N × n) is never held whole: it is formed a block of columns at a time, once for
  // the outputs and again, after the residual is known, for the gradients. Each block
  // stays in the cache, so a step reads H₀ twice and Z twice and writes no N × n matrix
  // (the plain form wrote H' and ∂L/∂H' and read them five times: on the CPU the step is
  // bound by that traffic, not by its N·n·(10r + 5) operations).
  const Eigen::Index rows = batch.Z.rows(), width = batch.Z.cols();
  const Eigen::Index block = std::max<Eigen::Index>(1, std::min(width, std::max<Eigen::Index>(8, kBlockEntries / std::max<Eigen::Index>(rows, 1))));
  const Eigen::MatrixXd Z_A = batch.Z * A.transpose();  // N × r
  const Eigen::MatrixXd scaled_B = scale * B;           // n × r
  Eigen::MatrixXd H(rows, block);
  auto adapted_block = [&](Eigen::Index first, Eigen::Index columns) {
    auto H_block = H.leftCols(columns);
    H_block.noalias() = Z_A * scaled_B.middleRows(first, columns).transpose();
    H_block += batch.H0.middleCols(first, columns);
    return H_block;
  };

  Eigen::VectorXd error = -batch.y;
  for (Eigen::Index first = 0; first < width; first += block) {
    const Eigen::Index columns = std::min(block, width - first);
    error.noalias() += adapted_block(first, columns).cwiseMax(0.0) * w_out.segment(first, columns);
  }
  LoraGradients gradients;
  gradients.loss = error.squaredNorm() / static_cast<double>(rows);
  const Eigen::VectorXd d_output = (2.0 / static_cast<double>(rows)) * error;

  gradients.B.resize(width, B.cols());
  Eigen::MatrixXd d_Z_A = Eigen::MatrixXd::Zero(rows, B.cols());
  for (Eigen::Index first = 0; first < width; first += block) {
    const Eigen::Index columns = std::min(block, width - first);
    auto H_block = adapted_block(first, columns);
    // ∂L/∂H' over the block, in place: ∂L/∂f_i · w_j where H'_ij > 0, else 0.
    for (Eigen::Index j = 0; j < columns; ++j) {
      const double w = w_out(first + j);
      for (Eigen::Index i = 0; i < rows; ++i) H_block(i, j) = H_block(i, j) > 0 ? d_output(i) * w : 0.0;
    }
    gradients.B.middleRows(first, columns).noalias() = scale * (H_block.transpose() * Z_A);
    d_Z_A.noalias() += H_block * scaled_B.middleRows(first, columns);
  }
  gradients.A.noalias() = d_Z_A.transpose() * batch.Z;
  return gradients;
}

}  // namespace gammalab::sim
