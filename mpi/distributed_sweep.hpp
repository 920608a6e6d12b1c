#pragma once
// A sweep over the ranks of an MPI job (`mpirun -np K gammalab sweep SPEC -o DIR`):
// rank 0 owns the result directory; every rank, rank 0 included, trains its part of
// the pending groups (balanced by FLOPs, sim/sweep/work_plan.hpp) and rank 0 writes every
// rank's rows as they arrive. The directory is the one a single process would write:
// the same rows, sorted by id, and the same manifest but for `device`, `processes` and
// `wall_seconds`, which say how it ran.
#include <functional>

#include "mpi/world.hpp"
#include "sim/sweep/sweep.hpp"

namespace gammalab::mpi {

enum class RankOutcome {
  Wrote,        // rank 0: the directory is complete
  Contributed,  // another rank: its part was trained and sent
  Stopped,      // rank 0 refused the run before training (it says why); nothing was trained
};

// On rank 0, an InputError that stops the run (a directory that exists, another
// spec's directory) is thrown after the other ranks are told to stop. A failure while
// training ends the whole job (MPI_Abort) after rank 0 prints which rank failed and
// why; the directory then resumes like any interrupted sweep.
RankOutcome run_sweep_on_ranks(const World& world, const sim::SweepSpec& spec, const sim::SweepRun& run,
                               sim::TrainerBackend& trainer, const std::function<void(const sim::SweepProgress&)>& progress);

}  // namespace gammalab::mpi
