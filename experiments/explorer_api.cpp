#include "experiments/explorer_api.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "experiments/engine_report.hpp"
#include "experiments/mlp_report.hpp"
#include "experiments/sweep_job.hpp"
#include "gamma/input_error.hpp"
#include "gamma/mlp.hpp"
#include "gamma/rank.hpp"
#include "gamma/scheme.hpp"
#include "gamma/verdicts.hpp"
#include "gamma/rank.hpp"
#include "sim/sweep/result_directory.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/sweep/sweep_spec.hpp"
#include "sim/analysis/results_view.hpp"

namespace gammalab::experiments {

namespace fs = std::filesystem;

namespace {

// The model options (experiments/model_choice.hpp), "subtract" for subtract_initial, and
// steps: an option the engine gains reaches the page's API with it.
const std::vector<std::string> kEngineKeys = [] {
  std::vector<std::string> keys;
  for (const auto& name : kModelOptionNames) keys.push_back(name == "subtract_initial" ? "subtract" : name);
  keys.push_back("steps");
  return keys;
}();

ApiReply refusal(int status, const std::string& message, const std::string& field) {
  return {status, {{"error", message}, {"field", field}}};
}

// The refusal of the first query key not among `accepted`; none when every key is.
std::optional<ApiReply> unknown_key(const ApiQuery& query, const std::vector<std::string>& accepted) {
  for (const auto& [key, value] : query)
    if (std::find(accepted.begin(), accepted.end(), key) == accepted.end()) {
      std::string names;
      for (const auto& known : accepted) names += (names.empty() ? "" : ", ") + known;
      return refusal(400, "unknown query key '" + key + "'; accepted: " + names, key);
    }
  return std::nullopt;
}

// The query key an engine message is about: "--eta-A: …" → "eta_A".
std::string field_of(const std::string& message) {
  if (message.rfind("--", 0) != 0) return "";
  std::string option = message.substr(2, message.find(':') - 2);
  if (option == "subtract-initial") return "subtract";
  std::replace(option.begin(), option.end(), '-', '_');
  return option;
}

std::optional<std::string> given(const ApiQuery& query, const std::string& key) {
  auto found = query.find(key);
  if (found == query.end() || found->second.empty()) return std::nullopt;
  return found->second;
}

// The page sends the model options by the CLI's names, but "subtract" for --subtract-initial.
ModelOptions options_of(const ApiQuery& query) {
  return model_options_from([&](const std::string& name) { return given(query, name == "subtract_initial" ? "subtract" : name); });
}

int steps_of(const ApiQuery& query) {
  auto text = given(query, "steps");
  if (!text) return 0;
  if (text->size() > 3 || !std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; }))
    reject("--steps", "'" + *text + "' is not a whole number from 0 to 64");
  return std::stoi(*text);
}

// A document the page shows beside the main answer: its error in place of it when
// this model has none (the main answer's own errors are caught before).
template <class Make>
nlohmann::json or_error(Make make) {
  try {
    return make();
  } catch (const InputError& e) {
    return {{"error", e.what()}};
  }
}

std::string read_text(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// A JSON file of a result directory, `relative` to root and read through file_under (so
// never one outside root); null when absent or outside, {"error"} when unreadable (a
// running sweep rewrites files atomically, so this is a damaged file, not a race).
nlohmann::json json_file(const fs::path& root, const std::string& relative) {
  const auto path = file_under(root, relative);
  if (!path) return nullptr;
  nlohmann::json document = nlohmann::json::parse(read_text(*path), nullptr, false);
  if (document.is_discarded()) return {{"error", path->filename().string() + " is not valid JSON"}};
  return document;
}

// A name as a message quotes it: at most 80 characters.
std::string shortened(const std::string& text) { return text.size() <= 80 ? text : text.substr(0, 77) + "..."; }

// The name of a directory directly under root: one path component, not . or ..
bool is_plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

// Whether `inside` is `root` or lies below it, both canonical.
bool lies_under(const fs::path& inside, const fs::path& root) {
  auto mismatch = std::mismatch(root.begin(), root.end(), inside.begin(), inside.end());
  return mismatch.first == root.end();
}

// How far a sweep is: the grid's configurations done of the manifest's count, then the
// refinement's runs and rounds (runs.csv's round column: 0 is the grid). A round's size
// is known only once the rounds before it are trained, so refinement has no total.
// runs.csv is read through file_under, as every file.
nlohmann::json progress_of(const fs::path& root, const std::string& name, const sim::Manifest& manifest) {
  const std::size_t total = manifest.shard_configurations.value_or(manifest.configurations);
  std::size_t done = 0, refinement_runs = 0;
  int rounds = 0;
  if (const auto runs = file_under(root, name + "/runs.csv")) {
    std::ifstream file(*runs);
    std::string header;
    std::getline(file, header);
    const std::vector<std::string> columns = sim::csv_cells(header);
    const auto round_column = static_cast<std::size_t>(std::find(columns.begin(), columns.end(), "round") - columns.begin());
    for (const auto& row : sim::read_csv_rows(*runs)) {
      const std::vector<std::string> cells = sim::csv_cells(row);
      const int round = round_column < cells.size() ? std::atoi(cells[round_column].c_str()) : 0;
      if (round == 0) ++done;
      else ++refinement_runs;
      rounds = std::max(rounds, round);
    }
  }
  return {{"status", manifest.status}, {"done", done}, {"total", total},
          {"refinement_runs", refinement_runs}, {"refinement_rounds", rounds}};
}

// The results view of a summary (sim/analysis/results_view.hpp): null without one, {"error"} for
// one that is not a summary.
nlohmann::json view_of(const nlohmann::json& summary) {
  if (!summary.is_object() || summary.contains("error")) return nullptr;
  try {
    return sim::results_view(summary.get<sim::SweepSummary>());
  } catch (const InputError& e) {
    return {{"error", std::string("summary.json: ") + e.what()}};
  }
}

nlohmann::json listing_entry(const fs::path& root, const std::string& name, const sim::Manifest& manifest) {
  return {{"name", name},
          {"title", manifest.title()},
          {"scale", manifest.scale().value_or("")},
          {"progress", progress_of(root, name, manifest)}};
}

// The manifest of the result directory `name` directly under root, typed, or none: a
// name that is not one plain component, a directory (or manifest) that a link takes
// outside root, or a file that is not a gammalab manifest is no result directory of root's.
std::optional<sim::Manifest> manifest_of(const fs::path& root, const std::string& name) {
  if (!is_plain_name(name)) return std::nullopt;
  const nlohmann::json document = json_file(root, name + "/manifest.json");
  if (!document.is_object() || document.contains("error")) return std::nullopt;
  try {
    return sim::manifest_from_json(document, name + "/manifest.json");
  } catch (const InputError&) {
    return std::nullopt;
  }
}

}  // namespace

ApiReply engine_reply(const ApiQuery& query) {
  if (auto refused = unknown_key(query, kEngineKeys)) return *refused;
  try {
    const ModelOptions options = options_of(query);
    const int steps = steps_of(query);
    nlohmann::json reply = {{"predict", predict_report(options, steps).json()}, {"explain", explain_report(options, steps).json()}};
    // Where the learning rates may go: one shared γ[η], then γ[η_A] and γ[η_B] apart.
    ModelOptions free_rates = options;
    free_rates.eta = free_rates.eta_A = free_rates.eta_B = free_rates.ratio = std::nullopt;
    reply["solve"] = or_error([&] { return solve_report(free_rates).json(); });
    reply["phase"] = or_error([&] { return phase_report(free_rates, "eta_A", "eta_B", "-2", "1").document; });
    reply["description"] = choose_model(options).describe();
    nlohmann::json quantities = nlohmann::json::array();
    for (const auto& quantity : gamma::all_quantities())
      quantities.push_back({{"key", quantity.key}, {"symbol", quantity.symbol}, {"meaning", quantity.meaning},
                            {"is_update", quantity.is_update}});
    reply["quantities"] = quantities;
    return {200, reply};
  } catch (const InputError& e) {
    return refusal(400, e.what(), field_of(e.what()));
  }
}

ApiReply mlp_reply(const ApiQuery& query) {
  if (auto refused = unknown_key(query, kMlpOptionNames)) return *refused;
  try {
    return {200, mlp_json(mlp_model_from([&](const std::string& name) { return given(query, name); }), {true, false})};
  } catch (const InputError& e) {
    return refusal(400, e.what(), field_of(e.what()));
  }
}

nlohmann::json vocabulary_document() {
  nlohmann::json schemes = nlohmann::json::array();
  for (const auto& scheme : gamma::all_schemes())
    schemes.push_back({{"name", scheme.name}, {"title", scheme.title}, {"sigma_A", scheme.sigma_A.to_string()},
                       {"sigma_B", scheme.sigma_B.to_string()}, {"subtracts_initial_product", scheme.subtracts_initial_product},
                       {"why", scheme.why}});
  schemes.push_back({{"name", std::string(gamma::kCustomScheme)}, {"title", "custom (give γ[σ_A] and γ[σ_B])"},
                     {"sigma_A", nullptr}, {"sigma_B", nullptr}, {"subtracts_initial_product", false}, {"why", ""}});
  auto terms = [](const auto& vocabulary) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& term : vocabulary.terms())
      list.push_back({{"name", term.name}, {"title", term.title}, {"aliases", term.aliases}});
    return list;
  };
  nlohmann::json verdicts = nlohmann::json::array();
  for (const auto& kind : gamma::verdict_kinds())
    verdicts.push_back({{"key", kind.key}, {"label", kind.label}, {"is_bound", kind.is_bound}});
  return {{"schemes", schemes},
          {"verdicts", verdicts},
          {"settings", terms(gamma::settings())},
          {"readouts", terms(gamma::readouts())},
          {"optimizers", terms(gamma::optimizers())},
          {"parametrizations", terms(gamma::parametrizations())},
          {"alignments", terms(gamma::alignments())},
          {"layer_groups", terms(gamma::layer_groups())},
          {"multipliers", terms(gamma::named_multipliers())},
          {"windows", terms(gamma::verdict_windows())},
          {"scales", terms(sim::scales())},
          {"statistical_verdicts", terms(sim::statistical_verdicts())},
          {"trend_verdicts", terms(sim::trend_verdicts())},
          {"stability_criteria", terms(sim::stability_criteria())},
          {"estimators", terms(sim::estimators())},
          {"loss_statistics", terms(sim::loss_statistics())},
          {"schedule_decays", terms(sim::schedule_decays())},
          {"devices", terms(device_choices())},
          {"multiplier_forms", gamma::multiplier_forms()},
          {"rho_forms", std::string(gamma::kRankExponentForms)},
          {"engine_keys", kEngineKeys}};
}

ApiReply results_list_reply(const fs::path& root) {
  nlohmann::json directories = nlohmann::json::array();
  std::error_code error;
  if (fs::is_directory(root, error)) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root, error)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      if (const auto manifest = manifest_of(root, name)) directories.push_back(listing_entry(root, name, *manifest));
    }
  }
  return {200, {{"root", root.string()}, {"directories", directories}}};
}

ApiReply result_reply(const fs::path& root, const std::string& name) {
  const auto manifest = manifest_of(root, name);
  if (!manifest) return refusal(404, "'" + shortened(name) + "' is not a result directory under " + root.string(), "name");

  // Each figure by its name in the folder, kept only where file_under finds it under root.
  nlohmann::json figures = nlohmann::json::array();
  std::error_code error;
  if (const auto folder = under(root, name + "/figures"); folder && fs::is_directory(*folder, error)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(*folder, error)) {
      const std::string file = name + "/figures/" + entry.path().filename().string();
      if ((entry.path().extension() == ".png" || entry.path().extension() == ".svg") && file_under(root, file))
        files.push_back(file);
    }
    std::sort(files.begin(), files.end());
    figures = files;
  }
  // A scheme name is text from a file: it makes a file name only when it is one plain
  // component ("x/../../outside" is not).
  nlohmann::json coordchecks = nlohmann::json::array();
  if (manifest->experiment == sim::ExperimentKind::CoordCheck)
    for (const auto& scheme : manifest->scheme_names())
      if (is_plain_name("coordcheck-" + scheme + ".json"))
        if (auto check = json_file(root, name + "/coordcheck-" + scheme + ".json"); !check.is_null()) coordchecks.push_back(check);
  nlohmann::json reply = listing_entry(root, name, *manifest);
  reply["manifest"] = *manifest;
  reply["summary"] = json_file(root, name + "/summary.json");
  reply["view"] = view_of(reply["summary"]);
  reply["coordchecks"] = coordchecks;
  reply["engine"] = json_file(root, name + "/engine.json");
  reply["figures"] = figures;
  return {200, reply};
}

std::optional<fs::path> under(const fs::path& root, const std::string& relative) {
  const fs::path path(relative);
  if (relative.empty() || path.is_absolute() || relative.find('\0') != std::string::npos) return std::nullopt;
  for (const auto& part : path)
    if (part == ".." || part == "." || part.empty()) return std::nullopt;
  std::error_code error;
  const fs::path base = fs::canonical(root, error);
  if (error) return std::nullopt;
  const fs::path target = fs::canonical(base / path, error);
  if (error || !lies_under(target, base)) return std::nullopt;
  return target;
}

std::optional<fs::path> file_under(const fs::path& root, const std::string& relative) {
  auto target = under(root, relative);
  std::error_code error;
  if (!target || !fs::is_regular_file(*target, error)) return std::nullopt;
  return target;
}

std::string content_type_of(const fs::path& path) {
  static const std::map<std::string, std::string> types = {
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"},
      {".csv", "text/csv; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".toml", "text/plain; charset=utf-8"}};
  auto found = types.find(path.extension().string());
  return found == types.end() ? "application/octet-stream" : found->second;
}

}  // namespace gammalab::experiments
