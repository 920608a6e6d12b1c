#pragma once
// What tests that write result directories share: a fresh scratch path, a file's text,
// a manifest less the keys that say how a directory was made, and what a figure plots.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>

// A path under the temporary directory, unique to this test program, removed if present.
inline std::filesystem::path scratch(const std::string& name) {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("gammalab-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(path);
  return path;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The manifest less `device`, `wall_seconds`, `processes` and `shards`: what may differ
// between one process, MPI ranks and merged shards of the same sweep.
inline nlohmann::json manifest_without_how(const std::filesystem::path& directory) {
  nlohmann::json manifest = nlohmann::json::parse(read_text(directory / "manifest.json"));
  for (const char* key : {"device", "wall_seconds", "processes", "shards"}) manifest.erase(key);
  return manifest;
}

// What a figure plots, as plots/figure_files.py records it in the PNG (a tEXt chunk
// named "gammalab plotted"): the figure's title and, per panel, its title, group,
// axis labels and scales and its series (label, x, y, intervals). Null where the PNG
// carries no record.
inline nlohmann::json plotted_record(const std::filesystem::path& png) {
  std::ifstream file(png, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const std::string key = std::string("gammalab plotted") + '\0';
  for (std::size_t at = 8; at + 8 <= data.size();) {  // after the signature: length, type, data, CRC
    std::size_t length = 0;
    for (int i = 0; i < 4; ++i) length = length << 8 | static_cast<unsigned char>(data[at + i]);
    if (data.compare(at + 4, 4, "tEXt") == 0 && data.compare(at + 8, key.size(), key) == 0)
      return nlohmann::json::parse(data.substr(at + 8 + key.size(), length - key.size()));
    at += 12 + length;
  }
  return nullptr;
}

// The panels of a record whose title is `title` (and, when given, whose group is `group`).
inline std::vector<nlohmann::json> plotted_panels(const nlohmann::json& record, const std::string& title,
                                                  const std::string& group = "") {
  std::vector<nlohmann::json> found;
  for (const auto& panel : record.at("panels"))
    if (panel.at("title") == title && (group.empty() || panel.at("group") == group)) found.push_back(panel);
  return found;
}

// The series of a panel with this legend label; null where it has none.
inline nlohmann::json plotted_series(const nlohmann::json& panel, const std::string& label) {
  for (const auto& series : panel.at("series"))
    if (series.at("label") == label) return series;
  return nullptr;
}
