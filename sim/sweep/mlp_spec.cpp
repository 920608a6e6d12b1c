#include "sim/sweep/mlp_spec.hpp"

#include <algorithm>

#include "sim/sweep/spec_tables.hpp"

namespace gammalab::sim {

namespace {

const std::vector<std::string> kMlpTables = {"mlp", "learning_rate", "edge", "analysis"};

void read_mlp_table(TableReader mlp, MlpExperimentSpec& spec) {
  const toml::node* name = mlp.find("name");
  if (name && !name->is_string()) mlp.fail("name", "got " + TableReader::text_of(*name) + "; accepted: a quoted string");
  spec.name = name ? *name->value<std::string>() : spec.name;
  spec.scale = mlp.term("scale", Scale::Custom, scales());
  spec.widths = read_widths(mlp);
  if (spec.widths.size() < 2) mlp.fail("widths", "needs at least two widths, to fit a slope in n");
  for (int w : spec.widths)
    if (w > kMaxMlpWidth)
      mlp.fail("widths", "got " + std::to_string(w) + "; accepted: widths up to " + std::to_string(kMaxMlpWidth) +
                             " (a hidden layer's weights, gradient and Adam moments are 4 n × n matrices in FP64)");
  spec.seeds = read_seeds(mlp);
  if (mlp.find("parametrizations")) spec.parametrizations = mlp.terms("parametrizations", gamma::Parametrization::Mup, gamma::parametrizations());
  if (std::find(spec.parametrizations.begin(), spec.parametrizations.end(), gamma::Parametrization::Custom) != spec.parametrizations.end())
    mlp.fail("parametrizations", "got custom, which names no exponents; accepted: sp, ntk, mfp, mup");
  refuse_repeated_terms(mlp, "parametrizations", spec.parametrizations, gamma::parametrizations());
  if (mlp.find("optimizers")) spec.optimizers = mlp.terms("optimizers", gamma::Optimizer::Sgd, gamma::optimizers());
  refuse_repeated_terms(mlp, "optimizers", spec.optimizers, gamma::optimizers());
  MlpNetworkSpec& network = spec.network;
  network.layers = mlp.integer("layers", network.layers, gamma::kMinLayers, gamma::kMaxLayers);
  network.input_dimension = mlp.integer("input_dimension", network.input_dimension, 1, 1 << 16);
  network.batch = mlp.integer("batch", network.batch, 1, 1 << 16);
  network.nonlinearity = mlp.term("nonlinearity", network.nonlinearity, nonlinearities());
  network.steps = mlp.integer("steps", network.steps, 1, 1000);
  network.data_seed = static_cast<std::uint64_t>(mlp.integer("data_seed", 0, 0, 1 << 30));
  network.optimizer.beta1 = mlp.number("adam_beta1", network.optimizer.beta1, 0, 0.999999, "a number from 0 to 0.999999");
  network.optimizer.beta2 = mlp.number("adam_beta2", network.optimizer.beta2, 0, 0.999999, "a number from 0 to 0.999999");
  // ε = 0 would divide 0 by 0 where a gradient entry is exactly zero (a dead ReLU unit).
  network.optimizer.epsilon = mlp.number("adam_epsilon", network.optimizer.epsilon, 1e-300, 1, "a number from 1e-300 to 1");
  mlp.finish();
}

void read_learning_rate_table(TableReader lr, MlpExperimentSpec& spec) {
  spec.eta_sgd = lr.number("sgd", spec.eta_sgd, 1e-300, 1e300, "a number from 1e-300 to 1e300 (η in ηˡ = η·n^-cˡ)");
  spec.eta_adam = lr.number("adam", spec.eta_adam, 1e-300, 1e300, "a number from 1e-300 to 1e300 (η in ηˡ = η·n^-cˡ)");
  lr.finish();
}

void read_edge_table(TableReader edge, MlpEdgeSpec& spec) {
  if (edge.find("groups")) spec.groups = edge.terms("groups", gamma::LayerGroup::Input, gamma::layer_groups());
  refuse_repeated_terms(edge, "groups", spec.groups, gamma::layer_groups());
  spec.bound = edge.number("bound", spec.bound, 1e-6, 1e6, "a number from 1e-6 to 1e6");
  spec.start = edge.number("start", spec.start, spec.lowest, spec.highest, "a number from 1e-12 to 1e12");
  spec.precision = edge.number("precision", spec.precision, 1e-4, 1, "a number in [1e-4, 1]");
  edge.finish();
}

void read_analysis_table(TableReader analysis, MlpExperimentSpec& spec) {
  spec.bootstrap = analysis.integer("bootstrap", spec.bootstrap, 10, 1'000'000);
  spec.margin = analysis.number("margin", spec.margin, 1e-6, 10, "a number from 1e-6 to 10");
  analysis.finish();
}

}  // namespace

MlpExperimentSpec parse_mlp_spec(const std::string& text, const std::string& origin) {
  const toml::table root = parse_toml(text, origin);
  check_table_names(root, origin, kMlpTables);
  if (!root.contains("mlp")) throw InputError(origin + ": [mlp] is missing; it names the widths, seeds and network");
  auto table = [&](const std::string& name) { return TableReader(root[name].as_table(), origin, name); };
  MlpExperimentSpec spec;
  read_mlp_table(table("mlp"), spec);
  read_learning_rate_table(table("learning_rate"), spec);
  read_edge_table(table("edge"), spec.edge);
  read_analysis_table(table("analysis"), spec);
  return spec;
}

MlpExperimentSpec load_mlp_spec(const std::string& path) { return parse_mlp_spec(read_spec_file(path), path); }

nlohmann::json mlp_spec_to_json(const MlpExperimentSpec& spec) {
  auto names = [](const auto& values, const auto& vocabulary) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& v : values) list.push_back(vocabulary.name(v));
    return list;
  };
  const MlpNetworkSpec& n = spec.network;
  return {{"mlp",
           {{"name", spec.name},
            {"scale", scales().name(spec.scale)},
            {"widths", spec.widths},
            {"seeds", spec.seeds},
            {"parametrizations", names(spec.parametrizations, gamma::parametrizations())},
            {"optimizers", names(spec.optimizers, gamma::optimizers())},
            {"layers", n.layers},
            {"input_dimension", n.input_dimension},
            {"batch", n.batch},
            {"nonlinearity", nonlinearities().name(n.nonlinearity)},
            {"steps", n.steps},
            {"data_seed", n.data_seed},
            {"adam_beta1", n.optimizer.beta1},
            {"adam_beta2", n.optimizer.beta2},
            {"adam_epsilon", n.optimizer.epsilon}}},
          {"learning_rate", {{"sgd", spec.eta_sgd}, {"adam", spec.eta_adam}}},
          {"edge",
           {{"groups", names(spec.edge.groups, gamma::layer_groups())},
            {"bound", spec.edge.bound},
            {"start", spec.edge.start},
            {"precision", spec.edge.precision}}},
          {"analysis", {{"bootstrap", spec.bootstrap}, {"margin", spec.margin}}}};
}

}  // namespace gammalab::sim
