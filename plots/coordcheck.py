#!/usr/bin/env python3
"""The coordinate check: each quantity's measured exponent in n, step by step, against
the γ engine's exact exponent, one panel per quantity, one series per scheme.

Reads only a coordinate-check directory (coordcheck-SCHEME.json, manifest.json) and
writes figures/coordcheck.png and .svg there. A point is the least-squares slope of
log RMS against log n with its 95% bootstrap interval over seeds; a cross is the
engine's exponent at that step (none where the quantity is exactly zero); a filled
point agrees with the engine, a hollow one departs.

Usage: coordcheck.py RESULT_DIR
"""
import pathlib

import figure_files
import result_files
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

def main(directory):
    directory = pathlib.Path(directory)
    manifest = result_files.manifest(directory)
    checks = result_files.coordchecks(directory)
    figure, axes = plt.subplots(2, 4, figsize=(17, 8))
    count = len(checks)
    # The quantities measured, with the engine's symbols: the documents list them.
    quantities = {q["key"]: q["symbol"] for check in checks for q in check["quantities"]}
    for axis, quantity in zip(axes.flat, quantities):
        for index, check in enumerate(checks):
            offset = (index - (count - 1) / 2) * 0.8 / max(count, 1)
            rows = [r for r in check["rows"] if r["quantity"] == quantity]
            for row in rows:
                x = row["step"] + offset
                engine = result_files.exponent(row["engine"])
                if engine is not None:
                    axis.plot(x, engine, "x", color=f"C{index}", markersize=7, label=f"{check['scheme']}: engine")
                if isinstance(row["slope"], str):
                    continue  # exactly zero at every width: no slope to draw
                low, high = row["interval"] or [row["slope"]] * 2
                agrees = row["verdict"] == "agrees"
                axis.errorbar(x, row["slope"], yerr=[[row["slope"] - low], [high - row["slope"]]], marker="o", markersize=4,
                              capsize=2, color=f"C{index}", markerfacecolor=f"C{index}" if agrees else "white",
                              label=check["scheme"])
        axis.set_title(quantities[quantity])
        axis.set_xlabel("step")
        axis.set_ylabel("exponent of n (RMS coordinate)")
        axis.grid(True, alpha=0.3)
    axes.flat[-1].axis("off")
    handles = [Line2D([], [], color=f"C{index}", marker="o", label=f"{check['scheme']} (γ[η] = {check['eta_exponent']})")
               for index, check in enumerate(checks)]
    axes.flat[-1].legend(handles=handles, loc="center", fontsize=9, title="scheme (x: engine, ●: agrees, ○: departs)")
    first = checks[0]
    figure.suptitle(f"coordinate check ({manifest['spec']['sweep']['scale']} scale): widths {first['widths'][0]} … {first['widths'][-1]}, "
                    f"{first['seeds']} seeds, {first['readout']} readout, η = {first['eta_constant']}·n^γ[η]; "
                    f"95% bootstrap intervals", fontsize=10)
    figure.tight_layout()
    figure_files.save(figure, directory, "coordcheck")


if __name__ == "__main__":
    figure_files.run(main, __doc__)
