#pragma once
// The files of a sweep's result directory as typed records: the one place that names
// their columns and keys. Every C++ reader and writer goes through these; the plot
// scripts read the same files through plots/result_files.py.
//
//   runs.csv      one RunRow per trained configuration, columns read by header name;
//                 kRunsSchema, recorded in the manifest as runs_schema, says which
//                 columns a file has (a directory written before the version was
//                 recorded has schema 1's columns)
//   curves.csv    one CurvePoint per recorded step of a configuration
//   summary.json  a SweepSummary, written by the analysis
//   manifest.json the spec as parsed data (sim/sweep/sweep_spec.hpp: spec_to_json), its hash,
//                 runs_schema, and how the sweep ran (sim/sweep/sweep.cpp: manifest_of)
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/sweep/sweep_spec.hpp"
#include "sim/model/trainer.hpp"

namespace gammalab::sim {

// A number as every result CSV writes it: %.17g, which reads back exactly (inf and nan
// as C writes them).
std::string csv_number(double value);

// ---- runs.csv --------------------------------------------------------------------

// Schema 2 added the readout, the refinement round and the horizon columns (max_train_loss_at_H, rms_Z_B_at_H
// for each horizon H of the spec); schema 3 the rank and the multiplier; schema 4 the
// teacher ([data] teachers). A directory of an older schema is refused by its readers:
// its rows would read as teacher 0, right only where it had one teacher, and the spec it
// was run with would now hash otherwise, so it could not be resumed or merged either.
inline constexpr int kRunsSchema = 4;

struct RunRow {
  std::size_t id;  // the configuration's index in enumerate_configurations(spec)
  std::string scheme;
  int width;
  std::uint64_t seed;
  double lr_A, lr_B;
  double initial_train_loss, final_train_loss, final_test_loss, mean_last_train_loss, max_train_loss;
  bool diverged;
  int diverged_step = 0;
  int steps_done = 0;
  double fit_residual = 0;
  double init_sigma = 0;  // 0: the scheme's own initial scale
  Readout readout = Readout::Standard;
  int rank = 4;
  std::string multiplier = "lora";      // κ of α/r^κ by its name (gamma::multiplier_name)
  int round = 0;                        // 0: the grid; k: refinement round k
  std::vector<HorizonRecord> horizons{};  // ascending, the spec's horizons
  int teacher = 0;                      // 0 … [data] teachers − 1 (sim/model/teacher.hpp)
};

// The header line (no newline) for a spec's horizons, and one row's line (with its
// newline); numbers are written so that they read back exactly.
std::string runs_header(const std::vector<int>& horizons);
std::string runs_line(const RunRow& row);

// Reads runs.csv by header name. Throws InputError naming the file and the column when
// a column is unknown, missing or given twice, and the file, line and column of a
// malformed cell.
std::vector<RunRow> read_runs(const std::filesystem::path& runs_csv);

// The cells of one line of a result CSV, in order (gammalab's CSV files quote nothing;
// a line ending in a comma ends in an empty cell).
std::vector<std::string> csv_cells(const std::string& line);

// ---- curves.csv ------------------------------------------------------------------

const std::string& curves_header();
std::string curves_line(std::size_t id, const CurvePoint& point);

// ---- fingerprints (manifest.json: sim/sweep/manifest.hpp) ------------------------------

// FNV-1a (64-bit) of `text` as 16 hex digits: the spec's hash below, and the checksums
// of a complete directory's CSV files (sim/sweep/result_directory.hpp: checksums_of), which
// plots/result_files.py recomputes the same way. It finds accidental edits, not forgeries.
std::string fingerprint(const std::string& text);
// The fingerprint of a spec as data: equal specs, however their files were written,
// have equal hashes.
std::string spec_hash(const SweepSpec& spec);

}  // namespace gammalab::sim
