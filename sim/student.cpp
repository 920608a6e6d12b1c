#include "sim/student.hpp"

#include <cmath>

#include "sim/random.hpp"

namespace gammalab::sim {

const Eigen::BDCSVD<Eigen::MatrixXd>& FrozenStudent::svd_of_W_h() const {
  std::call_once(svd_once_, [this] {
    svd_ = std::make_unique<Eigen::BDCSVD<Eigen::MatrixXd>>(W_h, Eigen::ComputeThinU | Eigen::ComputeThinV);
  });
  return *svd_;
}

std::shared_ptr<const FrozenStudent> make_frozen_student(const Dataset& data, int width, Readout readout,
                                                         std::uint64_t seed) {
  auto student = std::make_shared<FrozenStudent>();
  student->width = width;
  student->readout = readout;
  student->seed = seed;
  Rng rng(seed, "student/" + std::to_string(width));
  const double n = width, d = static_cast<double>(data.X_train.cols());
  student->W_in = rng.normal_matrix(width, data.X_train.cols(), 1 / std::sqrt(d));
  student->W_h = rng.normal_matrix(width, width, 1 / std::sqrt(n));
  student->w_out = rng.normal_matrix(width, 1, readout == Readout::Standard ? 1 / std::sqrt(n) : 1 / n);
  auto freeze = [&](const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
    FrozenSplit split;
    Eigen::MatrixXd pre = X * student->W_in.transpose();
    split.Z = pre.cwiseMax(0.0);
    split.H = pre;
    split.H.noalias() += split.Z * student->W_h.transpose();
    split.y = y;
    return split;
  };
  student->train = freeze(data.X_train, data.y_train);
  student->test = freeze(data.X_test, data.y_test);
  return student;
}

}  // namespace gammalab::sim
