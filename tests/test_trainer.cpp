#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>

#include "sim/model/trainer.hpp"

using namespace gammalab::sim;

namespace {
std::shared_ptr<const FrozenStudent> small_student() {
  static Dataset data = make_teacher_dataset({5, 128, 8, 200, 50, 4});
  return make_frozen_student(data, 64, Readout::Standard, 9);
}
}  // namespace

TEST_CASE("training lowers the loss, and the same spec gives bit-identical results") {
  auto student = small_student();
  TrainSpec spec;
  spec.steps = 100;
  spec.lr_A = spec.lr_B = 3e-3;
  spec.record_every = 10;
  TrainResult first = train(*student, spec), second = train(*student, spec);
  CHECK(first.final_train_loss < 0.9 * first.initial_train_loss);
  CHECK(first.final_train_loss == second.final_train_loss);  // exactly, not approximately
  CHECK(first.final_test_loss == second.final_test_loss);
  REQUIRE(first.curve.size() == 11);
  CHECK(first.curve.front().norm_Z_B == 0.0);  // Init[A]: B₀ = 0
  CHECK(first.curve.back().norm_Z_B > 0.0);
}

TEST_CASE("a learning rate far too large ends the run as diverged, with its step, and no NaN") {
  auto student = small_student();
  TrainSpec spec;
  spec.optimizer.kind = Optimizer::Sgd;
  spec.init.scheme = "B";
  spec.steps = 200;
  spec.lr_A = spec.lr_B = 50.0;
  spec.divergence_bound = 1e3;
  TrainResult result = train(*student, spec);
  CHECK(result.diverged);
  CHECK(result.diverged_step >= 1);
  CHECK(result.diverged_step <= 200);
  CHECK(std::isinf(result.final_train_loss));
}

TEST_CASE("an optimiser state that overflows diverges the run: Adam at alpha 1e300 is never recorded stable") {
  auto student = small_student();
  TrainSpec spec;
  spec.steps = 20;
  spec.lr_A = spec.lr_B = 1e-3;
  spec.alpha = 1e300;  // B's gradient is about 1e300: its square, Adam's second moment, is inf
  TrainResult result = train(*student, spec);
  CHECK(result.diverged);
  CHECK(result.diverged_step == result.steps_done + 1);
  CHECK(result.steps_done >= 1);
  CHECK(std::isinf(result.final_train_loss));
  CHECK(std::isfinite(result.initial_train_loss));
}

TEST_CASE("minibatches follow a seeded order: same seed same result, other seed other result") {
  auto student = small_student();
  TrainSpec spec;
  spec.steps = 30;
  spec.batch_size = 32;
  TrainResult a = train(*student, spec), b = train(*student, spec);
  CHECK(a.final_train_loss == b.final_train_loss);
  spec.seed = 1;
  CHECK(train(*student, spec).final_train_loss != a.final_train_loss);
}

TEST_CASE("subtracting the initial product starts training at the pretrained model") {
  auto student = small_student();
  TrainSpec spec;
  spec.steps = 0;
  spec.init.scheme = "inilora-alpha";
  TrainResult subtracted = train(*student, spec);
  spec.init.scheme = "A";  // B₀ = 0: the pretrained model itself
  TrainResult pretrained = train(*student, spec);
  CHECK(subtracted.initial_train_loss == doctest::Approx(pretrained.initial_train_loss).epsilon(1e-10));
  spec.init.scheme = "inilora-alpha";
  spec.init.subtract_initial_product = false;
  CHECK(train(*student, spec).initial_train_loss != doctest::Approx(pretrained.initial_train_loss).epsilon(1e-3));
}
