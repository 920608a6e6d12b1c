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
                 "sigma_A", "sigma_B", "alpha", "subtract_initial", "rho", "multiplier")


def _model(scheme: str, options: Dict[str, Any]) -> Dict[str, str]:
    """The model options the user gave (None means left out), as the CLI's text; an
    unknown keyword is a TypeError naming it and the accepted ones."""
    unknown = sorted(set(options) - set(MODEL_OPTIONS))
    if unknown:
        raise TypeError(f"unknown model option {unknown[0]!r}; accepted: {', '.join(MODEL_OPTIONS[1:])}")
    given = {"scheme": scheme, **options}
    return {key: option_text(value) for key, value in given.items() if value is not None}


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
    """The model as the engine read it: exponents sigma_A, sigma_B, eta_A, eta_B, alpha,
    rho (r = n^rho), and the multiplier ("lora", "rslora" or κ)."""

    EXPONENTS = ("sigma_A", "sigma_B", "eta_A", "eta_B", "alpha", "rho")

    def __init__(self, document):
        super().__init__(document, {k: exponent(v) if k in self.EXPONENTS else v for k, v in document.items()})


def _verdict(value, free: List[str]):
    """A verdict's value: a bool with no free parameter, a Region with one, the list of
    condition lists with more."""
    if isinstance(value, str) and len(free) == 1:
        return Region(value)
    return value


class Window(Record):
    """The verdicts of one window (every_step, definition_5: updates from t = 2, or
    from_settled)."""

    def __init__(self, document, free):
        super().__init__(document, {k: v if k == "binding" else _verdict(v, free) for k, v in document.items()})


class Verdicts(Record):
    def __init__(self, document, free):
        super().__init__(document, {k: None if v is None else Window(v, free) for k, v in document.items()})


class MaxStable(Record):
    """The supremum of the stable region: parameter, value (a Fraction), attained."""

    def __init__(self, document):
        super().__init__(document, {**document, "value": Fraction(document["value"])})


class SupremumPiece(Record):
    """One piece of the maximal stable γ[η] against ρ: from, to (Fractions, None when
    unbounded), from_included, to_included, value (the exponent, affine in rho; None when
    unbounded above), attained."""

    def __init__(self, document):
        def bound(v):
            return None if v is None else Fraction(v)
        super().__init__(document, {**document, "from": bound(document["from"]), "to": bound(document["to"]),
                                    "value": None if document["value"] is None else exponent(document["value"])})


class MaxStableAgainstRank(Record):
    """The supremum of the stable γ[η] as a function of ρ: parameter, along, pieces."""

    def __init__(self, document):
        super().__init__(document, {**document, "pieces": [SupremumPiece(p) for p in document["pieces"]]})


class ScalingLaw(Record):
    """η_max = Θ(n^n · r^r): n and r as Fractions, attained, text ("n^-1/2 · r^0")."""

    def __init__(self, document):
        super().__init__(document, {**document, "n": Fraction(document["n"]), "r": Fraction(document["r"])})


def _max_stable(value):
    if value is None:
        return None
    return MaxStableAgainstRank(value) if "pieces" in value else MaxStable(value)


def _law(value):
    return None if value is None else ScalingLaw(value)


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
        elif key == "max_stable_law":
            converted[key] = _law(value)
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


WINDOWS = ("every_step", "definition_5", "from_settled")


class PhaseResult(Record):
    """``gamma phase``: model, x, y, box (Fractions), settled_from, and every_step /
    definition_5 / from_settled: verdict → list of Polygon."""

    def __init__(self, document):
        converted = {"command": document["command"], "model": Model(document["model"])}
        for key, value in document.items():
            if key in WINDOWS:
                converted[key] = None if value is None else {
                    verdict: [Polygon(p) for p in polygons] for verdict, polygons in value.items()}
            elif key == "box":
                converted[key] = tuple(Fraction(v) for v in value)
            elif key not in converted:
                converted[key] = value
        super().__init__(document, converted)


class TableRow(Record):
    """One scheme of ``gamma table``: scheme, title, sigma_A, sigma_B (exponents of n),
    sigma_A_per_rank, sigma_B_per_rank (of r), and per column ("module", "network sp",
    "network mup") its cell: max_stable_eta, max_stable_law and regions."""

    def __init__(self, document):
        converted = {}
        for key, value in document.items():
            if key in ("sigma_A", "sigma_B"):
                converted[key] = exponent(value)
            elif key in ("sigma_A_per_rank", "sigma_B_per_rank"):
                converted[key] = Fraction(value)
            elif isinstance(value, dict):
                converted[key] = {k: _max_stable(v) if k == "max_stable_eta" else _law(v) if k == "max_stable_law"
                                  else Region(v) for k, v in value.items()}
            else:
                converted[key] = value
        super().__init__(document, converted)
        self.columns = [key for key, value in document.items() if isinstance(value, dict)]


class TableResult(Record):
    """``gamma table``: optimizer and schemes (a TableRow each)."""

    def __init__(self, document):
        super().__init__(document, {"command": document["command"], "optimizer": document["optimizer"],
                                    "multiplier": document["multiplier"],
                                    "schemes": [TableRow(row) for row in document["schemes"]]})

    def scheme(self, name: str) -> TableRow:
        for row in self.schemes:
            if row.scheme == name:
                return row
        raise KeyError(name)


# Every function below takes the model options of MODEL_OPTIONS as keywords (setting,
# readout, optimizer, eta, eta_A, eta_B, ratio, sigma_A, sigma_B, alpha, subtract_initial,
# rho, multiplier), each the CLI's option of that name.

def predict(scheme: str, *, steps: int = 0, **model) -> PredictResult:
    """Every exponent at every step and the verdicts: ``gammalab gamma predict``."""
    return PredictResult(_call(_gammalab.predict, _model(scheme, model), _steps(steps)))


def solve(scheme: str, **model) -> SolveResult:
    """The regions of the free parameter (default γ[η]; with rho="free", γ[η] against ρ):
    ``gammalab gamma solve``."""
    return SolveResult(_call(_gammalab.solve, _model(scheme, model)))


def explain(scheme: str, *, steps: int = 0, **model) -> ExplainResult:
    """The derivation, rule by rule: ``gammalab gamma explain``."""
    return ExplainResult(_call(_gammalab.explain, _model(scheme, model), _steps(steps)))


def phase(scheme: str, *, x: str, y: str, low="-2", high="1", **model) -> PhaseResult:
    """The (x, y) diagram with exact vertices, clipped to [low, high]²: ``gammalab gamma phase``."""
    return PhaseResult(_call(_gammalab.phase, _model(scheme, model), str(x), str(y), option_text(low), option_text(high)))


def table(optimizer: str = "adam", multiplier: str = "lora") -> TableResult:
    """Every built-in scheme at a glance: ``gammalab gamma table``."""
    return TableResult(_call(_gammalab.table, option_text(optimizer), option_text(multiplier)))


def _steps(steps) -> int:
    """The CLI's --steps, checked here: a value pybind11 cannot pass (10**20, "2") would
    otherwise end in its signature dump instead of this message."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= 64:
        raise InputError(f"--steps: must be a whole number from 0 to 64, not {steps!r}")
    return steps
