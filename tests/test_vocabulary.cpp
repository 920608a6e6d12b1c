#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "experiments/registry.hpp"
#include "experiments/sweep_job.hpp"
#include "gamma/input_error.hpp"
#include "gamma/rank.hpp"
#include "gamma/scheme.hpp"
#include "gamma/verdicts.hpp"
#include "gamma/vocabulary.hpp"
#include "sim/model/lora_init.hpp"
#include "sim/analysis/prediction.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/analysis/statistics.hpp"
#include "sim/sweep/sweep_spec.hpp"
#include "sim/model/trainer.hpp"

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

std::string uppercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

template <class Value>
void check_vocabulary(const gamma::Vocabulary<Value>& vocabulary) {
  CAPTURE(vocabulary.concept_name());
  std::set<std::string> seen;
  for (const auto& term : vocabulary.terms()) {
    CHECK(vocabulary.parse(term.name) == term.value);
    CHECK(vocabulary.name(term.value) == term.name);
    CHECK(vocabulary.parse(uppercase(term.name)) == term.value);  // the case rule
    CHECK_FALSE(term.title.empty());
    for (const auto& alias : term.aliases) {
      CHECK(vocabulary.parse(alias) == term.value);
      CHECK(vocabulary.parse(uppercase(alias)) == term.value);
    }
  }
  // No spelling means two things, in any case.
  for (const auto& spelling : vocabulary.spellings()) CHECK(seen.insert(uppercase(spelling)).second);
  CHECK(vocabulary.values().size() == vocabulary.terms().size());
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
  check_vocabulary(sim::schedule_decays());
  check_vocabulary(experiments::device_choices());
  check_vocabulary(gamma::named_multipliers());
  check_vocabulary(gamma::verdict_windows());
  check_vocabulary(sim::statistical_verdicts());
  check_vocabulary(sim::trend_verdicts());
  check_vocabulary(sim::stability_criteria());
  check_vocabulary(sim::estimators());
  check_vocabulary(sim::scales());
  CHECK(gamma::optimizers().parse("adamw") == gamma::Optimizer::Adam);
  CHECK(gamma::optimizers().parse("AdamW") == gamma::Optimizer::Adam);
  CHECK(gamma::optimizers().accepted() == "adam (or adamw), sgd");
}

// The names the result files hold: an existing result directory must keep reading.
TEST_CASE("the vocabularies keep the spellings the result files hold") {
  CHECK(sim::statistical_verdicts().names(sim::statistical_verdicts().values()) ==
        std::vector<std::string>{"agrees", "departs", "inconclusive", "undetermined"});
  CHECK(sim::trend_verdicts().names(sim::trend_verdicts().values()) ==
        std::vector<std::string>{"converging", "steady", "moving away", "curved", "inconclusive", "undetermined"});
  CHECK(sim::stability_criteria().names(sim::stability_criteria().values()) ==
        std::vector<std::string>{"final_loss", "output", "internal"});
  CHECK(sim::estimators().names(sim::estimators().values()) == std::vector<std::string>{"optimal", "max_stable"});
  CHECK(sim::scales().names(sim::scales().values()) == std::vector<std::string>{"quick", "paper", "custom"});
  CHECK(gamma::verdict_windows().names(gamma::verdict_windows().values()) ==
        std::vector<std::string>{"every_step", "definition_5", "from_settled"});
}

TEST_CASE("the multiplier: a named one or an exact κ, printed by its name where it has one") {
  CHECK(gamma::parse_multiplier("lora") == gamma::Rational(1));
  CHECK(gamma::parse_multiplier("rslora") == gamma::Rational(1, 2));
  CHECK(gamma::parse_multiplier("RS-LoRA") == gamma::Rational(1, 2));
  CHECK(gamma::parse_multiplier("3/4") == gamma::Rational(3, 4));
  CHECK(gamma::multiplier_name(gamma::parse_multiplier("1")) == "lora");
  CHECK(gamma::multiplier_name(gamma::parse_multiplier("0.5")) == "rslora");
  CHECK(gamma::multiplier_name(gamma::Rational(3, 4)) == "3/4");
  CHECK(gamma::multiplier_title(gamma::Rational(1, 2)) == "rsLoRA (α/√r)");
  CHECK(gamma::multiplier_title(gamma::Rational(3, 4)) == "α/r^3/4");
  CHECK_THROWS_WITH_AS(gamma::parse_multiplier("dora"),
                       "'dora' is not a multiplier; accepted: lora, rslora (or rs-lora) or an exponent κ ≥ 0 such as 3/4 (α/r^κ)",
                       InputError);
  CHECK_THROWS_AS(gamma::parse_multiplier("-1/2"), InputError);
}

TEST_CASE("the window of an answer: each name finds its own verdicts") {
  const gamma::EngineAnswer answer = gamma::answer(sim::engine_model_of("A", sim::TrainSpec{}, sim::Readout::Standard));
  CHECK(gamma::verdicts_in(answer, gamma::VerdictWindow::EveryStep) == &answer.every_step);
  CHECK(gamma::verdicts_in(answer, gamma::VerdictWindow::Definition5) == &answer.definition_5);
  CHECK(gamma::verdicts_in(answer, gamma::verdict_windows().parse("from_settled")) ==
        (answer.from_settled ? &*answer.from_settled : nullptr));
}

// The one case rule: the command line (gamma::find_scheme, behind --scheme) and a spec's
// [sweep] schemes resolve a scheme the same way, and the spec keeps its canonical name.
TEST_CASE("a scheme resolves the same on the command line and in a spec, stored by its canonical name") {
  auto spec_of = [](const std::string& schemes) {
    return sim::parse_sweep_spec("[sweep]\nwidths = [16, 32]\nseeds = 1\nsteps = 5\nschemes = [" + schemes +
                                     "]\n[data]\ntrain_size = 16\ntest_size = 4\n",
                                 "spec");
  };
  for (const std::string typed : {"B", "b", "Init[B]", "init[b]", "INIT[B]"}) {
    CAPTURE(typed);
    CHECK(gamma::find_scheme(typed).name == "B");
    CHECK(gamma::canonical_scheme_name(typed) == "B");
    CHECK(sim::find_initialiser(typed).name == "B");
    CHECK(spec_of("\"" + typed + "\"").schemes == std::vector<std::string>{"B"});
  }
  CHECK(gamma::canonical_scheme_name("Custom") == "custom");
  CHECK(gamma::find_scheme("IniLoRA-β").name == "inilora-beta");
  CHECK(gamma::find_scheme("PISSA").name == "pissa");
  // Two spellings of one scheme are one scheme listed twice.
  CHECK_THROWS_WITH_AS(spec_of("\"b\", \"B\""), doctest::Contains("lists B twice"), InputError);
  CHECK_THROWS_WITH_AS(spec_of("\"Init[Z]\""), doctest::Contains("[sweep] schemes: got 'Init[Z]'; accepted: A, B, AB"), InputError);
  CHECK_THROWS_WITH_AS(gamma::find_scheme("Init[Z]"), doctest::Contains("unknown scheme 'Init[Z]'; accepted: A, B, AB"), InputError);
}

TEST_CASE("a spec's names in any case are stored in their canonical spelling") {
  const sim::SweepSpec spec = sim::parse_sweep_spec(
      "[sweep]\nscale = \"Quick\"\nwidths = [16, 32]\nseeds = 1\nschemes = [\"a\"]\nsteps = 5\n"
      "[data]\ntrain_size = 16\ntest_size = 4\n[model]\nreadout = [\"SP\", \"muP\"]\nmultiplier = [\"LoRA\", \"RsLoRA\"]\n"
      "[optimizer]\nkind = \"AdamW\"\n[init]\nsubtract_initial = \"Off\"\n",
      "spec");
  CHECK(spec.scale == sim::Scale::Quick);
  CHECK(spec.multipliers == std::vector<std::string>{"lora", "rslora"});
  CHECK(spec.readouts == std::vector<sim::Readout>{sim::Readout::Standard, sim::Readout::MuP});
  CHECK(spec.training.init.subtract_initial_product == false);
  const nlohmann::json json = sim::spec_to_json(spec);
  CHECK(json["sweep"]["scale"] == "quick");
  CHECK(json["sweep"]["schemes"] == nlohmann::json{"A"});
  CHECK(json["model"]["readout"] == nlohmann::json{"sp", "mup"});
  CHECK(json["optimizer"]["kind"] == "adam");
  CHECK(json["init"]["subtract_initial"] == "off");
  CHECK(sim::spec_from_json(json, "manifest").scale == sim::Scale::Quick);
  CHECK_THROWS_WITH_AS(sim::parse_sweep_spec("[sweep]\nscale = \"huge\"\n", "spec"),
                       doctest::Contains("[sweep] scale: got 'huge'; accepted: quick, paper, custom"), InputError);
}

TEST_CASE("reproduce takes quick, paper or auto, and refuses custom saying why") {
  CHECK(experiments::reproduce_scale("quick") == sim::Scale::Quick);
  CHECK(experiments::reproduce_scale("Paper") == sim::Scale::Paper);
  CHECK_FALSE(experiments::reproduce_scale("auto").has_value());
  CHECK_FALSE(experiments::reproduce_scale("AUTO").has_value());
  CHECK_THROWS_WITH_AS(experiments::reproduce_scale("custom"),
                       doctest::Contains("scale 'custom' names no spec of an experiment (each has a quick and a paper one); "
                                         "accepted: quick, paper, auto"),
                       InputError);
  CHECK_THROWS_WITH_AS(experiments::reproduce_scale("huge"), "unknown scale 'huge'; accepted: quick, paper, auto", InputError);
  experiments::ReproduceRequest request;
  request.name = "fig2";
  request.scale = sim::Scale::Custom;
  CHECK_THROWS_WITH_AS(experiments::reproduce(request, [](const std::string&) {}, [](const sim::SweepProgress&) {}),
                       doctest::Contains("--scale: scale 'custom' names no spec"), InputError);
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
// (gamma/scheme.cpp) and an initialiser in the simulator's (sim/model/lora_init.cpp). Here both
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
