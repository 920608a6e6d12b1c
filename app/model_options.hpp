#pragma once
// The command-line options that describe a LoRA model to the γ engine, shared by every
// `gammalab gamma` subcommand; they fill an experiments::ModelOptions.
#include <CLI/CLI.hpp>

#include "experiments/model_choice.hpp"

namespace gammalab::app {

using experiments::ModelOptions;

void add_model_options(CLI::App& command, ModelOptions& options);

}  // namespace gammalab::app
