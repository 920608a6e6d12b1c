#!/usr/bin/env python3
"""Optimal and maximal stable learning rate against the adapter rank r (the rank
experiment), under each multiplier, and against the width n at a fixed rank.

Reads only a sweep's result directory (summary.json, manifest.json) of a sweep over
several ranks and writes there figures/lr_vs_rank.png and .svg: one block of panels per
readout, with a column per measure (the optimal η; the maximal stable η under the output
criterion at the last horizon) and a row per multiplier (η against r at the sweep's
largest width, one series per scheme), and a last row with η against n at the middle
rank (one series per scheme and multiplier). Points: the seed-averaged estimates with
their bootstrap intervals, hollow at the grid's edge (a bound; left out of the slope).
Dashed lines: the gamma engine's exponent of r (or of n) of the bound each measure is held
against, drawn through the geometric mean of the points inside the grid, since the theory
fixes slopes, not constants. The slopes' verdicts are not drawn: the terminal, `analyze`,
the report and the page give them.

Usage: lr_vs_rank.py RESULT_DIR
"""
import figure_files
import lr_vs_width
import result_files
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Each measure, a column of panels: its kind (for a stability entry, the criterion), the
# key of its estimates in an arm's widths (None: a stability entry of that criterion at
# the last horizon), its title.
MEASURES = [("optimal", "optimal", "optimal η"), ("output", None, "maximal stable η, output criterion")]
MULTIPLIER_TITLES = {"lora": "LoRA (α/r)", "rslora": "rsLoRA (α/√r)"}


def multiplier_title(multiplier):
    return MULTIPLIER_TITLES.get(multiplier, f"α/r^{multiplier}")


def estimate_at(arm, width, measure):
    """The arm's estimate of a measure at one width as a point dict (lr, interval,
    at_grid_edge), and the slope along the widths it belongs to; (None, None) without one."""
    kind, key, _ = measure
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


def rank_slope(ranks, measure):
    """A rank_slopes entry's slope of a measure (the stability one at the last horizon)."""
    kind, key, _ = measure
    if key is not None:
        return (ranks.get("slopes") or {}).get(key)
    entries = [s for s in ranks.get("stability") or [] if s.get("criterion") == kind]
    return max(entries, key=lambda s: s["horizon"])["slope"] if entries else None


def readout_block(block, directory, summary, readout):
    arms = [arm for arm in summary["schemes"] if arm.get("readout") == readout]
    rank_slopes = [r for r in summary.get("rank_slopes") or [] if r.get("readout") == readout]
    schemes = list(dict.fromkeys(arm["scheme"] for arm in arms))
    multipliers = list(dict.fromkeys(arm["multiplier"] for arm in arms))
    ranks = sorted({arm["rank"] for arm in arms})
    widths = sorted({w["width"] for arm in arms for w in arm["widths"]})
    width, middle_rank = widths[-1], ranks[len(ranks) // 2]
    axes = block.subplots(len(multipliers) + 1, len(MEASURES), squeeze=False)
    for column, measure in enumerate(MEASURES):
        for m, multiplier in enumerate(multipliers):
            axis = axes[m, column]
            for s, scheme in enumerate(schemes):
                of_rank = {arm["rank"]: arm for arm in arms if arm["scheme"] == scheme and arm["multiplier"] == multiplier
                           and arm.get("init_sigma") is None}
                points = [(rank, estimate_at(of_rank[rank], width, measure)[0]) for rank in ranks if rank in of_rank]
                entry = next((e for e in rank_slopes if e["scheme"] == scheme and e["multiplier"] == multiplier
                              and e["width"] == width and e.get("init_sigma") is None), None)
                slope = rank_slope(entry, measure) if entry else None
                lr_vs_width.plot_estimates(axis, points, (slope or {}).get("engine"), f"C{s}",
                                           result_files.scheme_title(directory, scheme), "r")
            lr_vs_width.finish_rate_axis(axis, f"{measure[2]}\n{multiplier_title(multiplier)}, n = {width}", "rank r")
        axis = axes[-1, column]
        for index, arm in enumerate(a for a in arms if a["rank"] == middle_rank and a.get("init_sigma") is None):
            points = [(w, estimate_at(arm, w, measure)[0]) for w in widths]
            slope = estimate_at(arm, widths[0], measure)[1]
            label = f"{result_files.scheme_title(directory, arm['scheme'])}, {arm['multiplier']}"
            lr_vs_width.plot_estimates(axis, points, (slope or {}).get("engine"), f"C{index}", label, "n")
        lr_vs_width.finish_rate_axis(axis, f"{measure[2]}\nagainst width, r = {middle_rank}", "width n")


def main(directory):
    summary = result_files.summary(directory)
    if not summary.get("rank_slopes"):
        raise SystemExit(f"lr_vs_rank: {directory}/summary.json has no slopes against the rank: the sweep trained one rank")
    readouts = lr_vs_width.readouts_of(summary)
    rows = len({arm["multiplier"] for arm in summary["schemes"]}) + 1
    with figure_files.readable():
        figure = plt.figure(figsize=(11, 3.9 * rows * len(readouts) + 1.0), layout="constrained")
        blocks = figure.subfigures(len(readouts), 1, squeeze=False)[:, 0]
        for block, readout in zip(blocks, readouts):
            readout_block(block, directory, summary, readout)
            block.suptitle(lr_vs_width.readout_title(readout), fontweight="bold")
        horizons = summary.get("horizons") or ["?"]
        figure.suptitle(
            f"{result_files.title(directory)}: "
            f"loss {summary['loss_statistic']}, {summary['seeds']} seeds\n95% bootstrap intervals; hollow: at the grid's edge; "
            f"dashed: the engine's exponent; output criterion at step {horizons[-1]}", fontsize=11)
        figure_files.save(figure, directory, "lr_vs_rank")


if __name__ == "__main__":
    figure_files.run(main, __doc__.strip().splitlines()[-1])
