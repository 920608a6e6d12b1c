#pragma once
// Vectors along the width n, kept as a sum of parts, each part labelled by the random
// directions it is built from. The rows of A (r × n) and the columns of B (n × r) are
// such vectors too: with r fixed, an r-dimensional mixing of them keeps their sources.
//
// The sources of the single LoRA module (paper 003, §3.1) and of the toy network (eq. 4):
//   Z   the layer input Z̲ (and every update of A, since ∂L/∂A = (α/r)·(Bᵀ dZ̄) ⊗ Z̲),
//   dZ̄  the gradient arriving at the layer output (and every update of B, since
//       ∂L/∂B = (α/r)·dZ̄ ⊗ Z_A); in the network dZ̄ = (f − y)·w_out ⊙ φ'(h), so the
//       readout w_out is this same direction,
//   A₀  the rows of the initial A, drawn without looking at anything else,
//   B₀  the columns of the initial B, likewise.
// Adam keeps the sources of the raw gradient: its processed gradient is (close to) a sign
// pattern of it, sign(S) ⊗ sign(Z̲), as in the paper's argument for Assumption 1.
#include <map>
#include <string>
#include <vector>

#include "gamma/max_affine.hpp"

namespace gammalab::gamma {

enum Source : unsigned { kInput = 1, kBackprop = 2, kInitialA = 4, kInitialB = 8 };
using Sources = unsigned;  // a set of Source bits
std::string describe(Sources sources);  // "Z", "dZ̄", "A₀", "B₀" joined by "+"

class WidthVector {
 public:
  WidthVector() = default;  // exactly zero
  // A vector whose entries are Θ(n^entries), built from `sources`; zero if entries = −∞.
  WidthVector(Sources sources, const MaxAffine& entries);

  const std::map<Sources, MaxAffine>& parts() const { return parts_; }
  bool is_zero() const { return parts_.empty(); }
  MaxAffine entries() const;  // γ of its coordinates: the max over its parts

  WidthVector operator+(const WidthVector& other) const;  // parts with equal sources merge: sum → max
  WidthVector times(const MaxAffine& scalar) const;       // every part scaled by a Θ(n^scalar) factor
  WidthVector without(Source source) const;               // the parts not built from `source`
  friend bool operator==(const WidthVector&, const WidthVector&) = default;

 private:
  std::map<Sources, MaxAffine> parts_;
};

// One pair of parts in a contraction, for the derivation a student reads.
struct ContractionTerm {
  Sources left, right;
  bool aligned;       // they share a source
  MaxAffine exponent;  // γ[u-part] + γ[v-part] + 1 (aligned) or + 1/2 (independent)
};

// The alignment rule, the one place it lives: γ[Σ_{k≤n} u_k v_k] is, over the pairs of
// parts, the max of
//   γ[u] + γ[v] + 1    when the parts share a random direction: n correlated terms add
//                      coherently (law of large numbers; e.g. ΔA ∝ g ⊗ Z̲ applied to Z̲,
//                      paper 003 Assumption 1: g_A Z̲ = Θ(n)),
//   γ[u] + γ[v] + 1/2  when they are independent: n zero-mean terms add like a random
//                      walk (central limit theorem; e.g. a fresh A₀ applied to Z̲, which
//                      is why σ_A² = Θ(1/n) keeps A₀Z̲ = Θ(1), paper 003 §2.1).
MaxAffine contract(const WidthVector& u, const WidthVector& v, std::vector<ContractionTerm>* terms = nullptr);

}  // namespace gammalab::gamma
