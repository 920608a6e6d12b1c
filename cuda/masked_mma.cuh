#pragma once
// Masked sums on the tensor cores at FP32 accuracy.
//
// Both reductions of the backward pass have the form Σ 1[h > 0] · x: over columns for
// u_i = Σ_j 1[h_ij > 0] w_j B_j, over rows for ∂L/∂B_j ∝ Σ_i 1[h_ij > 0] D_i. The 0/1 mask
// is exact in BF16, and x is carried as three BF16 terms x = hi + mid + lo, which hold
// its 24-bit significand (the remainders are exact in FP32; the terms sum back to x
// within 2^-27 |x|): every product on the tensor core is exact and only the FP32 sums
// round, as they do on the CUDA cores.
//
// One warp-wide mma.sync m16n8k16 (BF16 in, FP32 accumulate) multiplies a 16 × 16 mask
// tile by a 16 × 8 operand tile. With g = lane / 4 and t = lane % 4 (PTX ISA, "matrix
// fragments for mma.m16n8k16"):
//   mask (A, 16 × 16): register m holds two neighbouring entries, row g + 8·(m & 1),
//     columns 2t and 2t + 1, plus 8 when m ≥ 2; the lower half is the lower column;
//   operand (B, 16 × 8): the first register holds rows 2t, 2t + 1 of column g, the
//     second rows 2t + 8, 2t + 9;
//   sums (C, 16 × 8): rows g (c0, c1) and g + 8 (c2, c3), columns 2t and 2t + 1.
// The operand's columns are laid out so that thread t ends with all three terms of one
// factor column k: in the pair of tiles 2p, 2p + 1, column 2t of tile 2p holds the hi
// terms of k = 4p + t, column 2t + 1 the mid terms, and column 2t of tile 2p + 1 the lo
// terms (column 2t + 1 of that tile is zero).
#include <cuda_bf16.h>

#include <cstdint>

#include "cuda/launch.cuh"

namespace gammalab::cuda::mma {

constexpr int kTile = 16;          // rows and reduction length of one mask tile
constexpr int kWarp = 32;
constexpr int kTilesPerWord = 4;   // a mask word holds a lane's bits of four tiles
constexpr int kWordColumns = kTilesPerWord * kTile;

// Operand tiles per factor of rank R: pairs of 16 × 8 tiles, four factor columns per pair.
__host__ __device__ constexpr int operand_tiles(int R) { return (R + 3) / 4 * 2; }

// The layout of the mask, shared by the kernels that write and read it and the host
// that sizes it: 16-row tiles, and words of 64 columns.
__host__ __device__ constexpr int row_tiles(int rows) { return (rows + kTile - 1) / kTile; }
__host__ __device__ constexpr int words_per_row(int columns) { return (columns + kWordColumns - 1) / kWordColumns; }

// x's three-term BF16 expansion: hi, mid, lo, each the rounding of what the ones
// before it leave (the remainders are exact in FP32).
__device__ __forceinline__ void bf16_terms(float x, __nv_bfloat16 (&terms)[3]) {
#pragma unroll
  for (int piece = 0; piece < 3; ++piece) {
    terms[piece] = __float2bfloat16_rn(x);
    x -= __bfloat162float(terms[piece]);
  }
}

// Term `piece` (0: hi, 1: mid, 2: lo) of that expansion; all three are computed and one
// is selected, since `piece` often differs between the lanes of a warp.
__device__ __forceinline__ __nv_bfloat16 bf16_term(float x, int piece) {
  __nv_bfloat16 terms[3];
  bf16_terms(x, terms);
  return piece == 0 ? terms[0] : (piece == 1 ? terms[1] : terms[2]);
}

__device__ __forceinline__ std::uint32_t pack(__nv_bfloat16 low, __nv_bfloat16 high) {
  return static_cast<std::uint32_t>(__bfloat16_as_ushort(low)) | static_cast<std::uint32_t>(__bfloat16_as_ushort(high)) << 16;
}

// Which factor column and which term the operand's column `column` of tile `tile` holds
// (term 3 is the zero column).
struct OperandColumn {
  int factor, piece;
};
__host__ __device__ constexpr OperandColumn operand_column(int tile, int column) {
  return {4 * (tile / 2) + column / 2, 2 * (tile % 2) + column % 2};
}

// The bits of a mask tile in one lane's word: register m's two entries are bits
// 4·tile + m (lower column) and 4·tile + m + 16 (upper column). The A fragment of mask
// tile `tile` of a word: each register two BF16 values, 1.0
// (0x3F80) or 0.
__device__ __forceinline__ void mask_fragment(std::uint32_t word, int tile, std::uint32_t (&out)[4]) {
#pragma unroll
  for (int m = 0; m < 4; ++m) out[m] = ((word >> (4 * tile + m)) & 0x00010001u) * 0x3F80u;
}

// 1.0 where x > 0, else 0 (FP32, by PTX's set): the CPU's 1[h > 0], also for −0 and NaN.
__device__ __forceinline__ float one_if_positive(float x) {
  float one;
  asm("set.gt.f32.f32 %0, %1, 0f00000000;" : "=f"(one) : "f"(x));
  return one;
}

// The mask fragment's register for two neighbouring entries, from their one_if_positive
// values, the lower column in the lower half: BF16 1.0 is the upper half of FP32 1.0.
__device__ __forceinline__ std::uint32_t mask_pair(float lower_one, float upper_one) {
  return __byte_perm(__float_as_uint(lower_one), __float_as_uint(upper_one), 0x7632);
}

// Gathers the 16 registers of a word's four mask tiles (register m of tile `tile` is
// number 4·tile + m) into the word, one logic operation per register: a register is
// 0x3F80 in each half whose entry is set, bits 7 … 13 (and 23 … 29), so registers 0 … 6
// and 14, 15 keep a bit of that run in their own place of two partial words, 7 … 13 keep
// their final bit, and three shifts at the end put the partial words in place.
class MaskWordBuilder {
 public:
  __device__ __forceinline__ void add(std::uint32_t fragment_register, int number) {
    if (number < 7) low_ |= fragment_register & (0x00800080u << number);
    else if (number < 14) middle_ |= fragment_register & (0x00010001u << number);
    else high_ |= fragment_register & (0x00800080u << (number - 14));
  }
  __device__ __forceinline__ std::uint32_t word() const { return low_ >> 7 | middle_ | high_ << 7; }

 private:
  std::uint32_t low_ = 0, middle_ = 0, high_ = 0;
};

// D = A·B + D for a 16 × 16 BF16 A, a 16 × 8 BF16 B and FP32 sums.
__device__ __forceinline__ void multiply_accumulate(float (&sums)[4], const std::uint32_t (&a)[4], uint2 b) {
  asm(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};"
      : "+f"(sums[0]), "+f"(sums[1]), "+f"(sums[2]), "+f"(sums[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b.x), "r"(b.y));
}

// The transpose of an 8 × 8 block of 16-bit values held one register per lane.
__device__ __forceinline__ std::uint32_t transpose_block(std::uint32_t value) {
  std::uint32_t out;
  asm("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;" : "=r"(out) : "r"(value));
  return out;
}

// The A fragment of the transposed mask tile: each 8 × 8 block transposed and the two
// off-diagonal blocks exchanged.
__device__ __forceinline__ void transpose_tile(const std::uint32_t (&a)[4], std::uint32_t (&out)[4]) {
  out[0] = transpose_block(a[0]);
  out[1] = transpose_block(a[2]);
  out[2] = transpose_block(a[1]);
  out[3] = transpose_block(a[3]);
}

// Σ of the three terms of factor column 4p + t in rows g (half 0) and g + 8 (half 1),
// from the sums of tiles 2p and 2p + 1; the small terms are added first.
__device__ __forceinline__ float sum_terms(const float (&hi_mid)[4], const float (&lo)[4], int half) {
  return (lo[2 * half] + hi_mid[2 * half + 1]) + hi_mid[2 * half];
}

// The rows of a B fragment (16 × 8 operand tile of mma.m16n8k16) that lane t·4 + g
// holds, in its column g: 2t, 2t + 1 (first register), 2t + 8, 2t + 9 (second).
__host__ __device__ constexpr int b_fragment_row(int lane, int a) { return 2 * (lane % 4) + (a & 1) + 8 * (a >> 1); }

// The threads of a fragment kernel's grid: one row of blocks per configuration
// (blockIdx.y), `per_config` threads in it.
inline dim3 per_config_grid(int per_config, int C) {
  return dim3(static_cast<unsigned>(blocks_over(per_config, kBlockThreads)), static_cast<unsigned>(C));
}

// The B fragments of a masked sum's operand, operand_tiles(R) slots per 16-row tile:
// value(c, r, k) laid out by operand_column, zero beyond `extent` rows and beyond the
// rank, stored at out[((c·tiles + tile)·Q + slot)·32 + lane]. One thread per
// (configuration, tile, t): the four rows b_fragment_row(lane, 0 … 3) that every lane
// 4g + t holds, for each group of four factor columns (a pair of slots) their 3 terms,
// then the 8 lanes g of both slots. Every index into the terms is a compile-time
// constant once the loops unroll, so the layout costs no arithmetic, and each term is
// computed once (a thread per output word would compute the same terms many times).
template <int R, class Value>
__global__ void __launch_bounds__(kBlockThreads) masked_sum_fragments(int tiles, int extent, Value value, uint2* __restrict__ out) {
  constexpr int Q = operand_tiles(R);
  const int c = blockIdx.y, e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e >= tiles * 4) return;
  const int tile = e / 4, t = e % 4;
  uint2* tile_out = out + (static_cast<std::int64_t>(c) * tiles + tile) * Q * kWarp + t;
#pragma unroll
  for (int group = 0; group < Q / 2; ++group) {
    __nv_bfloat16 terms[4][4][3];  // [row a][factor 4·group + f][piece]
#pragma unroll
    for (int a = 0; a < 4; ++a) {
      const int r = tile * kTile + b_fragment_row(t, a);
#pragma unroll
      for (int f = 0; f < 4; ++f) bf16_terms(4 * group + f < R && r < extent ? value(c, r, 4 * group + f) : 0.0f, terms[a][f]);
    }
#pragma unroll
    for (int slot = 2 * group; slot < 2 * group + 2; ++slot)
#pragma unroll
      for (int g = 0; g < 8; ++g) {
        const OperandColumn column = operand_column(slot, g);
        auto term = [&](int a) { return column.piece < 3 ? terms[a][column.factor % 4][column.piece] : __float2bfloat16_rn(0.0f); };
        tile_out[slot * kWarp + 4 * g] = make_uint2(pack(term(0), term(1)), pack(term(2), term(3)));
      }
  }
}

// masked_sum_fragments over `tiles` tiles of rows for every configuration, on `stream`.
template <int R, class Value>
void fill_masked_sum_fragments(int C, int tiles, int extent, Value value, uint2* out, cudaStream_t stream) {
  masked_sum_fragments<R><<<per_config_grid(tiles * 4, C), kBlockThreads, 0, stream>>>(tiles, extent, value, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace gammalab::cuda::mma
