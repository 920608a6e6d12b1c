#pragma once
// The initialisation schemes, named as in the γ engine (`gammalab gamma table`):
//   A              A ~ N(0, 1/n), B = 0                               (paper 003)
//   B              A = 0, B ~ N(0, 1/r)                               (paper 003)
//   AB             A, B ~ N(0, 1/n)                                   (paper 000)
//   custom         entries of standard deviation c·n^γ for A and B, each given
//   inilora        A, B fitted to W_h by gradient descent on ‖W_h − s B A‖²  (paper 002)
//   inilora-alpha  A, B ~ N(0, 0.5²)                                  (paper 002)
//   inilora-beta   Kaiming normal on both: std √(2/fan-in); A's fan-in n, B's r
//   inilora-beta-uniform   Kaiming uniform on both: U(±√(6/fan-in))
//   pissa          top-r singular directions of W_h: B = U√S/√s, A = √S Vᵀ/√s
//   milora         the r smallest singular directions, likewise
// "Subtract the initial product" freezes W_h − s B₀A₀ so training starts at the
// pretrained model; each scheme's default follows its authors' code (DESIGN.md).
#include <Eigen/Dense>

#include <optional>
#include <string>
#include <vector>

#include "sim/student.hpp"

namespace gammalab::sim {

struct EntryScale {
  double constant = 1;  // c
  double exponent = 0;  // γ, as a double; −inf for an exactly zero matrix
  double at_width(int width) const;
};

struct InitSpec {
  std::string scheme = "A";
  std::optional<bool> subtract_initial_product;  // absent: the scheme's default
  EntryScale sigma_A, sigma_B;                    // custom only
  // AB and inilora-alpha: the standard deviation of A's and B's entries, in place of
  // the scheme's own (1/√n and 0.5); the [init_sigma] axis of a sweep sets it.
  std::optional<double> sigma;
  int inilora_steps = 500;                        // gradient-descent steps of the IniLoRA fit
};

const std::vector<std::string>& simulator_schemes();
bool subtracts_by_default(const std::string& scheme);

struct LoraFactors {
  Eigen::MatrixXd A;  // r × n
  Eigen::MatrixXd B;  // n × r
  bool subtract_initial_product = false;
  double fit_residual = 0;  // IniLoRA: ‖W_h − s B A‖_F / ‖W_h‖_F after the fit; else 0
};

LoraFactors initialise_lora(const InitSpec& spec, const FrozenStudent& student, int rank, double scale,
                            std::uint64_t seed);

}  // namespace gammalab::sim
