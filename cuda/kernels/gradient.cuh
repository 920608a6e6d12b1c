#pragma once
// The backward pass of one training step: ∂L/∂Z_A (a transform, through CUB), the
// operand D of ∂L/∂B's masked sum, and ∂L/∂B itself, a hot path written by hand on the
// tensor cores (masked_mma.cuh). ∂L/∂A = dZAᵀ·Z is a GEMM (split_gemm.cuh).
// Layouts as in forward.cuh; d_output = ∂L/∂f is C × N (config-major).
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/masked_mma.cuh"

namespace gammalab::cuda::kernels {

// dZA_i,cR+k = s · ∂L/∂f_c,i · u_i,cR+k, u summed over the forward kernel's splits in
// split order: one index per entry of the N × (C·R) matrix.
template <int R>
struct BackpropFactors {
  int N, C, splits;
  float scale;
  const float* d_output;
  const float* u_part;
  float* dZA;
  __device__ void operator()(std::int64_t e) const {
    const std::int64_t CR = static_cast<std::int64_t>(C) * R, count = N * CR;
    const std::int64_t i = e / CR, c = (e % CR) / R;
    float u = 0.0f;
    for (int split = 0; split < splits; ++split) u += u_part[split * count + e];
    dZA[e] = scale * d_output[c * N + i] * u;
  }
};

// The operand of ∂L/∂B's masked sum, as a function for mma::masked_sum_fragments:
// D_i,k = ∂L/∂f_i · Z_A,ik (row i of config c).
template <int R>
struct OutputGradientTimesZA {
  const float* d_output;
  const float* ZA;
  int N, C;
  __device__ float operator()(int c, int i, int k) const {
    return d_output[static_cast<std::int64_t>(c) * N + i] * ZA[(static_cast<std::int64_t>(i) * C + c) * R + k];
  }
};

// Launch shape of ∂L/∂B: each warp owns some 16-column tiles of one mask word for one
// or two configurations, 8 warps along the columns per block.
constexpr int kGradWarps = 8;
template <int R>
constexpr int grad_configs_per_warp() { return R <= 4 ? 2 : 1; }
template <int R>
constexpr int grad_tiles_per_warp() { return R <= 4 ? 4 : (R == 8 ? 2 : 1); }
template <int R>
constexpr int grad_columns() { return kGradWarps * grad_tiles_per_warp<R>() * mma::kTile; }

// Writes one warp's sums of ∂L/∂B: column tiles first_tile …, configurations
// first_config …, each times s·w_j, at split `split` (split-major).
template <int R, int CW, int TW, int Q>
__device__ __forceinline__ void store_grad_B(const float (&sums)[CW][TW][Q][4], int n, int C, int first_config,
                                             int first_tile, float scale, const float* __restrict__ w,
                                             float* __restrict__ gB_part) {
  const int lane = threadIdx.x % mma::kWarp, g = lane / 4, t = lane % 4;
  const std::int64_t split_offset = static_cast<std::int64_t>(blockIdx.z) * C * n * R;
#pragma unroll
  for (int q = 0; q < CW; ++q) {
    const int c = first_config + q;
    if (c >= C) break;
#pragma unroll
    for (int x = 0; x < TW; ++x)
#pragma unroll
      for (int a = 0; a < 2; ++a) {
        const int j = (first_tile + x) * mma::kTile + g + 8 * a;
        if (j >= n) continue;
        const float factor = scale * __ldg(w + j);
#pragma unroll
        for (int pair = 0; pair < Q / 2; ++pair) {
          const int k = 4 * pair + t;
          if (k < R)
            gB_part[split_offset + (static_cast<std::int64_t>(c) * n + j) * R + k] =
                factor * mma::sum_terms(sums[q][x][2 * pair], sums[q][x][2 * pair + 1], a);
        }
      }
  }
}

// ∂L/∂B_j,k = s w_j Σ_i mask_ij D_i,k over one split (blockIdx.z) of the row tiles, on
// the tensor cores: the transposed mask tile (movmatrix) times D's fragments. Each
// split writes its partial sums (split-major); with more than one split they are added
// afterwards (reductions.cuh's SumOfSplits).
template <int R>
__global__ void __launch_bounds__(kGradWarps* mma::kWarp)
    grad_B_kernel(int N, int n, int C, int row_tiles_per_split, float scale, const std::uint32_t* __restrict__ mask_words,
                  const uint2* __restrict__ D_fragments, const float* __restrict__ w, float* __restrict__ gB_part) {
  constexpr int CW = grad_configs_per_warp<R>(), TW = grad_tiles_per_warp<R>(), Q = mma::operand_tiles(R);
  const int lane = threadIdx.x % mma::kWarp;
  const int warp_tiles = blockIdx.x * kGradWarps + threadIdx.x / mma::kWarp;  // which TW column tiles
  const int first_tile = warp_tiles * TW, word = first_tile / mma::kTilesPerWord;
  const int first_config = blockIdx.y * CW;
  const int row_tiles = mma::row_tiles(N), words_per_row = mma::words_per_row(n);
  if (word >= words_per_row) return;  // the whole warp
  const int tile_begin = blockIdx.z * row_tiles_per_split, tile_end = min(row_tiles, tile_begin + row_tiles_per_split);
  // A warp's spare configuration slot repeats the last configuration and writes nothing,
  // so that every slot runs the same instructions.
  int config[CW];
#pragma unroll
  for (int q = 0; q < CW; ++q) config[q] = min(first_config + q, C - 1);
  // The next row tile's mask words and D fragments are read while this one is multiplied.
  std::uint32_t bits[CW], next_bits[CW];
  uint2 d[CW][Q], next_d[CW][Q];
  auto load = [&](int row_tile) {
#pragma unroll
    for (int q = 0; q < CW; ++q) {
      const std::int64_t at = static_cast<std::int64_t>(config[q]) * row_tiles + row_tile;
      next_bits[q] = __ldg(mask_words + (at * words_per_row + word) * mma::kWarp + lane);
#pragma unroll
      for (int e = 0; e < Q; ++e) next_d[q][e] = __ldg(D_fragments + (at * Q + e) * mma::kWarp + lane);
    }
  };
  float sums[CW][TW][Q][4] = {};
  if (tile_begin < tile_end) load(tile_begin);
  for (int row_tile = tile_begin; row_tile < tile_end; ++row_tile) {
#pragma unroll
    for (int q = 0; q < CW; ++q) {
      bits[q] = next_bits[q];
#pragma unroll
      for (int e = 0; e < Q; ++e) d[q][e] = next_d[q][e];
    }
    if (row_tile + 1 < tile_end) load(row_tile + 1);
#pragma unroll
    for (int q = 0; q < CW; ++q)
#pragma unroll
      for (int x = 0; x < TW; ++x) {
        const int tile = (first_tile + x) % mma::kTilesPerWord;
        std::uint32_t mask[4], transposed[4];
        mma::mask_fragment(bits[q], tile, mask);
        mma::transpose_tile(mask, transposed);
#pragma unroll
        for (int e = 0; e < Q; ++e) mma::multiply_accumulate(sums[q][x][e], transposed, d[q][e]);
      }
  }
  store_grad_B<R>(sums, n, C, first_config, first_tile, scale, w, gB_part);
}

}  // namespace gammalab::cuda::kernels
