#include "app/model_options.hpp"

#include "app/cli_support.hpp"
#include "gamma/rank.hpp"
#include "gamma/scheme.hpp"

namespace gammalab::app {

void add_model_options(CLI::App& command, ModelOptions& o) {
  command.add_option("--scheme", o.scheme, "Initialisation scheme: " + gamma::scheme_names())->required();
  add_term_option(command, "--setting", o.setting, gamma::settings(),
                  "module (paper 003 §3.1) or network (the toy model, eq. 4); default module");
  add_term_option(command, "--readout", o.readout, gamma::readouts(),
                  "Network readout: sp (entries n^-1/2, the paper's toy) or mup (n^-1); default sp");
  add_term_option(command, "--optimizer", o.optimizer, gamma::optimizers(), "adam (Assumption 1) or sgd; default adam");
  const std::string exponent_help = ": an exponent (-1/2, 0, 1.5, -inf) or 'free'";
  command.add_option("--eta", o.eta, "γ[η], the learning rate of both A and B" + exponent_help);
  command.add_option("--eta-A", o.eta_A, "γ[η_A], overriding --eta for A (LoRA+)" + exponent_help);
  command.add_option("--eta-B", o.eta_B, "γ[η_B], overriding --eta for B (LoRA+)" + exponent_help);
  command.add_option("--ratio", o.ratio, "LoRA+ ratio: γ[η_B] = γ[η] + RATIO (an exponent)");
  command.add_option("--sigma-A", o.sigma_A, "γ[σ_A], the initial entries of A (required by custom; overrides a preset)" + exponent_help);
  command.add_option("--sigma-B", o.sigma_B, "γ[σ_B], the initial entries of B (required by custom; overrides a preset)" + exponent_help);
  command.add_option("--alpha", o.alpha, "γ[α], the adapter multiplier (default 0)" + exponent_help);
  command.add_option("--rho", o.rho, "ρ of the rank r = n^ρ: " + std::string(gamma::kRankExponentForms) + "; default 0 (r fixed)");
  command.add_option("--multiplier", o.multiplier, "The adapter's scale α/r^κ: " + gamma::multiplier_forms() + "; default lora");
  command.add_option("--subtract-initial", o.subtract, "on/off: subtract B₀A₀ from the frozen weight (default: the scheme's)");
}

}  // namespace gammalab::app
