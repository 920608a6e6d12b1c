#include "sim/sweep/spec_tables.hpp"

namespace gammalab::sim {

toml::table parse_toml(const std::string& text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw InputError(origin + ":" + std::to_string(e.source().begin.line) + ": not valid TOML: " + std::string(e.description()));
  }
}

void check_table_names(const toml::table& root, const std::string& origin, const std::vector<std::string>& accepted) {
  for (const auto& [key, node] : root)
    if (std::find(accepted.begin(), accepted.end(), std::string(key.str())) == accepted.end() || !node.is_table())
      throw InputError(origin + ": unknown table [" + shown(key.str()) + "]; accepted: " + TableReader::join(accepted));
}

std::vector<int> read_widths(TableReader& table) {
  std::vector<int> widths;
  if (const toml::array* listed = table.array("widths")) {
    for (const auto& w : *listed) {
      auto v = w.value<std::int64_t>();
      if (!w.is_integer() || *v < 1 || *v > (1 << 20))
        table.fail("widths", "got " + TableReader::text_of(w) + "; accepted: whole numbers from 1 to 1048576");
      widths.push_back(static_cast<int>(*v));
    }
  }
  if (const toml::array* range = table.array("widths_log2")) {
    if (!widths.empty()) table.fail("widths_log2", "give either widths or widths_log2, not both");
    if (range->size() != 2 || !(*range)[0].is_integer() || !(*range)[1].is_integer())
      table.fail("widths_log2", "accepted: [first, last], whole numbers, e.g. [7, 13] for 128 … 8192");
    auto low = *(*range)[0].value<std::int64_t>(), high = *(*range)[1].value<std::int64_t>();
    if (low < 0 || high > 20 || low > high) table.fail("widths_log2", "accepted: 0 ≤ first ≤ last ≤ 20");
    for (auto k = low; k <= high; ++k) widths.push_back(1 << k);
  }
  if (widths.empty()) table.fail("widths", "missing; give widths = [128, 256] or widths_log2 = [7, 13]");
  refuse_repeats(table, "widths", widths);
  return widths;
}

std::vector<std::uint64_t> read_seeds(TableReader& table) {
  const toml::node* seeds = table.find("seeds");
  if (!seeds) table.fail("seeds", "missing; give a count (seeds = 4 means 0 … 3) or a list");
  std::vector<std::uint64_t> list;
  if (seeds->is_integer() && *seeds->value<std::int64_t>() >= 1 && *seeds->value<std::int64_t>() <= 10000) {
    for (std::int64_t s = 0; s < *seeds->value<std::int64_t>(); ++s) list.push_back(static_cast<std::uint64_t>(s));
  } else if (seeds->is_array() && !seeds->as_array()->empty()) {
    for (const auto& s : *seeds->as_array()) {
      if (!s.is_integer() || *s.value<std::int64_t>() < 0)
        table.fail("seeds", "got " + TableReader::text_of(s) + "; accepted: whole numbers ≥ 0");
      list.push_back(static_cast<std::uint64_t>(*s.value<std::int64_t>()));
    }
  } else {
    table.fail("seeds", "got " + TableReader::text_of(*seeds) + "; accepted: a count from 1 to 10000, or a list of seeds");
  }
  refuse_repeats(table, "seeds", list);
  return list;
}

}  // namespace gammalab::sim
