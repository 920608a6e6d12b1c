#!/usr/bin/env python3
"""The deep MLP's maximal stable learning rate of each layer group against width, trained
alone; one panel per parametrization and optimiser, one series per layer group.

Reads only an mlp-lr directory (mlp-lr.json, manifest.json) and writes figures/mlp_lr.png
and .svg there. A point is the geometric mean over seeds of the edge (the largest stable
η), its bar the seeds' range; the dashed line has the engine's exponent, drawn through
the measured mean at the largest width. The legend gives each group's fitted slope with
its 95% interval and the verdict within the margin.

Usage: mlp_lr.py RESULT_DIR
"""
import math
import pathlib

import figure_files
import result_files
import matplotlib

matplotlib.use("Agg")


def main(directory):
    directory = pathlib.Path(directory)
    document = result_files.mlp_document(directory, "mlp-lr")
    spec = document["spec"]["mlp"]
    groups = document["spec"]["edge"]["groups"]
    widths = spec["widths"]
    with figure_files.readable():
        figure, axes, panel = figure_files.mlp_panels(spec)
        for curve in document["curves"]:
            axis = panel(curve["parametrization"], curve["optimizer"])
            color = f"C{groups.index(curve['group'])}"
            points = [(w, [e for e in edges if e is not None]) for w, edges in zip(widths, curve["edges"])]
            points = [(w, found) for w, found in points if found]
            means = [math.exp(sum(math.log(e) for e in found) / len(found)) for _, found in points]
            slope = curve["slope"]
            if slope["slope"] is None:
                text = "no slope"
            else:
                interval = slope["interval"]
                text = f"{slope['slope']:.2f}" + (f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "")
            engine = curve["engine_alone"]
            axis.errorbar([w for w, _ in points], means,
                          # max(0, …): a mean of equal edges can differ from them by a rounding
                          yerr=[[max(0, m - min(f)) for m, (_, f) in zip(means, points)],
                                [max(0, max(f) - m) for m, (_, f) in zip(means, points)]],
                          marker="o", markersize=4, capsize=2, color=color,
                          label=f"{curve['group']}: {text} vs {engine} ({slope['verdict_network']})")
            if engine is not None and points:
                anchor_width, anchor = points[-1][0], means[-1]
                axis.plot(widths, [anchor * (w / anchor_width) ** result_files.exponent(engine) for w in widths], "--", color=color, linewidth=1)
            axis.set_xscale("log", base=2)
            axis.set_yscale("log")
            axis.set_title(f"{curve['parametrization']}, {curve['optimizer']}", fontsize=10)
            axis.set_xlabel("width n")
            axis.grid(True, alpha=0.3)
        for row in axes:
            row[0].set_ylabel("largest stable η of the group")
            for axis in row:
                axis.legend(fontsize=7)
        figure.suptitle(f"deep MLP: largest stable learning rate per layer group, trained alone ({spec['scale']} scale, L = {spec['layers']}, "
                        f"{len(spec['seeds'])} seeds; dashed: the engine's exponent)")
        figure.tight_layout()
        figure_files.save(figure, directory, "mlp_lr")


if __name__ == "__main__":
    figure_files.run(main, __doc__)
