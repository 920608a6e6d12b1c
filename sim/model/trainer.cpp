#include "sim/model/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/model/lora_network.hpp"
#include "sim/model/random.hpp"
#include "sim/model/training_rules.hpp"

namespace gammalab::sim {

namespace {

// The frozen pre-activation a configuration trains from: H, or H − s·Z·(B₀A₀)ᵀ when the
// initial product is subtracted so that step 0 is the pretrained model.
Eigen::MatrixXd frozen_preactivation(const FrozenSplit& split, const LoraFactors& init, double scale) {
  if (!init.subtract_initial_product) return split.H;
  Eigen::MatrixXd H0 = split.H;
  H0.noalias() -= scale * ((split.Z * init.A.transpose()) * init.B.transpose());
  return H0;
}

// Whether a parameter and its optimiser's moments are all numbers (training_rules.hpp:
// state_diverged); SGD keeps no moments.
bool finite_state(const Eigen::MatrixXd& parameter, const AdamMoments& moments) {
  auto finite = [](const Eigen::MatrixXd& m) {
    return std::none_of(m.data(), m.data() + m.size(), [](double v) { return state_diverged(v); });
  };
  return finite(parameter) && finite(moments.first) && finite(moments.second);
}

double mean_row_norm(const Eigen::MatrixXd& m) { return m.rowwise().norm().mean(); }

// HorizonRecord::rms_Z_B of the rows Z: s·Z_A Bᵀ, less s·Z_A⁰ B₀ᵀ where the initial
// product is subtracted.
double rms_of_adapter_output(const Eigen::MatrixXd& Z, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                             const LoraFactors& init, double scale) {
  Eigen::MatrixXd Z_B = scale * ((Z * A.transpose()) * B.transpose());
  if (init.subtract_initial_product) Z_B.noalias() -= scale * ((Z * init.A.transpose()) * init.B.transpose());
  return std::sqrt(Z_B.squaredNorm() / static_cast<double>(Z_B.size()));
}

// The rows of each minibatch: epochs of a Fisher–Yates shuffle drawn from the seeded
// stream, each epoch's leftover rows (fewer than a batch) skipped.
class BatchOrder {
 public:
  BatchOrder(Eigen::Index rows, int batch_size, std::uint64_t seed)
      : order_(static_cast<std::size_t>(rows)), batch_size_(batch_size), rng_(seed, "batch-order"), cursor_(rows) {
    std::iota(order_.begin(), order_.end(), 0);
  }
  std::vector<Eigen::Index> next() {
    const auto rows = static_cast<Eigen::Index>(order_.size());
    if (cursor_ + batch_size_ > rows) {
      for (Eigen::Index i = rows - 1; i > 0; --i) std::swap(order_[i], order_[rng_.below(static_cast<std::uint64_t>(i) + 1)]);
      cursor_ = 0;
    }
    std::vector<Eigen::Index> batch(order_.begin() + cursor_, order_.begin() + cursor_ + batch_size_);
    cursor_ += batch_size_;
    return batch;
  }

 private:
  std::vector<Eigen::Index> order_;
  int batch_size_;
  Rng rng_;
  Eigen::Index cursor_;  // starts past the end: the first batch shuffles
};

}  // namespace

TrainResult train(const FrozenStudent& student, const TrainSpec& spec, const StepObserver& observe) {
  const double scale = adapter_scale(spec);
  LoraFactors init = initialise_lora(spec.init, student, spec.rank, scale, spec.seed);
  Eigen::MatrixXd A = init.A, B = init.B;
  const Eigen::MatrixXd H0_train = frozen_preactivation(student.train, init, scale);
  const Eigen::MatrixXd H0_test = frozen_preactivation(student.test, init, scale);
  const LoraBatch full_train{student.train.Z, H0_train, student.train.y};
  const LoraBatch test{student.test.Z, H0_test, student.test.y};

  TrainResult result;
  result.fit_residual = init.fit_residual;
  result.initial_train_loss = lora_loss(full_train, A, B, student.w_out, scale);

  const Eigen::Index rows = student.train.Z.rows();
  const bool full_batch = spec.batch_size <= 0 || spec.batch_size >= rows;
  BatchOrder batches(rows, spec.batch_size, spec.seed);

  AdamMoments moments_A, moments_B;
  std::vector<double> recent;  // the last K per-step losses
  double recent_sum = 0;
  result.horizons.resize(spec.horizons.size());
  for (std::size_t i = 0; i < spec.horizons.size(); ++i) result.horizons[i].step = spec.horizons[i];
  std::size_t next_horizon = 0;
  if (observe) observe({0, A, B, full_train});
  for (int step = 1; step <= spec.steps; ++step) {
    LoraGradients gradients;
    Eigen::MatrixXd batch_Z;  // the minibatch's rows of Z (full batch: unused)
    if (full_batch) {
      gradients = lora_loss_and_gradients(full_train, A, B, student.w_out, scale);
    } else {
      const std::vector<Eigen::Index> rows_of_batch = batches.next();
      batch_Z = student.train.Z(rows_of_batch, Eigen::all);
      Eigen::MatrixXd H0 = H0_train(rows_of_batch, Eigen::all);
      Eigen::VectorXd y = student.train.y(rows_of_batch);
      gradients = lora_loss_and_gradients({batch_Z, H0, y}, A, B, student.w_out, scale);
    }
    if (loss_diverged(gradients.loss, spec.divergence_bound)) {
      result.diverged = true;
      result.diverged_step = step;
      break;
    }
    result.max_train_loss = std::max(result.max_train_loss, gradients.loss);
    if (next_horizon < spec.horizons.size() && spec.horizons[next_horizon] == step) {
      HorizonRecord& record = result.horizons[next_horizon++];
      record.max_train_loss = result.max_train_loss;
      record.rms_Z_B = rms_of_adapter_output(full_batch ? student.train.Z : batch_Z, A, B, init, scale);
    }
    recent.push_back(gradients.loss);
    recent_sum += gradients.loss;
    if (static_cast<int>(recent.size()) > spec.last_k) {
      recent_sum -= recent.front();
      recent.erase(recent.begin());
    }

    const double factor = spec.schedule.factor(step, spec.steps);
    if (is_recorded_step(step, spec.steps, spec.record_every)) {
      Eigen::MatrixXd Z_A = student.train.Z * A.transpose();
      result.curve.push_back({step, gradients.loss, lora_loss(test, A, B, student.w_out, scale), factor,
                              mean_row_norm(Z_A), scale * mean_row_norm(Z_A * B.transpose())});
    }
    apply_update(spec.optimizer, step, spec.lr_A * factor, gradients.A, A, moments_A);
    apply_update(spec.optimizer, step, spec.lr_B * factor, gradients.B, B, moments_B);
    result.steps_done = step;
    if (!finite_state(A, moments_A) || !finite_state(B, moments_B)) {
      result.diverged = true;
      result.diverged_step = diverged_after_update(step);
      break;
    }
    if (observe) observe({step, A, B, full_train});
  }

  if (spec.keep_factors) {
    result.final_A = A;
    result.final_B = B;
  }
  if (result.diverged) {
    result.final_train_loss = result.final_test_loss = result.mean_last_train = INFINITY;
    return result;
  }
  result.final_train_loss = lora_loss(full_train, A, B, student.w_out, scale);
  result.final_test_loss = lora_loss(test, A, B, student.w_out, scale);
  result.mean_last_train = recent.empty() ? result.initial_train_loss : recent_sum / static_cast<double>(recent.size());
  if (loss_diverged(result.final_train_loss, spec.divergence_bound)) {
    result.diverged = true;  // the very last update blew up
    result.diverged_step = diverged_after_last_step(spec.steps);
    result.final_train_loss = result.final_test_loss = result.mean_last_train = INFINITY;
  }
  return result;
}

}  // namespace gammalab::sim
