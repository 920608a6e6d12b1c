#!/usr/bin/env python3
"""The deep MLP's coordinate check: each layer's measured exponent in n, step by step,
against the γ engine's exact exponent; one panel per parametrization and optimiser, one
series per layer (x¹ … x^L, then the output f).

Reads only an mlp-coordcheck directory (mlp-coordcheck.json, manifest.json) and writes
figures/mlp_coordcheck.png and .svg there. At step 0 a point is the size of xˡ or f, after
it the size of their change since step 0: the least-squares slope of log RMS against
log n with its 95% bootstrap interval over seeds. A cross is the engine's exponent; a
filled point agrees with it, a hollow one does not; grey points lie past the first
quantity the engine finds growing with n (its stable path predicts nothing after it), and
the grey steps wholly so. Each panel's range is that of its predicted rows and the
engine's exponents: a grey point far beyond them (a network blowing up) lies outside it.

Usage: mlp_coordcheck.py RESULT_DIR
"""
import pathlib

import figure_files
import result_files
import matplotlib

matplotlib.use("Agg")


def row_symbol(key):
    """'dx2' → 'Δx^2', 'f' → 'f', as the engine writes them."""
    change, name = key.startswith("d"), key.lstrip("d")
    symbol = "f" if name == "f" else f"x^{name[1:]}"
    return ("Δ" if change else "") + symbol


def main(directory):
    directory = pathlib.Path(directory)
    document = result_files.mlp_document(directory, "mlp-coordcheck")
    spec = document["spec"]["mlp"]
    checks = document["checks"]
    layers = spec["layers"]
    with figure_files.readable():
        figure, axes, panel = figure_files.mlp_panels(spec)
        for check in checks:
            axis = panel(check["parametrization"], check["optimizer"])
            growth = check["first_growth"]
            if growth is not None and growth["step"] < spec["steps"]:
                axis.axvspan(growth["step"] + 0.5, spec["steps"] + 0.5, color="0.88", zorder=0)
            shown = []  # the values that set the panel's range: the predicted rows and the engine's
            for index in range(layers + 1):
                offset = (index - layers / 2) * 0.12
                name = f"x{index + 1}" if index < layers else "f"
                label = f"x^{index + 1}" if index < layers else "f"
                rows = [r for r in check["rows"] if r["quantity"].lstrip("d") == name]
                for row in rows:
                    x = row["step"] + offset
                    engine = result_files.exponent(row["engine"])
                    if engine is not None:
                        axis.plot(x, engine, "x", color="black", markersize=6)
                        shown.append(engine)
                    if not isinstance(row["slope"], (int, float)):
                        continue
                    low, high = row["interval"] or [row["slope"]] * 2
                    agrees = row["verdict"] == "agrees"
                    predicted = row["predicted"]
                    color = f"C{index}" if predicted else "0.6"
                    if predicted:
                        shown += [low, high]
                    axis.errorbar(x, row["slope"], yerr=[[row["slope"] - low], [high - row["slope"]]], marker="o", markersize=4,
                                  capsize=2, color=color, markerfacecolor=color if agrees else "white",
                                  label=label if row is rows[0] else None)
            stable = "stable" if growth is None else f"grows from {row_symbol(growth['quantity'])} at step {growth['step']}"
            axis.set_ylim(min(shown) - 0.35, max(shown) + 0.35)
            axis.set_title(f"{check['parametrization']}, {check['optimizer']}, η = {check['eta']}: {stable}", fontsize=10)
            axis.set_xlabel("step (0: size; after: change since step 0)")
            axis.grid(True, alpha=0.3)
        for row in axes:
            row[0].set_ylabel("exponent of n (RMS)")
        handles, labels = axes[0][0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="lower center", ncol=len(labels), title="× the engine's exponent, ● agrees with it, ○ does not",
                      fontsize=9)
        figure.suptitle(f"deep MLP coordinate check ({spec['scale']} scale): L = {layers}, {spec['nonlinearity']}, widths "
                        f"{spec['widths'][0]} … {spec['widths'][-1]}, {len(spec['seeds'])} seeds, ηˡ = η·n^-cˡ; 95% bootstrap intervals")
        figure.tight_layout(rect=(0, 0.08, 1, 1))
        figure_files.save(figure, directory, "mlp_coordcheck")


if __name__ == "__main__":
    figure_files.run(main, __doc__)
