"""Where the tests find the program: $GAMMALAB_BINARY (ctest sets it), else build/gammalab."""
import json
import os
import pathlib
import subprocess

import pytest

SOURCE = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("GAMMALAB_BINARY", str(SOURCE / "build" / "gammalab"))


def run_cli(*arguments, check=True):
    """Runs the program; returns (exit status, stdout, stderr)."""
    done = subprocess.run([BINARY, *arguments], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"gammalab {' '.join(arguments)} failed ({done.returncode}): {done.stderr}")
    return done.returncode, done.stdout, done.stderr


def cli_json(*arguments):
    return json.loads(run_cli(*arguments, "--json")[1])


@pytest.fixture
def source():
    return SOURCE
