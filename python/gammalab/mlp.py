"""A deep MLP in the abc convention of Tensor Programs IV: ``mlp`` and ``mlp_table``.

Each calls the same C++ function as ``gammalab gamma mlp --json`` (docs/engine.md,
"Deep MLPs"); the result's ``to_dict()`` is exactly that JSON, and its attributes are
its fields with every exponent exact (Fraction, or NEG_INF for an exactly zero one).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from . import _gammalab
from .engine import Record, _call
from .exponents import exponent, option_text

_GROUP_EXPONENTS = ("a", "b", "c", "rate", "max_stable", "change")


def _exact(value):
    return None if value is None else exponent(value)


class MlpGroup(Record):
    """One layer group (input, hidden or readout): a, b, c, rate (γ[η] = −c),
    max_stable, stable_region, binding, stable, feature_learning, change."""

    def __init__(self, document: Dict[str, Any]):
        super().__init__(document, {key: _exact(value) if key in _GROUP_EXPONENTS else value
                                    for key, value in document.items()})


class MlpResult(Record):
    """``gamma mlp``: parametrization, optimizer, alignment, layers, stable,
    feature_learning, nontrivial, r (exact, None where not stable), settled_from,
    groups ({"input", "hidden", "readout"}: MlpGroup), and with predict/explain the
    steps and the derivation as the CLI's JSON holds them."""

    def __init__(self, document: Dict[str, Any]):
        converted = dict(document)
        converted["r"] = _exact(document["r"])
        converted["groups"] = {name: MlpGroup(group) for name, group in document["groups"].items()}
        super().__init__(document, converted)


class MlpTable(Record):
    """``gamma mlp --table``: layers and rows, an MlpResult per preset × optimizer × alignment."""

    def __init__(self, document: Dict[str, Any]):
        super().__init__(document, {"command": document["command"], "layers": document["layers"],
                                    "rows": [MlpResult(row) for row in document["rows"]]})


def _options(**given) -> Dict[str, str]:
    return {key: _list_text(value) for key, value in given.items() if value is not None}


def _list_text(value) -> str:
    """An exponent, or one per layer group (input, hidden, readout) as a sequence."""
    if isinstance(value, (list, tuple)):
        return ",".join(option_text(item) for item in value)
    return option_text(value)


def mlp(parametrization: str = "mup", *, optimizer: str = "sgd", alignment: str = "full", layers: int = 3,
        a=None, b=None, c=None, predict: bool = False, explain: bool = False) -> MlpResult:
    """The verdicts, r and each layer group's maximal stable learning-rate exponent of a
    deep MLP: ``gammalab gamma mlp``. ``a``, ``b``, ``c``: one exponent for every group
    or three (input, hidden, readout), overriding the preset; ``custom`` needs all three.

        >>> gammalab.mlp("mup", optimizer="adam").groups["hidden"].max_stable
        Fraction(-1, 1)
    """
    options = _options(parametrization=parametrization, optimizer=optimizer, alignment=alignment,
                       layers=str(layers), a=a, b=b, c=c)
    return MlpResult(_call(_gammalab.mlp, options, bool(predict), bool(explain)))


def mlp_table(layers: int = 3) -> MlpTable:
    """Every preset × optimizer × alignment: ``gammalab gamma mlp --table``."""
    return MlpTable(_call(_gammalab.mlp_table, {"layers": str(layers)}))
