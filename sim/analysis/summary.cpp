#include "sim/analysis/summary.hpp"

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
#include "sim/sweep/result_directory.hpp"

namespace gammalab::sim {

// ---- summary.json ----------------------------------------------------------------

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
  return {{"no_estimate", l.no_estimate}, {"at_grid_edge", l.at_grid_edge}};
}
LeftOutReplicates left_out_of(const nlohmann::json& json) {
  return {json.at("no_estimate").get<std::size_t>(), json.at("at_grid_edge").get<std::size_t>()};
}

// The keys a slope has only where they apply: its replicates left out, an optimum's
// window sensitivity, an internal criterion's thresholds.
void slope_extras_json(nlohmann::json& json, const SlopeSummary& s) {
  json["left_out"] = left_out_json(s.left_out);
  json["stand_ins"] = {{"flat", s.stand_ins.flat}, {"clamped", s.stand_ins.clamped}};
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
  s.stand_ins = {json.at("stand_ins").at("flat").get<std::size_t>(), json.at("stand_ins").at("clamped").get<std::size_t>()};
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

}  // namespace

nlohmann::json width_slope_json(const SlopeSummary& slope) { return slope_json(slope); }

namespace {

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
  // Version 1 had verdicts without a margin: its "agrees" does not mean what later ones'
  // do; version 2 left flat and clamped optima out of the intervals (now kept, stand_ins).
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
