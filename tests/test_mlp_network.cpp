#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>

#include "gamma/input_error.hpp"
#include "sim/analysis/mlp_coordcheck.hpp"
#include "sim/analysis/mlp_rates.hpp"
#include "sim/model/mlp_network.hpp"
#include "sim/sweep/mlp_spec.hpp"

using namespace gammalab;
using namespace gammalab::sim;

namespace {

MlpNetworkSpec small_network(gamma::Parametrization p, gamma::Optimizer o, int width) {
  MlpNetworkSpec spec;
  spec.width = width;
  spec.layers = 3;
  spec.input_dimension = 5;
  spec.batch = 4;
  spec.seed = 3;
  spec.data_seed = 1;
  set_parametrization(spec, gamma::mlp_preset(p, o, gamma::Alignment::Full, 3), 0.1);
  return spec;
}

}  // namespace

TEST_CASE("the backward pass is the loss's gradient: central differences agree on entries of every layer, ReLU and tanh") {
  for (Nonlinearity phi : {Nonlinearity::Relu, Nonlinearity::Tanh}) {
    MlpNetworkSpec spec = small_network(gamma::Parametrization::Mup, gamma::Optimizer::Sgd, 12);
    spec.nonlinearity = phi;
    auto weights = initial_mlp_weights(spec);
    const MlpLoss at = mlp_loss(spec, weights);
    for (std::size_t l = 0; l < weights.size(); ++l)
      for (Eigen::Index k : {Eigen::Index{0}, weights[l].size() - 1}) {
        const double h = 1e-6, saved = weights[l](k);
        weights[l](k) = saved + h;
        const double up = mlp_loss(spec, weights).value;
        weights[l](k) = saved - h;
        const double down = mlp_loss(spec, weights).value;
        weights[l](k) = saved;
        CAPTURE(l);
        CHECK(at.gradients[l](k) == doctest::Approx((up - down) / (2 * h)).epsilon(1e-5));
      }
  }
}

TEST_CASE("abc: Wˡ = n^-a wˡ with entries of standard deviation n^-b, and the rates η·n^-c") {
  const MlpNetworkSpec spec = small_network(gamma::Parametrization::Mup, gamma::Optimizer::Adam, 256);
  // μP: a = −1/2, 0, 1/2; b = 1/2; Adam c = 1/2, 1, 1/2.
  CHECK(spec.a == std::array<double, 3>{-0.5, 0, 0.5});
  CHECK(spec.learning_rates[1] == doctest::Approx(0.1 / 256));
  CHECK(spec.learning_rates[0] == doctest::Approx(0.1 / 16));
  const auto w = initial_mlp_weights(spec);
  REQUIRE(w.size() == 4);
  CHECK(w[1].rows() == 256);
  CHECK(w[1].cols() == 256);
  CHECK(w[3].rows() == 1);
  const double rms = std::sqrt(w[1].squaredNorm() / static_cast<double>(w[1].size()));
  CHECK(rms == doctest::Approx(1 / 16.0).epsilon(0.02));  // n^-1/2 over 65,536 entries
}

TEST_CASE("one SGD step moves each trained wˡ by −ηˡ times its gradient, and an untrained group not at all") {
  MlpNetworkSpec spec = small_network(gamma::Parametrization::Ntk, gamma::Optimizer::Sgd, 16);
  spec.steps = 1;
  spec.learning_rates = {0, 0.5, 0};  // the hidden layers alone
  const auto w0 = initial_mlp_weights(spec);
  auto w1 = w0;
  const MlpLoss at = mlp_loss(spec, w0);
  for (std::size_t l = 1; l + 1 < w1.size(); ++l) w1[l] -= 0.5 * at.gradients[l];
  Eigen::RowVectorXd trained;
  train_mlp(spec, [&](const MlpForward& now) {
    if (now.step == 1) trained = now.output;
    return true;
  });
  const Eigen::RowVectorXd by_hand = mlp_loss(spec, w1).output;
  REQUIRE(trained.size() == spec.batch);
  CHECK((trained - by_hand).cwiseAbs().maxCoeff() < 1e-14);
  CHECK((trained - at.output).cwiseAbs().maxCoeff() > 1e-3);  // the step did move it
}

TEST_CASE("one Adam step moves each entry of a trained wˡ by ηˡ against its gradient's sign: the sign-like step") {
  MlpNetworkSpec spec = small_network(gamma::Parametrization::Mup, gamma::Optimizer::Adam, 16);
  spec.steps = 1;
  spec.learning_rates = {0, 0.01, 0};
  const auto w0 = initial_mlp_weights(spec);
  auto w1 = w0;
  const MlpLoss at = mlp_loss(spec, w0);
  // Step 1's bias-corrected moments are g and g², so the step is η g / (|g| + ε).
  for (std::size_t l = 1; l + 1 < w1.size(); ++l)
    w1[l].array() -= 0.01 * at.gradients[l].array() / (at.gradients[l].array().abs() + spec.optimizer.epsilon);
  Eigen::RowVectorXd trained;
  train_mlp(spec, [&](const MlpForward& now) {
    if (now.step == 1) trained = now.output;
    return true;
  });
  CHECK((trained - mlp_loss(spec, w1).output).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("the learning-rate edges: each lies between a stable and an unstable rate, and the threads change nothing") {
  MlpExperimentSpec spec = parse_mlp_spec(
      "[mlp]\nwidths = [32, 64]\nseeds = 2\nparametrizations = [\"mup\"]\noptimizers = [\"adam\"]\nsteps = 2\nbatch = 4\nlayers = 2\n"
      "[edge]\ngroups = [\"hidden\", \"readout\"]\nprecision = 0.1\n",
      "t.toml");
  const MlpEdges edges = measure_mlp_edges(spec, 2);
  CHECK(edges.runs > 0);
  for (std::size_t g = 0; g < 2; ++g)
    for (std::size_t w = 0; w < 2; ++w)
      for (std::size_t s = 0; s < 2; ++s) {
        const auto edge = edges.eta[0][g][w][s];
        REQUIRE(edge.has_value());
        MlpNetworkSpec network = spec.network;
        network.width = spec.widths[w];
        network.seed = spec.seeds[s];
        set_parametrization(network, mlp_configurations(spec)[0], 1.0);
        network.learning_rates = {0, 0, 0};
        const auto group = static_cast<std::size_t>(spec.edge.groups[g]);
        // The edge is the geometric mean of a stable and an unstable rate a factor ≤ 1.1 apart.
        network.learning_rates[group] = *edge / 1.05;
        CHECK(mlp_run_stable(network, spec.edge));
        network.learning_rates[group] = *edge * 1.05;
        CHECK_FALSE(mlp_run_stable(network, spec.edge));
      }
  CHECK(measure_mlp_edges(spec, 1).eta == edges.eta);
  const nlohmann::json fitted = fit_mlp_edges(spec, edges);
  CHECK(fitted["curves"][0]["engine_alone"] == "-1");
  CHECK(fitted["curves"][0]["edges_not_found"] == 0);
}

TEST_CASE("the MLP spec: defaults, and bad values named with the table, key, value and what is accepted") {
  const std::string base = "[mlp]\nwidths = [64, 128]\nseeds = 2\n";
  const MlpExperimentSpec spec = parse_mlp_spec(base, "t.toml");
  CHECK(spec.parametrizations.size() == 4);
  CHECK(spec.optimizers.size() == 2);
  CHECK(spec.network.optimizer.epsilon == 1e-16);
  auto fails = [&](const std::string& text, const std::string& message) {
    CAPTURE(text);
    try {
      parse_mlp_spec(text, "t.toml");
      FAIL("accepted");
    } catch (const InputError& e) {
      const std::string what = e.what();
      CAPTURE(what);
      CHECK(what.find(message) != std::string::npos);
    }
  };
  fails(base + "parametrizations = [\"custom\"]\n", "t.toml: [mlp] parametrizations: got custom, which names no exponents");
  fails(base + "parametrizations = [\"mup\", \"muP\"]\n", "[mlp] parametrizations: lists mup twice");
  fails(base + "layers = 1\n", "[mlp] layers: got 1; accepted: a whole number from 2 to 64");
  fails(base + "nonlinearity = \"gelu\"\n", "[mlp] nonlinearity: got 'gelu'; accepted: relu, tanh");
  fails(base + "depth = 3\n", "[mlp] depth: unknown key");
  fails("[mlp]\nwidths = [64]\nseeds = 2\n", "[mlp] widths: needs at least two widths");
  fails(base + "[edge]\ngroups = [\"output\"]\n", "[edge] groups: got 'output'; accepted: input, hidden, readout");
  fails(base + "[sweep]\n", "unknown table [sweep]; accepted: mlp, learning_rate, edge, analysis");
  fails("[learning_rate]\nsgd = 1\n", "[mlp] is missing");
}

TEST_CASE("the coordinate check of μP under SGD at small widths: features Θ(1) at step 0, every step predicted") {
  MlpExperimentSpec spec = parse_mlp_spec(
      "[mlp]\nwidths = [64, 128, 256]\nseeds = 3\nparametrizations = [\"mup\", \"sp\"]\noptimizers = [\"sgd\"]\nsteps = 2\nbatch = 8\n"
      "[analysis]\nbootstrap = 200\n",
      "t.toml");
  const auto measured = measure_mlp_coordinates(spec, 2);
  const nlohmann::json fitted = fit_mlp_coordinates(spec, measured);
  REQUIRE(fitted["checks"].size() == 2);
  const auto& mup = fitted["checks"][0];
  CHECK(mup["parametrization"] == "mup");
  CHECK(mup["engine_stable"] == true);
  CHECK(mup["first_growth"].is_null());
  REQUIRE(mup["rows"].size() == 3 * 4);
  for (const auto& row : mup["rows"])
    if (row["step"] == 0 && row["quantity"] != "f") {
      CHECK(row["engine"] == "0");
      CHECK(std::abs(row["slope"].get<double>()) < 0.1);  // x^l = Θ(1) at initialisation
    }
  // μP's output starts at n^-1/2 (a readout of entries n^-1 summing n independent terms).
  CHECK(mup["rows"][3]["quantity"] == "f");
  CHECK(mup["rows"][3]["engine"] == "-1/2");
  // Standard parametrization at a width-independent SGD rate: Δx² grows as n^1/2 at step 1,
  // where the engine's stable path ends; Δx³ in the same forward pass is past it.
  const auto& sp = fitted["checks"][1];
  CHECK(sp["engine_stable"] == false);
  CHECK(sp["first_growth"] == nlohmann::json{{"step", 1}, {"quantity", "dx2"}});
  for (const auto& row : sp["rows"]) {
    const bool past = row["step"] == 2 || (row["step"] == 1 && (row["quantity"] == "dx3" || row["quantity"] == "df"));
    CHECK(row["predicted"] == !past);
    CHECK(row["verdict"].get<std::string>().starts_with("undetermined (past") == past);
    if (row["step"] == 1 && row["quantity"] == "dx2") {
      CHECK(row["engine"] == "1/2");
      CHECK(row["slope"].get<double>() > 0.3);
    }
  }
  // The runs do not depend on the thread count.
  CHECK(measure_mlp_coordinates(spec, 1).rms == measured.rms);
}
