#!/usr/bin/env python3
"""Every scheme at its own tuned learning rate: the best loss and the optimal learning
rate against width.

Reads only a sweep's result directory (summary.json, manifest.json) and writes
figures/schemes_vs_width.png and .svg there. Left: exp of the best seed-averaged log
loss on the grid; right: the optimal learning rate with its bootstrap interval (hollow:
at the grid's edge).

Usage: schemes_vs_width.py RESULT_DIR
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
    figure, (loss_axis, rate_axis) = plt.subplots(1, 2, figsize=(12, 4.8))
    markers = "osD^v<>px*"
    for index, scheme in enumerate(summary["schemes"]):
        entries = [w for w in scheme["widths"] if w["optimal_lr"] is not None]
        if not entries:
            continue
        style = dict(marker=markers[index % len(markers)], color=f"C{index}", label=result_files.scheme_title(directory, scheme["scheme"]))
        widths = [w["width"] for w in entries]
        loss_axis.plot(widths, [math.exp(w["best_mean_log_loss"]) for w in entries], "-", **style)
        rates = [w["optimal_lr"] for w in entries]
        low = [r - (w["optimal_lr_interval"] or [r, r])[0] for r, w in zip(rates, entries)]
        high = [(w["optimal_lr_interval"] or [r, r])[1] - r for r, w in zip(rates, entries)]
        rate_axis.errorbar(widths, rates, yerr=[low, high], capsize=2, linestyle="-", **style)
        edge = [(w["width"], w["optimal_lr"]) for w in entries if w["optimal_at_grid_edge"]]
        if edge:
            rate_axis.plot(*zip(*edge), "o", markerfacecolor="white", color=f"C{index}", markersize=9, zorder=4)
    for axis, label in ((loss_axis, f"best {summary['loss_statistic']} loss (seed-averaged)"), (rate_axis, "optimal learning rate η")):
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        axis.set_xlabel("width n")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
    rate_axis.legend(fontsize=7, ncol=2)
    figure.suptitle(f"every scheme at its tuned learning rate: {result_files.title(directory)}\n"
                    f"{summary['seeds']} seeds, 95% bootstrap intervals; hollow: at the grid's edge", fontsize=10)
    figure.tight_layout()
    figure_files.save(figure, directory, "schemes_vs_width")


if __name__ == "__main__":
    figure_files.run(main, __doc__)
