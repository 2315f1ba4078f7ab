"""The README's two set-up commands work on a stock Debian or Ubuntu python3 (PEP 668: its pip refuses
to install) and inside another virtual environment: they make their own .venv and only ever install
there; CI runs the second one verbatim."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    assert block, "README.md must open with a ```bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def steps(command: str) -> list[list[str]]:
    return [shlex.split(step) for step in command.split("&&")]


def test_the_readme_opens_with_two_commands_the_run_and_the_suite() -> None:
    run, suite = readme_commands()
    assert steps(run)[-1] == [".venv/bin/escalab", "run"]
    assert steps(suite)[-1] == [".venv/bin/python", "-m", "pytest"]
    assert steps(suite)[-2][-1] == ".[test]"


def test_the_commands_install_only_into_their_own_virtual_environment() -> None:
    for command in readme_commands():
        make, install, use = steps(command)
        # --without-pip: Debian's python3 has no ensurepip unless python3-venv is installed
        assert make == ["python3", "-m", "venv", "--without-pip", ".venv"]
        # the pip at hand installs into .venv, never into the interpreter it belongs to
        assert install[:6] == ["python3", "-m", "pip", "--python", ".venv", "install"]
        assert use[0].startswith(".venv/bin/")
        # no bare `pip` or `python`: neither exists on a stock Debian
        assert not {step[0] for step in steps(command)} & {"pip", "pip3", "python"}


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in lines


def test_the_virtual_environment_is_not_committed() -> None:
    assert ".venv/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
