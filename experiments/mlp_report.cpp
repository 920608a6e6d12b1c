#include "experiments/mlp_report.hpp"

#include <sstream>

#include "gamma/input_error.hpp"

namespace gammalab::experiments {

using namespace gamma;

namespace {

constexpr const char* kExponentListForms =
    "one exact exponent for every layer group, or three separated by commas (input,hidden,readout), such as -1/2,0,1/2";

// "-1/2,0,1/2" → three exponents; "0" → the same for each group.
std::array<Rational, 3> exponent_list(const std::string& option, const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream stream(text);
  while (std::getline(stream, item, ',')) items.push_back(item);
  if (!text.empty() && text.back() == ',') items.push_back("");
  if (items.size() != 1 && items.size() != 3)
    reject(option, "'" + shown(text) + "' is not one exponent or three; accepted: " + kExponentListForms);
  std::array<Rational, 3> values;
  for (std::size_t g = 0; g < 3; ++g) {
    const std::string& one = items[items.size() == 1 ? 0 : g];
    auto value = parse_rational(one);
    if (!value) {
      try {
        refuse_number(one, "an exponent", kExponentListForms);
      } catch (const InputError& e) {
        reject(option, e.what());
      }
    }
    values[g] = *value;
  }
  return values;
}

template <class Value>
Value term(const Vocabulary<Value>& vocabulary, const std::string& option, const std::string& text) {
  try {
    return vocabulary.parse(text);
  } catch (const InputError& e) {
    reject(option, e.what());
  }
}

std::string text(const MaxAffine& g) { return g.to_string(Notation::Text); }
nlohmann::json exponents_json(const std::vector<MaxAffine>& values) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& value : values) list.push_back(text(value));
  return list;
}
nlohmann::json optional_rational(const std::optional<Rational>& value) {
  return value ? nlohmann::json(to_string(*value)) : nlohmann::json(nullptr);
}

nlohmann::json step_json(int t, const MlpStep& step) {
  nlohmann::json document{{"step", t}, {"backward", exponents_json(step.backward)}};
  if (t == 0) {
    document["features"] = exponents_json(step.features);
    document["output"] = text(step.output);
  } else {
    document["feature_change"] = exponents_json(step.feature_change);
    document["update"] = exponents_json(step.update);
    document["output_change"] = text(step.output_change);
    document["readout_update_term"] = text(step.readout_update_term);
    document["readout_initial_term"] = text(step.readout_initial_term);
  }
  return document;
}

std::string yes_no(bool value) { return value ? "yes" : "no"; }

std::string describe(const MlpModel& model) {
  return parametrizations().title(model.parametrization) + " (" + parametrizations().name(model.parametrization) + "), " +
         optimizers().title(model.optimizer) + ", " + alignments().title(model.alignment) + ", L = " +
         std::to_string(model.layers) + " hidden layers";
}

std::string pad(const std::string& text, std::size_t width) {
  // Width in characters as a terminal shows them: count UTF-8 lead bytes only.
  std::size_t shown = 0;
  for (unsigned char c : text) shown += (c & 0xC0) != 0x80;
  return text + std::string(shown < width ? width - shown : 1, ' ');
}

}  // namespace

MlpModel mlp_model_from(const std::function<std::optional<std::string>(const std::string&)>& given) {
  const Parametrization parametrization =
      given("parametrization") ? term(parametrizations(), "--parametrization", *given("parametrization")) : Parametrization::Mup;
  const Optimizer optimizer = given("optimizer") ? term(optimizers(), "--optimizer", *given("optimizer")) : Optimizer::Sgd;
  const Alignment alignment = given("alignment") ? term(alignments(), "--alignment", *given("alignment")) : Alignment::Full;
  int layers = 3;
  if (auto text = given("layers")) {
    std::size_t used = 0;
    try {
      layers = std::stoi(*text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text->size() || layers < kMinLayers || layers > kMaxLayers)
      reject("--layers", "'" + shown(*text) + "' is not a number of hidden layers; accepted: an integer from " +
                             std::to_string(kMinLayers) + " to " + std::to_string(kMaxLayers));
  }
  MlpModel model = mlp_preset(parametrization, optimizer, alignment, layers);
  for (const char* letter : {"a", "b", "c"}) {
    auto text = given(letter);
    const std::string option = std::string("--") + letter;
    if (!text) {
      if (parametrization == Parametrization::Custom)
        reject(option, "the custom parametrization needs --a, --b and --c; accepted: " + std::string(kExponentListForms));
      continue;
    }
    auto values = exponent_list(option, *text);
    for (int g = 0; g < 3; ++g) {
      Abc& abc = model.groups[g];
      (letter[0] == 'a' ? abc.a : letter[0] == 'b' ? abc.b : abc.c) = values[g];
    }
  }
  return model;
}

nlohmann::json mlp_json(const MlpModel& model, MlpDetail detail) {
  std::vector<MlpDerivationLine> lines;
  const MlpAnswer answer = answer_mlp(model, detail.derivation ? &lines : nullptr);
  nlohmann::json groups = nlohmann::json::object();
  for (LayerGroup g : kLayerGroups) {
    const Abc& abc = model.group(g);
    const GroupVerdict& verdict = answer.verdicts.at(g);
    const GroupRate& rate = answer.rates.at(g);
    groups[layer_groups().name(g)] = {
        {"a", to_string(abc.a)},
        {"b", to_string(abc.b)},
        {"c", to_string(abc.c)},
        {"rate", to_string(-abc.c)},
        {"max_stable", optional_rational(rate.max_stable)},
        {"stable_region", rate.stable_region},
        {"binding", rate.binding},
        {"stable", verdict.stable},
        {"feature_learning", verdict.feature_learning},
        {"change", text(verdict.change)},
    };
  }
  nlohmann::json document{
      {"command", "mlp"},
      {"parametrization", parametrizations().name(model.parametrization)},
      {"optimizer", optimizers().name(model.optimizer)},
      {"alignment", alignments().name(model.alignment)},
      {"layers", model.layers},
      {"initialisation_stable", answer.initialisation_stable},
      {"initialisation_faults", answer.initialisation_faults},
      {"stable", answer.stable},
      {"feature_learning", answer.feature_learning},
      {"nontrivial", answer.nontrivial},
      {"r", optional_rational(answer.r)},
      {"settled_from", answer.trajectory.settled_from},
      {"groups", groups},
  };
  if (detail.steps) {
    nlohmann::json steps = nlohmann::json::array();
    for (std::size_t t = 0; t < answer.trajectory.steps.size(); ++t) steps.push_back(step_json(static_cast<int>(t), answer.trajectory.steps[t]));
    document["steps"] = steps;
  }
  if (detail.derivation) {
    nlohmann::json derivation = nlohmann::json::array();
    for (const auto& line : lines)
      derivation.push_back({{"step", line.step}, {"quantity", line.quantity}, {"equation", line.equation},
                            {"rule", line.rule}, {"result", text(line.result)}});
    document["derivation"] = derivation;
  }
  return document;
}

nlohmann::json mlp_table_json(int layers) {
  nlohmann::json rows = nlohmann::json::array();
  for (Parametrization p : parametrizations().values()) {
    if (p == Parametrization::Custom) continue;
    for (Optimizer o : optimizers().values())
      for (Alignment alignment : alignments().values()) rows.push_back(mlp_json(mlp_preset(p, o, alignment, layers)));
  }
  return {{"command", "mlp-table"}, {"layers", layers}, {"rows", rows}};
}

std::string mlp_text(const MlpModel& model, MlpDetail detail) {
  const nlohmann::json document = mlp_json(model, detail);
  std::ostringstream out;
  out << describe(model) << "\nWˡ = n^-a wˡ, wˡ entries n^-b, learning rate ηˡ = η n^-c, so γ[ηˡ] = −c\n\n";
  out << pad("group", 9) << pad("a", 6) << pad("b", 6) << pad("c", 6) << pad("stable", 8) << pad("features", 10)
      << pad("max stable γ[η]", 17) << "binding\n";
  for (LayerGroup g : kLayerGroups) {
    const auto& row = document["groups"][layer_groups().name(g)];
    std::string binding;
    for (const auto& name : row["binding"]) binding += (binding.empty() ? "" : ", ") + name.get<std::string>();
    out << pad(layer_groups().name(g), 9) << pad(row["a"], 6) << pad(row["b"], 6) << pad(row["c"], 6)
        << pad(yes_no(row["stable"]), 8) << pad(row["feature_learning"].get<bool>() ? "learn" : "no", 10)
        << pad(row["max_stable"].is_null() ? "none" : row["max_stable"].get<std::string>(), 17) << binding << "\n";
  }
  out << "\nstable: " << yes_no(document["stable"]) << "; feature learning: " << yes_no(document["feature_learning"])
      << "; r = " << (document["r"].is_null() ? std::string("none (not stable)") : document["r"].get<std::string>())
      << "; the output moves by Θ(1): " << yes_no(document["nontrivial"]) << "\n";
  for (const auto& fault : document["initialisation_faults"]) out << "initialisation: " << fault.get<std::string>() << "\n";
  out << "The exponents settle from step " << document["settled_from"].get<int>()
      << " (each step computed on the stable path; docs/engine.md, \"Deep MLPs\").\n";
  if (detail.steps) {
    out << "\nexponents γ[·] by step (-inf: exactly zero)\n";
    for (const auto& step : document["steps"]) {
      out << "t = " << step["step"].get<int>() << ":";
      auto list = [&](const std::string& key, const std::string& symbol) {
        if (!step.contains(key)) return;
        int l = 1;
        for (const auto& value : step[key]) out << "  " << symbol << l++ << " " << value.get<std::string>();
      };
      list("features", "x^");
      list("feature_change", "Δx^");
      list("update", "ΔW^");
      list("backward", "dh^");
      if (step.contains("output")) out << "  f " << step["output"].get<std::string>();
      if (step.contains("output_change")) out << "  Δf " << step["output_change"].get<std::string>();
      out << "\n";
    }
  }
  if (detail.derivation) {
    int step = -1;
    for (const auto& line : document["derivation"]) {
      if (line["step"].get<int>() != step) {
        step = line["step"];
        out << "\n── step t = " << step << (step == 0 ? " (initialisation)" : "") << " ──\n";
      }
      out << "  " << line["quantity"].get<std::string>() << ": " << line["equation"].get<std::string>() << "\n      "
          << line["rule"].get<std::string>() << "  ⇒  γ = " << line["result"].get<std::string>() << "\n";
    }
  }
  return out.str();
}

std::string mlp_table_text(int layers) {
  const nlohmann::json document = mlp_table_json(layers);
  std::ostringstream out;
  out << "Each preset at L = " << layers << " hidden layers: stable, feature learning, r, and the maximal stable γ[η] "
         "of the input, hidden and readout groups (γ[ηˡ] = −c in the abc convention)\n\n"
      << pad("preset", 8) << pad("optimizer", 11) << pad("alignment", 11) << pad("stable", 8) << pad("features", 10)
      << pad("r", 6) << "max stable γ[η] (input, hidden, readout)\n";
  for (const auto& row : document["rows"]) {
    std::string rates;
    for (LayerGroup g : kLayerGroups) {
      const auto& value = row["groups"][layer_groups().name(g)]["max_stable"];
      rates += (rates.empty() ? "" : ", ") + (value.is_null() ? std::string("none") : value.get<std::string>());
    }
    out << pad(row["parametrization"], 8) << pad(row["optimizer"], 11) << pad(row["alignment"], 11)
        << pad(yes_no(row["stable"]), 8) << pad(row["feature_learning"].get<bool>() ? "learn" : "no", 10)
        << pad(row["r"].is_null() ? "-" : row["r"].get<std::string>(), 6) << rates << "\n";
  }
  return out.str();
}

}  // namespace gammalab::experiments
