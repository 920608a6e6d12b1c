#include "gamma/step_limit.hpp"

#include <array>

#include "gamma/verdicts.hpp"

namespace gammalab::gamma {

namespace {

// The pattern through three points: (p, q, r, u) with p t + q − s_t (r t + u) = 0 at each,
// a non-zero solution of three homogeneous equations in four unknowns, by exact
// elimination. Absent where the solutions form more than a line (degenerate points).
std::optional<std::array<Rational, 4>> pattern_through(const std::array<std::pair<int, Rational>, 3>& points) {
  std::array<std::array<Rational, 4>, 3> rows;
  for (int i = 0; i < 3; ++i) {
    const auto& [t, s] = points[i];
    rows[i] = {Rational(t), Rational(1), -s * t, -s};
  }
  // Row echelon form; remember which column each row's pivot is in.
  std::array<int, 3> pivot_column{};
  int rank = 0;
  for (int column = 0; column < 4 && rank < 3; ++column) {
    int pivot = -1;
    for (int i = rank; i < 3; ++i)
      if (rows[i][column] != 0) pivot = i;
    if (pivot < 0) continue;
    std::swap(rows[rank], rows[pivot]);
    for (int i = 0; i < 3; ++i) {
      if (i == rank || rows[i][column] == 0) continue;
      const Rational factor = rows[i][column] / rows[rank][column];
      for (int k = 0; k < 4; ++k) rows[i][k] -= factor * rows[rank][k];
    }
    pivot_column[rank++] = column;
  }
  if (rank != 3) return std::nullopt;
  int free_column = 0;
  for (int column = 0; column < 4; ++column)
    if (column != pivot_column[0] && column != pivot_column[1] && column != pivot_column[2]) free_column = column;
  std::array<Rational, 4> solution{};
  solution[free_column] = 1;
  for (int i = 0; i < 3; ++i) solution[pivot_column[i]] = -rows[i][free_column] / rows[i][pivot_column[i]];
  return solution;
}

bool follows(const std::array<Rational, 4>& c, int t, const Rational& s) {
  const Rational denominator = c[2] * t + c[3];
  return denominator != 0 && (c[0] * t + c[1]) / denominator == s;
}

std::string affine_in_t(const Rational& slope, const Rational& constant) {
  std::string text = slope == 0 ? "" : (slope == 1 ? "" : slope == -1 ? "-" : to_string(slope)) + "t";
  if (constant != 0 || text.empty())
    text += text.empty() ? to_string(constant) : (constant > 0 ? " + " : " - ") + to_string(abs(constant));
  return text;
}

}  // namespace

std::string StepLimit::pattern() const { return "(" + affine_in_t(p, q) + ")/(" + affine_in_t(r, u) + ")"; }

std::optional<StepLimit> limit_of_maxima(const std::vector<std::optional<Rational>>& maxima) {
  const int horizon = static_cast<int>(maxima.size()) - 1;
  if (horizon + 1 < kMinPatternSteps) return std::nullopt;
  for (int t = horizon - 2; t <= horizon; ++t)
    if (!maxima[t]) return std::nullopt;
  auto found = pattern_through({{{horizon - 2, *maxima[horizon - 2]}, {horizon - 1, *maxima[horizon - 1]}, {horizon, *maxima[horizon]}}});
  if (!found) return std::nullopt;
  const auto& c = *found;
  int from = horizon - 2;
  while (from > 0 && maxima[from - 1] && follows(c, from - 1, *maxima[from - 1])) --from;
  // r = 0: s_t is affine in t, without a finite limit unless it is constant (settled).
  if (horizon - from + 1 < kMinPatternSteps || c[2] == 0) return std::nullopt;
  StepLimit limit{c[0] / c[2], from, c[0], c[1], c[2], c[3]};
  // Written with r > 0, the fraction read the usual way round.
  if (limit.r < 0) {
    limit.p = -limit.p, limit.q = -limit.q, limit.r = -limit.r, limit.u = -limit.u;
  }
  return limit;
}

std::vector<std::optional<Rational>> stable_maxima_by_step(const Trajectory& trajectory, const LoraModel& model,
                                                           const std::string& parameter) {
  std::vector<std::optional<Rational>> maxima;
  Trajectory prefix;
  for (const auto& step : trajectory.steps) {
    prefix.steps.push_back(step);
    auto top = supremum(verdicts_over(prefix, model, kEveryStep).stable, parameter);
    maxima.push_back(top ? std::optional<Rational>(top->value) : std::nullopt);
  }
  return maxima;
}

}  // namespace gammalab::gamma
