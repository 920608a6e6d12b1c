"""The files of a result directory, read one way by every figure script.

The files' schemas (schema/*.schema.json, which the C++ writers are tested against) say
what each holds; this reader takes runs.csv's and curves.csv's columns from them, reads
the CSVs by header name with typed cells (runs.csv's horizon columns, max_train_loss_at_H
and rms_Z_B_at_H for each horizon H of the spec, by pattern), and holds manifest.json,
summary.json and the JSON documents beside them against their schemas. A file that is
missing or not what its schema says stops the script with a message naming the file and,
for a CSV, the column; so does a runs.csv or curves.csv that differs from the checksum a
complete directory's manifest recorded (the check every C++ reader makes:
sim/sweep/result_directory.hpp, check_checksums).
"""
import csv
import json
import pathlib
import re
import sys

import jsonschema

SCHEMAS = pathlib.Path(__file__).resolve().parents[1] / "schema"


def _schema(name):
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


def _flag(text):
    if text not in ("0", "1"):
        raise ValueError(f"'{text}' is not 0 or 1")
    return text == "1"


# How a CSV cell of each schema type is read.
_CELL = {"integer": int, "number": float, "string": str, "boolean": _flag}


def _columns(name):
    """A CSV schema's fixed columns, in file order, as name → cell reader."""
    return {column: _CELL[rule["type"]] for column, rule in _schema(name)["properties"].items()}


RUNS_COLUMNS = _columns("runs")
RUNS_SCHEMA = _schema("manifest")["properties"]["runs_schema"]["const"]  # which runs.csv columns these are
# Each followed by a horizon H ≥ 1, both for every H: the schema's column patterns ^PREFIX[1-9][0-9]*$.
HORIZON_COLUMNS = tuple(re.fullmatch(r"\^(\w+)\[1-9\]\[0-9\]\*\$", pattern).group(1)
                        for pattern in _schema("runs")["patternProperties"])
CURVES_COLUMNS = _columns("curves")


def _fail(message):
    sys.exit(f"result_files: {message}")


def _json(path, schema=None):
    """A JSON file, held against schema/`schema`.schema.json when one is named."""
    try:
        document = json.loads(pathlib.Path(path).read_text())
    except FileNotFoundError:
        _fail(f"{path}: missing")
    except json.JSONDecodeError as error:
        _fail(f"{path}: not valid JSON ({error})")
    if schema:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_schema(schema)).iter_errors(document))
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path) or "(the document)"
            _fail(f"{path}: {where}: {error.message} (schema/{schema}.schema.json)")
    return document


def _horizon_of(name):
    """H when `name` is a horizon column (max_train_loss_at_H, rms_Z_B_at_H), else None."""
    for prefix in HORIZON_COLUMNS:
        match = re.fullmatch(re.escape(prefix) + r"([1-9][0-9]*)", name)
        if match:
            return int(match.group(1))
    return None


def _horizon_columns(path, header):
    """The header's horizon columns as name → float; stops when a horizon lacks one of its pair."""
    horizons = {_horizon_of(name) for name in header} - {None}
    for horizon in sorted(horizons):
        for prefix in HORIZON_COLUMNS:
            if f"{prefix}{horizon}" not in header:
                _fail(f"{path}: horizon {horizon} lacks its column '{prefix}{horizon}'")
    return {name: float for name in header if _horizon_of(name) is not None}


def _csv(path, columns, horizons=False):
    """The rows of a result CSV as dicts of typed cells, every column of `columns` required;
    with `horizons`, also the runs.csv horizon columns the header has."""
    path = pathlib.Path(path)
    if not path.exists():
        _fail(f"{path}: missing")
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames or []
        if horizons:
            columns = {**columns, **_horizon_columns(path, header)}
        for name in header:
            if name not in columns:
                _fail(f"{path}: column '{name}' is not one of {', '.join(columns)}")
        for name in columns:
            if name not in header:
                _fail(f"{path}: column '{name}' is missing from the header")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                rows.append({name: convert(row[name]) for name, convert in columns.items()})
            except (TypeError, ValueError) as error:
                _fail(f"{path}:{line}: malformed row ({error})")
        return rows


CHECKSUMMED_FILES = ("runs.csv", "curves.csv")  # a complete manifest's "checksums"
_checksums_checked = set()  # directories whose files were checked, once per script


def _fingerprint(data):
    """FNV-1a (64-bit) of `data` as 16 hex digits: sim/sweep/result_schema.hpp's fingerprint."""
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def _check_checksums(directory, document):
    """Stops when a complete directory's runs.csv or curves.csv differs from the checksum
    its manifest recorded at completion (or is missing). A directory still running, or
    completed by a gammalab that recorded no checksums, has none to check."""
    if document.get("status") != "complete" or "checksums" not in document:
        return
    what_to_do = "restore it from a copy, or run the sweep again into a new directory (gammalab sweep SPEC -o NEW)"
    recorded = document["checksums"]
    for name in CHECKSUMMED_FILES:
        path = pathlib.Path(directory) / name
        if not isinstance(recorded, dict) or not isinstance(recorded.get(name), str):
            _fail(f"{directory}/manifest.json: checksums.{name} is not recorded as a string of 16 hex digits, "
                  f"so the manifest was edited; {what_to_do}")
        if not path.exists():
            _fail(f"{path} is missing, but the manifest recorded its checksum when the sweep completed; {what_to_do}")
        actual = _fingerprint(path.read_bytes())
        if actual != recorded[name]:
            _fail(f"{path} was changed after the sweep completed: its checksum (FNV-1a) is {actual}, but the manifest "
                  f"recorded {recorded[name]} at completion, so its rows are not what the sweep wrote; {what_to_do}")


def manifest(directory):
    """manifest.json; stops when it is not what schema/manifest.schema.json says (a newer
    version or runs_schema included), or when the directory's runs.csv or curves.csv was
    changed after the sweep completed."""
    document = _json(pathlib.Path(directory) / "manifest.json", "manifest")
    key = pathlib.Path(directory).resolve()
    if key not in _checksums_checked:
        _check_checksums(directory, document)
        _checksums_checked.add(key)
    return document


def spec(directory):
    """The spec the directory's sweep or coordinate check ran, as data: its tables
    ("sweep", "learning_rate", "model", "optimizer", …) and every key."""
    return manifest(directory)["spec"]


def title(directory):
    """How a figure names the sweep: '<spec name> (<scale> scale, <device>)'."""
    document = manifest(directory)
    sweep = document["spec"]["sweep"]
    return f"{sweep['name']} ({sweep['scale']} scale, {document['device']})"


def scheme_title(directory, scheme):
    """How the papers write a scheme ("Init[A]", "IniLoRA-α"), from the manifest; the
    name itself for directories written before manifests kept the titles."""
    return manifest(directory).get("scheme_titles", {}).get(scheme, scheme)


def summary(directory):
    """summary.json, written by `gammalab analyze`: one entry per arm under "schemes"."""
    manifest(directory)  # the rows summary.json was computed from must be the sweep's
    return _json(pathlib.Path(directory) / "summary.json", "summary")


def one_adapter_shape(directory, summary_document):
    """Stops unless the sweep trained one rank and one multiplier: a figure of one arm per
    scheme would otherwise draw several adapters' estimates as one (lr_vs_rank.py draws
    those sweeps)."""
    shapes = {(arm.get("rank"), arm.get("multiplier")) for arm in summary_document["schemes"]}
    if len(shapes) > 1:
        _fail(f"{directory}/summary.json: the sweep trained {len(shapes)} (rank, multiplier) pairs; this figure draws one "
              "(plots/lr_vs_rank.py draws a sweep over ranks)")


def runs(directory):
    """runs.csv: one dict per configuration, cells typed (diverged a bool; the horizon
    columns, max_train_loss_at_H and rms_Z_B_at_H, floats). Stops on a directory of an
    older runs_schema, whose columns differ."""
    manifest(directory)  # its runs_schema, which the manifest's schema holds to this reader's
    return _csv(pathlib.Path(directory) / "runs.csv", RUNS_COLUMNS, horizons=True)


def curves(directory):
    """curves.csv: one dict per recorded step."""
    manifest(directory)  # its checksum
    return _csv(pathlib.Path(directory) / "curves.csv", CURVES_COLUMNS)


def document(directory, name, required=True, schema=None):
    """Another JSON document of the directory (engine.json, coordcheck-A.json), held
    against `schema` when one is named; None when absent and not required."""
    path = pathlib.Path(directory) / name
    if not required and not path.exists():
        return None
    return _json(path, schema)


def coordchecks(directory):
    """The coordinate checks of a `reproduce coordcheck` directory, one per scheme of its manifest."""
    return [document(directory, f"coordcheck-{scheme}.json", schema="coordcheck") for scheme in spec(directory)["sweep"]["schemes"]]


def exponent(text):
    """An exact exponent as the engine writes it ("-1/2") as a number; None for exactly
    zero ("-inf")."""
    if text == "-inf":
        return None
    numerator, _, denominator = text.partition("/")
    return float(numerator) / float(denominator or 1)


def mlp_document(directory, name):
    """The result document of a `reproduce mlp-coordcheck` or `mlp-lr` directory
    (NAME.json), held against schema/NAME.schema.json."""
    return document(directory, f"{name}.json", schema=name)


def phase_documents(directory):
    """The engine's phase diagrams of a `reproduce phase` directory (phase-*.json)."""
    paths = sorted(pathlib.Path(directory).glob("phase-*.json"))
    if not paths:
        _fail(f"{directory}: no phase-*.json files")
    return [_json(path, "gamma") for path in paths]
