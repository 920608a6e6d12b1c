#!/usr/bin/env python3
"""Mean norms of the LoRA features Z_A and Z_B over training (paper 003, figure 3).

Reads only a sweep's result directory (summary.json, runs.csv, curves.csv) and writes
figures/norms_over_training.png and .svg there. One panel per (width, scheme): for each
seed, N^-1 Σ_i ‖Z_A(x_i)‖ (solid) and N^-1 Σ_i ‖Z_B(x_i)‖ (dashed) against the step, at
the learning rate of the grid nearest that (scheme, width)'s optimum; the panel title
gives that learning rate and the seeds' final train losses.

Usage: norms_over_training.py RESULT_DIR
"""
import math
import pathlib
import sys
from collections import defaultdict

import figure_files
import result_files
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(directory):
    directory = pathlib.Path(directory)
    summary = result_files.summary(directory)
    result_files.one_adapter_shape(directory, summary)
    runs = result_files.runs(directory)
    curves = defaultdict(list)
    for row in result_files.curves(directory):
        curves[row["id"]].append((row["step"], row["norm_Z_A"], row["norm_Z_B"]))
    if not curves:
        sys.exit(f"{directory}: curves.csv is empty; the spec must set [record] curves = true")
    schemes = [s["scheme"] for s in summary["schemes"]]
    widths = [w["width"] for w in summary["schemes"][0]["widths"]]
    figure, axes = plt.subplots(len(widths), len(schemes), figsize=(5.5 * len(schemes), 3.6 * len(widths)), squeeze=False)
    for column, scheme in enumerate(summary["schemes"]):
        for row, entry in enumerate(scheme["widths"]):
            axis = axes[row][column]
            optimum = entry["optimal_lr"]
            candidates = [r for r in runs if r["scheme"] == scheme["scheme"] and r["width"] == entry["width"]]
            if optimum is None or not candidates:
                axis.set_title(f"{result_files.scheme_title(directory, scheme['scheme'])}, n = {entry['width']}: no optimum", fontsize=9)
                continue
            nearest = min({r["lr_A"] for r in candidates}, key=lambda lr: abs(math.log(lr / optimum)))
            chosen = [r for r in candidates if r["lr_A"] == nearest]
            losses = []
            for seed_index, run in enumerate(sorted(chosen, key=lambda r: r["seed"])):
                points = sorted(curves.get(run["id"], []))
                if not points:
                    continue
                steps, norm_a, norm_b = zip(*points)
                colour = f"C{seed_index}"
                axis.plot(steps, norm_a, "-", color=colour, label=f"‖Z_A‖ seed {run['seed']}")
                axis.plot(steps, norm_b, "--", color=colour, label=f"‖Z_B‖ seed {run['seed']}")
                losses.append(run["final_train_loss"])
            axis.set_yscale("log")
            axis.set_xlabel("step")
            axis.set_ylabel("mean norm over train points")
            loss_text = ", ".join(f"{loss:.3g}" for loss in losses)
            axis.set_title(f"{result_files.scheme_title(directory, scheme['scheme'])}, n = {entry['width']}: η = {nearest:.3g}, "
                           f"train loss {loss_text}", fontsize=9)
            axis.grid(True, which="both", alpha=0.3)
            axis.legend(fontsize=7)
    figure.suptitle("Norms of Z_A (solid) and Z_B (dashed) over training, at each width's optimal grid learning rate", fontsize=10)
    figure.tight_layout()
    figure_files.save(figure, directory, "norms_over_training")


if __name__ == "__main__":
    figure_files.run(main, __doc__)
