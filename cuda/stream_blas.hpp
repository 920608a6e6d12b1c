#pragma once
// A group's CUDA stream and its cuBLAS handle, both owned for the group's lifetime.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <type_traits>

#include "cuda/check.hpp"
#include "cuda/device_buffer.hpp"

namespace gammalab::cuda {

// A non-blocking stream: another group's thread may copy on the legacy default stream
// while this one captures a graph, which a blocking stream forbids. DeviceBuffer's
// copies and fills finish before they return.
class Stream {
 public:
  Stream() { CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() { cudaStreamDestroy(stream_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  operator cudaStream_t() const { return stream_; }

 private:
  cudaStream_t stream_{};
};

class Cublas {
 public:
  // On `stream`, with a workspace of its own so that no call allocates memory: a step
  // can then be captured into a CUDA graph.
  explicit Cublas(cudaStream_t stream) : workspace_(kWorkspaceBytes / sizeof(float)) {
    CUBLAS_CHECK(cublasCreate(&handle_));
    CUBLAS_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));  // true FP32: no TF32 unless asked
    CUBLAS_CHECK(cublasSetStream(handle_, stream));
    CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace_.get(), kWorkspaceBytes));
  }
  ~Cublas() { cublasDestroy(handle_); }
  Cublas(const Cublas&) = delete;
  Cublas& operator=(const Cublas&) = delete;

  // Factors in FP32 or BF16 (split_gemm.cuh), sums and results in FP32.
  // Row-major C (M × N, row stride ldc) = A (M × K, lda) · B (N × K, ldb)ᵀ + beta·C.
  // cuBLAS is column-major, where the same memory holds Cᵀ = B·Aᵀ.
  template <class T>
  void gemm_nt(int M, int N, int K, const T* A, int lda, const T* B, int ldb, float* C, int ldc, float beta = 0) {
    const float one = 1.0f;
    CUBLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &one, B, type_of<T>(), ldb, A, type_of<T>(), lda,
                              &beta, C, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }
  // Row-major C (M × N) = A (K × M)ᵀ · B (K × N) + beta·C: column-major Cᵀ = Bᵀ·A.
  template <class T>
  void gemm_tn(int M, int N, int K, const T* A, const T* B, float* C, float beta = 0) {
    const float one = 1.0f;
    CUBLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_N, CUBLAS_OP_T, N, M, K, &one, B, type_of<T>(), N, A, type_of<T>(), M, &beta,
                              C, CUDA_R_32F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }

 private:
  template <class T>
  static constexpr cudaDataType type_of() {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, __nv_bfloat16>);
    return std::is_same_v<T, float> ? CUDA_R_32F : CUDA_R_16BF;
  }
  static constexpr std::size_t kWorkspaceBytes = 32u << 20;
  DeviceBuffer<float> workspace_;
  cublasHandle_t handle_{};
};

}  // namespace gammalab::cuda
