#include "sim/model/plugin_library.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

namespace gammalab::sim {

namespace {
namespace fs = std::filesystem;

// A path that exists, resolved; none otherwise.
std::optional<fs::path> resolved(const fs::path& path) {
  std::error_code error;
  fs::path canonical = fs::canonical(path, error);
  if (error) return std::nullopt;
  return canonical;
}

// The folder of a file that exists, resolved; none otherwise.
std::optional<fs::path> folder_of(const fs::path& file) {
  const std::optional<fs::path> path = resolved(file);
  return path ? std::optional(path->parent_path()) : std::nullopt;
}
}  // namespace

std::vector<fs::path> plugin_folders() {
  std::vector<fs::path> folders;
  auto add = [&](const std::optional<fs::path>& folder) {
    if (folder && std::find(folders.begin(), folders.end(), *folder) == folders.end()) folders.push_back(*folder);
  };
  // dladdr names the shared object that holds this function (the Python module); for the
  // program itself it may give argv[0] or nothing, so /proc/self/exe follows.
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&plugin_folders), &info) != 0 && info.dli_fname && *info.dli_fname)
    add(folder_of(info.dli_fname));
  add(folder_of("/proc/self/exe"));
  add(resolved(GAMMALAB_PLUGIN_BUILD_DIR));
  return folders;
}

const void* load_plugin(const std::string& file_name, const char* entry_name, int interface_version, std::string& why) {
  struct Loaded {
    const void* table = nullptr;
    std::string why;
  };
  static std::mutex guard;
  static std::map<std::string, Loaded> loaded;
  std::lock_guard lock(guard);
  if (auto found = loaded.find(file_name); found != loaded.end()) {
    why = found->second.why;
    return found->second.table;
  }
  Loaded& plugin = loaded[file_name];
  const std::vector<fs::path> folders = plugin_folders();
  const auto where = std::find_if(folders.begin(), folders.end(), [&](const fs::path& folder) { return fs::exists(folder / file_name); });
  if (where == folders.end()) {
    plugin.why = file_name + " was not found (looked in";
    for (const auto& folder : folders) plugin.why += " " + folder.string();
    plugin.why += ")";
  } else if (const fs::path path = *where / file_name; void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    using Entry = const void* (*)(int);
    if (auto entry = reinterpret_cast<Entry>(dlsym(library, entry_name)); !entry)
      plugin.why = path.string() + " is not a gammalab plugin (it has no " + entry_name + ")";
    else if (!(plugin.table = entry(interface_version)))
      plugin.why = path.string() + " was built for another version of gammalab; rebuild it with this one";
  } else {
    plugin.why = path.string() + " could not be loaded: " + dlerror();
  }
  why = plugin.why;
  return plugin.table;
}

}  // namespace gammalab::sim
