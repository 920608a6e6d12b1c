#pragma once
// A typed block of GPU memory owned like a std::vector: plain cudaMalloc (never managed
// memory), freed on destruction, copied to and from host vectors with checks; a copy or
// fill has finished when its call returns.
#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

#include "cuda/check.hpp"

namespace gammalab::cuda {

template <typename T>
class DeviceBuffer {
 public:
  using value_type = T;
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    if (count_) CUDA_CHECK(cudaMalloc(&data_, count_ * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept : data_(other.data_), count_(other.count_) {
    other.data_ = nullptr;
    other.count_ = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    return *this;
  }
  ~DeviceBuffer() {
    if (data_) cudaFree(data_);
  }

  T* get() const { return data_; }
  std::size_t size() const { return count_; }
  void upload(const std::vector<T>& host) {
    if (host.size() != count_) throw std::runtime_error("DeviceBuffer::upload: size mismatch");
    if (count_) CUDA_CHECK(cudaMemcpy(data_, host.data(), count_ * sizeof(T), cudaMemcpyHostToDevice));
    finish_legacy_stream();
  }
  std::vector<T> download() const {
    std::vector<T> host(count_);
    if (count_) CUDA_CHECK(cudaMemcpy(host.data(), data_, count_ * sizeof(T), cudaMemcpyDeviceToHost));
    return host;
  }
  void fill_zero() {
    if (count_) CUDA_CHECK(cudaMemset(data_, 0, count_ * sizeof(T)));
    finish_legacy_stream();
  }

 private:
  // Copies and fills run on the legacy default stream, which the trainers' non-blocking
  // streams do not wait for: they are complete when upload and fill_zero return.
  static void finish_legacy_stream() { CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy)); }

  T* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace gammalab::cuda
