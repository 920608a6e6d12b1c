#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>

#include "sim/model/optimizer.hpp"

using namespace gammalab::sim;

TEST_CASE("AdamW's first two steps, computed by hand") {
  OptimizerSpec spec;  // β = (0.9, 0.99), ε = 1e-8
  spec.weight_decay = 0.1;
  Eigen::MatrixXd p(1, 2), g(1, 2);
  p << 1.0, -2.0;
  g << 0.5, -4.0;
  AdamMoments moments;
  apply_update(spec, 1, 0.01, g, p, moments);
  // Step 1: m̂ = g, v̂ = g², so the step is lr·sign(g) (up to ε), after decay p·(1 − lr·λ).
  CHECK(p(0) == doctest::Approx(1.0 * (1 - 0.001) - 0.01 * 0.5 / (0.5 + 1e-8)).epsilon(1e-14));
  CHECK(p(1) == doctest::Approx(-2.0 * (1 - 0.001) + 0.01 * 4.0 / (4.0 + 1e-8)).epsilon(1e-14));
  // Step 2 with gradient 1: m = 0.9·0.05 + 0.1 = 0.145, v = 0.99·0.0025 + 0.01 = 0.012475.
  double before = p(0);
  Eigen::MatrixXd g2(1, 2);
  g2 << 1.0, 0.0;
  apply_update(spec, 2, 0.01, g2, p, moments);
  double m_hat = 0.145 / (1 - 0.81), v_hat = 0.012475 / (1 - 0.9801);
  CHECK(p(0) == doctest::Approx(before * (1 - 0.001) - 0.01 * m_hat / (std::sqrt(v_hat) + 1e-8)).epsilon(1e-13));
}

TEST_CASE("SGD moves by lr times the gradient") {
  OptimizerSpec spec;
  spec.kind = Optimizer::Sgd;
  Eigen::MatrixXd p = Eigen::MatrixXd::Constant(2, 2, 1.0), g = Eigen::MatrixXd::Constant(2, 2, 3.0);
  AdamMoments unused;
  apply_update(spec, 1, 0.1, g, p, unused);
  CHECK(p(1, 1) == doctest::Approx(0.7));
}

TEST_CASE("schedules: warm-up, linear and cosine decay") {
  ScheduleSpec linear{ScheduleSpec::Decay::Linear, 10, 0.0};
  CHECK(linear.factor(5, 110) == doctest::Approx(0.5));
  CHECK(linear.factor(10, 110) == doctest::Approx(1.0));
  CHECK(linear.factor(60, 110) == doctest::Approx(0.5));
  CHECK(linear.factor(110, 110) == doctest::Approx(0.0));
  ScheduleSpec cosine{ScheduleSpec::Decay::Cosine, 0, 0.1};
  CHECK(cosine.factor(50, 100) == doctest::Approx(0.55));
  CHECK(cosine.factor(100, 100) == doctest::Approx(0.1));
  CHECK(ScheduleSpec{}.factor(7, 100) == 1.0);
}
