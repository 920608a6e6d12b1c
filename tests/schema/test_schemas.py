"""Every file gammalab writes holds to its schema (schema/*.schema.json), and the readers
of Python (gammalab.load, plots/result_files.py) and of the page (web/schema.js) accept
exactly the schema's fields: a document with one key more or one key less is refused.

The program writes each kind of file here, small: a sweep over two readouts with refined
edges, recorded curves and split seeds; the same sweep in two shards, merged; a
coordinate check, the engine's phase diagrams, the two engine.json documents and the
MLP's coordinate check and learning-rate edges (reproduce with a home of tiny specs); and the `gamma` subcommands' JSON.

Run: GAMMALAB_BINARY=build/gammalab PYTHONPATH=build/python python3 -m pytest tests/schema
"""
import copy
import csv
import json
import os
import pathlib
import re
import shutil
import subprocess

import jsonschema
import pytest

SOURCE = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = SOURCE / "schema"
GAMMALAB = os.environ.get("GAMMALAB_BINARY", str(SOURCE / "build" / "gammalab"))

SWEEP = """
[sweep]
name = "schema-check"
widths = [16, 32]
seeds = 4
schemes = ["A", "B"]
steps = 20
[learning_rate]
min = 1e-3
max = 1.0
per_decade = 2
edge_precision = 0.5
[data]
train_size = 32
test_size = 16
[model]
readout = ["sp", "mup"]
[record]
curves = true
every = 5
[analysis]
bootstrap = 50
horizons = [5]
"""

# Tiny versions of the experiments whose result files differ in kind: reproduce reads
# HOME/experiments/NAME-quick.toml and draws with HOME/plots.
HOME_SPECS = {
    "coordcheck": """
[sweep]
name = "coordcheck"
scale = "quick"
widths = [32, 64]
seeds = 2
schemes = ["A", "B"]
steps = 2
[learning_rate]
values = [1.0]
[data]
train_size = 32
test_size = 16
[analysis]
bootstrap = 20
""",
    "initab": """
[sweep]
name = "initab"
scale = "quick"
widths = [16, 32]
seeds = 2
schemes = ["A", "AB"]
steps = 10
[learning_rate]
min = 1e-3
max = 1e-1
per_decade = 1
[data]
train_size = 32
test_size = 16
[analysis]
bootstrap = 20
""",
    "variance": """
[sweep]
name = "variance"
scale = "quick"
widths = [16, 32]
seeds = 2
schemes = ["AB"]
steps = 10
[init_sigma]
min = 1e-2
max = 1
per_decade = 1
[learning_rate]
min = 1e-3
max = 1e-2
per_decade = 1
[data]
train_size = 32
test_size = 16
[analysis]
bootstrap = 20
""",
    "mlp-coordcheck": """
[mlp]
name = "mlp-coordcheck"
scale = "quick"
widths = [16, 32]
seeds = 2
parametrizations = ["sp", "mup"]
optimizers = ["sgd"]
steps = 2
batch = 4
[analysis]
bootstrap = 20
""",
    "mlp-lr": """
[mlp]
name = "mlp-lr"
scale = "quick"
widths = [16, 32]
seeds = 2
parametrizations = ["mup"]
optimizers = ["adam"]
steps = 2
batch = 4
[edge]
groups = ["hidden"]
precision = 0.5
[analysis]
bootstrap = 20
""",
}

ENGINE_COMMANDS = {
    "predict": ["gamma", "predict", "--scheme", "A", "--steps", "3", "--json"],
    "predict-fixed": ["gamma", "predict", "--scheme", "B", "--eta", "-1", "--json"],
    "solve": ["gamma", "solve", "--scheme", "A", "--json"],
    "solve-rank": ["gamma", "solve", "--scheme", "B", "--rho", "free", "--json"],
    "explain": ["gamma", "explain", "--scheme", "A", "--steps", "2", "--json"],
    "phase": ["gamma", "phase", "--scheme", "A", "--x", "eta_A", "--y", "eta_B", "--json"],
    "table": ["gamma", "table", "--json"],
    "mlp": ["gamma", "mlp", "--parametrization", "sp", "--predict", "--explain", "--json"],
    "mlp-table": ["gamma", "mlp", "--table", "--layers", "2", "--json"],
}


# The `gamma` subcommands' documents (and reproduce phase's phase-*.json) share one
# schema, told apart by their "command".
SCHEMA_OF = {kind: "gamma" for kind in ("predict", "solve", "explain", "phase", "table")}
SCHEMA_OF["mlp"] = "mlp"  # `gamma mlp`, with --table too


def schema(kind):
    return json.loads((SCHEMAS / f"{SCHEMA_OF.get(kind, kind)}.schema.json").read_text())


def run(*arguments, cwd=None):
    done = subprocess.run([GAMMALAB, *arguments], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"gammalab {' '.join(arguments)}: {done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every kind of file, as gammalab writes it: {schema name: [(path or label, document)]}."""
    root = tmp_path_factory.mktemp("written")
    spec = root / "sweep.toml"
    spec.write_text(SWEEP)
    run("sweep", str(spec), "-o", str(root / "sweep"), "--threads", "2")
    run("analyze", str(root / "sweep"), "--split-seeds")
    for index in (1, 2):
        run("sweep", str(spec), "-o", str(root / f"shard{index}"), "--shard", f"{index}/2", "--threads", "2")
    run("merge", str(root / "shard1"), str(root / "shard2"), "-o", str(root / "merged"))
    home = root / "home"
    (home / "experiments").mkdir(parents=True)
    (home / "plots").symlink_to(SOURCE / "plots")
    for name, text in HOME_SPECS.items():
        (home / "experiments" / f"{name}-quick.toml").write_text(text)
        run("reproduce", name, "--scale", "quick", "--home", str(home), "-o", str(root / name), "--threads", "2")
    run("reproduce", "phase", "--home", str(home), "-o", str(root / "phase"))

    files = {}

    def add(kind, path):
        files.setdefault(kind, []).append((str(path), json.loads(pathlib.Path(path).read_text())))

    for directory in ("sweep", "shard1", "shard2", "merged", "coordcheck", "initab", "variance", "phase", "mlp-coordcheck", "mlp-lr"):
        add("manifest", root / directory / "manifest.json")
    for name in ("mlp-coordcheck", "mlp-lr"):
        add(name, root / name / f"{name}.json")
    for directory in ("sweep", "merged", "initab", "variance"):
        add("summary", root / directory / "summary.json")
    add("split-seeds", root / "sweep" / "split-seeds.json")
    for path in sorted((root / "coordcheck").glob("coordcheck-*.json")):
        add("coordcheck", path)
    for path in sorted((root / "phase").glob("phase-*.json")):
        add("phase", path)
    for directory in ("initab", "variance"):
        add("engine", root / directory / "engine.json")
    for label, arguments in ENGINE_COMMANDS.items():
        document = json.loads(run(*arguments))
        files.setdefault(arguments[1], []).append((f"gammalab {' '.join(arguments)}", document))
    files["_root"] = root
    return files


def csv_rows(path):
    """A result CSV's rows as objects of typed cells, typed as its schema says."""
    name = pathlib.Path(path).stem
    rules = schema(name)
    patterns = rules.get("patternProperties", {})
    cast = {"integer": int, "number": float, "string": str, "boolean": lambda text: {"0": False, "1": True}[text]}
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames
        rows = []
        for row in reader:
            typed = {}
            for column, text in row.items():
                rule = rules["properties"].get(column) or next(
                    (r for p, r in patterns.items() if re.search(p, column)), {"type": "string"})
                typed[column] = cast[rule["type"]](text)
            rows.append(typed)
    return header, rows


KINDS = ["manifest", "summary", "split-seeds", "coordcheck", "phase", "engine", "predict", "solve", "explain", "table", "mlp",
         "mlp-coordcheck", "mlp-lr"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_document_holds_to_its_schema(written, kind):
    validator = jsonschema.Draft202012Validator(schema(kind))
    assert written.get(kind), f"no {kind} document was written"
    for origin, document in written[kind]:
        errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
        assert not errors, f"{origin}:\n" + "\n".join(errors[:10])


def test_split_seed_summaries_hold_to_the_summary_schema(written):
    validator = jsonschema.Draft202012Validator(schema("summary"))
    for origin, document in written["split-seeds"]:
        for half in document["summaries"]:
            assert not list(validator.iter_errors(half)), origin


def test_every_schema_is_valid_and_uses_only_what_the_page_reads():
    """Each schema is a valid JSON Schema, and uses only the keywords web/schema.js knows."""
    keywords = set(re.search(r"SCHEMA_KEYWORDS = new Set\(\[(.*?)\]\)", (SOURCE / "web" / "schema.js").read_text(),
                             re.S).group(1).replace("'", "").replace("\n", "").replace(" ", "").strip(",").split(","))

    def used(node, found):
        if isinstance(node, dict):
            for key, value in node.items():
                found.add(key)
                if key in ("properties", "patternProperties", "$defs"):
                    for sub in value.values():
                        used(sub, found)
                elif key not in ("enum", "const", "required", "description", "title", "x-csv"):
                    used(value, found)
        elif isinstance(node, list):
            for item in node:
                used(item, found)
        return found

    for path in sorted(SCHEMAS.glob("*.schema.json")):
        document = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(document)
        unknown = used(document, set()) - keywords
        assert not unknown, f"{path.name} uses {sorted(unknown)}, which web/schema.js does not read"


def test_the_csv_files_hold_to_their_schemas_in_column_order(written):
    root = written["_root"]
    runs_schema = schema("runs")
    for directory in ("sweep", "merged"):
        header, rows = csv_rows(root / directory / "runs.csv")
        fixed = list(runs_schema["properties"])
        assert header[: len(fixed)] == fixed  # the writer's order is the schema's
        assert header[len(fixed):] == ["max_train_loss_at_5", "rms_Z_B_at_5", "max_train_loss_at_20", "rms_Z_B_at_20"]
        assert any(row["round"] > 0 for row in rows), "the refinement wrote no row"
        validator = jsonschema.Draft202012Validator(runs_schema)
        for row in rows:
            assert not list(validator.iter_errors(row)), row
        header, rows = csv_rows(root / directory / "curves.csv")
        assert header == list(schema("curves")["properties"]) and rows
        for row in rows:
            assert not list(jsonschema.Draft202012Validator(schema("curves")).iter_errors(row)), row


def test_versions_in_the_schemas_are_the_programs(written):
    """The version each schema states is the one the program writes (and one newer is refused below)."""
    for kind in ("manifest", "summary", "split-seeds", "coordcheck", "mlp-coordcheck", "mlp-lr"):
        stated = schema(kind)["properties"]["version"]["const"]
        assert {document["version"] for _, document in written[kind]} == {stated}


def test_gammalab_schema_prints_the_same_files():
    assert set(run("schema").strip().split(", ")) == {
        p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")}
    assert json.loads(run("schema", "summary")) == schema("summary")
    done = subprocess.run([GAMMALAB, "schema", "nonsense"], capture_output=True, text=True)
    assert done.returncode == 2 and "accepted: " in done.stderr


# ---- the readers accept exactly the schema's fields ---------------------------------

def mutations(document):
    """The document with one key more at the top, and with each required key removed."""
    extra = copy.deepcopy(document)
    extra["not_a_field"] = 1
    yield "a key more", extra
    newer = copy.deepcopy(document)
    newer["version"] = newer.get("version", 0) + 100
    yield "a newer version", newer
    for key in list(document)[:3]:
        fewer = copy.deepcopy(document)
        del fewer[key]
        yield f"without {key}", fewer


def test_python_reader_refuses_a_field_more_or_less(written, tmp_path):
    import gammalab

    root = written["_root"]
    for name, kind in (("manifest.json", "manifest"), ("summary.json", "summary")):
        original = json.loads((root / "sweep" / name).read_text())
        for what, changed in mutations(original):
            if what.startswith("without") and what.split()[-1] not in schema(kind)["required"]:
                continue
            copy_dir = tmp_path / f"{kind}-{what.replace(' ', '-')}"
            shutil.copytree(root / "sweep", copy_dir)
            (copy_dir / name).write_text(json.dumps(changed))
            with pytest.raises(gammalab.InputError, match=re.escape(name)):
                gammalab.load(copy_dir)
    assert gammalab.load(root / "sweep").summary is not None  # the unchanged directory loads


def test_plot_reader_refuses_a_field_more(written, tmp_path):
    import sys

    sys.path.insert(0, str(SOURCE / "plots"))
    import result_files

    copy_dir = tmp_path / "sweep"
    shutil.copytree(written["_root"] / "sweep", copy_dir)
    summary = json.loads((copy_dir / "summary.json").read_text())
    summary["schemes"][0]["not_a_field"] = True
    (copy_dir / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(SystemExit, match="not_a_field|Additional properties"):
        result_files.summary(copy_dir)


def test_page_reader_accepts_exactly_the_schemas_fields(written, tmp_path):
    """web/schema.js, run by node on every written document and on its mutations."""
    cases = []
    for kind in ("manifest", "summary", "split-seeds", "coordcheck", "phase", "engine"):
        for origin, document in written[kind]:
            cases.append({"schema": SCHEMA_OF.get(kind, kind), "origin": origin, "document": document, "valid": True})
        _, document = written[kind][0]
        for what, changed in mutations(document):
            required = schema(kind).get("required", [])
            if what.startswith("without") and what.split()[-1] not in required:
                continue
            if what == "a newer version" and "version" not in schema(kind).get("properties", {}):
                continue
            cases.append({"schema": SCHEMA_OF.get(kind, kind), "origin": f"{kind}: {what}", "document": changed, "valid": False})
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    script = """
const { schemaErrors } = require(process.argv[1]);
const fs = require('fs');
const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const wrong = [];
for (const c of cases) {
  const schema = JSON.parse(fs.readFileSync(`${process.argv[3]}/${c.schema}.schema.json`, 'utf8'));
  const errors = schemaErrors(schema, c.document);
  if ((errors.length === 0) !== c.valid) wrong.push(`${c.origin}: ${c.valid ? errors.slice(0, 3).join('; ') : 'accepted'}`);
}
console.log(JSON.stringify({ checked: cases.length, wrong }));
"""
    done = subprocess.run(["node", "-e", script, str(SOURCE / "web" / "schema.js"), str(tmp_path / "cases.json"), str(SCHEMAS)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["checked"] == len(cases) and not result["wrong"], "\n".join(result["wrong"])
