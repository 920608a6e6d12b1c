"""The architecture as the docs state it holds in the code.

- sim/'s three rooms include only downwards: model ← sweep ← analysis (docs/design.md,
  "Layout and dependency rules"). The model (teacher, student, initialisers, optimizers, trainers, backends)
  knows nothing of sweeps; the sweep machinery (spec, plan, result directory, merge,
  refinement, and the edge and optimum of one seed's runs that refinement probes)
  nothing of the analysis; nothing in sim/ includes the CLI (app/) or the experiments.
- docs/extending.md names every file a new scheme or optimizer touches, and a grep of
  the tree finds exactly those files.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/docs
"""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROOM_ORDER = ["model", "sweep", "analysis"]
SOURCE_SUFFIXES = {".cpp", ".hpp", ".cu", ".cuh", ".h"}


def includes(path):
    return re.findall(r'^\s*#\s*include\s+"([^"]+)"', path.read_text(), re.MULTILINE)


def test_sim_is_three_rooms():
    loose = [p.name for p in (ROOT / "sim").iterdir() if p.suffix in SOURCE_SUFFIXES]
    assert loose == [], f"sources in sim/ outside a room: {loose}"
    assert sorted(p.name for p in (ROOT / "sim").iterdir() if p.is_dir()) == sorted(ROOM_ORDER)


@pytest.mark.parametrize("room", ROOM_ORDER)
def test_rooms_include_only_downwards(room):
    allowed = {f"sim/{lower}/" for lower in ROOM_ORDER[: ROOM_ORDER.index(room) + 1]}
    upward = []
    for path in sorted((ROOT / "sim" / room).iterdir()):
        if path.suffix not in SOURCE_SUFFIXES:
            continue
        for included in includes(path):
            if included.startswith(("app/", "experiments/", "python/", "cuda/")) or (
                    included.startswith("sim/") and not included.startswith(tuple(allowed))):
                upward.append(f"{path.relative_to(ROOT)} includes {included}")
    assert upward == []


def test_the_check_sees_an_upward_include(tmp_path):
    """The rule above would catch a model file that included the analysis."""
    planted = tmp_path / "trainer.cpp"
    planted.write_text('#include "sim/model/trainer.hpp"\n#include "sim/analysis/statistics.hpp"\n')
    assert [i for i in includes(planted) if not i.startswith("sim/model/")] == ["sim/analysis/statistics.hpp"]


def tree_files():
    return [p for p in ROOT.rglob("*") if p.is_file() and not any(
        part.startswith((".", "build", "node_modules")) for part in p.relative_to(ROOT).parts)]


def documented_files(section):
    """The repository paths docs/extending.md cites in backticks in the items of the lists
    under a ## heading (its prose may name further files, such as the tests that check)."""
    text = (ROOT / "docs/extending.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^(?:\d+\.|-) .*(?:\n   .*|\n  .*)*", body, re.MULTILINE)
    return {path for item in items for path in re.findall(r"`([\w./-]+\.(?:cpp|hpp|cu|cuh|toml))`", item)}


def scheme_names():
    return re.findall(r'^\s*\{"([\w-]+)", "', (ROOT / "gamma/scheme.cpp").read_text(), re.MULTILINE)


def test_extending_a_scheme_names_every_list_of_schemes():
    names = scheme_names()
    assert len(names) >= 9 and "milora" in names
    listing_all = {str(p.relative_to(ROOT)) for p in tree_files()
                   if p.suffix in SOURCE_SUFFIXES | {".toml"} and all(f'"{n}"' in p.read_text(errors="ignore") for n in names)}
    assert listing_all == documented_files("Adding a scheme")


def test_extending_an_optimizer_names_every_place_that_handles_one():
    pattern = re.compile(r"case\s+(?:\w+::)*Optimizer::|Optimizer::\w+\s*[,}]\s*\"|struct\s+\w+Rule\b|enum class Optimizer\b")
    handling = {str(p.relative_to(ROOT)) for p in tree_files()
                if p.suffix in SOURCE_SUFFIXES and not p.relative_to(ROOT).parts[0] == "tests" and pattern.search(p.read_text())}
    assert handling == documented_files("Adding an optimizer")
