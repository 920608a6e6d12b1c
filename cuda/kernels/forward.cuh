#pragma once
// The forward pass of one training step, fused: h's rank-R product, the ReLU mask, f and
// (with gradients) u, for every configuration of a group at once. A hot path: written
// by hand on the tensor cores (split_product.cuh, masked_mma.cuh).
//
// Layouts (row-major): H, Z: N × n; ZA = Z·Aᵀ, P = Z·A₀ᵀ, u: N × (C·R), row i holding
// config c's R entries at c·R; B (and B₀): config c's n × R block at c·n·R. With s the
// adapter's scale (sim::adapter_scale: α/r^κ), config c's pre-activation is
//   h_ij = H_ij + s Σ_k ZA_i,cR+k B_c,jk − s Σ_k P_i,cR+k B₀_c,jk
// (the last term only where B₀A₀ is subtracted).
#include <cuda_pipeline.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/masked_mma.cuh"
#include "cuda/split_product.cuh"

namespace gammalab::cuda::kernels {

// Launch shapes. The forward kernel's warps each own one 16-row tile and a few
// configurations (their rows of s·Z_A, as A fragments, and their sums stay in
// registers); a block is 4 row tiles × 2 warps of configurations and stages, per 64
// columns, the H tile, w and its configurations' fragments in shared memory.
constexpr int kForwardRowWarps = 4, kForwardConfigWarps = 2;
constexpr int kForwardThreads = kForwardRowWarps * kForwardConfigWarps * mma::kWarp;
constexpr int kForwardRows = kForwardRowWarps * mma::kTile;
template <int R>
constexpr int forward_configs_per_warp() { return R <= 4 ? 2 : 1; }
template <int R>
constexpr int forward_configs() { return kForwardConfigWarps * forward_configs_per_warp<R>(); }

// Factor columns of the forward product (split_product.cuh): the rank, twice it where
// B₀A₀ is subtracted.
template <int R, bool SUBTRACT>
constexpr int product_factors() { return SUBTRACT ? 2 * R : R; }

// The columns of b in h's product, as a function for mma::product_fragments: B_j (and B₀_j
// where B₀A₀ is subtracted) of config c.
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

// The operand of u's masked sum, as a function for mma::masked_sum_fragments: w_j B_j,k
// (row j of config c).
template <int R>
struct WeightedB {
  const float* B;
  const float* w;
  int n;
  __device__ float operator()(int c, int j, int k) const { return w[j] * B[(static_cast<std::int64_t>(c) * n + j) * R + k]; }
};

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

// The operands and results of forward_kernel (pointers into the group's memory).
struct ForwardOperands {
  const float* __restrict__ H;  // row stride H_stride, zero-padded to whole blocks and words
  int H_stride;
  const float* __restrict__ ZA;
  const float* __restrict__ P;
  const float* __restrict__ w;
  const uint2* __restrict__ product_fragments;
  const uint2* __restrict__ wB_fragments;
  float* __restrict__ f_part;
  float* __restrict__ u_part;
  std::uint32_t* __restrict__ mask_words;
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

// One warp's part of forward_kernel: its 16-row tile, its CW configuration slots (a
// spare slot repeats the last configuration and writes nothing), the A fragments of
// [s·Z_A, −s·P] for its rows and its running sums of f and u, all in registers (every
// index below is a compile-time constant once the loops unroll).
template <int R, bool SUBTRACT, bool GRADIENT>
struct ForwardWarp {
  using Stage = ForwardStage<R, SUBTRACT>;
  static constexpr int CW = forward_configs_per_warp<R>(), Q = Stage::Q, K = Stage::K;
  static constexpr int F = product_factors<R, SUBTRACT>();

  int lane, g, t, local_tile, local_config;
  int row[2];
  int config[CW];
  std::uint32_t a_fragments[CW][K][4];
  float f[CW][2], u[CW][Q][4];

  // The warp's place and its A fragments, read from global memory (which factor column
  // a lane needs depends on the lane).
  __device__ __forceinline__ void begin(int N, int C, int block_config, float scale, const float* __restrict__ ZA,
                                        const float* __restrict__ P) {
    lane = threadIdx.x % mma::kWarp, g = lane / 4, t = lane % 4;
    const int warp = threadIdx.x / mma::kWarp;
    local_tile = warp % kForwardRowWarps;
    local_config = (warp / kForwardRowWarps) * CW;
    const int row_tile = blockIdx.x * kForwardRowWarps + local_tile;
    row[0] = row_tile * mma::kTile + g, row[1] = row_tile * mma::kTile + g + 8;
    const std::int64_t CR = static_cast<std::int64_t>(C) * R;
#pragma unroll
    for (int q = 0; q < CW; ++q) {
      config[q] = min(block_config + local_config + q, C - 1);
      f[q][0] = f[q][1] = 0.0f;
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
  }

  // One 16 × 16 tile of a staged word, for every slot: h from H and the product, the
  // mask (added to the word's bits), f and, with gradients, u.
  __device__ __forceinline__ void add_tile(const Stage& stage, int tile, mma::MaskWordBuilder (&mask_word)[CW]) {
    // The lane's entries of the tile: rows g and g + 8 (a = 0, 1), columns 2t, 2t + 1 of
    // its two 8-column halves; H's as the product's starting sums.
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
        const float lower_one = mma::one_if_positive(lower), upper_one = mma::one_if_positive(upper);
        // relu(h)·w as 1[h > 0]·(h·w): a multiply on the FMA pipe where max(h, 0) would
        // take the integer and logic pipe, which the mask already keeps busy (Nsight: that
        // pipe's throttle was a seventh of the stalls). An h that is NaN or beyond FP32's
        // range makes f NaN (0·∞), so the configuration diverges where max would drop it.
        f[q][a] = fmaf(lower_one, lower * wj[half].x, f[q][a]);
        f[q][a] = fmaf(upper_one, upper * wj[half].y, f[q][a]);
        mask[m] = mma::mask_pair(lower_one, upper_one);
        mask_word[q].add(mask[m], 4 * tile + m);
      }
      if constexpr (GRADIENT)
#pragma unroll
        for (int e = 0; e < Q; ++e) mma::multiply_accumulate(u[q][e], mask, stage.weighted_B[cb][tile][e][lane]);
    }
  }

  // The split's partial sums of f and u (the four lanes of a row hold its sums over
  // different columns; they are added in a fixed order).
  __device__ __forceinline__ void store(int N, int C, int block_config, float* __restrict__ f_part,
                                        float* __restrict__ u_part) const {
    const std::int64_t split = blockIdx.z, CR = static_cast<std::int64_t>(C) * R;
#pragma unroll
    for (int q = 0; q < CW; ++q) {
      const int c = config[q];
#pragma unroll
      for (int a = 0; a < 2; ++a) {
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
};

// Starts copying a word's operands into a stage (cuda_pipeline: the copies run while
// the block computes on the other stage): H and w whole, each configuration's fragments.
// Each thread copies the same 16 bytes of a 16-row band of H in every word (H_band).
template <int R, bool SUBTRACT, bool GRADIENT>
__device__ __forceinline__ void stage_word(ForwardStage<R, SUBTRACT>& stage, int word, int words_per_row, int C,
                                           int block_config, const float* __restrict__ H_band, int H_stride,
                                           const ForwardOperands& in) {
  using Stage = ForwardStage<R, SUBTRACT>;
  constexpr int kQuads = mma::kWordColumns / 4, kBandRows = kForwardThreads / kQuads;
  constexpr int kProductTiles = mma::kWordColumns / mma::kProductColumns, K = Stage::K, Q = Stage::Q;
  const int first_column = word * mma::kWordColumns;
#pragma unroll
  for (int band = 0; band < kForwardRows / kBandRows; ++band)
    __pipeline_memcpy_async(&stage.H[band * kBandRows + threadIdx.x / kQuads][4 * (threadIdx.x % kQuads)],
                            H_band + band * kBandRows * static_cast<std::int64_t>(H_stride) + first_column, sizeof(float4));
  stage_copy<kQuads, kForwardThreads>(stage.w, in.w + first_column);
#pragma unroll
  for (int cb = 0; cb < Stage::CB; ++cb) {
    const std::int64_t c = min(block_config + cb, C - 1);
    stage_copy<kProductTiles * K * mma::kWarp / 2, kForwardThreads>(
        stage.product_B[cb], in.product_fragments + (c * words_per_row + word) * kProductTiles * K * mma::kWarp);
    if constexpr (GRADIENT)
      stage_copy<mma::kTilesPerWord * Q * mma::kWarp / 2, kForwardThreads>(
          stage.weighted_B[cb], in.wB_fragments + (c * words_per_row + word) * mma::kTilesPerWord * Q * mma::kWarp);
  }
  __pipeline_commit();
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
// Each split writes its own partial f and u, added later in split order. H and w are
// padded with zeros to whole blocks of rows and whole words, and the B fragments are
// zero beyond n, so the padding's h is 0 and it adds nothing. GRADIENT is a template
// parameter, not a flag: a branch in the loop would cut it into blocks that the compiler
// cannot interleave, and the tensor cores' latency would show.
template <int R, bool SUBTRACT, bool GRADIENT>
__global__ void __launch_bounds__(kForwardThreads)
    forward_kernel(int N, int n, int C, int words_per_split, float scale, const ForwardOperands in) {
  using Stage = ForwardStage<R, SUBTRACT>;
  using Warp = ForwardWarp<R, SUBTRACT, GRADIENT>;
  extern __shared__ __align__(16) unsigned char shared_memory[];  // 2 · sizeof(Stage): over 48 KB
  Stage* stages = reinterpret_cast<Stage*>(shared_memory);
  const int block_config = blockIdx.y * Stage::CB;
  const int row_tiles = mma::row_tiles(N), words_per_row = mma::words_per_row(n);
  const int word_begin = blockIdx.z * words_per_split, word_end = min(words_per_row, word_begin + words_per_split);
  Warp warp;
  warp.begin(N, C, block_config, scale, in.ZA, in.P);
  const int row_tile = blockIdx.x * kForwardRowWarps + warp.local_tile;

  constexpr int kQuads = mma::kWordColumns / 4;
  const float* H_band = in.H + (static_cast<std::int64_t>(blockIdx.x) * kForwardRows + threadIdx.x / kQuads) * in.H_stride +
                        4 * (threadIdx.x % kQuads);
  auto stage = [&](int into, int word) {
    stage_word<R, SUBTRACT, GRADIENT>(stages[into], word, words_per_row, C, block_config, H_band, in.H_stride, in);
  };
  if (word_begin < word_end) stage(0, word_begin);
  for (int word = word_begin; word < word_end; ++word) {
    // This word's copies done (one sync: it also tells that every warp is done with the
    // other stage, which the next word's copies then fill).
    __pipeline_wait_prior(0);
    __syncthreads();
    if (word + 1 < word_end) stage((word - word_begin + 1) % 2, word + 1);
    mma::MaskWordBuilder mask_word[Warp::CW];
#pragma unroll
    for (int tile = 0; tile < mma::kTilesPerWord; ++tile) warp.add_tile(stages[(word - word_begin) % 2], tile, mask_word);
    if (GRADIENT && row_tile < row_tiles)
#pragma unroll
      for (int q = 0; q < Warp::CW; ++q)
        if (block_config + warp.local_config + q < C)
          in.mask_words[((static_cast<std::int64_t>(warp.config[q]) * row_tiles + row_tile) * words_per_row + word) * mma::kWarp +
                        warp.lane] = mask_word[q].word();
  }
  warp.store(N, C, block_config, in.f_part, in.u_part);
}

}  // namespace gammalab::cuda::kernels
