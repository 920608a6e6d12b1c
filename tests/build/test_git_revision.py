"""cmake/git_revision.cmake, the revision that manifests name: run in throwaway git
repositories, it writes the commit, marks a tree whose tracked files changed as dirty,
says "unknown" outside git, and leaves the header untouched when its text is the same
(so that a build recompiles nothing for it)."""
import os
import pathlib
import shutil
import subprocess

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "cmake" / "git_revision.cmake"
CMAKE = os.environ.get("GAMMALAB_CMAKE") or shutil.which("cmake")


def git(tree, *args):
    return subprocess.run(["git", *args], cwd=tree, check=True, capture_output=True, text=True).stdout.strip()


def revision_header(tree, out):
    subprocess.run([CMAKE, f"-DSOURCE_DIR={tree}", f"-DOUTPUT={out}", "-P", str(SCRIPT)], check=True)
    return out.read_text()


def committed_tree(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    git(tree, "init", "-q")
    (tree / "a.txt").write_text("one\n")
    git(tree, "add", "a.txt")
    git(tree, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first")
    return tree


def test_names_the_commit_and_marks_changed_tracked_files(tmp_path):
    tree, out = committed_tree(tmp_path), tmp_path / "generated" / "git_revision.hpp"
    short = git(tree, "rev-parse", "--short", "HEAD")
    assert f'#define GAMMALAB_GIT_REVISION "{short}"\n' in revision_header(tree, out)
    (tree / "untracked.txt").write_text("not part of the build\n")
    assert f'"{short}"' in revision_header(tree, out)
    (tree / "a.txt").write_text("two\n")
    assert f'"{short}-dirty"' in revision_header(tree, out)


def test_unknown_outside_git(tmp_path):
    tree = tmp_path / "plain"
    tree.mkdir()
    assert '#define GAMMALAB_GIT_REVISION "unknown"' in revision_header(tree, tmp_path / "out.hpp")


def test_an_unchanged_revision_leaves_the_header_untouched(tmp_path):
    tree, out = committed_tree(tmp_path), tmp_path / "out.hpp"
    revision_header(tree, out)
    os.utime(out, (1_000_000_000, 1_000_000_000))
    revision_header(tree, out)
    assert out.stat().st_mtime == 1_000_000_000
    (tree / "a.txt").write_text("changed\n")
    revision_header(tree, out)
    assert out.stat().st_mtime != 1_000_000_000
