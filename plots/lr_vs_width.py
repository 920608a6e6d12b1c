#!/usr/bin/env python3
"""Optimal and maximal stable learning rate against width (paper 003, figure 2), and the
loss curves the optimum is read from.

Reads only a sweep's result directory (summary.json, manifest.json, runs.csv) and writes
there:

  figures/lr_vs_width.png and .svg: one block of four panels (two by two) per readout
    of the sweep: the optimal η; the maximal stable η under the output criterion and
    under the internal criterion, each at the last horizon; the local slopes (between
    neighbouring widths) of the optimal and the output-criterion η against width.
    Points: the seed-averaged estimates with their bootstrap intervals, hollow where the
    estimate is at the grid's edge (a bound; left out of the slope). Dashed lines: the
    gamma engine's exponent of the bound each measure is held against, drawn through the
    geometric mean of the points inside the grid, since the theory fixes slopes, not
    constants; in the slope panel, the same exponents as horizontal lines. The slopes'
    verdicts are not drawn: the terminal, `analyze`, the report and the page give them.
  figures/loss_vs_lr_per_width.png and .svg: for each arm (readout, scheme), the
    seed-averaged log loss of the grid's runs (round 0) against η, one curve per width,
    with the optimum estimate marked (its bootstrap interval as a horizontal bar). A
    rate at which some seeds diverged is left out of the curve (the analysis's mean
    there is +inf) and marked × at the mean of the seeds that did not.

Usage: lr_vs_width.py RESULT_DIR
"""
import math
import pathlib
from collections import defaultdict, namedtuple

import figure_files
import result_files
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

READOUT_TITLES = {"sp": "standard readout (paper's)", "mup": "μP readout"}
LOSS_COLUMNS = {"final_train": "final_train_loss", "final_test": "final_test_loss", "last_k_train": "mean_last_train_loss"}
# A measure of one arm: its points (dicts of width, lr, interval, at_grid_edge), the slope
# summary.json fits to them and the engine exponent ({exact, value}) it is held against;
# slope and engine may be None.
Measure = namedtuple("Measure", "kind points slope engine")
PANELS = [("optimal", "optimal η"), ("output", "maximal stable η, output criterion"),
          ("internal", "maximal stable η, internal criterion")]
SLOPE_KINDS = {"optimal": ("o", "-"), "output": ("s", "--")}  # the slope panel's measures: marker, engine line style


# ---- reading the summary ----------------------------------------------------------------

def readouts_of(summary):
    """The readouts of the summary's arms, in their order."""
    return list(dict.fromkeys(arm.get("readout") for arm in summary["schemes"]))


def readout_title(readout):
    return READOUT_TITLES.get(readout, f"{readout} readout" if readout else "readout not recorded")


def arm_label(directory, arm):
    label = result_files.scheme_title(directory, arm["scheme"])
    return label if arm.get("init_sigma") is None else f"{label}, σ = {arm['init_sigma']:g}"


def last_stability(arm, criterion):
    """The arm's stability entry of a criterion at its largest horizon; None when it has none."""
    entries = [s for s in arm.get("stability") or [] if s.get("criterion") == criterion]
    return max(entries, key=lambda s: s["horizon"]) if entries else None


def grid_points(arm, key):
    """The arm's per-width estimates of "optimal" or "max_stable" as points."""
    return [{"width": w["width"], "lr": w.get(f"{key}_lr"), "interval": w.get(f"{key}_lr_interval"),
             "at_grid_edge": w.get(f"{key}_at_grid_edge", False)} for w in arm["widths"]]


def stability_points(arm, entry):
    """A stability entry's per-width estimates as points; its widths are in the arm's width order."""
    return [{"width": w["width"], **point} for w, point in zip(arm["widths"], entry.get("widths") or [])]


def measures(arm):
    """The arm's measures that the figure draws: optimal η, and the maximal stable η under
    the output and the internal criteria at the last horizon (when it has them)."""
    slopes = arm.get("slopes") or {}
    bounds = arm.get("engine_bounds") or {}
    found = [Measure("optimal", grid_points(arm, "optimal"), slopes.get("optimal"), (slopes.get("optimal") or {}).get("engine"))]
    for criterion, bound in (("output", "f_bounded"), ("internal", "Z_B_bounded")):
        entry = last_stability(arm, criterion)
        if entry is not None:
            found.append(Measure(criterion, stability_points(arm, entry), entry.get("slope"),
                                 (entry.get("slope") or {}).get("engine") or bounds.get(bound)))
    return found


def measure_of(arm, kind):
    return next((m for m in measures(arm) if m.kind == kind), None)


# ---- the rate panels ----------------------------------------------------------------------

def line_through(widths, values, exponent):
    """n^exponent scaled to pass through the geometric mean of (widths, values)."""
    logs = [math.log(v) - exponent * math.log(w) for w, v in zip(widths, values)]
    constant = math.exp(sum(logs) / len(logs))
    return [constant * w ** exponent for w in widths]


def error_bars(values, intervals):
    """matplotlib's lower and upper bar lengths; a value outside its bootstrap interval
    (a percentile interval need not hold the estimate from every seed) gets no bar on
    that side."""
    return [[max(v - i[0], 0) for v, i in zip(values, intervals)], [max(i[1] - v, 0) for v, i in zip(values, intervals)]]


def plot_estimates(axis, points, engine, colour, label, variable):
    """Points (x, estimate dict of lr, interval, at_grid_edge) with their intervals, hollow
    at the grid's edge, and the engine's exponent of `variable` (n or r) as a dashed line
    through the points inside the grid. The legend names the series and its exponent."""
    points = [(x, p) for x, p in points if p is not None and p.get("lr") is not None]
    if not points:
        return
    xs = [x for x, _ in points]
    values = [p["lr"] for _, p in points]
    intervals = [p.get("interval") or [p["lr"], p["lr"]] for _, p in points]
    error = error_bars(values, intervals)
    law = f"{variable}^({engine['exact']})" if engine is not None else None
    axis.errorbar(xs, values, yerr=error, fmt="o-", color=colour, capsize=3, markersize=5,
                  label=f"{label}; engine {law}" if law else label)
    edge = [(x, p["lr"]) for x, p in points if p.get("at_grid_edge")]
    if edge:
        axis.plot(*zip(*edge), "o", markerfacecolor="white", color=colour, markersize=7, zorder=4)
    inside = [(x, p["lr"]) for x, p in points if not p.get("at_grid_edge")]
    if law and inside:
        fitted = line_through([x for x, _ in inside], [v for _, v in inside], engine["value"])
        axis.plot([x for x, _ in inside], fitted, "--", color=colour, alpha=0.7, label=f"{label}: engine {law}")


def plot_rates(axis, measure, colour, label):
    """A measure's estimates against width, with its engine line."""
    plot_estimates(axis, [(p["width"], p) for p in measure.points], measure.engine, colour, label, "n")


def local_slopes(slope):
    """(geometric mean of the two widths, slope, interval) of each local slope that has one."""
    local = ((slope or {}).get("finite_width") or {}).get("local") or []
    return [(math.sqrt(pair["from_width"] * pair["to_width"]), pair["slope"], pair.get("interval"))
            for pair in local if pair.get("slope") is not None]


def plot_local_slopes(axis, measure, colour, label, shift):
    """A measure's local slopes against width (x shifted by the factor `shift`, so that
    series do not hide each other)."""
    marker, style = SLOPE_KINDS[measure.kind]
    points = local_slopes(measure.slope)
    if not points:
        return
    x = [p[0] * shift for p in points]
    y = [p[1] for p in points]
    intervals = [p[2] or [p[1], p[1]] for p in points]
    error = error_bars(y, intervals)
    axis.errorbar(x, y, yerr=error, fmt=marker, linestyle=style, color=colour, capsize=3, markersize=5,
                  label=f"{label} {measure.kind}")


def plot_engine_levels(axis, slope_measures, colour, label):
    """The engine exponents an arm's slopes are held against, one horizontal line per
    distinct exponent (in the style of the first measure held against it)."""
    kinds = defaultdict(list)  # exact exponent → the measures held against it
    for measure in slope_measures:
        if measure.engine is not None:
            kinds[(measure.engine["exact"], measure.engine["value"])].append(measure.kind)
    for (exact, value), held in kinds.items():
        axis.axhline(value, linestyle=SLOPE_KINDS[held[0]][1], color=colour, alpha=0.6, linewidth=1.2,
                     label=f"{label}: engine {exact} ({', '.join(held)})")


def finish_rate_axis(axis, title, xlabel):
    """A panel of η against width or rank: both axes logarithmic (x in powers of two, η
    with ticks at 1, 2 and 5 per decade), a grid, and the legend."""
    axis.set_xscale("log", base=2)
    axis.set_yscale("log")
    axis.yaxis.set_major_locator(ticker.LogLocator(subs=(1, 2, 5)))
    axis.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.yaxis.set_minor_formatter(ticker.NullFormatter())
    axis.set_ylabel("learning rate η")
    axis.set_xlabel(xlabel)
    axis.set_title(title)
    axis.grid(True, which="both", alpha=0.3)
    if axis.containers:
        axis.legend(handles=axis.containers)  # the series; each names its engine line


def rate_row(row, directory, arms, horizon):
    """One readout's panels, two by two: the three rates and the local slopes."""
    axes = row.subplots(2, 2).flatten()
    for index, arm in enumerate(arms):
        colour, label = f"C{index}", arm_label(directory, arm)
        for axis, (kind, _) in zip(axes, PANELS):
            measure = measure_of(arm, kind)
            if measure is not None:
                plot_rates(axis, measure, colour, label)
        slope_measures = [m for m in measures(arm) if m.kind in SLOPE_KINDS]
        for offset, measure in enumerate(slope_measures):
            plot_local_slopes(axes[-1], measure, colour, label, 2 ** (0.06 * (2 * index + offset - len(arms))))
        plot_engine_levels(axes[-1], slope_measures, colour, label)
    for axis, (kind, title) in zip(axes, PANELS):
        finish_rate_axis(axis, title if kind == "optimal" else f"{title}, step {horizon}", "width n")
    slopes = axes[-1]
    slopes.set_xscale("log", base=2)
    slopes.set_xlabel("width n")
    slopes.set_ylabel("local slope of log η against log n")
    slopes.set_title("local slopes (optimal, output criterion)")
    slopes.grid(True, which="both", alpha=0.3)
    if slopes.has_data():
        slopes.legend(fontsize=8)


def rates_figure(directory, summary, manifest):
    readouts = readouts_of(summary)
    horizons = summary.get("horizons") or []
    figure = plt.figure(figsize=(11, 8.2 * len(readouts) + 1.2), layout="constrained")
    rows = figure.subfigures(len(readouts), 1, squeeze=False)[:, 0]
    for row, readout in zip(rows, readouts):
        rate_row(row, directory, [arm for arm in summary["schemes"] if arm.get("readout") == readout],
                 horizons[-1] if horizons else "?")
        row.suptitle(readout_title(readout), fontweight="bold")
    figure.suptitle(
        f"{result_files.title(directory)}, optimizer {manifest['spec']['optimizer']['kind']}: "
        f"loss {summary['loss_statistic']}, {summary['seeds']} seeds\n"
        f"95% bootstrap intervals; hollow: at the grid's edge; dashed: the engine's exponent\n"
        f"output criterion: largest train loss of steps 1…H at most {summary.get('edge_factor', '?')}× the initial; "
        f"internal: RMS of s·Z_B at step H at most {summary.get('internal_bound', '?')}", fontsize=11)
    figure_files.save(figure, directory, "lr_vs_width")


# ---- the loss curves --------------------------------------------------------------------

def seed_means(runs, column, seeds, teachers):
    """The grid's runs (round 0) of the given seeds under teachers 0 … teachers − 1 as
    (readout, scheme, σ, rank, multiplier, width) → [(η, mean, complete)], η ascending:
    the mean of the log loss over the (teacher, seed) replicates whose run did not diverge
    (None when none did); complete when every replicate ran and none diverged."""
    logs = defaultdict(list)
    for run in runs:
        if run["round"] == 0 and run["seed"] in seeds and run["teacher"] < teachers:
            finite = not run["diverged"] and math.isfinite(run[column]) and run[column] > 0
            logs[(run["readout"], run["scheme"], run["init_sigma"], run["rank"], run["multiplier"], run["width"],
                  run["lr_A"])].append(
                math.log(run[column]) if finite else math.inf)
    curves = defaultdict(list)
    for (*arm, width, lr), values in sorted(logs.items(), key=lambda item: item[0][-1]):
        kept = [v for v in values if math.isfinite(v)]
        curves[(*arm, width)].append((lr, sum(kept) / len(kept) if kept else None, len(kept) == len(values) == len(seeds) * teachers))
    return curves


def on_curve(lr, curve):
    """The curve's mean log loss at η, linear in log η between its points; None outside them."""
    for (a, fa), (b, fb) in zip(curve, curve[1:]):
        if a <= lr <= b:
            t = (math.log(lr) - math.log(a)) / (math.log(b) - math.log(a))
            return fa + t * (fb - fa)
    return next((f for x, f in curve if x == lr), None)


def plot_loss_curves(axis, arm, curves):
    """One arm's seed-averaged log loss against η, a curve per width, each with its optimum.
    A × above the curves' range is drawn at its top, so that one seed's blow-up does not
    flatten the curves."""
    widths = [w["width"] for w in arm["widths"]]
    colours = plt.cm.viridis([i / max(1, len(widths) - 1) for i in range(len(widths))])
    sigma = arm.get("init_sigma") or 0.0
    points = [curves.get((arm.get("readout"), arm["scheme"], sigma, arm["rank"], arm["multiplier"], width), [])
              for width in widths]
    complete = [mean for width_points in points for _, mean, done in width_points if done]
    top = max(complete) + 0.5 if complete else math.inf
    for estimate, colour, width_points in zip(arm["widths"], colours, points):
        curve = [(lr, mean) for lr, mean, done in width_points if done]
        if curve:
            axis.plot(*zip(*curve), "o-", color=colour, markersize=3, label=f"n = {estimate['width']}")
        partial = [(lr, min(mean, top)) for lr, mean, done in width_points if not done and mean is not None]
        if partial:
            axis.plot(*zip(*partial), "x", color=colour, markersize=6)
        optimum = estimate.get("optimal_lr")
        height = on_curve(optimum, curve) if optimum is not None and curve else None
        if height is not None:
            interval = estimate.get("optimal_lr_interval") or [optimum, optimum]
            axis.errorbar([optimum], [height], xerr=[[optimum - interval[0]], [interval[1] - optimum]], fmt="*",
                          color=colour, markeredgecolor="black", markersize=11, capsize=3, zorder=5,
                          markerfacecolor="white" if estimate.get("optimal_at_grid_edge") else colour)


def losses_figure(directory, summary, manifest):
    column = LOSS_COLUMNS.get(summary["loss_statistic"], "final_train_loss")
    runs = result_files.runs(directory)
    curves = seed_means(runs, column, set(manifest["spec"]["sweep"]["seeds"]), manifest["spec"]["data"]["teachers"])
    readouts = readouts_of(summary)
    arms = {readout: [arm for arm in summary["schemes"] if arm.get("readout") == readout] for readout in readouts}
    columns = max(len(row) for row in arms.values())
    figure, axes = plt.subplots(len(readouts), columns, figsize=(6.5 * columns, 4.6 * len(readouts) + 0.6),
                                squeeze=False, layout="constrained")
    for row, readout in zip(axes, readouts):
        for axis, arm in zip(row, arms[readout]):
            plot_loss_curves(axis, arm, curves)
            axis.set_title(f"{arm_label(directory, arm)}, {readout_title(readout)}", fontsize=10)
            axis.set_xscale("log")
            axis.set_xlabel(f"learning rate η ({manifest['spec']['optimizer']['kind']})")
            axis.set_ylabel(f"mean over seeds of log {column}")
            axis.grid(True, which="both", alpha=0.3)
            if axis.has_data():
                axis.legend(fontsize=7)
        for axis in row[len(arms[readout]):]:
            axis.axis("off")
    figure.suptitle(f"{manifest['spec']['sweep']['name']}: seed-averaged log loss on the grid ({summary['seeds']} seeds)\n"
                    f"★: the optimum estimate (parabola through the points within {summary.get('optimum_window', '?')} "
                    f"of the best) with its 95% bootstrap interval, hollow at the grid's edge\n"
                    f"×: some seeds diverged (mean of the others; at most 0.5 above the curves)", fontsize=10)
    figure_files.save(figure, directory, "loss_vs_lr_per_width")


def main(directory):
    directory = pathlib.Path(directory)
    summary = result_files.summary(directory)
    manifest = result_files.manifest(directory)
    with figure_files.readable():
        losses_figure(directory, summary, manifest)
        rates_figure(directory, summary, manifest)  # last: python/gammalab/figures.py returns the last figure saved


if __name__ == "__main__":
    figure_files.run(main, __doc__)
