"""The CLI starts at once: heavy libraries are imported only by the commands that use them.

Each check runs in a fresh interpreter (this test process has long imported everything) and reads
``sys.modules`` after the command, so any module-level import of a heavy library anywhere on the
CLI's import path -- including command modules added later -- fails here. The rule for command
modules: import solvers, simulators, figures and their libraries inside the command function.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pygambit", "dask", "distributed", "matplotlib", "numba", "llvmlite", "scipy", "pyarrow", "pandas")
ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from escalab.cli.app import app
args = json.loads(sys.argv[1])
if args is not None:
    try:
        app(args)
    except SystemExit:
        pass
heavy = json.loads(sys.argv[2])
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))
"""


def _heavy_after(args: list[str] | None) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [None, ["--help"], ["list"], ["validate", "docs/tutorial/blockade.yaml"],
                                  ["show", "escalate-to-deescalate"], ["sweep", "--help"], ["simulate", "--help"]],
                         ids=lambda a: "import" if a is None else " ".join(a))
def test_cheap_commands_import_no_heavy_library(args: list[str] | None) -> None:
    assert _heavy_after(args) == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The check can fail: a command that solves with pygambit does import it."""
    assert "pygambit" in _heavy_after(["solve", "deterrence-game", "--method", "nash", "--nash-method", "enumpure"])
