#pragma once
// Vectors and matrices along the two dimensions that grow, the width n and the rank
// r = Θ(n^ρ), kept as sums of parts, each part labelled by the random directions it is
// built from: a vector's part by its sources, a matrix's part by the sources of its
// width side and of its rank side (the columns of B, n × r, and the rows of A, r × n).
//
// The sources of the single LoRA module (paper 003, §3.1) and of the toy network (eq. 4):
//   Z    the layer input Z̲ (and the width side of every update of A, since
//        ∂L/∂A = s·(Bᵀ dZ̄) ⊗ Z̲ with s = α/r^κ),
//   dZ̄   the gradient arriving at the layer output (and the width side of every update
//        of B, since ∂L/∂B = s·dZ̄ ⊗ Z_A); in the network dZ̄ = (f − y)·w_out ⊙ φ'(h),
//        so the readout w_out is this same direction,
//   A₀, B₀   the initial A and B, drawn without looking at anything else,
//   A₀v, B₀v the new directions A₀ and B₀ make of a vector independent of them: A₀Z̲
//        along the rank, B₀ᵀdZ̄ along the rank, B₀x along the width.
// Adam keeps the sources of the raw gradient: its processed gradient is (close to) a sign
// pattern of it, sign(S) ⊗ sign(Z̲), as in the paper's argument for Assumption 1.
#include <compare>
#include <map>
#include <string>
#include <vector>

#include "gamma/max_affine.hpp"

namespace gammalab::gamma {

enum Source : unsigned {
  kInput = 1,
  kBackprop = 2,
  kInitialA = 4,
  kInitialB = 8,
  kInitialAApplied = 16,  // A₀v
  kInitialBApplied = 32,  // B₀v
};
using Sources = unsigned;  // a set of Source bits
std::string describe(Sources sources);  // "Z", "dZ̄", "A₀", "B₀", "A₀v", "B₀v" joined by "+"

class RandomVector {
 public:
  RandomVector() = default;  // exactly zero
  // A vector whose entries are Θ(n^entries), built from `sources`; zero if entries = −∞.
  RandomVector(Sources sources, const MaxAffine& entries);

  const std::map<Sources, MaxAffine>& parts() const { return parts_; }
  bool is_zero() const { return parts_.empty(); }
  MaxAffine entries() const;  // γ of its coordinates: the max over its parts

  RandomVector operator+(const RandomVector& other) const;  // parts with equal sources merge: sum → max
  RandomVector times(const MaxAffine& scalar) const;        // every part scaled by a Θ(n^scalar) factor
  friend bool operator==(const RandomVector&, const RandomVector&) = default;

 private:
  std::map<Sources, MaxAffine> parts_;
};

// The two dimensions a sum runs over, and their lengths as exponents of n.
enum class Dimension { Width, Rank };

// One pair of parts in a contraction, for the derivation a student reads.
struct ContractionTerm {
  Sources left, right;
  MaxAffine left_entries, right_entries;
  bool aligned;        // they share a source
  Affine added;        // length (aligned) or length/2 (independent)
  MaxAffine exponent;  // left_entries + right_entries + added
};

// The alignment rule, the one place it lives: γ[Σ_k u_k v_k] over a dimension of
// n^length terms (length 1 for the width, ρ for the rank) is, over the pairs of parts,
// the max of
//   γ[u] + γ[v] + length    when the parts share a random direction: the terms add
//                           coherently (law of large numbers; e.g. ΔA ∝ g ⊗ Z̲ applied to
//                           Z̲, paper 003 Assumption 1: g_A Z̲ = Θ(n)),
//   γ[u] + γ[v] + length/2  when they are independent: zero-mean terms add like a random
//                           walk (central limit theorem; e.g. a fresh A₀ applied to Z̲,
//                           which is why σ_A² = Θ(1/n) keeps A₀Z̲ = Θ(1), paper 003 §2.1).
MaxAffine contract(const RandomVector& u, const RandomVector& v, const Affine& length,
                   std::vector<ContractionTerm>* terms = nullptr);

// A matrix's part: an outer product of a direction along the width and one along the
// rank (an update: g ⊗ Z̲, dZ̄ ⊗ Z_A), or a matrix of independent entries (A₀, B₀),
// whose two sides are its own randomness.
struct MatrixPart {
  Sources width_side, rank_side;
  bool independent_entries;
  friend auto operator<=>(const MatrixPart&, const MatrixPart&) = default;
};

class RandomMatrix {
 public:
  RandomMatrix() = default;  // exactly zero
  // An initial matrix of independent entries Θ(n^entries) from `source` (A₀ or B₀).
  static RandomMatrix independent(Source source, const MaxAffine& entries);
  // u ⊗ v, u along the width and v along the rank.
  static RandomMatrix outer(const RandomVector& along_width, const RandomVector& along_rank);

  const std::map<MatrixPart, MaxAffine>& parts() const { return parts_; }
  bool is_zero() const { return parts_.empty(); }
  MaxAffine entries() const;

  RandomMatrix operator+(const RandomMatrix& other) const;
  RandomMatrix times(const MaxAffine& scalar) const;
  RandomMatrix without(Source source) const;  // the parts whose width side is not built from `source`
  friend bool operator==(const RandomMatrix&, const RandomMatrix&) = default;

 private:
  void add(const MatrixPart& part, const MaxAffine& entries);
  std::map<MatrixPart, MaxAffine> parts_;
};

// The matrix applied to a vector along its `over` side (a sum over that dimension, of
// n^length terms): a vector along its other side. Each pair of parts follows the
// alignment rule; the result keeps the direction of the matrix part's other side,
// except where a matrix of independent entries meets a vector independent of it: that
// sum is a new random direction (A₀Z̲, B₀ᵀdZ̄: the sources A₀v, B₀v), which the
// matrix's own other side does not share.
RandomVector apply(const RandomMatrix& matrix, Dimension over, const RandomVector& vector, const Affine& length,
                   std::vector<ContractionTerm>* terms = nullptr);

// An initial matrix of independent entries as the engine carries it: conditioned on the
// one vector its width side will meet (Z̲ for A₀, dZ̄ for B₀), it is a rest independent
// of that vector plus the rank-one part along it — Gaussian conditioning,
// M = M(I − ûûᵀ) + û ⊗ (Mᵀû) — whose entries are n^-1/2 those of M and whose rank side
// is the new direction Mᵀû. The rank-one part is what makes B₀(B₀ᵀdZ̄) have a piece along
// dZ̄ of order r·σ_B²: a sum over the rank of aligned terms (+ρ) that the rest cannot see.
RandomMatrix initial_matrix(Source source, const MaxAffine& entries, Source meets);

}  // namespace gammalab::gamma
