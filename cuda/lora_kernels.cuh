#pragma once
// The GPU trainer's kernels, for C configurations that share one frozen student and
// differ in their adapters. Layouts (row-major): H, Z: N × n; ZA = Z·Aᵀ, P = Z·A₀ᵀ, u,
// dZA: N × (C·R), row i holding config c's R entries at c·R; A: (C·R) × n, config c
// owning rows c·R … c·R+R−1; B (and B₀): config c's n × R block at c·n·R. With s = α/r,
// config c's pre-activation is
//   h_ij = H_ij + s Σ_k ZA_i,cR+k B_c,jk − s Σ_k P_i,cR+k B₀_c,jk
// (the last term only where B₀A₀ is subtracted; elsewhere P is zero).
// One step: ZA by cuBLAS; the fragments of w∘B; forward_kernel (partial sums of f and u
// over splits of j, and the ReLU mask); sum_forward_kernel and loss_kernel (f, the
// loss, ∂L/∂f); backprop_factors_kernel (∂L/∂Z_A = s·∂L/∂f·u); the fragments of
// D = ∂L/∂f·Z_A; grad_B_kernel (from the mask); ∂L/∂A = dZAᵀ·Z by cuBLAS; adam_kernel
// for A and B; advance_step.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/masked_mma.cuh"
#include "sim/counter_normal.hpp"

namespace gammalab::cuda::kernels {

// Entries first … first+count−1 (row-major numbering) of a matrix whose entry number e
// is stddev · counter_normal(key, e), exactly as sim::counter_normal_matrix on the CPU.
__global__ void counter_normal_fill(float* out, std::uint64_t key, std::int64_t first, std::int64_t count, double stddev) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    out[e] = static_cast<float>(stddev * sim::counter_normal(key, static_cast<std::uint64_t>(first + e)));
}

// out (rows × cols) = max(in, 0), in having row stride in_stride.
__global__ void relu_copy(const float* in, int in_stride, float* out, int rows, int cols) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < static_cast<std::int64_t>(rows) * cols;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    out[e] = fmaxf(in[e / cols * in_stride + e % cols], 0.0f);
}

// Launch shapes. The forward kernel's warps each own one 16-row tile and a few
// configurations (their rows of s·Z_A and their sums stay in registers); a block is 4
// row tiles × 2 warps of configurations and stages, per 64 columns, the H tile, w and
// its configurations' rows of B and fragments of w∘B in shared memory. The
// ∂L/∂B kernel's warps each own some 16-column tiles of one mask word for one or two
// configurations, 8 warps along the columns per block.
constexpr int kForwardRowWarps = 4, kForwardConfigWarps = 2;
constexpr int kForwardThreads = kForwardRowWarps * kForwardConfigWarps * mma::kWarp;
constexpr int kForwardRows = kForwardRowWarps * mma::kTile;
template <int R>
constexpr int forward_configs_per_warp() { return R <= 4 ? 2 : 1; }
template <int R>
constexpr int forward_configs() { return kForwardConfigWarps * forward_configs_per_warp<R>(); }

constexpr int kGradWarps = 8;
template <int R>
constexpr int grad_configs_per_warp() { return R <= 4 ? 2 : 1; }
template <int R>
constexpr int grad_tiles_per_warp() { return R <= 4 ? 4 : (R == 8 ? 2 : 1); }
template <int R>
constexpr int grad_columns() { return kGradWarps * grad_tiles_per_warp<R>() * mma::kTile; }

// What a forward block stages per mask word (64 columns): the H tile, its rows padded
// to 72 floats so that the float2 reads of a half-warp (rows g, columns 2t) hit 32
// banks; w; and per configuration its rows of B (and B₀) and the fragments of w∘B.
template <int R, bool SUBTRACT>
struct ForwardStage {
  static constexpr int CB = forward_configs<R>(), Q = mma::operand_tiles(R);
  static constexpr int kHStride = mma::kWordColumns + 8;
  float H[kForwardRows][kHStride];
  float w[mma::kWordColumns];
  float B[CB][mma::kWordColumns][R];
  float B0[SUBTRACT ? CB : 1][SUBTRACT ? mma::kWordColumns : 1][R];
  uint2 weighted_B[CB][mma::kTilesPerWord][Q][mma::kWarp];
};

// R consecutive floats (a row of ZA or P for one configuration) into registers, with
// vector loads where the row is 16- or 8-byte aligned (R a multiple of 4, or 2).
template <int R>
__device__ __forceinline__ void load_row(const float* __restrict__ at, float (&out)[R]) {
  if constexpr (R % 4 == 0) {
#pragma unroll
    for (int k = 0; k < R; k += 4) {
      const float4 v = __ldg(reinterpret_cast<const float4*>(at + k));
      out[k] = v.x, out[k + 1] = v.y, out[k + 2] = v.z, out[k + 3] = v.w;
    }
  } else if constexpr (R == 2) {
    const float2 v = __ldg(reinterpret_cast<const float2*>(at));
    out[0] = v.x, out[1] = v.y;
  } else {
    out[0] = __ldg(at);
  }
}

// Copies count uint4 from global to shared memory, the block's threads side by side.
__device__ __forceinline__ void stage_copy(uint4* __restrict__ to, const uint4* __restrict__ from, int count) {
  for (int e = threadIdx.x; e < count; e += blockDim.x) to[e] = __ldg(from + e);
}

// The forward pass of one step for every configuration, over one split (blockIdx.z) of
// the columns j, in whole mask words of 64 columns:
//   h_ij = H_ij + s Σ_k ZA_i,k B_j,k (− s Σ_k P_i,k B₀_j,k),  mask_ij = 1[h_ij > 0],
//   f_i = Σ_j relu(h_ij) w_j  and, with gradients,  u_i,k = Σ_j mask_ij w_j B_j,k.
// h, f and the mask on the CUDA cores, each thread at the 8 entries of a 16 × 16 tile
// that its lane holds of the mask fragment; u on the tensor cores from the mask and the
// fragments of w∘B (masked_mma.cuh). With gradients the mask is kept for the ∂L/∂B kernel,
// one word per (configuration, row tile, 64 columns, lane):
//   mask_words[((c·row_tiles + row_tile)·words_per_row + word)·32 + lane].
// Each split writes its own partial f and u, added later in split order. H (row stride
// H_stride) and w are padded with zeros to whole blocks of rows and whole words, and B
// is read as zero beyond n, so the padding's h is 0 and it adds nothing.
template <int R, bool SUBTRACT>
__global__ void __launch_bounds__(kForwardThreads)
    forward_kernel(int N, int n, int C, int words_per_split, float scale, const float* __restrict__ H, int H_stride,
                   const float* __restrict__ ZA, const float* __restrict__ P, const float* __restrict__ B,
                   const float* __restrict__ B0, const float* __restrict__ w, const uint2* __restrict__ wB_fragments,
                   float* __restrict__ f_part, float* __restrict__ u_part, std::uint32_t* __restrict__ mask_words) {
  using Stage = ForwardStage<R, SUBTRACT>;
  constexpr int CW = forward_configs_per_warp<R>(), CB = Stage::CB, Q = Stage::Q;
  extern __shared__ __align__(16) unsigned char shared_memory[];  // sizeof(Stage): over 48 KB at rank 16
  Stage& stage = *reinterpret_cast<Stage*>(shared_memory);
  const int lane = threadIdx.x % mma::kWarp, warp = threadIdx.x / mma::kWarp, g = lane / 4, t = lane % 4;
  const int local_tile = warp % kForwardRowWarps, row_tile = blockIdx.x * kForwardRowWarps + local_tile;
  const int block_config = blockIdx.y * CB, local_config = (warp / kForwardRowWarps) * CW;
  const int row_tiles = mma::row_tiles(N), words_per_row = mma::words_per_row(n);
  const int column_tiles = words_per_row * mma::kTilesPerWord;
  const int word_begin = blockIdx.z * words_per_split, word_end = min(words_per_row, word_begin + words_per_split);
  const bool with_gradient = u_part != nullptr;
  const std::int64_t CR = static_cast<std::int64_t>(C) * R;
  const int row[2] = {row_tile * mma::kTile + g, row_tile * mma::kTile + g + 8};

  // Per configuration slot (a spare slot repeats the last configuration and writes
  // nothing): s·Z_A (and s·P) of the lane's two rows, and the sums.
  int config[CW];
  float za[CW][2][R], p[CW][2][R], f[CW][2], u[CW][Q][4];
#pragma unroll
  for (int q = 0; q < CW; ++q) {
    config[q] = min(block_config + local_config + q, C - 1);
#pragma unroll
    for (int a = 0; a < 2; ++a) {
      f[q][a] = 0.0f;
#pragma unroll
      for (int k = 0; k < R; ++k) za[q][a][k] = p[q][a][k] = 0.0f;
      if (row[a] < N) {
        load_row<R>(ZA + row[a] * CR + static_cast<std::int64_t>(config[q]) * R, za[q][a]);
        if constexpr (SUBTRACT) load_row<R>(P + row[a] * CR + static_cast<std::int64_t>(config[q]) * R, p[q][a]);
      }
#pragma unroll
      for (int k = 0; k < R; ++k) za[q][a][k] *= scale, p[q][a][k] *= scale;
    }
#pragma unroll
    for (int e = 0; e < Q; ++e) u[q][e][0] = u[q][e][1] = u[q][e][2] = u[q][e][3] = 0.0f;
  }

  for (int word = word_begin; word < word_end; ++word) {
    // Stage the word's operands: H and w whole, B up to column n.
    const int first_column = word * mma::kWordColumns;
    constexpr int kQuads = mma::kWordColumns / 4;
    const float4* H_block = reinterpret_cast<const float4*>(H + static_cast<std::int64_t>(blockIdx.x) * kForwardRows * H_stride + first_column);
    for (int e = threadIdx.x; e < kForwardRows * kQuads; e += kForwardThreads)
      *reinterpret_cast<float4*>(&stage.H[e / kQuads][4 * (e % kQuads)]) = __ldg(H_block + (e / kQuads) * (H_stride / 4) + e % kQuads);
    for (int x = threadIdx.x; x < mma::kWordColumns; x += kForwardThreads) stage.w[x] = __ldg(w + first_column + x);
    const int staged_B = min(mma::kWordColumns, n - first_column) * R;  // entries of B in the word
    for (int e = threadIdx.x; e < CB * mma::kWordColumns * R; e += kForwardThreads) {
      const int cb = e / (mma::kWordColumns * R), at = e % (mma::kWordColumns * R);
      const std::int64_t first = (static_cast<std::int64_t>(min(block_config + cb, C - 1)) * n + first_column) * R;
      (&stage.B[cb][0][0])[at] = at < staged_B ? __ldg(B + first + at) : 0.0f;
      if constexpr (SUBTRACT) (&stage.B0[cb][0][0])[at] = at < staged_B ? __ldg(B0 + first + at) : 0.0f;
    }
    if (with_gradient)
#pragma unroll
      for (int cb = 0; cb < CB; ++cb) {
        const std::int64_t tile = static_cast<std::int64_t>(min(block_config + cb, C - 1)) * column_tiles + word * mma::kTilesPerWord;
        stage_copy(reinterpret_cast<uint4*>(&stage.weighted_B[cb][0][0][0]),
                   reinterpret_cast<const uint4*>(wB_fragments + tile * Q * mma::kWarp), mma::kTilesPerWord * Q * mma::kWarp / 2);
      }
    __syncthreads();

    std::uint32_t bits[CW] = {};
#pragma unroll
    for (int tile = 0; tile < mma::kTilesPerWord; ++tile) {
      // The lane's entries: rows g and g + 8 of its warp's tile, columns x[b] of the
      // word: 2t, 2t + 1, 2t + 8 and 2t + 9 of the tile.
      int x[4];
      float frozen[2][4], wj[4];
#pragma unroll
      for (int b = 0; b < 4; ++b) {
        x[b] = tile * mma::kTile + 2 * t + (b & 1) + 8 * (b >> 1);
        wj[b] = stage.w[x[b]];
      }
#pragma unroll
      for (int a = 0; a < 2; ++a)
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const float2 v = *reinterpret_cast<const float2*>(&stage.H[local_tile * mma::kTile + g + 8 * a][x[2 * half]]);
          frozen[a][2 * half] = v.x, frozen[a][2 * half + 1] = v.y;
        }
#pragma unroll
      for (int q = 0; q < CW; ++q) {
        const int cb = local_config + q;
        // Register m of the mask fragment: row g + 8·(m & 1), columns x[2·(m >> 1) + upper].
#pragma unroll
        for (int m = 0; m < 4; ++m)
#pragma unroll
          for (int upper = 0; upper < 2; ++upper) {
            const int a = m & 1, b = 2 * (m >> 1) + upper;
            float h = frozen[a][b];
#pragma unroll
            for (int k = 0; k < R; ++k) h = fmaf(za[q][a][k], stage.B[cb][x[b]][k], h);
            if constexpr (SUBTRACT) {
#pragma unroll
              for (int k = 0; k < R; ++k) h = fmaf(-p[q][a][k], stage.B0[cb][x[b]][k], h);
            }
            // Branch-free: a divergent branch per entry costs more than the selects.
            f[q][a] = fmaf(fmaxf(h, 0.0f), wj[b], f[q][a]);
            bits[q] |= h > 0.0f ? mma::mask_bit(tile, m, upper) : 0u;
          }
        if (with_gradient) {
          std::uint32_t mask[4];
          mma::mask_fragment(bits[q], tile, mask);
#pragma unroll
          for (int e = 0; e < Q; ++e) mma::multiply_accumulate(u[q][e], mask, stage.weighted_B[cb][tile][e][lane]);
        }
      }
    }
    if (with_gradient && row_tile < row_tiles)
#pragma unroll
      for (int q = 0; q < CW; ++q)
        if (block_config + local_config + q < C)
          mask_words[((static_cast<std::int64_t>(config[q]) * row_tiles + row_tile) * words_per_row + word) * mma::kWarp + lane] =
              bits[q];
    __syncthreads();
  }

  const std::int64_t split = blockIdx.z;
#pragma unroll
  for (int q = 0; q < CW; ++q) {
    const int c = config[q];
#pragma unroll
    for (int a = 0; a < 2; ++a) {
      // The four lanes of a row hold its sums over different columns; add them in a fixed order.
      float sum = f[q][a];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      if (block_config + local_config + q >= C || row[a] >= N) continue;
      if (t == 0) f_part[(split * C + c) * N + row[a]] = sum;
      if (!with_gradient) continue;
#pragma unroll
      for (int pair = 0; pair < Q / 2; ++pair) {
        const int k = 4 * pair + t;
        if (k < R)
          u_part[split * N * CR + row[a] * CR + static_cast<std::int64_t>(c) * R + k] =
              mma::sum_terms(u[q][2 * pair], u[q][2 * pair + 1], a);
      }
    }
  }
}

constexpr int kResidualThreads = 256;

// The scalars of training step t, precomputed on the host so that a captured graph of
// one step can be replayed for every step: the kernels read the current step from a
// counter in device memory, which the last kernel of the step advances.
struct StepScalars {
  float lr_factor, first_correction, second_correction;
};

__global__ void advance_step(int* step) { ++*step; }

// f_c,i = Σ_splits f_part, in split order; one thread per (config, row).
__global__ void sum_forward_kernel(int N, int C, int splits, const float* __restrict__ f_part, float* __restrict__ f) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < static_cast<std::int64_t>(C) * N;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    float sum = 0.0f;
    for (int split = 0; split < splits; ++split) sum += f_part[split * static_cast<std::int64_t>(C) * N + e];
    f[e] = sum;
  }
}

// One block per configuration: loss_c = mean_i (f − y)², reduced in a fixed order, and
// ∂L/∂f_i = 2(f_i − y_i)/N. At a training step (a non-null step counter) a loss that is
// not finite or exceeds the bound marks the configuration diverged at that step: from
// then on its parameters stay as they were.
__global__ void __launch_bounds__(kResidualThreads)
    loss_kernel(int N, const float* __restrict__ f, const float* __restrict__ y, float* __restrict__ d_output,
                float* __restrict__ loss_out, int* __restrict__ diverged_step, const int* __restrict__ step,
                float bound) {
  __shared__ double partial[kResidualThreads];
  const int c = blockIdx.x;
  double sum = 0.0;
  for (int i = threadIdx.x; i < N; i += blockDim.x) {
    const float error = f[static_cast<std::int64_t>(c) * N + i] - y[i];
    sum += static_cast<double>(error) * error;
    if (d_output != nullptr) d_output[static_cast<std::int64_t>(c) * N + i] = 2.0f * error / static_cast<float>(N);
  }
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const float loss = static_cast<float>(partial[0] / N);
    if (step == nullptr) {
      loss_out[c] = loss;
    } else {
      loss_out[static_cast<std::int64_t>(*step - 1) * gridDim.x + c] = loss;
      if (diverged_step[c] == 0 && (!isfinite(loss) || loss > bound)) diverged_step[c] = *step;
    }
  }
}

// dZA = s·∂L/∂f·u (u summed over the splits), one thread per entry of the N × (C·R)
// matrix, consecutive threads on consecutive entries.
template <int R>
__global__ void backprop_factors_kernel(int N, int C, int splits, float scale, const float* __restrict__ d_output,
                                        const float* __restrict__ u_part, float* __restrict__ dZA) {
  const std::int64_t CR = static_cast<std::int64_t>(C) * R, count = N * CR;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / CR, c = (e % CR) / R;
    float u = 0.0f;
    for (int split = 0; split < splits; ++split) u += u_part[split * count + e];
    dZA[e] = scale * d_output[c * N + i] * u;
  }
}

// The operands of the two masked sums, as functions for mma::operand_fragments:
// w_j B_j,k (row j of config c) and D_i,k = ∂L/∂f_i · Z_A,ik (row i of config c).
template <int R>
struct WeightedB {
  const float* B;
  const float* w;
  int n;
  __device__ float operator()(int c, int j, int k) const { return w[j] * B[(static_cast<std::int64_t>(c) * n + j) * R + k]; }
};
template <int R>
struct OutputGradientTimesZA {
  const float* d_output;
  const float* ZA;
  int N, C;
  __device__ float operator()(int c, int i, int k) const {
    return d_output[static_cast<std::int64_t>(c) * N + i] * ZA[(static_cast<std::int64_t>(i) * C + c) * R + k];
  }
};

// ∂L/∂B_j,k = s w_j Σ_i mask_ij D_i,k over one split (blockIdx.z) of the row tiles, on
// the tensor cores: the transposed mask tile (movmatrix) times D's fragments. Each
// split writes its partial sums (split-major), and sum_splits_kernel adds them when
// there is more than one.
template <int R>
__global__ void __launch_bounds__(kGradWarps* mma::kWarp)
    grad_B_kernel(int N, int n, int C, int row_tiles_per_split, float scale, const std::uint32_t* __restrict__ mask_words,
                  const uint2* __restrict__ D_fragments, const float* __restrict__ w, float* __restrict__ gB_part) {
  constexpr int CW = grad_configs_per_warp<R>(), TW = grad_tiles_per_warp<R>(), Q = mma::operand_tiles(R);
  const int lane = threadIdx.x % mma::kWarp, g = lane / 4, t = lane % 4;
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

// out[e] = Σ_s parts[s·count + e], in split order.
__global__ void sum_splits_kernel(const float* __restrict__ parts, int splits, std::int64_t count, float* __restrict__ out) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    float sum = 0.0f;
    for (int s = 0; s < splits; ++s) sum += parts[s * count + e];
    out[e] = sum;
  }
}

// AdamW (decoupled decay, as PyTorch's) or SGD on a (C·R) × n parameter block; each
// configuration has its own learning rate; diverged configurations do not move.
__global__ void adam_kernel(std::int64_t count, std::int64_t per_config, float* __restrict__ parameter,
                            const float* __restrict__ gradient, float* __restrict__ first, float* __restrict__ second,
                            const float* __restrict__ learning_rate, const int* __restrict__ diverged_step,
                            const StepScalars* __restrict__ scalars, const int* __restrict__ step, float beta1, float beta2,
                            float epsilon, float weight_decay, bool sgd) {
  const StepScalars now = scalars[*step];
  const float lr_factor = now.lr_factor, first_correction = now.first_correction,
              second_correction = now.second_correction;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t c = e / per_config;
    if (diverged_step[c] != 0) continue;
    const float lr = learning_rate[c] * lr_factor, g = gradient[e];
    if (sgd) {
      parameter[e] -= lr * g;
      continue;
    }
    const float m = beta1 * first[e] + (1.0f - beta1) * g;
    const float v = beta2 * second[e] + (1.0f - beta2) * g * g;
    first[e] = m;
    second[e] = v;
    float p = parameter[e];
    if (weight_decay != 0.0f) p *= 1.0f - lr * weight_decay;
    parameter[e] = p - lr * (m / first_correction) / (sqrtf(v / second_correction) + epsilon);
  }
}

// For the curves: per configuration, mean_i ‖Z_A(x_i)‖ and mean_i ‖Z_B(x_i)‖, the latter
// as s·√(z_iᵀ (BᵀB) z_i) from the R × R Gram matrix of B, computed here too.
template <int R>
__global__ void __launch_bounds__(kResidualThreads)
    feature_norms_kernel(int N, int n, int C, float scale, const float* __restrict__ ZA, const float* __restrict__ B,
                         float* __restrict__ norm_Z_A, float* __restrict__ norm_Z_B) {
  __shared__ double gram[R][R];
  __shared__ double partial[kResidualThreads];
  const int c = blockIdx.x;
  const std::int64_t CR = static_cast<std::int64_t>(C) * R;
  for (int a = 0; a < R; ++a)
    for (int b = 0; b < R; ++b) {
      double sum = 0.0;
      for (int j = threadIdx.x; j < n; j += blockDim.x)
        sum += static_cast<double>(B[(static_cast<std::int64_t>(c) * n + j) * R + a]) *
               B[(static_cast<std::int64_t>(c) * n + j) * R + b];
      partial[threadIdx.x] = sum;
      __syncthreads();
      for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
      }
      if (threadIdx.x == 0) gram[a][b] = partial[0];
      __syncthreads();
    }
  double sum_a = 0.0, sum_b = 0.0;
  for (int i = threadIdx.x; i < N; i += blockDim.x) {
    double z[R], quadratic = 0.0, square = 0.0;
    for (int k = 0; k < R; ++k) {
      z[k] = ZA[i * CR + c * R + k];
      square += z[k] * z[k];
    }
    for (int a = 0; a < R; ++a)
      for (int b = 0; b < R; ++b) quadratic += z[a] * gram[a][b] * z[b];
    sum_a += sqrt(square);
    sum_b += sqrt(fmax(quadratic, 0.0));
  }
  for (int pass = 0; pass < 2; ++pass) {
    partial[threadIdx.x] = pass == 0 ? sum_a : sum_b;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) (pass == 0 ? norm_Z_A : norm_Z_B)[c] = static_cast<float>(partial[0] / N * (pass == 0 ? 1.0 : scale));
    __syncthreads();
  }
}

}  // namespace gammalab::cuda::kernels
