#include "sim/model/teacher.hpp"

#include <cmath>
#include <string>

#include "sim/model/random.hpp"

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

std::uint64_t seed_under_teacher(std::uint64_t seed, int teacher) {
  return teacher == 0 ? seed : derived_seed(seed, "teacher " + std::to_string(teacher));
}

std::vector<Dataset> make_teacher_datasets(const TeacherSpec& spec, int teachers) {
  std::vector<Dataset> datasets;
  for (int k = 0; k < teachers; ++k) {
    TeacherSpec of_teacher = spec;
    of_teacher.seed = seed_under_teacher(spec.seed, k);
    datasets.push_back(make_teacher_dataset(of_teacher));
  }
  return datasets;
}

}  // namespace gammalab::sim
