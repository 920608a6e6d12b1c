#include "sim/model/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace gammalab::sim {

namespace {

void adamw_update(const OptimizerSpec& spec, int step, double lr, const Eigen::MatrixXd& gradient, Eigen::MatrixXd& parameter,
                  AdamMoments& moments) {
  if (moments.first.size() == 0) {
    moments.first = Eigen::MatrixXd::Zero(gradient.rows(), gradient.cols());
    moments.second = Eigen::MatrixXd::Zero(gradient.rows(), gradient.cols());
  }
  moments.first = spec.beta1 * moments.first + (1 - spec.beta1) * gradient;
  moments.second = spec.beta2 * moments.second + (1 - spec.beta2) * gradient.cwiseAbs2();
  const double first_correction = 1 - std::pow(spec.beta1, step);
  const double second_correction = 1 - std::pow(spec.beta2, step);
  if (spec.weight_decay != 0) parameter *= 1 - lr * spec.weight_decay;
  parameter.array() -= lr * (moments.first.array() / first_correction) /
                       ((moments.second.array() / second_correction).sqrt() + spec.epsilon);
}

}  // namespace

// A switch without default: the compiler names this place when an optimiser is added.
void apply_update(const OptimizerSpec& spec, int step, double lr, const Eigen::MatrixXd& gradient,
                  Eigen::MatrixXd& parameter, AdamMoments& moments) {
  switch (spec.kind) {
    case Optimizer::Adam: adamw_update(spec, step, lr, gradient, parameter, moments); return;
    case Optimizer::Sgd: parameter -= lr * gradient; return;
  }
  throw std::logic_error("an optimizer without an update rule");
}

double ScheduleSpec::factor(int step, int total) const {
  if (warmup_steps > 0 && step <= warmup_steps) return static_cast<double>(step) / warmup_steps;
  if (decay == Decay::Constant || total <= warmup_steps) return 1.0;
  double progress = static_cast<double>(step - warmup_steps) / (total - warmup_steps);
  progress = std::clamp(progress, 0.0, 1.0);
  double shape = decay == Decay::Linear ? 1 - progress : 0.5 * (1 + std::cos(std::numbers::pi * progress));
  return final_fraction + (1 - final_fraction) * shape;
}

}  // namespace gammalab::sim
