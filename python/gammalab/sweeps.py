"""Sweeps and their result directories.

``sweep(spec, out=...)`` trains a spec (a file, or a dict with the file's tables and
keys) exactly as ``gammalab sweep SPEC -o OUT`` does, shows progress, and returns the
loaded result. ``load(dir)`` reads a result directory: ``runs`` and ``curves`` as pandas
DataFrames with the dtypes of :data:`RUNS_DTYPES` and :data:`CURVES_DTYPES`, the summary
as objects, the manifest as a dict.
"""
from __future__ import annotations

import json
import math
import os
import pathlib
import re
import sys
import tempfile
from fractions import Fraction
from typing import Any, Dict, List, Optional, Union

from . import _gammalab, schema
from .engine import InputError, Record

# runs.csv and curves.csv, column by column, as their schemas (schema/runs.schema.json,
# schema/curves.schema.json) state them.
RUNS_DTYPES = schema.csv_columns("runs")
# After them, for each horizon H of the spec's [analysis] horizons: one column per
# prefix, max_train_loss_at_H and rms_Z_B_at_H (the schema's column patterns).
HORIZON_COLUMNS = schema.csv_column_prefixes("runs")
CURVES_DTYPES = schema.csv_columns("curves")


# ---------------------------------------------------------------- the spec as TOML text

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    return '"' + "".join(_TOML_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c)
                         for c in text) + '"'


def _toml_key(key, where: str) -> str:
    """A key or table name: bare where TOML allows it, else quoted (so that "a=b" or a
    newline is a key of its own, which the reader then refuses as unknown)."""
    if not isinstance(key, str):
        raise TypeError(f"{where}: the key {key!r} is not a string; a spec's tables and keys are strings")
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_value(value, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        return _toml_string(str(value))  # exponents are strings in the spec ("-1/2")
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v, where) for v in value) + "]"
    raise TypeError(f"{where}: {value!r} is not a number, string, boolean or list")


def spec_text(spec: Dict[str, Dict[str, Any]]) -> str:
    """A spec given as a dict ({"sweep": {"widths": [64, 128], ...}, ...}) as the TOML
    text of a spec file, every key and string escaped as TOML requires; the C++ reader
    checks it as it checks a file."""
    if not isinstance(spec, dict):
        raise TypeError(f"spec: {type(spec).__name__} is not a dict of tables, each a dict of keys")
    lines: List[str] = []
    for table, keys in spec.items():
        name = _toml_key(table, "spec")
        if not isinstance(keys, dict):
            raise TypeError(f"[{table}]: a spec is a dict of tables, each a dict of keys")
        lines.append(f"[{name}]")
        lines += [f"{_toml_key(key, f'[{table}]')} = {_toml_value(value, f'[{table}] {key}')}" for key, value in keys.items()]
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- progress

class _Progress:
    """A bar on standard error, redrawn in place (also in a notebook)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.drew = False

    def __call__(self, done, total, done_this_run, seconds):
        rate = done_this_run / seconds if seconds > 0 else 0.0
        left = f"{(total - done) / rate:.0f} s left" if rate > 0 else "starting"
        filled = int(30 * done / total) if total else 30
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} configurations · {rate:.2f}/s · {left}   ")
        self.stream.flush()
        self.drew = True

    def finish(self):
        if self.drew:
            self.stream.write("\n")
            self.stream.flush()


def sweep(spec: Union[str, os.PathLike, Dict[str, Any]], out: Union[str, os.PathLike], *, device: str = "auto",
          threads: int = 0, resume: bool = False, progress: bool = True) -> "SweepResult":
    """Trains every configuration of `spec` into the new directory `out` (``resume``:
    complete an existing one), analyses it and returns :func:`load`'s result.

    `spec` is a spec file's path or a dict of its tables; `device` is ``auto``, ``cpu``
    or ``gpu``; `threads` 0 uses every core. Progress is shown on standard error.
    """
    _check_sweep_options(device, threads, resume)
    reporter = _Progress() if progress else None
    if isinstance(spec, dict):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", prefix="gammalab-spec-", delete=False) as file:
            file.write(spec_text(spec))
            path = file.name
    else:
        path = os.fspath(spec)
    try:
        _gammalab.sweep(path, os.fspath(out), device, threads, resume, reporter)
    except _gammalab.InputError as error:
        raise InputError(str(error)) from None
    finally:
        if reporter:
            reporter.finish()
        if isinstance(spec, dict):
            os.unlink(path)
    return load(out)


DEVICES = ("auto", "cpu", "gpu")


def _check_sweep_options(device, threads, resume):
    """The options of :func:`sweep` as the command line checks them, refused before
    anything runs: a TypeError for a value of the wrong type, an InputError (a
    ValueError) for one out of range, each naming the argument and what is accepted."""
    if not isinstance(device, str):
        raise TypeError(f"device: {device!r} is not a string; accepted: {', '.join(map(repr, DEVICES))}")
    if device not in DEVICES:
        raise InputError(f"device: {device!r} is not a device; accepted: {', '.join(map(repr, DEVICES))}")
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"threads: {threads!r} is not a whole number; accepted: 0 (every core) or 1 to 1024")
    if not 0 <= threads <= 1024:
        raise InputError(f"threads: {threads} is out of range; accepted: 0 (every core) or 1 to 1024")
    if not isinstance(resume, bool):
        raise TypeError(f"resume: {resume!r} is not a bool; accepted: True (continue the sweep in out) or False")


def analyze(directory: Union[str, os.PathLike]) -> "Summary":
    """Re-analyses a result directory (``gammalab analyze DIR``), rewriting summary.json."""
    try:
        return Summary(json.loads(_gammalab.analyze(os.fspath(directory))), pathlib.Path(directory))
    except _gammalab.InputError as error:
        raise InputError(str(error)) from None


# ---------------------------------------------------------------- reading a result directory

class Slope(Record):
    """A fitted slope of log η against log n (or log r): slope, interval, the points used,
    resamples_used, bound, engine, margin, verdict_network and verdict_module (agrees,
    departs, inconclusive, undetermined), candidates (each other candidate exponent and
    whether the interval excludes it), its trend (finite_width: verdict, curvature and its
    interval, …), infinite_width (γ∞ with its interval, its verdict and the AICs, or
    None), primary and holm_p."""

    def __init__(self, document):
        super().__init__(document, document)


# The fields that tell one arm of a sweep from another, in the order they are shown.
ARM_FIELDS = ("readout", "scheme", "init_sigma", "rank", "multiplier")


class SchemeSummary(Record):
    """One arm of the analysis (readout, scheme, init_sigma, rank, multiplier):
    engine_max_stable_exponent ({"network", "module"}: a Fraction, or None),
    engine_bounds, widths (a record per width), slopes ({"optimal", "max_stable"}:
    Slope) and stability (a record per criterion and horizon)."""

    def __init__(self, document):
        converted = dict(document)
        converted["engine_max_stable_exponent"] = {
            setting: None if value is None else Fraction(value["exact"])
            for setting, value in document["engine_max_stable_exponent"].items()}
        converted["widths"] = [Record(w, w) for w in document["widths"]]
        converted["slopes"] = {name: Slope(s) for name, s in document["slopes"].items()}
        super().__init__(document, converted)

    @property
    def arm(self) -> Dict[str, Any]:
        """What sets this arm apart: readout, scheme, init_sigma, rank, multiplier."""
        return {field: getattr(self, field) for field in ARM_FIELDS}

    def widths_frame(self):
        """The per-width estimates as a DataFrame (a row per width; intervals split
        into _low and _high columns)."""
        import pandas

        rows = []
        for w in self.to_dict()["widths"]:
            row = {}
            for key, value in w.items():
                if key.endswith("_interval"):
                    row[key[: -len("_interval")] + "_low"] = value[0] if value else math.nan
                    row[key[: -len("_interval")] + "_high"] = value[1] if value else math.nan
                else:
                    row[key] = math.nan if value is None else value
            rows.append(row)
        return pandas.DataFrame(rows)


class Summary(Record):
    """summary.json: loss_statistic, stable_factor, bootstrap_resamples, teachers, seeds,
    runs_used, slope_widths, margin, candidates, multiplicity (departures against what
    chance alone gives, Holm over the primary slopes), status_of_runs, and schemes (a SchemeSummary per arm:
    readout × scheme × σ × rank × multiplier). ``arm(...)`` picks one arm;
    ``slopes()`` and ``widths()`` are the results view's tables as DataFrames."""

    def __init__(self, document, directory: Optional[pathlib.Path] = None):
        converted = dict(document)
        converted["schemes"] = [SchemeSummary(s) for s in document["schemes"]]
        super().__init__(document, converted)
        self._directory = directory

    def arm(self, scheme: Optional[str] = None, *, readout: Optional[str] = None, rank: Optional[int] = None,
            multiplier: Optional[str] = None, init_sigma: Optional[float] = None) -> SchemeSummary:
        """The one arm that matches every field given; ValueError when none does or when
        several do (naming what would tell them apart)."""
        wanted = {"scheme": scheme, "readout": readout, "rank": rank, "multiplier": multiplier, "init_sigma": init_sigma}
        wanted = {field: value for field, value in wanted.items() if value is not None}
        matching = [arm for arm in self.schemes if all(arm.arm[f] == v for f, v in wanted.items())]
        asked = ", ".join(f"{f}={v!r}" for f, v in wanted.items()) or "no field"
        if not matching:
            arms = "; ".join(_arm_text(a) for a in self.schemes)
            raise ValueError(f"no arm has {asked}; the arms are: {arms}")
        if len(matching) > 1:
            differing = [f for f in ARM_FIELDS if len({repr(a.arm[f]) for a in matching}) > 1]
            raise ValueError(f"{len(matching)} arms have {asked}; say which with {', '.join(differing)} "
                             f"(the arms: {'; '.join(_arm_text(a) for a in matching)})")
        return matching[0]

    def scheme(self, name: str) -> SchemeSummary:
        """The arm of scheme `name`: ``arm(name)``, which refuses an ambiguous request."""
        return self.arm(name)

    def _view(self, table: str):
        if self._directory is None:
            raise ValueError("this summary was not read from a result directory; load(directory).summary has its tables")
        return _view_frame(self._directory, table)

    def slopes(self):
        """Every slope of the analysis as a DataFrame: a row per arm, measure and horizon
        (and per rank slope), with the interval, the engine's exact exponent (a Fraction),
        the margin, the three-way verdict, the candidates it tells apart, the trend and its
        curvature, γ∞ and its verdict; the same rows the terminal, the report and the page show."""
        return self._view("slopes")

    def widths(self):
        """Every arm's per-width estimates as a DataFrame (the results view's widths table)."""
        return self._view("widths")

    def __repr__(self) -> str:
        lines = [f"Summary: {len(self.schemes)} arms, {self.teachers} teacher(s) × {self.seeds} seeds, {self.runs_used} runs used, "
                 f"loss {self.loss_statistic}, status {getattr(self, 'status_of_runs', 'unknown')}"]
        shown = self.schemes[: Record.REPR_LINES - 3]
        lines += [f"  {_arm_text(arm)}" for arm in shown]
        if len(self.schemes) > len(shown):
            lines.append(f"  … {len(self.schemes) - len(shown)} more arms: .schemes")
        lines.append("  .arm(scheme, readout=…, rank=…, multiplier=…) · .slopes() · .widths()")
        return "\n".join(lines)


def _arm_text(arm: SchemeSummary) -> str:
    sigma = "" if arm.init_sigma is None else f", σ {arm.init_sigma:g}"
    return f"{arm.scheme} ({arm.readout} readout, rank {arm.rank}, {arm.multiplier}{sigma})"


def _view_frame(directory: pathlib.Path, table: str):
    """One table of the results view (built by the C++ that the terminal, the report and
    the page render) as a DataFrame: the columns are its keys, the cells its raw values;
    exact exponents become Fractions."""
    import pandas

    try:
        view = json.loads(_gammalab.results_view(os.fspath(directory)))
    except _gammalab.InputError as error:
        raise InputError(str(error)) from None
    for candidate in view["tables"]:
        if candidate["name"] == table:
            keys = [column["key"] for column in candidate["columns"]]
            rows = [[cell["value"] for cell in row] for row in candidate["rows"]]
            frame = pandas.DataFrame(rows, columns=keys)
            for key in keys:
                if key.startswith("engine"):  # the engine's exact exponents
                    frame[key] = frame[key].map(_exact)
            frame.attrs["title"] = candidate["title"]
            frame.attrs["labels"] = {column["key"]: column["label"] for column in candidate["columns"]}
            return frame
    raise ValueError(f"the results view has no table {table!r}; it has {', '.join(t['name'] for t in view['tables'])}")


def _exact(value):
    """An exact exponent as the engine writes it ("-3/4") as a Fraction; "-inf" and a
    missing value as they are."""
    if isinstance(value, str) and value != "-inf":
        return Fraction(value)
    return value


class SweepResult:
    """A result directory, loaded: ``directory``, ``runs`` and ``curves`` (DataFrames;
    curves empty where none were recorded), ``summary`` (Summary, None before the
    analysis), ``manifest`` (dict, as the file holds it) and ``spec`` (the spec as run,
    a dict of its tables)."""

    def __init__(self, directory: pathlib.Path, runs, curves, summary: Optional[Summary], manifest: Dict[str, Any]):
        self.directory = directory
        self.runs = runs
        self.curves = curves
        self.summary = summary
        self.manifest = manifest
        self.spec = manifest.get("spec")

    def slopes(self):
        """The summary's slopes as a DataFrame (Summary.slopes)."""
        if self.summary is None:
            raise ValueError(f"{self.directory} has no summary.json yet: analyze(directory) writes it")
        return self.summary.slopes()

    def __repr__(self) -> str:
        spec = self.spec or {}
        sweep = spec.get("sweep", {})
        widths = sweep.get("widths", [])
        return (f"SweepResult({str(self.directory)!r}: {self.manifest.get('status')}, {len(self.runs)} runs, "
                f"{len(self.curves)} curve points\n  spec {sweep.get('name')!r} ({sweep.get('scale')} scale), widths "
                f"{widths[0] if widths else '?'}…{widths[-1] if widths else '?'}, schemes {sweep.get('schemes')}\n"
                f"  {'no summary yet' if self.summary is None else f'{len(self.summary.schemes)} arms analysed'}"
                f" · .runs · .curves · .summary · .slopes())")


def _read_csv(path: pathlib.Path, dtypes: Dict[str, str]):
    import pandas

    if not path.exists():
        return pandas.DataFrame({column: pandas.Series(dtype=dtype) for column, dtype in dtypes.items()})
    frame = pandas.read_csv(path, dtype={c: ("int64" if d == "bool" else d) for c, d in dtypes.items()})
    missing = [c for c in dtypes if c not in frame.columns]
    extra = [c for c in frame.columns if c not in dtypes]
    if missing or extra:
        raise InputError(f"{path}: " + "; ".join(
            part for part in (f"lacks the columns {', '.join(missing)}" if missing else "",
                              f"has columns its schema does not name: {', '.join(extra)}" if extra else "") if part))
    return frame.astype(dtypes)


def load(directory: Union[str, os.PathLike]) -> SweepResult:
    """Reads a sweep's result directory (runs.csv, curves.csv, summary.json, manifest.json)
    after the checks every reader of the command line applies — refused while a sweep
    writes it, and where the manifest is malformed, a file differs from its checksum, or
    a row is out of range or missing from (or foreign to) the sweep's plan — and with
    manifest.json and summary.json held against their schemas."""
    directory = pathlib.Path(directory)
    try:
        _gammalab.check_result_directory(os.fspath(directory))
    except _gammalab.InputError as error:
        raise InputError(str(error)) from None
    manifest = schema.read_json(directory / "manifest.json", "manifest")
    summary_path = directory / "summary.json"
    summary = Summary(schema.read_json(summary_path, "summary"), directory) if summary_path.exists() else None
    horizons = manifest["spec"]["analysis"]["horizons"]
    runs_dtypes = dict(RUNS_DTYPES, **{f"{prefix}{h}": "float64" for h in horizons for prefix in HORIZON_COLUMNS})
    return SweepResult(directory, _read_csv(directory / "runs.csv", runs_dtypes),
                       _read_csv(directory / "curves.csv", CURVES_DTYPES), summary, manifest)
