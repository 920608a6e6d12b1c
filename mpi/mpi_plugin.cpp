// The MPI transport, gammalab-mpi.so (mpi/mpi_plugin.hpp): Open MPI's calls behind the
// plugin's table, each failure returned as a PluginFailure.
#include "mpi/mpi_plugin.hpp"

#include <mpi.h>

#include <cstdlib>
#include <stdexcept>

namespace gammalab::mpi {

namespace {

using sim::guarded;
using sim::PluginFailure;

void check(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw std::runtime_error(std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

std::string implementation() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<std::size_t>(length));
  return text.substr(0, text.find_first_of(",\n"));
}

void initialize(int& rank, int& size, int& local_rank) {
  // Only the main thread calls MPI (mpi/distributed_sweep.cpp trains on another thread).
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm host;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &host), "MPI_Comm_split_type");
  MPI_Comm_rank(host, &local_rank);
  MPI_Comm_free(&host);
}

void broadcast(std::string& text) {
  unsigned long long length = text.size();
  check(MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD), "MPI_Bcast");
  text.resize(length);
  check(MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
}

void send(int to, int tag, const std::string& text) {
  check(MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD), "MPI_Send");
}

Message receive_probed(const MPI_Status& status) {
  int length = 0;
  MPI_Get_count(&status, MPI_CHAR, &length);
  Message message{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<std::size_t>(length), '\0')};
  check(MPI_Recv(message.text.data(), length, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
  return message;
}

std::optional<Message> try_receive() {
  int waiting = 0;
  MPI_Status status;
  check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &waiting, &status), "MPI_Iprobe");
  if (!waiting) return std::nullopt;
  return receive_probed(status);
}

Message receive() {
  MPI_Status status;
  check(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status), "MPI_Probe");
  return receive_probed(status);
}

const MpiPlugin kPlugin{
    implementation,
    [](int& rank, int& size, int& local_rank, PluginFailure& failure) { guarded(failure, [&] { initialize(rank, size, local_rank); }); },
    [] { MPI_Finalize(); },
    [](std::string& text, PluginFailure& failure) { guarded(failure, [&] { broadcast(text); }); },
    [](int to, int tag, const std::string& text, PluginFailure& failure) { guarded(failure, [&] { send(to, tag, text); }); },
    [](PluginFailure& failure) { return guarded(failure, [] { return try_receive(); }); },
    [](PluginFailure& failure) { return guarded(failure, [] { return receive(); }); },
    [](int status) {
      MPI_Abort(MPI_COMM_WORLD, status);
      std::abort();  // MPI_Abort does not return
    },
};

}  // namespace
}  // namespace gammalab::mpi

extern "C" __attribute__((visibility("default"))) const void* gammalab_mpi_plugin(int interface_version) {
  return interface_version == gammalab::mpi::kMpiPluginInterface ? &gammalab::mpi::kPlugin : nullptr;
}
