#!/usr/bin/env python3
"""Optimal and maximal stable learning rate against width (paper 003, figure 2).

Reads only a sweep's result directory (summary.json, manifest.json) and writes
figures/lr_vs_width.png and .svg there. Points: the seed-averaged estimates with their
bootstrap intervals; dashed lines: the gamma engine's exact exponents (network setting
with the sweep's readout, and the single module), each drawn through the geometric
mean of the measured points, since the theory fixes slopes, not constants.

Usage: lr_vs_width.py RESULT_DIR
"""
import math
import pathlib

import figure_files
import result_files
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"A": "tab:blue", "B": "tab:orange"}


def line_through(widths, values, exponent):
    """n^exponent scaled to pass through the geometric mean of (widths, values)."""
    logs = [math.log(v) - exponent * math.log(w) for w, v in zip(widths, values)]
    constant = math.exp(sum(logs) / len(logs))
    return [constant * w ** exponent for w in widths]


def verdict_text(scheme, name, slope):
    if slope["slope"] is None:
        return f"{scheme} {name}: no slope"
    interval = slope["interval"]
    span = f"[{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "(no interval)"
    used = ", ".join(str(w) for w in slope.get("widths_used", []))
    return (f"{scheme} {name}: slope {slope['slope']:.2f} {span} over widths {used}; "
            f"network {slope['verdict_network']}, module {slope['verdict_module']}")


def main(directory):
    directory = pathlib.Path(directory)
    summary = result_files.summary(directory)
    manifest = result_files.manifest(directory)
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    lines = []
    for axis, (key, label) in zip(axes, [("optimal", "optimal η"), ("max_stable", "maximal stable η")]):
        for scheme in summary["schemes"]:
            name, colour = scheme["scheme"], COLOURS.get(scheme["scheme"], None)
            points = [w for w in scheme["widths"] if w[f"{key}_lr"] is not None]
            if not points:
                continue
            widths = [w["width"] for w in points]
            values = [w[f"{key}_lr"] for w in points]
            low = [v - (w[f"{key}_lr_interval"] or [v, v])[0] for v, w in zip(values, points)]
            high = [(w[f"{key}_lr_interval"] or [v, v])[1] - v for v, w in zip(values, points)]
            axis.errorbar(widths, values, yerr=[low, high], fmt="o-", color=colour, capsize=3,
                          label=f"{result_files.scheme_title(directory, name)} measured")
            edge = [(w["width"], w[f"{key}_lr"]) for w in points if w[f"{key}_at_grid_edge"]]
            if edge:  # hollow: at the grid's edge, a bound rather than an estimate; left out of the slope
                axis.plot(*zip(*edge), "o", markerfacecolor="white", color=colour, markersize=7, zorder=4)
            for setting, style in [("network", "--"), ("module", ":")]:
                predicted = scheme["engine_max_stable_exponent"][setting]
                if predicted is not None:
                    axis.plot(widths, line_through(widths, values, predicted["value"]), style, color=colour, alpha=0.7,
                              label=f"engine n^({predicted['exact']}), {setting}")
            lines.append(verdict_text(name, key, scheme["slopes"][key]))
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        axis.set_xlabel("width n")
        axis.set_title(label)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    axes[0].set_ylabel(f"learning rate η ({manifest.get('optimizer', 'adam')})")
    figure.suptitle(f"{manifest.get('spec_name', 'sweep')} ({manifest.get('scale', '')} scale, {manifest.get('device', '')})\n"
                    f"loss {summary['loss_statistic']}, {summary['seeds']} seeds, 95% bootstrap intervals; "
                    f"hollow: at the grid's edge", fontsize=10)
    figure.text(0.01, 0.01, "\n".join(lines), fontsize=7, family="monospace", va="bottom")
    figure.tight_layout(rect=(0, 0.12, 1, 0.95))
    figure_files.save(figure, directory, "lr_vs_width")


if __name__ == "__main__":
    figure_files.run(main, __doc__)
