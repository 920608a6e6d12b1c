// gammalab: how must the learning rate and initialisation of LoRA adapters scale with
// width? One program, a subcommand per job; `gammalab SUBCOMMAND --help` for each.
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/calibrate_command.hpp"
#include "app/cli_support.hpp"
#include "app/coordcheck_command.hpp"
#include "app/device_command.hpp"
#include "app/gamma_command.hpp"
#include "app/merge_command.hpp"
#include "app/report_command.hpp"
#include "app/reproduce_command.hpp"
#include "app/schema_command.hpp"
#include "app/serve_command.hpp"
#include "app/sweep_command.hpp"
#include "sim/sweep/request_names.hpp"

int main(int argc, char** argv) {
  CLI::App app{"gammalab: width-scaling of LoRA learning rates and initialisation, by exact theory and by experiment"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("gammalab ") + GAMMALAB_VERSION);
  // The simulator's messages name the parts of a request as this command line spells them.
  gammalab::sim::request_names() = {"-o", "--resume", "--shard", "--split-seeds", "DIR"};

  auto run_gamma = gammalab::app::add_gamma_command(app);
  auto run_device = gammalab::app::add_device_command(app);
  auto run_sweep = gammalab::app::add_sweep_command(app);
  auto run_analyze = gammalab::app::add_analyze_command(app);
  auto run_coordcheck = gammalab::app::add_coordcheck_command(app);
  auto run_reproduce = gammalab::app::add_reproduce_command(app);
  auto run_merge = gammalab::app::add_merge_command(app);
  auto run_report = gammalab::app::add_report_command(app);
  auto run_serve = gammalab::app::add_serve_command(app);
  auto run_schema = gammalab::app::add_schema_command(app);
  auto run_calibrate = gammalab::app::add_calibrate_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "gammalab: " << e.what() << "\nRun with --help for the accepted options.\n";
    return gammalab::app::kExitBadInput;
  }

  try {
    if (app.got_subcommand("gamma")) return run_gamma();
    if (app.got_subcommand("device")) return run_device();
    if (app.got_subcommand("sweep")) return run_sweep();
    if (app.got_subcommand("analyze")) return run_analyze();
    if (app.got_subcommand("coordcheck")) return run_coordcheck();
    if (app.got_subcommand("reproduce")) return run_reproduce();
    if (app.got_subcommand("merge")) return run_merge();
    if (app.got_subcommand("report")) return run_report();
    if (app.got_subcommand("serve")) return run_serve();
    if (app.got_subcommand("schema")) return run_schema();
    if (app.got_subcommand("calibrate")) return run_calibrate();
  } catch (const gammalab::InputError& e) {
    std::cerr << "gammalab: " << e.what() << "\n";
    return gammalab::app::kExitBadInput;
  } catch (const std::exception& e) {  // not the input's fault: out of GPU memory, a full disk, a CUDA error
    std::cerr << "gammalab: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
