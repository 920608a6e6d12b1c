#include "experiments/coordinate_check.hpp"

#include "gamma/input_error.hpp"
#include "sim/analysis/prediction.hpp"
#include "sim/sweep/result_directory.hpp"

namespace gammalab::experiments {

std::string engine_eta_exponent(const std::string& scheme, const sim::TrainSpec& training, sim::Readout readout,
                                const std::string& field) {
  auto top = sim::max_stable_exponent(sim::engine_model_of(scheme, training, readout));
  if (!top) reject(field, "the engine finds no maximal stable γ[η] for " + scheme);
  return gamma::to_string(*top);
}

nlohmann::json run_coordinate_check(const sim::CoordCheckSpec& spec, int threads,
                                    const std::optional<std::filesystem::path>& directory, const std::string& stem) {
  const auto measurements = sim::measure_coordinates(spec, threads);
  nlohmann::json fitted = sim::fit_coordinates(spec, measurements);
  if (directory) {
    std::filesystem::create_directories(*directory);
    sim::write_atomically(*directory / (stem + ".csv"), sim::coordcheck_csv(spec, measurements));
    sim::write_atomically(*directory / (stem + ".json"), fitted.dump(2) + "\n");
  }
  return fitted;
}

}  // namespace gammalab::experiments
