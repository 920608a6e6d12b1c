// World (mpi/world.hpp) on the host's side: MPI is loaded only when a World is made,
// from the plugin gammalab-mpi.so (mpi/mpi_plugin.hpp), so that runs without MPI never
// load Open MPI. Where the build has no MPI, or the plugin cannot be loaded, making a
// World refuses with what asked for MPI and why it cannot be had.
#include "gamma/input_error.hpp"
#include "mpi/mpi_plugin.hpp"
#include "mpi/world.hpp"

namespace gammalab::mpi {

namespace {

// The plugin's table, or null with `why` set: why MPI cannot be used.
const MpiPlugin* mpi_plugin(std::string& why) {
#ifdef GAMMALAB_WITH_MPI
  if (const void* table = sim::load_plugin(kMpiPluginFile, kMpiPluginEntry, kMpiPluginInterface, why)) return static_cast<const MpiPlugin*>(table);
  why = "MPI's plugin " + why;
#else
  why = "MPI is not compiled into this gammalab (it was built without one: no MPI library was found, or GAMMALAB_WITH_MPI=OFF; "
        "scripts/install-deps.sh installs Open MPI, then rebuild)";
#endif
  return nullptr;
}

// The plugin that a World was made with.
const MpiPlugin& loaded() {
  std::string why;
  return *mpi_plugin(why);
}

// Calls `function` of the plugin, and throws what it reported.
template <class Function, class... Arguments>
auto call(Function function, Arguments&&... arguments) {
  sim::PluginFailure failure;
  if constexpr (std::is_void_v<decltype(function(arguments..., failure))>) {
    function(std::forward<Arguments>(arguments)..., failure);
    sim::rethrow(failure);
  } else {
    auto value = function(std::forward<Arguments>(arguments)..., failure);
    sim::rethrow(failure);
    return value;
  }
}

}  // namespace

std::string implementation() {
#ifdef GAMMALAB_WITH_MPI
  std::string why;
  const MpiPlugin* plugin = mpi_plugin(why);
  return plugin ? plugin->implementation() : "not usable: " + why;
#else
  return "not compiled in";
#endif
}

World::World(const std::string& asked_by) {
  std::string why;
  const MpiPlugin* plugin = mpi_plugin(why);
  if (!plugin) throw InputError(asked_by + ": " + why + ". Without MPI, split a sweep with --shard i/k and join the parts with gammalab merge");
  call(plugin->initialize, rank_, size_, local_rank_);
}

World::~World() { loaded().finalize(); }
void World::broadcast(std::string& text) const { call(loaded().broadcast, text); }
void World::send(int to, int tag, const std::string& text) const { call(loaded().send, to, tag, text); }
std::optional<Message> World::try_receive() const { return call(loaded().try_receive); }
Message World::receive() const { return call(loaded().receive); }
void World::abort(int status) const {
  loaded().abort(status);
  std::abort();  // the plugin's abort does not return; this keeps [[noreturn]] honest
}

}  // namespace gammalab::mpi
