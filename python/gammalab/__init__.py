"""gammalab from Python: the exact γ engine, sweeps and their results.

    >>> import gammalab
    >>> print(gammalab.solve(scheme="A").verdicts.every_step.stable)
    (-inf, -1/2]

The engine (``predict``, ``solve``, ``explain``, ``phase``, ``table``; ``mlp`` and
``mlp_table`` for deep MLPs) and the sweeps
(``sweep``, ``load``, ``analyze``) call the same C++ as the ``gammalab`` program; every
result's ``to_dict()`` is the JSON the program prints with ``--json``. Figures of
``plots/`` are in ``gammalab.figures``. Guide: docs/python.md; tour: docs/tour.ipynb.
"""
from .engine import (ExplainResult, InputError, Model, PhaseResult, PredictResult, SolveResult, TableResult, explain,
                     phase, predict, solve, table, vocabulary)
from .mlp import MlpGroup, MlpResult, MlpTable, mlp, mlp_table
from .exponents import FREE, INF, NEG_INF, Interval, Region, SymbolicExponent, exponent, exponent_text
from .sweeps import CURVES_DTYPES, HORIZON_COLUMNS, RUNS_DTYPES, Summary, SweepResult, analyze, load, spec_text, sweep
from . import figures

__all__ = [
    "predict", "solve", "explain", "phase", "table", "mlp", "mlp_table", "vocabulary", "sweep", "load", "analyze", "spec_text", "figures",
    "NEG_INF", "INF", "FREE", "Region", "Interval", "SymbolicExponent", "exponent", "exponent_text", "InputError",
    "Model", "PredictResult", "SolveResult", "ExplainResult", "PhaseResult", "TableResult", "Summary", "SweepResult",
    "RUNS_DTYPES", "HORIZON_COLUMNS", "CURVES_DTYPES", "MlpResult", "MlpGroup", "MlpTable",
]
