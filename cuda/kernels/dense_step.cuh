#pragma once
// The step's rank-R work for the large ranks (cuda/group_memory.cuh: StepKernels::Gemm),
// where the fused tensor-core kernels of forward.cuh and gradient.cuh would not fit
// their registers and shared memory: the three products that hold R go to cuBLAS's FP32
// GEMM, one per configuration (Cublas::gemm_batched), and what lies between them is
// pointwise:
//   product  = s Z_A Bᵀ (− s P B₀ᵀ)                   GEMM, C × (N × n)
//   h = H + product, f_i = Σ_j relu(h_ij) w_j,
//   G_ij = 1[h_ij > 0] w_j (written over the product)  rectify_rows_kernel
//   u = G B                                            GEMM, into Z_A's layout
//   D_i,k = ∂L/∂f_i · Z_A,ik                           RowsLayout<OutputGradientTimesZA>
//   ∂L/∂B = s Gᵀ D                                     GEMM
// the same sums as the fused kernels (u and ∂L/∂B as masked sums: G carries the mask and
// w), each rounded in FP32.
// Layouts as in forward.cuh; the product and G: config c's N × n block at c·N·n.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/launch.cuh"
#include "cuda/masked_mma.cuh"
#include "cuda/stream_blas.hpp"

namespace gammalab::cuda::kernels {

// out[e] = value(c, i, k) at e = (i·C + c)·R + k: a function of (configuration, row,
// factor column) tabulated in Z_A's layout, one index per entry.
template <int R, class Value>
struct RowsLayout {
  Value value;
  int C;
  float* out;
  __device__ void operator()(std::int64_t e) const {
    const std::int64_t row = e / (static_cast<std::int64_t>(C) * R);
    const int c = static_cast<int>(e / R % C), k = static_cast<int>(e % R);
    out[e] = value(c, static_cast<int>(row), k);
  }
};

// Rows of the product per block of rectify_rows_kernel: one warp each.
constexpr int kRectifyRows = kBlockThreads / mma::kWarp;

// The pointwise forward of one split of the data (N rows) for every configuration, one
// warp per (configuration, row), e = c·N + i:
//   h_ij = H_ij + product_ij,  f[e] = Σ_j relu(h_ij) w_j,
// and with GRADIENT  product_ij ← 1[h_ij > 0] w_j  (the mask as the CPU's, 0 for −0 and
// NaN). The lanes sum columns j ≡ lane (mod 32), then add in a fixed tree: f does not
// depend on the launch.
template <bool GRADIENT>
__global__ void __launch_bounds__(kBlockThreads)
    rectify_rows_kernel(int N, int n, int C, const float* __restrict__ H, int H_stride, const float* __restrict__ w,
                        float* __restrict__ product, float* __restrict__ f) {
  const std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * kRectifyRows + threadIdx.x / mma::kWarp;
  if (e >= static_cast<std::int64_t>(C) * N) return;  // the whole warp
  const int lane = threadIdx.x % mma::kWarp;
  const float* H_row = H + (e % N) * H_stride;
  float* row = product + e * n;
  float sum = 0.0f;
  for (int j = lane; j < n; j += mma::kWarp) {
    const float h = H_row[j] + row[j], wj = w[j];
    sum = fmaf(fmaxf(h, 0.0f), wj, sum);
    if constexpr (GRADIENT) row[j] = h > 0.0f ? wj : 0.0f;
  }
#pragma unroll
  for (int offset = mma::kWarp / 2; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  if (lane == 0) f[e] = sum;
}

// The operands and results of dense_forward (pointers into the group's memory).
struct DenseForwardOperands {
  const float* H;  // row stride H_stride
  int H_stride;
  const float* ZA;
  const float* P;  // null where B₀A₀ is not subtracted
  const float* B;
  const float* B0;
  const float* w;
  float* product;  // C × N × n: h − H, then G
  float* f;        // C × N
  float* u;        // N × C·R; null: no gradient (and the product is left as h − H)
};

// The forward pass of one split (N rows) for every configuration: the product by GEMMs,
// one per configuration (Z_A's blocks are R columns at c·R of its N × C·R rows, and so
// are u's), f and G by rectify_rows_kernel, and with gradients u = G·B.
template <int R>
void dense_forward(Cublas& blas, int N, int n, int C, float scale, const DenseForwardOperands& in, cudaStream_t stream) {
  const int CR = C * R;
  const long long factor = static_cast<long long>(n) * R, block = static_cast<long long>(N) * n;
  const StridedOutput product{in.product, n, block};
  blas.gemm_batched(false, true, N, n, R, scale, {in.ZA, CR, R}, {in.B, R, factor}, 0.0f, product, C);
  if (in.P != nullptr) blas.gemm_batched(false, true, N, n, R, -scale, {in.P, CR, R}, {in.B0, R, factor}, 1.0f, product, C);
  const unsigned blocks = static_cast<unsigned>((static_cast<std::int64_t>(C) * N + kRectifyRows - 1) / kRectifyRows);
  if (in.u == nullptr) {
    rectify_rows_kernel<false><<<blocks, kBlockThreads, 0, stream>>>(N, n, C, in.H, in.H_stride, in.w, in.product, in.f);
    CUDA_CHECK_LAUNCH();
    return;
  }
  rectify_rows_kernel<true><<<blocks, kBlockThreads, 0, stream>>>(N, n, C, in.H, in.H_stride, in.w, in.product, in.f);
  CUDA_CHECK_LAUNCH();
  blas.gemm_batched(false, false, N, R, n, 1.0f, {in.product, n, block}, {in.B, R, factor}, 0.0f, {in.u, CR, R}, C);
}

// ∂L/∂B_c = s·G_cᵀ·D_c for every configuration (G: C × N × n; D in Z_A's layout, N × C·R;
// ∂L/∂B: config c's n × R block at c·n·R), one GEMM per configuration.
template <int R>
void dense_grad_B(Cublas& blas, int N, int n, int C, float scale, const float* G, const float* D, float* gB) {
  blas.gemm_batched(true, false, n, R, N, scale, {G, n, static_cast<long long>(N) * n}, {D, C * R, R}, 0.0f,
                    {gB, R, static_cast<long long>(n) * R}, C);
}

}  // namespace gammalab::cuda::kernels
