#pragma once
// The GPU trainer's kernels, for C configurations that share one frozen student and
// differ in their adapters. Layouts (row-major): H, Z: N × n; ZA = Z·Aᵀ, P = Z·A₀ᵀ,
// u, dZA, D: N × (C·R); the factors A and Bᵀ (and B₀ᵀ): (C·R) × n, config c owning
// rows c·R … c·R+R−1. With s = α/r, config c's pre-activation is
//   h_ij = H_ij + s Σ_k ZA_i,cR+k B_j,cR+k − s Σ_k P_i,cR+k B₀_j,cR+k
// (the last term only where B₀A₀ is subtracted; elsewhere P is zero).
// One step: ZA by cuBLAS; forward_kernel (f and u); residual_kernel (loss, ∂L/∂Z_A
// and D = ∂L/∂f·Z_A); grad_B_kernel; ∂L/∂A = dZAᵀ·Z by cuBLAS; adam_kernel.
// Each tile of H is read once from memory and reused by every configuration of a block.
#include <cuda_runtime.h>

#include <cstdint>

#include "sim/counter_normal.hpp"

namespace gammalab::cuda::kernels {

// Entries first … first+count−1 (row-major numbering) of a matrix whose entry number e
// is stddev · counter_normal(key, e), exactly as sim::counter_normal_matrix on the CPU.
__global__ void counter_normal_fill(float* out, std::uint64_t key, std::int64_t first, std::int64_t count, double stddev) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    out[e] = static_cast<float>(stddev * sim::counter_normal(key, static_cast<std::uint64_t>(first + e)));
}

__global__ void relu_copy(const float* in, float* out, std::int64_t count) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    out[e] = fmaxf(in[e], 0.0f);
}

constexpr int kForwardRows = 32, kConfigsPerBlock = 8;
template <int R>
constexpr int forward_columns() { return R <= 4 ? 64 : (R <= 8 ? 32 : 16); }

// f_c,i = Σ_j relu(h_ij) w_j and u_i,cR+k = Σ_j 1[h_ij > 0] w_j B_j,cR+k (so that
// ∂L/∂Z_A = s·∂L/∂f·u once f is known). Thread (row i, config c) walks all j.
template <int R, bool SUBTRACT>
__global__ void __launch_bounds__(kForwardRows* kConfigsPerBlock)
    forward_kernel(int N, int n, int C, float scale, const float* __restrict__ H, const float* __restrict__ ZA,
                   const float* __restrict__ P, const float* __restrict__ Bt, const float* __restrict__ B0t,
                   const float* __restrict__ w, float* __restrict__ f, float* __restrict__ u) {
  constexpr int IB = kForwardRows, CB = kConfigsPerBlock, JB = forward_columns<R>();
  __shared__ float Hs[JB][IB + 1];
  __shared__ float Bs[CB][JB][R];
  __shared__ float B0s[SUBTRACT ? CB : 1][SUBTRACT ? JB : 1][R];
  __shared__ float ws[JB];
  const int ii = threadIdx.x, cc = threadIdx.y, thread = cc * IB + ii;
  const int i = blockIdx.x * IB + ii, c = blockIdx.y * CB + cc;
  const bool active = i < N && c < C;
  const std::int64_t CR = static_cast<std::int64_t>(C) * R;
  float za[R], p[R], acc_u[R], acc_f = 0.0f;
#pragma unroll
  for (int k = 0; k < R; ++k) {
    za[k] = active ? scale * ZA[i * CR + c * R + k] : 0.0f;
    p[k] = (active && SUBTRACT) ? scale * P[i * CR + c * R + k] : 0.0f;
    acc_u[k] = 0.0f;
  }
  for (int j0 = 0; j0 < n; j0 += JB) {
    for (int e = thread; e < IB * JB; e += IB * CB) {
      int jj = e % JB, row = e / JB, gi = blockIdx.x * IB + row, gj = j0 + jj;
      Hs[jj][row] = (gi < N && gj < n) ? H[static_cast<std::int64_t>(gi) * n + gj] : 0.0f;
    }
    for (int e = thread; e < CB * R * JB; e += IB * CB) {
      int jj = e % JB, k = (e / JB) % R, config = e / (JB * R), gc = blockIdx.y * CB + config, gj = j0 + jj;
      bool inside = gc < C && gj < n;
      Bs[config][jj][k] = inside ? Bt[(static_cast<std::int64_t>(gc) * R + k) * n + gj] : 0.0f;
      if constexpr (SUBTRACT) B0s[config][jj][k] = inside ? B0t[(static_cast<std::int64_t>(gc) * R + k) * n + gj] : 0.0f;
    }
    for (int e = thread; e < JB; e += IB * CB) ws[e] = (j0 + e < n) ? w[j0 + e] : 0.0f;
    __syncthreads();
    if (active) {
      const int columns = min(JB, n - j0);
#pragma unroll 4
      for (int jj = 0; jj < columns; ++jj) {
        float h = Hs[jj][ii];
#pragma unroll
        for (int k = 0; k < R; ++k) h = fmaf(za[k], Bs[cc][jj][k], h);
        if constexpr (SUBTRACT) {
#pragma unroll
          for (int k = 0; k < R; ++k) h = fmaf(-p[k], B0s[cc][jj][k], h);
        }
        if (h > 0.0f) {
          const float wj = ws[jj];
          acc_f = fmaf(h, wj, acc_f);
#pragma unroll
          for (int k = 0; k < R; ++k) acc_u[k] = fmaf(wj, Bs[cc][jj][k], acc_u[k]);
        }
      }
    }
    __syncthreads();
  }
  if (active) {
    f[static_cast<std::int64_t>(c) * N + i] = acc_f;
    if (u != nullptr)
#pragma unroll
      for (int k = 0; k < R; ++k) u[i * CR + c * R + k] = acc_u[k];
  }
}

constexpr int kResidualThreads = 256;

// One block per configuration: loss_c = mean_i (f − y)², reduced in a fixed order; with
// `backward`, ∂L/∂f_i = 2(f_i − y_i)/N, dZA = s·∂L/∂f·u and D = ∂L/∂f·ZA. At a training
// step (step > 0) a loss that is not finite or exceeds the bound marks the configuration
// diverged at that step: from then on its parameters stay as they were.
template <int R>
__global__ void __launch_bounds__(kResidualThreads)
    residual_kernel(int N, int C, float scale, const float* __restrict__ f, const float* __restrict__ y,
                    const float* __restrict__ ZA, const float* __restrict__ u, float* __restrict__ dZA,
                    float* __restrict__ D, float* __restrict__ loss_out, int* __restrict__ diverged_step, int step,
                    float bound, bool backward) {
  __shared__ double partial[kResidualThreads];
  const int c = blockIdx.x;
  const std::int64_t CR = static_cast<std::int64_t>(C) * R;
  double sum = 0.0;
  for (int i = threadIdx.x; i < N; i += blockDim.x) {
    const float error = f[static_cast<std::int64_t>(c) * N + i] - y[i];
    sum += static_cast<double>(error) * error;
    if (backward) {
      const float d_output = 2.0f * error / static_cast<float>(N);
#pragma unroll
      for (int k = 0; k < R; ++k) {
        const std::int64_t at = i * CR + c * R + k;
        dZA[at] = scale * d_output * u[at];
        D[at] = d_output * ZA[at];
      }
    }
  }
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const float loss = static_cast<float>(partial[0] / N);
    loss_out[c] = loss;
    if (step > 0 && diverged_step[c] == 0 && (!isfinite(loss) || loss > bound)) diverged_step[c] = step;
  }
}

constexpr int kGradColumns = 32;
template <int R>
constexpr int grad_rows() { return R <= 4 ? 64 : (R <= 8 ? 32 : 16); }  // the shared tiles stay under 48 KB

// ∂L/∂B_j,cR+k = s w_j Σ_i 1[h_ij > 0] D_i,cR+k. Thread (column j, config c) walks all i,
// recomputing h_ij from its own row of B held in registers.
template <int R, bool SUBTRACT>
__global__ void __launch_bounds__(kGradColumns* kConfigsPerBlock)
    grad_B_kernel(int N, int n, int C, float scale, const float* __restrict__ H, const float* __restrict__ ZA,
                  const float* __restrict__ P, const float* __restrict__ D, const float* __restrict__ Bt,
                  const float* __restrict__ B0t, const float* __restrict__ w, float* __restrict__ gBt) {
  constexpr int JB = kGradColumns, CB = kConfigsPerBlock, IB = grad_rows<R>();
  __shared__ float Hs[IB][JB + 1];
  __shared__ float ZAs[CB][IB][R];
  __shared__ float Ds[CB][IB][R];
  __shared__ float Ps[SUBTRACT ? CB : 1][SUBTRACT ? IB : 1][R];
  const int jj = threadIdx.x, cc = threadIdx.y, thread = cc * JB + jj;
  const int j = blockIdx.x * JB + jj, c = blockIdx.y * CB + cc;
  const bool active = j < n && c < C;
  const std::int64_t CR = static_cast<std::int64_t>(C) * R;
  float b[R], b0[R], g[R];
#pragma unroll
  for (int k = 0; k < R; ++k) {
    b[k] = active ? scale * Bt[(static_cast<std::int64_t>(c) * R + k) * n + j] : 0.0f;
    b0[k] = (active && SUBTRACT) ? scale * B0t[(static_cast<std::int64_t>(c) * R + k) * n + j] : 0.0f;
    g[k] = 0.0f;
  }
  for (int i0 = 0; i0 < N; i0 += IB) {
    for (int e = thread; e < IB * JB; e += JB * CB) {
      int col = e % JB, row = e / JB, gi = i0 + row, gj = blockIdx.x * JB + col;
      Hs[row][col] = (gi < N && gj < n) ? H[static_cast<std::int64_t>(gi) * n + gj] : 0.0f;
    }
    for (int e = thread; e < IB * CB * R; e += JB * CB) {
      int k = e % R, config = (e / R) % CB, row = e / (R * CB), gi = i0 + row, gc = blockIdx.y * CB + config;
      bool inside = gi < N && gc < C;
      std::int64_t at = gi * CR + static_cast<std::int64_t>(gc) * R + k;
      ZAs[config][row][k] = inside ? ZA[at] : 0.0f;
      Ds[config][row][k] = inside ? D[at] : 0.0f;
      if constexpr (SUBTRACT) Ps[config][row][k] = inside ? P[at] : 0.0f;
    }
    __syncthreads();
    if (active) {
      const int rows = min(IB, N - i0);
#pragma unroll 4
      for (int ii = 0; ii < rows; ++ii) {
        float h = Hs[ii][jj];
#pragma unroll
        for (int k = 0; k < R; ++k) h = fmaf(ZAs[cc][ii][k], b[k], h);
        if constexpr (SUBTRACT) {
#pragma unroll
          for (int k = 0; k < R; ++k) h = fmaf(-Ps[cc][ii][k], b0[k], h);
        }
        if (h > 0.0f) {
#pragma unroll
          for (int k = 0; k < R; ++k) g[k] += Ds[cc][ii][k];
        }
      }
    }
    __syncthreads();
  }
  if (active) {
    const float factor = scale * w[j];
#pragma unroll
    for (int k = 0; k < R; ++k) gBt[(static_cast<std::int64_t>(c) * R + k) * n + j] = factor * g[k];
  }
}

// AdamW (decoupled decay, as PyTorch's) or SGD on a (C·R) × n parameter block; each
// configuration has its own learning rate; diverged configurations do not move.
__global__ void adam_kernel(std::int64_t count, std::int64_t per_config, float* __restrict__ parameter,
                            const float* __restrict__ gradient, float* __restrict__ first, float* __restrict__ second,
                            const float* __restrict__ learning_rate, const int* __restrict__ diverged_step, float lr_factor,
                            float beta1, float beta2, float epsilon, float weight_decay, float first_correction,
                            float second_correction, bool sgd) {
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < count;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t c = e / per_config;
    if (diverged_step[c] != 0) continue;
    const float lr = learning_rate[c] * lr_factor, g = gradient[e];
    if (sgd) {
      parameter[e] -= lr * g;
      continue;
    }
    const float m = beta1 * first[e] + (1.0f - beta1) * g;
    const float v = beta2 * second[e] + (1.0f - beta2) * g * g;
    first[e] = m;
    second[e] = v;
    float p = parameter[e];
    if (weight_decay != 0.0f) p *= 1.0f - lr * weight_decay;
    parameter[e] = p - lr * (m / first_correction) / (sqrtf(v / second_correction) + epsilon);
  }
}

// For the curves: per configuration, mean_i ‖Z_A(x_i)‖ and mean_i ‖Z_B(x_i)‖, the latter
// as s·√(z_iᵀ (BᵀB) z_i) from the R × R Gram matrix of B, computed here too.
template <int R>
__global__ void __launch_bounds__(kResidualThreads)
    feature_norms_kernel(int N, int n, int C, float scale, const float* __restrict__ ZA, const float* __restrict__ Bt,
                         float* __restrict__ norm_Z_A, float* __restrict__ norm_Z_B) {
  __shared__ double gram[R][R];
  __shared__ double partial[kResidualThreads];
  const int c = blockIdx.x;
  const std::int64_t CR = static_cast<std::int64_t>(C) * R;
  for (int a = 0; a < R; ++a)
    for (int b = 0; b < R; ++b) {
      double sum = 0.0;
      for (int j = threadIdx.x; j < n; j += blockDim.x)
        sum += static_cast<double>(Bt[(static_cast<std::int64_t>(c) * R + a) * n + j]) *
               Bt[(static_cast<std::int64_t>(c) * R + b) * n + j];
      partial[threadIdx.x] = sum;
      __syncthreads();
      for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
      }
      if (threadIdx.x == 0) gram[a][b] = partial[0];
      __syncthreads();
    }
  double sum_a = 0.0, sum_b = 0.0;
  for (int i = threadIdx.x; i < N; i += blockDim.x) {
    double z[R], quadratic = 0.0, square = 0.0;
    for (int k = 0; k < R; ++k) {
      z[k] = ZA[i * CR + c * R + k];
      square += z[k] * z[k];
    }
    for (int a = 0; a < R; ++a)
      for (int b = 0; b < R; ++b) quadratic += z[a] * gram[a][b] * z[b];
    sum_a += sqrt(square);
    sum_b += sqrt(fmax(quadratic, 0.0));
  }
  for (int pass = 0; pass < 2; ++pass) {
    partial[threadIdx.x] = pass == 0 ? sum_a : sum_b;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) (pass == 0 ? norm_Z_A : norm_Z_B)[c] = static_cast<float>(partial[0] / N * (pass == 0 ? 1.0 : scale));
    __syncthreads();
  }
}

}  // namespace gammalab::cuda::kernels
