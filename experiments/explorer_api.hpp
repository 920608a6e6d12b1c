#pragma once
// The JSON API of `gammalab serve`'s page, as functions from a request to a reply, with
// no HTTP in them: the engine's answers for one model (the same documents the CLI
// prints with --json), and the result directories under one folder, read only.
// app/serve_command.cpp puts them behind URLs; tests call them directly.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace gammalab::experiments {

// An HTTP status and its JSON document. Bad input is 400 (or 404 for something that is
// not there) with {"error": the engine's message, "field": the query key it is about}.
struct ApiReply {
  int status = 200;
  nlohmann::json body;
};
using ApiQuery = std::map<std::string, std::string>;

// The query keys of /api/engine: the model options of `gamma predict` by their JSON
// names (scheme, setting, readout, optimizer, eta, eta_A, eta_B, ratio, sigma_A,
// sigma_B, alpha, subtract, rho, multiplier) and steps. An empty value is the same as
// leaving the key out.
// The reply: {"predict", "explain"} as the CLI prints them; "solve", the regions of
// γ[η] for this model with η_A = η_B = η free; "phase", the (eta_A, eta_B) diagram on
// [-2, 1]²; "quantities", the keys and symbols of the rows. "solve" and "phase" hold
// {"error"} instead when this model has no such answer (a σ left free, say).
ApiReply engine_reply(const ApiQuery& query);

// /api/mlp: a deep MLP (gamma/mlp.hpp) from the options of `gamma mlp` by their names
// without dashes (parametrization, optimizer, alignment, layers, a, b, c); the reply is
// what `gamma mlp --predict --json` prints (schema/mlp.schema.json).
ApiReply mlp_reply(const ApiQuery& query);

// Every closed set of names gammalab accepts, for the page and the Python package: the
// schemes (name, title, σ exponents), the engine's verdicts (key, label, is_bound), the
// query keys above, and each vocabulary — settings, readouts, optimizers, multipliers,
// parametrizations, alignments, layer_groups (the deep MLP's, gamma/mlp.hpp),
// windows, scales, statistical_verdicts, trend_verdicts, stability_criteria, estimators,
// loss_statistics, schedule_decays, devices — as a list of {name, title, aliases}, and the
// forms a multiplier and ρ may take.
nlohmann::json vocabulary_document();

// The result directories directly under `root` (those holding a manifest.json), each
// with its name, title, status and progress; one that a link places outside root is not
// listed.
ApiReply results_list_reply(const std::filesystem::path& root);
// One result directory by name: its manifest, summary, its results view ("view",
// sim/analysis/results_view.hpp: {"tables": [{"name", "title", "columns", "rows"}]}, null
// without a summary), coordinate checks, engine.json, figures (paths under root) and
// progress {"status", "done", "total", "refinement_runs", "refinement_rounds"} — done
// of total counts the grid's configurations, the refinement's runs come after — read
// from the files a running sweep writes. 404 for a name that is not a result directory under root.
ApiReply result_reply(const std::filesystem::path& root, const std::string& name);
// The one gate of every path the server reads: what `relative` names under `root`, as a
// canonical path (links resolved), or nothing: a path with "..", ".", an empty or absolute
// part, or one that a link leads outside root, is refused. `under` admits any file or
// folder; `file_under` a regular file only.
std::optional<std::filesystem::path> under(const std::filesystem::path& root, const std::string& relative);
std::optional<std::filesystem::path> file_under(const std::filesystem::path& root, const std::string& relative);
// "image/png", "application/json", ...; "application/octet-stream" for the rest.
std::string content_type_of(const std::filesystem::path& path);

}  // namespace gammalab::experiments
