#pragma once
// A low-rank product on the tensor cores at FP32 accuracy:
//   h_ij = H_ij + Σ_κ a_iκ b_jκ   (κ over F factor columns)
// for the forward pass's pre-activation, where F is the rank (or twice it when B₀A₀ is
// subtracted: a = [s·Z_A, −s·P], b = [B, B₀]).
//
// a and b are each carried as three BF16 terms (masked_mma.cuh's bf16_term), so a·b is
// the sum of nine products of terms, each exact in FP32. A term is at most 2^-8 of the
// one before it, so the products of term p of a and term q of b with p + q ≤ 2 hold a·b
// to a few units of 2^-24 |a·b|, the size of FP32's own rounding; where the reduction
// has room the two with p + q = 3 go in too. The products are laid out along the reduction
// dimension of mma.sync m16n8k16, cross term after cross term:
//   reduction index ρ = term·F + κ,  in chunks of 16 (one mma each),
// and the accumulator starts from H, so one 16 × 8 tile of h costs `product_chunks(F)`
// mma.sync and the tensor core's FP32 sums round as the CUDA cores' would.
//
// Fragments (PTX ISA, mma.m16n8k16, g = lane / 4, t = lane % 4): the A fragment of a
// 16-row tile, register m: rows g + 8·(m & 1), reduction indices 2t, 2t + 1 (+ 8 when
// m ≥ 2) of the chunk; the B fragment of an 8-column tile: column g, indices 2t, 2t + 1
// (first register) and 2t + 8, 2t + 9 (second); the sums: rows g (c0, c1) and g + 8
// (c2, c3), columns 2t and 2t + 1.
#include <cstdint>

#include "cuda/masked_mma.cuh"

namespace gammalab::cuda::mma {

constexpr int kProductColumns = 8;  // columns of h in one mma

// The cross terms, largest first: term `a` of a times term `b` of b —
// (0,0) (0,1) (1,0) (0,2) (1,1) (2,0) (1,2) (2,1).
struct CrossTerm {
  int a, b;
};
__host__ __device__ constexpr CrossTerm cross_term(int number) {
  // That table, one nibble per cross term (number 0 in the lowest), so that device code
  // can index it at run time without an array in memory.
  return {static_cast<int>(0x21210100u >> 4 * number & 0xFu), static_cast<int>(0x12012010u >> 4 * number & 0xFu)};
}
constexpr int kNeededCrossTerms = 6;  // p + q ≤ 2

// Chunks of 16 along the reduction for F factor columns, and the cross terms they hold.
__host__ __device__ constexpr int product_chunks(int F) { return (kNeededCrossTerms * F + kTile - 1) / kTile; }
__host__ __device__ constexpr int product_cross_terms(int F) {
  return product_chunks(F) * kTile / F < 8 ? product_chunks(F) * kTile / F : 8;
}

// The table's promises, checked where it is compiled: the first six cross terms are the
// six products with p + q ≤ 2 (by p + q), the last two those with p + q = 3, none twice;
// and every factor count the kernels use (ranks 1 … 16, twice that when subtracting)
// gets at least the six.
constexpr bool cross_terms_ordered() {
  for (int number = 0; number < 8; ++number) {
    const CrossTerm term = cross_term(number);
    if (term.a + term.b != (number == 0 ? 0 : number < 3 ? 1 : number < 6 ? 2 : 3)) return false;
    for (int other = 0; other < number; ++other)
      if (cross_term(other).a == term.a && cross_term(other).b == term.b) return false;
  }
  return true;
}
static_assert(cross_terms_ordered());
constexpr bool every_factor_count_gets_the_needed_terms() {
  for (int F = 1; F <= 32; F *= 2)
    if (product_cross_terms(F) < kNeededCrossTerms) return false;
  return true;
}
static_assert(every_factor_count_gets_the_needed_terms());

// The BF16 value at reduction index ρ of one row of a (A_SIDE) or one column of b, where
// value(κ) gives factor column κ; zero past the cross terms that fit.
template <int F, bool A_SIDE, class Value>
__device__ __forceinline__ __nv_bfloat16 product_term(int rho, Value value) {
  const int term = rho / F;
  if (term >= product_cross_terms(F)) return __float2bfloat16_rn(0.0f);
  return bf16_term(value(rho % F), A_SIDE ? cross_term(term).a : cross_term(term).b);
}

// A fragments of a 16-row tile for every chunk, from row_value(half, κ): factor column κ
// of row g + 8·half. Built once per kernel: a warp's rows of a do not change.
template <int F, class RowValue>
__device__ __forceinline__ void product_a_fragments(RowValue row_value, std::uint32_t (&out)[product_chunks(F)][4]) {
  const int t = threadIdx.x % kWarp % 4;
#pragma unroll
  for (int chunk = 0; chunk < product_chunks(F); ++chunk)
#pragma unroll
    for (int m = 0; m < 4; ++m) {
      const int rho = chunk * kTile + 2 * t + 8 * (m >> 1), half = m & 1;
      auto value = [&](int kappa) { return row_value(half, kappa); };
      out[chunk][m] = pack(product_term<F, true>(rho, value), product_term<F, true>(rho + 1, value));
    }
}

// h's 16 × 8 tile: sums (H's entries in, h's out) += Σ over chunks.
template <int F>
__device__ __forceinline__ void multiply_product(float (&sums)[4], const std::uint32_t (&a)[product_chunks(F)][4],
                                                 const uint2* __restrict__ b_fragments) {
#pragma unroll
  for (int chunk = 0; chunk < product_chunks(F); ++chunk) multiply_accumulate(sums, a[chunk], b_fragments[chunk * kWarp]);
}

// The entries of b's B fragments (masked_mma.cuh's b_fragments with product_chunks(F)
// slots, one per chunk, per 8-column tile): value(c, j, κ) of column j, zero at j ≥ extent.
template <int F, class Value>
struct ProductOperand {
  Value value;
  int extent;
  __device__ void operator()(int c, int tile, int chunk, int lane, __nv_bfloat16 (&terms)[4]) const {
    const int j = tile * kProductColumns + lane / 4;
    auto column_value = [&](int kappa) { return j < extent ? value(c, j, kappa) : 0.0f; };
#pragma unroll
    for (int a = 0; a < 4; ++a) terms[a] = product_term<F, false>(chunk * kTile + b_fragment_row(lane, a), column_value);
  }
};

}  // namespace gammalab::cuda::mma
