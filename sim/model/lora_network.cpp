#include "sim/model/lora_network.hpp"

namespace gammalab::sim {

namespace {
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
  // H' (N × n) is never held whole: it is formed one column at a time, once for the
  // outputs and again, after the residual is known, for the gradients. A column and Z_A
  // (N × r) stay in the fastest cache, so a step reads H₀ twice and Z twice and writes no
  // N × n matrix (the plain form wrote H' and ∂L/∂H' and read them five times), and the
  // rank-r products run as r vector operations down the column rather than as skinny
  // matrix products.
  const Eigen::Index rows = batch.Z.rows(), width = batch.Z.cols(), rank = A.rows();
  const Eigen::MatrixXd Z_A = batch.Z * A.transpose();  // N × r
  const Eigen::MatrixXd scaled_B = scale * B;           // n × r
  Eigen::VectorXd column(rows);
  auto adapted_column = [&](Eigen::Index j) -> const Eigen::VectorXd& {
    column = batch.H0.col(j);
    for (Eigen::Index k = 0; k < rank; ++k) column += scaled_B(j, k) * Z_A.col(k);
    return column;
  };

  Eigen::VectorXd error = -batch.y;
  for (Eigen::Index j = 0; j < width; ++j) error += w_out(j) * adapted_column(j).cwiseMax(0.0);
  LoraGradients gradients;
  gradients.loss = error.squaredNorm() / static_cast<double>(rows);
  const Eigen::VectorXd d_output = (2.0 / static_cast<double>(rows)) * error;

  gradients.B.resize(width, rank);
  Eigen::MatrixXd d_Z_A = Eigen::MatrixXd::Zero(rows, rank);
  Eigen::VectorXd d_column(rows);
  for (Eigen::Index j = 0; j < width; ++j) {
    // ∂L/∂H' down column j: ∂L/∂f_i · w_j where H'_ij > 0, else 0.
    d_column = (adapted_column(j).array() > 0).select(w_out(j) * d_output, 0.0);
    for (Eigen::Index k = 0; k < rank; ++k) {
      gradients.B(j, k) = scale * d_column.dot(Z_A.col(k));
      d_Z_A.col(k) += scaled_B(j, k) * d_column;
    }
  }
  gradients.A.noalias() = d_Z_A.transpose() * batch.Z;
  return gradients;
}

}  // namespace gammalab::sim
