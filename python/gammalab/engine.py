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
import html
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

    # A repr fits on a screen: a line per field (at most REPR_LINES in all), each value
    # summarised to a line — nested records by their type and size, not their contents.
    REPR_LINES = 20

    def _summaries(self):
        return [(key, _summary(getattr(self, key))) for key in self._fields]

    def __repr__(self) -> str:
        lines = [f"  {key}={text}" for key, text in self._summaries()]
        if len(lines) > self.REPR_LINES - 2:
            hidden = len(lines) - (self.REPR_LINES - 3)
            lines = lines[: self.REPR_LINES - 3] + [f"  … {hidden} more fields: .fields()"]
        return f"{type(self).__name__}(\n" + ",\n".join(lines) + "\n)"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(key)}</th><td style='text-align:left'>"
                       f"{html.escape(text)}</td></tr>" for key, text in self._summaries())
        return f"<b>{type(self).__name__}</b><table>{rows}</table>"


_SUMMARY_WIDTH = 72


def _summary(value) -> str:
    """One line for a field's value: a scalar as its repr (shortened), a record as its
    type, a list by its length and first item, a dict by its keys."""
    if isinstance(value, Record):
        text = f"{type(value).__name__}({', '.join(value.fields())})"
    elif isinstance(value, (list, tuple)):
        if not value:
            text = "[]"
        elif all(not isinstance(v, (Record, list, tuple, dict)) for v in value):
            text = repr(list(value))
        else:
            text = f"[{len(value)} × {type(value[0]).__name__}]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(repr(k) for k in value) + "}"
    else:
        text = repr(value) if not isinstance(value, Fraction) else str(value)
    return text if len(text) <= _SUMMARY_WIDTH else text[: _SUMMARY_WIDTH - 1] + "…"


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
    """η_max = Θ(n^a · r^b): width_exponent a and rank_exponent b as Fractions, attained,
    text ("n^-1/2 · r^0")."""

    def __init__(self, document):
        super().__init__(document, {**document, "width_exponent": Fraction(document["width_exponent"]),
                                    "rank_exponent": Fraction(document["rank_exponent"])})


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


def vocabulary() -> Dict[str, List[Dict[str, Any]]]:
    """Every closed set of names gammalab accepts, as the C++ core defines them (what
    ``GET /api/vocabulary`` of ``gammalab serve`` answers): "schemes", "readouts",
    "optimizers", "multipliers", "windows", "scales", "statistical_verdicts",
    "trend_verdicts", "stability_criteria", "estimators", … each a list of {"name", "title", "aliases"}.
    Names match in any case on input; results always hold the name as listed."""
    return json.loads(_gammalab.vocabulary())


WINDOWS = tuple(term["name"] for term in vocabulary()["windows"])


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
        raise KeyError(f"no scheme {name!r} in the table; it has {', '.join(r.scheme for r in self.schemes)}")

    def frame(self):
        """The table as a pandas DataFrame: a row per scheme and setting column ("module",
        "network sp", "network mup"); the exponents exact (Fraction, or NEG_INF for an
        exactly zero σ), the maximal stable γ[η] with whether it is attained, its law
        n^width_exponent · r^rank_exponent, and each further region as text."""
        import pandas

        rows = []
        for row in self.schemes:
            for column in row.columns:
                cell = row[column]
                best, law = cell["max_stable_eta"], cell["max_stable_law"]
                entry = {"scheme": row.scheme, "title": row.title, "setting": column,
                         "sigma_A": row.sigma_A, "sigma_B": row.sigma_B,
                         "max_stable_eta": None if best is None else getattr(best, "value", None),
                         "attained": None if best is None else getattr(best, "attained", None),
                         "width_exponent": None if law is None else law.width_exponent,
                         "rank_exponent": None if law is None else law.rank_exponent}
                entry.update({key: str(value) for key, value in cell.items() if isinstance(value, Region)})
                rows.append(entry)
        frame = pandas.DataFrame(rows)
        frame.attrs.update(optimizer=self.optimizer, multiplier=self.multiplier)
        return frame

    def overview(self):
        """A row per scheme: its σ exponents and, per setting column, the maximal stable
        learning rate as the law the engine states (``n^-1/2 · r^0``; the bare exponent
        where no law in r is computed). What printing the table shows."""
        import pandas

        def law_or_value(cell):
            law, best = cell["max_stable_law"], cell["max_stable_eta"]
            if law is not None:
                return law.text
            return "—" if best is None or not hasattr(best, "value") else f"n^{best.value}"

        frame = pandas.DataFrame([{"scheme": row.scheme, "σ_A": str(row.sigma_A), "σ_B": str(row.sigma_B),
                                   **{column: law_or_value(row[column]) for column in row.columns}}
                                  for row in self.schemes])
        return frame.set_index("scheme")

    def __str__(self) -> str:
        return (f"maximal stable η per scheme and setting (optimizer {self.optimizer}, multiplier {self.multiplier}; "
                f"every region: .frame())\n{self.overview().to_string()}")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return self.overview().to_html()


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
