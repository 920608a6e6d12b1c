#include <cstdlib>

#include "gamma/input_error.hpp"
#include "mpi/world.hpp"

namespace gammalab::mpi {

std::string implementation() { return "not compiled in"; }

World::World(const std::string& asked_by) {
  throw InputError(asked_by + ": MPI is not compiled into this gammalab (it was built without one: no MPI library was found, or GAMMALAB_WITH_MPI=OFF; "
                   "scripts/install-deps.sh installs Open MPI, then rebuild). Without MPI, split a sweep with "
                   "--shard i/k and join the parts with gammalab merge");
}

World::~World() = default;
void World::broadcast(std::string&) const {}
void World::send(int, int, const std::string&) const {}
std::optional<Message> World::try_receive() const { return std::nullopt; }
Message World::receive() const { return {}; }
void World::abort(int status) const { std::exit(status); }

}  // namespace gammalab::mpi
