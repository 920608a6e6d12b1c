#pragma once
// Reading the tables of a TOML spec file, shared by the sweep's spec
// (sim/sweep/sweep_spec.hpp) and the MLP experiments' (sim/sweep/mlp_spec.hpp): every
// value checked, every unknown key reported with the keys a table accepts, each error an
// InputError naming the file, the table, the key, the value and what is accepted.
#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gamma/exponent.hpp"
#include "gamma/input_error.hpp"
#include "gamma/vocabulary.hpp"

namespace gammalab::sim {

// Reads one table of the spec, remembering which keys it was asked for, so that any
// other key is reported as unknown together with the keys that are accepted.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string origin, std::string name)
      : table_(table), origin_(std::move(origin)), name_(std::move(name)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw InputError(origin_ + ": [" + name_ + "] " + key + ": " + message);
  }

  const toml::node* find(const std::string& key) {
    known_.insert(key);
    return table_ ? table_->get(key) : nullptr;
  }

  double number(const std::string& key, double fallback, double low, double high, const std::string& accepted) {
    const toml::node* node = find(key);
    if (!node) return fallback;
    std::optional<double> value = node->is_integer() ? std::optional<double>(static_cast<double>(*node->value<std::int64_t>()))
                                                     : node->value<double>();
    if (!value || !(*value >= low && *value <= high)) fail(key, "got " + text_of(*node) + "; accepted: " + accepted);
    return *value;
  }

  int integer(const std::string& key, int fallback, std::int64_t low, std::int64_t high) {
    const toml::node* node = find(key);
    if (!node) return fallback;
    auto value = node->value<std::int64_t>();
    if (!node->is_integer() || !value || *value < low || *value > high)
      fail(key, "got " + text_of(*node) + "; accepted: a whole number from " + std::to_string(low) + " to " + std::to_string(high));
    return static_cast<int>(*value);
  }

  // One of `accepted`, under the case rule of gamma/vocabulary.hpp, as it is spelled there.
  std::string choice(const std::string& key, const std::string& fallback, const std::vector<std::string>& accepted) {
    const toml::node* node = find(key);
    if (!node) return fallback;
    if (node->is_string())
      for (const auto& name : accepted)
        if (gamma::same_name(*node->value<std::string>(), name)) return name;
    fail(key, "got " + text_of(*node) + "; accepted: " + join(accepted));
  }

  // A term of a vocabulary, by one of its spellings.
  template <class Value>
  Value term(const std::string& key, Value fallback, const gamma::Vocabulary<Value>& vocabulary) {
    const toml::node* node = find(key);
    if (!node) return fallback;
    try {
      if (node->is_string()) return vocabulary.parse(*node->value<std::string>());
    } catch (const InputError&) {
    }
    fail(key, "got " + text_of(*node) + "; accepted: " + vocabulary.accepted());
  }

  // One value or a list of them (an axis of the sweep), each read by `one` (none: not
  // an accepted value); `accepted` says what one value may be.
  template <class Value>
  std::vector<Value> axis(const std::string& key, Value fallback, const std::string& accepted,
                          const std::function<std::optional<Value>(const toml::node&)>& one) {
    const toml::node* node = find(key);
    if (!node) return {fallback};
    auto read = [&](const toml::node& item) -> Value {
      if (auto value = one(item)) return *value;
      fail(key, "got " + text_of(item) + "; accepted: " + accepted + ", or a list of them");
    };
    if (!node->is_array()) return {read(*node)};
    if (node->as_array()->empty()) fail(key, "is empty; accepted: " + accepted + ", or a list of them");
    std::vector<Value> values;
    for (const auto& item : *node->as_array()) values.push_back(read(item));
    return values;
  }

  // One term or a list of them, each by one of its spellings.
  template <class Value>
  std::vector<Value> terms(const std::string& key, Value fallback, const gamma::Vocabulary<Value>& vocabulary) {
    return axis<Value>(key, fallback, vocabulary.accepted(), [&](const toml::node& item) -> std::optional<Value> {
      try {
        if (item.is_string()) return vocabulary.parse(*item.value<std::string>());
      } catch (const InputError&) {
      }
      return std::nullopt;
    });
  }

  std::string exponent(const std::string& key, const std::string& fallback) {
    const toml::node* node = find(key);
    if (!node) return fallback;
    if (!node->is_string()) fail(key, "got " + text_of(*node) + "; accepted: a quoted exponent such as \"-1/2\" or \"-inf\"");
    try {
      gamma::parse_exponent(*node->value<std::string>());
    } catch (const InputError& e) {
      fail(key, e.what());
    }
    return *node->value<std::string>();
  }

  bool boolean(const std::string& key, bool fallback) {
    const toml::node* node = find(key);
    if (!node) return fallback;
    if (!node->is_boolean()) fail(key, "got " + text_of(*node) + "; accepted: true or false");
    return *node->value<bool>();
  }

  const toml::array* array(const std::string& key) {
    const toml::node* node = find(key);
    if (!node) return nullptr;
    if (!node->is_array()) fail(key, "got " + text_of(*node) + "; accepted: an array [ … ]");
    return node->as_array();
  }

  // Every key of the table must have been asked for.
  void finish() const {
    if (!table_) return;
    for (const auto& [key, node] : *table_)
      if (!known_.count(std::string(key.str())))
        fail(shown(key.str()), "unknown key; accepted keys of [" + name_ + "]: " + join({known_.begin(), known_.end()}));
  }

  // A value as the file wrote it, shortened for a message.
  static std::string text_of(const toml::node& node) {
    std::ostringstream out;
    node.visit([&](const auto& value) { out << value; });
    return shown(out.str());
  }
  static std::string type_of(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "a whole number";
      case toml::node_type::floating_point: return "a number";
      case toml::node_type::boolean: return "a boolean";
      case toml::node_type::array: return "an array";
      case toml::node_type::table: return "a table";
      default: return "a date or time";
    }
  }
  static std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : ", ") + word;
    return text;
  }

 private:
  const toml::table* table_;
  std::string origin_, name_;
  std::set<std::string> known_;
};

// An axis lists each value once: a repeated width, seed, scheme or rate would train the
// same configuration twice and weigh it twice in every mean and slope.
template <class Value>
void refuse_repeats(const TableReader& table, const std::string& key, const std::vector<Value>& values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (values[i] == values[j]) {
        std::ostringstream text;
        text << values[i];
        table.fail(key, "lists " + text.str() + " twice; accepted: each value once");
      }
}

// The same for the terms of a vocabulary, named as the vocabulary spells them.
template <class Value>
void refuse_repeated_terms(const TableReader& table, const std::string& key, const std::vector<Value>& values,
                           const gamma::Vocabulary<Value>& vocabulary) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (std::find(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(i), values[i]) != values.begin() + static_cast<std::ptrdiff_t>(i))
      table.fail(key, "lists " + vocabulary.name(values[i]) + " twice; accepted: each value once");
}

// The tables of a spec's text; InputError naming `origin` and the line where it is not TOML.
toml::table parse_toml(const std::string& text, const std::string& origin);

// Every top-level key of a spec is a table named in `accepted`: InputError naming
// `origin` and the first that is not, with the accepted names.
void check_table_names(const toml::table& root, const std::string& origin, const std::vector<std::string>& accepted);

// The widths of [sweep] or [mlp]: `widths = [...]` or `widths_log2 = [first, last]`.
std::vector<int> read_widths(TableReader& table);
// The seeds: a count (4 means 0 … 3) or a list.
std::vector<std::uint64_t> read_seeds(TableReader& table);

}  // namespace gammalab::sim
