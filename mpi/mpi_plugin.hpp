#pragma once
// The contract between gammalab and its MPI transport, gammalab-mpi.so (sim/model/plugin_library.hpp
// says why it is a plugin): what mpi/world.hpp needs of MPI, behind a table the host loads
// when a sweep asks for MPI (--mpi, or a launcher's environment). The host's side
// (mpi/world.cpp) implements World by calling through it. No function throws: each
// reports a failure in its last argument.
#include <optional>
#include <string>

#include "mpi/world.hpp"
#include "sim/model/plugin_library.hpp"

namespace gammalab::mpi {

inline constexpr int kMpiPluginInterface = 1;  // raised whenever the table changes
inline constexpr const char* kMpiPluginFile = "gammalab-mpi.so";
inline constexpr const char* kMpiPluginEntry = "gammalab_mpi_plugin";

struct MpiPlugin {
  std::string (*implementation)();
  // MPI_Init, and where this process stands in the job: {rank, size, local rank}.
  void (*initialize)(int& rank, int& size, int& local_rank, sim::PluginFailure&);
  void (*finalize)();
  void (*broadcast)(std::string& text, sim::PluginFailure&);
  void (*send)(int to, int tag, const std::string& text, sim::PluginFailure&);
  std::optional<Message> (*try_receive)(sim::PluginFailure&);
  Message (*receive)(sim::PluginFailure&);
  void (*abort)(int status);
};

}  // namespace gammalab::mpi
