#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "sim/model/lora_network.hpp"
#include "sim/model/random.hpp"

using namespace gammalab::sim;

TEST_CASE("the backward pass matches central finite differences in double precision") {
  // 12 rows at rank 3 stay below Z_A's register tile and the four-term passes; 40 rows at
  // rank 5 go through both and through what they leave over.
  int rows = 12, rank = 3;
  SUBCASE("12 rows, rank 3") {}
  SUBCASE("40 rows, rank 5") { rows = 40, rank = 5; }
  const int width = 9;
  CAPTURE(rows);
  Rng rng(7, "finite-differences");
  Eigen::MatrixXd Z = rng.normal_matrix(rows, width, 1.0).cwiseMax(0.0);
  Eigen::MatrixXd H0 = rng.normal_matrix(rows, width, 1.0);
  Eigen::VectorXd y = rng.normal_matrix(rows, 1, 1.0);
  Eigen::VectorXd w = rng.normal_matrix(width, 1, 0.5);
  Eigen::MatrixXd A = rng.normal_matrix(rank, width, 0.4), B = rng.normal_matrix(width, rank, 0.4);
  const double scale = 1.5;
  LoraBatch batch{Z, H0, y};
  LoraGradients g = lora_loss_and_gradients(batch, A, B, w, scale);
  CHECK(g.loss == doctest::Approx(lora_loss(batch, A, B, w, scale)).epsilon(1e-14));

  // The worst relative difference between ∂L/∂M and central differences, M being A or B.
  const double h = 1e-6;
  auto worst_error = [&](Eigen::MatrixXd& M, const Eigen::MatrixXd& analytic) {
    double worst = 0;
    for (int i = 0; i < M.size(); ++i) {
      const double kept = M(i);
      M(i) = kept + h;
      const double plus = lora_loss(batch, A, B, w, scale);
      M(i) = kept - h;
      const double minus = lora_loss(batch, A, B, w, scale);
      M(i) = kept;
      const double numeric = (plus - minus) / (2 * h);
      worst = std::max(worst, std::abs(numeric - analytic(i)) / std::max(1e-3, std::abs(numeric)));
    }
    return worst;
  };
  const double worst = std::max(worst_error(A, g.A), worst_error(B, g.B));
  CHECK(worst < 1e-6);
}

TEST_CASE("a wrong gradient would be caught: the check is sensitive to a factor of two") {
  Rng rng(8, "sensitivity");
  Eigen::MatrixXd Z = rng.normal_matrix(6, 5, 1.0).cwiseMax(0.0), H0 = rng.normal_matrix(6, 5, 1.0);
  Eigen::VectorXd y = rng.normal_matrix(6, 1, 1.0), w = rng.normal_matrix(5, 1, 1.0);
  Eigen::MatrixXd A = rng.normal_matrix(2, 5, 0.5), B = rng.normal_matrix(5, 2, 0.5);
  LoraBatch batch{Z, H0, y};
  auto g = lora_loss_and_gradients(batch, A, B, w, 1.0);
  Eigen::MatrixXd plus = B;
  plus(0) += 1e-6;
  double numeric = (lora_loss(batch, A, plus, w, 1.0) - g.loss) / 1e-6;
  CHECK(numeric == doctest::Approx(g.B(0)).epsilon(1e-3));
  CHECK(numeric != doctest::Approx(2 * g.B(0)).epsilon(1e-3));
}

TEST_CASE("the step formed a column at a time equals the whole-matrix formulas") {
  // The reference is eq. 4 and its backward pass with H' held whole, as the header
  // writes them. sim/model/lora_network.cpp forms Z_A by register tiles of 16 or 32 rows
  // and 4 rank columns, the rest by Eigen's product, and H' one column at a time, four
  // rank terms per pass, one pass after another, then the rest one by one: these rows
  // (below a tile, a whole number of tiles, tiles and rows over) and ranks (below four,
  // four, one or two passes and more) take every path.
  for (const int rows : {1, 5, 64, 300})
    for (const int rank : {1, 2, 3, 4, 5, 8, 12})
      for (const int width : {1, 21}) {
        CAPTURE(rows);
        CAPTURE(rank);
        CAPTURE(width);
        Rng rng(9, "columns");
        // Z non-negative as a ReLU's output, but never zero (|·| rather than max(·, 0)), and
        // H₀ centred at 1, so that even one row and one column carry a gradient (the last
        // check); some of H' is negative still.
        Eigen::MatrixXd Z = rng.normal_matrix(rows, width, 1.0).cwiseAbs(),
                        H0 = rng.normal_matrix(rows, width, 1.0).array() + 1.0;
        Eigen::VectorXd y = rng.normal_matrix(rows, 1, 1.0), w = rng.normal_matrix(width, 1, 0.5);
        Eigen::MatrixXd A = rng.normal_matrix(rank, width, 0.4), B = rng.normal_matrix(width, rank, 0.4);
        const double scale = 0.75;
        const LoraGradients g = lora_loss_and_gradients({Z, H0, y}, A, B, w, scale);

        const Eigen::MatrixXd Z_A = Z * A.transpose();
        const Eigen::MatrixXd H = H0 + scale * Z_A * B.transpose();
        const Eigen::VectorXd error = H.cwiseMax(0.0) * w - y;
        const Eigen::MatrixXd d_H = ((2.0 / rows) * error * w.transpose()).cwiseProduct((H.array() > 0).cast<double>().matrix());
        const Eigen::MatrixXd d_B = scale * d_H.transpose() * Z_A, d_A = (scale * d_H * B).transpose() * Z;
        CHECK(g.loss == doctest::Approx(error.squaredNorm() / rows).epsilon(1e-13));
        CHECK((g.B - d_B).norm() <= 1e-12 * d_B.norm());
        CHECK((g.A - d_A).norm() <= 1e-12 * d_A.norm());
        CHECK(d_B.norm() > 0);
      }
}
