#include "app/schema_command.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "gamma/input_error.hpp"
#include "web_assets.hpp"

namespace gammalab::app {

namespace {

constexpr const char* kPrefix = "schema/";
constexpr const char* kSuffix = ".schema.json";

// The schemas compiled into the program, by name ("summary" for schema/summary.schema.json).
std::vector<std::pair<std::string, const WebAsset*>> schemas() {
  std::vector<std::pair<std::string, const WebAsset*>> found;
  for (const auto& asset : web_assets()) {
    const std::string name = asset.name;
    if (name.rfind(kPrefix, 0) == 0 && name.size() > std::string(kPrefix).size() + std::string(kSuffix).size())
      found.emplace_back(name.substr(std::string(kPrefix).size(), name.size() - std::string(kPrefix).size() - std::string(kSuffix).size()),
                         &asset);
  }
  return found;
}

}  // namespace

std::function<int()> add_schema_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto* command = app.add_subcommand("schema", "The JSON Schema of each file gammalab writes (manifest, summary, runs, …)");
  command->add_option("NAME", *name, "Which file's schema to print; without it, the list of names");
  return [name] {
    std::string names;
    for (const auto& [known, asset] : schemas()) {
      if (known == *name) {
        std::cout << std::string(reinterpret_cast<const char*>(asset->data), asset->size);
        return 0;
      }
      names += (names.empty() ? "" : ", ") + known;
    }
    if (!name->empty()) reject("NAME", "no schema named '" + *name + "'; accepted: " + names);
    std::cout << names << "\n";
    return 0;
  };
}

}  // namespace gammalab::app
