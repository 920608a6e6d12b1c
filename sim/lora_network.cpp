#include "sim/lora_network.hpp"

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
  const double rows = static_cast<double>(batch.y.size());
  Eigen::MatrixXd Z_A = batch.Z * A.transpose();
  Eigen::MatrixXd H = adapted_preactivation(batch, Z_A, B, scale);
  Eigen::VectorXd error = H.cwiseMax(0.0) * w_out - batch.y;

  LoraGradients gradients;
  gradients.loss = error.squaredNorm() / rows;
  Eigen::VectorXd d_output = (2.0 / rows) * error;
  // ∂L/∂H' overwrites H': entry (i, j) is ∂L/∂f_i · w_j where H'_ij > 0, else 0.
  for (Eigen::Index j = 0; j < H.cols(); ++j)
    for (Eigen::Index i = 0; i < H.rows(); ++i) H(i, j) = H(i, j) > 0 ? d_output(i) * w_out(j) : 0.0;
  gradients.B.noalias() = scale * (H.transpose() * Z_A);
  Eigen::MatrixXd d_Z_A = scale * (H * B);
  gradients.A.noalias() = d_Z_A.transpose() * batch.Z;
  return gradients;
}

}  // namespace gammalab::sim
