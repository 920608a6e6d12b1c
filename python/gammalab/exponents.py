"""Exponents and regions as Python values.

An exponent γ[v] (v = Θ(n^γ[v])) is a ``fractions.Fraction``, ``NEG_INF`` (an exactly
zero quantity) or, with free parameters, a :class:`SymbolicExponent`. A region of one
free parameter is a :class:`Region`. Both are read from the text the engine prints (the
CLI's JSON), kept verbatim for printing, so ``str()`` is always the CLI's form.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Dict, List, Optional, Tuple, Union

NEG_INF = float("-inf")
"""γ of an exactly zero quantity (the CLI's ``-inf``)."""
INF = float("inf")
FREE = "free"
"""Leave a parameter symbolic: ``predict(scheme="A", eta=FREE)``."""

Number = Union[Fraction, float]  # a Fraction, or ±inf

_RATIONAL = re.compile(r"^[+-]?\d+(?:/\d+)?$")


def _rational(text: str) -> Fraction:
    if not _RATIONAL.match(text):
        raise ValueError(f"not a rational number: {text!r}")
    return Fraction(text)


def _endpoint(text: str) -> Number:
    if text == "-inf":
        return NEG_INF
    if text == "inf":
        return INF
    return _rational(text)


def _printed(value: Number) -> str:
    if value == NEG_INF:
        return "-inf"
    if value == INF:
        return "inf"
    return str(Fraction(value))


class SymbolicExponent:
    """A max of affine forms in the free parameters, e.g. ``max(0, eta + 1)``.

    ``str()`` is the CLI's JSON form; ``e(eta=Fraction(-1, 2))`` or ``e.at({"eta": -1})``
    evaluates it exactly; ``free`` names its parameters.
    """

    __slots__ = ("text", "forms")

    def __init__(self, text: str):
        self.text = text
        inner = text[4:-1] if text.startswith("max(") and text.endswith(")") else text
        self.forms: List[Tuple[Fraction, Dict[str, Fraction]]] = [_affine(part) for part in inner.split(", ")]

    @property
    def free(self) -> List[str]:
        return sorted({name for _, coefficients in self.forms for name in coefficients})

    def at(self, point: Dict[str, object]) -> Number:
        values = {name: to_fraction(value, name) for name, value in point.items()}
        missing = [name for name in self.free if name not in values]
        if missing:
            raise ValueError(f"{self.text}: give a value for {', '.join(missing)}")
        return max(constant + sum(c * values[name] for name, c in coefficients.items())
                   for constant, coefficients in self.forms)

    def __call__(self, **point) -> Number:
        return self.at(point)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"SymbolicExponent({self.text!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, SymbolicExponent) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


_TERM = re.compile(r"^(?:\(?(\d+(?:/\d+)?)\)?\*)?([A-Za-z_]\w*)$")


def _affine(text: str) -> Tuple[Fraction, Dict[str, Fraction]]:
    """'2*eta - 1/2', '-(1/2)*eta_A + eta_B', '1' (the engine's ASCII notation)."""
    constant, coefficients = Fraction(0), {}
    pieces = re.split(r" ([+-]) ", text.strip())
    signs, terms = ["+"] + pieces[1::2], pieces[0::2]
    for sign, term in zip(signs, terms):
        if term.startswith("-"):
            sign, term = ("-" if sign == "+" else "+"), term[1:]
        factor = -1 if sign == "-" else 1
        if _RATIONAL.match(term):
            constant += factor * Fraction(term)
            continue
        match = _TERM.match(term)
        if not match:
            raise ValueError(f"not an exponent: {text!r}")
        coefficients[match.group(2)] = factor * Fraction(match.group(1) or 1)
    return constant, coefficients


Exponent = Union[Fraction, float, SymbolicExponent]


def exponent(text: str) -> Exponent:
    """The engine's printed exponent as a value: '-1/2' → Fraction(-1, 2), '-inf' →
    NEG_INF, 'max(0, eta + 1)' → SymbolicExponent."""
    if text == "-inf":
        return NEG_INF
    if _RATIONAL.match(text):
        return Fraction(text)
    return SymbolicExponent(text)


def exponent_text(value: Exponent) -> str:
    """An exponent as the CLI prints it (the inverse of :func:`exponent`)."""
    if isinstance(value, SymbolicExponent):
        return value.text
    return _printed(value)


def to_fraction(value, name: str = "value") -> Number:
    """A point's coordinate: a Fraction, an int, a float read as its decimal, a string."""
    if isinstance(value, float) and math.isinf(value):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, str):
        return _endpoint(value.strip())
    try:
        return Fraction(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a number") from None


def option_text(value) -> str:
    """A keyword argument as the CLI option's text: Fraction(-1, 2) → '-1/2', NEG_INF →
    '-inf', 0.5 → '0.5' (read exactly by the engine), 'free' and strings as given."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, SymbolicExponent):
        return value.text
    if isinstance(value, float):
        if value in (NEG_INF, INF):
            return "-inf" if value == NEG_INF else "inf"
        # Its shortest decimal written out (1e-05 as 0.00001): the engine reads decimals, not exponent notation.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Fraction):
        return str(value)
    return str(value)


@dataclass(frozen=True)
class Interval:
    """One piece of a region: low and high (Fractions, or ∓inf) and whether each is in it."""

    low: Number
    high: Number
    low_closed: bool
    high_closed: bool

    def contains(self, x) -> bool:
        x = to_fraction(x)
        above = x > self.low or (self.low_closed and x == self.low)
        below = x < self.high or (self.high_closed and x == self.high)
        return above and below

    def __str__(self) -> str:
        if self.low == self.high:
            return "{" + _printed(self.low) + "}"
        return (("[" if self.low_closed else "(") + _printed(self.low) + ", " + _printed(self.high)
                + ("]" if self.high_closed else ")"))


class Region:
    """A region of one free parameter as the engine prints it: '(-inf, -1/2]', '{-1}',
    'empty', unions joined by ' ∪ '. ``contains(x)``, ``intervals``, ``low``/``high``
    (the endpoints of the whole region; None when empty) and ``str()`` the CLI's text."""

    __slots__ = ("text", "intervals")

    def __init__(self, text: str):
        self.text = text
        self.intervals: List[Interval] = [] if text == "empty" else [_interval(p) for p in text.split(" ∪ ")]

    def contains(self, x) -> bool:
        return any(piece.contains(x) for piece in self.intervals)

    __contains__ = contains

    @property
    def is_empty(self) -> bool:
        return not self.intervals

    def __bool__(self) -> bool:
        return bool(self.intervals)

    @property
    def low(self) -> Optional[Number]:
        return self.intervals[0].low if self.intervals else None

    @property
    def high(self) -> Optional[Number]:
        return self.intervals[-1].high if self.intervals else None

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Region({self.text!r})"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            return other == self.text
        return isinstance(other, Region) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _interval(text: str) -> Interval:
    if text.startswith("{") and text.endswith("}"):
        point = _rational(text[1:-1])
        return Interval(point, point, True, True)
    if text[0] not in "[(" or text[-1] not in "])" or ", " not in text:
        raise ValueError(f"not an interval: {text!r}")
    low, high = text[1:-1].split(", ")
    return Interval(_endpoint(low), _endpoint(high), text[0] == "[", text[-1] == "]")
