"""The figures of ``plots/``, drawn on a loaded result and returned as matplotlib Figures.

Each function runs the plot script itself (``plots/NAME.py``: its ``main(RESULT_DIR)``,
the same code ``python3 plots/NAME.py DIR`` and ``gammalab reproduce`` run), so a figure
here is the figure on disk. The script's ``savefig`` is caught: by default nothing is
written and the figure is returned; ``save=True`` also writes ``figures/NAME.png`` and
``.svg`` into the result directory, as the command line does. The scripts stay as they
are (they only read a result directory); this module is the whole adapter.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import pathlib
import sys
import tempfile
from typing import Optional

from . import _paths

PLOTS = pathlib.Path(os.environ.get("GAMMALAB_HOME", _paths.SOURCE_DIR)) / "plots"


def _script(name: str):
    """plots/NAME.py as a module, imported without switching the caller's matplotlib
    backend (the scripts choose Agg for the command line)."""
    import matplotlib

    if str(PLOTS) not in sys.path:
        sys.path.insert(0, str(PLOTS))  # the scripts import their shared helpers by name
    spec = importlib.util.spec_from_file_location(f"gammalab_plots_{name}", PLOTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    use, matplotlib.use = matplotlib.use, (lambda *args, **kwargs: None)
    try:
        spec.loader.exec_module(module)
    finally:
        matplotlib.use = use
    return module


def _directory(result) -> pathlib.Path:
    return pathlib.Path(getattr(result, "directory", result))


def draw(name: str, result, save: bool = False):
    """Runs plots/NAME.py's main on a result (a SweepResult or a directory) and returns
    the Figure it drew; `save` also writes it where the command line would."""
    import matplotlib.figure
    import matplotlib.pyplot as plt

    module = _script(name)
    drawn = []
    savefig = matplotlib.figure.Figure.savefig

    def caught(figure, *args, **kwargs):
        if figure not in drawn:
            drawn.append(figure)
        if save:
            return savefig(figure, *args, **kwargs)
        return None

    matplotlib.figure.Figure.savefig = caught
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the scripts print the path they wrote
            module.main(str(_directory(result)))
    except SystemExit as stop:  # a script's refusal (no data to draw) as an error
        raise ValueError(f"plots/{name}.py: {stop.code}") from None
    finally:
        matplotlib.figure.Figure.savefig = savefig
    if not drawn:
        raise ValueError(f"plots/{name}.py drew no figure")
    for figure in drawn:
        plt.close(figure)  # returned, not also shown again by pyplot
    return drawn[-1]


def lr_vs_width(result, save: bool = False):
    """Optimal and maximal stable η against width, with the engine's lines (fig2)."""
    return draw("lr_vs_width", result, save)


def lr_vs_rank(result, save: bool = False):
    """Optimal and maximal stable η against the rank per multiplier, and against width at
    the middle rank, with the engine's lines (a sweep over ranks: reproduce rank)."""
    return draw("lr_vs_rank", result, save)


def loss_vs_lr(result, save: bool = False):
    """Loss against η, a panel per width."""
    return draw("loss_vs_lr", result, save)


def norms_over_training(result, save: bool = False):
    """‖Z_A‖ and ‖Z_B‖ over training (needs curves)."""
    return draw("norms_over_training", result, save)


def loss_vs_sigma(result, save: bool = False):
    """Loss against the initial σ (a sweep with [init_sigma])."""
    return draw("loss_vs_sigma", result, save)


def schemes_vs_width(result, save: bool = False):
    """Every scheme's best loss and optimal η against width."""
    return draw("schemes_vs_width", result, save)


def coordcheck(result, save: bool = False):
    """The coordinate check's measured exponents against the engine's."""
    return draw("coordcheck", result, save)


def phase_diagram(*results, directory: Optional[str] = None, save: bool = False):
    """The LoRA+ phase diagram of PhaseResults (``gammalab.phase(..., x="eta_A",
    y="eta_B")``), a panel each, or of a directory written by ``gammalab reproduce phase``."""
    if directory is not None:
        return draw("phase_diagram", directory, save)
    with tempfile.TemporaryDirectory(prefix="gammalab-phase-") as folder:
        for i, result in enumerate(results):
            pathlib.Path(folder, f"phase-{i:03d}.json").write_text(json.dumps(result.to_dict()))
        return draw("phase_diagram", folder, False)
