#pragma once
// The card's FP32 rate as measured, not as the datasheet says: a kernel of independent
// fused multiply-adds timed with CUDA events, measured once per card so that a kernel's
// share of the ceiling is read against the card it ran on. Returns FLOP/s, or 0 where this build has no CUDA.
namespace gammalab::cuda {
double measure_fp32_peak();
}
