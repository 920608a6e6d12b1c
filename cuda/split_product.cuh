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

// Which term of factor column ρ mod F sits at reduction index ρ, in a row of a (A_SIDE)
// or a column of b; −1 past the cross terms that fit (the entry is zero).
template <int F, bool A_SIDE>
__host__ __device__ constexpr int product_piece(int rho) {
  const int term = rho / F;
  if (term >= product_cross_terms(F)) return -1;
  return A_SIDE ? cross_term(term).a : cross_term(term).b;
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
      auto entry = [&](int index) {
        const int piece = product_piece<F, true>(index);
        return piece < 0 ? __float2bfloat16_rn(0.0f) : bf16_term(value(index % F), piece);
      };
      out[chunk][m] = pack(entry(rho), entry(rho + 1));
    }
}

// h's 16 × 8 tile: sums (H's entries in, h's out) += Σ over chunks.
template <int F>
__device__ __forceinline__ void multiply_product(float (&sums)[4], const std::uint32_t (&a)[product_chunks(F)][4],
                                                 const uint2* __restrict__ b_fragments) {
#pragma unroll
  for (int chunk = 0; chunk < product_chunks(F); ++chunk) multiply_accumulate(sums, a[chunk], b_fragments[chunk * kWarp]);
}

// The B fragments of h's product, product_chunks(F) per 8-column tile (one per chunk):
// value(c, j, κ) of column j, zero at j ≥ extent, stored at
// out[((c·tiles + tile)·K + chunk)·32 + lane]. One thread per (configuration, column j):
// the column's F values and their terms, once, then for each chunk the four lanes 4g + t
// (g = j mod 8) that hold column j, side by side (two 16-byte stores). Which term of
// which factor a lane's entry is depends only on the chunk, t and the entry, all
// compile-time constants once the loops unroll.
template <int F, class Value>
__global__ void __launch_bounds__(kBlockThreads) product_fragments(int tiles, int extent, Value value, uint2* __restrict__ out) {
  constexpr int K = product_chunks(F);
  const int c = blockIdx.y, j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= tiles * kProductColumns) return;
  __nv_bfloat16 terms[F][3];
#pragma unroll
  for (int kappa = 0; kappa < F; ++kappa) bf16_terms(j < extent ? value(c, j, kappa) : 0.0f, terms[kappa]);
  auto entry = [&](int index) {
    const int piece = product_piece<F, false>(index);
    return piece < 0 ? __float2bfloat16_rn(0.0f) : terms[index % F][piece];
  };
  const int tile = j / kProductColumns, g = j % kProductColumns;
  uint4* column_out = reinterpret_cast<uint4*>(out + (static_cast<std::int64_t>(c) * tiles + tile) * K * kWarp + 4 * g);
#pragma unroll
  for (int chunk = 0; chunk < K; ++chunk) {
    std::uint32_t words[8];  // lanes 4g + t, t = 0 … 3: two words each
#pragma unroll
    for (int t = 0; t < 4; ++t) {
      const int rho = chunk * kTile + b_fragment_row(t, 0);
      words[2 * t] = pack(entry(rho), entry(rho + 1));
      words[2 * t + 1] = pack(entry(rho + 8), entry(rho + 9));
    }
    column_out[chunk * kWarp / 2] = make_uint4(words[0], words[1], words[2], words[3]);
    column_out[chunk * kWarp / 2 + 1] = make_uint4(words[4], words[5], words[6], words[7]);
  }
}

// product_fragments over `tiles` tiles of 8 columns for every configuration, on `stream`.
template <int F, class Value>
void fill_product_fragments(int C, int tiles, int extent, Value value, uint2* out, cudaStream_t stream) {
  product_fragments<F><<<per_config_grid(tiles * kProductColumns, C), kBlockThreads, 0, stream>>>(tiles, extent, value, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gammalab::cuda::mma
