#!/usr/bin/env python3
"""Loss against the initial scale σ of A and B (papers 000 and 002), one panel per
scheme, one line per width, beside the γ engine's verdict for each exponent of σ.

Reads only a sweep's result directory (summary.json, manifest.json, engine.json) and
writes figures/loss_vs_sigma.png and .svg there. Each point is exp of the best
seed-averaged log loss over the learning-rate grid at that σ, with its 95% bootstrap
interval. The bar under each width's line marks paper 000's range σ² ∈ [1/(10n), 10/n]
around Kaiming's σ² = 1/n.

Usage: loss_vs_sigma.py RESULT_DIR
"""
import math
import pathlib

import figure_files
import result_files
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402



def main(directory):
    directory = pathlib.Path(directory)
    summary = result_files.summary(directory)
    result_files.one_adapter_shape(directory, summary)
    manifest = result_files.manifest(directory)
    engine = result_files.document(directory, "engine.json")
    schemes = list(dict.fromkeys(arm["scheme"] for arm in summary["schemes"]))
    widths = manifest["spec"]["sweep"]["widths"]
    figure, axes = plt.subplots(1, len(schemes), figsize=(6.2 * len(schemes), 5.2), squeeze=False)
    for axis, scheme in zip(axes[0], schemes):
        arms = [arm for arm in summary["schemes"] if arm["scheme"] == scheme and arm["init_sigma"] is not None]
        lowest = math.inf
        for index, width in enumerate(widths):
            points = []
            for arm in arms:
                entry = next(w for w in arm["widths"] if w["width"] == width)
                if entry.get("best_mean_log_loss") is None:
                    continue
                interval = entry.get("best_mean_log_loss_interval") or [entry["best_mean_log_loss"]] * 2
                points.append((arm["init_sigma"], entry["best_mean_log_loss"], interval))
            if not points:
                continue
            points.sort()
            sigma = [p[0] for p in points]
            loss = [math.exp(p[1]) for p in points]
            low = [math.exp(p[1]) - math.exp(p[2][0]) for p in points]
            high = [math.exp(p[2][1]) - math.exp(p[1]) for p in points]
            lowest = min(lowest, min(loss))
            axis.errorbar(sigma, loss, yerr=[low, high], marker="o", markersize=3, capsize=2, color=f"C{index}", label=f"n = {width}")
        for index, width in enumerate(widths):  # paper 000's range, under the curves
            axis.plot([1 / math.sqrt(10 * width), math.sqrt(10 / width)], [lowest * 0.8 ** (index + 1)] * 2, color=f"C{index}",
                      linewidth=4, alpha=0.6, solid_capstyle="butt")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("σ, the standard deviation of A's and B's initial entries")
        axis.set_ylabel(f"best {summary['loss_statistic']} loss over the η grid (seed-averaged)")
        axis.set_title(f"{result_files.scheme_title(directory, scheme)}; bars: σ² ∈ [1/(10n), 10/n]", fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    verdicts = "\n".join("; ".join(f"σ ∝ n^{e['sigma_exponent']}: max stable γ[η] {e['max_stable']}" for e in pair)
                         for pair in (engine["exponents"][:2], engine["exponents"][2:]))
    figure.suptitle(f"loss against initial scale: {result_files.title(directory)}\n"
                    f"{summary['seeds']} seeds, 95% bootstrap intervals; the engine, Init[AB] in the network ({engine['readout']} "
                    f"readout):\n{verdicts}", fontsize=9)
    figure.tight_layout()
    figure_files.save(figure, directory, "loss_vs_sigma")


if __name__ == "__main__":
    figure_files.run(main, __doc__)
