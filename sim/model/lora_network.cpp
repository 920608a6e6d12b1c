#include "sim/model/lora_network.hpp"

namespace gammalab::sim {

namespace {
// column = start + Σ_{k0 ≤ k < k0 + 4} sB_jk Z_A,·k in one pass down the column (start may
// be the column itself): a plain loop that the compiler vectorises over the rows, each
// row's sum in the order k0, k0 + 1, …. Adding one rank term per pass, as Eigen's
// expressions do, read and wrote the column r + 1 times: a fifth of the step at the quick
// fig2's widths (bench_train_step, docs/simulator.md).
void add_four_rank_terms(Eigen::VectorXd& column, const double* start, const Eigen::MatrixXd& Z_A,
                         const Eigen::MatrixXd& scaled_B, Eigen::Index j, Eigen::Index k0) {
  const double c0 = scaled_B(j, k0), c1 = scaled_B(j, k0 + 1), c2 = scaled_B(j, k0 + 2), c3 = scaled_B(j, k0 + 3);
  const double *z0 = Z_A.col(k0).data(), *z1 = Z_A.col(k0 + 1).data(), *z2 = Z_A.col(k0 + 2).data(),
               *z3 = Z_A.col(k0 + 3).data();
  for (Eigen::Index i = 0; i < column.size(); ++i) column[i] = start[i] + c0 * z0[i] + c1 * z1[i] + c2 * z2[i] + c3 * z3[i];
}

// Z_A = Z·Aᵀ (N × r). Rows in tiles and the rank's columns four at a time: a tile's
// 4 × kTileRows sums stay in registers (sixteen vectors of AVX-512's 32, or of AVX2's 16
// with 16 rows) while the loop runs over the width, each sum in the order j = 0, 1, ….
// Eigen's blocked product first copies ("packs") all of Z, at every step, and took
// 1.4–2.7× as long for these shapes with AVX-512 (a microbenchmark of this product
// alone). The rows and columns left over (fewer than a tile's rows, fewer than four
// columns) go through Eigen's product.
#if defined(__AVX512F__)
constexpr Eigen::Index kTileRows = 32;
#else
constexpr Eigen::Index kTileRows = 16;
#endif
Eigen::MatrixXd adapter_inputs(const Eigen::MatrixXd& Z, const Eigen::MatrixXd& A) {
  const Eigen::Index rows = Z.rows(), width = Z.cols(), rank = A.rows();
  const Eigen::Index tiled_rows = rows - rows % kTileRows, tiled_rank = rank - rank % 4;
  Eigen::MatrixXd Z_A(rows, rank);
  for (Eigen::Index k0 = 0; k0 < tiled_rank; k0 += 4)
    for (Eigen::Index i0 = 0; i0 < tiled_rows; i0 += kTileRows) {
      double sums[4][kTileRows] = {};
      for (Eigen::Index j = 0; j < width; ++j) {
        const double* z = Z.col(j).data() + i0;
        const double a0 = A(k0, j), a1 = A(k0 + 1, j), a2 = A(k0 + 2, j), a3 = A(k0 + 3, j);
        for (Eigen::Index i = 0; i < kTileRows; ++i) {
          sums[0][i] += a0 * z[i];
          sums[1][i] += a1 * z[i];
          sums[2][i] += a2 * z[i];
          sums[3][i] += a3 * z[i];
        }
      }
      for (int k = 0; k < 4; ++k)
        for (Eigen::Index i = 0; i < kTileRows; ++i) Z_A(i0 + i, k0 + k) = sums[k][i];
    }
  if (tiled_rows < rows)
    Z_A.bottomRows(rows - tiled_rows).leftCols(tiled_rank) =
        Z.bottomRows(rows - tiled_rows) * A.topRows(tiled_rank).transpose();
  if (tiled_rank < rank) Z_A.rightCols(rank - tiled_rank) = Z * A.bottomRows(rank - tiled_rank).transpose();
  return Z_A;
}

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
  Eigen::MatrixXd Z_A = adapter_inputs(batch.Z, A);
  return adapted_preactivation(batch, Z_A, B, scale).cwiseMax(0.0) * w_out;
}

double lora_loss(const LoraBatch& batch, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                 const Eigen::VectorXd& w_out, double scale) {
  return (lora_outputs(batch, A, B, w_out, scale) - batch.y).squaredNorm() / static_cast<double>(batch.y.size());
}

LoraGradients lora_loss_and_gradients(const LoraBatch& batch, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                                      const Eigen::VectorXd& w_out, double scale) {
  // H' (N × n) is never held whole: it is formed one column at a time, once for the
  // outputs and again, after the residual is known, for the gradients. A column and Z_A
  // (N × r) stay in the fastest cache, so a step reads H₀ twice and Z twice and writes no
  // N × n matrix (the plain form wrote H' and ∂L/∂H' and read them five times), and the
  // rank-r products run as r vector operations down the column rather than as skinny
  // matrix products (four terms per pass, add_four_rank_terms).
  const Eigen::Index rows = batch.Z.rows(), width = batch.Z.cols(), rank = A.rows();
  const Eigen::MatrixXd Z_A = adapter_inputs(batch.Z, A);  // N × r
  const Eigen::MatrixXd scaled_B = scale * B;           // n × r
  Eigen::VectorXd column(rows);
  auto adapted_column = [&](Eigen::Index j) -> const Eigen::VectorXd& {
    const double* start = batch.H0.col(j).data();
    Eigen::Index k = 0;
    for (; k + 4 <= rank; k += 4, start = column.data()) add_four_rank_terms(column, start, Z_A, scaled_B, j, k);
    if (k == 0) column = batch.H0.col(j);  // rank below four
    for (; k < rank; ++k) column += scaled_B(j, k) * Z_A.col(k);
    return column;
  };

  Eigen::VectorXd error = -batch.y;
  for (Eigen::Index j = 0; j < width; ++j) error += w_out(j) * adapted_column(j).cwiseMax(0.0);
  LoraGradients gradients;
  gradients.loss = error.squaredNorm() / static_cast<double>(rows);
  const Eigen::VectorXd d_output = (2.0 / static_cast<double>(rows)) * error;

  gradients.B.resize(width, rank);
  Eigen::MatrixXd d_Z_A = Eigen::MatrixXd::Zero(rows, rank);
  Eigen::VectorXd d_column(rows);
  for (Eigen::Index j = 0; j < width; ++j) {
    // ∂L/∂H' down column j: ∂L/∂f_i · w_j where H'_ij > 0, else 0.
    d_column = (adapted_column(j).array() > 0).select(w_out(j) * d_output, 0.0);
    for (Eigen::Index k = 0; k < rank; ++k) {
      gradients.B(j, k) = scale * d_column.dot(Z_A.col(k));
      d_Z_A.col(k) += scaled_B(j, k) * d_column;
    }
  }
  // A coefficient-wise product (each entry a vectorised dot product down a column of Z):
  // Eigen's blocked product copies ("packs") all of Z first, and took 1.1–2.0× as long for
  // these r × N by N × n shapes (a microbenchmark of this product alone).
  gradients.A.noalias() = d_Z_A.transpose().lazyProduct(batch.Z);
  return gradients;
}

}  // namespace gammalab::sim
