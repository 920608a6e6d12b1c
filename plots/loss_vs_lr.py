#!/usr/bin/env python3
"""Final train loss against learning rate, one panel per width (paper 000's Init[AB]
against Init[A]).

Reads only a sweep's result directory (runs.csv, summary.json, and engine.json written
by `gammalab reproduce`) and writes figures/loss_vs_lr.png and .svg there. Lines: the
geometric mean over seeds; bands: the seeds' range; diverged runs are left out. Below
the panels, the engine's exponents of δ¹ (learning through A) and δ² (through B) for
each scheme at steps 1 and 3 (settled).

Usage: loss_vs_lr.py RESULT_DIR
"""
import math
import pathlib
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
    engine = result_files.document(directory, "engine.json", required=False) or {}
    losses = defaultdict(list)  # (scheme, width, lr) → final train losses of the seeds
    for run in result_files.runs(directory):
        loss = run["final_train_loss"]
        if not run["diverged"] and math.isfinite(loss):
            losses[(run["scheme"], run["width"], run["lr_A"])].append(loss)
    schemes = [s["scheme"] for s in summary["schemes"]]
    widths = [w["width"] for w in summary["schemes"][0]["widths"]]
    figure, axes = plt.subplots(1, len(widths), figsize=(4.6 * len(widths), 4.4), sharey=True, squeeze=False)
    for axis, width in zip(axes[0], widths):
        for index, scheme in enumerate(schemes):
            rates = sorted(lr for (s, w, lr) in losses if s == scheme and w == width)
            mean = [math.exp(sum(map(math.log, losses[(scheme, width, lr)])) / len(losses[(scheme, width, lr)])) for lr in rates]
            low = [min(losses[(scheme, width, lr)]) for lr in rates]
            high = [max(losses[(scheme, width, lr)]) for lr in rates]
            colour = f"C{index}"
            axis.plot(rates, mean, "o-", color=colour, markersize=3, label=result_files.scheme_title(directory, scheme))
            axis.fill_between(rates, low, high, color=colour, alpha=0.2)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel(f"learning rate η ({result_files.manifest(directory).get('optimizer', 'adam')})")
        axis.set_title(f"width n = {width}", fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    axes[0][0].set_ylabel("final train loss (geometric mean over seeds; band: range)")
    lines = []
    for scheme, steps in engine.items():
        parts = [f"t={t}: δ¹ {steps[t]['delta1']}, δ² {steps[t]['delta2']}" for t in ("1", "3") if t in steps]
        lines.append(f"engine, {result_files.scheme_title(directory, scheme)} (module, Adam): " + "; ".join(parts))
    figure.text(0.01, 0.01, "\n".join(lines), fontsize=7, family="monospace", va="bottom")
    figure.suptitle("Init[AB] against Init[A] across learning rates (paper 000)", fontsize=10)
    figure.tight_layout(rect=(0, 0.08 if lines else 0, 1, 0.95))
    figure_files.save(figure, directory, "loss_vs_lr")


if __name__ == "__main__":
    figure_files.run(main, __doc__)
