"""What every figure script shares: where a figure is written, how it is called, the type
sizes that keep a panel readable where the README shows it, and the record of what a
figure plots, which its PNG carries.

The record: each figure's PNG holds, in a text chunk named PLOTTED_KEY, a JSON document
of what was drawn, read back from the matplotlib figure itself (not computed again):
the figure's title, and per panel its title, axis labels and scales and every series
with its label and values (points and their error bars, lines, bands, shaded regions).
A test, or a reader, checks a figure against the result files through it:
`figure_files.plotted_record("figures/lr_vs_width.png")`.
"""
import json
import math
import pathlib
import sys
import zlib

import matplotlib
import numpy
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.patches import Polygon

PLOTTED_KEY = "gammalab plotted"
DPI = 130
# Type sizes (points) at which a panel stays readable when a figure ~11 inches wide is
# shown at the width of a README page (about 900 pixels: 0.63 of its 130-dpi pixels).
READABLE = {"font.size": 11, "axes.titlesize": 11.5, "axes.labelsize": 11, "xtick.labelsize": 10,
            "ytick.labelsize": 10, "legend.fontsize": 9, "figure.titlesize": 12}


def readable():
    """A context in which a figure is drawn with the READABLE type sizes."""
    return matplotlib.rc_context(READABLE)


# ---- the record of what a figure plots ----------------------------------------------------

def _numbers(values):
    """Plotted values as JSON numbers; a value that is not finite (or masked) as null."""
    return [value if math.isfinite(value) else None for value in numpy.ma.asarray(values, dtype=float).filled(math.nan).tolist()]


def _label(artist):
    """An artist's legend label; None for matplotlib's own ("_child0", "_nolegend_")."""
    label = artist.get_label()
    return None if not label or label.startswith("_") else label


def _intervals(bars, axis):
    """An error-bar collection's segments as [low, high] along x (axis 0) or y (axis 1)."""
    return [sorted([float(segment[0][axis]), float(segment[1][axis])]) for segment in bars.get_segments()]


def _series(axis):
    """Every series an axis draws, in the order drawn."""
    found, drawn_by_errorbars = [], set()
    for container in axis.containers:
        if isinstance(container, ErrorbarContainer):
            line, caps, bars = container.lines
            drawn_by_errorbars.update(id(artist) for artist in (line, *caps, *bars))
            entry = {"kind": "errorbar", "label": _label(container),
                     "x": _numbers(line.get_xdata()), "y": _numbers(line.get_ydata())}
            bars = list(bars)
            if container.has_xerr:
                entry["x_interval"] = _intervals(bars.pop(0), 0)
            if container.has_yerr:
                entry["y_interval"] = _intervals(bars.pop(0), 1)
            found.append(entry)
    for line in axis.lines:
        if id(line) not in drawn_by_errorbars:
            found.append({"kind": "line", "label": _label(line), "x": _numbers(line.get_xdata()),
                          "y": _numbers(line.get_ydata()), "marker": str(line.get_marker()),
                          "linestyle": str(line.get_linestyle())})
    for collection in axis.collections:
        if isinstance(collection, PolyCollection):
            for path in collection.get_paths():
                found.append({"kind": "band", "label": _label(collection),
                              "x": _numbers(path.vertices[:, 0]), "y": _numbers(path.vertices[:, 1])})
    for patch in axis.patches:
        if isinstance(patch, Polygon):
            xy = patch.get_xy()
            found.append({"kind": "region", "label": _label(patch), "x": _numbers(xy[:, 0]), "y": _numbers(xy[:, 1])})
    return found


def _title(figure):
    suptitle = getattr(figure, "_suptitle", None)
    return suptitle.get_text() if suptitle is not None else None


def plotted(figure):
    """The record of what a figure plots (see the module's comment); panels in the order
    they were added, each with the title of the subfigure it sits in ("group")."""
    panels = []
    for axis in figure.get_axes():
        if not axis.axison:
            continue
        panels.append({"title": axis.get_title(), "group": _title(axis.figure) if axis.figure is not figure else None,
                       "xlabel": axis.get_xlabel(), "ylabel": axis.get_ylabel(),
                       "xscale": axis.get_xscale(), "yscale": axis.get_yscale(), "series": _series(axis)})
    return {"title": _title(figure), "panels": panels}


def plotted_record(png):
    """The record a PNG written by save() carries (its PLOTTED_KEY text chunk), or None."""
    data = pathlib.Path(png).read_bytes()
    at = 8  # after the PNG signature: chunks of length, type, data, CRC
    while at + 8 <= len(data):
        length, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length]
        at += 12 + length
        keyword, _, text = body.partition(b"\0")
        if kind == b"tEXt" and keyword.decode("latin-1") == PLOTTED_KEY:
            return json.loads(text.decode("latin-1"))
        if kind == b"zTXt" and keyword.decode("latin-1") == PLOTTED_KEY:
            return json.loads(zlib.decompress(text[1:]).decode("latin-1"))
    return None


# ---- panels ---------------------------------------------------------------------------

def mlp_panels(spec):
    """The MLP figures' grid: a row per optimiser, a column per parametrization of an MLP
    spec's [mlp] table; returns the figure, its axes and a function giving the axis of
    (parametrization, optimizer)."""
    import matplotlib.pyplot as plt  # here: each script picks its backend before pyplot loads

    optimizers, parametrizations = spec["optimizers"], spec["parametrizations"]
    figure, axes = plt.subplots(len(optimizers), len(parametrizations), squeeze=False,
                                              figsize=(4.2 * len(parametrizations), 3.8 * len(optimizers)))
    return figure, axes, lambda parametrization, optimizer: axes[optimizers.index(optimizer)][parametrizations.index(parametrization)]


# ---- writing and calling ------------------------------------------------------------------

def save(figure, directory, name):
    """Writes figures/NAME.png (with the record of what it plots) and figures/NAME.svg in
    a result directory; prints the PNG's path."""
    out = pathlib.Path(directory) / "figures"
    out.mkdir(exist_ok=True)
    record = json.dumps(plotted(figure), ensure_ascii=True, separators=(",", ":"))
    figure.savefig(out / f"{name}.png", dpi=DPI, metadata={PLOTTED_KEY: record})
    figure.savefig(out / f"{name}.svg", dpi=DPI)
    print(out / f"{name}.png")


def run(main, usage):
    """Calls main(RESULT_DIR) with the one argument, or exits with the script's usage."""
    if len(sys.argv) != 2:
        sys.exit(usage)
    main(sys.argv[1])
