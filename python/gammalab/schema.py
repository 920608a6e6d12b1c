"""gammalab's file schemas (schema/*.schema.json), as Python reads them.

Every document :func:`gammalab.load` reads is held against its JSON Schema first, so the
Python reader accepts exactly the fields the schema names (an unknown or missing key, a
wrong type, a newer version: :class:`InputError` naming the file and the key). The
columns of runs.csv and curves.csv, and their pandas dtypes, come from the same files.
"""
from __future__ import annotations

import functools
import json
import pathlib
import re
from typing import Any, Dict, Tuple

from .engine import InputError

# Where the schemas are: beside the package (the build copies them there), or in the
# source tree the package was built from.
_PACKAGE_COPY = pathlib.Path(__file__).resolve().parent / "schema"

# The pandas dtype of each JSON Schema type a CSV column has (booleans are written 0/1).
_DTYPES = {"integer": "int64", "number": "float64", "string": "object", "boolean": "bool"}


def _directory() -> pathlib.Path:
    if _PACKAGE_COPY.is_dir():
        return _PACKAGE_COPY
    from . import _paths  # written by CMake

    return pathlib.Path(_paths.SOURCE_DIR) / "schema"


@functools.lru_cache(maxsize=None)
def schema(name: str) -> Dict[str, Any]:
    """The JSON Schema of one kind of file ("manifest", "summary", "runs", …)."""
    path = _directory() / f"{name}.schema.json"
    if not path.exists():
        names = sorted(p.name.removesuffix(".schema.json") for p in _directory().glob("*.schema.json"))
        raise ValueError(f"no schema named {name!r}; gammalab's schemas: {', '.join(names)}")
    return json.loads(path.read_text())


def check(document: Any, name: str, origin: str) -> Any:
    """`document` unchanged when it conforms to schema `name`; otherwise InputError
    naming `origin` (the file), the key's path and what the schema accepts."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(the document)"
        raise InputError(f"{origin}: {where.lstrip('.')}: {error.message} (schema/{name}.schema.json)")
    return document


def read_json(path: pathlib.Path, name: str) -> Any:
    """A JSON file checked against schema `name`; InputError naming the path when it is
    missing, not JSON, or not what the schema says."""
    try:
        document = json.loads(pathlib.Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: missing") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    return check(document, name, str(path))


def csv_columns(name: str) -> Dict[str, str]:
    """A CSV file's fixed columns (schema "runs" or "curves") in file order, as pandas
    dtypes."""
    return {column: _DTYPES[rule["type"]] for column, rule in schema(name)["properties"].items()}


def csv_column_prefixes(name: str) -> Tuple[str, ...]:
    """The CSV's families of numbered columns (runs.csv's max_train_loss_at_H and
    rms_Z_B_at_H for each horizon H): their prefixes, from the schema's patterns
    ``^PREFIX[1-9][0-9]*$``."""
    prefixes = []
    for pattern in schema(name).get("patternProperties", {}):
        match = re.fullmatch(r"\^(\w+)\[1-9\]\[0-9\]\*\$", pattern)
        if not match:
            raise ValueError(f"schema/{name}.schema.json: column pattern {pattern!r} is not ^PREFIX[1-9][0-9]*$")
        prefixes.append(match.group(1))
    return tuple(prefixes)
