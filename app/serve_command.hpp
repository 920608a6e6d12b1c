#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab serve [--port P] [--results DIR]`: the explorer page on 127.0.0.1 — the
// engine answering as the inputs change, and the result directories under DIR — with
// its JSON API (experiments/explorer_api.hpp). Everything it serves is in the program
// or under DIR.
std::function<int()> add_serve_command(CLI::App& app);

}  // namespace gammalab::app
