#pragma once
// A group's CUDA stream and its cuBLAS handle (a Lane, which the backend keeps from group
// to group).
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <type_traits>

#include "cuda/check.hpp"
#include "cuda/device_buffer.hpp"

namespace gammalab::cuda {

// A non-blocking stream: another thread may copy on the legacy default stream (a
// buffer made outside every StreamOrderedAllocation copies there) while this one
// captures a graph, which a blocking stream forbids. DeviceBuffer's copies and fills
// finish before they return.
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

// A batch of row-major FP32 matrices: matrix b at data + b·stride, rows ld apart.
struct StridedMatrices {
  const float* data;
  int ld;
  long long stride;
};
struct StridedOutput {
  float* data;
  int ld;
  long long stride;
};

class Cublas {
 public:
  // Each handle's own; a lane's handle serves many groups, and group_memory_bytes still
  // counts it for each, which errs on the safe side.
  static constexpr std::size_t kWorkspaceBytes = 32u << 20;

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

  // The large ranks' products (cuda/kernels/dense_step.cuh), one per configuration, in
  // FP32 on the CUDA cores. Row-major, for each b < batches:
  //   C_b (M × N) = alpha · op(A_b) · op(B_b) + beta · C_b,   op(X) = Xᵀ where asked,
  // op(A_b) M × K and op(B_b) K × N. cuBLAS is column-major, where the same memory holds
  // C_bᵀ = op(B_b)ᵀ · op(A_b)ᵀ: B's operation comes first, each the one asked for.
  void gemm_batched(bool transpose_A, bool transpose_B, int M, int N, int K, float alpha, StridedMatrices A,
                    StridedMatrices B, float beta, StridedOutput C, int batches) {
    auto op = [](bool transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; };
    CUBLAS_CHECK(cublasSgemmStridedBatched(handle_, op(transpose_B), op(transpose_A), N, M, K, &alpha, B.data, B.ld, B.stride,
                                           A.data, A.ld, A.stride, &beta, C.data, C.ld, C.stride, batches));
  }

 private:
  template <class T>
  static constexpr cudaDataType type_of() {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, __nv_bfloat16>);
    return std::is_same_v<T, float> ? CUDA_R_32F : CUDA_R_16BF;
  }
  DeviceBuffer<float> workspace_;
  cublasHandle_t handle_{};
};

// What one group at a time trains with: a stream and a cuBLAS handle on it. The GPU
// backend keeps its lanes from group to group, since creating and destroying a cuBLAS
// handle per group synchronised the whole device (cublasDestroy does), and so stalled
// the groups training beside it.
struct Lane {
  Stream stream;
  Cublas blas{stream};
};

}  // namespace gammalab::cuda
