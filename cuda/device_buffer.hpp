#pragma once
// A typed block of GPU memory owned like a std::vector: never managed memory, freed on
// destruction, copied to and from host vectors with checks; a copy or fill has finished
// when its call returns.
//
// A buffer is allocated with plain cudaMalloc or, while the thread that creates it holds
// a StreamOrderedAllocation, from the device's memory pool in the order of that scope's
// stream (cudaMallocAsync), and then freed the same way (cudaFreeAsync). cudaFree waits
// for the whole device: a group's buffers are allocated and freed while other groups
// train on the same card (gpu_backend.cu), so theirs are stream-ordered, and the other
// groups' threads do not wait.
#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

#include "cuda/check.hpp"

namespace gammalab::cuda {

// While alive, the buffers its thread creates are stream-ordered on `stream` (which must
// outlive them). Scopes nest; the innermost decides.
class StreamOrderedAllocation {
 public:
  explicit StreamOrderedAllocation(cudaStream_t stream) : enclosing_(current_) { current_ = stream; }
  ~StreamOrderedAllocation() { current_ = enclosing_; }
  StreamOrderedAllocation(const StreamOrderedAllocation&) = delete;
  StreamOrderedAllocation& operator=(const StreamOrderedAllocation&) = delete;
  // The stream of this thread's innermost scope; none (nullptr) outside every scope.
  static cudaStream_t current() { return current_; }

 private:
  cudaStream_t enclosing_;
  static inline thread_local cudaStream_t current_ = nullptr;
};

// The memory pool that stream-ordered allocations on the current device come from.
inline cudaMemPool_t current_memory_pool() {
  int device = 0;
  cudaMemPool_t pool{};
  CUDA_CHECK(cudaGetDevice(&device));
  CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  return pool;
}

// `bytes` from the device's memory pool in `stream`'s order. Where the pool cannot grow,
// what it keeps unused (freed by groups that have finished) is released, once the device
// has finished (a free the host has not seen complete may count as in use), and the
// allocation tried once more.
inline void* allocate_in_stream_order(std::size_t bytes, cudaStream_t stream) {
  void* data = nullptr;
  cudaError_t status = cudaMallocAsync(&data, bytes, stream);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    CUDA_CHECK(cudaDeviceSynchronize());
    CUDA_CHECK(cudaMemPoolTrimTo(current_memory_pool(), 0));
    status = cudaMallocAsync(&data, bytes, stream);
  }
  if (status != cudaSuccess) cudaGetLastError();  // reported here, not by the next launch's check
  check_cuda(status, "cudaMallocAsync", __FILE__, __LINE__);
  return data;
}

template <typename T>
class DeviceBuffer {
 public:
  using value_type = T;
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) : count_(count), stream_(StreamOrderedAllocation::current()) {
    if (!count_) return;
    if (stream_) data_ = static_cast<T*>(allocate_in_stream_order(count_ * sizeof(T), stream_));
    else CUDA_CHECK(cudaMalloc(&data_, count_ * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept : data_(other.data_), count_(other.count_), stream_(other.stream_) {
    other.data_ = nullptr;
    other.count_ = 0;
    other.stream_ = nullptr;
  }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    std::swap(stream_, other.stream_);
    return *this;
  }
  ~DeviceBuffer() {
    if (!data_) return;
    if (stream_) cudaFreeAsync(data_, stream_);
    else cudaFree(data_);
  }

  T* get() const { return data_; }
  std::size_t size() const { return count_; }
  void upload(const std::vector<T>& host) {
    if (host.size() != count_) throw std::runtime_error("DeviceBuffer::upload: size mismatch");
    if (count_) CUDA_CHECK(cudaMemcpyAsync(data_, host.data(), count_ * sizeof(T), cudaMemcpyHostToDevice, copy_stream()));
    finish_copies();
  }
  std::vector<T> download() const {
    std::vector<T> host(count_);
    if (count_) CUDA_CHECK(cudaMemcpyAsync(host.data(), data_, count_ * sizeof(T), cudaMemcpyDeviceToHost, copy_stream()));
    finish_copies();
    return host;
  }
  void fill_zero() {
    if (count_) CUDA_CHECK(cudaMemsetAsync(data_, 0, count_ * sizeof(T), copy_stream()));
    finish_copies();
  }

 private:
  // Copies and fills run on the buffer's own stream where it is stream-ordered (its memory
  // is valid there), else on the legacy default stream, which the trainers' non-blocking
  // streams do not wait for; either way they are complete when the call returns.
  cudaStream_t copy_stream() const { return stream_ ? stream_ : cudaStreamLegacy; }
  void finish_copies() const { CUDA_CHECK(cudaStreamSynchronize(copy_stream())); }

  T* data_ = nullptr;
  std::size_t count_ = 0;
  cudaStream_t stream_ = nullptr;  // stream-ordered on it, or plain cudaMalloc
};

}  // namespace gammalab::cuda
