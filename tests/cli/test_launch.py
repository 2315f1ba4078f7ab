"""The `escalab` script starts a command's workers before the CLI's own imports (escalab.cli.launch),
and the command works with them -- or without them, whatever the command line says."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from escalab.cli.launch import PLOT_MODULE, SIMULATE_MODULES, SWEEP_MODULES, planned_pool

SWEEP = ("escalab.solve.sweep", PLOT_MODULE)


@pytest.mark.parametrize("argv, plan", [
    (["sweep", "chicken", "--grid", "a=0:1:3", "--workers", "2"], (2, (), SWEEP)),
    (["sweep", "--workers=3", "--grid", "a=0:1:3"], (3, (), SWEEP)),
    (["--limit", "sweep-points=10", "sweep", "--workers", "2", "-g", "a=0:1:3"], (2, (), SWEEP)),
    (["sweep", "--workers", "2", "--no-figure"], (2, (), SWEEP_MODULES)),
    (["sweep", "--workers", "2", "-g", "a=0:1:3", "-g", "b=0:1:3", "--grid=c=0:1:3"], (2, (), SWEEP_MODULES)),
    (["simulate", "kahn-game", "-w", "2", "--runs", "100"], (2, SIMULATE_MODULES, ())),
    (["simulate", "--workers", "4"], (4, SIMULATE_MODULES, ())),
    (["sweep", "--workers", "1"], None),                        # one worker: no pool at all
    (["sweep", "--workers", "two"], None),                      # left for the command to refuse
    (["sweep", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], None),
    (["sweep", "--workers", "2", "--scheduler=tcp://127.0.0.1:8786"], None),
    (["sweep", "--workers", "2", "--exact"], None),
    (["simulate", "--workers", "2", "--exact"], None),
    (["sweep", "-w", "2"], None),                               # sweep has no -w
    (["sweep", "--workers", "2", "--help"], None),
    (["sweep", "--", "--workers", "2"], None),
    (["run", "--workers", "2"], None),
    (["--limit", "sweep", "--workers", "2"], None),             # "sweep" is the limit's value here
    (["--help"], None),
    ([], None),
])
def test_which_command_lines_start_workers_early(argv: list[str], plan) -> None:
    assert planned_pool(argv) == plan


def test_the_simulate_modules_are_the_monte_carlo_workers_own() -> None:
    from escalab.simulate.montecarlo import WARM_MODULES

    assert SIMULATE_MODULES == WARM_MODULES


# The script as installed, in a fresh interpreter; records, for every pool made, whether Typer had
# been imported by then, and how many pools there were.
PROBE = textwrap.dedent("""
    import atexit, sys
    from escalab import workers

    made = []
    real_init = workers.WorkerPool.__init__

    def init(self, *args, **kwargs):
        made.append("typer" in sys.modules)
        real_init(self, *args, **kwargs)

    workers.WorkerPool.__init__ = init
    atexit.register(lambda: print("POOLS", made, file=sys.stderr))
    sys.argv = ["escalab", *sys.argv[1:]]
    from escalab.cli.launch import main
    main()
""")


def _escalab(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_a_sweeps_workers_start_before_the_cli_and_the_command_uses_them(tmp_path: Path) -> None:
    sweep = ["sweep", "deterrence-game", "--grid", "v=0:1:41", "--grid", "c_C=0:2:31", "--chunk", "64"]
    proc = _escalab(sweep + ["--workers", "2", "--out", "out"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "POOLS [False]" in proc.stderr              # one pool, made before Typer was imported
    assert (tmp_path / "out" / "phase-diagram.png").stat().st_size > 0
    one = _escalab(sweep + ["--out", "one"], tmp_path)          # the same sweep in one process
    assert "POOLS []" in one.stderr
    assert (tmp_path / "out" / "sweep.csv").read_bytes() == (tmp_path / "one" / "sweep.csv").read_bytes()


def test_a_monte_carlo_run_takes_the_pool_started_at_launch(tmp_path: Path) -> None:
    proc = _escalab(["simulate", "kahn-game", "--runs", "20000", "-w", "2", "--out", "mc"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "POOLS [False]" in proc.stderr


def test_a_command_that_fails_before_taking_its_pool_exits_cleanly(tmp_path: Path) -> None:
    proc = _escalab(["sweep", "no-such-scenario", "--grid", "v=0:1:3", "--workers", "2"], tmp_path)
    assert proc.returncode == 2
    assert "no-such-scenario" in proc.stderr and "Traceback" not in proc.stderr
    assert "POOLS [False]" in proc.stderr


def test_the_console_script_is_the_launcher() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["escalab"] == "escalab.cli.launch:main"


def test_the_launcher_forks_from_a_process_that_has_imported_almost_nothing() -> None:
    probe = ("import sys; from escalab.cli.launch import planned_pool; from escalab.workers import launch_pool; "
             "print(sorted(m for m in ('typer', 'rich', 'click', 'numpy', 'pydantic', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
