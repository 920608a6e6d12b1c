#pragma once
// Every CUDA and cuBLAS call is checked: a failure throws with the call, file and line,
// and kernel launches are followed by a check of the last error.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace gammalab::cuda {

inline void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                             cudaGetErrorString(status));
}

inline void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": cuBLAS status " +
                             std::to_string(static_cast<int>(status)));
}

}  // namespace gammalab::cuda

#define CUDA_CHECK(call) ::gammalab::cuda::check_cuda((call), #call, __FILE__, __LINE__)
#define CUBLAS_CHECK(call) ::gammalab::cuda::check_cublas((call), #call, __FILE__, __LINE__)
#define CUDA_CHECK_LAUNCH() ::gammalab::cuda::check_cuda(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
