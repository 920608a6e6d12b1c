#pragma once
// Element-wise work that builds a group's frozen student once (through CUB's DeviceFor,
// cuda/launch.cuh): the counter-addressed normal weights and Z = relu(X W_inᵀ); and the
// gather that rebuilds a group without its diverged configurations.
#include <cuda_runtime.h>

#include <cstdint>

#include "sim/model/counter_normal.hpp"

namespace gammalab::cuda::kernels {

// out[e] = entry first + e (row-major numbering) of a matrix whose entry number k is
// stddev · counter_normal(key, k), exactly as sim::counter_normal_matrix on the CPU.
struct NormalEntries {
  float* out;
  std::uint64_t key;
  std::int64_t first;
  double stddev;
  __device__ void operator()(std::int64_t e) const {
    out[e] = static_cast<float>(stddev * sim::counter_normal(key, static_cast<std::uint64_t>(first + e)));
  }
};

// out (rows × cols, e = row·cols + col) = max(in, 0), in having row stride in_stride.
struct ReluCopy {
  const float* in;
  int in_stride, cols;
  float* out;
  __device__ void operator()(std::int64_t e) const { out[e] = fmaxf(in[e / cols * in_stride + e % cols], 0.0f); }
};

// The kept configurations' part of a per-configuration buffer: in, `outer` runs of
// `configs` blocks of `block` entries (one block per configuration, in order); out, the
// same runs of the blocks of configurations kept[0], kept[1], … (kept_count of them):
// out[(o·kept_count + k)·block + j] = in[(o·configs + kept[k])·block + j].
template <class T>
struct GatherConfigurations {
  const T* in;
  T* out;
  const int* kept;
  int configs, kept_count;
  std::int64_t block;
  __device__ void operator()(std::int64_t e) const {
    const std::int64_t j = e % block, run_and_k = e / block, k = run_and_k % kept_count, o = run_and_k / kept_count;
    out[e] = in[(o * configs + kept[k]) * block + j];
  }
};

}  // namespace gammalab::cuda::kernels
