#pragma once
// What a group of C configurations of rank R at width n holds on the GPU, allocated and
// filled before its first step (a captured step may not allocate), and again, without
// its diverged configurations, where the group drops them between steps:
//   - the frozen student: w, and per split (train, test) Z, H and y; Z's BF16 terms;
//   - the adapters: A, B (and A₀, B₀, P = Z·A₀ᵀ where B₀A₀ is subtracted), each
//     configuration's learning rates and the step at which it diverged (0: not yet);
//   - the optimiser's gradients and moments;
//   - one step's intermediates: Z·Aᵀ, ∂L/∂Z_A, the forward kernel's partial sums, f and
//     ∂L/∂f, the ReLU mask, the fragments of the tensor-core operands, the BF16 terms
//     and blocks of the split GEMMs, ∂L/∂B's partial sums, the loss and norm sums;
//   - where B₀A₀ is subtracted, A − A₀ and Z·(A − A₀)ᵀ for the horizons' RMS.
// Layouts are those of cuda/kernels/forward.cuh. R is the group's stored rank
// (stored_rank below): the factor columns past the spec's rank are zero.
#include <Eigen/Dense>
#include <cuda_bf16.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/device_buffer.hpp"
#include "cuda/kernels/dense_step.cuh"
#include "cuda/kernels/forward.cuh"
#include "cuda/kernels/gradient.cuh"
#include "cuda/kernels/reductions.cuh"
#include "cuda/kernels/setup.cuh"
#include "cuda/launch.cuh"
#include "cuda/split_gemm.cuh"
#include "cuda/stream_blas.hpp"
#include "sim/model/counter_normal.hpp"
#include "sim/model/backend.hpp"
#include "sim/model/student.hpp"

namespace gammalab::cuda {

// How a step forms the products that hold the rank (h's product, u and ∂L/∂B): the
// fused tensor-core kernels (kernels/forward.cuh, gradient.cuh), whose operands live in
// registers and shared memory sized by R, or cuBLAS FP32 GEMMs around a pointwise kernel
// (kernels/dense_step.cuh). The rest of the step is the same for both.
enum class StepKernels { TensorCore, Gemm };

// The ranks a group is compiled for, and the largest the GPU trains. A spec's rank r
// trains at the smallest of them that holds it, the factor columns past r zero: they
// stay zero, since their gradients are exact zeros (u and Z_A vanish in those columns)
// and neither rule moves a parameter whose gradient and moments are zero; the scale is
// the spec's own, sim::adapter_scale. Powers of two, so that at most half the columns are
// padding.
constexpr int kLargestRank = 256;
constexpr int stored_rank(int rank) {
  int R = 1;
  while (R < rank) R *= 2;
  return R;
}

// The step's kernels for stored rank R: the tensor-core kernels as far as their registers
// and shared memory hold the operands (to rank 16: at 32 the subtracting forward
// kernel's two stages would need 300 KB, over the 227 KB a block may have), the GEMMs
// above. Measured by bench/rank_paths.cu on one H200 at
// width 4096, 33 configurations, N = 1000 (docs/gpu-notes.md, "Every rank"), a step took
//   rank               1      4      16     32     64     128    256
//   tensor cores, ms   0.28   0.32   0.60   —      —      —      —
//   GEMMs, ms          0.99   1.20   1.24   1.45   2.18   3.51   6.46
// the GEMMs' floor being the C × N × n product's trips through memory (four a step):
// the tensor-core kernels win wherever they fit.
constexpr StepKernels kernels_for_rank(int R) { return R <= 16 ? StepKernels::TensorCore : StepKernels::Gemm; }

using Floats = DeviceBuffer<float>;
using BF16s = DeviceBuffer<__nv_bfloat16>;

inline std::vector<float> to_floats(const Eigen::MatrixXd& m) {  // row-major
  std::vector<float> out(static_cast<std::size_t>(m.size()));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) out[static_cast<std::size_t>(i * m.cols() + j)] = static_cast<float>(m(i, j));
  return out;
}

inline void fill_normal(float* out, std::uint64_t key, std::int64_t first, std::int64_t count, double stddev,
                        cudaStream_t stream) {
  for_each_index(count, kernels::NormalEntries{out, key, first, stddev}, stream);
}

// The adapters' initial values, computed on the host by sim/model/lora_init (gpu_backend.cu):
// A and A₀ (C·R) × n, B and B₀ (C·n) × R at the stored rank R, A₀ and B₀ zero where
// nothing is subtracted, and every factor column past the specs' rank zero.
struct HostAdapters {
  int rank = 0;  // the specs' rank
  std::vector<float> A, B, A0, B0, lr_A, lr_B;
  std::vector<double> fit_residual;
  bool subtract = false;  // some configuration subtracts B₀A₀
};

// The frozen split on the device: Z = φ(X W_inᵀ), H = X W_inᵀ + Z W_hᵀ, y. H is padded
// with zeros to whole blocks of the forward kernel's rows and to whole mask words of
// columns (row stride H_stride), which spares that kernel every bounds check on H.
struct DeviceSplit {
  int rows = 0, H_stride = 0;
  Floats Z, H, y;
};

inline DeviceSplit freeze(Cublas& blas, cudaStream_t stream, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                          const Floats& W_in, int n, std::uint64_t hidden_key) {
  DeviceSplit split;
  split.rows = static_cast<int>(X.rows());
  const int N = split.rows, d = static_cast<int>(X.cols());
  Floats X_device(to_floats(X));
  split.y = Floats(to_floats(y));
  split.Z = Floats(static_cast<std::size_t>(N) * n);
  split.H_stride = round_up(n, mma::kWordColumns);
  split.H = Floats(static_cast<std::size_t>(round_up(N, kernels::kForwardRows)) * split.H_stride);
  split.H.fill_zero();
  const int ldh = split.H_stride;
  blas.gemm_nt(N, n, d, X_device.get(), d, W_in.get(), d, split.H.get(), ldh);  // H = X W_inᵀ
  for_each_index(static_cast<std::int64_t>(N) * n, kernels::ReluCopy{split.H.get(), ldh, n, split.Z.get()}, stream);
  // H += Z W_hᵀ, generating W_h a block of rows at a time so that no n × n matrix need
  // fit: at n = 2^16 it would take 16 GiB.
  const int block_rows = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(n, (1LL << 28) / n)));
  Floats W_block(static_cast<std::size_t>(block_rows) * n);
  for (int first = 0; first < n; first += block_rows) {
    const int rows = std::min(block_rows, n - first);
    fill_normal(W_block.get(), hidden_key, static_cast<std::int64_t>(first) * n, static_cast<std::int64_t>(rows) * n,
                1 / std::sqrt(static_cast<double>(n)), stream);
    blas.gemm_nt(N, rows, n, split.Z.get(), n, W_block.get(), n, split.H.get() + first, ldh, 1.0f);
  }
  CUDA_CHECK(cudaStreamSynchronize(stream));  // X_device and W_block are freed on return
  return split;
}

// How a reduction dimension is split across thread blocks so that a launch has about
// eight blocks per multiprocessor: `splits` pieces of `length` (a multiple of the tile).
struct Split {
  int splits = 1, length = 0;
};
inline Split plan_split(std::int64_t blocks_without_split, int extent, int tile, int multiprocessors) {
  const std::int64_t wanted = 8LL * multiprocessors;
  int splits = static_cast<int>(std::clamp<std::int64_t>((wanted + blocks_without_split - 1) / blocks_without_split, 1,
                                                          (extent + tile - 1) / tile));
  int length = (extent + splits - 1) / splits;
  length = (length + tile - 1) / tile * tile;
  return {(extent + length - 1) / length, length};
}

// The bytes a group of rank `rank` takes (at its stored rank R): H and Z (and Z's BF16
// terms); A, B, their moments and gradients (and A's terms, A₀, B₀ and A − A₀); the
// N × C·R matrices (and dZA's terms, the blocks of Z·Aᵀ and Z·(A − A₀)ᵀ); the Gram
// matrices of the curves and horizons (C of (2R)², in double); W_h's blocks; the cuBLAS
// workspace. With the tensor-core kernels, the fragments of w∘B and of h's product (at
// most 2R factor columns) and the mask (a bit per training row, column and
// configuration); with the GEMMs, the product (C × N × n, for the larger split) and D.
// Held against what the device loses to a group by bench/rank_paths.cu (docs/gpu-notes.md,
// "Every rank"): above it where nothing is subtracted (A₀, B₀, P and the changes are then
// not allocated), the smallest groups a little under it (the allocator's granularity,
// cuBLAS's own memory).
inline double group_memory_bytes(const sim::Dataset& data, int n, int C, int rank, StepKernels kernels) {
  const int R = stored_rank(rank);
  const double train_rows = static_cast<double>(data.X_train.rows());
  const double rows = train_rows + static_cast<double>(data.X_test.rows());
  const double CR = static_cast<double>(C) * R, configs_by_width = static_cast<double>(C) * n;
  const double kernel_floats =
      kernels == StepKernels::TensorCore
          ? configs_by_width * (4 * mma::operand_tiles(R) + 8 * mma::product_chunks(2 * R)) + train_rows * configs_by_width / 32
          : configs_by_width * static_cast<double>(std::max(data.X_train.rows(), data.X_test.rows())) + train_rows * CR;
  const double floats = 3.5 * rows * n + 13.5 * CR * n + 18 * rows * CR + 2 * C * (2.0 * R) * (2.0 * R) + kernel_floats +
                        std::min<double>(static_cast<double>(n) * n, 1 << 28);
  return floats * sizeof(float) + static_cast<double>(Cublas::kWorkspaceBytes);
}

// The same with the kernels the GPU trains that rank with.
inline double group_memory_bytes(const sim::Dataset& data, int n, int C, int rank) {
  return group_memory_bytes(data, n, C, rank, kernels_for_rank(stored_rank(rank)));
}

// The device's free memory: what the driver has not handed out, and what its memory
// pool holds unused (freed by groups that have finished, kept for the next:
// gpu_backend.cu).
struct FreeMemory {
  double outside_pool = 0, unused_in_pool = 0;
};
inline FreeMemory free_device_memory() {
  std::size_t free_bytes = 0, total_bytes = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const cudaMemPool_t pool = current_memory_pool();
  std::uint64_t reserved = 0, used = 0;
  CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemCurrent, &reserved));
  CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemCurrent, &used));
  // Two reads, between which another group may grow or trim the pool: never below zero.
  return {static_cast<double>(free_bytes), used > reserved ? 0.0 : static_cast<double>(reserved - used)};
}

// Refuses a group that cannot fit. Where it would fit only with the pool's unused memory,
// the pool first gives back what it can (the blocks none of their pieces are in use,
// after the device has finished: a free the host has not seen complete may count as in
// use — a wait for the other groups, but only here, which is rare, and a group this large
// mostly trains alone), so that the group's buffers, and what cuBLAS and the
// driver allocate outside the pool, come from the driver rather than from pieces of
// blocks that other groups still hold in part: a group large enough to train alone then
// finds the whole card free. What the pool still holds unused after that counts as free.
inline void check_memory(const sim::Dataset& data, int n, int C, int rank, StepKernels kernels) {
  const double needed = group_memory_bytes(data, n, C, rank, kernels);
  FreeMemory free = free_device_memory();
  if (needed > 0.95 * free.outside_pool) {
    CUDA_CHECK(cudaDeviceSynchronize());
    CUDA_CHECK(cudaMemPoolTrimTo(current_memory_pool(), 0));
    free = free_device_memory();
  }
  const double free_bytes = free.outside_pool + free.unused_in_pool;
  if (needed > 0.95 * free_bytes)
    throw std::runtime_error("a group of width " + std::to_string(n) + " and rank " + std::to_string(rank) + " with " +
                             std::to_string(C) + " configurations needs " + std::to_string(needed / (1 << 30)) +
                             " GiB of GPU memory; " + std::to_string(free_bytes / (1 << 30)) +
                             " GiB are free: fewer learning rates or schemes per sweep, or a smaller width or rank");
}

// The forward kernel's split of the columns (in whole mask words), with buffers for its
// partial sums of f (and of u where gradients are needed), f, ∂L/∂f and the loss sums.
struct ForwardPlan {
  Split split;
  Floats f_part, u_part, f, d_output;
  kernels::SegmentedSums loss_sums;
};

template <int R, StepKernels KERNELS = kernels_for_rank(R)>
struct GroupMemory {
  static constexpr bool kTensorCore = KERNELS == StepKernels::TensorCore;
  const int n, C;
  const std::int64_t CR;
  const bool subtract;
  Floats w;
  DeviceSplit train, test;
  BF16s Z_terms;
  Floats A, B, A0, B0, P_train, P_test, lr_A, lr_B;
  DeviceBuffer<int> diverged;
  Floats gA, gB, mA, vA, mB, vB;
  Floats ZA, dZA, test_ZA, ZA_blocks, grad_parts;
  Floats A_change, ZA_change;                       // A − A₀ and Z·(A − A₀)ᵀ, where B₀A₀ is subtracted
  BF16s A_terms, dZA_terms;                         // the large products' factors (split_gemm.cuh)
  // The tensor-core kernels' operands and the mask they pass between them:
  DeviceBuffer<std::uint32_t> mask_words;           // the training step's ReLU mask, for ∂L/∂B
  DeviceBuffer<uint2> wB_fragments, D_fragments;    // the masked sums' operands (masked_mma.cuh)
  DeviceBuffer<uint2> product_fragments;            // h's product's B operand (split_product.cuh)
  // The GEMMs' (kernels/dense_step.cuh):
  Floats product;                                   // s Z_A Bᵀ (− s P B₀ᵀ), then G; C × N × n
  Floats D;                                         // ∂L/∂f ∘ Z_A, in Z_A's layout
  ForwardPlan train_forward, test_forward;
  Split grad_split;
  kernels::SegmentedSums gram_sums, norm_sums;      // for the curves' feature norms and the horizons' RMS

  GroupMemory(const sim::Dataset& data, const sim::StudentKey& key, const HostAdapters& adapters, int multiprocessors,
              Cublas& blas, cudaStream_t stream)
      : n(key.width), C(static_cast<int>(adapters.lr_A.size())), CR(static_cast<std::int64_t>(C) * R),
        subtract(adapters.subtract) {
    check_memory(data, n, C, adapters.rank, KERNELS);
    freeze_student(data, key, blas, stream);
    upload_adapters(adapters, blas);
    allocate_step(multiprocessors);
  }

  // The group `old` without its diverged configurations: the same student (moved, not
  // built again), and of the configurations only `kept` (indices into old's, in order),
  // each with its parameters, moments and learning rates (and A₀, B₀ and P where B₀A₀ is
  // subtracted). A group drops its diverged configurations so that its remaining steps
  // do not train them (group_trainer.cuh). Each of old's buffers is freed as soon as its
  // kept part is copied, and old is released before this group's step buffers are
  // allocated: the two never hold more than old's memory and one buffer's kept part at
  // once, so that a group that fit still does.
  GroupMemory(std::unique_ptr<GroupMemory> old, const std::vector<int>& kept, int multiprocessors, cudaStream_t stream)
      : n(old->n), C(static_cast<int>(kept.size())), CR(static_cast<std::int64_t>(C) * R), subtract(old->subtract),
        w(std::move(old->w)), train(std::move(old->train)), test(std::move(old->test)), Z_terms(std::move(old->Z_terms)) {
    const DeviceBuffer<int> indices(kept);
    auto keep = [&](auto& buffer, std::int64_t block) {
      using Buffer = std::decay_t<decltype(buffer)>;
      Buffer out(buffer.size() / old->C * C);
      for_each_index(static_cast<std::int64_t>(out.size()),
                     kernels::GatherConfigurations<typename Buffer::value_type>{buffer.get(), out.get(), indices.get(), old->C,
                                                                                C, block},
                     stream);
      CUDA_CHECK(cudaStreamSynchronize(stream));
      buffer = Buffer();
      return out;
    };
    const std::int64_t factor = factor_size();
    A = keep(old->A, factor), B = keep(old->B, factor);
    mA = keep(old->mA, factor), vA = keep(old->vA, factor), mB = keep(old->mB, factor), vB = keep(old->vB, factor);
    lr_A = keep(old->lr_A, 1), lr_B = keep(old->lr_B, 1);
    diverged = DeviceBuffer<int>(static_cast<std::size_t>(C));
    diverged.fill_zero();  // the kept configurations had not diverged
    if (subtract) {
      A0 = keep(old->A0, factor), B0 = keep(old->B0, factor);
      P_train = keep(old->P_train, R), P_test = keep(old->P_test, R);  // rows × C·R: R columns per configuration
    }
    old.reset();
    allocate_step(multiprocessors);
  }

  int product_factors() const { return subtract ? 2 * R : R; }
  // The entries of one configuration's A (R × n), or B (n × R): its block in A, B, their
  // moments and gradients, A₀ and B₀.
  std::int64_t factor_size() const { return static_cast<std::int64_t>(R) * n; }
  int product_tiles() const { return mma::words_per_row(n) * mma::kWordColumns / mma::kProductColumns; }
  std::size_t fragment_count(int tiles) const { return static_cast<std::size_t>(C) * tiles * mma::operand_tiles(R) * mma::kWarp; }

 private:
  void freeze_student(const sim::Dataset& data, const sim::StudentKey& key, Cublas& blas, cudaStream_t stream) {
    Floats W_in(static_cast<std::size_t>(n) * data.X_train.cols());
    fill_normal(W_in.get(), sim::student_key(key.seed, n, sim::kInputWeight), 0, static_cast<std::int64_t>(W_in.size()),
                1 / std::sqrt(static_cast<double>(data.X_train.cols())), stream);
    w = Floats(static_cast<std::size_t>(round_up(n, mma::kWordColumns)));  // zeros past n, as H
    w.fill_zero();
    fill_normal(w.get(), sim::student_key(key.seed, n, sim::kReadout), 0, n, sim::readout_scale(key.readout, n), stream);
    const std::uint64_t hidden = sim::student_key(key.seed, n, sim::kHiddenWeight);
    train = freeze(blas, stream, data.X_train, data.y_train, W_in, n, hidden);
    test = freeze(blas, stream, data.X_test, data.y_test, W_in, n, hidden);
    const std::int64_t N = train.rows;
    Z_terms = BF16s(static_cast<std::size_t>(split::kTerms * N * n));
    for_each_index(N * n, split::SplitIntoTerms<false>{train.Z.get(), N * n, Z_terms.get()}, stream);
    CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  void upload_adapters(const HostAdapters& adapters, Cublas& blas) {
    A = Floats(adapters.A);
    B = Floats(adapters.B);
    lr_A = Floats(adapters.lr_A);
    lr_B = Floats(adapters.lr_B);
    diverged = DeviceBuffer<int>(static_cast<std::size_t>(C));
    diverged.fill_zero();
    for (Floats* moment : {&mA, &vA, &mB, &vB}) {
      *moment = Floats(A.size());
      moment->fill_zero();
    }
    if (!subtract) return;
    A0 = Floats(adapters.A0);
    B0 = Floats(adapters.B0);
    for (auto [split, P] : {std::pair{&train, &P_train}, std::pair{&test, &P_test}}) {
      *P = Floats(static_cast<std::size_t>(split->rows) * CR);
      blas.gemm_nt(split->rows, static_cast<int>(CR), n, split->Z.get(), n, A0.get(), n, P->get(), static_cast<int>(CR));
    }
  }

  // One step's buffers (the intermediates, which no step passes to the next), for the
  // student and configurations in place.
  void allocate_step(int multiprocessors) {
    train_forward = plan_forward(train.rows, true, multiprocessors);
    test_forward = plan_forward(test.rows, false, multiprocessors);
    gram_sums = kernels::SegmentedSums(static_cast<std::int64_t>(C) * product_factors() * product_factors(), n);
    norm_sums = kernels::SegmentedSums(2LL * C, train.rows);
    const std::size_t N = static_cast<std::size_t>(train.rows), by_rows = N * static_cast<std::size_t>(CR);
    for (Floats* gradient : {&gA, &gB}) *gradient = Floats(A.size());
    ZA = Floats(by_rows);
    dZA = Floats(by_rows);
    test_ZA = Floats(static_cast<std::size_t>(test.rows) * CR);
    A_terms = BF16s(static_cast<std::size_t>(split::kTerms) * CR * n);
    dZA_terms = BF16s(split::kBlocks * by_rows);
    ZA_blocks = Floats(split::kBlocks * by_rows);
    if constexpr (kTensorCore) {
      const std::int64_t grad_blocks = static_cast<std::int64_t>(blocks_over(n, kernels::grad_columns<R>())) *
                                       blocks_over(C, kernels::grad_configs_per_warp<R>());
      grad_split = plan_split(grad_blocks, train.rows, mma::kTile, multiprocessors);
      if (grad_split.splits > 1) grad_parts = Floats(static_cast<std::size_t>(grad_split.splits) * CR * n);
      mask_words = DeviceBuffer<std::uint32_t>(static_cast<std::size_t>(C) * mma::row_tiles(train.rows) *
                                               mma::words_per_row(n) * mma::kWarp);
      wB_fragments = DeviceBuffer<uint2>(fragment_count(mma::words_per_row(n) * mma::kTilesPerWord));
      product_fragments = DeviceBuffer<uint2>(static_cast<std::size_t>(C) * product_tiles() *
                                              mma::product_chunks(product_factors()) * mma::kWarp);
      D_fragments = DeviceBuffer<uint2>(fragment_count(mma::row_tiles(train.rows)));
    } else {
      product = Floats(static_cast<std::size_t>(C) * std::max(train.rows, test.rows) * n);
      D = Floats(by_rows);
    }
    if (subtract) {
      A_change = Floats(A.size());
      ZA_change = Floats(by_rows);
    }
  }

  // The GEMMs' forward sums each row whole: one split.
  ForwardPlan plan_forward(int rows, bool with_gradient, int multiprocessors) const {
    Split split{1, n};
    if constexpr (kTensorCore) {
      const std::int64_t blocks = static_cast<std::int64_t>(blocks_over(rows, kernels::kForwardRows)) *
                                  blocks_over(C, kernels::forward_configs<R>());
      split = plan_split(blocks, n, mma::kWordColumns, multiprocessors);
    }
    ForwardPlan plan{split, Floats(static_cast<std::size_t>(split.splits) * C * rows), Floats(),
                     Floats(static_cast<std::size_t>(C) * rows), Floats(), kernels::SegmentedSums(C, rows)};
    if (with_gradient) {
      plan.u_part = Floats(static_cast<std::size_t>(split.splits) * rows * CR);
      plan.d_output = Floats(static_cast<std::size_t>(C) * rows);
    }
    return plan;
  }
};

}  // namespace gammalab::cuda
