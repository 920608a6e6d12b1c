#include "sim/model/student.hpp"

#include <cmath>

#include <algorithm>
#include <thread>
#include <vector>

#include "sim/model/counter_normal.hpp"

namespace gammalab::sim {

const Eigen::BDCSVD<Eigen::MatrixXd>& FrozenStudent::svd_of_W_h() const {
  std::call_once(svd_once_, [this] {
    svd_ = std::make_unique<Eigen::BDCSVD<Eigen::MatrixXd>>(W_h, Eigen::ComputeThinU | Eigen::ComputeThinV);
  });
  return *svd_;
}

Eigen::MatrixXd counter_normal_matrix(std::uint64_t key, Eigen::Index rows, Eigen::Index cols, double stddev) {
  // Entry (i, j) is counter_normal(key, i·cols + j): row-major numbering, as the GPU uses.
  Eigen::MatrixXd m(rows, cols);
  const unsigned threads = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (Eigen::Index i = t; i < rows; i += threads)
        for (Eigen::Index j = 0; j < cols; ++j)
          m(i, j) = stddev * counter_normal(key, static_cast<std::uint64_t>(i * cols + j));
    });
  for (auto& thread : pool) thread.join();
  return m;
}

std::shared_ptr<const FrozenStudent> make_frozen_student(const Dataset& data, int width, Readout readout,
                                                         std::uint64_t seed) {
  auto student = std::make_shared<FrozenStudent>();
  student->width = width;
  student->readout = readout;
  student->seed = seed;
  const double n = width, d = static_cast<double>(data.X_train.cols());
  student->W_in = counter_normal_matrix(student_key(seed, width, kInputWeight), width, data.X_train.cols(), 1 / std::sqrt(d));
  student->W_h = counter_normal_matrix(student_key(seed, width, kHiddenWeight), width, width, 1 / std::sqrt(n));
  student->w_out = counter_normal_matrix(student_key(seed, width, kReadout), width, 1,
                                         readout_scale(readout, width));
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
