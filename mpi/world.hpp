#pragma once
// The MPI processes of one job, as the sweep needs them: who am I, how many are we,
// and plain text messages between ranks. Open MPI is loaded only when a World is made,
// from the plugin gammalab-mpi.so (mpi/mpi_plugin.hpp); where the build has no MPI, or
// the plugin cannot be loaded, making a World refuses and says why, so callers never
// need #ifdefs.
#include <optional>
#include <string>

namespace gammalab::mpi {

// "Open MPI v4.1.4" (the library the plugin was built with; asking loads it), "not
// compiled in", or "not usable: " and why the plugin cannot be loaded.
std::string implementation();

// The number of processes a launcher (mpirun, srun) started this one among, read from
// its environment; 1 when it was not started by one.
int launched_processes();

struct Message {
  int from = 0, tag = 0;
  std::string text;
};

class World {
 public:
  // MPI_Init; where MPI cannot be had, an InputError naming what asked for MPI
  // ("--mpi", or "mpirun -np 4" when a launcher started this process) and why.
  explicit World(const std::string& asked_by);
  ~World();  // MPI_Finalize
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }  // among the ranks on this host: which GPU to take

  void broadcast(std::string& text) const;  // rank 0's text to every rank
  void send(int to, int tag, const std::string& text) const;
  std::optional<Message> try_receive() const;  // the next message from any rank, if one is waiting
  Message receive() const;                      // the next message from any rank, waiting for it
  [[noreturn]] void abort(int status) const;   // ends every rank of the job

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
};

}  // namespace gammalab::mpi
