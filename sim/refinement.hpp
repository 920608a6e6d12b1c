#pragma once
// Locating stability edges beyond the grid (RefineSpec). At 8 rates per decade, reading
// the maximal stable rate off the grid moves the slope between two widths a factor 2
// apart by about ±0.4 from quantization alone; refinement trains more rates where the
// edges are, until each is known to the precision asked.
//
// Each line — one (width, seed, readout, rank, multiplier, scheme, σ) of the spec: one
// seed's rates for one arm at one rank and width — is refined on its own, in rounds. Round k proposes, from the line's
// runs of the rounds before it, for every stability measure (sim/stability.hpp):
//   - the geometric midpoint of the largest stable rate and the next rate above it,
//     while the two differ by more than a factor 1 + edge_precision;
//   - where the largest rate run is stable, that rate × kExtensionFactor (at most
//     extend_up_to), while it is below extend_up_to: the grid extended upwards until
//     the edge is found, instead of the width being left out;
// except rates the line has run already. A line stops at kRefinedPerLine refined rates
// (the analysis then flags its edge as not located to the precision asked).
//
// The proposals are a function of the results alone, so a resumed sweep proposes what an
// uninterrupted one did, with the same ids: the line's k-th refined rate (in order of
// round, then rate) has id = the grid's configuration count + line · kRefinedPerLine + k.
#include <vector>

#include "sim/result_directory.hpp"
#include "sim/result_schema.hpp"
#include "sim/sweep_spec.hpp"

namespace gammalab::sim {

inline constexpr std::size_t kRefinedPerLine = 64;
inline constexpr double kExtensionFactor = 4;  // about two grid steps of 8 per decade at a time, then bisection

// The configurations of refinement round `round` (≥ 1), from the rows of earlier rounds
// among `runs`; none once every edge is located (or the spec does not refine).
std::vector<Configuration> refinement_round(const SweepSpec& spec, const std::vector<RunRow>& runs, int round);

// Every refined configuration that the grid rows among `runs` lead to, round after
// round, as far as the rows of `runs` reach (a round whose rows are all present leads to
// the next). A complete sweep holds every one; a refined row that is not one of them
// (another rate, id or line) was not written by this spec's refinement.
std::vector<Configuration> refined_configurations(const SweepSpec& spec, const std::vector<RunRow>& runs);

}  // namespace gammalab::sim
