#include <stdexcept>

#include "cuda/gpu_backend.hpp"

namespace gammalab::cuda {

std::string unsupported_on_gpu(const sim::TrainSpec&) { return "this build has no CUDA"; }

std::unique_ptr<sim::TrainerBackend> make_gpu_backend() {
  throw std::runtime_error("this build of gammalab has no CUDA (nvcc was not found at configure time)");
}

}  // namespace gammalab::cuda
