"""Issue 8: Ctrl-C during a sweep leaves the previous complete set of files (or nothing new) and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)
CLI = [sys.executable, "-c", "from escalab.cli.app import main; main()"]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _sweep_interrupted(cli: list[str], out: Path, extra: list[str], cpu: float) -> tuple[int, str, dict, list[int]]:
    """A small sweep into ``out``, then a big one interrupted with SIGINT once its process has used
    ``cpu`` seconds (past the imports: the sweep is working): (exit code, stderr, the small sweep's
    files, the big one's child processes at the interrupt)."""
    first = subprocess.run(cli + ["sweep", "escalate-to-deescalate", "--grid", "p_resolute=0:1:11", "--out", str(out)],
                           capture_output=True, text=True, timeout=240)
    assert first.returncode == 0, first.stderr
    before = _snapshot(out)
    assert any(name.startswith("sweep") for name in before)
    proc = subprocess.Popen(cli + ["sweep", "escalate-to-deescalate", "--grid", "p_resolute=0:1:3000",
                                   "--grid", "c_limited=0:20:3000", *extra, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 200
        while _cpu_seconds(proc.pid) < cpu and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert proc.poll() is None, "the sweep finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, stderr, before, children


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the sweep working")
def test_sigint_during_sweep_keeps_the_previous_complete_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stderr, before, _ = _sweep_interrupted(CLI, out, [], cpu=2)
    assert code == 130, stderr
    assert "interrupted:" in stderr and "Traceback" not in stderr
    assert _snapshot(out) == before                    # the previous complete set, byte for byte
    assert not [p for p in out.iterdir() if p.name.startswith(".escalab-staging")]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the sweep working")
def test_sigint_during_a_sweep_with_workers_started_by_the_escalab_script(tmp_path: Path) -> None:
    """The same through the `escalab` script, whose workers start before the command line is read:
    the previous set is kept, the command says it was interrupted, and no worker outlives it."""
    out = tmp_path / "out"
    script = [sys.executable, "-c", "from escalab.cli.launch import main; main()"]
    code, stderr, before, children = _sweep_interrupted(script, out, ["--workers", "2"], cpu=1)
    assert children, "the sweep had no worker when it was interrupted"
    assert code == 130, stderr
    assert "interrupted:" in stderr and "Traceback" not in stderr
    assert _snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".escalab-staging")]
    time.sleep(0.5)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]     # the workers ended with it
