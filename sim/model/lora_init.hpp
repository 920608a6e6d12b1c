#pragma once
// The simulator's side of the initialisation schemes: for each scheme of the γ engine
// (gamma/scheme.cpp), how A₀ and B₀ are drawn (the table in lora_init.cpp).
// "Subtract the initial product" freezes W_h − s B₀A₀ so training starts at the
// pretrained model; each scheme's default follows its authors' code (docs/design.md,
// "Init schemes: what the authors' code does").
#include <Eigen/Dense>

#include <optional>
#include <string>
#include <vector>

#include "sim/model/random.hpp"
#include "sim/model/student.hpp"

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

struct LoraFactors {
  Eigen::MatrixXd A;  // r × n
  Eigen::MatrixXd B;  // n × r
  bool subtract_initial_product = false;
  double fit_residual = 0;  // IniLoRA: ‖W_h − s B A‖_F / ‖W_h‖_F after the fit; else 0
};

// What a scheme's initialiser draws from.
struct InitContext {
  const InitSpec& spec;
  const FrozenStudent& student;
  int rank;
  double scale;  // the adapter multiplier α/r
  Rng& rng;
};

// How the simulator draws one scheme's factors. There is one row per scheme of the γ
// engine (gamma/scheme.cpp, the same name) and one for "custom"; a test checks that the
// two registries agree. Whether B₀A₀ is subtracted by default is the engine's row's.
struct SchemeInitialiser {
  std::string name;
  void (*draw)(const InitContext& context, LoraFactors& factors);  // A and B start at zero
  bool reads_frozen_weight;  // fits or decomposes W_h: the GPU backend builds W_h on the host
  bool takes_init_sigma;     // A's and B's entries N(0, σ²): the [init_sigma] axis of a sweep applies
};

// Every scheme the simulator can draw, in the engine's order, "custom" after them.
const std::vector<SchemeInitialiser>& scheme_initialisers();
// Adds a scheme's initialiser (a test's made-up scheme); its name must be a scheme the
// engine knows, registered with gamma::register_scheme (else InputError); throws
// std::invalid_argument when the name is taken.
void register_initialiser(SchemeInitialiser initialiser);
// By name or title, as the engine's registry finds it (gamma::find_scheme); InputError
// listing the accepted names.
const SchemeInitialiser& find_initialiser(const std::string& scheme);
std::vector<std::string> simulator_schemes();
// The engine's default for a scheme (custom: off).
bool subtracts_by_default(const std::string& scheme);

LoraFactors initialise_lora(const InitSpec& spec, const FrozenStudent& student, int rank, double scale,
                            std::uint64_t seed);

}  // namespace gammalab::sim
