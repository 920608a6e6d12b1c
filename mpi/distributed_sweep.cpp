#include "mpi/distributed_sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "gamma/input_error.hpp"

namespace gammalab::mpi {

namespace {

enum Tag { kDescription = 1, kRows, kDone };

// A configuration's rows as one message: runs rows, a record separator, curves rows.
constexpr char kSeparator = '\x1e';
std::string encode(const sim::ResultRows& rows) { return rows.runs + kSeparator + rows.curves; }
sim::ResultRows decode(const std::string& text) {
  const auto at = text.find(kSeparator);
  return {text.substr(0, at), text.substr(at + 1)};
}

// What the training thread has finished and the main thread has not yet passed on.
class Outbox {
 public:
  void put(const sim::ResultRows& rows) {
    std::lock_guard lock(mutex_);
    rows_.push_back(rows);
  }
  std::vector<sim::ResultRows> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(rows_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<sim::ResultRows> rows_;
};

// Every rank's trainer, as the manifest names them: "2 MPI ranks: 2 × gpu (…)".
std::string describe_ranks(const World& world, const sim::TrainerBackend& trainer) {
  if (world.rank() != 0) {
    world.send(0, kDescription, trainer.describe());
    return {};
  }
  std::vector<std::string> descriptions(static_cast<std::size_t>(world.size()));
  descriptions[0] = trainer.describe();
  for (int received = 1; received < world.size(); ++received) {
    Message message = world.receive();
    descriptions[static_cast<std::size_t>(message.from)] = message.text;
  }
  std::string joined;
  for (std::size_t r = 0; r < descriptions.size(); ++r)
    if (r == 0 || descriptions[r] != descriptions[0]) joined += (joined.empty() ? "" : "; ") + descriptions[r];
  if (joined == descriptions[0]) joined = std::to_string(world.size()) + " × " + joined;
  return std::to_string(world.size()) + " MPI ranks: " + joined;
}

std::string encode_ids(const std::set<std::size_t>& ids) {
  std::string text;
  for (std::size_t id : ids) text += std::to_string(id) + " ";
  return text;
}
std::set<std::size_t> decode_ids(const std::string& text) {
  std::set<std::size_t> ids;
  std::istringstream in(text);
  for (std::size_t id; in >> id;) ids.insert(id);
  return ids;
}

std::size_t rows_in(const sim::ResultRows& rows) { return static_cast<std::size_t>(std::count(rows.runs.begin(), rows.runs.end(), '\n')); }

// A failed rank ends the job: the message first, then MPI_Abort on every rank.
[[noreturn]] void fail(const World& world, const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    std::cerr << "gammalab: rank " << world.rank() << " of " << world.size() << " failed: " << e.what()
              << "\ngammalab: ending every rank; the result directory resumes with --resume\n";
  }
  world.abort(1);
}

}  // namespace

RankOutcome run_sweep_on_ranks(const World& world, const sim::SweepSpec& spec, const sim::SweepRun& run,
                               sim::TrainerBackend& trainer, const std::function<void(const sim::SweepProgress&)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const bool root = world.rank() == 0;
  const std::string device = describe_ranks(world, trainer);
  // Refinement proposes each round from the rows of the last, which rank 0 alone holds;
  // shards refine their own edges, so a job array of shards is the way to spread it.
  if (spec.refine.enabled())
    throw InputError("[learning_rate] edge_precision: edge refinement runs in rounds within one process; across MPI ranks, "
                     "run the sweep as shards (--shard i/k, one per process) and merge them");

  // Rank 0 opens the directory and tells every rank what is finished, or to stop.
  std::optional<sim::ResultDirectory> directory;
  std::exception_ptr refusal;
  std::string finished_text;
  if (root) {
    try {
      sim::Manifest manifest = sim::manifest_of(spec, run, device);
      manifest.processes = world.size();
      directory.emplace(run.directory, run.resume, manifest);
      finished_text = encode_ids(directory->finished());
    } catch (const InputError&) {
      refusal = std::current_exception();
      finished_text = "stop";
    }
  }
  world.broadcast(finished_text);
  if (refusal) std::rethrow_exception(refusal);
  if (finished_text == "stop") return RankOutcome::Stopped;
  const std::set<std::size_t> finished = decode_ids(finished_text);

  // Every rank computes the same plan and trains its part on a thread of its own, so
  // that this thread — the only one calling MPI — can pass rows on as they come.
  const std::vector<sim::Dataset> teachers = sim::make_teacher_datasets(spec.data, spec.teachers);
  const std::vector<sim::Configuration> configurations = sim::configurations_of_shard(spec, run.shard);
  const std::vector<sim::WorkGroup> pending = sim::pending_groups(spec, configurations, finished);
  const auto plan = sim::balance_by_flops(pending, world.size());
  std::vector<sim::WorkGroup> mine;
  for (std::size_t g : plan[static_cast<std::size_t>(world.rank())])
    mine.push_back(pending[g]);
  Outbox outbox;
  std::atomic<bool> trained{false};
  std::exception_ptr failure;
  std::thread training([&] {
    try {
      sim::train_groups(spec, teachers, mine, {&trainer},
                        [&](const sim::Configuration& c, const sim::TrainResult& result) { outbox.put(sim::rows_of(c, result)); });
    } catch (...) {
      failure = std::current_exception();
    }
    trained = true;
  });

  sim::SweepProgress state{finished.size(), configurations.size(), 0, 0};
  if (root) progress(state);
  auto record = [&](const sim::ResultRows& rows) {
    directory->record(rows);
    state.done = directory->finished().size();
    state.done_this_run += rows_in(rows);
    state.seconds = seconds();
    progress(state);
  };
  for (int others_done = 0;;) {
    const bool last = trained;  // read before taking, so that nothing put before the end is missed
    for (const auto& rows : outbox.take()) {
      if (root) record(rows);
      else world.send(0, kRows, encode(rows));
    }
    bool idle = true;
    while (root) {
      std::optional<Message> message = world.try_receive();
      if (!message) break;
      idle = false;
      if (message->tag == kRows) record(decode(message->text));
      else if (message->tag == kDone) ++others_done;
    }
    if (last && (!root || others_done == world.size() - 1)) break;
    if (idle) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  training.join();
  if (failure) fail(world, failure);
  if (!root) {
    world.send(0, kDone, "");
    return RankOutcome::Contributed;
  }
  directory->complete(seconds());
  return RankOutcome::Wrote;
}

}  // namespace gammalab::mpi
