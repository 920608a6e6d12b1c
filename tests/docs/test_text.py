"""The project's prose stays true: every link in README.md and docs/ (the Markdown files
and the tour notebook's text) reaches a file that exists and, with a #fragment, a heading
of that file; every section a comment names ("docs/simulator.md, "The spec file"") is a
heading of that file; every source path the docs cite in backticks (`sim/sweep/optimum.hpp`)
exists; and no text in the tree names a tracker's issue by its number.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/docs
"""
import json
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEXT_SUFFIXES = {".cpp", ".hpp", ".cu", ".cuh", ".h", ".py", ".js", ".mjs", ".html", ".css", ".md", ".toml",
                 ".sh", ".txt", ".cmake", ".json", ".ipynb", ".yml", ".yaml"}


def tracked_files():
    """The tree's files as git sees them (tracked, and new ones not ignored); every file
    outside build folders and hidden ones where there is no git."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.split("\n")
        return [ROOT / name for name in listed if name and (ROOT / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        return [path for path in ROOT.rglob("*") if path.is_file()
                and not any(part.startswith((".", "build")) for part in path.relative_to(ROOT).parts)]


def text_files():
    return [path for path in tracked_files()
            if path.suffix in TEXT_SUFFIXES or path.name == "CMakeLists.txt" or path.parent.name == "scripts"]


def documents():
    """README.md, docs/*.md and docs/*.ipynb, each with its prose (a notebook's Markdown cells)."""
    found = {ROOT / "README.md": (ROOT / "README.md").read_text()}
    for path in sorted((ROOT / "docs").glob("*.md")):
        found[path] = path.read_text()
    for path in sorted((ROOT / "docs").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        found[path] = "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return found


def without_code(markdown):
    """The Markdown with fenced code blocks and inline code spans blanked out."""
    markdown = re.sub(r"^(```|~~~).*?^\1", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "``", markdown)


def heading_text(heading):
    """A heading's text as it reads: code marks, emphasis and link targets dropped."""
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[`*]", "", heading).strip()


def anchor(heading):
    """GitHub's anchor of a heading: its text lowercased, punctuation dropped (letters,
    digits, '_', '-' and spaces kept), each space a '-'."""
    return re.sub(r"[^\w\- ]", "", heading_text(heading).lower()).replace(" ", "-")


def headings(path):
    """The headings of a Markdown file (outside code blocks), in order."""
    text = re.sub(r"^(```|~~~).*?^\1", "", path.read_text(), flags=re.S | re.M)
    return [match.group(1) for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.M)]


def anchors(path):
    """Every anchor of a Markdown file; a repeated one gets -1, -2, … as on GitHub."""
    seen, found = {}, set()
    for heading in headings(path):
        base = anchor(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text):
    """The targets of the Markdown links and images of a text, code left out."""
    prose = without_code(text)
    inline = re.findall(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", prose)
    referenced = re.findall(r"^\s*\[[^\]]+\]:\s*(\S+)", prose, flags=re.M)
    return inline + referenced


def broken_link(document, target):
    """What is wrong with a link from a document: None when it resolves."""
    if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: … are not checked here
        return None
    path_part, _, fragment = target.partition("#")
    path = document if not path_part else (document.parent / path_part).resolve()
    if not path.exists():
        return f"{path_part}: no such file"
    if fragment and path.suffix == ".md" and fragment not in anchors(path):
        return f"#{fragment}: no such heading in {path.name}"
    return None


@pytest.mark.parametrize("document", list(documents()), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(document):
    text = documents()[document]
    broken = [f"({target}) {why}" for target in links(text) if (why := broken_link(document, target))]
    assert not broken, f"{document.relative_to(ROOT)}: " + "; ".join(broken)


def test_every_cited_source_path_exists():
    """A path in backticks that starts at a top-level folder (`sim/sweep/optimum.hpp`, or a stem
    such as `sim/sweep/work_plan`, or a pattern such as `experiments/NAME-SCALE.toml`) names
    something in the tree."""
    # results/ is where runs write (git ignores it): a path under it names an output, which
    # exists or not depending on what ran here, not a source.
    top = {path.name for path in ROOT.iterdir()
           if path.is_dir() and not path.name.startswith((".", "build")) and path.name != "results"}
    missing = []
    for document, text in documents().items():
        for cited in re.findall(r"`([^`\s]+/[^`\s]*)`", text):
            cited = cited.rstrip(".,:;").split("#")[0]
            if cited.split("/")[0] not in top:
                continue
            pattern = re.sub(r"\b[A-Z][A-Z_]+\b", "*", cited)  # NAME, SCALE: placeholders
            stems = [pattern] + [pattern + suffix for suffix in (".hpp", ".cpp", ".cu", ".cuh", ".py")]
            if not any(any(ROOT.glob(stem)) for stem in stems):
                missing.append(f"{document.relative_to(ROOT)}: `{cited}`")
    assert not missing, "cited paths that do not exist: " + "; ".join(missing)


# A comment's pointer to a section: docs/NAME.md (or README.md, or README), then the
# section's title in quotes, e.g. (docs/simulator.md, "The spec file").
SECTION_POINTER = re.compile(r"((?:docs/)?[\w-]+\.md|README),\s*(?:(?://|#)\s*)?"
                             r"(?:\"([^\"]{1,120})\"|'([^']{1,120})'|“([^”]{1,120})”)")


def test_every_section_a_comment_names_is_a_heading():
    wrong = []
    for path in text_files():
        if path.suffix == ".md" or path == pathlib.Path(__file__).resolve():
            continue
        for match in SECTION_POINTER.finditer(path.read_text(errors="replace")):
            quoted = next(group for group in match.groups()[1:] if group is not None)
            name, section = match.group(1), re.sub(r"\s*\n\s*(?://|#)?\s*", " ", quoted)
            name = "README.md" if name == "README" else name
            document = ROOT / name if (ROOT / name).exists() else ROOT / "docs" / name
            if not document.exists():
                wrong.append(f"{path.relative_to(ROOT)}: {name} does not exist")
            elif heading_text(section).lower() not in {heading_text(h).lower() for h in headings(document)}:
                wrong.append(f"{path.relative_to(ROOT)}: {name} has no section \"{section}\"")
    assert not wrong, "; ".join(wrong)


# The word issue (or issues) then a number, with spaces, '-', '_' or '#' between: a
# tracker's number, which means nothing to a reader of the tree.
ISSUE_NUMBER = re.compile(r"\bissues?[\s_-]*#?\d", re.I)


def test_no_text_names_an_issue_by_number():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
             for path in text_files()
             for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
             if ISSUE_NUMBER.search(line)]
    assert not found, "issue numbers in the tree:\n" + "\n".join(found)


def test_the_checks_catch_what_they_are_for(tmp_path):
    """The rules above on small texts: they would fail on the faults they exist for."""
    assert anchor("`gammalab analyze DIR`") == "gammalab-analyze-dir"
    assert anchor("Paper scale, H200: widths 2^7 … 2^16, both readouts") == "paper-scale-h200-widths-27--216-both-readouts"
    assert anchor("`variance`: the initial scale σ") == "variance-the-initial-scale-σ"
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Quick scale\n\n## Quick scale\n\n```\n## not a heading\n```\n")
    assert anchors(page) == {"title", "quick-scale", "quick-scale-1"}
    assert broken_link(page, "#quick-scale-1") is None
    assert broken_link(page, "#not-a-heading") is not None
    assert broken_link(page, "missing.md") is not None
    assert links("see [a](a.md#x), ![b](b.png) and `[c](c.md)`\n```\n[d](d.md)\n```\n") == ["a.md#x", "b.png"]
    assert ISSUE_NUMBER.search("a title that says Issue" " 17:") and ISSUE_NUMBER.search("(issue" "-12's check)")
    assert ISSUE_NUMBER.search("issues" " #13 and 14")
    assert not ISSUE_NUMBER.search("the kernels became issue-bound at 12 cycles")
    pointer = SECTION_POINTER.search('// reference (docs/simulator.md, "The spec\n// file").')
    assert pointer and pointer.group(1) == "docs/simulator.md"
    assert SECTION_POINTER.search('# the optimum (README, "Figure 2")').group(1) == "README"
