#pragma once
// Normal numbers addressed by (key, index) rather than drawn from a stream, so that
// the n × n frozen weight W_h can be generated in parallel — by threads here, by CUDA
// threads on the GPU — and is the same matrix on both (the GPU backend includes this
// header). Each value uses two 53-bit uniforms from a SplitMix64 hash of its index and
// the cosine branch of Box–Muller, in double precision.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define GAMMALAB_HOST_DEVICE __host__ __device__
#else
#define GAMMALAB_HOST_DEVICE
#endif

namespace gammalab::sim {

GAMMALAB_HOST_DEVICE inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

GAMMALAB_HOST_DEVICE inline double counter_normal(std::uint64_t key, std::uint64_t index) {
  const double u1 = 1.0 - static_cast<double>(mix64(key ^ mix64(2 * index)) >> 11) * 0x1.0p-53;  // (0, 1]
  const double u2 = static_cast<double>(mix64(key ^ mix64(2 * index + 1)) >> 11) * 0x1.0p-53;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925286766559 * u2);
}

// The key of one weight matrix of the student of (width, seed): "W_in", "W_h", "w_out".
inline std::uint64_t student_key(std::uint64_t seed, int width, std::uint64_t which) {
  return mix64(mix64(seed) ^ mix64(static_cast<std::uint64_t>(width) * 0x100000001B3ULL + which));
}
enum StudentMatrix : std::uint64_t { kInputWeight = 1, kHiddenWeight = 2, kReadout = 3 };

}  // namespace gammalab::sim
