// [gpu] Each kernel of the GPU backend alone, on small random inputs, against a CPU
// reference written beside its test (as llm.c's dev/cuda files check each kernel): the
// fused forward and ∂L/∂B kernels, the fragment layouts, and the element-wise work and
// reductions run through CUB (setup, split GEMM terms, residual and loss, split sums,
// ∂L/∂Z_A, the optimiser's rules, the feature norms, the horizons' RMS of the adapter's
// output), and the large ranks' GEMM forward and ∂L/∂B (kernels/dense_step.cuh); and,
// above the kernels, a group that drops its diverged configurations (group_trainer.cuh)
// against the same configurations trained without them. Where
// no GPU is usable (as in CI) the program says why and exits 77, which ctest reports as
// skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

#include "cuda/device_buffer.hpp"
#include "cuda/group_trainer.cuh"
#include "cuda/kernels/dense_step.cuh"
#include "cuda/kernels/forward.cuh"
#include "cuda/kernels/gradient.cuh"
#include "cuda/kernels/optimizer.cuh"
#include "cuda/kernels/reductions.cuh"
#include "cuda/kernels/setup.cuh"
#include "cuda/launch.cuh"
#include "cuda/split_gemm.cuh"
#include "sim/model/counter_normal.hpp"
#include "sim/model/optimizer.hpp"
#include "sim/model/teacher.hpp"

// Inside the project's namespace rather than `using` it: a global using-directive for
// gammalab::cuda makes CUB's own `cuda::std` ambiguous in nvcc's generated stubs.
namespace gammalab::cuda::test {

namespace {

std::mt19937_64 rng(20240613);

std::vector<float> normals(std::size_t count, double stddev = 1.0) {
  std::normal_distribution<float> normal(0.0f, static_cast<float>(stddev));
  std::vector<float> out(count);
  for (float& x : out) x = normal(rng);
  return out;
}

void finish() { CUDA_CHECK(cudaDeviceSynchronize()); }

// The CPU's three-term BF16 expansion (masked_mma.cuh's bf16_terms), bit for bit.
__nv_bfloat16 host_bf16_term(float x, int piece) {
  __nv_bfloat16 term = __float2bfloat16_rn(0.0f);
  for (int p = 0; p <= piece && p < 3; ++p) {
    term = __float2bfloat16_rn(x);
    x -= __bfloat162float(term);
  }
  return piece < 3 ? term : __float2bfloat16_rn(0.0f);
}
std::uint32_t host_pack(__nv_bfloat16 low, __nv_bfloat16 high) {
  return static_cast<std::uint32_t>(__bfloat16_as_ushort(low)) | static_cast<std::uint32_t>(__bfloat16_as_ushort(high)) << 16;
}

// The fragments of a masked sum's operand (mma::masked_sum_fragments), on the CPU: one output
// word at a time, as the PTX ISA lays them out.
template <int R, class Value>
std::vector<uint2> host_masked_sum_fragments(int C, int tiles, int extent, Value value) {
  constexpr int Q = mma::operand_tiles(R);
  std::vector<uint2> out(static_cast<std::size_t>(C) * tiles * Q * mma::kWarp);
  for (int c = 0; c < C; ++c)
    for (int tile = 0; tile < tiles; ++tile)
      for (int slot = 0; slot < Q; ++slot)
        for (int lane = 0; lane < mma::kWarp; ++lane) {
          const mma::OperandColumn column = mma::operand_column(slot, lane / 4);
          __nv_bfloat16 terms[4];
          for (int a = 0; a < 4; ++a) {
            const int r = tile * mma::kTile + mma::b_fragment_row(lane, a);
            const bool used = column.factor < R && column.piece < 3 && r < extent;
            terms[a] = host_bf16_term(used ? value(c, r, column.factor) : 0.0f, used ? column.piece : 0);
          }
          out[((static_cast<std::size_t>(c) * tiles + tile) * Q + slot) * mma::kWarp + lane] =
              make_uint2(host_pack(terms[0], terms[1]), host_pack(terms[2], terms[3]));
        }
  return out;
}

// The B fragments of h's product (mma::product_fragments), on the CPU, one output word at a time.
template <int F, class Value>
std::vector<uint2> host_product_fragments(int C, int tiles, int extent, Value value) {
  constexpr int K = mma::product_chunks(F);
  std::vector<uint2> out(static_cast<std::size_t>(C) * tiles * K * mma::kWarp);
  for (int c = 0; c < C; ++c)
    for (int tile = 0; tile < tiles; ++tile)
      for (int chunk = 0; chunk < K; ++chunk)
        for (int lane = 0; lane < mma::kWarp; ++lane) {
          const int j = tile * mma::kProductColumns + lane / 4;
          __nv_bfloat16 terms[4];
          for (int a = 0; a < 4; ++a) {
            const int rho = chunk * mma::kTile + mma::b_fragment_row(lane, a), term = rho / F;
            terms[a] = term >= mma::product_cross_terms(F)
                           ? __float2bfloat16_rn(0.0f)
                           : host_bf16_term(j < extent ? value(c, j, rho % F) : 0.0f, mma::cross_term(term).b);
          }
          out[((static_cast<std::size_t>(c) * tiles + tile) * K + chunk) * mma::kWarp + lane] =
              make_uint2(host_pack(terms[0], terms[1]), host_pack(terms[2], terms[3]));
        }
  return out;
}

bool same_fragments(const std::vector<uint2>& a, const std::vector<uint2>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t e = 0; e < a.size(); ++e)
    if (a[e].x != b[e].x || a[e].y != b[e].y) return false;
  return true;
}

// The mask bit of (row, column) in forward_kernel's mask words, on the CPU: lane (g, t)
// of a word holds, for tile x and register m, bit 4x + m for row g + 8(m & 1), column
// 16x + 8(m >> 1) + 2t, and bit 4x + m + 16 for the column after it.
bool mask_bit(const std::vector<std::uint32_t>& words, int c, int i, int j, int N, int n) {
  const int row_tile = i / mma::kTile, word = j / mma::kWordColumns, x = j % mma::kWordColumns / mma::kTile;
  const int within = j % mma::kTile, half = within / 8, t = within % 8 / 2, upper = within % 2;
  const int g = i % mma::kTile % 8, m = 2 * half + i % mma::kTile / 8;
  const std::uint32_t bits = words[((static_cast<std::size_t>(c) * mma::row_tiles(N) + row_tile) * mma::words_per_row(n) + word) *
                                       mma::kWarp + 4 * g + t];
  return bits >> (4 * x + m + 16 * upper) & 1u;
}

// Random operands of the fused kernels: C configurations of rank R, N rows, width n.
template <int R>
struct Operands {
  int N, n, C;
  float scale = 0.7f;
  int H_stride = round_up(n, mma::kWordColumns);
  std::vector<float> H, ZA, P, w, B, B0;
  Operands(int N_, int n_, int C_) : N(N_), n(n_), C(C_) {
    H.assign(static_cast<std::size_t>(round_up(N, kernels::kForwardRows)) * H_stride, 0.0f);
    w.assign(static_cast<std::size_t>(H_stride), 0.0f);
    const std::vector<float> H_values = normals(static_cast<std::size_t>(N) * n), w_values = normals(n, 0.3);
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < n; ++j) H[static_cast<std::size_t>(i) * H_stride + j] = H_values[static_cast<std::size_t>(i) * n + j];
    for (int j = 0; j < n; ++j) w[j] = w_values[j];
    ZA = normals(static_cast<std::size_t>(N) * C * R);
    P = normals(ZA.size());
    B = normals(static_cast<std::size_t>(C) * n * R, 0.5);
    B0 = normals(B.size(), 0.5);
  }
  float za(int i, int c, int k) const { return ZA[(static_cast<std::size_t>(i) * C + c) * R + k]; }
  float b(const std::vector<float>& m, int c, int j, int k) const { return m[(static_cast<std::size_t>(c) * n + j) * R + k]; }
};

// Sums over splits in split order, as the kernels' partial results are added.
std::vector<float> sum_splits(const std::vector<float>& parts, int splits) {
  const std::size_t count = parts.size() / splits;
  std::vector<float> out(count, 0.0f);
  for (int s = 0; s < splits; ++s)
    for (std::size_t e = 0; e < count; ++e) out[e] += parts[s * count + e];
  return out;
}

// Configuration c's N × R block of a matrix laid out as Z_A (N × C·R).
Eigen::MatrixXd rows_of_config(const std::vector<float>& m, int N, int C, int R, int c) {
  Eigen::MatrixXd out(N, R);
  for (int i = 0; i < N; ++i)
    for (int k = 0; k < R; ++k) out(i, k) = m[(static_cast<std::size_t>(i) * C + c) * R + k];
  return out;
}
// Block b of a stack of row-major rows × cols blocks: configuration b's block of A
// ((C·R) × n) or B ((C·n) × R), or a whole row-major matrix (b = 0).
Eigen::MatrixXd row_major_block(const std::vector<float>& m, int rows, int cols, int b) {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(m.data() + static_cast<std::size_t>(b) * rows * cols, rows, cols).cast<double>();
}
// A matrix in Z_A's layout from its configurations' N × R blocks.
std::vector<float> in_rows_layout(const std::vector<Eigen::MatrixXd>& blocks) {
  const int C = static_cast<int>(blocks.size()), N = static_cast<int>(blocks.front().rows()), R = static_cast<int>(blocks.front().cols());
  std::vector<float> out(static_cast<std::size_t>(N) * C * R);
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < N; ++i)
      for (int k = 0; k < R; ++k) out[(static_cast<std::size_t>(i) * C + c) * R + k] = static_cast<float>(blocks[c](i, k));
  return out;
}

}  // namespace

// FP32 sums of n products: the products on the tensor cores are exact (three BF16 terms
// each, p + q ≤ 2, within a few units of 2^-24 of the product) and the sums round as
// FP32 does, at most n·2^-24 ≈ 1.2e-5 of Σ|term| for n = 200 and typically √n·2^-24.
// The tolerance, 2e-5 of Σ|term| (plus 1e-6 for sums near zero), holds both with room.
constexpr double kSumTolerance = 2e-5;
// h within this of zero may round to either side on the GPU: its mask bit is not compared.
constexpr double kMaskMargin = 1e-4;

// f (C × N) and, with GRADIENT, u (Z_A's layout) of a forward pass on `in` against the
// CPU's h in double: f within kSumTolerance of Σ|term|; the GPU's mask, gpu_mask(c, i, j),
// equal to 1[h > 0] wherever |h| > kMaskMargin, and u as its masked sum.
template <int R, bool SUBTRACT, bool GRADIENT, class Mask>
void check_forward_results(const Operands<R>& in, const std::vector<float>& f, const std::vector<float>& u, Mask gpu_mask) {
  const int N = in.N, n = in.n, C = in.C;
  int checked_bits = 0;
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < N; ++i) {
      double f_ref = 0, f_size = 1e-6 / kSumTolerance;
      std::vector<double> u_ref(R, 0.0), u_size(R, 1e-6 / kSumTolerance);
      for (int j = 0; j < n; ++j) {
        double h = in.H[static_cast<std::size_t>(i) * in.H_stride + j];
        for (int k = 0; k < R; ++k) {
          h += static_cast<double>(in.scale) * in.za(i, c, k) * in.b(in.B, c, j, k);
          if (SUBTRACT) h -= static_cast<double>(in.scale) * in.P[(static_cast<std::size_t>(i) * C + c) * R + k] * in.b(in.B0, c, j, k);
        }
        f_ref += std::max(h, 0.0) * in.w[j];
        f_size += std::abs(std::max(h, 0.0) * in.w[j]);
        if (!GRADIENT) continue;
        const bool bit = gpu_mask(c, i, j);
        if (std::abs(h) > kMaskMargin) {
          REQUIRE(bit == (h > 0));
          ++checked_bits;
        }
        for (int k = 0; k < R; ++k) {  // u from the GPU's own mask: the sums are what is checked here
          u_ref[k] += bit ? static_cast<double>(in.w[j]) * in.b(in.B, c, j, k) : 0.0;
          u_size[k] += std::abs(static_cast<double>(in.w[j]) * in.b(in.B, c, j, k));
        }
      }
      REQUIRE(std::abs(f[static_cast<std::size_t>(c) * N + i] - f_ref) <= kSumTolerance * f_size);
      if (GRADIENT)
        for (int k = 0; k < R; ++k)
          REQUIRE(std::abs(u[(static_cast<std::size_t>(i) * C + c) * R + k] - u_ref[k]) <= kSumTolerance * u_size[k]);
    }
  if (GRADIENT) CHECK(checked_bits > C * N * n * 9 / 10);
}

template <int R, bool SUBTRACT, bool GRADIENT>
void check_forward(int N, int n, int C, int words_per_split) {
  INFO("rank " << R << ", subtract " << SUBTRACT << ", gradient " << GRADIENT << ", width " << n);
  using Stage = kernels::ForwardStage<R, SUBTRACT>;
  constexpr int F = kernels::product_factors<R, SUBTRACT>();
  Operands<R> in(N, n, C);
  const int words = mma::words_per_row(n), splits = blocks_over(words, words_per_split);
  DeviceBuffer<float> H(in.H), ZA(in.ZA), P(in.P), w(in.w), B(in.B), B0(in.B0);
  const int product_tiles = words * mma::kWordColumns / mma::kProductColumns, column_tiles = words * mma::kTilesPerWord;
  DeviceBuffer<uint2> product(static_cast<std::size_t>(C) * product_tiles * mma::product_chunks(F) * mma::kWarp);
  DeviceBuffer<uint2> weighted(static_cast<std::size_t>(C) * column_tiles * mma::operand_tiles(R) * mma::kWarp);
  mma::fill_product_fragments<F>(C, product_tiles, n, kernels::ProductColumns<R>{B.get(), B0.get(), n}, product.get(), nullptr);
  mma::fill_masked_sum_fragments<R>(C, column_tiles, n, kernels::WeightedB<R>{B.get(), w.get(), n}, weighted.get(), nullptr);
  DeviceBuffer<float> f_part(static_cast<std::size_t>(splits) * C * N), u_part(static_cast<std::size_t>(splits) * N * C * R);
  DeviceBuffer<std::uint32_t> mask_words(static_cast<std::size_t>(C) * mma::row_tiles(N) * words * mma::kWarp);
  const std::size_t shared = 2 * sizeof(Stage);
  CUDA_CHECK(cudaFuncSetAttribute(kernels::forward_kernel<R, SUBTRACT, GRADIENT>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(shared)));
  const dim3 blocks(blocks_over(N, kernels::kForwardRows), blocks_over(C, kernels::forward_configs<R>()), splits);
  kernels::forward_kernel<R, SUBTRACT, GRADIENT><<<blocks, kernels::kForwardThreads, shared>>>(
      N, n, C, words_per_split, in.scale,
      kernels::ForwardOperands{H.get(), in.H_stride, ZA.get(), P.get(), w.get(), product.get(), weighted.get(), f_part.get(),
                               GRADIENT ? u_part.get() : nullptr, GRADIENT ? mask_words.get() : nullptr});
  CUDA_CHECK_LAUNCH();
  finish();
  const std::vector<float> f = sum_splits(f_part.download(), splits), u = sum_splits(u_part.download(), splits);
  const std::vector<std::uint32_t> words_out = mask_words.download();
  check_forward_results<R, SUBTRACT, GRADIENT>(in, f, u, [&](int c, int i, int j) { return mask_bit(words_out, c, i, j, N, n); });
}

TEST_CASE("[gpu] forward_kernel: f, u and the ReLU mask against the CPU's h, at ranks 1, 4 and 16") {
  check_forward<4, false, true>(100, 200, 5, 1);  // 4 splits, N and n not whole blocks or words
  check_forward<4, true, true>(70, 130, 3, 2);
  check_forward<4, false, false>(64, 128, 4, 2);
  check_forward<1, false, true>(33, 100, 3, 1);
  check_forward<16, true, false>(40, 64, 2, 1);
}

// Both fragment kernels at rank R, the product's with and without B₀ (F = 2R, R), over a
// width that is not a whole number of words (the padding's fragments are zero).
template <int R>
void check_fragments(int C, int n) {
  INFO("rank " << R << ", width " << n);
  const std::vector<float> B_host = normals(static_cast<std::size_t>(C) * n * R), B0_host = normals(B_host.size()), w_host = normals(n);
  DeviceBuffer<float> B(B_host), B0(B0_host), w(w_host);
  const int tiles = mma::words_per_row(n) * mma::kTilesPerWord;
  DeviceBuffer<uint2> weighted(static_cast<std::size_t>(C) * tiles * mma::operand_tiles(R) * mma::kWarp);
  mma::fill_masked_sum_fragments<R>(C, tiles, n, kernels::WeightedB<R>{B.get(), w.get(), n}, weighted.get(), nullptr);
  const int product_tiles = mma::words_per_row(n) * mma::kWordColumns / mma::kProductColumns;
  DeviceBuffer<uint2> product(static_cast<std::size_t>(C) * product_tiles * mma::product_chunks(R) * mma::kWarp);
  DeviceBuffer<uint2> with_B0(static_cast<std::size_t>(C) * product_tiles * mma::product_chunks(2 * R) * mma::kWarp);
  const kernels::ProductColumns<R> columns{B.get(), B0.get(), n};
  mma::fill_product_fragments<R>(C, product_tiles, n, columns, product.get(), nullptr);
  mma::fill_product_fragments<2 * R>(C, product_tiles, n, columns, with_B0.get(), nullptr);
  finish();
  auto b = [&](int c, int j, int k) { return B_host[(static_cast<std::size_t>(c) * n + j) * R + k]; };
  auto b_and_b0 = [&](int c, int j, int k) { return k < R ? b(c, j, k) : B0_host[(static_cast<std::size_t>(c) * n + j) * R + k - R]; };
  CHECK(same_fragments(weighted.download(),
                       host_masked_sum_fragments<R>(C, tiles, n, [&](int c, int j, int k) { return w_host[j] * b(c, j, k); })));
  CHECK(same_fragments(product.download(), host_product_fragments<R>(C, product_tiles, n, b)));
  CHECK(same_fragments(with_B0.download(), host_product_fragments<2 * R>(C, product_tiles, n, b_and_b0)));
}

TEST_CASE("[gpu] fragment kernels: the masked-sum and product operands laid out as on the CPU, bit for bit") {
  check_fragments<4>(3, 100);
  check_fragments<1>(2, 70);
  check_fragments<16>(2, 130);
}

// ∂L/∂B (config c's n × R block at c·n·R) against s·w_j Σ_i mask(c, i, j) ∂L/∂f_c,i Z_A,ik
// on the CPU, within kSumTolerance of Σ|term|.
template <int R, class Mask>
void check_grad_B_results(const std::vector<float>& gB, int N, int n, int C, float scale, const std::vector<float>& d_host,
                          const std::vector<float>& ZA_host, const std::vector<float>& w_host, Mask mask) {
  for (int c = 0; c < C; ++c)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < R; ++k) {
        double sum = 0, size = 1e-6 / kSumTolerance;
        for (int i = 0; i < N; ++i) {
          const double term = static_cast<double>(d_host[static_cast<std::size_t>(c) * N + i]) *
                              ZA_host[(static_cast<std::size_t>(i) * C + c) * R + k];
          if (mask(c, i, j)) sum += term;
          size += std::abs(term);
        }
        const double factor = static_cast<double>(scale) * w_host[j];
        REQUIRE(std::abs(gB[(static_cast<std::size_t>(c) * n + j) * R + k] - factor * sum) <= kSumTolerance * std::abs(factor) * size);
      }
}

template <int R>
void check_grad_B(int N, int n, int C, int row_tiles_per_split) {
  INFO("rank " << R << ", rows " << N << ", width " << n);
  const float scale = 0.7f;
  const int words = mma::words_per_row(n), row_tiles = mma::row_tiles(N), splits = blocks_over(row_tiles, row_tiles_per_split);
  std::vector<std::uint32_t> mask_host(static_cast<std::size_t>(C) * row_tiles * words * mma::kWarp);
  for (auto& word : mask_host) word = static_cast<std::uint32_t>(rng());
  const std::vector<float> d_host = normals(static_cast<std::size_t>(C) * N), ZA_host = normals(static_cast<std::size_t>(N) * C * R),
                           w_host = normals(n);
  DeviceBuffer<std::uint32_t> mask(mask_host);
  DeviceBuffer<float> d_output(d_host), ZA(ZA_host), w(w_host), parts(static_cast<std::size_t>(splits) * C * n * R);
  DeviceBuffer<uint2> D(static_cast<std::size_t>(C) * row_tiles * mma::operand_tiles(R) * mma::kWarp);
  mma::fill_masked_sum_fragments<R>(C, row_tiles, N, kernels::OutputGradientTimesZA<R>{d_output.get(), ZA.get(), N, C}, D.get(),
                                    nullptr);
  const dim3 blocks(blocks_over(n, kernels::grad_columns<R>()), blocks_over(C, kernels::grad_configs_per_warp<R>()), splits);
  kernels::grad_B_kernel<R><<<blocks, kernels::kGradWarps * mma::kWarp>>>(N, n, C, row_tiles_per_split, scale, mask.get(), D.get(),
                                                                          w.get(), parts.get());
  CUDA_CHECK_LAUNCH();
  finish();
  check_grad_B_results<R>(sum_splits(parts.download(), splits), N, n, C, scale, d_host, ZA_host, w_host,
                          [&](int c, int i, int j) { return mask_bit(mask_host, c, i, j, N, n); });
}

TEST_CASE("[gpu] grad_B_kernel: s·w_j Σ_i mask_ij D_ik against the CPU, at ranks 1, 4, 8 and 16") {
  check_grad_B<4>(100, 200, 5, 2);  // 4 splits of the row tiles
  check_grad_B<1>(50, 70, 3, 1);
  check_grad_B<8>(64, 128, 3, 4);
  check_grad_B<16>(40, 64, 2, 1);
}

// The large ranks' forward (dense_forward: the product by GEMMs, rectify_rows_kernel,
// u = G·B) against the same CPU reference as forward_kernel's; G exactly w_j or 0.
template <int R, bool SUBTRACT, bool GRADIENT>
void check_dense_forward(int N, int n, int C) {
  INFO("rank " << R << ", subtract " << SUBTRACT << ", gradient " << GRADIENT << ", width " << n);
  Operands<R> in(N, n, C);
  DeviceBuffer<float> H(in.H), ZA(in.ZA), P(in.P), w(in.w), B(in.B), B0(in.B0);
  DeviceBuffer<float> product(static_cast<std::size_t>(C) * N * n), f(static_cast<std::size_t>(C) * N), u(in.ZA.size());
  Stream stream;
  Cublas blas(stream);
  kernels::dense_forward<R>(blas, N, n, C, in.scale,
                            {H.get(), in.H_stride, ZA.get(), SUBTRACT ? P.get() : nullptr, B.get(), B0.get(), w.get(), product.get(),
                             f.get(), GRADIENT ? u.get() : nullptr},
                            stream);
  CUDA_CHECK(cudaStreamSynchronize(stream));
  const std::vector<float> G = product.download();
  auto g = [&](int c, int i, int j) { return G[(static_cast<std::size_t>(c) * N + i) * n + j]; };
  if (GRADIENT)
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < N; ++i)
        for (int j = 0; j < n; ++j) REQUIRE((g(c, i, j) == 0.0f || g(c, i, j) == in.w[j]));
  check_forward_results<R, SUBTRACT, GRADIENT>(in, f.download(), u.download(), [&](int c, int i, int j) { return g(c, i, j) != 0.0f; });
}

// The large ranks' ∂L/∂B: D tabulated by RowsLayout (the same FP32 product as the
// fragments', exact) and dense_grad_B = s·Gᵀ·D against the CPU's masked sum, from a
// random mask.
template <int R>
void check_dense_grad_B(int N, int n, int C) {
  INFO("rank " << R << ", rows " << N << ", width " << n);
  const float scale = 0.7f;
  const std::vector<float> d_host = normals(static_cast<std::size_t>(C) * N), ZA_host = normals(static_cast<std::size_t>(N) * C * R),
                           w_host = normals(n);
  std::vector<float> G_host(static_cast<std::size_t>(C) * N * n);
  std::bernoulli_distribution coin(0.5);
  for (std::size_t e = 0; e < G_host.size(); ++e) G_host[e] = coin(rng) ? w_host[e % n] : 0.0f;
  DeviceBuffer<float> d_output(d_host), ZA(ZA_host), G(G_host), D(ZA_host.size()), gB(static_cast<std::size_t>(C) * n * R);
  Stream stream;
  Cublas blas(stream);
  for_each_index(static_cast<std::int64_t>(D.size()),
                 kernels::RowsLayout<R, kernels::OutputGradientTimesZA<R>>{{d_output.get(), ZA.get(), N, C}, C, D.get()}, stream);
  kernels::dense_grad_B<R>(blas, N, n, C, scale, G.get(), D.get(), gB.get());
  CUDA_CHECK(cudaStreamSynchronize(stream));
  const std::vector<float> D_out = D.download();
  for (int i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c)
      for (int k = 0; k < R; ++k) {
        const std::size_t e = (static_cast<std::size_t>(i) * C + c) * R + k;
        REQUIRE(D_out[e] == d_host[static_cast<std::size_t>(c) * N + i] * ZA_host[e]);
      }
  check_grad_B_results<R>(gB.download(), N, n, C, scale, d_host, ZA_host, w_host,
                          [&](int c, int i, int j) { return G_host[(static_cast<std::size_t>(c) * N + i) * n + j] != 0.0f; });
}

TEST_CASE("[gpu] the large ranks' GEMM forward and ∂L/∂B against the CPU, at ranks 16, 32, 128 and 256") {
  check_dense_forward<32, false, true>(100, 200, 5);  // N and n not whole blocks or words
  check_dense_forward<32, true, true>(70, 130, 3);
  check_dense_forward<32, true, false>(64, 128, 4);
  check_dense_forward<16, false, true>(33, 100, 3);  // the rank of both kernels, for the measurement
  check_dense_forward<256, true, true>(40, 300, 2);
  check_dense_grad_B<32>(100, 200, 5);
  check_dense_grad_B<128>(50, 70, 3);
  check_dense_grad_B<256>(40, 300, 2);
}

TEST_CASE("[gpu] setup: counter-normal entries as the CPU's, and relu of a strided matrix") {
  const std::uint64_t key = sim::student_key(7, 96, sim::kHiddenWeight);
  const std::int64_t first = 1000, count = 4000;
  DeviceBuffer<float> out(static_cast<std::size_t>(count));
  for_each_index(count, kernels::NormalEntries{out.get(), key, first, 0.25}, nullptr);
  finish();
  const std::vector<float> gpu = out.download();
  for (std::int64_t e = 0; e < count; ++e)  // the same double arithmetic, rounded once to FP32
    REQUIRE(gpu[e] == doctest::Approx(static_cast<float>(0.25 * sim::counter_normal(key, first + e))).epsilon(1e-6));

  const int rows = 7, cols = 9, stride = 16;
  const std::vector<float> in_host = normals(static_cast<std::size_t>(rows) * stride);
  DeviceBuffer<float> in(in_host), relu(static_cast<std::size_t>(rows) * cols);
  for_each_index(rows * cols, kernels::ReluCopy{in.get(), stride, cols, relu.get()}, nullptr);
  finish();
  const std::vector<float> relu_host = relu.download();
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) REQUIRE(relu_host[i * cols + j] == std::max(in_host[i * stride + j], 0.0f));
}

TEST_CASE("[gpu] GatherConfigurations: the kept configurations' blocks, in every run, as the CPU picks them") {
  const int configs = 7, outer = 3;
  const std::int64_t block = 5;
  const std::vector<int> kept{0, 2, 3, 6};
  const std::vector<float> in_host = normals(static_cast<std::size_t>(outer * configs * block));
  DeviceBuffer<float> in(in_host), out(static_cast<std::size_t>(outer * kept.size() * block));
  const DeviceBuffer<int> kept_device(kept);
  const int K = static_cast<int>(kept.size());
  for_each_index(static_cast<std::int64_t>(out.size()),
                 kernels::GatherConfigurations<float>{in.get(), out.get(), kept_device.get(), configs, K, block}, nullptr);
  finish();
  const std::vector<float> gathered = out.download();
  for (int o = 0; o < outer; ++o)
    for (int k = 0; k < K; ++k)
      for (std::int64_t j = 0; j < block; ++j)
        REQUIRE(gathered[(o * K + k) * block + j] == in_host[(o * configs + kept[k]) * block + j]);
}

namespace {

// Adapters of stored rank R for the configurations' learning rates (Init[A]'s shapes: A
// random, B small), the same for every configuration whatever its rate.
HostAdapters adapters_for(const std::vector<float>& rates, int R, int n) {
  std::mt19937 draw(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> A(static_cast<std::size_t>(R) * n), B(A.size());
  for (float& a : A) a = normal(draw) / std::sqrt(static_cast<float>(n));
  for (float& b : B) b = 1e-2f * normal(draw);
  HostAdapters out;
  out.rank = R;
  for (float rate : rates) {
    out.A.insert(out.A.end(), A.begin(), A.end());
    out.B.insert(out.B.end(), B.begin(), B.end());
    out.lr_A.push_back(rate), out.lr_B.push_back(rate);
    out.fit_residual.push_back(0.0);
  }
  out.A0.assign(out.A.size(), 0.0f), out.B0.assign(out.B.size(), 0.0f);
  return out;
}

// A group in which half the rates diverge within a few steps drops them at the first
// check (after step 8) and trains on without them: the rest must come out as a group of
// them alone trains them (FP32, the products summed in other orders while the group was
// larger: within 1e-4 for losses, 1e-3 for the norms and factors; a configuration put
// back in the wrong place would miss by its rate's factor of 3), and the dropped ones
// diverged, with the records before their divergence kept. Horizons at 8 and 9 lie on
// either side of the rebuild. At rank 4 the tensor-core kernels train the group, at 32
// the GEMMs (group_memory.cuh: kernels_for_rank).
template <int R>
void check_dropping_diverged() {
  CAPTURE(R);
  const sim::Dataset data = sim::make_teacher_dataset({5, 96, 8, 120, 40, 3});
  const sim::StudentKey key{128, sim::Readout::Standard, 4};
  cudaDeviceProp properties{};
  CUDA_CHECK(cudaGetDeviceProperties(&properties, 0));
  sim::TrainSpec spec;
  spec.rank = spec.alpha = R;
  spec.steps = 40;
  spec.record_every = 10;
  spec.horizons = {1, 5, 8, 9, 20, 40};
  spec.keep_factors = true;
  const std::vector<float> mixed_rates{1e-4f, 30.0f, 3e-4f, 30.0f, 1e-3f, 30.0f, 3e-3f, 30.0f};
  const std::vector<float> kept_rates{1e-4f, 3e-4f, 1e-3f, 3e-3f};
  Lane lane;
  GroupTrainer<R> mixed(data, key, std::vector<sim::TrainSpec>(mixed_rates.size(), spec),
                        adapters_for(mixed_rates, R, key.width), properties.multiProcessorCount, lane);
  GroupTrainer<R> alone(data, key, std::vector<sim::TrainSpec>(kept_rates.size(), spec), adapters_for(kept_rates, R, key.width),
                        properties.multiProcessorCount, lane);
  const std::vector<sim::TrainResult> with = mixed.run(), without = alone.run();
  CHECK(mixed.rebuilds() == 1);
  CHECK(alone.rebuilds() == 0);
  for (std::size_t c = 1; c < mixed_rates.size(); c += 2) {
    CAPTURE(c);
    REQUIRE(with[c].diverged);
    CHECK(with[c].diverged_step <= 8);
    CHECK(std::isinf(with[c].final_train_loss));
    CHECK(std::isinf(with[c].horizons.back().max_train_loss));
    CHECK(std::isfinite(with[c].horizons.front().max_train_loss));  // step 1, before the divergence
    REQUIRE(with[c].curve.size() == 1);                              // step 1's point; 10, 20, … are past it
    CHECK(with[c].curve[0].step == 1);
    CHECK(with[c].curve[0].test_loss == doctest::Approx(without[0].curve[0].test_loss).epsilon(1e-5));  // same start
    CHECK(with[c].final_A.rows() == R);
  }
  for (std::size_t k = 0; k < kept_rates.size(); ++k) {
    CAPTURE(k);
    const sim::TrainResult &a = with[2 * k], &e = without[k];
    REQUIRE(!a.diverged);
    REQUIRE(!e.diverged);
    CHECK(a.final_train_loss == doctest::Approx(e.final_train_loss).epsilon(1e-4));
    CHECK(a.final_test_loss == doctest::Approx(e.final_test_loss).epsilon(1e-4));
    CHECK(a.mean_last_train == doctest::Approx(e.mean_last_train).epsilon(1e-4));
    REQUIRE(a.curve.size() == e.curve.size());
    REQUIRE(a.curve.size() == 5);  // steps 1, 10, 20, 30, 40
    for (std::size_t i = 0; i < e.curve.size(); ++i) {
      CHECK(a.curve[i].step == e.curve[i].step);
      CHECK(a.curve[i].test_loss == doctest::Approx(e.curve[i].test_loss).epsilon(1e-4));
      CHECK(a.curve[i].norm_Z_B == doctest::Approx(e.curve[i].norm_Z_B).epsilon(1e-3));
    }
    REQUIRE(a.horizons.size() == e.horizons.size());
    for (std::size_t i = 0; i < e.horizons.size(); ++i) {
      CAPTURE(e.horizons[i].step);
      CHECK(a.horizons[i].max_train_loss == doctest::Approx(e.horizons[i].max_train_loss).epsilon(1e-4));
      CHECK(a.horizons[i].rms_Z_B == doctest::Approx(e.horizons[i].rms_Z_B).epsilon(1e-3));
    }
    CHECK((a.final_A - e.final_A).norm() <= 1e-3 * e.final_A.norm());  // Adam's near-zero steps: the parity test's note
    CHECK((a.final_B - e.final_B).norm() <= 1e-3 * e.final_B.norm());
  }
}

}  // namespace

TEST_CASE("[gpu] a group drops its diverged configurations and the rest train as a group of them alone, at ranks 4 and 32") {
  check_dropping_diverged<4>();
  check_dropping_diverged<32>();
}

// The bytes the device's memory pool has handed out and not taken back.
std::uint64_t pool_bytes_in_use() {
  std::uint64_t used = 0;
  CUDA_CHECK(cudaMemPoolGetAttribute(current_memory_pool(), cudaMemPoolAttrUsedMemCurrent, &used));
  return used;
}

TEST_CASE("[gpu] DeviceBuffer: from the memory pool in a stream's order inside a StreamOrderedAllocation, plain outside") {
  const std::vector<float> values = normals(1 << 20);
  const std::uint64_t before = pool_bytes_in_use();
  {
    DeviceBuffer<float> plain(values);
    CHECK(pool_bytes_in_use() == before);
    CHECK(plain.download() == values);
  }
  Stream stream;
  {
    const StreamOrderedAllocation scope(stream);
    DeviceBuffer<float> ordered(values);
    CHECK(pool_bytes_in_use() >= before + values.size() * sizeof(float));
    CHECK(ordered.download() == values);
    ordered.fill_zero();
    CHECK(ordered.download() == std::vector<float>(values.size(), 0.0f));
    {
      const StreamOrderedAllocation inner(stream);
      DeviceBuffer<float> nested(values.size());
      CHECK(pool_bytes_in_use() >= before + 2 * values.size() * sizeof(float));
    }
    DeviceBuffer<float> moved = std::move(ordered);  // freed on its stream wherever it ends
    // More than the card holds: the pool gives back what it can and tries once more, then
    // the failure is reported, and the scope still allocates afterwards.
    std::size_t free_bytes = 0, total_bytes = 0;
    CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    CHECK_THROWS_AS(DeviceBuffer<float>(total_bytes / sizeof(float) * 2), std::runtime_error);
    DeviceBuffer<float> after_failure(values);
    CHECK(after_failure.download() == values);
  }
  CUDA_CHECK(cudaStreamSynchronize(stream));
  CHECK(pool_bytes_in_use() == before);
  DeviceBuffer<float> after_scope(values.size());  // the scope has ended: plain again
  CHECK(pool_bytes_in_use() == before);
}

TEST_CASE("[gpu] split GEMM helpers: BF16 terms (plain and stacked) bit for bit, and the sum of the six blocks") {
  const std::int64_t count = 777;
  const std::vector<float> x = normals(static_cast<std::size_t>(count));
  DeviceBuffer<float> in(x);
  DeviceBuffer<__nv_bfloat16> plain(static_cast<std::size_t>(split::kTerms * count)), stacked(static_cast<std::size_t>(split::kBlocks * count));
  for_each_index(count, split::SplitIntoTerms<false>{in.get(), count, plain.get()}, nullptr);
  for_each_index(count, split::SplitIntoTerms<true>{in.get(), count, stacked.get()}, nullptr);
  finish();
  const auto plain_host = plain.download(), stacked_host = stacked.download();
  for (std::int64_t e = 0; e < count; ++e)
    for (int q = 0; q < split::kTerms; ++q) {
      const std::uint16_t expected = __bfloat16_as_ushort(host_bf16_term(x[e], q));
      REQUIRE(__bfloat16_as_ushort(plain_host[q * count + e]) == expected);
      for (int copy = 0; copy < split::blocks_of(q); ++copy)
        REQUIRE(__bfloat16_as_ushort(stacked_host[(split::first_block(q) + copy) * count + e]) == expected);
    }

  const std::vector<float> blocks_host = normals(static_cast<std::size_t>(split::kBlocks * count));
  DeviceBuffer<float> blocks(blocks_host), sum(static_cast<std::size_t>(count));
  for_each_index(count, split::SumOfBlocks{blocks.get(), count, sum.get()}, nullptr);
  finish();
  const auto sum_host = sum.download();
  for (std::int64_t e = 0; e < count; ++e) {
    auto block = [&](int q, int p) { return blocks_host[(split::first_block(q) + p) * count + e]; };
    // The same FP32 additions in the same order: equal.
    REQUIRE(sum_host[e] == (((block(0, 2) + block(1, 1)) + block(2, 0)) + (block(0, 1) + block(1, 0))) + block(0, 0));
  }
}

TEST_CASE("[gpu] residual and loss: f from its splits, ∂L/∂f, the loss, and the divergence rule") {
  const int N = 300, C = 5, splits = 3;
  std::vector<float> parts = normals(static_cast<std::size_t>(splits) * C * N);
  const std::vector<float> y = normals(N);
  for (int i = 0; i < N; ++i) parts[static_cast<std::size_t>(3) * N + i] = 1e4f;  // config 3: loss ≈ 9e8 > bound
  parts[static_cast<std::size_t>(4) * N + 7] = NAN;                               // config 4: NaN
  const float bound = 1e6f;
  DeviceBuffer<float> f_part(parts), y_device(y), f(static_cast<std::size_t>(C) * N), d_output(f.size());
  DeviceBuffer<float> history(static_cast<std::size_t>(4) * C), plain(static_cast<std::size_t>(C));
  DeviceBuffer<int> diverged(std::vector<int>(C, 0)), step(std::vector<int>{2});
  diverged.upload({0, 0, 1, 0, 0});  // config 2 diverged at step 1 and keeps it
  kernels::SegmentedSums sums(C, N);
  kernels::residual_and_loss(sums, f_part.get(), splits, N, C, y_device.get(), f.get(), d_output.get(), history.get(),
                             diverged.get(), step.get(), bound, nullptr);
  kernels::residual_and_loss(sums, f_part.get(), splits, N, C, y_device.get(), f.get(), nullptr, plain.get(), diverged.get(),
                             nullptr, bound, nullptr);
  finish();
  const auto f_host = f.download(), d_host = d_output.download(), history_host = history.download(), plain_host = plain.download();
  const auto diverged_host = diverged.download();
  const std::vector<float> f_ref = sum_splits(parts, splits);
  for (int c = 0; c < C; ++c) {
    double loss = 0;
    for (int i = 0; i < N; ++i) {
      const std::size_t e = static_cast<std::size_t>(c) * N + i;
      if (c != 4) {  // the same FP32 additions in the same order: equal
        REQUIRE(f_host[e] == f_ref[e]);
        REQUIRE(d_host[e] == 2.0f * (f_ref[e] - y[i]) / static_cast<float>(N));
      }
      const float error = f_ref[e] - y[i];
      loss += static_cast<double>(error) * error;
    }
    const float expected = static_cast<float>(loss / N);
    if (c == 4) {
      CHECK(std::isnan(history_host[C + c]));
    } else {  // a double sum in another order, rounded to FP32: within one rounding
      CHECK(history_host[C + c] == doctest::Approx(expected).epsilon(1e-6));
      CHECK(plain_host[c] == doctest::Approx(expected).epsilon(1e-6));
    }
  }
  CHECK(diverged_host == std::vector<int>{0, 0, 1, 2, 2});
}

TEST_CASE("[gpu] split sums and ∂L/∂Z_A = s·∂L/∂f·u") {
  constexpr int R = 4;
  const int N = 60, C = 3, splits = 3;
  const std::int64_t count = static_cast<std::int64_t>(N) * C * R;
  const std::vector<float> parts = normals(static_cast<std::size_t>(splits * count)), d = normals(static_cast<std::size_t>(C) * N);
  DeviceBuffer<float> parts_device(parts), d_device(d), sum(static_cast<std::size_t>(count)), dZA(static_cast<std::size_t>(count));
  for_each_index(count, kernels::SumOfSplits{parts_device.get(), splits, count, sum.get()}, nullptr);
  for_each_index(count, kernels::BackpropFactors<R>{N, C, splits, 0.7f, d_device.get(), parts_device.get(), dZA.get()}, nullptr);
  finish();
  const auto sum_host = sum.download(), dZA_host = dZA.download();
  const std::vector<float> expected = sum_splits(parts, splits);
  for (std::int64_t e = 0; e < count; ++e) {  // the same FP32 operations in the same order: equal
    REQUIRE(sum_host[e] == expected[e]);
    const std::int64_t i = e / (C * R), c = e % (C * R) / R;
    REQUIRE(dZA_host[e] == 0.7f * d[c * N + i] * expected[e]);
  }
}

// Two steps of the GPU's rule on three configurations (the second diverged) against
// sim::apply_update in double. FP32 against double after two steps: a few roundings of
// the moments and the step, ≲ 1e-6 relative; AdamW's step is about ±lr whatever the
// gradient, so the tolerance is 1e-5 of |p| plus 1e-5 of lr.
template <class Rule>
void check_update(Rule rule, sim::OptimizerSpec spec) {
  const int C = 3, per_config = 40;
  const std::vector<float> lr = {1e-2f, 5e-2f, 3e-3f};
  std::vector<float> p = normals(static_cast<std::size_t>(C) * per_config), zeros(p.size(), 0.0f);
  DeviceBuffer<float> parameter(p), first(zeros), second(zeros), gradient(p.size()), lr_device(lr);
  DeviceBuffer<int> diverged(std::vector<int>{0, 1, 0}), step(std::vector<int>{1});
  const std::vector<kernels::StepScalars> scalars_host = {
      {}, {0.5f, static_cast<float>(1 - spec.beta1), static_cast<float>(1 - spec.beta2)},
      {1.0f, static_cast<float>(1 - spec.beta1 * spec.beta1), static_cast<float>(1 - spec.beta2 * spec.beta2)}};
  DeviceBuffer<kernels::StepScalars> scalars(scalars_host);
  std::vector<Eigen::MatrixXd> expected(C);
  std::vector<sim::AdamMoments> moments(C);
  for (int c = 0; c < C; ++c) expected[c] = Eigen::Map<Eigen::VectorXf>(p.data() + c * per_config, per_config).cast<double>();
  for (int t = 1; t <= 2; ++t) {
    const std::vector<float> g = normals(p.size());
    gradient.upload(g);
    for_each_index(C * per_config,
                   kernels::UpdateParameters<Rule>{rule, per_config, parameter.get(), gradient.get(), first.get(), second.get(),
                                                   lr_device.get(), diverged.get(), scalars.get(), step.get()},
                   nullptr);
    for_each_index(1, kernels::AdvanceStep{step.get()}, nullptr);
    finish();
    for (int c = 0; c < C; ++c)
      if (c != 1)
        sim::apply_update(spec, t, static_cast<double>(lr[c]) * scalars_host[t].lr_factor,
                          Eigen::Map<const Eigen::VectorXf>(g.data() + c * per_config, per_config).cast<double>(), expected[c],
                          moments[c]);
  }
  const std::vector<float> gpu = parameter.download();
  for (int c = 0; c < C; ++c)
    for (int e = 0; e < per_config; ++e) {
      const double want = expected[c](e), got = gpu[static_cast<std::size_t>(c) * per_config + e];
      REQUIRE(std::abs(got - want) <= 1e-5 * std::abs(want) + 1e-5 * lr[c]);
    }
  CHECK(step.download() == std::vector<int>{3});
}

TEST_CASE("[gpu] optimiser update: AdamW and SGD rules against sim::apply_update; diverged configurations do not move") {
  sim::OptimizerSpec adamw;
  adamw.weight_decay = 0.01;
  check_update(kernels::AdamWRule{static_cast<float>(adamw.beta1), static_cast<float>(adamw.beta2),
                                  static_cast<float>(adamw.epsilon), static_cast<float>(adamw.weight_decay)},
               adamw);
  sim::OptimizerSpec sgd;
  sgd.kind = sim::Optimizer::Sgd;
  check_update(kernels::SgdRule{}, sgd);
}

// A configuration whose update leaves an entry infinite diverges after that step, yet
// takes the whole update, every entry, as the CPU does (the entries run in blocks in any
// order, and an early block's mark must not stop a later one), and no update after it.
// Many entries, so that many blocks run; SGD, whose update is exact to check.
TEST_CASE("[gpu] optimiser update: the update in which a configuration diverges is taken whole, and none after it") {
  const int C = 2, per_config = 1 << 18;
  const std::vector<float> lr = {1e-2f, 1e-2f};
  const std::vector<float> p = normals(static_cast<std::size_t>(C) * per_config);
  std::vector<float> g = normals(p.size());
  g[per_config / 3] = INFINITY;  // configuration 0 diverges in its first update
  DeviceBuffer<float> parameter(p), gradient(g), lr_device(lr);
  DeviceBuffer<int> diverged(std::vector<int>{0, 0}), step(std::vector<int>{1});
  DeviceBuffer<kernels::StepScalars> scalars(std::vector<kernels::StepScalars>{{}, {1.0f, 1.0f, 1.0f}, {1.0f, 1.0f, 1.0f}});
  const kernels::UpdateParameters<kernels::SgdRule> update{{}, per_config, parameter.get(), gradient.get(), nullptr, nullptr,
                                                           lr_device.get(), diverged.get(), scalars.get(), step.get()};
  for_each_index(static_cast<std::int64_t>(p.size()), update, nullptr);
  for_each_index(1, kernels::AdvanceStep{step.get()}, nullptr);
  finish();
  CHECK(diverged.download() == std::vector<int>{2, 0});  // diverged after step 1
  const std::vector<float> after_first = parameter.download();
  auto moved = [&](float now, float before, std::size_t e) {  // one SGD step (the device may fuse it into an FMA)
    const float want = before - lr[e / per_config] * g[e];
    return std::abs(now - want) <= 1e-6f * (std::abs(want) + 1.0f);
  };
  for (std::size_t e = 0; e < p.size(); ++e)
    if (e != static_cast<std::size_t>(per_config / 3)) REQUIRE(moved(after_first[e], p[e], e));
  for_each_index(static_cast<std::int64_t>(p.size()), update, nullptr);  // step 2: configuration 0 stays
  finish();
  const std::vector<float> after_second = parameter.download();
  for (std::size_t e = 0; e < static_cast<std::size_t>(per_config); ++e)
    if (e != static_cast<std::size_t>(per_config / 3)) REQUIRE(after_second[e] == after_first[e]);
  for (std::size_t e = per_config; e < p.size(); ++e) REQUIRE(moved(after_second[e], after_first[e], e));
}

TEST_CASE("[gpu] feature norms: mean ‖Z_A‖ and s·mean √(zᵀBᵀBz) against the CPU") {
  constexpr int R = 4;
  const int N = 90, n = 70, C = 3;
  const float scale = 0.7f;
  const std::vector<float> ZA_host = normals(static_cast<std::size_t>(N) * C * R), B_host = normals(static_cast<std::size_t>(C) * n * R);
  DeviceBuffer<float> ZA(ZA_host), B(B_host), norm_A(static_cast<std::size_t>(C)), norm_B(static_cast<std::size_t>(C));
  kernels::SegmentedSums gram_sums(static_cast<std::int64_t>(C) * R * R, n), norm_sums(2 * C, N);
  kernels::feature_norms<R>(gram_sums, norm_sums, ZA.get(), B.get(), N, n, C, scale, norm_A.get(), norm_B.get(), nullptr);
  finish();
  const auto A_host = norm_A.download(), B_norms = norm_B.download();
  for (int c = 0; c < C; ++c) {
    const Eigen::MatrixXd Z_A = rows_of_config(ZA_host, N, C, R, c), Bc = row_major_block(B_host, n, R, c);
    // Sums in double, rounded once to FP32: within a unit or two of FP32's rounding.
    CHECK(A_host[c] == doctest::Approx(Z_A.rowwise().norm().mean()).epsilon(1e-6));
    CHECK(B_norms[c] == doctest::Approx(scale * (Z_A * Bc.transpose()).rowwise().norm().mean()).epsilon(1e-6));
  }
}

// The horizons' RMS of the adapter's output (kernels::adapter_output_rms with the
// trainer's factors, kernels::LeftFactor) against the N × n product itself on the CPU,
// s·Z Aᵀ Bᵀ, less s·Z A₀ᵀ B₀ᵀ with SUBTRACT, from random Z, A₀ and B₀ and A and B that
// lie `change` from them (with SUBTRACT and change 0: the first step, where it is zero).
// U is given as the trainer forms it, each entry rounded once to FP32: Z·Aᵀ, or with
// SUBTRACT Z·(A − A₀)ᵀ (from A − A₀ by kernels::Change) and P = Z·A₀ᵀ. The sums run in
// double from those entries, so the RMS is within a few roundings of FP32 relative to
// itself (1e-6) even where it measures a small change: at change 1e-5, subtracting
// s·Z A₀ᵀ B₀ᵀ from s·Z Aᵀ Bᵀ, each rounded to FP32, would be off by about 1e-4.
template <int R, bool SUBTRACT>
void check_adapter_output_rms(int N, int n, int C, float change) {
  INFO("rank " << R << ", subtract " << SUBTRACT << ", change " << change);
  constexpr int F = SUBTRACT ? 2 * R : R;
  const float scale = 0.7f;
  const std::size_t factor_size = static_cast<std::size_t>(C) * R * n;
  const std::vector<float> Z_host = normals(static_cast<std::size_t>(N) * n), A0_host = normals(factor_size),
                           B0_host = normals(factor_size, 0.5), A_moves = normals(factor_size), B_moves = normals(factor_size, 0.5);
  std::vector<float> A_host = A0_host, B_host = B0_host;
  for (std::size_t e = 0; e < factor_size; ++e) {
    A_host[e] += change * A_moves[e];
    B_host[e] += change * B_moves[e];
  }
  DeviceBuffer<float> A(A_host), A0(A0_host), A_change(factor_size);
  for_each_index(static_cast<std::int64_t>(factor_size), kernels::Change{A.get(), A0.get(), A_change.get()}, nullptr);
  finish();
  const std::vector<float> A_change_host = A_change.download();
  for (std::size_t e = 0; e < factor_size; ++e) REQUIRE(A_change_host[e] == A_host[e] - A0_host[e]);  // the same FP32 subtraction

  const Eigen::MatrixXd Z = row_major_block(Z_host, N, n, 0);
  std::vector<Eigen::MatrixXd> first_blocks, P_blocks;
  for (int c = 0; c < C; ++c) {
    first_blocks.push_back(Z * row_major_block(SUBTRACT ? A_change_host : A_host, R, n, c).transpose());
    P_blocks.push_back(Z * row_major_block(A0_host, R, n, c).transpose());
  }
  DeviceBuffer<float> first(in_rows_layout(first_blocks)), P(in_rows_layout(P_blocks)), B(B_host), B0(B0_host);
  DeviceBuffer<float> rms(static_cast<std::size_t>(C));
  kernels::SegmentedSums gram_sums(static_cast<std::int64_t>(C) * F * F, n), row_sums(C, N);
  kernels::adapter_output_rms<R, F>(gram_sums, row_sums, {first.get(), P.get(), C}, {B.get(), B0.get(), n}, N, n, C, scale,
                                    rms.get(), nullptr);
  finish();
  const std::vector<float> rms_host = rms.download();
  for (int c = 0; c < C; ++c) {
    Eigen::MatrixXd product = Z * row_major_block(A_host, R, n, c).transpose() * row_major_block(B_host, n, R, c).transpose();
    if (SUBTRACT) product -= Z * row_major_block(A0_host, R, n, c).transpose() * row_major_block(B0_host, n, R, c).transpose();
    const double expected = scale * std::sqrt(product.squaredNorm() / static_cast<double>(product.size()));
    if (SUBTRACT && change == 0) CHECK(rms_host[c] == 0.0f);
    else CHECK(std::abs(rms_host[c] - expected) <= 1e-6 * expected);
  }
}

TEST_CASE("[gpu] adapter output RMS: s·Z_B (less s·Z_B⁰) over rows and units against the CPU's product, at ranks 1, 4 and 16") {
  check_adapter_output_rms<4, false>(90, 70, 3, 1.0f);
  check_adapter_output_rms<4, true>(90, 70, 3, 1e-5f);
  check_adapter_output_rms<4, true>(90, 70, 3, 0.0f);
  check_adapter_output_rms<1, true>(50, 64, 2, 1e-3f);
  check_adapter_output_rms<16, false>(40, 33, 2, 1.0f);
  check_adapter_output_rms<16, true>(40, 33, 2, 1e-5f);
}

}  // namespace gammalab::cuda::test

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    cudaGetLastError();
    std::printf("SKIPPED [gpu] kernel tests: no usable GPU (cudaGetDeviceCount found none)\n");
    return 77;
  }
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, 0) != cudaSuccess) return 1;
  std::printf("[gpu] kernel tests on %s\n", properties.name);
  doctest::Context context(argc, argv);
  return context.run();
}
