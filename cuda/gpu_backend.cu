#include "cuda/gpu_backend.hpp"

// The backend of one GPU: which specs it trains, the adapters' initial values (on the
// host, by sim/model/lora_init), and the groups, each trained by group_trainer.cuh.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <tuple>

#include "cuda/check.hpp"
#include "cuda/group_trainer.cuh"
#include "sim/model/counter_normal.hpp"
#include "sim/model/lora_init.hpp"

namespace gammalab::cuda {

namespace {
// The optimisers with an update kernel (a switch without default: the compiler names
// this place when an optimiser is added to the vocabulary).
bool has_update_kernel(sim::Optimizer optimizer) {
  switch (optimizer) {
    case sim::Optimizer::Adam:
    case sim::Optimizer::Sgd: return true;
  }
  return false;
}
}  // namespace

std::string unsupported_on_gpu(const sim::TrainSpec& spec) {
  if (!has_update_kernel(spec.optimizer.kind))
    return "[optimizer] kind = " + gamma::optimizers().name(spec.optimizer.kind) +
           ": the GPU backend has no update kernel for it; use --device cpu";
  if (spec.batch_size > 0)
    return "[training] batch_size = " + std::to_string(spec.batch_size) +
           ": the GPU backend trains full batch only; use --device cpu for minibatches";
  if (spec.rank < 1 || spec.rank > kLargestRank)
    return "[model] rank = " + std::to_string(spec.rank) + ": the GPU backend trains ranks 1 to " + std::to_string(kLargestRank) +
           "; use --device cpu for larger ones";
  // The spare columns of a stored rank have zero gradients and moments, which Adam's
  // step m/(√v + ε) leaves at zero only where ε > 0.
  if (spec.optimizer.kind == sim::Optimizer::Adam && spec.optimizer.epsilon == 0 && stored_rank(spec.rank) != spec.rank)
    return "[optimizer] epsilon = 0 with [model] rank = " + std::to_string(spec.rank) + ": the GPU backend stores this rank as " +
           std::to_string(stored_rank(spec.rank)) + " factor columns, the spare ones zero, which AdamW without ε turns into 0/0; " +
           "use epsilon > 0, a power-of-two rank or --device cpu";
  return {};
}

namespace {

bool needs_frozen_weight(const std::string& scheme) { return sim::find_initialiser(scheme).reads_frozen_weight; }

// A, B and B₀ of every configuration from the CPU's own initialisation code, on the
// host, at stored rank R (the columns past the rank zero); A₀ = A and B₀ = B where B₀A₀
// is subtracted (P = Z A₀ᵀ is formed on the device).
HostAdapters initial_adapters(const sim::StudentKey& key, const std::vector<sim::TrainSpec>& specs, int R) {
  const int n = key.width, rank = specs.front().rank, C = static_cast<int>(specs.size());
  const double scale = sim::adapter_scale(specs.front());
  sim::FrozenStudent host;
  host.width = n;
  if (std::any_of(specs.begin(), specs.end(), [](const sim::TrainSpec& s) { return needs_frozen_weight(s.init.scheme); }))
    host.W_h = sim::counter_normal_matrix(sim::student_key(key.seed, n, sim::kHiddenWeight), n, n,
                                          1 / std::sqrt(static_cast<double>(n)));
  HostAdapters out;
  out.rank = rank;
  const std::size_t size = static_cast<std::size_t>(C) * R * n;
  out.A.assign(size, 0.0f), out.B.assign(size, 0.0f), out.A0.assign(size, 0.0f), out.B0.assign(size, 0.0f);
  // The factors depend on the scheme and its σ, not on the learning rate: the group's
  // configurations share them, which spares repeating an IniLoRA fit or an SVD per rate.
  std::map<std::tuple<std::string, double, std::uint64_t>, sim::LoraFactors> initialised;
  for (int c = 0; c < C; ++c) {
    const auto& spec = specs[c];
    auto [at, fresh] = initialised.try_emplace({spec.init.scheme, spec.init.sigma.value_or(0), spec.seed});
    if (fresh) at->second = sim::initialise_lora(spec.init, host, rank, static_cast<float>(scale), spec.seed);
    const sim::LoraFactors& factors = at->second;
    out.fit_residual.push_back(factors.fit_residual);
    out.subtract = out.subtract || factors.subtract_initial_product;
    for (int k = 0; k < rank; ++k)
      for (int j = 0; j < n; ++j) {
        const std::size_t at_A = (static_cast<std::size_t>(c) * R + k) * n + j;
        const std::size_t at_B = (static_cast<std::size_t>(c) * n + j) * R + k;
        out.A[at_A] = static_cast<float>(factors.A(k, j));
        out.B[at_B] = static_cast<float>(factors.B(j, k));
        if (factors.subtract_initial_product) {
          out.A0[at_A] = out.A[at_A];
          out.B0[at_B] = out.B[at_B];
        }
      }
    out.lr_A.push_back(static_cast<float>(spec.lr_A));
    out.lr_B.push_back(static_cast<float>(spec.lr_B));
  }
  return out;
}

template <int R>
std::vector<sim::TrainResult> train_on_gpu(const sim::Dataset& data, const sim::StudentKey& key,
                                           const std::vector<sim::TrainSpec>& specs, int multiprocessors, Lane& lane) {
  check_group(specs);
  return GroupTrainer<R>(data, key, specs, initial_adapters(key, specs, R), multiprocessors, lane).run();
}

// The lanes of one GPU's groups, each used by one group at a time and kept for the next.
class Lanes {
 public:
  // A lane no group is using, made where none is idle; back to the idle ones when the
  // returned handle ends.
  auto take() {
    std::unique_ptr<Lane> lane;
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        lane = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (!lane) {
      lane = std::make_unique<Lane>();
      // Room among the idle ones for every lane made, so that giving one back never
      // allocates: the handle's deleter must not throw.
      std::lock_guard lock(mutex_);
      idle_.reserve(++made_);
    }
    auto give_back = [this](Lane* used) {
      std::lock_guard lock(mutex_);
      idle_.emplace_back(used);
    };
    return std::unique_ptr<Lane, decltype(give_back)>(lane.release(), give_back);
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Lane>> idle_;
  std::size_t made_ = 0;
};

// The trainer of one GPU. Every call makes its device current first, so that one
// process can drive several GPUs from several threads. It trains three groups at once,
// each on a lane of its own (a stream and a cuBLAS handle, kept from group to group): at
// small widths, and where refinement's groups are small, one group's launches leave the
// card partly idle (docs/gpu-notes.md, versions 10 and 16). A group that needs over a
// quarter of the card's memory trains alone. The groups' buffers come from the device's
// memory pool in their streams' order (device_buffer.hpp), and the pool keeps what they
// free for the next groups (check_memory counts it as free).
class GpuBackend final : public sim::TrainerBackend {
 public:
  explicit GpuBackend(int device) : device_(device) {
    CUDA_CHECK(cudaSetDevice(device_));
    cudaDeviceProp properties{};
    CUDA_CHECK(cudaGetDeviceProperties(&properties, device_));
    name_ = properties.name;
    multiprocessors_ = properties.multiProcessorCount;
    memory_bytes_ = static_cast<double>(properties.totalGlobalMem);
    cudaMemPool_t pool{};
    CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device_));
    std::uint64_t keep_all = UINT64_MAX;
    CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
  }
  // The lanes' handles and streams are released on this backend's device.
  ~GpuBackend() override { cudaSetDevice(device_); }
  int concurrent_groups() const override { return 3; }
  std::string describe() const override {
    return "gpu (" + name_ + ", FP32 accuracy; products as 3 × BF16 terms on tensor cores, above rank 16 partly FP32 GEMMs)";
  }

  std::vector<sim::TrainResult> train_group(const sim::Dataset& data, const sim::StudentKey& key,
                                            const std::vector<sim::TrainSpec>& specs,
                                            const std::function<void(std::size_t, const sim::TrainResult&)>& one_done) override {
    if (specs.empty()) return {};
    if (auto why = unsupported_on_gpu(specs.front()); !why.empty()) throw std::invalid_argument(why);
    CUDA_CHECK(cudaSetDevice(device_));
    std::shared_lock shared(sharing_, std::defer_lock);
    std::unique_lock alone(sharing_, std::defer_lock);
    const int C = static_cast<int>(specs.size());
    if (group_memory_bytes(data, key.width, C, specs.front().rank) > memory_bytes_ / 4) alone.lock();
    else shared.lock();
    const auto lane = lanes_.take();
    std::vector<sim::TrainResult> results;
    static_assert(kLargestRank == 256, "a stored rank for each power of two up to the largest");
    switch (stored_rank(specs.front().rank)) {
      case 1: results = train_on_gpu<1>(data, key, specs, multiprocessors_, *lane); break;
      case 2: results = train_on_gpu<2>(data, key, specs, multiprocessors_, *lane); break;
      case 4: results = train_on_gpu<4>(data, key, specs, multiprocessors_, *lane); break;
      case 8: results = train_on_gpu<8>(data, key, specs, multiprocessors_, *lane); break;
      case 16: results = train_on_gpu<16>(data, key, specs, multiprocessors_, *lane); break;
      case 32: results = train_on_gpu<32>(data, key, specs, multiprocessors_, *lane); break;
      case 64: results = train_on_gpu<64>(data, key, specs, multiprocessors_, *lane); break;
      case 128: results = train_on_gpu<128>(data, key, specs, multiprocessors_, *lane); break;
      default: results = train_on_gpu<256>(data, key, specs, multiprocessors_, *lane); break;
    }
    for (std::size_t i = 0; i < results.size(); ++i) one_done(i, results[i]);
    return results;
  }

 private:
  int device_;
  std::string name_;
  int multiprocessors_ = 1;
  double memory_bytes_ = 0;
  std::shared_mutex sharing_;  // held shared by a group that may share the card, alone by one that may not
  Lanes lanes_;
};

int usable_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    throw std::runtime_error("no usable GPU (cudaGetDeviceCount found none)");
  }
  return count;
}

}  // namespace

double gpu_group_memory_bytes(const sim::Dataset& data, int width, int configurations, int rank) {
  return group_memory_bytes(data, width, configurations, rank);
}

double gpu_memory_bytes(int device) {
  cudaDeviceProp properties{};
  CUDA_CHECK(cudaGetDeviceProperties(&properties, device));
  return static_cast<double>(properties.totalGlobalMem);
}

std::unique_ptr<sim::TrainerBackend> make_gpu_backend(int device) {
  const int count = usable_device_count();
  if (device < 0 || device >= count)
    throw std::runtime_error("GPU " + std::to_string(device) + " asked for, but this process sees " + std::to_string(count));
  return std::make_unique<GpuBackend>(device);
}

std::vector<std::unique_ptr<sim::TrainerBackend>> make_gpu_backends(int at_most) {
  std::vector<std::unique_ptr<sim::TrainerBackend>> all;
  for (int device = 0; device < std::min(usable_device_count(), at_most); ++device) all.push_back(std::make_unique<GpuBackend>(device));
  return all;
}

}  // namespace gammalab::cuda
