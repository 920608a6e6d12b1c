#pragma once
// The step's reductions and the residual, all generic device work through CUB:
//   - sums of the partial results that a kernel split over blocks leaves (f, u, ∂L/∂B),
//     added in split order, so that results do not depend on the launch;
//   - the residual f − y, ∂L/∂f = 2(f − y)/N, and the loss of each configuration, a
//     mean of squares summed in double by DeviceSegmentedReduce (one segment per
//     configuration; deterministic for a given size), with the divergence rule of
//     sim/model/training_rules.hpp;
//   - for the curves, mean_i ‖Z_A(x_i)‖ and mean_i ‖Z_B(x_i)‖ per configuration;
//   - for the horizons, the root mean square of the adapter's output s·Z_B over the rows
//     and units (less its initial value where B₀A₀ is subtracted) per configuration.
// Both of the last two go through R × R (or 2R × 2R) Gram matrices of the factors and a
// quadratic form per row, never through the N × n product itself.
// Layouts as in forward.cuh; f, y, ∂L/∂f: C × N (config-major), y shared.
#include <cub/device/device_segmented_reduce.cuh>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "cuda/device_buffer.hpp"
#include "cuda/launch.cuh"
#include "sim/model/training_rules.hpp"

namespace gammalab::cuda::kernels {

// Σ_s parts[s·count + e], in split order: the one definition of a split sum.
__device__ __forceinline__ float sum_of_splits(const float* __restrict__ parts, int splits, std::int64_t count,
                                               std::int64_t e) {
  float sum = 0.0f;
  for (int s = 0; s < splits; ++s) sum += parts[s * count + e];
  return sum;
}

// out[e] = the split sum at e.
struct SumOfSplits {
  const float* parts;
  int splits;
  std::int64_t count;
  float* out;
  __device__ void operator()(std::int64_t e) const { out[e] = sum_of_splits(parts, splits, count, e); }
};

// f = the split sum of the forward kernel's partial f at e = c·N + i and, at a training
// step (d_output not null), ∂L/∂f_c,i = 2(f − y_i)/N.
struct Residual {
  const float* f_part;
  int splits, N;
  std::int64_t count;  // C·N
  const float* y;
  float* f;
  float* d_output;
  __device__ void operator()(std::int64_t e) const {
    const float value = sum_of_splits(f_part, splits, count, e);
    f[e] = value;
    if (d_output != nullptr) d_output[e] = 2.0f * (value - y[e % N]) / static_cast<float>(N);
  }
};

// (f − y)² at e = c·N + i, the error rounded to FP32 as on the CUDA cores and squared in double.
struct SquaredError {
  const float* f;
  const float* y;
  int N;
  __device__ double operator()(std::int64_t e) const {
    const float error = f[e] - y[e % N];
    return static_cast<double>(error) * error;
  }
};

// Segment c of `length`-long segments starts at c·length.
struct SegmentStart {
  std::int64_t length;
  __host__ __device__ std::int64_t operator()(std::int64_t c) const { return c * length; }
};
template <class Value>
auto indexed(Value value) {
  return thrust::make_transform_iterator(thrust::make_counting_iterator<std::int64_t>(0), value);
}

// Per configuration c: loss = sums[c]/N into loss_out[c] or, at a training step (step
// not null), into loss_out[(step − 1)·C + c], where a diverging loss marks c diverged
// at that step (from then on its parameters stay as they were).
struct RecordLoss {
  const double* sums;
  int N, C;
  float* loss_out;
  int* diverged_step;
  const int* step;
  float bound;
  __device__ void operator()(std::int64_t c) const {
    const float loss = static_cast<float>(sums[c] / N);
    if (step == nullptr) {
      loss_out[c] = loss;
      return;
    }
    loss_out[static_cast<std::int64_t>(*step - 1) * C + c] = loss;
    if (diverged_step[c] == 0 && sim::loss_diverged(loss, bound)) diverged_step[c] = *step;
  }
};

// The adapter's output on N rows as a product of two factors of F columns, s·U Vᵀ (N × n):
//   U = Z_A,               V = B            (F = R), or, where B₀A₀ is subtracted,
//   U = [Z·(A − A₀)ᵀ, P],  V = [B, B − B₀]  (F = 2R), so that U Vᵀ = Z_A Bᵀ − P B₀ᵀ
// without subtracting two nearly equal products: exactly zero while A = A₀ and B = B₀,
// and accurate relative to the change itself while they are near.
// U's entry (i, κ) of configuration c: the first F columns of [first, second], each
// N × (C·R) in Z_A's layout (second unread where F = R).
template <int R>
struct LeftFactor {
  const float* first;
  const float* second;
  int C;
  __device__ double operator()(std::int64_t i, std::int64_t c, int kappa) const {
    const std::int64_t at = (i * C + c) * R + kappa % R;
    return kappa < R ? first[at] : second[at];
  }
};
// V's entry (j, κ) of configuration c: the first F columns of [B, B − B₀] (B₀ unread
// where F = R), the difference taken in double.
template <int R>
struct RightFactor {
  const float* B;
  const float* B0;
  int n;
  __device__ double operator()(std::int64_t c, std::int64_t j, int kappa) const {
    const std::int64_t at = (c * n + j) * R + kappa % R;
    return kappa < R ? static_cast<double>(B[at]) : static_cast<double>(B[at]) - B0[at];
  }
};

// The F × F Gram matrix VᵀV of every configuration, as C·F·F segments of n products.
template <int F, class Right>
struct GramEntry {
  Right V;
  int n;
  __device__ double operator()(std::int64_t e) const {
    const std::int64_t segment = e / n, j = e % n, c = segment / (F * F), a = segment / F % F, b = segment % F;
    return V(c, j, a) * V(c, j, b);
  }
};
// ‖u_i Vᵀ‖² = u_iᵀ (VᵀV) u_i at e = c·N + i, from row i of configuration c's U and its
// Gram matrix (at gram + c·F·F).
template <int F, class Left>
struct QuadraticForm {
  Left U;
  const double* gram;
  int N;
  __device__ double operator()(std::int64_t e) const {
    const std::int64_t c = e / N, i = e % N;
    double u[F], sum = 0.0;
    for (int k = 0; k < F; ++k) u[k] = U(i, c, k);
    for (int a = 0; a < F; ++a)
      for (int b = 0; b < F; ++b) sum += u[a] * gram[(c * F + a) * F + b] * u[b];
    return sum;
  }
};
// ‖Z_A(x_i)‖² at e = c·N + i.
template <int R>
struct SquaredRowNorm {
  const float* ZA;
  int N, C;
  __device__ double operator()(std::int64_t e) const {
    const std::int64_t c = e / N, i = e % N;
    double sum = 0.0;
    for (int k = 0; k < R; ++k) {
      const double z = ZA[(i * C + c) * R + k];
      sum += z * z;
    }
    return sum;
  }
};
// The square root of a squared norm, which a quadratic form's rounding may leave a
// hair below zero.
template <class Squared>
struct RootOf {
  Squared squared;
  __device__ double operator()(std::int64_t e) const { return sqrt(fmax(squared(e), 0.0)); }
};
struct RecordNorms {
  const double* sums;  // C sums of ‖Z_A‖, then C of ‖Z_B‖/s
  int N, C;
  float scale;
  float* norm_Z_A;
  float* norm_Z_B;
  __device__ void operator()(std::int64_t c) const {
    norm_Z_A[c] = static_cast<float>(sums[c] / N);
    norm_Z_B[c] = static_cast<float>(sums[C + c] / N * scale);
  }
};
// rms[c] = s·√(Σ_i ‖u_i Vᵀ‖² / (N·n)) from the C sums of the quadratic forms.
struct RecordRms {
  const double* sums;
  double entries;  // N·n
  float scale;
  float* rms;
  __device__ void operator()(std::int64_t c) const { rms[c] = static_cast<float>(scale * sqrt(sums[c] / entries)); }
};

// out[e] = now[e] − initial[e]: how far a factor has moved from its initial value.
struct Change {
  const float* now;
  const float* initial;
  float* out;
  __device__ void operator()(std::int64_t e) const { out[e] = now[e] - initial[e]; }
};

// A value for sizing scratch memory (kernels launched through CUB must name public types).
struct ZeroValue {
  __device__ double operator()(std::int64_t) const { return 0.0; }
};

// Segmented sums in double over index-addressed values, with their scratch memory
// allocated once (a captured step may not allocate).
class SegmentedSums {
 public:
  SegmentedSums() = default;
  // Room for `segments` segments of up to `length` values each.
  SegmentedSums(std::int64_t segments, std::int64_t length) : sums_(static_cast<std::size_t>(segments)) {
    std::size_t bytes = 0;
    CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(nullptr, bytes, indexed(ZeroValue{}), sums_.get(), segments,
                                               indexed(SegmentStart{length}), indexed(SegmentStart{length}) + 1));
    scratch_ = DeviceBuffer<unsigned char>(std::max<std::size_t>(bytes, 1));
  }
  // out[s] = Σ value(e) over e in s·length … (s + 1)·length − 1, s < segments.
  template <class Value>
  void sum(Value value, std::int64_t segments, std::int64_t length, double* out, cudaStream_t stream) {
    std::size_t bytes = 0;
    CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(nullptr, bytes, indexed(value), out, segments, indexed(SegmentStart{length}),
                                               indexed(SegmentStart{length}) + 1, stream));
    if (bytes > scratch_.size()) throw std::logic_error("SegmentedSums: CUB asks for more scratch memory than was set aside");
    bytes = scratch_.size();
    CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(scratch_.get(), bytes, indexed(value), out, segments,
                                               indexed(SegmentStart{length}), indexed(SegmentStart{length}) + 1, stream));
  }
  double* sums() const { return sums_.get(); }

 private:
  DeviceBuffer<double> sums_;
  DeviceBuffer<unsigned char> scratch_;
};

// The residual of one split of the data (C configurations × N rows): f from the forward
// kernel's `splits` partial sums, ∂L/∂f (where d_output is not null) and each
// configuration's loss, recorded by RecordLoss (its step and divergence test where
// step is not null).
inline void residual_and_loss(SegmentedSums& loss_sums, const float* f_part, int splits, int N, int C, const float* y,
                              float* f, float* d_output, float* loss_out, int* diverged_step, const int* step, float bound,
                              cudaStream_t stream) {
  const std::int64_t count = static_cast<std::int64_t>(C) * N;
  for_each_index(count, Residual{f_part, splits, N, count, y, f, d_output}, stream);
  loss_sums.sum(SquaredError{f, y, N}, C, N, loss_sums.sums(), stream);
  for_each_index(C, RecordLoss{loss_sums.sums(), N, C, loss_out, diverged_step, step, bound}, stream);
}

// For the curves: per configuration, mean_i ‖Z_A(x_i)‖ and mean_i ‖Z_B(x_i)‖ (N rows of
// Z_A, width n), the latter as s·√(z_iᵀ (BᵀB) z_i). gram_sums has room for C·R·R
// segments, norm_sums for 2C.
template <int R>
void feature_norms(SegmentedSums& gram_sums, SegmentedSums& norm_sums, const float* ZA, const float* B, int N, int n, int C,
                   float scale, float* norm_Z_A, float* norm_Z_B, cudaStream_t stream) {
  double* gram = gram_sums.sums();
  gram_sums.sum(GramEntry<R, RightFactor<R>>{{B, nullptr, n}, n}, static_cast<std::int64_t>(C) * R * R, n, gram, stream);
  double* sums = norm_sums.sums();
  norm_sums.sum(RootOf<SquaredRowNorm<R>>{{ZA, N, C}}, C, N, sums, stream);
  norm_sums.sum(RootOf<QuadraticForm<R, LeftFactor<R>>>{{{ZA, nullptr, C}, gram, N}}, C, N, sums + C, stream);
  for_each_index(C, RecordNorms{sums, N, C, scale, norm_Z_A, norm_Z_B}, stream);
}

// For the horizons (sim::HorizonRecord::rms_Z_B): per configuration, the root mean
// square of s·U Vᵀ over its N rows and n units, U and V of F factor columns (R, or 2R
// where B₀A₀ is subtracted; see LeftFactor). gram_sums has room for C·F·F segments,
// row_sums for C.
template <int R, int F>
void adapter_output_rms(SegmentedSums& gram_sums, SegmentedSums& row_sums, LeftFactor<R> U, RightFactor<R> V, int N, int n,
                        int C, float scale, float* rms, cudaStream_t stream) {
  static_assert(F == R || F == 2 * R, "U and V hold the rank's columns, or twice as many where B₀A₀ is subtracted");
  double* gram = gram_sums.sums();
  gram_sums.sum(GramEntry<F, RightFactor<R>>{V, n}, static_cast<std::int64_t>(C) * F * F, n, gram, stream);
  double* sums = row_sums.sums();
  row_sums.sum(QuadraticForm<F, LeftFactor<R>>{U, gram, N}, C, N, sums, stream);
  for_each_index(C, RecordRms{sums, static_cast<double>(N) * n, scale, rms}, stream);
}

}  // namespace gammalab::cuda::kernels
