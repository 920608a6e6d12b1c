#pragma once
// What tests that write result directories share: a fresh scratch path, a file's text,
// and a manifest less the keys that say how a directory was made.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
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
