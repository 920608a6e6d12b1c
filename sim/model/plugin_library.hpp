#pragma once
// The parts of gammalab that link large libraries are plugins: shared libraries loaded at
// run time, only when a sweep asks for what they do. The GPU backend (gammalab-cuda.so:
// cuBLAS and the CUDA runtime) and the MPI transport (gammalab-mpi.so: Open MPI). The
// program, the Python module, the engine's queries and CPU sweeps load neither.
//
// A plugin exports one C function, its entry, which takes the interface version the host
// was built for and returns its table of functions (cuda/gpu_plugin.hpp,
// mpi/mpi_plugin.hpp), or null when it was built for another version. No exception crosses
// between plugin and host: each may carry its own copy of the C++ runtime
// (scripts/build-for-device.sh links it statically), so every function of a table reports
// a failure as a PluginFailure, which the host throws as std::runtime_error.
#include <filesystem>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace gammalab::sim {

// What went wrong inside a plugin's function, for the host to throw; empty when nothing did.
struct PluginFailure {
  std::string what;
};

// Runs `body` inside a plugin: its exception becomes `failure`, and a default value is returned.
template <class Body>
auto guarded(PluginFailure& failure, Body&& body) noexcept -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    failure.what = e.what();
  } catch (...) {
    failure.what = "an unknown exception";
  }
  if constexpr (!std::is_void_v<decltype(body())>) return {};
}

// On the host: throws what a plugin's function reported, if anything.
inline void rethrow(const PluginFailure& failure) {
  if (!failure.what.empty()) throw std::runtime_error(failure.what);
}

// Where plugins are looked for, in order: the folder of the binary that holds this code
// (the gammalab program, or the Python package's folder where the module is), the folder
// of the running program, then the build tree this code was built in (for the tests and
// benchmarks, which live in its subfolders).
std::vector<std::filesystem::path> plugin_folders();

// The table of plugin `file_name` (e.g. "gammalab-cuda.so"), found in plugin_folders(),
// as returned by its entry `entry_name` for `interface_version`; loaded once per process
// and kept loaded. Null when it cannot be had, with `why` saying why (not found, and
// where it was looked for; or what the dynamic loader said; or another interface version).
const void* load_plugin(const std::string& file_name, const char* entry_name, int interface_version, std::string& why);

}  // namespace gammalab::sim
