// The Python binding: a thin layer over experiments/ (the same functions the command
// line calls). Every answer crosses as the JSON text the CLI prints with --json; the
// package gammalab/ turns it into Python objects. Bad input raises
// gammalab._gammalab.InputError (a ValueError) with the CLI's message.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>

#include "experiments/engine_report.hpp"
#include "experiments/model_choice.hpp"
#include "experiments/sweep_job.hpp"
#include "gamma/input_error.hpp"
#include "gamma/vocabulary.hpp"

namespace py = pybind11;
using namespace gammalab;
using namespace gammalab::experiments;

namespace {

using Texts = std::map<std::string, std::string>;

// A vocabulary term given for `option`, refused as the command line refuses it.
template <class Value>
Value term(const gamma::Vocabulary<Value>& vocabulary, const std::string& option, const std::string& text) {
  try {
    return vocabulary.parse(text);
  } catch (const InputError& e) {
    reject(option, e.what());
  }
}

std::optional<std::string> take(const Texts& texts, const std::string& key) {
  auto found = texts.find(key);
  if (found == texts.end()) return std::nullopt;
  return found->second;
}

// The model options, keyed by the CLI's option names without dashes (scheme, eta_A, …);
// the package passes only those the user gave, as text.
ModelOptions model_options(const Texts& texts) {
  static const std::vector<std::string> known = {"scheme", "setting", "readout", "optimizer", "eta", "eta_A", "eta_B",
                                                 "ratio", "sigma_A", "sigma_B", "alpha", "subtract_initial"};
  for (const auto& [key, value] : texts)
    if (std::find(known.begin(), known.end(), key) == known.end()) reject(key, "is not a model option");
  ModelOptions o;
  if (auto scheme = take(texts, "scheme")) o.scheme = *scheme;
  else reject("--scheme", "is required: " + gamma::scheme_names());
  if (auto text = take(texts, "setting")) o.setting = term(gamma::settings(), "--setting", *text);
  if (auto text = take(texts, "readout")) o.readout = term(gamma::readouts(), "--readout", *text);
  if (auto text = take(texts, "optimizer")) o.optimizer = term(gamma::optimizers(), "--optimizer", *text);
  o.eta = take(texts, "eta");
  o.eta_A = take(texts, "eta_A");
  o.eta_B = take(texts, "eta_B");
  o.ratio = take(texts, "ratio");
  o.sigma_A = take(texts, "sigma_A");
  o.sigma_B = take(texts, "sigma_B");
  o.alpha = take(texts, "alpha");
  o.subtract = take(texts, "subtract_initial");
  return o;
}

std::string text_of(const nlohmann::json& document) { return document.dump(); }

}  // namespace

PYBIND11_MODULE(_gammalab, m) {
  m.doc() = "gammalab's C++ core: the γ engine's answers and sweeps, as the CLI's JSON text";
  py::register_exception<InputError>(m, "InputError", PyExc_ValueError);

  m.def("predict", [](const Texts& model, int steps) { return text_of(predict_report(model_options(model), steps).json()); },
        py::arg("model"), py::arg("steps") = 0, "What `gamma predict --json` prints");
  m.def("solve", [](const Texts& model) { return text_of(solve_report(model_options(model)).json()); }, py::arg("model"),
        "What `gamma solve --json` prints");
  m.def("explain", [](const Texts& model, int steps) { return text_of(explain_report(model_options(model), steps).json()); },
        py::arg("model"), py::arg("steps") = 0, "What `gamma explain --json` prints");
  m.def("phase",
        [](const Texts& model, const std::string& x, const std::string& y, const std::string& low, const std::string& high) {
          return text_of(phase_json(phase_document(model_options(model), x, y, low, high)));
        },
        py::arg("model"), py::arg("x"), py::arg("y"), py::arg("low") = "-2", py::arg("high") = "1",
        "What `gamma phase --json` prints");
  m.def("table",
        [](const std::string& optimizer) { return text_of(table_report(term(gamma::optimizers(), "--optimizer", optimizer)).json()); },
        py::arg("optimizer") = "adam", "What `gamma table --json` prints");
  m.def("scheme_names", [] { return gamma::scheme_names(); });

  // `gammalab sweep SPEC -o OUT`: trains, analyses, and returns summary.json's text.
  // The GIL is released while training; `progress(done, total, done_this_run, seconds)`
  // is called (with the GIL) as configurations finish.
  m.def("sweep",
        [](const std::string& spec, const std::string& output, const std::string& device, int threads, bool resume,
           const std::function<void(std::size_t, std::size_t, std::size_t, double)>& progress) {
          SweepRequest request;
          request.spec_path = spec;
          request.output = output;
          request.device = term(device_choices(), "--device", device);
          request.threads = threads > 0 ? threads : default_threads();
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
  m.def("default_threads", &default_threads);
}
