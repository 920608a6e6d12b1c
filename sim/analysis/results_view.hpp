#pragma once
// The results view: a sweep's summary as tables, built once here and drawn by every face
// that shows results — the terminal (the verdict lines and `analyze`), the HTML report
// (`gammalab report`), the `serve` page (/api/result's "view") and Python (one pandas
// DataFrame per table). A column added to a table below appears in all four.
//
// Each cell carries the text a person reads and the raw value a program reads:
//   a width, rank, step or count   "4096", 4096
//   a learning rate                "3.16e-3" (3 significant digits), 0.0031622...
//   a slope                        "-0.73" (2 decimals, with its sign), -0.7312...
//   an exact exponent              "-3/4", "-3/4" (as the engine writes it)
//   absent                         "—", null
//
// The tables (their names and column keys are stable):
//   "slopes"  one row per slope: along the width, each arm's optimal η, maximal stable η
//             (final loss) and each stability criterion at each horizon; along the rank,
//             the same for each (arm, width) of a sweep over several ranks; with the
//             bootstrap replicates left out and why, an optimum's spread over half to
//             twice the window, an internal criterion's slope at each threshold
//   "widths"  one row per (arm, rank, width): the estimates the width slopes are fitted to
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"

namespace gammalab::sim {

struct ViewColumn {
  std::string key;    // snake_case, stable: the DataFrame's column name
  std::string label;  // for people
};
struct ViewCell {
  std::string text;      // as a person reads it
  nlohmann::json value;  // number, string, bool, null, or a list of numbers
};
struct ViewTable {
  std::string name, title;
  std::vector<ViewColumn> columns;
  std::vector<std::vector<ViewCell>> rows;  // cells in column order

  // The index of the column `key`; std::out_of_range naming it when there is none.
  std::size_t column(const std::string& key) const;
  const ViewCell& cell(const std::vector<ViewCell>& row, const std::string& key) const { return row.at(column(key)); }
};
struct ResultsView {
  std::vector<ViewTable> tables;
  // The table `name`; std::out_of_range naming it when there is none.
  const ViewTable& table(const std::string& name) const;
};

ResultsView results_view(const SweepSummary& summary);

// {"tables": [{"name", "title", "columns": [{"key", "label"}], "rows": [[{"text", "value"}, ...], ...]}]}
void to_json(nlohmann::json& json, const ResultsView& view);

// Aligned columns for a terminal: a header line, then one line per row.
std::string render_text(const ViewTable& table);
// Rows as columns aligned by their widest cell (counted in characters), two spaces apart:
// the one text-table layout of the program.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows);
// A <table> with a header row; a verdict's cell has the class of its verdict (agrees,
// departs, inconclusive, undetermined; a trend's converging, steady, moving-away, curved),
// every cell data-key, and the table the class
// "view" and data-table its name.
std::string render_html(const ViewTable& table);

// One verdict line of a slope row: "verdict: A (sp readout) optimal η ∝ n^-0.73
// [-0.86, -0.34] against the engine's stable n^-3/4 ±0.125: inconclusive; tells apart
// from -1: yes, -1/2: no, 0: yes; trend steady, curvature …; γ∞ …: inconclusive
// (ΔAIC …); primary, Holm p 1". The arm names the
// columns that tell this row's arm from the others of the table (σ, the rank, the
// multiplier where they vary); a column the line does not otherwise read is added as
// "label text", so that a new column reaches the line.
std::string verdict_line(const ViewTable& slopes, const std::vector<ViewCell>& row);

// What chance alone gives among the summary's slopes (result_schema.hpp: Multiplicity), in
// one line: "chance: 3 of 32 slopes held against the engine depart, where chance alone
// gives at most 0.8 (2.5% each); primary slopes: 2 of 8 depart, 1 after Holm's correction".
std::string multiplicity_line(const SweepSummary& summary);

// Escapes & < > " for HTML text and attributes.
std::string html_escape(const std::string& text);

}  // namespace gammalab::sim
