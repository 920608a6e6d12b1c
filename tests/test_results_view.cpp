// The results view: a small SweepSummary made by hand, and the cells, rows, JSON, text,
// HTML and verdict lines every face draws from it.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "sim/analysis/results_view.hpp"

using namespace gammalab;
using namespace gammalab::sim;

namespace {

SlopeSummary slope(double value, double low, double high, const std::string& engine, const std::string& bound,
                   const std::string& verdict) {
  SlopeSummary s;
  s.slope = value;
  s.interval = Interval{low, high};
  s.points_used = {1024, 4096};
  s.bound = bound;
  s.engine = ExactExponent{engine, 0};
  s.verdict_network = statistical_verdicts().parse(verdict);
  s.verdict_module = Verdict::Departs;
  s.margin = 0.125;
  s.trend.verdict = TrendVerdict::Steady;
  return s;
}

// Init[A] under two readouts at rank 4, widths 1024 and 4096; the μP arm under rsLoRA.
SweepSummary small_summary() {
  SweepSummary summary;
  summary.horizons = {300};
  for (Readout readout : {Readout::Standard, Readout::MuP}) {
    ArmSummary arm;
    arm.scheme = "A";
    arm.readout = readout;
    arm.rank = 4;
    arm.multiplier = readout == Readout::MuP ? "rslora" : "lora";
    arm.engine_module = ExactExponent{"-1/2", -0.5};
    for (int width : {1024, 4096}) {
      WidthSummary w;
      w.width = width;
      w.optimal.lr = width == 4096 ? 0.0031622776 : 0.01;
      w.optimal.interval = Interval{0.002, 0.00501};
      w.max_stable.lr = 0.1;
      w.max_stable.at_grid_edge = width == 1024;
      w.best_mean_log_loss = -2.34567;
      arm.widths.push_back(w);
    }
    arm.optimal_slope = slope(-0.7312, -0.8634, -0.3401, "-3/4", "stable", "inconclusive");
    arm.optimal_slope.candidates = {{{"-1", -1}, true}, {{"-1/2", -0.5}, false}, {{"0", 0}, true}};
    arm.optimal_slope.trend.verdict = TrendVerdict::MovingAway;
    arm.optimal_slope.trend.curvature = -0.0123;
    arm.optimal_slope.trend.curvature_interval = Interval{-0.03, 0.005};
    arm.optimal_slope.infinite_width = InfiniteWidth{-0.8, Interval{-0.95, -0.65}, 0.5, 1.2, 4.0, 1.5, Verdict::Agrees};
    arm.optimal_slope.primary = true;
    arm.optimal_slope.holm_p = 0.5;
    arm.optimal_slope.left_out = {0, 4};
    arm.optimal_slope.stand_ins = {2, 3};
    arm.max_stable_slope = slope(0.123, 0.05, 0.2, "-1", "stable", "departs");
    arm.stability.push_back({Criterion::Internal, 300, {}, slope(-0.32, -0.41, -0.24, "-1", "Z_B bounded", "departs")});
    summary.arms.push_back(arm);
  }
  RankSlopes ranks;
  ranks.scheme = "B";
  ranks.width = 4096;
  ranks.ranks = {2, 4, 8};
  ranks.optimal_slope = slope(0.49, 0.4, 0.6, "1/2", "stable", "agrees");
  ranks.max_stable_slope.trend.verdict = TrendVerdict::Undetermined;  // fewer than two ranks inside the rates
  summary.rank_slopes.push_back(ranks);
  return summary;
}

std::vector<std::string> texts(const ViewTable& table, const std::string& key) {
  std::vector<std::string> column;
  for (const auto& row : table.rows) column.push_back(table.cell(row, key).text);
  return column;
}

}  // namespace

TEST_CASE("the widths table: a width reads as an integer, a rate in scientific notation with three digits") {
  const ResultsView view = results_view(small_summary());
  const ViewTable& widths = view.table("widths");
  REQUIRE(widths.rows.size() == 4);  // two arms × two widths
  const auto& row = widths.rows[1];  // the standard readout at width 4096
  CHECK(widths.cell(row, "width").text == "4096");
  CHECK(widths.cell(row, "width").value == 4096);
  CHECK(widths.cell(row, "optimal_lr").text == "3.16e-3");
  CHECK(widths.cell(row, "optimal_lr").value.get<double>() == doctest::Approx(0.0031622776));
  CHECK(widths.cell(row, "optimal_low").text == "2.00e-3");
  CHECK(widths.cell(row, "optimal_high").text == "5.01e-3");
  CHECK(widths.cell(row, "max_stable_lr").text == "1.00e-1");
  CHECK(widths.cell(row, "max_stable_low").value.is_null());
  CHECK(widths.cell(row, "max_stable_low").text == "—");
  CHECK(texts(widths, "max_stable_at_grid_edge") == std::vector<std::string>{"yes", "no", "yes", "no"});
  CHECK(widths.cell(row, "best_mean_log_loss").text == "-2.35");
  CHECK(widths.cell(row, "sigma").value.is_null());
  CHECK(texts(widths, "readout") == std::vector<std::string>{"sp", "sp", "mup", "mup"});
  CHECK(texts(widths, "multiplier") == std::vector<std::string>{"lora", "lora", "rslora", "rslora"});
}

TEST_CASE("the slopes table: every arm's slopes apart, and the rank slopes") {
  const ViewTable slopes = results_view(small_summary()).table("slopes");
  // Per arm: optimal, max_stable, internal at step 300; then the rank slope's three.
  REQUIRE(slopes.rows.size() == 2 * 3 + 2);
  CHECK(texts(slopes, "readout") == std::vector<std::string>{"sp", "sp", "sp", "mup", "mup", "mup", "sp", "sp"});
  CHECK(texts(slopes, "measure") == std::vector<std::string>{"optimal η", "max stable η (final loss)", "max stable η (internal)", "optimal η",
                                                             "max stable η (final loss)", "max stable η (internal)", "optimal η",
                                                             "max stable η (final loss)"});
  const auto& optimal = slopes.rows[0];
  CHECK(slopes.cell(optimal, "measure").value == "optimal");
  CHECK(slopes.cell(optimal, "slope").text == "-0.73");
  CHECK(slopes.cell(optimal, "interval_low").text == "-0.86");
  CHECK(slopes.cell(optimal, "interval_high").text == "-0.34");
  CHECK(slopes.cell(optimal, "engine").value == "-3/4");
  CHECK(slopes.cell(optimal, "engine_module").text == "-1/2");
  CHECK(slopes.cell(optimal, "points").text == "1024, 4096");
  CHECK(slopes.cell(optimal, "horizon").value.is_null());
  CHECK(slopes.cell(optimal, "margin").text == "±0.125");
  CHECK(slopes.cell(optimal, "verdict").text == "inconclusive");
  CHECK(slopes.cell(optimal, "tells_apart").text == "-1: yes, -1/2: no, 0: yes");
  CHECK(slopes.cell(optimal, "tells_apart").value["-1/2"] == false);
  CHECK(slopes.cell(optimal, "trend").text == "moving away");
  CHECK(slopes.cell(optimal, "curvature").text == "-0.01");
  CHECK(slopes.cell(optimal, "gamma_infinity_high").text == "-0.65");
  CHECK(slopes.cell(optimal, "aic_difference").value.get<double>() == doctest::Approx(-2.5));
  CHECK(slopes.cell(optimal, "holm_p").text == "0.5");
  CHECK(slopes.cell(optimal, "left_out").text == "4 (at the grid's edge 4)");
  CHECK(slopes.cell(optimal, "left_out").value == 4);
  CHECK(slopes.cell(optimal, "stand_ins").text == "5 (flat 2, clamped 3)");
  CHECK(slopes.cell(optimal, "stand_ins").value == 5);
  CHECK(slopes.cell(slopes.rows[1], "stand_ins").value.is_null());  // none: absent
  CHECK(slopes.cell(slopes.rows[1], "gamma_infinity").value.is_null());
  CHECK(slopes.cell(slopes.rows[1], "slope").text == "+0.12");
  CHECK(slopes.cell(slopes.rows[2], "horizon").text == "300");
  CHECK(slopes.cell(slopes.rows[2], "bound").text == "Z_B bounded");
  CHECK(texts(slopes, "axis") == std::vector<std::string>{"width", "width", "width", "width", "width", "width", "rank", "rank"});
  CHECK(texts(slopes, "at") == std::vector<std::string>{"4", "4", "4", "4", "4", "4", "4096", "4096"});
  const auto& along_rank = slopes.rows[6];
  CHECK(slopes.cell(along_rank, "scheme").text == "B");
  CHECK(slopes.cell(along_rank, "rank").value.is_null());
  CHECK(slopes.cell(along_rank, "engine_module").value.is_null());
  CHECK(slopes.cell(slopes.rows[7], "slope").value.is_null());
}

TEST_CASE("the view as JSON: tables of columns and rows of {text, value}") {
  const nlohmann::json json = results_view(small_summary());
  REQUIRE(json["tables"].size() == 2);
  CHECK(json["tables"][0]["name"] == "slopes");
  CHECK(json["tables"][1]["name"] == "widths");
  const auto& widths = json["tables"][1];
  CHECK(widths["columns"][5] == nlohmann::json{{"key", "width"}, {"label", "width"}});
  CHECK(widths["rows"][1][5] == nlohmann::json{{"text", "4096"}, {"value", 4096}});
  CHECK(json["tables"][0]["rows"][0][json["tables"][0]["columns"].size() - 1]["value"].is_null());  // no trend evidence given
}

TEST_CASE("text and HTML render every column, aligned and escaped") {
  const ViewTable widths = results_view(small_summary()).table("widths");
  const std::string text = render_text(widths);
  const auto first_line = text.substr(0, text.find('\n'));
  CHECK(first_line.find("readout  scheme  σ  rank  multiplier  width  optimal η") != std::string::npos);
  CHECK(text.find("\nsp       A       —  4     lora        4096   3.16e-3") != std::string::npos);
  const std::string html = render_html(results_view(small_summary()).table("slopes"));
  CHECK(html.find("<td data-key=\"verdict\" class=\"verdict inconclusive\">inconclusive</td>") != std::string::npos);
  CHECK(html.find("<td data-key=\"trend\" class=\"verdict moving-away\">moving away</td>") != std::string::npos);
  CHECK(html.find("<th scope=\"col\" data-key=\"sigma\">σ</th>") != std::string::npos);
  CHECK(html_escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;");
}

TEST_CASE("a verdict line reads the row, naming what tells its arm from the others") {
  const ViewTable slopes = results_view(small_summary()).table("slopes");
  CHECK(verdict_line(slopes, slopes.rows[0]) ==
        "verdict: A (sp readout, lora) optimal η ∝ n^-0.73 [-0.86, -0.34] against the engine's stable n^-3/4 ±0.125: inconclusive; "
        "tells apart from -1: yes, -1/2: no, 0: yes; trend moving away, curvature -0.01 [-0.03, +0.01]; γ∞ -0.80 [-0.95, -0.65]: "
        "agrees (ΔAIC -2.5); primary, Holm p 0.5; replicates left out 4 (at the grid's edge 4); "
        "replicates kept with a stand-in optimum 5 (flat 2, clamped 3)");
  CHECK(verdict_line(slopes, slopes.rows[5]) ==
        "verdict: A (mup readout, rslora) max stable η (internal) ∝ n^-0.32 [-0.41, -0.24] against the engine's Z_B bounded n^-1 ±0.125: "
        "departs; trend steady");
  CHECK(verdict_line(slopes, slopes.rows[6]) ==
        "verdict: B (sp readout, lora) at n = 4096 optimal η ∝ r^+0.49 [+0.40, +0.60] against the engine's stable r^1/2 ±0.125: agrees; "
        "trend steady");
  CHECK(verdict_line(slopes, slopes.rows[7]) ==
        "verdict: B (sp readout, lora) at n = 4096 max stable η (final loss) ∝ no slope (fewer than two ranks inside the rates trained) "
        "against the engine's stable r^none ±0: undetermined; trend undetermined");
  // A column the line does not know is written out.
  ViewTable extended = slopes;
  extended.columns.push_back({"seeds_used", "seeds"});
  for (auto& row : extended.rows) row.push_back({"8", 8});
  CHECK(verdict_line(extended, extended.rows[0]).ends_with("(flat 2, clamped 3); seeds 8"));
}
