#include "sim/analysis/results_view.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <optional>
#include <stdexcept>

#include "gamma/vocabulary.hpp"

namespace gammalab::sim {

namespace {

// ---- cells: one way to write each kind of number ----------------------------------

const char* const kAbsent = "—";

ViewCell absent() { return {kAbsent, nullptr}; }

ViewCell integer_cell(long long value) { return {std::to_string(value), value}; }

// "3.16e-3": three significant digits, the exponent without a plus sign or leading zeros.
std::string scientific(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2e", value);
  std::string written = text;
  const auto e = written.find('e');
  if (e == std::string::npos) return written;  // inf, nan
  std::string exponent = written.substr(e + 1);
  const bool negative = exponent.front() == '-';
  exponent.erase(0, exponent.find_first_not_of("+-"));
  exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
  return written.substr(0, e) + "e" + (negative ? "-" : "") + exponent;
}

ViewCell rate_cell(const std::optional<double>& rate) { return rate ? ViewCell{scientific(*rate), *rate} : absent(); }

// "-0.73", "+0.12": two decimals and the sign.
ViewCell slope_cell(const std::optional<double>& slope) {
  if (!slope) return absent();
  char text[32];
  std::snprintf(text, sizeof text, "%+.2f", *slope);
  return {text, *slope};
}

// A measured number with no unit of its own (a loss, σ): three significant digits.
ViewCell number_cell(const std::optional<double>& number) {
  if (!number) return absent();
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", *number);
  return {text, *number};
}

ViewCell text_cell(const std::string& text) { return {text, text}; }

ViewCell exact_cell(const std::optional<ExactExponent>& exponent) { return exponent ? text_cell(exponent->exact) : absent(); }

ViewCell low_cell(const std::optional<Interval>& interval) { return interval ? slope_cell(interval->low) : absent(); }
ViewCell high_cell(const std::optional<Interval>& interval) { return interval ? slope_cell(interval->high) : absent(); }

// "±0.125": the margin of a verdict.
ViewCell margin_cell(double margin) {
  char text[32];
  std::snprintf(text, sizeof text, "±%.3g", margin);
  return {text, margin};
}

// "-1: yes, -1/2: no, 0: yes": whether the interval excludes each other candidate exponent;
// the value maps each exponent to that.
ViewCell candidates_cell(const std::vector<CandidateCheck>& candidates) {
  if (candidates.empty()) return absent();
  std::string text;
  nlohmann::json value = nlohmann::json::object();
  for (const auto& c : candidates) {
    text += (text.empty() ? "" : ", ") + c.exponent.exact + ": " + (c.excluded ? "yes" : "no");
    value[c.exponent.exact] = c.excluded;
  }
  return {text, value};
}

ViewCell flag_cell(bool flag) { return {flag ? "yes" : "no", flag}; }

ViewCell points_cell(const std::vector<int>& points) {
  std::string text;
  for (int point : points) text += (text.empty() ? "" : ", ") + std::to_string(point);
  return {text.empty() ? kAbsent : text, points};
}

// ---- a table as a list of columns, each a function of one row's record ------------

template <class Record>
struct Column {
  std::string key, label;
  std::function<ViewCell(const Record&)> cell;
};

template <class Record>
ViewTable table_of(const std::string& name, const std::string& title, const std::vector<Column<Record>>& columns,
                   const std::vector<Record>& records) {
  ViewTable table{name, title, {}, {}};
  for (const auto& c : columns) table.columns.push_back({c.key, c.label});
  for (const auto& record : records) {
    std::vector<ViewCell> row;
    for (const auto& c : columns) row.push_back(c.cell(record));
    table.rows.push_back(std::move(row));
  }
  return table;
}

// What tells one arm from another: the readout, the scheme, σ, the multiplier (and the
// rank, for an arm at one rank).
struct Arm {
  Readout readout;
  std::string scheme;
  std::optional<double> sigma;
  std::optional<int> rank;  // none: a slope along the ranks
  std::string multiplier;
};

template <class Record>
std::vector<Column<Record>> arm_columns() {
  return {{"readout", "readout", [](const Record& r) { return text_cell(gamma::readouts().name(r.arm.readout)); }},
          {"scheme", "scheme", [](const Record& r) { return text_cell(r.arm.scheme); }},
          {"sigma", "σ", [](const Record& r) { return number_cell(r.arm.sigma); }},
          {"rank", "rank", [](const Record& r) { return r.arm.rank ? integer_cell(*r.arm.rank) : absent(); }},
          {"multiplier", "multiplier", [](const Record& r) { return text_cell(r.arm.multiplier); }}};
}

template <class Record>
std::vector<Column<Record>> joined(std::vector<Column<Record>> first, const std::vector<Column<Record>>& then) {
  first.insert(first.end(), then.begin(), then.end());
  return first;
}

// ---- "slopes" ----------------------------------------------------------------------

struct SlopeRecord {
  Arm arm;
  const char* axis;  // "width", "rank"
  int at;            // the rank of a width slope, the width of a rank slope
  std::string measure;
  std::optional<int> horizon;
  const SlopeSummary* slope;
  std::optional<ExactExponent> engine_module;  // the single module's exponent along the width
};

// "optimal η", "max stable η (final loss)", "max stable η (output)": the measure for people.
std::string measure_text(const std::string& measure) {
  if (measure == estimators().name(Estimator::Optimal)) return "optimal η";
  if (measure == estimators().name(Estimator::MaxStable)) return "max stable η (final loss)";
  return "max stable η (" + measure + ")";
}

template <class Slopes>
void add_slopes(std::vector<SlopeRecord>& records, const Arm& arm, const char* axis, int at, const Slopes& slopes,
                const std::optional<ExactExponent>& engine_module) {
  for (Estimator e : estimators().values())
    records.push_back({arm, axis, at, estimators().name(e), std::nullopt, &slopes.slope(e), engine_module});
  for (const auto& s : slopes.stability)
    records.push_back({arm, axis, at, stability_criteria().name(s.criterion), s.horizon, &s.slope, engine_module});
}

// "12 (no estimate 2, at the grid's edge 10)": replicates counted by why; absent when none.
ViewCell counted_cell(const std::vector<std::pair<std::size_t, const char*>>& counts) {
  std::size_t total = 0;
  std::string why;
  for (const auto& [count, reason] : counts)
    if (count) total += count, why += (why.empty() ? "" : ", ") + std::string(reason) + " " + std::to_string(count);
  if (total == 0) return absent();
  return {std::to_string(total) + " (" + why + ")", total};
}

// "10: -0.50 agrees, 100: -0.52 agrees, 1000: -0.75 departs": an internal slope at each
// threshold; absent for the other measures.
ViewCell thresholds_cell(const std::vector<ThresholdSlope>& thresholds) {
  if (thresholds.empty()) return absent();
  std::string text;
  nlohmann::json slopes = nlohmann::json::array();
  for (const ThresholdSlope& t : thresholds) {
    text += (text.empty() ? "" : ", ") + number_cell(t.internal_bound).text + ": " + slope_cell(t.slope).text + " " +
            statistical_verdicts().name(t.verdict_network);
    slopes.push_back(t.slope ? nlohmann::json(*t.slope) : nlohmann::json());
  }
  return {text, slopes};
}

ViewTable slopes_table(const SweepSummary& summary) {
  std::vector<SlopeRecord> records;
  for (const auto& a : summary.arms)
    add_slopes(records, {a.readout, a.scheme, a.init_sigma, a.rank, a.multiplier}, "width", a.rank, a, a.engine_module);
  for (const auto& r : summary.rank_slopes)
    add_slopes(records, {r.readout, r.scheme, r.init_sigma, std::nullopt, r.multiplier}, "rank", r.width, r, std::nullopt);
  using R = SlopeRecord;
  // What a person reads first comes first: the measure, its slope, the engine's exponent
  // and the verdicts; then the single module's, the points fitted and the evidence.
  const std::vector<Column<R>> columns = {
      {"axis", "along", [](const R& r) { return text_cell(r.axis); }},
      {"at", "at", [](const R& r) { return integer_cell(r.at); }},
      {"measure", "measure", [](const R& r) { return ViewCell{measure_text(r.measure), r.measure}; }},
      {"horizon", "step", [](const R& r) { return r.horizon ? integer_cell(*r.horizon) : absent(); }},
      {"slope", "slope", [](const R& r) { return slope_cell(r.slope->slope); }},
      {"interval_low", "95% low", [](const R& r) { return low_cell(r.slope->interval); }},
      {"interval_high", "95% high", [](const R& r) { return high_cell(r.slope->interval); }},
      {"bound", "engine bound", [](const R& r) { return text_cell(r.slope->bound); }},
      {"engine", "engine", [](const R& r) { return exact_cell(r.slope->engine); }},
      {"margin", "margin", [](const R& r) { return margin_cell(r.slope->margin); }},
      {"verdict", "verdict", [](const R& r) { return text_cell(statistical_verdicts().name(r.slope->verdict_network)); }},
      {"tells_apart", "tells apart from", [](const R& r) { return candidates_cell(r.slope->candidates); }},
      {"trend", "trend", [](const R& r) { return text_cell(trend_verdicts().name(r.slope->trend.verdict)); }},
      {"curvature", "curvature", [](const R& r) { return slope_cell(r.slope->trend.curvature); }},
      {"curvature_low", "95% low", [](const R& r) { return low_cell(r.slope->trend.curvature_interval); }},
      {"curvature_high", "95% high", [](const R& r) { return high_cell(r.slope->trend.curvature_interval); }},
      {"gamma_infinity", "γ∞", [](const R& r) { return r.slope->infinite_width ? slope_cell(r.slope->infinite_width->gamma) : absent(); }},
      {"gamma_infinity_low", "95% low", [](const R& r) { return r.slope->infinite_width ? low_cell(r.slope->infinite_width->interval) : absent(); }},
      {"gamma_infinity_high", "95% high", [](const R& r) { return r.slope->infinite_width ? high_cell(r.slope->infinite_width->interval) : absent(); }},
      {"gamma_infinity_verdict", "verdict (γ∞)", [](const R& r) {
         return r.slope->infinite_width ? text_cell(statistical_verdicts().name(r.slope->infinite_width->verdict)) : absent();
       }},
      {"aic_difference", "ΔAIC (γ∞ fit − line)", [](const R& r) {
         return r.slope->infinite_width ? number_cell(r.slope->infinite_width->aic_corrected - r.slope->infinite_width->aic_power_law) : absent();
       }},
      {"primary", "primary", [](const R& r) { return flag_cell(r.slope->primary); }},
      {"holm_p", "Holm p", [](const R& r) { return number_cell(r.slope->holm_p); }},
      {"engine_module", "module", [](const R& r) { return exact_cell(r.engine_module); }},
      {"verdict_module", "verdict (module)", [](const R& r) { return text_cell(statistical_verdicts().name(r.slope->verdict_module)); }},
      {"points", "points used", [](const R& r) { return points_cell(r.slope->points_used); }},
      {"left_out", "replicates left out", [](const R& r) {
         return counted_cell({{r.slope->left_out.no_estimate, "no estimate"}, {r.slope->left_out.at_grid_edge, "at the grid's edge"}});
       }},
      {"stand_ins", "replicates kept with a stand-in optimum", [](const R& r) {
         return counted_cell({{r.slope->stand_ins.flat, "flat"}, {r.slope->stand_ins.clamped, "clamped"}});
       }},
      {"window_spread", "slope's spread over ½–2× window", [](const R& r) {
         return r.slope->window_sensitivity ? slope_cell(r.slope->window_sensitivity->spread) : absent();
       }},
      {"thresholds", "slope by internal_bound", [](const R& r) { return thresholds_cell(r.slope->thresholds); }},
      {"changes_with_threshold", "verdict changes with the threshold", [](const R& r) {
         return r.slope->thresholds.empty() ? absent() : flag_cell(r.slope->changes_with_threshold());
       }},
      {"evidence", "the trend's evidence", [](const R& r) {
         return r.slope->trend.evidence.empty() ? absent() : text_cell(r.slope->trend.evidence);
       }}};
  return table_of("slopes", "Slopes of log η beside the engine's exponents", joined(arm_columns<R>(), columns), records);
}

// ---- "widths" ----------------------------------------------------------------------

struct WidthRecord {
  Arm arm;
  const WidthSummary* width;
};

ViewTable widths_table(const SweepSummary& summary) {
  std::vector<WidthRecord> records;
  for (const auto& a : summary.arms)
    for (const auto& w : a.widths) records.push_back({{a.readout, a.scheme, a.init_sigma, a.rank, a.multiplier}, &w});
  using R = WidthRecord;
  std::vector<Column<R>> columns = {{"width", "width", [](const R& r) { return integer_cell(r.width->width); }}};
  for (Estimator e : estimators().values()) {
    const std::string name = estimators().name(e);
    auto estimate = [e](const R& r) -> const LrEstimate& { return r.width->estimate(e); };
    columns.push_back({name + "_lr", e == Estimator::Optimal ? "optimal η" : "max stable η",
                       [estimate](const R& r) { return rate_cell(estimate(r).lr); }});
    columns.push_back({name + "_low", "95% low", [estimate](const R& r) {
                         return estimate(r).interval ? rate_cell(estimate(r).interval->low) : absent();
                       }});
    columns.push_back({name + "_high", "95% high", [estimate](const R& r) {
                         return estimate(r).interval ? rate_cell(estimate(r).interval->high) : absent();
                       }});
    columns.push_back({name + "_at_grid_edge", "at the grid's edge", [estimate](const R& r) { return flag_cell(estimate(r).at_grid_edge); }});
  }
  // The optimum's sensitivity to the fit's window, and whether the loss curves up around it.
  columns.push_back({"optimal_half_window", "optimal η (½ window)", [](const R& r) { return rate_cell(r.width->optimal_lr_half_window); }});
  columns.push_back({"optimal_twice_window", "optimal η (2× window)", [](const R& r) { return rate_cell(r.width->optimal_lr_twice_window); }});
  columns.push_back({"optimal_flat", "flat optimum", [](const R& r) { return flag_cell(r.width->optimal_flat); }});
  columns.push_back({"optimal_points", "rates under the vertex", [](const R& r) { return integer_cell(r.width->optimal_points); }});
  columns.push_back({"max_stable_non_monotone_seeds", "non-monotone seeds",
                     [](const R& r) { return integer_cell(r.width->max_stable.non_monotone_seeds); }});
  columns.push_back({"best_mean_log_loss", "best mean log loss", [](const R& r) { return number_cell(r.width->best_mean_log_loss); }});
  return table_of("widths", "Learning rates per width (an estimate at the grid's edge is left out of the slope)",
                  joined(arm_columns<R>(), columns), records);
}

}  // namespace

std::size_t ViewTable::column(const std::string& key) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].key == key) return i;
  throw std::out_of_range("the table '" + name + "' has no column '" + key + "'");
}

const ViewTable& ResultsView::table(const std::string& name) const {
  for (const auto& t : tables)
    if (t.name == name) return t;
  throw std::out_of_range("the results view has no table '" + name + "'");
}

ResultsView results_view(const SweepSummary& summary) { return {{slopes_table(summary), widths_table(summary)}}; }

void to_json(nlohmann::json& json, const ResultsView& view) {
  json = {{"tables", nlohmann::json::array()}};
  for (const auto& t : view.tables) {
    nlohmann::json columns = nlohmann::json::array(), rows = nlohmann::json::array();
    for (const auto& c : t.columns) columns.push_back({{"key", c.key}, {"label", c.label}});
    for (const auto& row : t.rows) {
      nlohmann::json cells = nlohmann::json::array();
      for (const auto& cell : row) cells.push_back({{"text", cell.text}, {"value", cell.value}});
      rows.push_back(cells);
    }
    json["tables"].push_back({{"name", t.name}, {"title", t.title}, {"columns", columns}, {"rows", rows}});
  }
}

namespace {

// Widths counted in characters, not bytes (γ, η, σ, — are several bytes in UTF-8).
std::size_t display_width(const std::string& text) {
  std::size_t characters = 0;
  for (unsigned char c : text) characters += (c & 0xC0) != 0x80;
  return characters;
}

}  // namespace

std::string aligned_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      out += i + 1 < row.size() ? row[i] + std::string(widths[i] + 2 - display_width(row[i]), ' ') : row[i];
    out += "\n";
  }
  return out;
}

std::string render_text(const ViewTable& table) {
  std::vector<std::vector<std::string>> lines(1);
  for (const auto& c : table.columns) lines.front().push_back(c.label);
  for (const auto& row : table.rows) {
    lines.emplace_back();
    for (const auto& cell : row) lines.back().push_back(cell.text);
  }
  return aligned_table(lines);
}

std::string multiplicity_line(const SweepSummary& summary) {
  const Multiplicity& m = summary.multiplicity;
  char line[320];
  std::snprintf(line, sizeof line,
                "chance: %zu of %zu slopes held against the engine depart, where chance alone gives at most %.1f (2.5%% each); "
                "primary slopes: %zu of %zu depart, %zu after Holm's correction",
                m.departures, m.slopes, m.expected_by_chance, m.primary_departures, m.primary, m.primary_departures_holm);
  return line;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  return out;
}

namespace {
// A verdict as a CSS class: "moving away" → "moving-away".
std::string class_name(std::string verdict) {
  std::replace(verdict.begin(), verdict.end(), ' ', '-');
  return verdict;
}
}  // namespace

std::string render_html(const ViewTable& table) {
  std::string html = "<table class=\"view\" data-table=\"" + html_escape(table.name) + "\"><thead><tr>";
  for (const auto& c : table.columns) html += "<th scope=\"col\" data-key=\"" + html_escape(c.key) + "\">" + html_escape(c.label) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    html += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string& key = table.columns[i].key;
      const bool verdict = key == "verdict" || key == "verdict_module" || key == "trend" || key == "gamma_infinity_verdict";
      html += "<td data-key=\"" + html_escape(key) + "\"" + (verdict ? " class=\"verdict " + html_escape(class_name(row[i].text)) + "\"" : "") + ">" +
              html_escape(row[i].text) + "</td>";
    }
    html += "</tr>\n";
  }
  return html + "</tbody></table>\n";
}

std::string verdict_line(const ViewTable& slopes, const std::vector<ViewCell>& row) {
  auto text = [&](const std::string& key) -> const std::string& { return slopes.cell(row, key).text; };
  const bool along_rank = slopes.cell(row, "axis").value == "rank";
  // Whether a column has more than one value in the table (`same_axis`: among the slopes
  // along this row's axis).
  auto varies = [&](const std::string& key, bool same_axis = false) {
    const std::size_t i = slopes.column(key), axis = slopes.column("axis");
    return std::any_of(slopes.rows.begin(), slopes.rows.end(), [&](const auto& other) {
      return (!same_axis || other[axis].value == row[axis].value) && other[i].value != row[i].value;
    });
  };
  const std::string variable = along_rank ? "r" : "n";
  // The arm: scheme and readout, and what else tells it from the table's other arms.
  std::string arm = text("scheme") + " (" + text("readout") + " readout";
  if (varies("sigma")) arm += ", σ = " + text("sigma");
  if (varies("multiplier")) arm += ", " + text("multiplier");
  arm += ")";
  if (along_rank) arm += " at n = " + text("at");
  else if (varies("at", true)) arm += " at r = " + text("at");
  std::string slope = "no slope (fewer than two " + std::string(along_rank ? "ranks" : "widths") + " inside the rates trained)";
  if (!slopes.cell(row, "slope").value.is_null())
    slope = variable + "^" + text("slope") +
            (slopes.cell(row, "interval_low").value.is_null() ? " (no interval)" : " [" + text("interval_low") + ", " + text("interval_high") + "]");
  auto present = [&](const std::string& key) { return !slopes.cell(row, key).value.is_null(); };
  auto interval = [&](const std::string& low, const std::string& high) { return " [" + text(low) + ", " + text(high) + "]"; };
  std::string line = "verdict: " + arm + " " + text("measure") + " ∝ " + slope + " against the engine's " + text("bound") + " " +
                     variable + "^" + (present("engine") ? text("engine") : "none") + " " + text("margin") + ": " + text("verdict");
  if (present("tells_apart")) line += "; tells apart from " + text("tells_apart");
  line += "; trend " + text("trend");
  if (present("curvature")) line += ", curvature " + text("curvature") + interval("curvature_low", "curvature_high");
  if (present("gamma_infinity"))
    line += "; γ∞ " + text("gamma_infinity") + interval("gamma_infinity_low", "gamma_infinity_high") + ": " + text("gamma_infinity_verdict") +
            " (ΔAIC " + text("aic_difference") + ")";
  if (slopes.cell(row, "primary").value == true) line += "; primary" + (present("holm_p") ? ", Holm p " + text("holm_p") : "");
  // The columns the line reads above, and those it leaves to `analyze`'s table; any other
  // (a column added to the view) is written out.
  static const std::vector<std::string> read = {
      "readout", "scheme", "sigma", "rank", "multiplier", "axis", "at", "measure", "horizon", "slope", "interval_low", "interval_high",
      "bound", "engine", "margin", "verdict", "tells_apart", "trend", "curvature", "curvature_low", "curvature_high", "gamma_infinity",
      "gamma_infinity_low", "gamma_infinity_high", "gamma_infinity_verdict", "aic_difference", "primary", "holm_p", "points",
      "engine_module", "verdict_module", "evidence"};
  for (std::size_t i = 0; i < slopes.columns.size(); ++i)
    if (std::find(read.begin(), read.end(), slopes.columns[i].key) == read.end() && !row[i].value.is_null())
      line += "; " + slopes.columns[i].label + " " + row[i].text;
  return line;
}

}  // namespace gammalab::sim
