#pragma once
// The deep MLP engine's answers (gamma/mlp.hpp) as `gammalab gamma mlp` prints them, as
// text and as JSON (schema/mlp.schema.json; every field in docs/engine.md, "Deep MLPs"),
// and the reading of its options, shared by the command line and Python.
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gamma/mlp.hpp"

namespace gammalab::experiments {

// The option names, without dashes, in the order help lists them.
inline const std::vector<std::string> kMlpOptionNames = {"parametrization", "optimizer", "alignment", "layers", "a", "b", "c"};

// A model from the options given (`given(name)`: the text typed, or none). A preset's
// exponents may be overridden group by group; `custom` needs --a, --b and --c. Each of
// those is one exact exponent for every layer group, or three separated by commas
// (input,hidden,readout). Bad input: InputError naming the option ("--a"), the value and
// what is accepted.
gamma::MlpModel mlp_model_from(const std::function<std::optional<std::string>(const std::string&)>& given);

// What the JSON holds beyond the verdicts and rates.
struct MlpDetail {
  bool steps = false;       // every exponent at every step
  bool derivation = false;  // the derivation rule by rule
};

nlohmann::json mlp_json(const gamma::MlpModel& model, MlpDetail detail = {});
// The four presets × both optimisers × both alignments at `layers` hidden layers.
nlohmann::json mlp_table_json(int layers);

std::string mlp_text(const gamma::MlpModel& model, MlpDetail detail = {});
std::string mlp_table_text(int layers);

}  // namespace gammalab::experiments
