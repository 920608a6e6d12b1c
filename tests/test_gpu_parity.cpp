// [gpu] The GPU backend against the CPU reference: the same specs, random teacher data,
// every scheme and both optimisers over 200 steps, the horizons' records included (and
// diverging runs for their +inf). Where no GPU is usable (as in CI) the program says why
// and exits 77, which ctest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cuda/device_probe.hpp"
#include "cuda/gpu_backend.hpp"
#include "sim/model/lora_init.hpp"

using namespace gammalab;

namespace {

// ‖a − b‖ / ‖b‖, the relative error of a whole vector or matrix.
double relative_error(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  double scale = b.norm();
  return scale == 0 ? a.norm() : (a - b).norm() / scale;
}

// The stated tolerances: FP32 on the GPU against FP64 on the CPU after 200 steps.
constexpr double kLossTolerance = 1e-3;    // losses and curves
constexpr double kFactorTolerance = 1e-2;  // the final A and B (Adam turns rounding near zero gradients into ±η)

// The relative errors of a run's finite horizon records, GPU against CPU, each kind as
// one vector: the largest losses so far and the RMS of s·Z_B.
struct HorizonErrors {
  double max_train_loss = 0, rms_Z_B = 0;
};

// Checks a run's horizon records, GPU against CPU: the same horizons, +inf (at or past
// the divergence) at the same ones, an RMS of exactly zero at the same ones (where
// nothing has been added yet: B₀ = 0, or step 1 where B₀A₀ is subtracted), and the
// finite ones within the tolerances, the largest losses as losses and the RMS, a
// function of the factors, as factors. Returns their errors.
HorizonErrors check_horizons(const sim::TrainResult& actual, const sim::TrainResult& expected) {
  REQUIRE(actual.horizons.size() == expected.horizons.size());
  std::vector<double> loss_a, loss_e, rms_a, rms_e;
  for (std::size_t i = 0; i < expected.horizons.size(); ++i) {
    const sim::HorizonRecord &a = actual.horizons[i], &e = expected.horizons[i];
    CAPTURE(e.step);
    CHECK(a.step == e.step);
    CHECK(std::isinf(a.max_train_loss) == std::isinf(e.max_train_loss));
    CHECK(std::isinf(a.rms_Z_B) == std::isinf(e.rms_Z_B));
    if (std::isinf(a.rms_Z_B) || std::isinf(e.rms_Z_B)) continue;
    CHECK((a.rms_Z_B == 0) == (e.rms_Z_B == 0));
    loss_a.push_back(a.max_train_loss), loss_e.push_back(e.max_train_loss);
    rms_a.push_back(a.rms_Z_B), rms_e.push_back(e.rms_Z_B);
  }
  auto as_vector = [](const std::vector<double>& v) {
    return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
  };
  const HorizonErrors errors{relative_error(as_vector(loss_a), as_vector(loss_e)),
                             relative_error(as_vector(rms_a), as_vector(rms_e))};
  CHECK(errors.max_train_loss < kLossTolerance);
  CHECK(errors.rms_Z_B < kFactorTolerance);
  return errors;
}

// The group trained on the CPU (the reference) and on the GPU: {expected, actual}.
std::pair<std::vector<sim::TrainResult>, std::vector<sim::TrainResult>> train_on_both(const sim::Dataset& data,
                                                                                    const sim::StudentKey& key,
                                                                                    const std::vector<sim::TrainSpec>& group) {
  sim::CpuBackend cpu(2);
  auto gpu = cuda::make_gpu_backend();
  auto ignore = [](std::size_t, const sim::TrainResult&) {};
  return {cpu.train_group(data, key, group, ignore), gpu->train_group(data, key, group, ignore)};
}

}  // namespace

TEST_CASE("[gpu] every scheme and optimiser: GPU losses and factors match the CPU's") {
  sim::Dataset data = sim::make_teacher_dataset({5, 256, 8, 200, 50, 11});
  const int steps = 200;
  std::vector<sim::TrainSpec> specs;
  for (const auto& scheme : sim::simulator_schemes())
    for (auto kind : {sim::Optimizer::Adam, sim::Optimizer::Sgd})
      for (double lr : {1e-3, 1e-2}) {
        sim::TrainSpec spec;
        spec.init.scheme = scheme;
        spec.init.sigma_A = {1.0, -0.5};
        spec.init.sigma_B = {0.5, -0.5};
        spec.init.inilora_steps = 200;
        spec.optimizer.kind = kind;
        spec.optimizer.weight_decay = 0.01;
        spec.schedule = {sim::ScheduleSpec::Decay::Cosine, 10, 0.1};
        spec.lr_A = lr;
        spec.lr_B = kind == sim::Optimizer::Sgd ? lr : 4 * lr;  // LoRA+ for Adam
        spec.steps = steps;
        spec.seed = 3;
        spec.record_every = 50;
        spec.keep_factors = true;
        spec.horizons = {1, 10, steps};
        specs.push_back(spec);
        if (scheme == "AB" || scheme == "inilora-alpha") {  // and with the [init_sigma] axis's own σ
          spec.init.sigma = 0.05;
          specs.push_back(spec);
        }
      }
  // One group per optimiser, as a sweep would form them.
  for (auto kind : {sim::Optimizer::Adam, sim::Optimizer::Sgd}) {
    std::vector<sim::TrainSpec> group;
    for (const auto& s : specs)
      if (s.optimizer.kind == kind) group.push_back(s);
    const auto [expected, actual] = train_on_both(data, {128, sim::Readout::Standard, 5}, group);
    double worst_loss = 0, worst_factor = 0;
    HorizonErrors worst_horizon;
    for (std::size_t i = 0; i < group.size(); ++i) {
      CAPTURE(group[i].init.scheme);
      CAPTURE(group[i].lr_A);
      CAPTURE(kind == sim::Optimizer::Sgd);
      const auto &e = expected[i], &a = actual[i];
      REQUIRE(e.diverged == a.diverged);
      if (e.diverged) {
        CHECK(e.diverged_step == a.diverged_step);
        continue;
      }
      REQUIRE(a.curve.size() == e.curve.size());
      Eigen::VectorXd curve_e(2 * e.curve.size() + 3), curve_a(curve_e.size());
      for (std::size_t k = 0; k < e.curve.size(); ++k) {
        curve_e(2 * k) = e.curve[k].train_loss, curve_a(2 * k) = a.curve[k].train_loss;
        curve_e(2 * k + 1) = e.curve[k].test_loss, curve_a(2 * k + 1) = a.curve[k].test_loss;
      }
      curve_e.tail(3) << e.initial_train_loss, e.final_train_loss, e.final_test_loss;
      curve_a.tail(3) << a.initial_train_loss, a.final_train_loss, a.final_test_loss;
      double loss_error = relative_error(curve_a, curve_e);
      double factor_error = std::max(relative_error(a.final_A, e.final_A), relative_error(a.final_B, e.final_B));
      worst_loss = std::max(worst_loss, loss_error);
      worst_factor = std::max(worst_factor, factor_error);
      CHECK(loss_error < kLossTolerance);
      CHECK(factor_error < kFactorTolerance);
      CHECK(a.curve.back().norm_Z_B == doctest::Approx(e.curve.back().norm_Z_B).epsilon(kFactorTolerance));
      const HorizonErrors horizon = check_horizons(a, e);
      worst_horizon.max_train_loss = std::max(worst_horizon.max_train_loss, horizon.max_train_loss);
      worst_horizon.rms_Z_B = std::max(worst_horizon.rms_Z_B, horizon.rms_Z_B);
    }
    const std::string optimizer = kind == sim::Optimizer::Sgd ? "SGD" : "AdamW";
    MESSAGE(optimizer << ": worst relative error of losses " << worst_loss << ", of final factors " << worst_factor
                      << ", of the horizons' largest losses " << worst_horizon.max_train_loss << " and RMS of s·Z_B "
                      << worst_horizon.rms_Z_B);
  }
}

// Every kind of rank the GPU trains, under both multipliers: the tensor-core kernels'
// stored ranks 1, 2, 8 and 16 (their fragments hold a factor column per lane
// differently) and rank 3 stored as 4; the GEMMs' 32, 100 (stored as 128) and 256
// (cuda/group_memory.cuh: stored_rank, kernels_for_rank); a subtracting scheme (PiSSA);
// widths that are not a multiple of the kernels' 64-column words. With α = 4 the scale
// α/r^κ differs between κ = 1 and κ = 1/2 at every rank but 1 (and so do the CPU's final
// losses, by up to tenfold at rank 256), and between the rank and its stored rank at 3
// and 100: a trainer that took either from the wrong place would miss the CPU's losses.
TEST_CASE("[gpu] ranks 1 to 256, LoRA and rsLoRA multipliers: GPU losses and factors match the CPU's") {
  sim::Dataset data = sim::make_teacher_dataset({5, 256, 8, 200, 50, 11});
  struct RankCase {
    int rank, width;
  };
  for (const RankCase rank_case : {RankCase{1, 100}, {2, 100}, {3, 100}, {8, 100}, {16, 100}, {32, 100}, {100, 300}, {256, 300}}) {
    const sim::StudentKey key{rank_case.width, sim::Readout::Standard, 5};
    for (double kappa : {1.0, 0.5}) {
      std::vector<sim::TrainSpec> group;
      for (const std::string scheme : {"A", "B", "pissa"}) {
        sim::TrainSpec spec;
        spec.rank = rank_case.rank;
        spec.multiplier_exponent = kappa;
        spec.alpha = 4;
        spec.init.scheme = scheme;
        spec.init.sigma_A = {1.0, -0.5};
        spec.init.sigma_B = {0.5, -0.5};
        spec.lr_A = spec.lr_B = 3e-3;
        spec.steps = 100;
        spec.seed = 2;
        spec.record_every = 25;
        spec.keep_factors = true;
        spec.horizons = {1, 10, spec.steps};
        group.push_back(spec);
      }
      const auto [expected, actual] = train_on_both(data, key, group);
      double worst_loss = 0, worst_factor = 0;
      for (std::size_t i = 0; i < group.size(); ++i) {
        CAPTURE(rank_case.rank);
        CAPTURE(kappa);
        CAPTURE(group[i].init.scheme);
        const auto &e = expected[i], &a = actual[i];
        REQUIRE(!e.diverged);
        REQUIRE(!a.diverged);
        REQUIRE(a.final_A.rows() == rank_case.rank);
        REQUIRE(a.final_B.cols() == rank_case.rank);
        CHECK(a.final_train_loss == doctest::Approx(e.final_train_loss).epsilon(kLossTolerance));
        CHECK(a.final_test_loss == doctest::Approx(e.final_test_loss).epsilon(kLossTolerance));
        const double factor_error = std::max(relative_error(a.final_A, e.final_A), relative_error(a.final_B, e.final_B));
        CHECK(factor_error < kFactorTolerance);
        check_horizons(a, e);
        worst_loss = std::max({worst_loss, std::abs(a.final_train_loss / e.final_train_loss - 1),
                               std::abs(a.final_test_loss / e.final_test_loss - 1)});
        worst_factor = std::max(worst_factor, factor_error);
      }
      MESSAGE("rank " << rank_case.rank << ", κ = " << kappa << ": worst relative error of final losses " << worst_loss
                      << ", of final factors " << worst_factor);
    }
  }
}

TEST_CASE("[gpu] the GPU trains every rank from 1 to 256 and refuses a larger one, naming [model] rank (and ε = 0 where it pads)") {
  sim::TrainSpec spec;
  for (spec.rank = 1; spec.rank <= 256; ++spec.rank) REQUIRE(cuda::unsupported_on_gpu(spec).empty());
  spec.rank = 257;
  CHECK(cuda::unsupported_on_gpu(spec) == "[model] rank = 257: the GPU backend trains ranks 1 to 256; use --device cpu for larger ones");
  spec.optimizer.epsilon = 0;  // AdamW without ε: only at a stored rank
  spec.rank = 64;
  CHECK(cuda::unsupported_on_gpu(spec).empty());
  spec.rank = 100;
  CHECK(cuda::unsupported_on_gpu(spec).find("[optimizer] epsilon = 0 with [model] rank = 100") == 0);
}

// The horizons of diverging runs: a run that diverges at step d stops there
// (sim/model/training_rules.hpp), and its horizons from d on stay +inf. SGD at η = 1 diverges
// at step 5 (Init[A], Init[AB]) or 4 (Init[B], PiSSA) on the CPU, its loss growing a
// hundredfold or more a step before it crosses the bound, so that FP32 crosses it at the
// same step; the horizons 1, 3, 4, 5 and 10 lie before, at and past both. The same schemes
// at η = 10^-3 share the group and do not diverge: half the group, so that the GPU drops
// the diverged half after step 8 (cuda/group_trainer.cuh) and the rest, trained on
// without them, must still match the CPU.
TEST_CASE("[gpu] diverging runs: horizons before the divergence match the CPU's, those at and past it are +inf") {
  sim::Dataset data = sim::make_teacher_dataset({5, 256, 8, 200, 50, 11});
  const sim::StudentKey key{128, sim::Readout::Standard, 5};
  std::vector<sim::TrainSpec> group;
  for (const std::string scheme : {"A", "B", "AB", "pissa"}) {
    sim::TrainSpec spec;
    spec.init.scheme = scheme;
    spec.init.sigma_A = {1.0, -0.5};
    spec.init.sigma_B = {0.5, -0.5};
    spec.optimizer.kind = sim::Optimizer::Sgd;
    spec.lr_A = spec.lr_B = 1;
    spec.steps = 20;
    spec.seed = 3;
    spec.horizons = {1, 3, 4, 5, 10};
    group.push_back(spec);
    spec.lr_A = spec.lr_B = 1e-3;
    group.push_back(spec);
  }
  const auto [expected, actual] = train_on_both(data, key, group);
  for (std::size_t i = 0; i < group.size(); ++i) {
    CAPTURE(group[i].init.scheme);
    CAPTURE(group[i].lr_A);
    const auto &e = expected[i], &a = actual[i];
    const bool diverging = group[i].lr_A == 1;
    REQUIRE(e.diverged == diverging);
    REQUIRE(a.diverged == diverging);
    if (diverging) CHECK(a.diverged_step == e.diverged_step);
    else CHECK(a.final_train_loss == doctest::Approx(e.final_train_loss).epsilon(kLossTolerance));
    check_horizons(a, e);
  }
}

int main(int argc, char** argv) {
  cuda::DeviceProbe probe = cuda::probe_devices();
  // A build with CUDA whose plugin cannot be found or loaded is a failure, not a skip.
  if (probe.description.find("gammalab-cuda.so") != std::string::npos) {
    std::printf("FAILED [gpu] parity test: %s\n", probe.description.c_str());
    return 1;
  }
  if (probe.device_count == 0) {
    std::printf("SKIPPED [gpu] parity test: %s\n", probe.description.c_str());
    return 77;
  }
  std::printf("[gpu] on %s\n", probe.description.c_str());
  doctest::Context context(argc, argv);
  return context.run();
}
