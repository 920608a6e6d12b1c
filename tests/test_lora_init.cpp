#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>

#include "sim/model/lora_init.hpp"

using namespace gammalab::sim;

namespace {
const Dataset& data() {
  static Dataset d = make_teacher_dataset({5, 64, 4, 32, 8, 1});
  return d;
}
double variance(const Eigen::MatrixXd& m) { return (m.array() - m.mean()).square().mean(); }
InitSpec scheme(const std::string& name) {
  InitSpec spec;
  spec.scheme = name;
  return spec;
}
}  // namespace

TEST_CASE("Init[A] and Init[B]: one factor exactly zero, the other with its stated variance") {
  auto student = make_frozen_student(data(), 512, Readout::Standard, 3);
  LoraFactors a = initialise_lora(scheme("A"), *student, 4, 1.0, 5);
  CHECK(a.B.isZero(0));
  CHECK((a.B * a.A).isZero(0));
  // 4 × 512 entries: the sample variance is within a few percent of 1/512.
  CHECK(variance(a.A) * 512 == doctest::Approx(1.0).epsilon(0.08));
  LoraFactors b = initialise_lora(scheme("B"), *student, 4, 1.0, 5);
  CHECK(b.A.isZero(0));
  CHECK(variance(b.B) * 4 == doctest::Approx(1.0).epsilon(0.08));
  CHECK_FALSE(a.subtract_initial_product);
}

TEST_CASE("Init[AB], IniLoRA-α and -β: the variances of their papers") {
  auto student = make_frozen_student(data(), 512, Readout::Standard, 3);
  auto ab = initialise_lora(scheme("AB"), *student, 4, 1.0, 5);
  CHECK(variance(ab.A) * 512 == doctest::Approx(1.0).epsilon(0.08));
  CHECK(variance(ab.B) * 512 == doctest::Approx(1.0).epsilon(0.08));
  auto alpha = initialise_lora(scheme("inilora-alpha"), *student, 4, 1.0, 5);
  CHECK(variance(alpha.A) == doctest::Approx(0.25).epsilon(0.08));
  CHECK(alpha.subtract_initial_product);
  auto beta = initialise_lora(scheme("inilora-beta"), *student, 4, 1.0, 5);
  CHECK(variance(beta.A) * 512 / 2 == doctest::Approx(1.0).epsilon(0.08));
  CHECK(variance(beta.B) * 4 / 2 == doctest::Approx(1.0).epsilon(0.08));
  auto uniform = initialise_lora(scheme("inilora-beta-uniform"), *student, 4, 1.0, 5);
  CHECK(uniform.A.cwiseAbs().maxCoeff() <= std::sqrt(6.0 / 512));
  CHECK(variance(uniform.A) * 512 / 2 == doctest::Approx(1.0).epsilon(0.08));  // U(±√(6/n)) has variance 2/n
}

TEST_CASE("PiSSA and MiLoRA reproduce W_h's extreme singular parts; IniLoRA fits W_h") {
  auto student = make_frozen_student(data(), 48, Readout::Standard, 3);
  const auto& svd = student->svd_of_W_h();
  const Eigen::VectorXd& s = svd.singularValues();
  for (double scale : {1.0, 2.0}) {
    auto pissa = initialise_lora(scheme("pissa"), *student, 4, scale, 5);
    Eigen::MatrixXd top = svd.matrixU().leftCols(4) * s.head(4).asDiagonal() * svd.matrixV().leftCols(4).transpose();
    CHECK((scale * pissa.B * pissa.A - top).norm() < 1e-10 * top.norm());
    // The residual W_h − s·BA keeps the rest: its largest singular value is the fifth.
    Eigen::JacobiSVD<Eigen::MatrixXd> rest(student->W_h - scale * pissa.B * pissa.A);
    CHECK(rest.singularValues()(0) == doctest::Approx(s(4)).epsilon(1e-9));
    auto milora = initialise_lora(scheme("milora"), *student, 4, scale, 5);
    Eigen::MatrixXd bottom = svd.matrixU().rightCols(4) * s.tail(4).asDiagonal() * svd.matrixV().rightCols(4).transpose();
    CHECK((scale * milora.B * milora.A - bottom).norm() < 1e-9 * std::max(1e-12, bottom.norm()) + 1e-12);
  }
  InitSpec fitted = scheme("inilora");
  fitted.inilora_steps = 2000;
  auto inilora = initialise_lora(fitted, *student, 4, 1.0, 5);
  // The best rank-4 approximation leaves √(Σ_{i>4} s_i²)/‖W_h‖ behind; the fit gets close to it.
  double optimum = s.tail(s.size() - 4).norm() / s.norm();
  CHECK(inilora.fit_residual < optimum * 1.01);
  CHECK(inilora.fit_residual >= optimum * (1 - 1e-9));
  CHECK(inilora.subtract_initial_product);
}

TEST_CASE("custom scales: std = c·n^γ, and -inf gives an exactly zero factor") {
  auto student = make_frozen_student(data(), 256, Readout::Standard, 3);
  InitSpec custom = scheme("custom");
  custom.sigma_A = {2.0, -0.5};
  custom.sigma_B = {1.0, -INFINITY};
  auto f = initialise_lora(custom, *student, 4, 1.0, 5);
  CHECK(variance(f.A) * 256 / 4 == doctest::Approx(1.0).epsilon(0.1));
  CHECK(f.B.isZero(0));
}
