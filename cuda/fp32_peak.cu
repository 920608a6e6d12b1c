#include <cuda_runtime.h>

#include "cuda/check.hpp"
#include "cuda/fp32_peak.hpp"

namespace gammalab::cuda {

namespace {
constexpr int kChains = 8, kIterations = 4096;

// Eight independent FMA chains per thread keep every FP32 pipe busy; the result is
// stored so the compiler cannot drop the work.
__global__ void fma_chains(float* out, float a, float b) {
  float x[kChains];
#pragma unroll
  for (int c = 0; c < kChains; ++c) x[c] = threadIdx.x * 1e-3f + c;
  for (int i = 0; i < kIterations; ++i)
#pragma unroll
    for (int c = 0; c < kChains; ++c) x[c] = fmaf(x[c], a, b);
  float sum = 0;
#pragma unroll
  for (int c = 0; c < kChains; ++c) sum += x[c];
  out[blockIdx.x * blockDim.x + threadIdx.x] = sum;
}
}  // namespace

double measure_fp32_peak() {
  int sms = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const int blocks = sms * 16, threads = 256;
  float* out = nullptr;
  CUDA_CHECK(cudaMalloc(&out, sizeof(float) * blocks * threads));
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  fma_chains<<<blocks, threads>>>(out, 0.999f, 1e-4f);  // warm-up
  CUDA_CHECK_LAUNCH();
  float best = 1e30f;
  for (int repeat = 0; repeat < 5; ++repeat) {
    CUDA_CHECK(cudaEventRecord(start));
    fma_chains<<<blocks, threads>>>(out, 0.999f, 1e-4f);
    CUDA_CHECK_LAUNCH();
    CUDA_CHECK(cudaEventRecord(stop));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    best = ms < best ? ms : best;
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  CUDA_CHECK(cudaFree(out));
  const double flops = 2.0 * kChains * kIterations * static_cast<double>(blocks) * threads;
  return flops / (best * 1e-3);
}

}  // namespace gammalab::cuda
