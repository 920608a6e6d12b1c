#include "cuda/gpu_backend.hpp"

#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <tuple>
#include <type_traits>

#include "cuda/check.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/lora_kernels.cuh"
#include "cuda/split_gemm.cuh"
#include "sim/counter_normal.hpp"
#include "sim/lora_init.hpp"

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
  switch (spec.rank) {
    case 1: case 2: case 4: case 8: case 16: return {};
    default: return "[model] rank = " + std::to_string(spec.rank) + ": the GPU backend supports ranks 1, 2, 4, 8 and 16";
  }
}

namespace {

using Floats = DeviceBuffer<float>;

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

// A CUDA stream owned for the lifetime of a group. It is non-blocking: another group's
// thread may copy on the legacy default stream while this one captures a graph, which
// a blocking stream forbids. DeviceBuffer's copies and fills finish before they return.
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

int grid_for(std::int64_t count, int threads = 256) {
  return static_cast<int>(std::min<std::int64_t>((count + threads - 1) / threads, 65535L * 16));
}

void fill_normal(float* out, std::uint64_t key, std::int64_t first, std::int64_t count, double stddev, cudaStream_t stream) {
  kernels::counter_normal_fill<<<grid_for(count), 256, 0, stream>>>(out, key, first, count, stddev);
  CUDA_CHECK_LAUNCH();
}

std::vector<float> to_floats(const Eigen::MatrixXd& m) {  // row-major
  std::vector<float> out(static_cast<std::size_t>(m.size()));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) out[static_cast<std::size_t>(i * m.cols() + j)] = static_cast<float>(m(i, j));
  return out;
}

int blocks_over(int extent, int per_block) { return (extent + per_block - 1) / per_block; }
int round_up(int value, int multiple) { return blocks_over(value, multiple) * multiple; }

// The frozen split on the device: Z = φ(X W_inᵀ), H = X W_inᵀ + Z W_hᵀ, y. H is padded
// with zeros to whole blocks of the forward kernel's rows and to whole mask words of
// columns (row stride H_stride), which spares that kernel every bounds check on H.
struct DeviceSplit {
  int rows = 0, H_stride = 0;
  Floats Z, H, y;
};

DeviceSplit freeze(Cublas& blas, cudaStream_t stream, const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Floats& W_in,
                   int n, std::uint64_t hidden_key) {
  DeviceSplit split;
  split.rows = static_cast<int>(X.rows());
  const int N = split.rows, d = static_cast<int>(X.cols());
  Floats X_device(to_floats(X));
  split.y = Floats(to_floats(y));
  split.Z = Floats(static_cast<std::size_t>(N) * n);
  split.H_stride = round_up(n, mma::kWordColumns);
  split.H = Floats(static_cast<std::size_t>(round_up(N, kernels::kForwardRows)) * split.H_stride);
  split.H.fill_zero();
  const int ldh = split.H_stride;
  blas.gemm_nt(N, n, d, X_device.get(), d, W_in.get(), d, split.H.get(), ldh);  // H = X W_inᵀ
  kernels::relu_copy<<<grid_for(static_cast<std::int64_t>(N) * n), 256, 0, stream>>>(split.H.get(), ldh, split.Z.get(), N, n);
  CUDA_CHECK_LAUNCH();
  // H += Z W_hᵀ, generating W_h a block of rows at a time so that no n × n matrix need
  // fit: at n = 2^16 it would take 16 GiB.
  const int block_rows = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(n, (1LL << 28) / n)));
  Floats W_block(static_cast<std::size_t>(block_rows) * n);
  for (int first = 0; first < n; first += block_rows) {
    const int rows = std::min(block_rows, n - first);
    fill_normal(W_block.get(), hidden_key, static_cast<std::int64_t>(first) * n, static_cast<std::int64_t>(rows) * n,
                1 / std::sqrt(static_cast<double>(n)), stream);
    blas.gemm_nt(N, rows, n, split.Z.get(), n, W_block.get(), n, split.H.get() + first, ldh, 1.0f);
  }
  return split;
}

// How a reduction dimension is split across thread blocks so that a launch has about
// eight blocks per multiprocessor: `splits` pieces of `length` (a multiple of the tile).
struct Split {
  int splits = 1, length = 0;
};
Split plan_split(std::int64_t blocks_without_split, int extent, int tile, int multiprocessors) {
  const std::int64_t wanted = 8LL * multiprocessors;
  int splits = static_cast<int>(std::clamp<std::int64_t>((wanted + blocks_without_split - 1) / blocks_without_split, 1,
                                                          (extent + tile - 1) / tile));
  int length = (extent + splits - 1) / splits;
  length = (length + tile - 1) / tile * tile;
  return {(extent + length - 1) / length, length};
}

// What a group of C configurations of rank R at width n holds on the GPU: H and Z (and
// Z's BF16 terms); A, B, their moments and gradients (and A's terms); the fragments of
// w∘B and of h's product (at most 2R factor columns); the N × C·R matrices (and dZA's
// terms and the blocks of Z·Aᵀ); the mask (a bit per training row, column and
// configuration); W_h's blocks.
double group_memory_bytes(const sim::Dataset& data, int n, int C, int R) {
  const double rows = static_cast<double>(data.X_train.rows() + data.X_test.rows());
  const double CR = static_cast<double>(C) * R, configs_by_width = static_cast<double>(C) * n;
  const double floats = 3.5 * rows * n + 11.5 * CR * n +
                        configs_by_width * (4 * mma::operand_tiles(R) + 8 * mma::product_chunks(2 * R)) + 17 * rows * CR +
                        static_cast<double>(data.X_train.rows()) * configs_by_width / 32 +
                        std::min<double>(static_cast<double>(n) * n, 1 << 28);
  return floats * sizeof(float);
}

bool needs_frozen_weight(const std::string& scheme) { return sim::find_initialiser(scheme).reads_frozen_weight; }

template <int R>
class GroupTrainer {
 public:
  GroupTrainer(const sim::Dataset& data, const sim::StudentKey& key, const std::vector<sim::TrainSpec>& specs,
               int multiprocessors)
      : multiprocessors_(multiprocessors),
        specs_(specs), first_(specs.front()), n_(key.width), C_(static_cast<int>(specs.size())),
        CR_(static_cast<std::int64_t>(C_) * R), scale_(static_cast<float>(first_.alpha / first_.rank)), blas_(stream_) {
    for (const auto& spec : specs)
      if (spec.steps != first_.steps || spec.rank != first_.rank || spec.alpha != first_.alpha ||
          spec.record_every != first_.record_every || spec.optimizer.kind != first_.optimizer.kind ||
          spec.schedule.decay != first_.schedule.decay || spec.divergence_bound != first_.divergence_bound)
        throw std::logic_error("a GPU group must share steps, rank, α, optimiser, schedule and recording");
    check_memory(data);
    Floats W_in(static_cast<std::size_t>(n_) * data.X_train.cols());
    fill_normal(W_in.get(), sim::student_key(key.seed, n_, sim::kInputWeight), 0, static_cast<std::int64_t>(W_in.size()),
                1 / std::sqrt(static_cast<double>(data.X_train.cols())), stream_);
    w_ = Floats(static_cast<std::size_t>(round_up(n_, mma::kWordColumns)));  // zeros past n, as H
    w_.fill_zero();
    fill_normal(w_.get(), sim::student_key(key.seed, n_, sim::kReadout), 0, n_, sim::readout_scale(key.readout, n_), stream_);
    const std::uint64_t hidden = sim::student_key(key.seed, n_, sim::kHiddenWeight);
    train_ = freeze(blas_, stream_, data.X_train, data.y_train, W_in, n_, hidden);
    test_ = freeze(blas_, stream_, data.X_test, data.y_test, W_in, n_, hidden);
    const std::int64_t N = train_.rows;
    Z_terms_ = DeviceBuffer<__nv_bfloat16>(static_cast<std::size_t>(split::kTerms * N * n_));
    split::split_into_terms<false><<<grid_for(N * n_), 256, 0, stream_>>>(train_.Z.get(), N * n_, Z_terms_.get());
    CUDA_CHECK_LAUNCH();
    A_terms_ = DeviceBuffer<__nv_bfloat16>(static_cast<std::size_t>(split::kTerms * CR_ * n_));
    dZA_terms_ = DeviceBuffer<__nv_bfloat16>(static_cast<std::size_t>(split::kBlocks * N * CR_));
    ZA_blocks_ = Floats(static_cast<std::size_t>(split::kBlocks * N * CR_));
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    initialise(key);
    allow_forward_shared_memory<true, true>();
    allow_forward_shared_memory<true, false>();
    allow_forward_shared_memory<false, true>();
    allow_forward_shared_memory<false, false>();
    train_forward_ = plan_forward(train_.rows, true);
    test_forward_ = plan_forward(test_.rows, false);
    const std::int64_t grad_blocks = static_cast<std::int64_t>(blocks_over(n_, kernels::grad_columns<R>())) *
                                     blocks_over(C_, kernels::grad_configs_per_warp<R>());
    grad_split_ = plan_split(grad_blocks, train_.rows, mma::kTile, multiprocessors_);
    if (grad_split_.splits > 1) grad_parts_ = Floats(static_cast<std::size_t>(grad_split_.splits) * CR_ * n_);
    mask_words_ = DeviceBuffer<std::uint32_t>(static_cast<std::size_t>(C_) * mma::row_tiles(train_.rows) *
                                              mma::words_per_row(n_) * mma::kWarp);
    wB_fragments_ = DeviceBuffer<uint2>(fragment_count(mma::words_per_row(n_) * mma::kTilesPerWord));
    product_fragments_ = DeviceBuffer<uint2>(static_cast<std::size_t>(C_) * product_tiles() *
                                             mma::product_chunks(product_factors()) * mma::kWarp);
    D_fragments_ = DeviceBuffer<uint2>(fragment_count(mma::row_tiles(train_.rows)));
  }

  std::vector<sim::TrainResult> run() {
    const int T = first_.steps, N = train_.rows;
    Buffers b{Floats(static_cast<std::size_t>(N) * CR_), Floats(static_cast<std::size_t>(N) * CR_),
              Floats(A_.size()), Floats(A_.size()), Floats(A_.size()),
              Floats(A_.size()), Floats(A_.size()), Floats(A_.size()),
              Floats(static_cast<std::size_t>(std::max(T, 1)) * C_)};
    for (Floats* moment : {&b.mA, &b.vA, &b.mB, &b.vB}) moment->fill_zero();
    std::vector<kernels::StepScalars> scalars(static_cast<std::size_t>(T) + 1);
    for (int t = 1; t <= T; ++t)
      scalars[t] = {static_cast<float>(first_.schedule.factor(t, T)),
                    static_cast<float>(1 - std::pow(first_.optimizer.beta1, t)),
                    static_cast<float>(1 - std::pow(first_.optimizer.beta2, t))};
    DeviceBuffer<kernels::StepScalars> step_scalars(scalars);
    DeviceBuffer<int> step(std::vector<int>{1});
    std::vector<int> record_steps;
    for (int t = 1; t <= T; ++t)
      if (first_.record_every > 0 && (t == 1 || t % first_.record_every == 0 || t == T)) record_steps.push_back(t);
    const std::size_t records = record_steps.size() * static_cast<std::size_t>(C_);
    Floats record_test(records), record_norm_A(records), record_norm_B(records);

    // Every step is the same sequence of launches: capture it once as a graph and replay
    // it (launch gaps dominate at small widths). Where capture is refused, launch eagerly.
    cudaGraphExec_t graph = capture_step(b, step_scalars, step);
    std::size_t next_record = 0;
    for (int t = 1; t <= T; ++t) {
      if (next_record < record_steps.size() && record_steps[next_record] == t) {
        // Curves see the parameters before step t's update, as on the CPU.
        const std::size_t at = next_record++ * static_cast<std::size_t>(C_);
        product_ZA(train_, b.ZA);
        kernels::feature_norms_kernel<R><<<C_, kernels::kResidualThreads, 0, stream_>>>(
            N, n_, C_, scale_, b.ZA.get(), B_.get(), record_norm_A.get() + at, record_norm_B.get() + at);
        CUDA_CHECK_LAUNCH();
        test_loss(record_test.get() + at);
      }
      if (graph) CUDA_CHECK(cudaGraphLaunch(graph, stream_));
      else enqueue_step(b, step_scalars, step);
    }
    if (graph) CUDA_CHECK(cudaGraphExecDestroy(graph));
    // The losses after the last update.
    Floats final_train(static_cast<std::size_t>(C_)), final_test(static_cast<std::size_t>(C_));
    forward(train_, train_forward_, P_train_, b.ZA, false);
    residual(train_, train_forward_, b.ZA, nullptr, final_train.get(), nullptr);
    test_loss(final_test.get());
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    return assemble(b.history.download(), diverged_.download(), final_train.download(), final_test.download(), record_steps,
                    record_test.download(), record_norm_A.download(), record_norm_B.download());
  }

 private:
  struct Buffers {
    Floats ZA, dZA, gA, gB, mA, vA, mB, vB, history;
  };

  // One optimiser step, every configuration at once, reading its step number from `step`.
  void enqueue_step(Buffers& b, const DeviceBuffer<kernels::StepScalars>& scalars, DeviceBuffer<int>& step) {
    forward(train_, train_forward_, P_train_, b.ZA, true);
    residual(train_, train_forward_, b.ZA, &b.dZA, b.history.get(), step.get());
    gradient_of_B(b.gB);
    gradient_of_A(b.dZA, b.gA);
    const auto& o = first_.optimizer;
    const bool sgd = o.kind == sim::Optimizer::Sgd;
    for (auto [parameter, gradient, first, second, lr] :
         {std::tuple{&A_, &b.gA, &b.mA, &b.vA, &lr_A_}, std::tuple{&B_, &b.gB, &b.mB, &b.vB, &lr_B_}}) {
      kernels::adam_kernel<<<grid_for(static_cast<std::int64_t>(A_.size())), 256, 0, stream_>>>(
          static_cast<std::int64_t>(A_.size()), static_cast<std::int64_t>(R) * n_, parameter->get(), gradient->get(),
          first->get(), second->get(), lr->get(), diverged_.get(), scalars.get(), step.get(), static_cast<float>(o.beta1),
          static_cast<float>(o.beta2), static_cast<float>(o.epsilon), static_cast<float>(o.weight_decay), sgd);
      CUDA_CHECK_LAUNCH();
    }
    kernels::advance_step<<<1, 1, 0, stream_>>>(step.get());
    CUDA_CHECK_LAUNCH();
  }

  // The step as a graph, or nothing when this driver refuses to capture it.
  cudaGraphExec_t capture_step(Buffers& b, const DeviceBuffer<kernels::StepScalars>& scalars, DeviceBuffer<int>& step) {
    if (first_.steps < 2) return nullptr;
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t executable = nullptr;
    if (cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
      cudaGetLastError();
      return nullptr;
    }
    try {
      enqueue_step(b, scalars, step);
    } catch (const std::exception&) {
      cudaStreamEndCapture(stream_, &graph);
      if (graph) cudaGraphDestroy(graph);
      cudaGetLastError();
      return nullptr;
    }
    if (cudaStreamEndCapture(stream_, &graph) != cudaSuccess || cudaGraphInstantiate(&executable, graph, 0) != cudaSuccess) {
      cudaGetLastError();
      if (graph) cudaGraphDestroy(graph);
      return nullptr;
    }
    CUDA_CHECK(cudaGraphDestroy(graph));
    return executable;
  }

  void check_memory(const sim::Dataset& data) const {
    std::size_t free_bytes = 0, total_bytes = 0;
    CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    const double needed = group_memory_bytes(data, n_, C_, R);
    if (needed > 0.95 * static_cast<double>(free_bytes))
      throw std::runtime_error("a group of width " + std::to_string(n_) + " with " + std::to_string(C_) + " configurations needs " +
                               std::to_string(needed / (1 << 30)) + " GiB of GPU memory; " +
                               std::to_string(static_cast<double>(free_bytes) / (1 << 30)) +
                               " GiB are free: fewer learning rates or schemes per sweep, or a smaller width");
  }

  // A, B and B₀ from the CPU's own initialisation code; P = Z A₀ᵀ where B₀A₀ is subtracted.
  void initialise(const sim::StudentKey& key) {
    sim::FrozenStudent host;
    host.width = n_;
    if (std::any_of(specs_.begin(), specs_.end(), [](const sim::TrainSpec& s) { return needs_frozen_weight(s.init.scheme); }))
      host.W_h = sim::counter_normal_matrix(sim::student_key(key.seed, n_, sim::kHiddenWeight), n_, n_,
                                            1 / std::sqrt(static_cast<double>(n_)));
    std::vector<float> A(static_cast<std::size_t>(CR_) * n_), B(A.size()), A0(A.size(), 0.0f), B0(A.size(), 0.0f);
    std::vector<float> lr_A, lr_B;
    // The factors depend on the scheme and its σ, not on the learning rate: the group's
    // configurations share them, which spares repeating an IniLoRA fit or an SVD per rate.
    std::map<std::tuple<std::string, double, std::uint64_t>, sim::LoraFactors> initialised;
    for (int c = 0; c < C_; ++c) {
      const auto& spec = specs_[c];
      auto [at, fresh] = initialised.try_emplace({spec.init.scheme, spec.init.sigma.value_or(0), spec.seed});
      if (fresh) at->second = sim::initialise_lora(spec.init, host, R, scale_, spec.seed);
      const sim::LoraFactors& factors = at->second;
      fit_residual_.push_back(factors.fit_residual);
      subtract_ = subtract_ || factors.subtract_initial_product;
      for (int k = 0; k < R; ++k)
        for (int j = 0; j < n_; ++j) {
          const std::size_t at_A = (static_cast<std::size_t>(c) * R + k) * n_ + j;
          const std::size_t at_B = (static_cast<std::size_t>(c) * n_ + j) * R + k;
          A[at_A] = static_cast<float>(factors.A(k, j));
          B[at_B] = static_cast<float>(factors.B(j, k));
          if (factors.subtract_initial_product) {
            A0[at_A] = A[at_A];
            B0[at_B] = B[at_B];
          }
        }
      lr_A.push_back(static_cast<float>(spec.lr_A));
      lr_B.push_back(static_cast<float>(spec.lr_B));
    }
    A_ = Floats(A);
    B_ = Floats(B);
    lr_A_ = Floats(lr_A);
    lr_B_ = Floats(lr_B);
    diverged_ = DeviceBuffer<int>(static_cast<std::size_t>(C_));
    diverged_.fill_zero();
    if (subtract_) {
      B0_ = Floats(B0);
      Floats A0_device(A0);
      for (auto [split, P] : {std::pair{&train_, &P_train_}, std::pair{&test_, &P_test_}}) {
        *P = Floats(static_cast<std::size_t>(split->rows) * CR_);
        blas_.gemm_nt(split->rows, static_cast<int>(CR_), n_, split->Z.get(), n_, A0_device.get(), n_, P->get(),
                      static_cast<int>(CR_));
      }
    }
  }

  // The forward kernel's split of the columns (in whole mask words), with buffers for
  // its partial sums of f (and of u where gradients are needed).
  struct ForwardPlan {
    Split split;
    Floats f_part, u_part, f, d_output;
  };
  ForwardPlan plan_forward(int rows, bool with_gradient) const {
    const std::int64_t blocks = static_cast<std::int64_t>(blocks_over(rows, kernels::kForwardRows)) *
                                blocks_over(C_, kernels::forward_configs<R>());
    ForwardPlan plan;
    plan.split = plan_split(blocks, n_, mma::kWordColumns, multiprocessors_);
    plan.f_part = Floats(static_cast<std::size_t>(plan.split.splits) * C_ * rows);
    plan.f = Floats(static_cast<std::size_t>(C_) * rows);
    if (with_gradient) {
      plan.u_part = Floats(static_cast<std::size_t>(plan.split.splits) * rows * CR_);
      plan.d_output = Floats(static_cast<std::size_t>(C_) * rows);
    }
    return plan;
  }

  int product_factors() const { return subtract_ ? 2 * R : R; }
  int product_tiles() const { return mma::words_per_row(n_) * mma::kWordColumns / mma::kProductColumns; }
  std::size_t fragment_count(int tiles) const {
    return static_cast<std::size_t>(C_) * tiles * mma::operand_tiles(R) * mma::kWarp;
  }
  // One row of blocks per configuration, over a buffer of `count` fragments in all.
  dim3 per_config_grid(std::size_t count) const {
    return dim3(static_cast<unsigned>((count / C_ + 255) / 256), static_cast<unsigned>(C_));
  }
  template <class Value>
  void fill_fragments(int tiles, int extent, Value value, DeviceBuffer<uint2>& out) {
    mma::b_fragments<mma::operand_tiles(R)><<<per_config_grid(out.size()), 256, 0, stream_>>>(
        tiles, mma::MaskedSumOperand<R, Value>{value, extent}, out.get());
    CUDA_CHECK_LAUNCH();
  }

  // The B fragments of h's product, [B, B₀] where B₀A₀ is subtracted.
  template <int F>
  void fill_product_fragments() {
    const mma::ProductOperand<F, kernels::ProductColumns<R>> entry{{B_.get(), B0_.get(), n_}, n_};
    mma::b_fragments<mma::product_chunks(F)><<<per_config_grid(product_fragments_.size()), 256, 0, stream_>>>(
        product_tiles(), entry, product_fragments_.get());
    CUDA_CHECK_LAUNCH();
  }

  // Z·Aᵀ: for the training split on the tensor cores (split_gemm.cuh), where each step
  // needs it; for the test split, wanted only at recorded steps, by cuBLAS in FP32.
  void product_ZA(const DeviceSplit& split, Floats& ZA) {
    const std::int64_t N = split.rows, count = N * CR_;
    if (&split != &train_) {
      blas_.gemm_nt(split.rows, static_cast<int>(CR_), n_, split.Z.get(), n_, A_.get(), n_, ZA.get(), static_cast<int>(CR_));
      return;
    }
    split::split_into_terms<false><<<grid_for(CR_ * n_), 256, 0, stream_>>>(A_.get(), CR_ * n_, A_terms_.get());
    CUDA_CHECK_LAUNCH();
    for (int q = 0; q < split::kTerms; ++q)
      blas_.gemm_nt(split::blocks_of(q) * split.rows, static_cast<int>(CR_), n_, Z_terms_.get(), n_, A_terms_.get() + q * CR_ * n_,
                    n_, ZA_blocks_.get() + split::first_block(q) * count, static_cast<int>(CR_));
    split::sum_blocks<<<grid_for(count), 256, 0, stream_>>>(ZA_blocks_.get(), count, ZA.get());
    CUDA_CHECK_LAUNCH();
  }

  // ∂L/∂A = dZAᵀ·Z on the tensor cores (split_gemm.cuh), the smallest terms first.
  void gradient_of_A(const Floats& dZA, Floats& gA) {
    const std::int64_t N = train_.rows, count = N * CR_;
    split::split_into_terms<true><<<grid_for(count), 256, 0, stream_>>>(dZA.get(), count, dZA_terms_.get());
    CUDA_CHECK_LAUNCH();
    for (int q = split::kTerms - 1; q >= 0; --q)
      blas_.gemm_tn(static_cast<int>(CR_), n_, split::blocks_of(q) * train_.rows, dZA_terms_.get() + split::first_block(q) * count,
                    Z_terms_.get(), gA.get(), q == split::kTerms - 1 ? 0.0f : 1.0f);
  }

  // f (and, with gradients, u and the mask) of every configuration on one split of the data.
  void forward(const DeviceSplit& split, ForwardPlan& plan, const Floats& P, Floats& ZA, bool with_gradient) {
    product_ZA(split, ZA);
    const int column_tiles = mma::words_per_row(n_) * mma::kTilesPerWord;
    if (subtract_) fill_product_fragments<2 * R>();
    else fill_product_fragments<R>();
    if (with_gradient) fill_fragments(column_tiles, n_, kernels::WeightedB<R>{B_.get(), w_.get(), n_}, wB_fragments_);
    if (subtract_ && with_gradient) launch_forward<true, true>(split, plan, P, ZA);
    else if (subtract_) launch_forward<true, false>(split, plan, P, ZA);
    else if (with_gradient) launch_forward<false, true>(split, plan, P, ZA);
    else launch_forward<false, false>(split, plan, P, ZA);
  }

  // The forward kernel's two stages pass the default 48 KB of shared memory: allowed
  // once, before any launch (and so outside the captured step).
  template <bool SUBTRACT>
  static constexpr std::size_t forward_shared_bytes() { return 2 * sizeof(kernels::ForwardStage<R, SUBTRACT>); }
  template <bool SUBTRACT, bool GRADIENT>
  static void allow_forward_shared_memory() {
    CUDA_CHECK(cudaFuncSetAttribute(kernels::forward_kernel<R, SUBTRACT, GRADIENT>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(forward_shared_bytes<SUBTRACT>())));
  }

  template <bool SUBTRACT, bool GRADIENT>
  void launch_forward(const DeviceSplit& split, ForwardPlan& plan, const Floats& P, const Floats& ZA) {
    const int N = split.rows;
    const dim3 threads(kernels::kForwardThreads);
    const dim3 blocks(blocks_over(N, kernels::kForwardRows), blocks_over(C_, kernels::forward_configs<R>()), plan.split.splits);
    kernels::forward_kernel<R, SUBTRACT, GRADIENT><<<blocks, threads, forward_shared_bytes<SUBTRACT>(), stream_>>>(
        N, n_, C_, plan.split.length / mma::kWordColumns, scale_, split.H.get(), split.H_stride, ZA.get(), P.get(), w_.get(),
        product_fragments_.get(), wB_fragments_.get(), plan.f_part.get(), GRADIENT ? plan.u_part.get() : nullptr,
        GRADIENT ? mask_words_.get() : nullptr);
    CUDA_CHECK_LAUNCH();
  }

  // f from its partial sums, the loss (into loss_out[c], or at a training step into
  // loss_out[(step − 1)·C + c]) and, with dZA, ∂L/∂Z_A and the fragments of D.
  void residual(const DeviceSplit& split, ForwardPlan& plan, const Floats& ZA, Floats* dZA, float* loss_out,
                const int* step) {
    const int N = split.rows;
    kernels::sum_forward_kernel<<<grid_for(static_cast<std::int64_t>(C_) * N), 256, 0, stream_>>>(
        N, C_, plan.split.splits, plan.f_part.get(), plan.f.get());
    CUDA_CHECK_LAUNCH();
    kernels::loss_kernel<<<C_, kernels::kResidualThreads, 0, stream_>>>(
        N, plan.f.get(), split.y.get(), dZA ? plan.d_output.get() : nullptr, loss_out, diverged_.get(), step,
        static_cast<float>(first_.divergence_bound));
    CUDA_CHECK_LAUNCH();
    if (dZA == nullptr) return;
    kernels::backprop_factors_kernel<R><<<grid_for(static_cast<std::int64_t>(N) * CR_), 256, 0, stream_>>>(
        N, C_, plan.split.splits, scale_, plan.d_output.get(), plan.u_part.get(), dZA->get());
    CUDA_CHECK_LAUNCH();
    fill_fragments(mma::row_tiles(N), N, kernels::OutputGradientTimesZA<R>{plan.d_output.get(), ZA.get(), N, C_}, D_fragments_);
  }

  void gradient_of_B(Floats& gB) {
    const int N = train_.rows;
    const dim3 threads(kernels::kGradWarps * mma::kWarp);
    const dim3 blocks(blocks_over(n_, kernels::grad_columns<R>()), blocks_over(C_, kernels::grad_configs_per_warp<R>()),
                      grad_split_.splits);
    float* out = grad_split_.splits > 1 ? grad_parts_.get() : gB.get();
    kernels::grad_B_kernel<R><<<blocks, threads, 0, stream_>>>(N, n_, C_, grad_split_.length / mma::kTile, scale_,
                                                               mask_words_.get(), D_fragments_.get(), w_.get(), out);
    CUDA_CHECK_LAUNCH();
    if (grad_split_.splits > 1) {
      kernels::sum_splits_kernel<<<grid_for(static_cast<std::int64_t>(gB.size())), 256, 0, stream_>>>(
          grad_parts_.get(), grad_split_.splits, static_cast<std::int64_t>(gB.size()), gB.get());
      CUDA_CHECK_LAUNCH();
    }
  }

  void test_loss(float* loss_out) {
    if (test_ZA_.size() == 0) test_ZA_ = Floats(static_cast<std::size_t>(test_.rows) * CR_);
    forward(test_, test_forward_, P_test_, test_ZA_, false);
    residual(test_, test_forward_, test_ZA_, nullptr, loss_out, nullptr);
  }

  // The CPU reference's semantics, per configuration (sim/trainer.cpp).
  std::vector<sim::TrainResult> assemble(const std::vector<float>& history, const std::vector<int>& diverged,
                                         const std::vector<float>& final_train, const std::vector<float>& final_test,
                                         const std::vector<int>& record_steps, const std::vector<float>& record_test,
                                         const std::vector<float>& norm_A, const std::vector<float>& norm_B) {
    const int T = first_.steps;
    std::vector<float> A, B;
    if (first_.keep_factors) {
      A = A_.download();
      B = B_.download();
    }
    std::vector<sim::TrainResult> results(static_cast<std::size_t>(C_));
    for (int c = 0; c < C_; ++c) {
      sim::TrainResult& r = results[c];
      auto loss_at = [&](int t) { return static_cast<double>(history[static_cast<std::size_t>(t - 1) * C_ + c]); };
      r.fit_residual = fit_residual_[c];
      r.initial_train_loss = T > 0 ? loss_at(1) : static_cast<double>(final_train[c]);
      const int diverged_at = diverged[c];
      r.steps_done = diverged_at ? diverged_at - 1 : T;
      std::vector<double> kept;
      for (int t = 1; t <= r.steps_done; ++t) {
        r.max_train_loss = std::max(r.max_train_loss, loss_at(t));
        kept.push_back(loss_at(t));
      }
      for (std::size_t i = 0; i < record_steps.size(); ++i) {
        const int t = record_steps[i];
        if (t > r.steps_done) break;
        const std::size_t at = i * C_ + c;
        r.curve.push_back({t, loss_at(t), record_test[at], first_.schedule.factor(t, T), norm_A[at], norm_B[at]});
      }
      if (first_.keep_factors) {
        r.final_A.resize(R, n_);
        r.final_B.resize(n_, R);
        for (int k = 0; k < R; ++k)
          for (int j = 0; j < n_; ++j) {
            r.final_A(k, j) = A[(static_cast<std::size_t>(c) * R + k) * n_ + j];
            r.final_B(j, k) = B[(static_cast<std::size_t>(c) * n_ + j) * R + k];
          }
      }
      const std::size_t last_k = std::min<std::size_t>(kept.size(), static_cast<std::size_t>(first_.last_k));
      double sum = 0;
      for (std::size_t i = kept.size() - last_k; i < kept.size(); ++i) sum += kept[i];
      r.mean_last_train = last_k ? sum / static_cast<double>(last_k) : r.initial_train_loss;
      r.final_train_loss = final_train[c];
      r.final_test_loss = final_test[c];
      if (diverged_at) {
        r.diverged = true;
        r.diverged_step = diverged_at;
      } else if (!std::isfinite(r.final_train_loss) || r.final_train_loss > first_.divergence_bound) {
        r.diverged = true;  // the very last update blew up
        r.diverged_step = T + 1;
      }
      if (r.diverged) r.final_train_loss = r.final_test_loss = r.mean_last_train = INFINITY;
    }
    return results;
  }

  const int multiprocessors_;
  Stream stream_;
  const std::vector<sim::TrainSpec>& specs_;
  const sim::TrainSpec& first_;
  const int n_, C_;
  const std::int64_t CR_;
  const float scale_;
  Cublas blas_;
  Floats w_;
  DeviceSplit train_, test_;
  Floats A_, B_, B0_, P_train_, P_test_, lr_A_, lr_B_, test_ZA_, grad_parts_;
  DeviceBuffer<std::uint32_t> mask_words_;        // the training step's ReLU mask, for ∂L/∂B
  DeviceBuffer<uint2> wB_fragments_, D_fragments_;  // the masked sums' operands (masked_mma.cuh)
  DeviceBuffer<uint2> product_fragments_;           // h's product's B operand (split_product.cuh)
  DeviceBuffer<__nv_bfloat16> Z_terms_, A_terms_, dZA_terms_;  // the large products' factors (split_gemm.cuh)
  Floats ZA_blocks_;                                            // and the six blocks of Z·Aᵀ
  ForwardPlan train_forward_, test_forward_;
  Split grad_split_;
  DeviceBuffer<int> diverged_;
  bool subtract_ = false;
  std::vector<double> fit_residual_;
};

// The trainer of one GPU. Every call makes its device current first, so that one
// process can drive several GPUs from several threads. It trains two groups at once,
// each on its own stream: at small widths one group's launches leave the card mostly
// idle. A group that needs over a quarter of the card's memory trains alone.
class GpuBackend final : public sim::TrainerBackend {
 public:
  explicit GpuBackend(int device) : device_(device) {
    CUDA_CHECK(cudaSetDevice(device_));
    cudaDeviceProp properties{};
    CUDA_CHECK(cudaGetDeviceProperties(&properties, device_));
    name_ = properties.name;
    multiprocessors_ = properties.multiProcessorCount;
    memory_bytes_ = static_cast<double>(properties.totalGlobalMem);
  }
  int concurrent_groups() const override { return 2; }
  std::string describe() const override {
    return "gpu (" + name_ + ", FP32 accuracy; products as 3 × BF16 terms on tensor cores)";
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
    std::vector<sim::TrainResult> results;
    switch (specs.front().rank) {
      case 1: results = GroupTrainer<1>(data, key, specs, multiprocessors_).run(); break;
      case 2: results = GroupTrainer<2>(data, key, specs, multiprocessors_).run(); break;
      case 4: results = GroupTrainer<4>(data, key, specs, multiprocessors_).run(); break;
      case 8: results = GroupTrainer<8>(data, key, specs, multiprocessors_).run(); break;
      default: results = GroupTrainer<16>(data, key, specs, multiprocessors_).run(); break;
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
