#include "sim/result_schema.hpp"

#include <cerrno>
#include <cmath>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "gamma/input_error.hpp"
#include "gamma/rank.hpp"
#include "sim/refinement.hpp"
#include "sim/result_directory.hpp"

namespace gammalab::sim {

namespace {

// ---- cells: one way to write each type, and its exact inverse ---------------------

std::string cell(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);  // round-trips exactly
  return text;
}
std::string cell(const std::string& value) { return value; }
std::string cell(bool value) { return value ? "1" : "0"; }
std::string cell(Readout value) { return gamma::readouts().name(value); }
template <typename Integer>
  requires std::is_integral_v<Integer>
std::string cell(Integer value) {
  return std::to_string(value);
}

void parse(const std::string& text, double& value) {
  char* end = nullptr;
  errno = 0;
  value = std::strtod(text.c_str(), &end);  // also inf and nan; an underflow to a subnormal is kept
  if (text.empty() || end != text.c_str() + text.size()) throw std::invalid_argument("not a number");
}
void parse(const std::string& text, std::string& value) { value = text; }
void parse(const std::string& text, Readout& value) { value = gamma::readouts().parse(text); }
void parse(const std::string& text, bool& value) {
  if (text != "0" && text != "1") throw std::invalid_argument("not 0 or 1");
  value = text == "1";
}
template <typename Integer>
  requires std::is_integral_v<Integer>
void parse(const std::string& text, Integer& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) throw std::invalid_argument("not a whole number");
}

// ---- runs.csv: the columns of schema 3, in the order they are written -------------

struct RunsColumn {
  const char* name;
  std::string (*write)(const RunRow&);
  void (*read)(const std::string&, RunRow&);
};

template <auto Member>
constexpr RunsColumn column(const char* name) {
  return {name, [](const RunRow& row) { return cell(row.*Member); },
          [](const std::string& text, RunRow& row) { parse(text, row.*Member); }};
}

const std::array<RunsColumn, 21> kRunsColumns = {
    column<&RunRow::id>("id"),
    column<&RunRow::scheme>("scheme"),
    column<&RunRow::width>("width"),
    column<&RunRow::teacher>("teacher"),
    column<&RunRow::seed>("seed"),
    column<&RunRow::lr_A>("lr_A"),
    column<&RunRow::lr_B>("lr_B"),
    column<&RunRow::initial_train_loss>("initial_train_loss"),
    column<&RunRow::final_train_loss>("final_train_loss"),
    column<&RunRow::final_test_loss>("final_test_loss"),
    column<&RunRow::mean_last_train_loss>("mean_last_train_loss"),
    column<&RunRow::max_train_loss>("max_train_loss"),
    column<&RunRow::diverged>("diverged"),
    column<&RunRow::diverged_step>("diverged_step"),
    column<&RunRow::steps_done>("steps_done"),
    column<&RunRow::fit_residual>("fit_residual"),
    column<&RunRow::init_sigma>("init_sigma"),
    column<&RunRow::readout>("readout"),
    column<&RunRow::rank>("rank"),
    column<&RunRow::multiplier>("multiplier"),
    column<&RunRow::round>("round"),
};

// The two columns of each horizon H, after the fixed ones: max_train_loss_at_H, rms_Z_B_at_H.
struct HorizonColumn {
  const char* prefix;
  double HorizonRecord::*member;
};
const std::array<HorizonColumn, 2> kHorizonColumns = {HorizonColumn{"max_train_loss_at_", &HorizonRecord::max_train_loss},
                                                      HorizonColumn{"rms_Z_B_at_", &HorizonRecord::rms_Z_B}};

// The horizon column a header cell names, if it is one: which of the two, and H.
std::optional<std::pair<const HorizonColumn*, int>> horizon_column(const std::string& name) {
  for (const auto& c : kHorizonColumns) {
    const std::string prefix = c.prefix;
    if (name.rfind(prefix, 0) != 0) continue;
    int horizon = 0;
    const char* first = name.data() + prefix.size();
    auto [end, error] = std::from_chars(first, name.data() + name.size(), horizon);
    if (error == std::errc() && end == name.data() + name.size() && end != first && horizon >= 1) return std::pair{&c, horizon};
  }
  return std::nullopt;
}

std::string column_names() {
  std::string names;
  for (const auto& c : kRunsColumns) names += (names.empty() ? "" : ", ") + std::string(c.name);
  for (const auto& c : kHorizonColumns) names += ", " + std::string(c.prefix) + "H";
  return names;
}

// What each header cell holds: a fixed column, or a horizon column (its place in the
// ascending horizons).
struct HeaderLayout {
  struct Cell {
    const RunsColumn* fixed = nullptr;
    const HorizonColumn* horizon_column = nullptr;
    std::size_t horizon_index = 0;
  };
  std::vector<Cell> cells;
  std::vector<int> horizons;
};

// InputError for an unknown, repeated or missing column, or a horizon with only one of
// its two columns.
HeaderLayout layout_of_header(const std::string& header, const std::string& file) {
  HeaderLayout layout;
  std::map<std::string, bool> seen;
  std::map<int, int> columns_of_horizon;
  for (const auto& name : csv_cells(header)) {
    if (seen[name]) throw InputError(file + ": column '" + shown(name) + "' appears twice in the header");
    seen[name] = true;
    auto found = std::find_if(kRunsColumns.begin(), kRunsColumns.end(), [&](const RunsColumn& c) { return name == c.name; });
    if (found != kRunsColumns.end()) {
      layout.cells.push_back({&*found});
    } else if (auto horizon = horizon_column(name)) {
      layout.cells.push_back({nullptr, horizon->first, static_cast<std::size_t>(horizon->second)});  // H, made an index below
      ++columns_of_horizon[horizon->second];
    } else {
      throw InputError(file + ": column '" + shown(name) + "' is not a runs.csv column (schema " + std::to_string(kRunsSchema) + ": " +
                       column_names() + ")");
    }
  }
  for (const auto& c : kRunsColumns)
    if (!seen[c.name]) throw InputError(file + ": column '" + std::string(c.name) + "' is missing from the header");
  for (const auto& [horizon, count] : columns_of_horizon) {
    if (count != static_cast<int>(kHorizonColumns.size()))
      throw InputError(file + ": horizon " + std::to_string(horizon) + " has only one of its columns max_train_loss_at_" +
                       std::to_string(horizon) + " and rms_Z_B_at_" + std::to_string(horizon));
    layout.horizons.push_back(horizon);
  }
  for (auto& cell : layout.cells)
    if (cell.horizon_column)
      cell.horizon_index = static_cast<std::size_t>(
          std::find(layout.horizons.begin(), layout.horizons.end(), static_cast<int>(cell.horizon_index)) - layout.horizons.begin());
  return layout;
}

}  // namespace

std::string runs_header(const std::vector<int>& horizons) {
  std::string text;
  for (const auto& c : kRunsColumns) text += (text.empty() ? "" : ",") + std::string(c.name);
  for (int horizon : horizons)
    for (const auto& c : kHorizonColumns) text += "," + std::string(c.prefix) + std::to_string(horizon);
  return text;
}

std::string runs_line(const RunRow& row) {
  std::string line;
  for (const auto& c : kRunsColumns) line += (line.empty() ? "" : ",") + c.write(row);
  for (const auto& record : row.horizons)
    for (const auto& c : kHorizonColumns) line += "," + cell(record.*c.member);
  return line + "\n";
}

namespace {

// The values a run can have: a number read back right can still be one no trainer
// writes (a loss of -5 or nan, a rate of 0), and would be analysed as if measured.
void check_ranges(const RunRow& row, const std::string& where) {
  auto refuse = [&](const char* column, double value, const char* accepted) {
    throw InputError(where + "column '" + column + "': " + cell(value) + " is out of range; accepted: " + accepted);
  };
  auto loss = [&](const char* column, double value) {  // +inf only where the run diverged
    if (std::isnan(value) || value < 0 || (std::isinf(value) && !row.diverged)) refuse(column, value, "a loss ≥ 0 (inf where the run diverged)");
  };
  if (!(row.lr_A > 0) || !std::isfinite(row.lr_A)) refuse("lr_A", row.lr_A, "a positive rate");
  if (!(row.lr_B > 0) || !std::isfinite(row.lr_B)) refuse("lr_B", row.lr_B, "a positive rate");
  if (row.width < 1) refuse("width", row.width, "a width ≥ 1");
  if (row.rank < 1) refuse("rank", row.rank, "a rank ≥ 1");
  auto canonical = [](const std::string& multiplier) {  // as the sweep writes it: "lora", not "1"
    try {
      return gamma::multiplier_name(gamma::parse_multiplier(multiplier)) == multiplier;
    } catch (const InputError&) {
      return false;
    }
  };
  if (!canonical(row.multiplier))
    throw InputError(where + "column 'multiplier': '" + row.multiplier + "' is not a multiplier's name; accepted: " +
                     gamma::multiplier_forms());
  if (!(row.initial_train_loss >= 0) || !std::isfinite(row.initial_train_loss))
    refuse("initial_train_loss", row.initial_train_loss, "a finite loss ≥ 0");
  loss("final_train_loss", row.final_train_loss);
  loss("final_test_loss", row.final_test_loss);
  loss("mean_last_train_loss", row.mean_last_train_loss);
  if (std::isnan(row.max_train_loss) || row.max_train_loss < 0) refuse("max_train_loss", row.max_train_loss, "a loss ≥ 0");
  if (row.round < 0) refuse("round", row.round, "0 (the grid) or a refinement round ≥ 1");
  for (const auto& h : row.horizons)  // +inf at horizons past a divergence
    if (std::isnan(h.max_train_loss) || h.max_train_loss < 0 || std::isnan(h.rms_Z_B) || h.rms_Z_B < 0)
      refuse(("max_train_loss_at_" + std::to_string(h.step)).c_str(), std::isnan(h.rms_Z_B) || h.rms_Z_B < 0 ? h.rms_Z_B : h.max_train_loss,
             "values ≥ 0 (inf past a divergence) in the horizon's two columns");
}

}  // namespace

std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  for (std::string c; std::getline(in, c, ',');) cells.push_back(c);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

std::vector<RunRow> read_runs(const std::filesystem::path& runs_csv) {
  const std::string file = runs_csv.string();
  std::ifstream in(runs_csv);
  if (!in) throw InputError(file + ": cannot read (is this a sweep's result directory?)");
  std::string line;
  if (!std::getline(in, line)) throw InputError(file + ": empty; expected a header such as " + runs_header({}));
  refuse_crlf(runs_csv, 1, line);
  const HeaderLayout layout = layout_of_header(line, file);
  const std::vector<std::string> names = csv_cells(line);
  std::vector<RunRow> rows;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    refuse_crlf(runs_csv, static_cast<std::size_t>(number), line);
    const std::vector<std::string> cells = csv_cells(line);
    const std::string where = file + ":" + std::to_string(number) + ": ";
    if (cells.size() != layout.cells.size())
      throw InputError(where + "malformed row: " + std::to_string(cells.size()) + " cells, but the header has " +
                       std::to_string(layout.cells.size()) + " columns");
    RunRow row{};
    for (int horizon : layout.horizons) row.horizons.push_back({horizon});
    for (std::size_t i = 0; i < cells.size(); ++i) try {
        const HeaderLayout::Cell& c = layout.cells[i];
        if (c.fixed) c.fixed->read(cells[i], row);
        else parse(cells[i], row.horizons[c.horizon_index].*c.horizon_column->member);
      } catch (const std::exception& e) {
        throw InputError(where + "column '" + shown(names[i]) + "': '" + shown(cells[i]) + "' is " + e.what());
      }
    check_ranges(row, where);
    rows.push_back(std::move(row));
  }
  return rows;
}

const std::string& curves_header() {
  static const std::string header = "id,step,train_loss,test_loss,lr_factor,norm_Z_A,norm_Z_B";
  return header;
}

std::string curves_line(std::size_t id, const CurvePoint& p) {
  return cell(id) + ',' + cell(p.step) + ',' + cell(p.train_loss) + ',' + cell(p.test_loss) + ',' + cell(p.lr_factor) + ',' +
         cell(p.norm_Z_A) + ',' + cell(p.norm_Z_B) + '\n';
}

// ---- manifest.json ---------------------------------------------------------------

std::string fingerprint(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string spec_hash(const SweepSpec& spec) { return fingerprint(spec_to_json(spec).dump()); }


// ---- summary.json ----------------------------------------------------------------

const gamma::Vocabulary<Estimator>& estimators() {
  static const gamma::Vocabulary<Estimator> vocabulary(
      "estimator", {{Estimator::Optimal, "optimal", "optimal η", {}},
                    {Estimator::MaxStable, "max_stable", "max stable η (" + stability_criteria().title(Criterion::FinalLoss) + ")", {}}});
  return vocabulary;
}

namespace {

template <typename T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
template <typename T>
std::optional<T> optional_of(const nlohmann::json& value) {
  return value.is_null() ? std::nullopt : std::optional<T>(value.get<T>());
}

}  // namespace

void to_json(nlohmann::json& json, const Interval& interval) { json = {interval.low, interval.high}; }
void from_json(const nlohmann::json& json, Interval& interval) {
  if (!json.is_array() || json.size() != 2) throw std::invalid_argument("an interval is [low, high], not " + json.dump());
  interval = {json[0].get<double>(), json[1].get<double>()};
}
void to_json(nlohmann::json& json, const ExactExponent& e) { json = {{"exact", e.exact}, {"value", e.value}}; }
void from_json(const nlohmann::json& json, ExactExponent& e) {
  e = {json.at("exact").get<std::string>(), json.at("value").get<double>()};
}

namespace {

nlohmann::json width_json(const WidthSummary& w) {
  nlohmann::json json = {{"width", w.width}};
  for (Estimator e : estimators().values()) {
    const std::string name = estimators().name(e);
    json[name + "_lr"] = or_null(w.estimate(e).lr);
    json[name + "_lr_interval"] = or_null(w.estimate(e).interval);
    json[name + "_at_grid_edge"] = w.estimate(e).at_grid_edge;
  }
  if (w.best_mean_log_loss) {
    json["best_mean_log_loss"] = *w.best_mean_log_loss;
    json["best_mean_log_loss_interval"] = or_null(w.best_mean_log_loss_interval);
  }
  json["optimal_lr_half_window"] = or_null(w.optimal_lr_half_window);
  json["optimal_lr_twice_window"] = or_null(w.optimal_lr_twice_window);
  json["optimal_flat"] = w.optimal_flat;
  json["optimal_points"] = w.optimal_points;
  json["max_stable_non_monotone_seeds"] = w.max_stable.non_monotone_seeds;
  return json;
}

WidthSummary width_of(const nlohmann::json& json) {
  WidthSummary w;
  w.width = json.at("width").get<int>();
  for (Estimator e : estimators().values()) {
    const std::string name = estimators().name(e);
    w.estimate(e) = {optional_of<double>(json.at(name + "_lr")), optional_of<Interval>(json.at(name + "_lr_interval")),
                     json.at(name + "_at_grid_edge").get<bool>()};
  }
  if (json.contains("best_mean_log_loss")) {
    w.best_mean_log_loss = json["best_mean_log_loss"].get<double>();
    w.best_mean_log_loss_interval = optional_of<Interval>(json.at("best_mean_log_loss_interval"));
  }
  w.optimal_lr_half_window = optional_of<double>(json.at("optimal_lr_half_window"));
  w.optimal_lr_twice_window = optional_of<double>(json.at("optimal_lr_twice_window"));
  w.optimal_flat = json.at("optimal_flat").get<bool>();
  w.optimal_points = json.value("optimal_points", 0);
  w.max_stable.non_monotone_seeds = json.value("max_stable_non_monotone_seeds", 0);
  return w;
}

nlohmann::json estimate_json(const LrEstimate& e) {
  return {{"lr", or_null(e.lr)}, {"interval", or_null(e.interval)}, {"at_grid_edge", e.at_grid_edge}, {"non_monotone_seeds", e.non_monotone_seeds}};
}
LrEstimate estimate_of(const nlohmann::json& json) {
  return {optional_of<double>(json.at("lr")), optional_of<Interval>(json.at("interval")), json.at("at_grid_edge").get<bool>(),
          json.value("non_monotone_seeds", 0)};
}

// A slope's keys name its axis's points ("width": widths_used, finite_width, from_width).
struct AxisKeys {
  std::string point;
  std::string points() const { return point + "s"; }
};
const AxisKeys kWidthAxis{"width"}, kRankAxis{"rank"};

nlohmann::json trend_json(const Trend& f, const AxisKeys& axis) {
  nlohmann::json local = nlohmann::json::array();
  for (const auto& l : f.local)
    local.push_back({{"from_" + axis.point, l.from}, {"to_" + axis.point, l.to}, {"slope", or_null(l.slope)}, {"interval", or_null(l.interval)}});
  return {{"local", local},
          {"large_" + axis.points(), f.large_points},
          {"large_" + axis.point + "_slope", or_null(f.large_slope)},
          {"large_" + axis.point + "_interval", or_null(f.large_interval)},
          {"small_" + axis.point + "_slope", or_null(f.small_slope)},
          {"small_" + axis.point + "_interval", or_null(f.small_interval)},
          {"change", or_null(f.change)},
          {"change_interval", or_null(f.change_interval)},
          {"curvature", or_null(f.curvature)},
          {"curvature_interval", or_null(f.curvature_interval)},
          {"verdict", trend_verdicts().name(f.verdict)},
          {"evidence", f.evidence}};
}
Trend trend_of(const nlohmann::json& json, const AxisKeys& axis) {
  Trend f;
  for (const auto& l : json.at("local"))
    f.local.push_back({l.at("from_" + axis.point).get<int>(), l.at("to_" + axis.point).get<int>(), optional_of<double>(l.at("slope")),
                       optional_of<Interval>(l.at("interval"))});
  f.large_points = json.at("large_" + axis.points()).get<std::vector<int>>();
  f.large_slope = optional_of<double>(json.at("large_" + axis.point + "_slope"));
  f.large_interval = optional_of<Interval>(json.at("large_" + axis.point + "_interval"));
  f.small_slope = optional_of<double>(json.at("small_" + axis.point + "_slope"));
  f.small_interval = optional_of<Interval>(json.at("small_" + axis.point + "_interval"));
  f.change = optional_of<double>(json.at("change"));
  f.change_interval = optional_of<Interval>(json.at("change_interval"));
  f.curvature = optional_of<double>(json.at("curvature"));
  f.curvature_interval = optional_of<Interval>(json.at("curvature_interval"));
  f.verdict = trend_verdicts().parse(json.at("verdict").get<std::string>());
  f.evidence = json.at("evidence").get<std::string>();
  return f;
}

nlohmann::json infinite_width_json(const std::optional<InfiniteWidth>& w) {
  if (!w) return nullptr;
  return {{"gamma", w->gamma},           {"interval", or_null(w->interval)},     {"delta", w->delta},
          {"correction", w->correction}, {"aic_power_law", w->aic_power_law},   {"aic_corrected", w->aic_corrected},
          {"verdict", statistical_verdicts().name(w->verdict)}};
}
std::optional<InfiniteWidth> infinite_width_of(const nlohmann::json& json) {
  if (json.is_null()) return std::nullopt;
  return InfiniteWidth{json.at("gamma").get<double>(),         optional_of<Interval>(json.at("interval")),
                       json.at("delta").get<double>(),         json.at("correction").get<double>(),
                       json.at("aic_power_law").get<double>(), json.at("aic_corrected").get<double>(),
                       statistical_verdicts().parse(json.at("verdict").get<std::string>())};
}

nlohmann::json left_out_json(const LeftOutReplicates& l) {
  return {{"no_estimate", l.no_estimate}, {"at_grid_edge", l.at_grid_edge}, {"flat", l.flat}, {"clamped", l.clamped}};
}
LeftOutReplicates left_out_of(const nlohmann::json& json) {
  return {json.at("no_estimate").get<std::size_t>(), json.at("at_grid_edge").get<std::size_t>(), json.at("flat").get<std::size_t>(),
          json.at("clamped").get<std::size_t>()};
}

// The keys a slope has only where they apply: its replicates left out, an optimum's
// window sensitivity, an internal criterion's thresholds.
void slope_extras_json(nlohmann::json& json, const SlopeSummary& s) {
  json["left_out"] = left_out_json(s.left_out);
  if (s.window_sensitivity)
    json["window_sensitivity"] = {{"half_window_slope", or_null(s.window_sensitivity->half_window)},
                                  {"twice_window_slope", or_null(s.window_sensitivity->twice_window)},
                                  {"spread", or_null(s.window_sensitivity->spread)}};
  if (s.thresholds.empty()) return;
  json["thresholds"] = nlohmann::json::array();
  for (const ThresholdSlope& t : s.thresholds)
    json["thresholds"].push_back({{"internal_bound", t.internal_bound}, {"slope", or_null(t.slope)}, {"interval", or_null(t.interval)},
                                  {"verdict_network", statistical_verdicts().name(t.verdict_network)}});
  json["changes_with_threshold"] = s.changes_with_threshold();
}
void slope_extras_of(const nlohmann::json& json, SlopeSummary& s) {
  s.left_out = left_out_of(json.at("left_out"));
  if (json.contains("window_sensitivity")) {
    const auto& w = json["window_sensitivity"];
    s.window_sensitivity = WindowSensitivity{optional_of<double>(w.at("half_window_slope")), optional_of<double>(w.at("twice_window_slope")),
                                             optional_of<double>(w.at("spread"))};
  }
  if (json.contains("thresholds"))
    for (const auto& t : json["thresholds"])
      s.thresholds.push_back({t.at("internal_bound").get<double>(), optional_of<double>(t.at("slope")), optional_of<Interval>(t.at("interval")),
                              statistical_verdicts().parse(t.at("verdict_network").get<std::string>())});
}

nlohmann::json slope_json(const SlopeSummary& s, const AxisKeys& axis = kWidthAxis) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const auto& c : s.candidates) candidates.push_back({{"exponent", c.exponent}, {"excluded", c.excluded}});
  nlohmann::json json = {{"slope", or_null(s.slope)},
          {"interval", or_null(s.interval)},
          {axis.points() + "_used", s.points_used},
          {"resamples_used", s.resamples_used},
          {"bound", s.bound},
          {"engine", or_null(s.engine)},
          {"margin", s.margin},
          {"standard_error", or_null(s.standard_error)},
          {"degrees_of_freedom", s.degrees_of_freedom},
          {"verdict_network", statistical_verdicts().name(s.verdict_network)},
          {"verdict_module", statistical_verdicts().name(s.verdict_module)},
          {"departure_p", or_null(s.departure_p)},
          {"candidates", candidates},
          {"finite_" + axis.point, trend_json(s.trend, axis)},
          {"infinite_" + axis.point, infinite_width_json(s.infinite_width)},
          {"primary", s.primary},
          {"holm_p", or_null(s.holm_p)}};
  slope_extras_json(json, s);
  return json;
}

SlopeSummary slope_of(const nlohmann::json& json, const AxisKeys& axis = kWidthAxis) {
  SlopeSummary s;
  s.slope = optional_of<double>(json.at("slope"));
  s.interval = optional_of<Interval>(json.at("interval"));
  s.points_used = json.at(axis.points() + "_used").get<std::vector<int>>();
  s.resamples_used = json.at("resamples_used").get<std::size_t>();
  s.bound = json.at("bound").get<std::string>();
  s.engine = optional_of<ExactExponent>(json.at("engine"));
  s.margin = json.at("margin").get<double>();
  s.standard_error = optional_of<double>(json.at("standard_error"));
  s.degrees_of_freedom = json.at("degrees_of_freedom").get<double>();
  s.verdict_network = statistical_verdicts().parse(json.at("verdict_network").get<std::string>());
  s.verdict_module = statistical_verdicts().parse(json.at("verdict_module").get<std::string>());
  s.departure_p = optional_of<double>(json.at("departure_p"));
  for (const auto& c : json.at("candidates")) s.candidates.push_back({c.at("exponent").get<ExactExponent>(), c.at("excluded").get<bool>()});
  s.trend = trend_of(json.at("finite_" + axis.point), axis);
  s.infinite_width = infinite_width_of(json.at("infinite_" + axis.point));
  s.primary = json.at("primary").get<bool>();
  s.holm_p = optional_of<double>(json.at("holm_p"));
  slope_extras_of(json, s);
  return s;
}

nlohmann::json stability_json(const StabilitySummary& s) {
  nlohmann::json json = {{"criterion", stability_criteria().name(s.criterion)}, {"horizon", s.horizon}, {"widths", nlohmann::json::array()}, {"slope", slope_json(s.slope)}};
  for (const auto& w : s.widths) json["widths"].push_back(estimate_json(w));
  return json;
}
StabilitySummary stability_of(const nlohmann::json& json) {
  StabilitySummary s{stability_criteria().parse(json.at("criterion").get<std::string>()), json.at("horizon").get<int>(), {}, slope_of(json.at("slope"))};
  for (const auto& w : json.at("widths")) s.widths.push_back(estimate_of(w));
  return s;
}

nlohmann::json arm_json(const ArmSummary& arm) {
  nlohmann::json json = {{"scheme", arm.scheme},
                         {"init_sigma", or_null(arm.init_sigma)},
                         {"readout", gamma::readouts().name(arm.readout)},
                         {"rank", arm.rank},
                         {"multiplier", arm.multiplier},
                         {"engine_max_stable_exponent", {{"network", or_null(arm.engine_network)}, {"module", or_null(arm.engine_module)}}},
                         {"engine_bounds", {{"f_bounded", or_null(arm.engine_f_bounded)}, {"Z_B_bounded", or_null(arm.engine_Z_B_bounded)}}},
                         {"widths", nlohmann::json::array()},
                         {"stability", nlohmann::json::array()}};
  for (const auto& w : arm.widths) json["widths"].push_back(width_json(w));
  for (Estimator e : estimators().values()) json["slopes"][estimators().name(e)] = slope_json(arm.slope(e));
  for (const auto& s : arm.stability) json["stability"].push_back(stability_json(s));
  return json;
}

ArmSummary arm_of(const nlohmann::json& json) {
  ArmSummary arm;
  arm.scheme = json.at("scheme").get<std::string>();
  arm.init_sigma = optional_of<double>(json.value("init_sigma", nlohmann::json()));
  const auto& engine = json.at("engine_max_stable_exponent");
  arm.engine_network = optional_of<ExactExponent>(engine.at("network"));
  arm.engine_module = optional_of<ExactExponent>(engine.at("module"));
  arm.readout = gamma::readouts().parse(json.at("readout").get<std::string>());
  arm.rank = json.at("rank").get<int>();
  arm.multiplier = json.at("multiplier").get<std::string>();
  const auto& bounds = json.at("engine_bounds");
  arm.engine_f_bounded = optional_of<ExactExponent>(bounds.at("f_bounded"));
  arm.engine_Z_B_bounded = optional_of<ExactExponent>(bounds.at("Z_B_bounded"));
  for (const auto& w : json.at("widths")) arm.widths.push_back(width_of(w));
  for (Estimator e : estimators().values()) arm.slope(e) = slope_of(json.at("slopes").at(estimators().name(e)));
  for (const auto& s : json.at("stability")) arm.stability.push_back(stability_of(s));
  return arm;
}

nlohmann::json rank_slopes_json(const RankSlopes& r) {
  nlohmann::json json = {{"scheme", r.scheme},
                         {"init_sigma", or_null(r.init_sigma)},
                         {"readout", gamma::readouts().name(r.readout)},
                         {"multiplier", r.multiplier},
                         {"width", r.width},
                         {"ranks", r.ranks},
                         {"stability", nlohmann::json::array()}};
  for (Estimator e : estimators().values()) json["slopes"][estimators().name(e)] = slope_json(r.slope(e), kRankAxis);
  for (const auto& c : r.stability)
    json["stability"].push_back({{"criterion", stability_criteria().name(c.criterion)}, {"horizon", c.horizon}, {"slope", slope_json(c.slope, kRankAxis)}});
  return json;
}

RankSlopes rank_slopes_of(const nlohmann::json& json) {
  RankSlopes r;
  r.scheme = json.at("scheme").get<std::string>();
  r.init_sigma = optional_of<double>(json.at("init_sigma"));
  r.readout = gamma::readouts().parse(json.at("readout").get<std::string>());
  r.multiplier = json.at("multiplier").get<std::string>();
  r.width = json.at("width").get<int>();
  r.ranks = json.at("ranks").get<std::vector<int>>();
  for (Estimator e : estimators().values()) r.slope(e) = slope_of(json.at("slopes").at(estimators().name(e)), kRankAxis);
  for (const auto& c : json.at("stability"))
    r.stability.push_back({stability_criteria().parse(c.at("criterion").get<std::string>()), c.at("horizon").get<int>(), slope_of(c.at("slope"), kRankAxis)});
  return r;
}

}  // namespace

void to_json(nlohmann::json& json, const SweepSummary& s) {
  json = {{"version", kSummaryVersion},
          {"loss_statistic", s.loss_statistic}, {"stable_factor", s.stable_factor}, {"bootstrap_resamples", s.bootstrap_resamples},
          {"teachers", s.teachers}, {"seeds", s.seeds},                   {"runs_used", s.runs_used},         {"slope_widths", s.slope_widths},
          {"optimum_window", s.optimum_window}, {"edge_factor", s.edge_factor}, {"internal_bound", s.internal_bound},
          {"horizons", s.horizons},             {"margin", s.margin},               {"candidates", s.candidates},
          {"multiplicity", {{"slopes", s.multiplicity.slopes},
                            {"departures", s.multiplicity.departures},
                            {"expected_by_chance", s.multiplicity.expected_by_chance},
                            {"primary", s.multiplicity.primary},
                            {"primary_departures", s.multiplicity.primary_departures},
                            {"primary_departures_holm", s.multiplicity.primary_departures_holm}}},
          {"schemes", nlohmann::json::array()}};
  for (const auto& arm : s.arms) json["schemes"].push_back(arm_json(arm));
  json["rank_slopes"] = nlohmann::json::array();
  for (const auto& r : s.rank_slopes) json["rank_slopes"].push_back(rank_slopes_json(r));
  if (s.status_of_runs) json["status_of_runs"] = *s.status_of_runs;
}

void from_json(const nlohmann::json& json, SweepSummary& s) {
  // Version 1 had verdicts without a margin: its "agrees" does not mean what version 2's does.
  if (const int version = json.value("version", kSummaryVersion); version != kSummaryVersion)
    throw InputError("summary version " + std::to_string(version) + ", " + (version > kSummaryVersion ? "newer" : "older") +
                     " than this gammalab reads (" + std::to_string(kSummaryVersion) + "); analyse the directory again with this gammalab");
  try {
    s.loss_statistic = json.at("loss_statistic").get<std::string>();
    s.stable_factor = json.at("stable_factor").get<double>();
    s.optimum_window = json.at("optimum_window").get<double>();
    s.edge_factor = json.at("edge_factor").get<double>();
    s.internal_bound = json.at("internal_bound").get<double>();
    s.horizons = json.at("horizons").get<std::vector<int>>();
    s.bootstrap_resamples = json.at("bootstrap_resamples").get<std::size_t>();
    s.teachers = json.at("teachers").get<std::size_t>();
    s.seeds = json.at("seeds").get<std::size_t>();
    s.runs_used = json.at("runs_used").get<std::size_t>();
    s.slope_widths = json.at("slope_widths").get<std::vector<int>>();
    s.margin = json.at("margin").get<double>();
    s.candidates = json.at("candidates").get<std::vector<ExactExponent>>();
    const auto& m = json.at("multiplicity");
    s.multiplicity = {m.at("slopes").get<std::size_t>(),           m.at("departures").get<std::size_t>(),
                      m.at("expected_by_chance").get<double>(),    m.at("primary").get<std::size_t>(),
                      m.at("primary_departures").get<std::size_t>(), m.at("primary_departures_holm").get<std::size_t>()};
    s.arms.clear();
    for (const auto& arm : json.at("schemes")) s.arms.push_back(arm_of(arm));
    s.rank_slopes.clear();
    for (const auto& r : json.at("rank_slopes")) s.rank_slopes.push_back(rank_slopes_of(r));
    s.status_of_runs = json.contains("status_of_runs") ? std::optional(json["status_of_runs"].get<std::string>()) : std::nullopt;
  } catch (const std::exception& e) {  // a missing key, a mistyped value
    throw InputError(std::string("not a gammalab summary: ") + e.what());
  }
}

std::optional<SweepSummary> read_summary(const std::filesystem::path& summary_json) {
  if (!std::filesystem::exists(summary_json)) return std::nullopt;
  std::ifstream in(summary_json);
  const nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) throw InputError(summary_json.string() + " is not valid JSON");
  try {
    return json.get<SweepSummary>();
  } catch (const InputError& e) {
    throw InputError(summary_json.string() + ": " + e.what());
  }
}

void write_summary(const std::filesystem::path& summary_json, const SweepSummary& summary) {
  write_atomically(summary_json, nlohmann::json(summary).dump(2) + "\n");
}

}  // namespace gammalab::sim
