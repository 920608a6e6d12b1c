#include "sim/teacher.hpp"

#include <cmath>

#include "sim/random.hpp"

namespace gammalab::sim {

Dataset make_teacher_dataset(const TeacherSpec& spec) {
  Rng rng(spec.seed, "teacher");
  const double d = spec.input_dim, n = spec.width, r = spec.rank;
  Eigen::MatrixXd W_in = rng.normal_matrix(spec.width, spec.input_dim, 1 / std::sqrt(d));
  Eigen::VectorXd w_out = rng.normal_matrix(spec.width, 1, 1 / std::sqrt(n));
  Eigen::MatrixXd A = rng.normal_matrix(spec.rank, spec.width, 1 / std::sqrt(n));
  Eigen::MatrixXd B = rng.normal_matrix(spec.width, spec.rank, 1 / std::sqrt(r));

  auto targets = [&](const Eigen::MatrixXd& X) -> Eigen::VectorXd {
    Eigen::MatrixXd pre = X * W_in.transpose();
    Eigen::MatrixXd features = pre.cwiseMax(0.0);
    Eigen::MatrixXd hidden = pre + (features * A.transpose()) * B.transpose();
    return hidden.cwiseMax(0.0) * w_out;
  };
  Dataset data;
  data.X_train = rng.normal_matrix(spec.train_size, spec.input_dim, 1.0);
  data.X_test = rng.normal_matrix(spec.test_size, spec.input_dim, 1.0);
  data.y_train = targets(data.X_train);
  data.y_test = targets(data.X_test);
  return data;
}

}  // namespace gammalab::sim
