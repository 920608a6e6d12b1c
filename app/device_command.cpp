#include "app/device_command.hpp"

#include <iostream>
#include <memory>

#include "app/cli_support.hpp"
#include "cuda/device_probe.hpp"
#include "mpi/world.hpp"

namespace gammalab::app {

std::function<int()> add_device_command(CLI::App& app) {
  auto* command = app.add_subcommand("device", "Say which GPUs this build of gammalab can use, and whether MPI is compiled in");
  auto as_json = std::make_shared<bool>(false);
  command->add_flag("--json", *as_json, "Print one JSON object: compiled_in, device_count, description, mpi");
  return [as_json] {
    auto probe = cuda::probe_devices();
    if (*as_json)
      print_json({{"compiled_in", probe.compiled_in},
                  {"device_count", probe.device_count},
                  {"description", probe.description},
                  {"mpi", mpi::implementation()}});
    else
      std::cout << (probe.device_count > 0 ? "GPU: " : "CPU only: ") << probe.description << "\nMPI: " << mpi::implementation() << "\n";
    return 0;
  };
}

}  // namespace gammalab::app
