#include <algorithm>
#include <cstdlib>

#include "mpi/world.hpp"

namespace gammalab::mpi {

// Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; MPICH's and Slurm's PMI set PMI_SIZE.
int launched_processes() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(variable)) return std::max(1, std::atoi(value));
  return 1;
}

}  // namespace gammalab::mpi
