#!/usr/bin/env python3
"""Optimal and maximal stable learning rate against the adapter rank r (issue 17), under
each multiplier, and against the width n at a fixed rank.

Reads only a sweep's result directory (summary.json, manifest.json) of a sweep over
several ranks and writes there figures/lr_vs_rank.png and .svg: one block of panels per
readout, with a row per measure (the optimal η; the maximal stable η under the output
criterion at the last horizon) and a column per multiplier (η against r at the sweep's
largest width, one series per scheme), and a last column with η against n at the middle
rank (one series per scheme and multiplier). Points: the seed-averaged estimates with
their bootstrap intervals, hollow at the grid's edge (a bound; left out of the slope).
Dashed lines: the gamma engine's exponent of r (or of n) of the bound each measure is held
against, drawn through the geometric mean of the points inside the grid, since the theory
fixes slopes, not constants. Under each block, every slope in r at the largest width with
its verdict against the engine's exponent.

Usage: lr_vs_rank.py RESULT_DIR
"""
import figure_files
import lr_vs_width
import result_files
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

# Each row: the measure's name in verdict lines, the key of its estimates in an arm's
# widths (None: a stability entry of that criterion at the last horizon), its title.
ROWS = [("optimal", "optimal", "optimal η"), ("output", None, "maximal stable η, output criterion")]
MULTIPLIER_TITLES = {"lora": "LoRA (α/r)", "rslora": "rsLoRA (α/√r)"}


def multiplier_title(multiplier):
    return MULTIPLIER_TITLES.get(multiplier, f"α/r^{multiplier}")


def estimate_at(arm, width, row):
    """The arm's estimate of a row's measure at one width as a point dict (lr, interval,
    at_grid_edge), and the slope along the widths it belongs to; (None, None) without one."""
    kind, key, _ = row
    index = next((i for i, w in enumerate(arm["widths"]) if w["width"] == width), None)
    if index is None:
        return None, None
    if key is not None:
        w = arm["widths"][index]
        return ({"lr": w.get(f"{key}_lr"), "interval": w.get(f"{key}_lr_interval"),
                 "at_grid_edge": w.get(f"{key}_at_grid_edge", False)}, (arm.get("slopes") or {}).get(key))
    entry = lr_vs_width.last_stability(arm, kind)
    if entry is None:
        return None, None
    return entry["widths"][index], entry.get("slope")


def rank_slope(ranks, row):
    """A rank_slopes entry's slope of a row's measure (the stability one at the last horizon)."""
    kind, key, _ = row
    if key is not None:
        return (ranks.get("slopes") or {}).get(key)
    entries = [s for s in ranks.get("stability") or [] if s.get("criterion") == kind]
    return max(entries, key=lambda s: s["horizon"])["slope"] if entries else None


def plot_series(axis, points, engine, colour, label, variable):
    """Points (x, estimate) with their intervals, hollow at the grid's edge, and the engine's
    exponent of `variable` (r or n) as a dashed line through the points inside the grid."""
    points = [(x, p) for x, p in points if p is not None and p.get("lr") is not None]
    if not points:
        return
    xs = [x for x, _ in points]
    values = [p["lr"] for _, p in points]
    intervals = [p.get("interval") or [p["lr"], p["lr"]] for _, p in points]
    error = [[v - i[0] for v, i in zip(values, intervals)], [i[1] - v for v, i in zip(values, intervals)]]
    axis.errorbar(xs, values, yerr=error, fmt="o-", color=colour, capsize=3, markersize=5, label=label)
    edge = [(x, p["lr"]) for x, p in points if p.get("at_grid_edge")]
    if edge:
        axis.plot(*zip(*edge), "o", markerfacecolor="white", color=colour, markersize=7, zorder=4)
    inside = [(x, p["lr"]) for x, p in points if not p.get("at_grid_edge")]
    if engine is not None and inside:
        fitted = lr_vs_width.line_through([x for x, _ in inside], [v for _, v in inside], engine["value"])
        axis.plot([x for x, _ in inside], fitted, "--", color=colour, alpha=0.7,
                  label=f"{label}: engine {variable}^({engine['exact']})")


def verdict_line(label, measure, slope):
    engine = (slope or {}).get("engine")
    return f"{label:<26} {measure:<8} {lr_vs_width.slope_verdict(slope, engine, 'rank', 24, 'r^')}"


def readout_block(block, directory, summary, readout):
    arms = [arm for arm in summary["schemes"] if arm.get("readout") == readout]
    rank_slopes = [r for r in summary.get("rank_slopes") or [] if r.get("readout") == readout]
    schemes = list(dict.fromkeys(arm["scheme"] for arm in arms))
    multipliers = list(dict.fromkeys(arm["multiplier"] for arm in arms))
    ranks = sorted({arm["rank"] for arm in arms})
    widths = sorted({w["width"] for arm in arms for w in arm["widths"]})
    width, middle_rank = widths[-1], ranks[len(ranks) // 2]
    grid = block.add_gridspec(len(ROWS) + 1, len(multipliers) + 1, height_ratios=(1,) * len(ROWS) + (0.45,))
    text = block.add_subplot(grid[-1, :])
    lines = []
    for r, row in enumerate(ROWS):
        for m, multiplier in enumerate(multipliers):
            axis = block.add_subplot(grid[r, m])
            for s, scheme in enumerate(schemes):
                label = result_files.scheme_title(directory, scheme)
                of_rank = {arm["rank"]: arm for arm in arms if arm["scheme"] == scheme and arm["multiplier"] == multiplier
                           and arm.get("init_sigma") is None}
                points = [(rank, estimate_at(of_rank[rank], width, row)[0]) for rank in ranks if rank in of_rank]
                entry = next((e for e in rank_slopes if e["scheme"] == scheme and e["multiplier"] == multiplier
                              and e["width"] == width and e.get("init_sigma") is None), None)
                slope = rank_slope(entry, row) if entry else None
                plot_series(axis, points, (slope or {}).get("engine"), f"C{s}", label, "r")
                lines.append(verdict_line(f"{label}, {multiplier}", row[0], slope))
            axis.set_title(f"{row[2]} — {multiplier_title(multiplier)}, n = {width}", fontsize=9)
            axis.set_xlabel("rank r")
            finish(axis)
        axis = block.add_subplot(grid[r, -1])
        for index, arm in enumerate(a for a in arms if a["rank"] == middle_rank and a.get("init_sigma") is None):
            points = [(w, estimate_at(arm, w, row)[0]) for w in widths]
            slope = estimate_at(arm, widths[0], row)[1]
            label = f"{result_files.scheme_title(directory, arm['scheme'])}, {arm['multiplier']}"
            plot_series(axis, points, (slope or {}).get("engine"), f"C{index}", label, "n")
        axis.set_title(f"{row[2]} against width, r = {middle_rank}", fontsize=9)
        axis.set_xlabel("width n")
        finish(axis)
    text.axis("off")
    text.text(0, 1, f"slopes in r at n = {width}:\n" + "\n".join(lines), fontsize=7, family="monospace", va="top",
              transform=text.transAxes)


def finish(axis):
    axis.set_xscale("log", base=2)
    axis.set_yscale("log")
    axis.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.yaxis.set_minor_formatter(ticker.NullFormatter())
    axis.set_ylabel("learning rate η")
    axis.grid(True, which="both", alpha=0.3)
    if axis.has_data():
        axis.legend(fontsize=6)


def main(directory):
    summary = result_files.summary(directory)
    if not summary.get("rank_slopes"):
        raise SystemExit(f"lr_vs_rank: {directory}/summary.json has no slopes against the rank: the sweep trained one rank")
    readouts = lr_vs_width.readouts_of(summary)
    columns = len({arm["multiplier"] for arm in summary["schemes"]}) + 1
    figure = plt.figure(figsize=(6 * columns, 9.5 * len(readouts) + 0.8), layout="constrained")
    blocks = figure.subfigures(len(readouts), 1, squeeze=False)[:, 0]
    for block, readout in zip(blocks, readouts):
        readout_block(block, directory, summary, readout)
        block.suptitle(lr_vs_width.readout_title(readout), fontsize=11, fontweight="bold")
    horizons = summary.get("horizons") or ["?"]
    figure.suptitle(
        f"{result_files.title(directory)}: "
        f"loss {summary['loss_statistic']}, {summary['seeds']} seeds, 95% bootstrap intervals; hollow: at the grid's edge; "
        f"output criterion at step {horizons[-1]}", fontsize=10)
    figure_files.save(figure, directory, "lr_vs_rank")


if __name__ == "__main__":
    figure_files.run(main, __doc__.strip().splitlines()[-1])
