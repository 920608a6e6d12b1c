#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "gamma/input_error.hpp"
#include "gamma/scheme.hpp"
#include "gamma/verdicts.hpp"
#include "gamma/vocabulary.hpp"
#include "sim/lora_init.hpp"
#include "sim/prediction.hpp"
#include "sim/sweep_spec.hpp"
#include "sim/trainer.hpp"

using namespace gammalab;

namespace {

// The scheme names the engine knows, "custom" included, and those the simulator draws.
std::set<std::string> engine_schemes() {
  std::set<std::string> names = {std::string(gamma::kCustomScheme)};
  for (const auto& scheme : gamma::all_schemes()) names.insert(scheme.name);
  return names;
}
std::set<std::string> simulator_schemes() {
  auto names = sim::simulator_schemes();
  return {names.begin(), names.end()};
}

template <class Value>
void check_vocabulary(const gamma::Vocabulary<Value>& vocabulary) {
  CAPTURE(vocabulary.concept_name());
  std::set<std::string> seen;
  for (const auto& term : vocabulary.terms()) {
    CHECK(vocabulary.parse(term.name) == term.value);
    CHECK(vocabulary.name(term.value) == term.name);
    for (const auto& alias : term.aliases) CHECK(vocabulary.parse(alias) == term.value);
  }
  for (const auto& spelling : vocabulary.spellings()) CHECK(seen.insert(spelling).second);  // no spelling means two things
  try {
    vocabulary.parse("no-such-term");
    FAIL("an unknown term was accepted");
  } catch (const InputError& e) {
    const std::string message = e.what();
    CHECK(message.find("'no-such-term'") != std::string::npos);
    for (const auto& term : vocabulary.terms()) CHECK(message.find(term.name) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("every scheme the simulator draws, the engine knows, and the other way round") {
  CHECK(engine_schemes() == simulator_schemes());
  CHECK(engine_schemes().size() == gamma::all_schemes().size() + 1);
}

TEST_CASE("each vocabulary parses what it prints, accepts its aliases, and lists itself when it refuses") {
  check_vocabulary(gamma::settings());
  check_vocabulary(gamma::readouts());
  check_vocabulary(gamma::optimizers());
  check_vocabulary(sim::loss_statistics());
  CHECK(gamma::optimizers().parse("adamw") == gamma::Optimizer::Adam);
  CHECK(gamma::optimizers().accepted() == "adam (or adamw), sgd");
}

TEST_CASE("the verdict table has one row per verdict and per bound, keys distinct") {
  std::set<std::string> keys;
  int bounds = 0;
  for (const auto& kind : gamma::verdict_kinds()) {
    CHECK(keys.insert(kind.key).second);
    bounds += kind.is_bound;
  }
  CHECK(bounds == 2);
  CHECK(keys.count("stable") == 1);
}

// What docs/extending.md says a new scheme takes: a row in the engine's registry
// (gamma/scheme.cpp) and an initialiser in the simulator's (sim/lora_init.cpp). Here both
// are registered at run time, and the scheme then works in the engine, a spec and training.
TEST_CASE("a made-up scheme, registered in the two places the docs name, works end to end") {
  gamma::register_scheme({"made-up", "Init[made-up]", gamma::Exponent(gamma::Rational(-1)), gamma::Exponent::zero_quantity(),
                          false, "A₀ ~ N(0, 1/n²), B₀ = 0: a test's scheme"});
  CHECK(engine_schemes() != simulator_schemes());  // the consistency test would now fail
  sim::register_initialiser({"made-up",
                             [](const sim::InitContext& c, sim::LoraFactors& f) {
                               f.A = c.rng.normal_matrix(c.rank, c.student.width, 1.0 / c.student.width);
                             },
                             false, false});
  CHECK(engine_schemes() == simulator_schemes());
  CHECK_THROWS_AS(sim::register_initialiser({"never-heard-of", nullptr, false, false}), InputError);

  const sim::SweepSpec spec = sim::parse_sweep_spec(
      "[sweep]\nwidths = [16, 32]\nseeds = 1\nschemes = [\"made-up\"]\nsteps = 5\n[data]\ntrain_size = 16\ntest_size = 4\n", "spec");
  REQUIRE(spec.schemes == std::vector<std::string>{"made-up"});
  // The engine sees the scheme's own exponents. In the single module, with B₀ = 0,
  // γ[Z_B] = γ[η] + max(γ[Z_A⁰], γ[η] + 1) and γ[Z_A⁰] = −1 + 1/2 (CLT): bounded up to −1/2.
  const gamma::LoraModel model = sim::engine_model_of("made-up", spec.training, spec.readouts.front());
  CHECK(model.sigma_A.to_string() == "-1");
  CHECK(model.sigma_B.to_string() == "-inf");
  const auto made_up = sim::predict_max_stable_exponent(spec, "made-up", spec.readouts.front());
  REQUIRE(made_up.module);
  CHECK(*made_up.module == gamma::Rational(-1, 2));

  const sim::Dataset data = sim::make_teacher_dataset(spec.data);
  auto student = sim::make_frozen_student(data, 32, sim::Readout::Standard, 0);
  sim::TrainSpec training = spec.training;
  training.init.scheme = "made-up";
  const sim::TrainResult result = sim::train(*student, training);
  CHECK(result.steps_done == 5);
  CHECK(std::isfinite(result.final_train_loss));
}
