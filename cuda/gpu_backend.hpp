#pragma once
// The GPU backend of the simulator's trainer: every configuration of a (width, seed)
// group trains at once on one copy of the frozen student, at FP32 accuracy (the products
// run on the tensor cores with each factor as three BF16 terms, so that each product of
// terms is exact: cuda/split_product.cuh, masked_mma.cuh, split_gemm.cuh), with the same
// initialisation (computed on the host by sim/model/lora_init) and the same semantics as the
// CPU reference (divergence, curves, horizons, final losses). Every rank from 1 to 256
// (cuda/group_memory.cuh: kLargestRank), ranks to 16 on fused tensor-core kernels and
// larger ones with their rank-R products as FP32 GEMMs (kernels_for_rank says why). What
// it does not do it refuses with a message naming the option: minibatches, larger ranks.
#include <memory>
#include <string>
#include <vector>

#include "sim/model/backend.hpp"

namespace gammalab::cuda {

// Empty when the GPU backend can train this spec; otherwise why not.
std::string unsupported_on_gpu(const sim::TrainSpec& spec);

// The GPU memory a group of `configurations` configurations of this width and rank takes
// (cuda/group_memory.cuh: group_memory_bytes), and the whole memory of GPU `device`: what
// a sweep's estimate compares before anything is written (a group that needs more than
// is free is refused again when it starts). Throw std::runtime_error in a build without CUDA.
double gpu_group_memory_bytes(const sim::Dataset& data, int width, int configurations, int rank);
double gpu_memory_bytes(int device);

// The trainer of GPU `device` (as this process numbers them: CUDA_VISIBLE_DEVICES
// applies). Throws std::runtime_error when this build has no CUDA or no such GPU.
std::unique_ptr<sim::TrainerBackend> make_gpu_backend(int device = 0);
// One trainer for each of the first `at_most` visible GPUs (a sweep spreads its groups
// over them). Throws std::runtime_error when this build has no CUDA or no GPU is usable.
std::vector<std::unique_ptr<sim::TrainerBackend>> make_gpu_backends(int at_most);

}  // namespace gammalab::cuda
