"""The `escalab` script starts a command's workers before the CLI's own imports (escalab.cli.launch),
and the command works with them -- or without them, whatever the command line says."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from escalab.cli.launch import PLOT_MODULE, SIMULATE_MODULES, SWEEP_MODULES, PoolPlan, planned_pool

SWEEP = PoolPlan(2, (), (PLOT_MODULE,), SWEEP_MODULES)      # the solver inherited, the figure's module first
BARE = PoolPlan(2, (), (), SWEEP_MODULES)


@pytest.mark.parametrize("argv, plan", [
    (["sweep", "chicken", "--grid", "a=0:1:3", "--workers", "2"], SWEEP),
    (["sweep", "--workers=3", "--grid", "a=0:1:3"], SWEEP._replace(workers=3)),
    (["--limit", "sweep-points=10", "sweep", "--workers", "2", "-g", "a=0:1:3"], SWEEP),
    (["sweep", "--workers", "2", "--no-figure"], BARE),
    (["sweep", "--workers", "2", "-g", "a=0:1:3", "-g", "b=0:1:3", "--grid=c=0:1:3"], BARE),
    (["simulate", "kahn-game", "-w", "2", "--runs", "100"], PoolPlan(2, SIMULATE_MODULES, (), ())),
    (["simulate", "--workers", "4"], PoolPlan(4, SIMULATE_MODULES, (), ())),
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


# The script as installed, in a fresh interpreter; records, for every pool made, whether Typer and
# the sweep's solver had been imported by then and whether objects had been frozen for the fork.
PROBE = textwrap.dedent("""
    import atexit, gc, sys
    from escalab import workers

    made = []
    real_init = workers.WorkerPool.__init__

    def init(self, *args, **kwargs):
        made.append(("typer" in sys.modules, "escalab.solve.sweep" in sys.modules, gc.get_freeze_count() > 0))
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
    # one pool, made before Typer was imported, after the solver the worker inherits
    assert "POOLS [(False, True, True)]" in proc.stderr
    assert (tmp_path / "out" / "phase-diagram.png").stat().st_size > 0
    one = _escalab(sweep + ["--out", "one"], tmp_path)          # the same sweep in one process
    assert "POOLS []" in one.stderr
    assert (tmp_path / "out" / "sweep.csv").read_bytes() == (tmp_path / "one" / "sweep.csv").read_bytes()


def test_a_monte_carlo_run_takes_the_pool_started_at_launch(tmp_path: Path) -> None:
    proc = _escalab(["simulate", "kahn-game", "--runs", "20000", "-w", "2", "--out", "mc"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "POOLS [(False, False, False)]" in proc.stderr       # its workers import the kernel themselves


def test_a_command_that_fails_before_taking_its_pool_exits_cleanly(tmp_path: Path) -> None:
    proc = _escalab(["sweep", "no-such-scenario", "--grid", "v=0:1:3", "--workers", "2"], tmp_path)
    assert proc.returncode == 2
    assert "no-such-scenario" in proc.stderr and "Traceback" not in proc.stderr
    assert "POOLS [(False, True, True)]" in proc.stderr


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


FREEZE_PROBE = textwrap.dedent("""
    import atexit, gc, sys
    atexit.register(lambda: print("LEFT", len(gc.get_objects()), "FROZEN", gc.get_freeze_count(), file=sys.stderr))
    sys.argv = ["escalab", *sys.argv[1:]]
    from escalab.cli.launch import main
    main()
""")


@pytest.mark.parametrize("args, code", [(["list"], 0), (["show", "no-such-scenario"], 2)])
def test_the_interpreters_exit_has_no_objects_left_to_walk(args: list[str], code: int) -> None:
    """What the command made is frozen when it ends, successfully or not, so the collector's
    passes at interpreter exit skip it; the exit code and the output are the command's."""
    proc = subprocess.run([sys.executable, "-c", FREEZE_PROBE, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    left, frozen = (int(w) for w in proc.stderr.split("LEFT", 1)[1].split()[::2][:2])
    assert frozen > 20_000 and left < frozen / 20, proc.stderr[-300:]
    if code == 0:
        assert "escalate-to-deescalate" in proc.stdout
    else:
        assert "no-such-scenario" in proc.stderr and "Traceback" not in proc.stderr
