"""The γ engine: ``predict``, ``solve``, ``explain``, ``phase`` and ``table``.

Each calls the same C++ function as ``gammalab gamma SUBCOMMAND --json`` and returns a
result whose ``to_dict()`` is exactly the JSON dict the CLI prints; its attributes are
that dict's fields as Python values (exponents as Fraction / NEG_INF /
SymbolicExponent, one-parameter regions as Region, vertices as Fractions). Keyword
arguments are the CLI's options with ``_`` for ``-`` (``eta_A`` is ``--eta-A``). Bad input
raises :class:`InputError`, a ValueError with the CLI's message.
"""
from __future__ import annotations

import copy
import json
from fractions import Fraction
from typing import Any, Dict, List, Optional

from . import _gammalab
from .exponents import Region, exponent, option_text


class InputError(ValueError):
    """Bad input: the CLI's message (``--eta-A: ...``) and ``argument``, the keyword
    argument it names (``eta_A``)."""

    def __init__(self, message: str):
        super().__init__(message)
        field = message.split(":", 1)[0]
        self.argument = field.lstrip("-").replace("-", "_") if field.startswith("--") else field


def _call(function, *args, **kwargs) -> Dict[str, Any]:
    try:
        return json.loads(function(*args, **kwargs))
    except _gammalab.InputError as error:
        raise InputError(str(error)) from None


MODEL_OPTIONS = ("scheme", "setting", "readout", "optimizer", "eta", "eta_A", "eta_B", "ratio",
                 "sigma_A", "sigma_B", "alpha", "subtract_initial")


def _model(options: Dict[str, Any]) -> Dict[str, str]:
    """The options the user gave (None means left out), as the CLI's text."""
    return {key: option_text(value) for key, value in options.items() if value is not None}


class Record:
    """A JSON object of the CLI as a Python object: every field an attribute (converted
    by the result's reader), ``to_dict()`` the object itself, unchanged."""

    def __init__(self, document: Dict[str, Any], converted: Dict[str, Any]):
        self._document = document
        self._fields = list(converted)
        for key, value in converted.items():
            setattr(self, key, value)

    def to_dict(self) -> Dict[str, Any]:
        return copy.deepcopy(self._document)

    def fields(self) -> List[str]:
        return list(self._fields)

    def __getitem__(self, key):
        return getattr(self, key)

    def __eq__(self, other) -> bool:
        return isinstance(other, Record) and other._document == self._document

    def __repr__(self) -> str:
        shown = ", ".join(f"{key}={getattr(self, key)!r}" for key in self._fields)
        return f"{type(self).__name__}({shown})"


class Model(Record):
    """The model as the engine read it: exponents sigma_A, sigma_B, eta_A, eta_B, alpha."""

    EXPONENTS = ("sigma_A", "sigma_B", "eta_A", "eta_B", "alpha")

    def __init__(self, document):
        super().__init__(document, {k: exponent(v) if k in self.EXPONENTS else v for k, v in document.items()})


def _verdict(value, free: List[str]):
    """A verdict's value: a bool with no free parameter, a Region with one, the list of
    condition lists with more."""
    if isinstance(value, str) and len(free) == 1:
        return Region(value)
    return value


class Window(Record):
    """The verdicts of one window (every step, or from the settled step on)."""

    def __init__(self, document, free):
        super().__init__(document, {k: v if k == "binding" else _verdict(v, free) for k, v in document.items()})


class Verdicts(Record):
    def __init__(self, document, free):
        super().__init__(document, {k: None if v is None else Window(v, free) for k, v in document.items()})


class MaxStable(Record):
    """The supremum of the stable region: parameter, value (a Fraction), attained."""

    def __init__(self, document):
        super().__init__(document, {**document, "value": Fraction(document["value"])})


def _max_stable(value):
    return None if value is None else MaxStable(value)


class Step(Record):
    """One step of ``predict``: t and exponents (quantity key → exponent)."""

    def __init__(self, document):
        super().__init__(document, {"t": document["t"],
                                    "exponents": {k: exponent(v) for k, v in document["exponents"].items()}})


class DerivationLine(Record):
    def __init__(self, document):
        super().__init__(document, {**document, "result": exponent(document["result"])})


class Polygon(Record):
    """A region of the phase diagram: vertices (exact, counter-clockwise) and conditions."""

    def __init__(self, document):
        super().__init__(document, {"vertices": [(Fraction(x), Fraction(y)) for x, y in document["vertices"]],
                                    "conditions": document["conditions"]})


def _common(document) -> Dict[str, Any]:
    model = Model(document["model"])
    converted = {"command": document["command"], "model": model}
    for key, value in document.items():
        if key in converted:
            continue
        if key == "verdicts":
            converted[key] = Verdicts(value, model.free_parameters)
        elif key in ("max_stable", "max_stable_eta"):
            converted[key] = _max_stable(value)
        elif key == "steps":
            converted[key] = [Step(s) for s in value]
        elif key == "derivation":
            converted[key] = [DerivationLine(line) for line in value]
        else:
            converted[key] = value
    return converted


class PredictResult(Record):
    """``gamma predict``: model, steps, horizon, settled_from, verdicts, max_stable_eta."""

    def __init__(self, document):
        super().__init__(document, _common(document))

    def exponents(self):
        """The exponents as a pandas DataFrame: a row per quantity, a column per step
        (the CLI's table; missing cells, the updates at t = 0, are NaN)."""
        import pandas

        return pandas.DataFrame({f"t={s.t}": s.exponents for s in self.steps})


class SolveResult(Record):
    """``gamma solve``: model, horizon, settled_from, verdicts, max_stable."""

    def __init__(self, document):
        super().__init__(document, _common(document))


class ExplainResult(Record):
    """``gamma explain``: model, derivation (lines t, quantity, equation, rule, result),
    settled_from, verdicts."""

    def __init__(self, document):
        super().__init__(document, _common(document))


class PhaseResult(Record):
    """``gamma phase``: model, x, y, box (Fractions), settled_from, and every_step /
    from_settled: verdict → list of Polygon."""

    def __init__(self, document):
        converted = {"command": document["command"], "model": Model(document["model"])}
        for key, value in document.items():
            if key in ("every_step", "from_settled"):
                converted[key] = None if value is None else {
                    verdict: [Polygon(p) for p in polygons] for verdict, polygons in value.items()}
            elif key == "box":
                converted[key] = tuple(Fraction(v) for v in value)
            elif key not in converted:
                converted[key] = value
        super().__init__(document, converted)


class TableRow(Record):
    """One scheme of ``gamma table``: scheme, title, sigma_A, sigma_B, and per column
    ("module", "network sp", "network mup") its cell: max_stable_eta and regions."""

    def __init__(self, document):
        converted = {}
        for key, value in document.items():
            if key in ("sigma_A", "sigma_B"):
                converted[key] = exponent(value)
            elif isinstance(value, dict):
                converted[key] = {k: _max_stable(v) if k == "max_stable_eta" else Region(v) for k, v in value.items()}
            else:
                converted[key] = value
        super().__init__(document, converted)
        self.columns = [key for key, value in document.items() if isinstance(value, dict)]


class TableResult(Record):
    """``gamma table``: optimizer and schemes (a TableRow each)."""

    def __init__(self, document):
        super().__init__(document, {"command": document["command"], "optimizer": document["optimizer"],
                                    "schemes": [TableRow(row) for row in document["schemes"]]})

    def scheme(self, name: str) -> TableRow:
        for row in self.schemes:
            if row.scheme == name:
                return row
        raise KeyError(name)


def predict(scheme: str, *, setting=None, readout=None, optimizer=None, eta=None, eta_A=None, eta_B=None,
            ratio=None, sigma_A=None, sigma_B=None, alpha=None, subtract_initial=None, steps: int = 0) -> PredictResult:
    """Every exponent at every step and the verdicts: ``gammalab gamma predict``."""
    options = _model(dict(scheme=scheme, setting=setting, readout=readout, optimizer=optimizer, eta=eta, eta_A=eta_A,
                          eta_B=eta_B, ratio=ratio, sigma_A=sigma_A, sigma_B=sigma_B, alpha=alpha,
                          subtract_initial=subtract_initial))
    return PredictResult(_call(_gammalab.predict, options, _steps(steps)))


def solve(scheme: str, *, setting=None, readout=None, optimizer=None, eta=None, eta_A=None, eta_B=None,
          ratio=None, sigma_A=None, sigma_B=None, alpha=None, subtract_initial=None) -> SolveResult:
    """The regions of the one free parameter (default γ[η]): ``gammalab gamma solve``."""
    options = _model(dict(scheme=scheme, setting=setting, readout=readout, optimizer=optimizer, eta=eta, eta_A=eta_A,
                          eta_B=eta_B, ratio=ratio, sigma_A=sigma_A, sigma_B=sigma_B, alpha=alpha,
                          subtract_initial=subtract_initial))
    return SolveResult(_call(_gammalab.solve, options))


def explain(scheme: str, *, setting=None, readout=None, optimizer=None, eta=None, eta_A=None, eta_B=None,
            ratio=None, sigma_A=None, sigma_B=None, alpha=None, subtract_initial=None, steps: int = 0) -> ExplainResult:
    """The derivation, rule by rule: ``gammalab gamma explain``."""
    options = _model(dict(scheme=scheme, setting=setting, readout=readout, optimizer=optimizer, eta=eta, eta_A=eta_A,
                          eta_B=eta_B, ratio=ratio, sigma_A=sigma_A, sigma_B=sigma_B, alpha=alpha,
                          subtract_initial=subtract_initial))
    return ExplainResult(_call(_gammalab.explain, options, _steps(steps)))


def phase(scheme: str, *, x: str, y: str, low="-2", high="1", setting=None, readout=None, optimizer=None, eta=None,
          eta_A=None, eta_B=None, ratio=None, sigma_A=None, sigma_B=None, alpha=None,
          subtract_initial=None) -> PhaseResult:
    """The (x, y) diagram with exact vertices, clipped to [low, high]²: ``gammalab gamma phase``."""
    options = _model(dict(scheme=scheme, setting=setting, readout=readout, optimizer=optimizer, eta=eta, eta_A=eta_A,
                          eta_B=eta_B, ratio=ratio, sigma_A=sigma_A, sigma_B=sigma_B, alpha=alpha,
                          subtract_initial=subtract_initial))
    return PhaseResult(_call(_gammalab.phase, options, str(x), str(y), option_text(low), option_text(high)))


def table(optimizer: str = "adam") -> TableResult:
    """Every built-in scheme at a glance: ``gammalab gamma table``."""
    return TableResult(_call(_gammalab.table, option_text(optimizer)))


def _steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise InputError(f"--steps: must be a whole number from 0 to 64, not {steps!r}")
    return steps
