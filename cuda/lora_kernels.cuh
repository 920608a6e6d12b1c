#pragma once
// The GPU trainer's kernels, for C configurations that share one frozen student and
// differ in their adapters. Layouts (row-major): H, Z: N × n; ZA = Z·Aᵀ, P = Z·A₀ᵀ, u,
// dZA: N × (C·R), row i holding config c's R entries at c·R; A: (C·R) × n, config c
// owning rows c·R … c·R+R−1; B (and B₀): config c's n × R block at c·n·R. With s = α/r,
// config c's pre-activation is
//   h_ij = H_ij + s Σ_k ZA_i,cR+k B_c,jk − s Σ_k P_i,cR+k B₀_c,jk
// (the last term only where B₀A₀ is subtracted; elsewhere P is zero).
// One step: ZA by cuBLAS; the B fragments of h's product and the fragments of w∘B;
// forward_kernel (partial sums of f and u over splits of j, and the ReLU mask);
// sum_forward_kernel and loss_kernel (f, the loss, ∂L/∂f); backprop_factors_kernel
// (∂L/∂Z_A = s·∂L/∂f·u); the fragments of D = ∂L/∂f·Z_A; grad_B_kernel (from the
// mask); ∂L/∂A = dZAᵀ·Z by cuBLAS; adam_kernel for A and B; advance_step.
#include <cuda_pipeline.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/masked_mma.cuh"
#include "cuda/split_product.cuh"
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
// configurations (their rows of s·Z_A, as A fragments, and their sums stay in
// registers); a block is 4 row tiles × 2 warps of configurations and stages, per 64
// columns, the H tile, w and its configurations' fragments in shared memory. The
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

// Factor columns of the forward product (split_product.cuh): the rank, twice it where
// B₀A₀ is subtracted.
template <int R, bool SUBTRACT>
constexpr int product_factors() { return SUBTRACT ? 2 * R : R; }

// What a forward block stages per mask word (64 columns), in two stages so that one
// word's copies overlap the work on the one before: the H tile, its rows padded
// to 72 floats so that the float2 reads of a half-warp (rows g, columns 2t) hit 32
// banks; w; and per configuration the B fragments of h's product and the fragments of
// w∘B.
template <int R, bool SUBTRACT>
struct ForwardStage {
  static constexpr int CB = forward_configs<R>(), Q = mma::operand_tiles(R);
  static constexpr int K = mma::product_chunks(product_factors<R, SUBTRACT>());
  static constexpr int kHStride = mma::kWordColumns + 8;
  float H[kForwardRows][kHStride];
  float w[mma::kWordColumns];
  uint2 product_B[CB][mma::kWordColumns / mma::kProductColumns][K][mma::kWarp];
  uint2 weighted_B[CB][mma::kTilesPerWord][Q][mma::kWarp];
};

// Starts copying COUNT 16-byte pieces from global to shared memory, the block's threads
// side by side. The count is a constant so that the copies unroll: at run time each is
// an address addition and the copy.
template <int COUNT, int THREADS>
__device__ __forceinline__ void stage_copy(void* __restrict__ to, const void* __restrict__ from) {
#pragma unroll
  for (int first = 0; first < COUNT; first += THREADS) {
    const int e = first + threadIdx.x;
    if (COUNT % THREADS == 0 || e < COUNT)
      __pipeline_memcpy_async(static_cast<uint4*>(to) + e, static_cast<const uint4*>(from) + e, sizeof(uint4));
  }
}

// The forward pass of one step for every configuration, over one split (blockIdx.z) of
// the columns j, in whole mask words of 64 columns:
//   h_ij = H_ij + s Σ_k ZA_i,k B_j,k (− s Σ_k P_i,k B₀_j,k),  mask_ij = 1[h_ij > 0],
//   f_i = Σ_j relu(h_ij) w_j  and, with gradients,  u_i,k = Σ_j mask_ij w_j B_j,k.
// Both products on the tensor cores: h as split_product.cuh's product started from H
// (each warp holds its rows' A fragments for the whole kernel; the B fragments, built
// per step, are staged per word), u from the mask and the fragments of w∘B
// (masked_mma.cuh). h's sums come out where the mask fragment wants them, so the CUDA
// cores only compare, pack the mask and add f. With gradients the mask is kept for the
// ∂L/∂B kernel, one word per (configuration, row tile, 64 columns, lane):
//   mask_words[((c·row_tiles + row_tile)·words_per_row + word)·32 + lane].
// Each split writes its own partial f and u, added later in split order. H (row stride
// H_stride) and w are padded with zeros to whole blocks of rows and whole words, and the
// B fragments are zero beyond n, so the padding's h is 0 and it adds nothing. GRADIENT
// is a template parameter, not a flag: a branch in the loop would cut it into blocks
// that the compiler cannot interleave, and the tensor cores' latency would show.
template <int R, bool SUBTRACT, bool GRADIENT>
__global__ void __launch_bounds__(kForwardThreads)
    forward_kernel(int N, int n, int C, int words_per_split, float scale, const float* __restrict__ H, int H_stride,
                   const float* __restrict__ ZA, const float* __restrict__ P, const float* __restrict__ w,
                   const uint2* __restrict__ product_fragments, const uint2* __restrict__ wB_fragments,
                   float* __restrict__ f_part, float* __restrict__ u_part, std::uint32_t* __restrict__ mask_words) {
  using Stage = ForwardStage<R, SUBTRACT>;
  constexpr int CW = forward_configs_per_warp<R>(), CB = Stage::CB, Q = Stage::Q, K = Stage::K;
  constexpr int F = product_factors<R, SUBTRACT>(), kProductTiles = mma::kWordColumns / mma::kProductColumns;
  extern __shared__ __align__(16) unsigned char shared_memory[];  // 2 · sizeof(Stage): over 48 KB
  Stage* stages = reinterpret_cast<Stage*>(shared_memory);
  const int lane = threadIdx.x % mma::kWarp, warp = threadIdx.x / mma::kWarp, g = lane / 4, t = lane % 4;
  const int local_tile = warp % kForwardRowWarps, row_tile = blockIdx.x * kForwardRowWarps + local_tile;
  const int block_config = blockIdx.y * CB, local_config = (warp / kForwardRowWarps) * CW;
  const int row_tiles = mma::row_tiles(N), words_per_row = mma::words_per_row(n);
  const int word_begin = blockIdx.z * words_per_split, word_end = min(words_per_row, word_begin + words_per_split);
  const std::int64_t CR = static_cast<std::int64_t>(C) * R;
  const int row[2] = {row_tile * mma::kTile + g, row_tile * mma::kTile + g + 8};

  // Per configuration slot (a spare slot repeats the last configuration and writes
  // nothing): the A fragments of [s·Z_A, −s·P] for the warp's rows, and the sums.
  int config[CW];
  std::uint32_t a_fragments[CW][K][4];
  float f[CW][2], u[CW][Q][4];
#pragma unroll
  for (int q = 0; q < CW; ++q) {
    config[q] = min(block_config + local_config + q, C - 1);
    f[q][0] = f[q][1] = 0.0f;
    // Read from global memory: which factor column a lane needs depends on the lane.
    mma::product_a_fragments<F>(
        [&](int half, int kappa) {
          if (row[half] >= N) return 0.0f;
          const std::int64_t at = row[half] * CR + static_cast<std::int64_t>(config[q]) * R;
          return kappa < R ? scale * __ldg(ZA + at + kappa) : -(scale * __ldg(P + at + kappa - R));
        },
        a_fragments[q]);
#pragma unroll
    for (int e = 0; e < Q; ++e) u[q][e][0] = u[q][e][1] = u[q][e][2] = u[q][e][3] = 0.0f;
  }

  // Starts copying a word's operands into a stage (cuda_pipeline: the copies run while
  // the block computes on the other stage): H and w whole, each configuration's fragments.
  // Each thread copies the same 16 bytes of a 16-row band of H in every word.
  constexpr int kQuads = mma::kWordColumns / 4, kBandRows = kForwardThreads / kQuads;
  const float* H_band = H + (static_cast<std::int64_t>(blockIdx.x) * kForwardRows + threadIdx.x / kQuads) * H_stride +
                        4 * (threadIdx.x % kQuads);
  auto stage_word = [&](Stage& stage, int word) {
    const int first_column = word * mma::kWordColumns;
#pragma unroll
    for (int band = 0; band < kForwardRows / kBandRows; ++band)
      __pipeline_memcpy_async(&stage.H[band * kBandRows + threadIdx.x / kQuads][4 * (threadIdx.x % kQuads)],
                              H_band + band * kBandRows * static_cast<std::int64_t>(H_stride) + first_column, sizeof(float4));
    stage_copy<kQuads, kForwardThreads>(stage.w, w + first_column);
#pragma unroll
    for (int cb = 0; cb < CB; ++cb) {
      const std::int64_t c = min(block_config + cb, C - 1);
      stage_copy<kProductTiles * K * mma::kWarp / 2, kForwardThreads>(
          stage.product_B[cb], product_fragments + (c * words_per_row + word) * kProductTiles * K * mma::kWarp);
      if constexpr (GRADIENT)
        stage_copy<mma::kTilesPerWord * Q * mma::kWarp / 2, kForwardThreads>(
            stage.weighted_B[cb], wB_fragments + (c * words_per_row + word) * mma::kTilesPerWord * Q * mma::kWarp);
    }
    __pipeline_commit();
  };

  if (word_begin < word_end) stage_word(stages[0], word_begin);
  for (int word = word_begin; word < word_end; ++word) {
    // This word's copies done (one sync: it also tells that every warp is done with the
    // other stage, which the next word's copies then fill).
    __pipeline_wait_prior(0);
    __syncthreads();
    if (word + 1 < word_end) stage_word(stages[(word - word_begin + 1) % 2], word + 1);
    const Stage& stage = stages[(word - word_begin) % 2];

    mma::MaskWordBuilder mask_word[CW];
#pragma unroll
    for (int tile = 0; tile < mma::kTilesPerWord; ++tile) {
      // The lane's entries of the 16 × 16 tile: rows g and g + 8 (a = 0, 1), columns
      // 2t, 2t + 1 of its two 8-column halves; H's as the product's starting sums.
      float frozen[2][4];
      float2 wj[2];
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int x = tile * mma::kTile + half * mma::kProductColumns + 2 * t;
        wj[half] = *reinterpret_cast<const float2*>(&stage.w[x]);
#pragma unroll
        for (int a = 0; a < 2; ++a) {
          const float2 v = *reinterpret_cast<const float2*>(&stage.H[local_tile * mma::kTile + g + 8 * a][x]);
          frozen[half][2 * a] = v.x, frozen[half][2 * a + 1] = v.y;
        }
      }
#pragma unroll
      for (int q = 0; q < CW; ++q) {
        const int cb = local_config + q;
        float h[2][4];
#pragma unroll
        for (int half = 0; half < 2; ++half) {
#pragma unroll
          for (int e = 0; e < 4; ++e) h[half][e] = frozen[half][e];
          mma::multiply_product<F>(h[half], a_fragments[q], &stage.product_B[cb][2 * tile + half][0][lane]);
        }
        // Register m of the mask fragment: row g + 8·(m & 1), columns 2t, 2t + 1 of half m >> 1.
        std::uint32_t mask[4];
#pragma unroll
        for (int m = 0; m < 4; ++m) {
          const int half = m >> 1, a = m & 1;
          const float lower = h[half][2 * a], upper = h[half][2 * a + 1];
          f[q][a] = fmaf(fmaxf(lower, 0.0f), wj[half].x, f[q][a]);
          f[q][a] = fmaf(fmaxf(upper, 0.0f), wj[half].y, f[q][a]);
          mask[m] = mma::mask_pair(lower, upper);
          mask_word[q].add(mask[m], 4 * tile + m);
        }
        if constexpr (GRADIENT)
#pragma unroll
          for (int e = 0; e < Q; ++e) mma::multiply_accumulate(u[q][e], mask, stage.weighted_B[cb][tile][e][lane]);
      }
    }
    if (GRADIENT && row_tile < row_tiles)
#pragma unroll
      for (int q = 0; q < CW; ++q)
        if (block_config + local_config + q < C)
          mask_words[((static_cast<std::int64_t>(config[q]) * row_tiles + row_tile) * words_per_row + word) * mma::kWarp + lane] =
              mask_word[q].word();
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
      if constexpr (GRADIENT)
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

// The columns of b in h's product (split_product.cuh), as a function for
// mma::ProductOperand: B_j (and B₀_j where B₀A₀ is subtracted) of config c.
template <int R>
struct ProductColumns {
  const float* B;
  const float* B0;
  int n;
  __device__ float operator()(int c, int j, int kappa) const {
    const std::int64_t row = (static_cast<std::int64_t>(c) * n + j) * R;
    return kappa < R ? B[row + kappa] : B0[row + kappa - R];
  }
};

// The operands of the two masked sums, as functions for mma::MaskedSumOperand:
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
