#pragma once
// One training step of a group, every configuration at once, as a sequence of launches
// on the group's stream (captured once into a CUDA graph and replayed, StepGraph):
//   Z·Aᵀ (split GEMM) → fragments of h's product and of w∘B → forward_kernel (f, u, the
//   mask) → the residual: f, ∂L/∂f, the loss and the divergence test → ∂L/∂Z_A →
//   fragments of D → grad_B_kernel (∂L/∂B) → ∂L/∂A = dZAᵀ·Z (split GEMM) → the update
//   of A and B → the step counter.
// With StepKernels::Gemm (the large ranks) the three products that hold R are GEMMs
// instead (kernels/dense_step.cuh): h's product, rectify_rows_kernel (f and G) and u = G·B
// in place of the fragments and forward_kernel; D and ∂L/∂B = s·Gᵀ·D in place of D's
// fragments and grad_B_kernel.
// Also the evaluations outside the step: the test loss, the curves' feature norms and
// the horizons' RMS of the adapter's output.
#include <stdexcept>

#include "cuda/group_memory.cuh"
#include "cuda/kernels/optimizer.cuh"
#include "sim/model/trainer.hpp"

namespace gammalab::cuda {

template <int R, StepKernels KERNELS = kernels_for_rank(R)>
class TrainingStep {
 public:
  static constexpr bool kTensorCore = KERNELS == StepKernels::TensorCore;

  // The scale is the spec's, α/r^κ of its own rank r, whatever R stores.
  TrainingStep(GroupMemory<R, KERNELS>& memory, Cublas& blas, cudaStream_t stream, const sim::TrainSpec& spec)
      : m_(memory), blas_(blas), stream_(stream), spec_(spec), scale_(static_cast<float>(sim::adapter_scale(spec))) {
    if constexpr (kTensorCore) {
      allow_forward_shared_memory<true, true>();
      allow_forward_shared_memory<true, false>();
      allow_forward_shared_memory<false, true>();
      allow_forward_shared_memory<false, false>();
    }
  }

  // One step, reading its number from `step` (1, 2, …) and the step's scalars from
  // scalars[step]; the training loss of config c goes to history[(step − 1)·C + c].
  void enqueue(const kernels::StepScalars* scalars, int* step, float* history) {
    forward(m_.train, m_.train_forward, m_.P_train, m_.ZA, true);
    residual(m_.train, m_.train_forward, &m_.dZA, history, step);
    gradient_of_B();
    gradient_of_A();
    const auto& o = spec_.optimizer;
    switch (o.kind) {  // no default: unsupported_on_gpu refuses an optimiser without a rule
      case sim::Optimizer::Sgd: update(kernels::SgdRule{}, scalars, step); break;
      case sim::Optimizer::Adam:
        update(kernels::AdamWRule{static_cast<float>(o.beta1), static_cast<float>(o.beta2), static_cast<float>(o.epsilon),
                                  static_cast<float>(o.weight_decay)},
               scalars, step);
        break;
    }
    for_each_index(1, kernels::AdvanceStep{step}, stream_);
  }

  // The training loss with the current parameters, per configuration (no gradients).
  void train_loss(float* loss_out) {
    forward(m_.train, m_.train_forward, m_.P_train, m_.ZA, false);
    residual(m_.train, m_.train_forward, nullptr, loss_out, nullptr);
  }
  void test_loss(float* loss_out) {
    forward(m_.test, m_.test_forward, m_.P_test, m_.test_ZA, false);
    residual(m_.test, m_.test_forward, nullptr, loss_out, nullptr);
  }

  // For the curves: per configuration, mean_i ‖Z_A(x_i)‖ and mean_i ‖Z_B(x_i)‖ on the
  // training split, the latter as s·√(z_iᵀ (BᵀB) z_i).
  void feature_norms(float* norm_Z_A, float* norm_Z_B) {
    product_ZA(m_.train, m_.ZA);
    kernels::feature_norms<R>(m_.gram_sums, m_.norm_sums, m_.ZA.get(), m_.B.get(), m_.train.rows, m_.n, m_.C, scale_, norm_Z_A,
                              norm_Z_B, stream_);
  }

  // For the horizons: per configuration, the RMS over the training rows and the n units
  // of s·Z_B, less s·Z_B⁰ where B₀A₀ is subtracted (sim::HorizonRecord::rms_Z_B).
  void adapter_output_rms(float* rms) {
    const int N = m_.train.rows, n = m_.n, C = m_.C;
    if (!m_.subtract) {
      product_ZA(m_.train, m_.ZA);
      kernels::adapter_output_rms<R, R>(m_.gram_sums, m_.norm_sums, {m_.ZA.get(), nullptr, C}, {m_.B.get(), nullptr, n}, N, n, C,
                                        scale_, rms, stream_);
      return;
    }
    // Z·(A − A₀)ᵀ, in FP32 by cuBLAS as P = Z·A₀ᵀ was: the change of Z_A, formed from the
    // change of A (kernels::LeftFactor says why).
    const int CR = static_cast<int>(m_.CR);
    for_each_index(static_cast<std::int64_t>(m_.A.size()), kernels::Change{m_.A.get(), m_.A0.get(), m_.A_change.get()}, stream_);
    blas_.gemm_nt(N, CR, n, m_.train.Z.get(), n, m_.A_change.get(), n, m_.ZA_change.get(), CR);
    kernels::adapter_output_rms<R, 2 * R>(m_.gram_sums, m_.norm_sums, {m_.ZA_change.get(), m_.P_train.get(), C},
                                          {m_.B.get(), m_.B0.get(), n}, N, n, C, scale_, rms, stream_);
  }

 private:
  // Z·Aᵀ: for the training split on the tensor cores (split_gemm.cuh), where each step
  // needs it; for the test split, wanted only at recorded steps, by cuBLAS in FP32.
  void product_ZA(const DeviceSplit& split, Floats& ZA) {
    const std::int64_t N = split.rows, CR = m_.CR, count = N * CR;
    const int n = m_.n;
    if (&split != &m_.train) {
      blas_.gemm_nt(split.rows, static_cast<int>(CR), n, split.Z.get(), n, m_.A.get(), n, ZA.get(), static_cast<int>(CR));
      return;
    }
    for_each_index(CR * n, split::SplitIntoTerms<false>{m_.A.get(), CR * n, m_.A_terms.get()}, stream_);
    for (int q = 0; q < split::kTerms; ++q)
      blas_.gemm_nt(split::blocks_of(q) * split.rows, static_cast<int>(CR), n, m_.Z_terms.get(), n,
                    m_.A_terms.get() + q * CR * n, n, m_.ZA_blocks.get() + split::first_block(q) * count, static_cast<int>(CR));
    for_each_index(count, split::SumOfBlocks{m_.ZA_blocks.get(), count, ZA.get()}, stream_);
  }

  // ∂L/∂A = dZAᵀ·Z on the tensor cores (split_gemm.cuh), the smallest terms first.
  void gradient_of_A() {
    const std::int64_t N = m_.train.rows, count = N * m_.CR;
    for_each_index(count, split::SplitIntoTerms<true>{m_.dZA.get(), count, m_.dZA_terms.get()}, stream_);
    for (int q = split::kTerms - 1; q >= 0; --q)
      blas_.gemm_tn(static_cast<int>(m_.CR), m_.n, split::blocks_of(q) * m_.train.rows,
                    m_.dZA_terms.get() + split::first_block(q) * count, m_.Z_terms.get(), m_.gA.get(),
                    q == split::kTerms - 1 ? 0.0f : 1.0f);
  }

  // The B fragments of h's product, [B, B₀] where B₀A₀ is subtracted.
  template <int F>
  void fill_product_fragments() {
    mma::fill_product_fragments<F>(m_.C, m_.product_tiles(), m_.n, kernels::ProductColumns<R>{m_.B.get(), m_.B0.get(), m_.n},
                                   m_.product_fragments.get(), stream_);
  }

  // f (and, with gradients, u and the mask or G) of every configuration on one split of the data.
  void forward(const DeviceSplit& split, ForwardPlan& plan, const Floats& P, Floats& ZA, bool with_gradient) {
    product_ZA(split, ZA);
    if constexpr (kTensorCore) forward_on_tensor_cores(split, plan, P, ZA, with_gradient);
    else forward_by_gemm(split, plan, P, ZA, with_gradient);
  }

  void forward_on_tensor_cores(const DeviceSplit& split, ForwardPlan& plan, const Floats& P, Floats& ZA, bool with_gradient) {
    const int column_tiles = mma::words_per_row(m_.n) * mma::kTilesPerWord;
    if (m_.subtract) fill_product_fragments<2 * R>();
    else fill_product_fragments<R>();
    if (with_gradient)
      mma::fill_masked_sum_fragments<R>(m_.C, column_tiles, m_.n, kernels::WeightedB<R>{m_.B.get(), m_.w.get(), m_.n},
                                        m_.wB_fragments.get(), stream_);
    if (m_.subtract && with_gradient) launch_forward<true, true>(split, plan, P, ZA);
    else if (m_.subtract) launch_forward<true, false>(split, plan, P, ZA);
    else if (with_gradient) launch_forward<false, true>(split, plan, P, ZA);
    else launch_forward<false, false>(split, plan, P, ZA);
  }

  void forward_by_gemm(const DeviceSplit& split, ForwardPlan& plan, const Floats& P, const Floats& ZA, bool with_gradient) {
    const kernels::DenseForwardOperands operands{split.H.get(), split.H_stride, ZA.get(), m_.subtract ? P.get() : nullptr,
                                                 m_.B.get(), m_.B0.get(), m_.w.get(), m_.product.get(), plan.f_part.get(),
                                                 with_gradient ? plan.u_part.get() : nullptr};
    kernels::dense_forward<R>(blas_, split.rows, m_.n, m_.C, scale_, operands, stream_);
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
    const dim3 blocks(blocks_over(N, kernels::kForwardRows), blocks_over(m_.C, kernels::forward_configs<R>()), plan.split.splits);
    const kernels::ForwardOperands operands{split.H.get(), split.H_stride, ZA.get(), P.get(), m_.w.get(),
                                            m_.product_fragments.get(), m_.wB_fragments.get(), plan.f_part.get(),
                                            GRADIENT ? plan.u_part.get() : nullptr, GRADIENT ? m_.mask_words.get() : nullptr};
    kernels::forward_kernel<R, SUBTRACT, GRADIENT><<<blocks, kernels::kForwardThreads, forward_shared_bytes<SUBTRACT>(), stream_>>>(
        N, m_.n, m_.C, plan.split.length / mma::kWordColumns, scale_, operands);
    CUDA_CHECK_LAUNCH();
  }

  // f from its partial sums and the loss (into loss_out[c], or at a training step into
  // loss_out[(step − 1)·C + c], with the divergence test) and, with dZA, ∂L/∂f,
  // ∂L/∂Z_A and the fragments of D.
  void residual(const DeviceSplit& split, ForwardPlan& plan, Floats* dZA, float* loss_out, const int* step) {
    const int N = split.rows, C = m_.C;
    kernels::residual_and_loss(plan.loss_sums, plan.f_part.get(), plan.split.splits, N, C, split.y.get(), plan.f.get(),
                               dZA ? plan.d_output.get() : nullptr, loss_out, m_.diverged.get(), step,
                               static_cast<float>(spec_.divergence_bound), stream_);
    if (dZA == nullptr) return;
    for_each_index(N * m_.CR,
                   kernels::BackpropFactors<R>{N, C, plan.split.splits, scale_, plan.d_output.get(), plan.u_part.get(), dZA->get()},
                   stream_);
    const kernels::OutputGradientTimesZA<R> D{plan.d_output.get(), m_.ZA.get(), N, C};
    if constexpr (kTensorCore) mma::fill_masked_sum_fragments<R>(C, mma::row_tiles(N), N, D, m_.D_fragments.get(), stream_);
    else for_each_index(N * m_.CR, kernels::RowsLayout<R, kernels::OutputGradientTimesZA<R>>{D, C, m_.D.get()}, stream_);
  }

  void gradient_of_B() {
    if constexpr (kTensorCore) gradient_of_B_on_tensor_cores();
    else gradient_of_B_by_gemm();
  }

  void gradient_of_B_by_gemm() {
    kernels::dense_grad_B<R>(blas_, m_.train.rows, m_.n, m_.C, scale_, m_.product.get(), m_.D.get(), m_.gB.get());
  }

  void gradient_of_B_on_tensor_cores() {
    const int N = m_.train.rows;
    const Split& split = m_.grad_split;
    const dim3 threads(kernels::kGradWarps * mma::kWarp);
    const dim3 blocks(blocks_over(m_.n, kernels::grad_columns<R>()), blocks_over(m_.C, kernels::grad_configs_per_warp<R>()),
                      split.splits);
    float* out = split.splits > 1 ? m_.grad_parts.get() : m_.gB.get();
    kernels::grad_B_kernel<R><<<blocks, threads, 0, stream_>>>(N, m_.n, m_.C, split.length / mma::kTile, scale_,
                                                               m_.mask_words.get(), m_.D_fragments.get(), m_.w.get(), out);
    CUDA_CHECK_LAUNCH();
    const std::int64_t count = static_cast<std::int64_t>(m_.gB.size());
    if (split.splits > 1) for_each_index(count, kernels::SumOfSplits{m_.grad_parts.get(), split.splits, count, m_.gB.get()}, stream_);
  }

  template <class Rule>
  void update(Rule rule, const kernels::StepScalars* scalars, const int* step) {
    const std::int64_t count = static_cast<std::int64_t>(m_.A.size());
    for_each_index(count, kernels::UpdateParameters<Rule>{rule, m_.factor_size(), m_.A.get(), m_.gA.get(),
                                                          m_.mA.get(), m_.vA.get(), m_.lr_A.get(), m_.diverged.get(), scalars, step},
                   stream_);
    for_each_index(count, kernels::UpdateParameters<Rule>{rule, m_.factor_size(), m_.B.get(), m_.gB.get(),
                                                          m_.mB.get(), m_.vB.get(), m_.lr_B.get(), m_.diverged.get(), scalars, step},
                   stream_);
  }

  GroupMemory<R, KERNELS>& m_;
  Cublas& blas_;
  cudaStream_t stream_;
  const sim::TrainSpec& spec_;
  const float scale_;
};

// A step captured once as a CUDA graph and replayed (launch gaps dominate at small
// widths). Where the driver refuses the capture, the step is launched eagerly instead.
class StepGraph {
 public:
  template <class Enqueue>
  StepGraph(cudaStream_t stream, Enqueue enqueue) : stream_(stream) {
    cudaGraph_t graph = nullptr;
    if (cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
      cudaGetLastError();
      return;
    }
    try {
      enqueue();
    } catch (const std::exception&) {
      cudaStreamEndCapture(stream_, &graph);
      if (graph) cudaGraphDestroy(graph);
      cudaGetLastError();
      return;
    }
    if (cudaStreamEndCapture(stream_, &graph) != cudaSuccess || cudaGraphInstantiate(&executable_, graph, 0) != cudaSuccess) {
      cudaGetLastError();
      if (graph) cudaGraphDestroy(graph);
      executable_ = nullptr;
      return;
    }
    CUDA_CHECK(cudaGraphDestroy(graph));
  }
  ~StepGraph() {
    if (executable_) cudaGraphExecDestroy(executable_);
  }
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // Replays the step, or launches it eagerly where there is no graph.
  template <class Enqueue>
  void launch(Enqueue enqueue) {
    if (executable_) CUDA_CHECK(cudaGraphLaunch(executable_, stream_));
    else enqueue();
  }

 private:
  cudaStream_t stream_;
  cudaGraphExec_t executable_ = nullptr;
};

}  // namespace gammalab::cuda
