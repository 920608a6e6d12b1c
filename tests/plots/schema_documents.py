"""Result documents for the plot tests, written small by hand and completed to what their
schema (schema/*.schema.json) requires: every required key a test leaves out gets the
plainest value its schema accepts (its const, null where allowed, else an empty value of
its type, or its minimum), so a fixture states only the numbers a test is about and still
passes the strict readers of plots/result_files.py."""
import json
import pathlib

SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "schema"


def _resolve(rule, root):
    while "$ref" in rule:
        rule = root["$defs"][rule["$ref"].split("/")[-1]]
    return rule


def _plainest(rule, root):
    rule = _resolve(rule, root)
    if "const" in rule:
        return rule["const"]
    if "enum" in rule:
        return rule["enum"][0]
    branches = rule.get("anyOf") or rule.get("oneOf")
    if branches:
        if any(_resolve(b, root).get("type") == "null" for b in branches):
            return None
        return _plainest(branches[0], root)
    kind = rule.get("type")
    kind = [k for k in kind if k != "null"][0] if isinstance(kind, list) and "null" not in kind else kind
    if isinstance(kind, list):  # null allowed
        return None
    if kind == "object":
        return complete_with({}, rule, root)
    if kind in ("integer", "number"):
        return rule.get("minimum", 0)
    return {"array": [], "string": "", "boolean": False}[kind]


def complete_with(document, rule, root):
    rule = _resolve(rule, root)
    if not isinstance(document, dict) or rule.get("type") != "object":
        return document
    done = dict(document)
    for key in rule.get("required", []):
        if key not in done:
            done[key] = _plainest(rule["properties"][key], root)
    for key, value in done.items():
        inner = rule.get("properties", {}).get(key)
        if inner is None:
            continue
        inner = _resolve(inner, root)
        if isinstance(value, dict):
            done[key] = complete_with(value, inner, root)
        elif isinstance(value, list) and "items" in inner:
            done[key] = [complete_with(item, _resolve(inner["items"], root), root) for item in value]
    return done


def complete(document, name):
    """`document` with every required key of schema `name` present."""
    root = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return complete_with(document, root, root)
