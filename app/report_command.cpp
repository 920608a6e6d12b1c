#include "app/report_command.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/cli_support.hpp"
#include "experiments/sweep_job.hpp"
#include "sim/sweep/result_directory.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/analysis/results_view.hpp"
#include "sim/analysis/mlp_coordcheck.hpp"
#include "sim/analysis/mlp_rates.hpp"

namespace gammalab::app {

namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::optional<nlohmann::json> read_json(const fs::path& path) {
  if (!fs::exists(path)) return std::nullopt;
  nlohmann::json document = nlohmann::json::parse(read_file(path), nullptr, false);
  if (document.is_discarded()) throw InputError("DIR: " + path.string() + " is not valid JSON");
  return document;
}

using sim::html_escape;

// RFC 4648 base64, for embedding a PNG as a data: URI.
std::string base64(const std::string& bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += digits[(n >> shift) & 63];
  }
  if (const std::size_t left = bytes.size() - i; left > 0) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (left == 2 ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0);
    out += digits[(n >> 18) & 63];
    out += digits[(n >> 12) & 63];
    out += left == 2 ? digits[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string number(const nlohmann::json& value) {
  if (value.is_null()) return "—";
  if (value.is_string()) return html_escape(value.get<std::string>());
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value.get<double>());
  return text;
}

std::string interval(const nlohmann::json& value) {
  return value.is_null() ? "(none)" : "[" + number(value[0]) + ", " + number(value[1]) + "]";
}

std::string verdict_cell(const std::string& verdict) {
  const char* style = verdict == "agrees" ? "agrees" : verdict == "departs" ? "departs" : "open";
  return "<td class=\"" + std::string(style) + "\">" + html_escape(verdict) + "</td>";
}

// A sweep's results view (sim/analysis/results_view.hpp): its slopes, and the estimates per width
// they are fitted to; each table scrolls inside the page when it is wider.
std::string sweep_section(const sim::SweepSummary& summary) {
  const sim::ResultsView view = sim::results_view(summary);
  const sim::ViewTable& slopes = view.table("slopes");
  const sim::ViewTable& widths = view.table("widths");
  return "<h3>" + html_escape(slopes.title) + "</h3>\n<div class=\"scroll\">" + sim::render_html(slopes) + "</div>\n<details><summary>" +
         html_escape(widths.title) + "</summary>\n<div class=\"scroll\">" + sim::render_html(widths) + "</div></details>\n";
}

// A coordinate check: each (step, quantity) exponent beside the engine's.
std::string coordcheck_section(const nlohmann::json& check) {
  std::ostringstream html;
  std::size_t agree = 0;
  for (const auto& row : check["rows"]) agree += row["verdict"] == sim::statistical_verdicts().name(sim::Verdict::Agrees);
  html << "<h3>" << html_escape(check["scheme"].get<std::string>()) << " at γ[η] = " << html_escape(check["eta_exponent"].get<std::string>())
       << ": " << agree << " of " << check["rows"].size() << " agree</h3>\n<details><summary>every row</summary><table><tr><th>step</th>"
          "<th>quantity</th><th>measured exponent</th><th>95% interval</th><th>engine</th><th>verdict</th></tr>\n";
  for (const auto& row : check["rows"])
    html << "<tr><td>" << row["step"] << "</td><td>" << html_escape(row["quantity"].get<std::string>()) << "</td><td>" << number(row["slope"])
         << "</td><td>" << interval(row["interval"]) << "</td><td>" << number(row["engine"]) << "</td>"
         << verdict_cell(row["verdict"].get<std::string>()) << "</tr>\n";
  html << "</table></details>\n";
  return html.str();
}

// The MLP experiments: their verdict lines, then every row of their document.
std::string mlp_coordcheck_section(const nlohmann::json& document) {
  std::ostringstream html;
  for (const auto& line : sim::mlp_coordcheck_verdicts(document)) html << "<p>" << html_escape(line) << "</p>\n";
  html << "<details><summary>every row</summary><table><tr><th>parametrization</th><th>optimizer</th><th>step</th><th>quantity</th>"
          "<th>measured exponent</th><th>95% interval</th><th>engine</th><th>verdict</th></tr>\n";
  for (const auto& check : document["checks"])
    for (const auto& row : check["rows"])
      html << "<tr><td>" << html_escape(check["parametrization"].get<std::string>()) << "</td><td>" << html_escape(check["optimizer"].get<std::string>())
           << "</td><td>" << row["step"] << "</td><td>" << html_escape(sim::mlp_quantity_symbol(row["quantity"])) << "</td><td>"
           << number(row["slope"]) << "</td><td>" << interval(row["interval"]) << "</td><td>" << number(row["engine"]) << "</td>"
           << verdict_cell(row["verdict"].get<std::string>()) << "</tr>\n";
  html << "</table></details>\n";
  return html.str();
}

std::string mlp_rates_section(const nlohmann::json& document) {
  std::ostringstream html;
  html << "<table><tr><th>parametrization</th><th>optimizer</th><th>group</th><th>slope of the largest stable η in n</th>"
          "<th>interval</th><th>engine (trained alone)</th><th>verdict</th></tr>\n";
  for (const auto& curve : document["curves"])
    html << "<tr><td>" << html_escape(curve["parametrization"].get<std::string>()) << "</td><td>" << html_escape(curve["optimizer"].get<std::string>())
         << "</td><td>" << html_escape(curve["group"].get<std::string>()) << "</td><td>" << number(curve["slope"]["slope"]) << "</td><td>"
         << interval(curve["slope"]["interval"]) << "</td><td>" << number(curve["engine_alone"]) << "</td>"
         << verdict_cell(curve["slope"]["verdict_network"].get<std::string>()) << "</tr>\n";
  html << "</table>\n";
  return html.str();
}

std::string directory_section(const fs::path& directory) {
  sim::Manifest manifest;
  try {
    manifest = sim::read_manifest(directory);
  } catch (const InputError& e) {
    reject("DIR", e.what());
  }
  // A sweep's section sets summary.json's numbers out; they stand only for the rows the
  // sweep wrote, all of them, and for the whole sweep.
  const std::optional<sim::SweepSummary> summary = manifest.experiment == sim::ExperimentKind::Sweep
                                                       ? std::optional(experiments::summary_for_report(directory))
                                                       : std::nullopt;
  std::ostringstream html;
  const std::string title = manifest.title();
  html << "<section><h2>" << html_escape(title.empty() ? directory.filename().string() : title) << "</h2>\n<p class=\"how\">"
       << html_escape(directory.string()) << " · scale " << html_escape(manifest.scale().value_or("—")) << " · " << html_escape(manifest.device)
       << " · " << html_escape(manifest.provenance.program) << " (" << html_escape(manifest.provenance.git_revision) << ")</p>\n";
  if (fs::exists(directory / "figures"))
    for (const auto& entry : fs::directory_iterator(directory / "figures"))
      if (entry.path().extension() == ".png")
        html << "<figure><img alt=\"" << html_escape(entry.path().filename().string()) << "\" src=\"data:image/png;base64,"
             << base64(read_file(entry.path())) << "\"></figure>\n";
  if (summary) html << sweep_section(*summary);
  if (manifest.experiment == sim::ExperimentKind::CoordCheck)
    for (const auto& scheme : manifest.scheme_names())
      if (auto check = read_json(directory / ("coordcheck-" + scheme + ".json"))) html << coordcheck_section(*check);
  if (manifest.experiment == sim::ExperimentKind::MlpCoordCheck)
    if (auto document = read_json(directory / "mlp-coordcheck.json")) html << mlp_coordcheck_section(*document);
  if (manifest.experiment == sim::ExperimentKind::MlpRates)
    if (auto document = read_json(directory / "mlp-lr.json")) html << mlp_rates_section(*document);
  if (auto engine = read_json(directory / "engine.json"))
    html << "<details><summary>the engine's exponents for this experiment (engine.json)</summary><pre>" << html_escape(engine->dump(2))
         << "</pre></details>\n";
  html << "</section>\n";
  return html.str();
}

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}td,th{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left}"
    "th{background:#f3f3f3}.agrees{background:#dff3df}.departs{background:#f8dcdc}.open,.inconclusive,.undetermined{background:#f4f0d8}"
    ".converging,.steady{background:#dff3df}.moving-away,.curved{background:#f8dcdc}"
    // A table wider than the page scrolls inside its box; the trend's evidence wraps.
    ".scroll{overflow-x:auto;max-width:100%}table.view td{white-space:nowrap}table.view td[data-key=evidence]{white-space:normal;"
    "min-width:24em}"
    "img{max-width:100%}.how{color:#666;font-size:0.9em}section{border-top:2px solid #ddd;margin-top:2em}";

}  // namespace

std::function<int()> add_report_command(CLI::App& app) {
  struct Options {
    std::vector<std::string> directories;
    std::string output = "report.html";
  };
  auto o = std::make_shared<Options>();
  auto* command = app.add_subcommand("report", "One self-contained HTML page setting every prediction beside its measurement");
  command->add_option("DIR", o->directories, "Result directories (sweeps, coordinate checks, phase diagrams)")->required();
  command->add_option("-o,--output", o->output, "The HTML file to write")->capture_default_str();
  return [o] {
    std::ostringstream html;
    html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gammalab report</title><style>" << kStyle
         << "</style></head><body>\n<h1>gammalab: predictions beside measurements</h1>\n<p>Each section is one result directory: "
            "its figures, the measured exponents with 95% bootstrap intervals, the γ engine's exact exponents, and the verdict "
            "(agrees: the exact value lies in the interval).</p>\n";
    for (const auto& directory : o->directories) html << directory_section(directory);
    html << "</body></html>\n";
    sim::write_atomically(o->output, html.str());
    std::cout << "report: " << o->output << " (" << o->directories.size() << " directories)\n";
    return 0;
  };
}

}  // namespace gammalab::app
