#pragma once
// How the GPU backend launches its work. Generic element-wise work (fills, copies,
// transforms, sums of partial results, the optimiser's update) runs through CUB's
// DeviceFor, which ships with the CUDA Toolkit and never synchronises, so that a step
// can be captured into a CUDA graph; the hand-written kernels are the fused hot paths
// (cuda/kernels/forward.cuh, gradient.cuh) and the fragment layouts (masked_mma.cuh).
#include <cub/device/device_for.cuh>

#include <cstdint>

#include "cuda/check.hpp"

namespace gammalab::cuda {

// The block size of every one-dimensional hand-written kernel (fragments, the feature
// norms): 8 warps, a whole number of them per multiprocessor at any occupancy.
constexpr int kBlockThreads = 256;

__host__ __device__ constexpr int blocks_over(int extent, int per_block) { return (extent + per_block - 1) / per_block; }
__host__ __device__ constexpr int round_up(int value, int multiple) { return blocks_over(value, multiple) * multiple; }

// op(e) for e = 0 … count − 1 on `stream`, in any order and without a synchronisation.
template <class Op>
void for_each_index(std::int64_t count, Op op, cudaStream_t stream) {
  if (count > 0) CUDA_CHECK(cub::DeviceFor::Bulk(count, op, stream));
}

}  // namespace gammalab::cuda
