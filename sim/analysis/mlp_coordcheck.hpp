#pragma once
// The MLP's coordinate check: for each parametrization and optimiser of a spec, train
// the network of sim/model/mlp_network.hpp at ηˡ = η·n^-cˡ (the preset's own rates) at
// every width and seed, measure per step the RMS coordinate of each layer's features xˡ
// and of the output f at step 0, and of their changes Δxˡ_t = xˡ_t − xˡ_0 and
// Δf_t = f_t − f_0 after each update, fit each one's exponent in n and hold it against
// the γ engine's exact exponent (gamma/mlp.hpp, run_mlp) with the LoRA coordinate check's
// fit and verdict (sim/analysis/coordcheck.hpp: fit_coordinate_exponent).
//
// The engine is asked with alignment `full`: a trained network's update ΔWˡ ∝ dhˡ ⊗ xˡ⁻¹
// meets the very xˡ⁻¹ it was built from at the next step, which is what `full` assumes.
// The engine's steps follow the stable path (every input of a step at its initial
// order, the loss derivative Θ(1)). So its exponents predict the measurement up to the
// first quantity, in the order the network computes them (step by step, input layer to
// output), that grows with n: that one is computed from stable inputs; the layers after
// it in the same forward pass see a grown input, and the later steps a grown loss
// derivative. Those later rows keep their measured slope with the verdict
// "undetermined (past the first quantity that grows)".
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "sim/sweep/mlp_spec.hpp"

namespace gammalab::sim {

inline constexpr int kMlpCoordCheckVersion = 1;  // mlp-coordcheck.json

// The measured quantities at each step: xˡ (l = 1 … L) and f at step 0, Δxˡ and Δf after.
// Their keys: "x1" … "xL", "f"; "dx1" … "dxL", "df".
std::vector<std::string> mlp_quantity_keys(int layers, int step);
std::string mlp_quantity_symbol(const std::string& key);  // "x^1", "Δx^1", "f", "Δf"

// RMS sizes: [parametrization × optimiser][width][seed][step][layer 0 … L−1, then the output];
// NaN after a run stopped (its output not finite).
struct MlpCoordMeasurements {
  std::vector<std::vector<std::vector<std::vector<std::vector<double>>>>> rms;
};

// The (configuration, width, seed) runs are independent: `threads` run at once, and the
// measurements do not depend on how many. `progress` gets (runs done, runs in all).
MlpCoordMeasurements measure_mlp_coordinates(const MlpExperimentSpec& spec, int threads,
                                             const std::function<void(std::size_t, std::size_t)>& progress = {});

// mlp-coordcheck.json: {"version", "spec", "quantities", "checks": [{"parametrization",
// "optimizer", "eta", "engine_stable", "first_growth" ({"step", "quantity"} or null),
// "rows": [{"step", "quantity", "engine", "predicted", "slope", "interval", "verdict",
// "gap"}]}]}; "predicted": whether the row lies up to the first growth.
nlohmann::json fit_mlp_coordinates(const MlpExperimentSpec& spec, const MlpCoordMeasurements& measurements);
// The verdict lines `reproduce` prints and `report` shows: per (parametrization,
// optimiser), how many of the predicted (step, quantity) exponents agree, and which not.
std::vector<std::string> mlp_coordcheck_verdicts(const nlohmann::json& document);
// The measurements as mlp-coordcheck.csv: parametrization,optimizer,width,seed,step,quantity,rms.
std::string mlp_coordcheck_csv(const MlpExperimentSpec& spec, const MlpCoordMeasurements& measurements);

// The spec's (parametrization, optimiser) pairs in order, and the engine's model of each
// (its preset at the spec's depth, alignment full).
std::vector<gamma::MlpModel> mlp_configurations(const MlpExperimentSpec& spec);

}  // namespace gammalab::sim
