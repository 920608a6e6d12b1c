#pragma once
// The teacher of paper 003 (eq. 4, appendix B.1.1): a pretrained net with a LoRA
// injected, whose outputs are the fine-tuning targets. Every weight is Gaussian with
// variance 1/fan-in, W_h = 0, and the adapter enters as B A (no α/r):
//   y = w_outᵀ φ(W_in x + B A φ(W_in x)),  x ~ N(0, I_d).
#include <Eigen/Dense>

#include <cstdint>
#include <vector>

namespace gammalab::sim {

struct TeacherSpec {
  int input_dim = 5;
  int width = 1000;
  int rank = 20;
  int train_size = 1000;
  int test_size = 100;
  std::uint64_t seed = 0;
};

struct Dataset {
  Eigen::MatrixXd X_train, X_test;  // N × d
  Eigen::VectorXd y_train, y_test;
};

Dataset make_teacher_dataset(const TeacherSpec& spec);

// A sweep of `[data] teachers = K` draws K teachers, numbered 0 … K − 1, and under each
// its own students. Every seed of teacher k — the data seed of its network and data set,
// and each student seed (the student, the adapter's initialisation, the batch order) —
// is this of the seed the spec gives: the seed itself for teacher 0, so that a sweep of
// one teacher draws exactly what it drew before teachers were counted; for k ≥ 1,
// derived_seed(seed, "teacher k") (sim/model/random.hpp), so that teachers share no stream
// and a replicate (teacher, seed) is independent of every other.
std::uint64_t seed_under_teacher(std::uint64_t seed, int teacher);
// The data sets of teachers 0 … teachers − 1, each make_teacher_dataset of `spec` with
// its seed under that teacher. The teacher's width is its own, so one teacher serves
// every student width.
std::vector<Dataset> make_teacher_datasets(const TeacherSpec& spec, int teachers);

}  // namespace gammalab::sim
