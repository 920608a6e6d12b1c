#pragma once
// The student's forward pass, loss and gradients with respect to the adapter, for a
// batch of rows of the frozen split (paper 003, eq. 4):
//   Z_A = Z Aᵀ (N × r),  H' = H₀ + s Z_A Bᵀ (N × n),  f = φ(H') w_out,  L = mean (f − y)²,
// with s = α/r and H₀ the frozen pre-activation (minus s Z B₀ᵀA₀ᵀ when the initial
// product is subtracted). Backward:
//   ∂L/∂f = 2(f − y)/N,  ∂L/∂H' = (∂L/∂f w_outᵀ) ⊙ 1[H' > 0],
//   ∂L/∂B = s (∂L/∂H')ᵀ Z_A,  ∂L/∂Z_A = s (∂L/∂H') B,  ∂L/∂A = (∂L/∂Z_A)ᵀ Z.
// Cost per call: about N·n·(10r + 5) floating-point operations.
#include <Eigen/Dense>

namespace gammalab::sim {

struct LoraBatch {
  const Eigen::MatrixXd& Z;   // N × n
  const Eigen::MatrixXd& H0;  // N × n
  const Eigen::VectorXd& y;   // N
};

struct LoraGradients {
  double loss = 0;
  Eigen::MatrixXd A;  // r × n
  Eigen::MatrixXd B;  // n × r
};

double lora_loss(const LoraBatch& batch, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                 const Eigen::VectorXd& w_out, double scale);

LoraGradients lora_loss_and_gradients(const LoraBatch& batch, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                                      const Eigen::VectorXd& w_out, double scale);

// The network's outputs f for every row (N).
Eigen::VectorXd lora_outputs(const LoraBatch& batch, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                             const Eigen::VectorXd& w_out, double scale);

inline double lora_step_flops(double rows, double width, double rank) { return rows * width * (10 * rank + 5); }

}  // namespace gammalab::sim
