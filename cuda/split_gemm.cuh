#pragma once
// FP32-accurate products of the trainer's two large matrix products, Z·Aᵀ and dZAᵀ·Z, on
// the tensor cores through cuBLAS's BF16 GEMM with FP32 sums. Each factor is carried as
// three BF16 terms (masked_mma.cuh's bf16_terms); of the nine products of terms p (of Z)
// and q (of the other factor), the six with p + q ≤ 2 hold the product to FP32's own
// rounding (split_product.cuh says why).
//
// Z is frozen: it is split once per group and stacked, Zs = [Z₀; Z₁; Z₂] (3N × n), so that
// the first (3 − q)·N rows of Zs are the terms p ≤ 2 − q. The small factor is split each
// step, and for each of its terms q one GEMM does every product that q takes part in:
//   Z·Aᵀ:    Zs[first (3 − q)N rows] · A_qᵀ writes the products (q, p) for p ≤ 2 − q, one
//            N × C·R block each, and SumOfBlocks adds the six blocks;
//   dZAᵀ·Z:  [D_q; …; D_q]ᵀ · Zs[first (3 − q)N rows] sums over those rows, so D_q is
//            stacked 3 − q times, and the three GEMMs accumulate into the result.
// Both number the six blocks q-major: (q, p) = (0,0) (0,1) (0,2) (1,0) (1,1) (2,0).
#include <cuda_bf16.h>

#include <cstdint>

#include "cuda/masked_mma.cuh"

namespace gammalab::cuda::split {

constexpr int kTerms = 3, kBlocks = 6;
__host__ __device__ constexpr int first_block(int q) { return q * kTerms - q * (q - 1) / 2; }  // 0, 3, 5
__host__ __device__ constexpr int blocks_of(int q) { return kTerms - q; }
// Term q's blocks follow term q − 1's, and the three fill the six.
static_assert(first_block(1) == first_block(0) + blocks_of(0) && first_block(2) == first_block(1) + blocks_of(1) &&
              first_block(2) + blocks_of(2) == kBlocks);

// Splits values into their three BF16 terms, one index per value (`count` of them):
// term q into block q of out (STACKED false) or into each of the blocks
// first_block(q) … first_block(q) + 2 − q (STACKED true); each block is `count` long.
template <bool STACKED>
struct SplitIntoTerms {
  const float* in;
  std::int64_t count;
  __nv_bfloat16* out;
  __device__ void operator()(std::int64_t e) const {
    __nv_bfloat16 terms[kTerms];
    mma::bf16_terms(in[e], terms);
#pragma unroll
    for (int q = 0; q < kTerms; ++q) {
      if constexpr (STACKED) {
#pragma unroll
        for (int copy = 0; copy < blocks_of(q); ++copy) out[(first_block(q) + copy) * count + e] = terms[q];
      } else {
        out[q * count + e] = terms[q];
      }
    }
  }
};

// out[e] = the sum of the six blocks of `in` at e (each block `count` long), the
// smallest products first: p + q = 2, then 1, then 0. One index per entry.
struct SumOfBlocks {
  const float* in;
  std::int64_t count;
  float* out;
  __device__ void operator()(std::int64_t e) const {
    auto block = [&](int q, int p) { return in[(first_block(q) + p) * count + e]; };
    out[e] = (((block(0, 2) + block(1, 1)) + block(2, 0)) + (block(0, 1) + block(1, 0))) + block(0, 0);
  }
};

}  // namespace gammalab::cuda::split
