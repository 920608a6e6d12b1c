#pragma once
// The coordinate check as a job: each quantity's exponent in n measured at η = C·n^γ[η],
// fitted, set beside the engine's, and written as coordcheck CSV and JSON. Used by
// `gammalab coordcheck` and by the coordcheck experiment of `reproduce`.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "sim/analysis/coordcheck.hpp"

namespace gammalab::experiments {

// The engine's maximal stable γ[η] for `scheme` in the network setting, the default γ[η]
// of a coordinate check; InputError naming `field` when the engine finds none.
std::string engine_eta_exponent(const std::string& scheme, const sim::TrainSpec& training, sim::Readout readout,
                                const std::string& field);

// Measures and fits; with `directory`, writes STEM.csv (the measurements) and STEM.json
// (the fit) there. Returns the fit.
nlohmann::json run_coordinate_check(const sim::CoordCheckSpec& spec, int threads,
                                    const std::optional<std::filesystem::path>& directory, const std::string& stem);

}  // namespace gammalab::experiments
