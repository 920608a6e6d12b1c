#pragma once
// Locating stability edges beyond the grid (RefineSpec). At 8 rates per decade, reading
// the maximal stable rate off the grid moves the slope between two widths a factor 2
// apart by about ±0.4 from quantization alone; refinement trains more rates where the
// edges are, until each is known to the precision asked.
//
// Each line — one (width, seed, readout, rank, multiplier, scheme, σ) of the spec: one
// seed's rates for one arm at one rank and width — is refined on its own, in rounds. Round k proposes, from the line's
// runs of the rounds before it, for every stability measure (sim/sweep/stability.hpp):
//   - while the last monotone stable rate and the first failure above it (a bracket: the
//     seed's edge, which a stable island above the failure does not move) differ by more
//     than a factor 1 + edge_precision, rates that cut the bracket into equal steps in log
//     rate (a k-section): at most kSectionPoints of them, so at most 4 steps, in as few
//     rounds as that allows, and of those schedules the one with the fewest rates
//     (section_steps);
//   - where the largest rate run is stable, up to kSectionPoints rates above it, each a
//     factor of at most kExtensionFactor above the last, evenly spaced in log rate up to
//     extend_up_to where that is nearer: the grid extended upwards until the edge is
//     found, instead of the width being left out;
// and, with optimum_per_decade, the rates around the line's best grid rate at that
// spacing (optimum_probes, sim/sweep/optimum.hpp), from the grid's runs alone: proposed in the
// first round, beside the edges' first rates, so they add no round;
// except rates the line has run already. A line stops at kRefinedPerLine refined rates
// (the analysis then flags its edge as not located to the precision asked).
//
// Why several rates a round: every round waits for its slowest group, and the late
// rounds of bisection (one rate per bracket, the bracket halved) train a handful of
// configurations on hardware that fits thousands. With up to 3 rates a bracket shrinks
// up to 4× a round: the quick fig2's grid (3 rates per decade, steps of 2.15×) reaches its
// 10% in 2 rounds of 2 rates where bisection takes 4 rounds of 1; the paper's (4 per
// decade) its 8% in 2 rounds of 2 rates where bisection takes 3 of 1. Up to 7 rates (8×
// a round) would save a further round only where a bracket must shrink over 16×, at up
// to twice the configurations; a CPU, busy in every round, pays for configurations, not
// rounds.
//
// The proposals are a function of the results alone, so a resumed sweep proposes what an
// uninterrupted one did, with the same ids: the line's k-th refined rate (in order of
// round, then rate) has id = the grid's configuration count + line · kRefinedPerLine + k.
// The manifest names the schedule (kRefinementSchedule), and the readers refuse a
// directory refined by another one, whose refined rows this schedule would not propose.
#include <vector>

#include "sim/sweep/result_directory.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gammalab::sim {

inline constexpr std::size_t kRefinedPerLine = 64;
inline constexpr int kSectionPoints = 3;        // at most, per bracket per round: the bracket shrinks up to 4× a round
inline constexpr double kExtensionFactor = 5;   // above a stable top rate: up to ×5, ×25, ×125 in one round
inline constexpr const char* kRefinementSchedule =
    "k-section of the first failure above the last monotone stable rate, up to 3 rates per bracket per round; rates around each best grid rate in the first round";

// Into how many equal steps in log rate a bracket whose ends differ by the factor `ratio`
// is cut this round, to reach a factor 1 + `precision` in the fewest rounds of at most
// kSectionPoints rates, with the fewest rates (1 when it is already there).
int section_steps(double ratio, double precision);

// The configurations of refinement round `round` (≥ 1), from the rows of earlier rounds
// among `runs`; none once every edge is located (or the spec does not refine).
std::vector<Configuration> refinement_round(const SweepSpec& spec, const std::vector<RunRow>& runs, int round);

// Every refined configuration that the grid rows among `runs` lead to, round after
// round, as far as the rows of `runs` reach (a round whose rows are all present leads to
// the next). A complete sweep holds every one; a refined row that is not one of them
// (another rate, id or line) was not written by this spec's refinement.
std::vector<Configuration> refined_configurations(const SweepSpec& spec, const std::vector<RunRow>& runs);

}  // namespace gammalab::sim
