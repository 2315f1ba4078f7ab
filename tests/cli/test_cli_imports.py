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
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def _heavy_after(args: list[str] | None, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(heavy)], capture_output=True,
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


# What the start-up budget of issue 11 (within 4x ``python -c "import numpy"``) leaves no room for:
# --help needs neither the scenario language nor NumPy, list reads the built-ins without pydantic
# models (escalab.scenario.catalog), validate needs the language but not NumPy or the model layer.
# (typer itself imports pydantic to coerce options, so pydantic is not on these lists.)
SCENARIO_LANGUAGE = ("escalab.scenario.schema", "escalab.scenario.loader", "escalab.scenario.semantics")
NOT_AT_START = {
    "import": ("numpy", "yaml", "pydantic", "rich.progress", "escalab.model", "escalab.report") + SCENARIO_LANGUAGE,
    "--help": ("numpy", "yaml", "pydantic", "rich.progress", "escalab.model", "escalab.report") + SCENARIO_LANGUAGE,
    "list": ("numpy", "rich.progress", "escalab.model", "escalab.report") + SCENARIO_LANGUAGE,
    "validate": ("numpy", "rich.progress", "escalab.model", "escalab.report"),
}


@pytest.mark.parametrize("command", sorted(NOT_AT_START))
def test_start_up_imports_only_what_the_command_needs(command: str) -> None:
    args = {"import": None, "--help": ["--help"], "list": ["list"],
            "validate": ["validate", "docs/tutorial/blockade.yaml"]}[command]
    assert _heavy_after(args, NOT_AT_START[command]) == []


def test_the_probe_sees_the_scenario_language() -> None:
    """The check can fail: show loads the scenario it shows."""
    assert _heavy_after(["show", "escalate-to-deescalate"], SCENARIO_LANGUAGE) == sorted(SCENARIO_LANGUAGE)


def test_compile_finds_the_model_layer_on_first_use() -> None:
    """``import escalab`` no longer imports the model; Scenario.compile() must still find its compilers."""
    code = ("import sys; from escalab.scenario import load; s = load('kahn-game'); "
            "assert 'escalab.model' not in sys.modules; print(type(s.compile()).__name__, "
            "type(load('deterrence-game').compile()).__name__)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["LadderGame", "ExtensiveGame"]


def test_the_cli_knows_every_document_kind() -> None:
    from escalab.cli.app import DOCUMENT_KINDS
    from escalab.scenario.schema import DOCUMENT_KINDS as MODELS
    assert DOCUMENT_KINDS == tuple(MODELS)
