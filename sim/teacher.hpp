#pragma once
// The teacher of paper 003 (eq. 4, appendix B.1.1): a pretrained net with a LoRA
// injected, whose outputs are the fine-tuning targets. Every weight is Gaussian with
// variance 1/fan-in, W_h = 0, and the adapter enters as B A (no α/r):
//   y = w_outᵀ φ(W_in x + B A φ(W_in x)),  x ~ N(0, I_d).
#include <Eigen/Dense>

#include <cstdint>

namespace gammalab::sim {

struct TeacherSpec {
  int input_dim = 5;
  int width = 1000;
  int rank = 20;
  int train_size = 1000;
  int test_size = 100;
  std::uint64_t seed = 0;
};

struct Dataset {
  Eigen::MatrixXd X_train, X_test;  // N × d
  Eigen::VectorXd y_train, y_test;
};

Dataset make_teacher_dataset(const TeacherSpec& spec);

}  // namespace gammalab::sim
