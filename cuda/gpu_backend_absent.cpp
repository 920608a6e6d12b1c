#include <stdexcept>

#include "cuda/gpu_backend.hpp"

namespace gammalab::cuda {

std::string unsupported_on_gpu(const sim::TrainSpec&) { return "this build has no CUDA"; }

namespace {
constexpr const char* kNoCuda = "this build of gammalab has no CUDA (nvcc was not found at configure time)";
}

double gpu_group_memory_bytes(const sim::Dataset&, int, int, int) { throw std::runtime_error(kNoCuda); }

double gpu_memory_bytes(int) { throw std::runtime_error(kNoCuda); }

std::unique_ptr<sim::TrainerBackend> make_gpu_backend(int) { throw std::runtime_error(kNoCuda); }

std::vector<std::unique_ptr<sim::TrainerBackend>> make_gpu_backends(int) { throw std::runtime_error(kNoCuda); }

}  // namespace gammalab::cuda
