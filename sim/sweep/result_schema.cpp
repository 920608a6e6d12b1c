#include "sim/sweep/result_schema.hpp"

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
#include "sim/sweep/refinement.hpp"
#include "sim/sweep/result_directory.hpp"

namespace gammalab::sim {

std::string csv_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);  // round-trips exactly
  return text;
}

namespace {

// ---- cells: one way to write each type, and its exact inverse ---------------------

std::string cell(double value) { return csv_number(value); }
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

}  // namespace gammalab::sim
