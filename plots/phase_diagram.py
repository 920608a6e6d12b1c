#!/usr/bin/env python3
"""The gamma engine's exact phase diagram in (γ[η_A], γ[η_B]) for each scheme.

Reads only a result directory written by `gammalab reproduce phase` (phase-*.json, the
output of `gammalab gamma phase --json`) and writes figures/phase.png and .svg there.
Regions from the settled step on: stable (shaded), internal instability (hatched),
feature learning and efficient learning (lines or points, as the engine gives them);
the equal-rate line γ[η_A] = γ[η_B] and the LoRA+ point (−1, 0) are marked.

Usage: phase_diagram.py RESULT_DIR
"""
import pathlib
from fractions import Fraction

import figure_files
import result_files
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

STYLE = {
    "stable": dict(facecolor="tab:blue", alpha=0.18, edgecolor="tab:blue", label="stable"),
    "internal_instability": dict(facecolor="none", hatch="///", edgecolor="tab:red", label="internal instability"),
    "feature_learning": dict(color="tab:green", linewidth=5, alpha=0.6, label="feature learning"),
    "efficient": dict(color="black", linewidth=2, label="efficient learning"),
}


def points(polygon):
    return [(float(Fraction(x)), float(Fraction(y))) for x, y in polygon["vertices"]]


def draw(axis, document):
    regions = document["from_settled"] or document["every_step"]
    low, high = (float(Fraction(v)) for v in document["box"])
    def styled(key, first):  # the legend names each kind of region once
        style = dict(STYLE[key])
        if not first:
            style.pop("label")
        return style

    for key in ("stable", "internal_instability"):
        for i, polygon in enumerate(regions[key]):
            vertices = points(polygon)
            if len(vertices) >= 3:
                axis.add_patch(Polygon(vertices, closed=True, **styled(key, i == 0)))
    for key in ("feature_learning", "efficient"):
        for i, polygon in enumerate(regions[key]):
            vertices, style = points(polygon), styled(key, i == 0)
            xs, ys = zip(*vertices)
            if len(vertices) == 1:
                axis.plot(xs, ys, "o", color=style["color"], markersize=8, label=style.get("label"))
            elif len(vertices) == 2:
                axis.plot(xs, ys, **style)
            else:
                axis.add_patch(Polygon(vertices, closed=True, facecolor=style["color"], alpha=0.4, label=style.get("label")))
    axis.plot([low, high], [low, high], ":", color="grey", label="equal rates γ[η_A] = γ[η_B]")
    axis.plot([-1], [0], "*", color="tab:orange", markersize=14, label="LoRA+ (η_A ∝ n^-1, η_B ∝ 1)")
    axis.set_xlim(low, high)
    axis.set_ylim(low, high)
    axis.set_aspect("equal")
    axis.set_xlabel("γ[η_A]  (η_A = Θ(n^γ))")
    axis.set_ylabel("γ[η_B]")
    axis.set_title(f"{document['model']['scheme']}, {document['model']['setting']}, {document['model']['optimizer']}"
                   f" — from step {document['settled_from']} on", fontsize=9)
    axis.grid(True, alpha=0.3)


def main(directory):
    directory = pathlib.Path(directory)
    documents = result_files.phase_documents(directory)
    figure, axes = plt.subplots(1, len(documents), figsize=(5.5 * len(documents), 5.2))
    for axis, document in zip(axes if len(documents) > 1 else [axes], documents):
        draw(axis, document)
    (axes[0] if len(documents) > 1 else axes).legend(fontsize=7, loc="lower left")
    figure.suptitle("The γ engine's exact regions for separate learning rates of A and B (LoRA+)", fontsize=10)
    figure.tight_layout()
    figure_files.save(figure, directory, "phase")


if __name__ == "__main__":
    figure_files.run(main, __doc__)
