// The Python binding: a thin layer over experiments/ (the same functions the command
// line calls). Every answer crosses as the JSON text the CLI prints with --json; the
// package gammalab/ turns it into Python objects. Bad input raises
// gammalab._gammalab.InputError (a ValueError) with the CLI's message.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "experiments/engine_report.hpp"
#include "experiments/explorer_api.hpp"
#include "experiments/mlp_report.hpp"
#include "experiments/model_choice.hpp"
#include "experiments/sweep_job.hpp"
#include "sim/sweep/result_directory.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/analysis/results_view.hpp"
#include "sim/sweep/request_names.hpp"
#include "gamma/input_error.hpp"
#include "gamma/vocabulary.hpp"

namespace py = pybind11;
using namespace gammalab;
using namespace gammalab::experiments;

namespace {

using Texts = std::map<std::string, std::string>;

std::optional<std::string> take(const Texts& texts, const std::string& key) {
  auto found = texts.find(key);
  if (found == texts.end()) return std::nullopt;
  return found->second;
}

// The model options, keyed by the CLI's option names without dashes (scheme, eta_A, …);
// the package passes only those the user gave, as text.
ModelOptions model_options(const Texts& texts) {
  for (const auto& [key, value] : texts)
    if (std::find(kModelOptionNames.begin(), kModelOptionNames.end(), key) == kModelOptionNames.end())
      reject(key, "is not a model option");
  return model_options_from([&](const std::string& name) { return take(texts, name); });
}

std::string text_of(const nlohmann::json& document) { return document.dump(); }

// A deep MLP from the options of `gamma mlp`, keyed by their names without dashes.
gamma::MlpModel mlp_model(const Texts& texts) {
  for (const auto& [key, value] : texts)
    if (std::find(kMlpOptionNames.begin(), kMlpOptionNames.end(), key) == kMlpOptionNames.end())
      reject(key, "is not an option of gamma mlp");
  return mlp_model_from([&](const std::string& name) { return take(texts, name); });
}

}  // namespace

PYBIND11_MODULE(_gammalab, m) {
  m.doc() = "gammalab's C++ core: the γ engine's answers and sweeps, as the CLI's JSON text";
  py::register_exception<InputError>(m, "InputError", PyExc_ValueError);
  // The simulator's messages name the parts of a request as Python writes them.
  sim::request_names() = {"out", "resume=True", "shard", "split_seeds", "directory"};

  m.def("predict", [](const Texts& model, int steps) { return text_of(predict_report(model_options(model), steps).json()); },
        py::arg("model"), py::arg("steps") = 0, "What `gamma predict --json` prints");
  m.def("solve", [](const Texts& model) { return text_of(solve_report(model_options(model)).json()); }, py::arg("model"),
        "What `gamma solve --json` prints");
  m.def("explain", [](const Texts& model, int steps) { return text_of(explain_report(model_options(model), steps).json()); },
        py::arg("model"), py::arg("steps") = 0, "What `gamma explain --json` prints");
  m.def("phase",
        [](const Texts& model, const std::string& x, const std::string& y, const std::string& low, const std::string& high) {
          return text_of(phase_report(model_options(model), x, y, low, high).document);
        },
        py::arg("model"), py::arg("x"), py::arg("y"), py::arg("low") = "-2", py::arg("high") = "1",
        "What `gamma phase --json` prints");
  m.def("table",
        [](const std::string& optimizer, const std::string& multiplier) {
          return text_of(
              table_report(parse_term(gamma::optimizers(), "--optimizer", optimizer), multiplier_option(multiplier)).json());
        },
        py::arg("optimizer") = "adam", py::arg("multiplier") = "lora", "What `gamma table --json` prints");
  m.def("mlp",
        [](const Texts& options, bool predict, bool explain) {
          return text_of(mlp_json(mlp_model(options), {predict, explain}));
        },
        py::arg("options"), py::arg("predict") = false, py::arg("explain") = false, "What `gamma mlp --json` prints");
  m.def("mlp_table", [](const Texts& options) { return text_of(mlp_table_json(mlp_model(options).layers)); },
        py::arg("options"), "What `gamma mlp --table --json` prints (options: layers only)");
  m.def("vocabulary", [] { return text_of(vocabulary_document()); },
        "Every closed set of names: what `GET /api/vocabulary` of `gammalab serve` answers");

  // `gammalab sweep SPEC -o OUT`: trains, analyses, and returns summary.json's text.
  // The GIL is released while training; `progress(done, total, done_this_run, seconds)`
  // is called (with the GIL) as configurations finish.
  m.def("sweep",
        [](const std::string& spec, const std::string& output, const std::string& device, int threads, bool resume,
           const std::function<void(std::size_t, std::size_t, std::size_t, double)>& progress) {
          SweepRequest request;
          request.spec_path = spec;
          request.output = output;
          request.device = parse_term(device_choices(), "--device", device);
          request.threads = threads == 0 ? default_threads() : threads;  // a negative count is refused as the CLI refuses it
          request.resume = resume;
          request.quiet = true;
          nlohmann::json summary;
          {
            py::gil_scoped_release released;
            summary = sweep_and_analyse(request, [&](const sim::SweepProgress& p) {
              if (!progress) return;
              py::gil_scoped_acquire held;
              try {
                progress(p.done, p.total, p.done_this_run, p.seconds);
              } catch (const py::error_already_set&) {  // a broken display must not stop the sweep
              }
            });
          }
          return text_of(summary);
        },
        py::arg("spec"), py::arg("output"), py::arg("device") = "auto", py::arg("threads") = 0, py::arg("resume") = false,
        py::arg("progress") = nullptr);
  m.def("analyze", [](const std::string& directory) { return text_of(analyse_result_directory(directory)); },
        py::arg("directory"), "What `gammalab analyze DIR --json` prints (and writes summary.json)");
  m.def(
      "results_view",
      [](const std::string& directory) {
        const std::filesystem::path summary = std::filesystem::path(directory) / "summary.json";
        const auto read = sim::read_summary(summary);
        if (!read) throw InputError(summary.string() + " does not exist; analyse the directory first (gammalab.analyze)");
        return text_of(sim::results_view(*read));
      },
      py::arg("directory"),
      "The results view of a directory's summary.json as JSON text: {\"tables\": [{\"name\", \"title\", \"columns\", \"rows\"}]}");
  m.def("check_result_directory", [](const std::string& directory) { check_result_directory(directory, "directory"); },
        py::arg("directory"),
        "InputError unless the directory passes every reader's checks: not being written, its manifest's types, its "
        "checksums, and its rows against the plan");
  m.def("default_threads", &default_threads);
}
