"""Benchmark: does escalab get faster with workers, write big outputs at disk speed, and start at once?

Run:  python benchmarks/scale.py            (the issue's sizes: a 4M-point sweep, 40M Monte Carlo runs,
                                             grids up to 10^7 points and runs up to 10^8; long)
      python benchmarks/scale.py --quick    (the same measurements on smaller sizes: a few minutes)

One run prints ratios against baselines measured in the same run:

1. workers 1 vs 2, end to end from the command line (a fresh ``escalab`` process each), for
   ``escalab sweep`` and ``escalab simulate``; target >= 1.7x on a 2-core machine;
2. one process vs a Dask LocalCluster of 2 worker processes (started beforehand, as a user's
   cluster is), for the same sweep and Monte Carlo through the Python API; target >= 1.6x;
3. solve time vs output-writing time (CSV + columnar file) for the sweep; target: writing <= solving;
4. CLI start-up (``--help``, ``list``, ``validate``) vs ``python -c "import numpy"``; target <= 4x;
5. time per grid point from 10^4 to 10^7 points and per run from 10^5 to 10^8 runs; target: flat;
6. first, the machine's own ceiling: the sweep and Monte Carlo kernels alone vs two copies at once
   (no escalab machinery), which bounds what any two-process split can reach on this machine.

Wall-clock ratios need a quiet machine. Next to every wall time the script prints the CPU time
(this process plus its children): on a loaded machine the CPU ratios still show whether the
parallel part has a serial bottleneck or the workers do extra work (1 vs 2 workers should cost
about the same CPU seconds in total).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from escalab.cli.launch import main; main()"]


def cpu_now() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process and its children, result)."""
    c0, t0 = cpu_now(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, cpu_now() - c0, out


def run_cli(args: list[str]) -> None:
    proc = subprocess.run(CLI + args, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"escalab {' '.join(args)} failed:\n{proc.stderr}")


def pairs_line(what: str, pairs: list[tuple[tuple[float, float], tuple[float, float]]], target: str) -> None:
    """Interleaved repeats (baseline, then the parallel run, again and again): this VM's speed drifts
    by a fifth from one minute to the next, so one pair can land on either side of a target; the
    median of the pairs' ratios is the figure, the range says how far one run can stray."""
    ratios = sorted(b[0] / o[0] for b, o in pairs)
    base = statistics.median(b[0] for b, _ in pairs), statistics.median(b[1] for b, _ in pairs)
    other = statistics.median(o[0] for _, o in pairs), statistics.median(o[1] for _, o in pairs)
    print(f"  {what}: median of {len(pairs)} interleaved pairs {statistics.median(ratios):.2f}x "
          f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}; {target}); median wall {base[0]:.2f} s -> "
          f"{other[0]:.2f} s, CPU {base[1]:.2f} s -> {other[1]:.2f} s")


def startup(repeat: int) -> None:
    print("CLI start-up (median of %d fresh processes)" % repeat)

    def median(cmd: list[str]) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    base = median([sys.executable, "-c", "import numpy"])
    print(f"  python -c 'import numpy': {base:.3f} s")
    for args in (["--help"], ["list"], ["validate", "docs/tutorial/blockade.yaml"]):
        t = median(CLI + args)
        print(f"  escalab {' '.join(args)}: {t:.3f} s = {t / base:.1f}x numpy (target <= 4x)")


def sweep_workers(side: int, out: Path, repeat: int) -> None:
    print(f"escalab sweep, {side} x {side} = {side * side:,} points, end to end from the command line")
    args = ["sweep", "escalate-to-deescalate", "--grid", f"p_resolute=0:1:{side}", "--grid", f"c_limited=0:20:{side}"]

    def run(workers: int) -> tuple[float, float]:
        os.sync()                   # each run starts with no other run's writes still in flight
        return timed(lambda: run_cli(args + ["--workers", str(workers), "--out", str(out / f"w{workers}")]))[:2]

    pairs = [(run(1), run(2)) for _ in range(repeat)]
    same = (out / "w1" / "sweep.csv").read_bytes() == (out / "w2" / "sweep.csv").read_bytes()
    pairs_line("--workers 1 vs 2", pairs, "target >= 1.7x")
    print(f"  files identical: {same}; sweep.csv {(out / 'w1' / 'sweep.csv').stat().st_size / 1e6:.0f} MB")


def simulate_workers(scenario: str, runs: int, policies: list[str], repeat: int) -> None:
    print(f"escalab simulate {scenario} {' '.join(policies)}, {runs:,} runs, end to end from the command line")
    args = ["simulate", scenario, "--runs", str(runs)] + [x for p in policies for x in ("--policy", p)]

    def run(workers: int) -> tuple[float, float]:
        return timed(lambda: run_cli(args + ["--workers", str(workers)]))[:2]

    pairs_line("--workers 1 vs 2", [(run(1), run(2)) for _ in range(repeat)], "target >= 1.7x")


def dask_vs_one_process(side: int, scenario: str, runs: int, specs: dict[str, str], repeat: int) -> None:
    import escalab
    from distributed import Client, LocalCluster

    from escalab.simulate import Crisis
    from escalab.solve.sweep import parse_axis, sweep

    print("one process vs a Dask LocalCluster of 2 worker processes (cluster started beforehand)")
    s = escalab.load("escalate-to-deescalate")
    axes = [parse_axis(f"p_resolute=0:1:{side}"), parse_axis(f"c_limited=0:20:{side}")]
    crisis = Crisis.of(escalab.load(scenario))
    crisis.monte_carlo(specs, runs=1000, seed=0)          # compile / load the kernel here first
    one_sweep = timed(lambda: sweep(s, axes))
    one_mc = timed(lambda: crisis.monte_carlo(specs, runs=runs, seed=1))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(lambda: [__import__(m) for m in ("escalab.solve.sweep", "escalab.simulate.kernel")])
        # as this process was warmed: a small run, cut into several tasks so that every worker loads the kernel
        crisis.monte_carlo(specs, runs=1000, seed=0, chunk_runs=10, scheduler=client)
        dask_sweep = timed(lambda: sweep(s, axes, scheduler=client))
        dask_mc = timed(lambda: crisis.monte_carlo(specs, runs=runs, seed=1, scheduler=client))
        sweeps, mcs = [(one_sweep[:2], dask_sweep[:2])], [(one_mc[:2], dask_mc[:2])]
        for _ in range(repeat - 1):
            sweeps.append((timed(lambda: sweep(s, axes))[:2], timed(lambda: sweep(s, axes, scheduler=client))[:2]))
        for _ in range(repeat - 1):
            mcs.append((timed(lambda: crisis.monte_carlo(specs, runs=runs, seed=1))[:2],
                        timed(lambda: crisis.monte_carlo(specs, runs=runs, seed=1, scheduler=client))[:2]))
        # the same sweep four times as big: what a cluster's fixed costs per job weigh as jobs grow
        big = [parse_axis(f"p_resolute=0:1:{2 * side}"), parse_axis(f"c_limited=0:20:{2 * side}")]
        bigs = [(timed(lambda: sweep(s, big))[:2], timed(lambda: sweep(s, big, scheduler=client))[:2])
                for _ in range(repeat)]
    same = dask_sweep[2].codes.tobytes() == one_sweep[2].codes.tobytes() and \
        dask_mc[2].to_dict() == one_mc[2].to_dict()
    pairs_line(f"sweep of {side * side:,} points", sweeps, "target >= 1.6x")
    pairs_line(f"sweep of {4 * side * side:,} points", bigs, "no target: the same sweep, 4x the points")
    pairs_line(f"Monte Carlo of {runs:,} runs", mcs, "target >= 1.6x")
    print(f"  (CPU here counts only this process: the cluster's workers are not its children); "
          f"results identical: {same}")


def solve_vs_write(side: int, out: Path, repeat: int) -> None:
    import escalab
    from escalab.solve.sweep import parse_axis, sweep
    from escalab.solve.sweep_files import columnar_suffix, write_columnar, write_csv

    print(f"solve vs write, {side * side:,} points, one process (median of {repeat})")
    s = escalab.load("escalate-to-deescalate")
    axes = [parse_axis(f"p_resolute=0:1:{side}"), parse_axis(f"c_limited=0:20:{side}")]
    rows = []
    for k in range(repeat):
        solve = timed(lambda: sweep(s, axes))
        result = solve[2]
        os.sync()   # the earlier parts' files (hundreds of MB) flushed first: their writeback is not this write's
        csv_t = timed(lambda: write_csv(result, out / f"s{k}.csv"))
        col_t = timed(lambda: write_columnar(result, out / f"s{k}{columnar_suffix()}"))
        size = (out / f"s{k}.csv").stat().st_size
        os.sync()
        disk = timed(lambda: _write_bytes(out / f"zeros{k}", size))      # the disk's own speed for as many bytes
        rows.append((solve[0], csv_t[0], col_t[0], disk[0], solve[1], csv_t[1] + col_t[1]))
        for name in (f"s{k}.csv", f"zeros{k}"):
            (out / name).unlink()
    med = [statistics.median(r[i] for r in rows) for i in range(6)]
    print(f"  solve {med[0]:.2f} s (CPU {med[4]:.2f}); CSV {med[1]:.2f} s ({size / 1e6 / med[1]:.0f} MB/s; "
          f"the same {size / 1e6:.0f} MB of zeros written and synced: {med[3]:.2f} s), {columnar_suffix()} {med[2]:.2f} s")
    ratios = sorted((r[1] + r[2]) / r[0] for r in rows)
    print(f"  write / solve: wall {statistics.median(ratios):.2f} (range {ratios[0]:.2f}-{ratios[-1]:.2f}), "
          f"CPU {med[5] / med[4]:.2f} (target <= 1)")


def _write_bytes(path: Path, size: int) -> None:
    block = bytes(1 << 22)
    with open(path, "wb") as fh:
        for _ in range(size // len(block)):
            fh.write(block)
        fh.write(bytes(size % len(block)))
        fh.flush()
        os.fsync(fh.fileno())


def growth(points: list[int], runs: list[int], scenario: str, specs: dict[str, str]) -> None:
    import numpy as np

    import escalab
    from escalab.simulate import Crisis
    from escalab.solve.sweep import Axis, sweep

    print("cost per point / per run as the work grows (one process; target: flat)")
    s = escalab.load("escalate-to-deescalate")
    sweep(s, [Axis("p_resolute", np.linspace(0, 1, 100))])
    base = None
    for n in points:
        side = int(round(math.sqrt(n)))
        axes = [Axis("p_resolute", np.linspace(0, 1, side)), Axis("c_limited", np.linspace(0, 20, n // side))]
        wall, cpu, r = timed(lambda: sweep(s, axes))
        per = wall / r.size * 1e6
        base = base or per
        print(f"  sweep {r.size:>11,} points: {per:.3f} us/point wall, {cpu / r.size * 1e6:.3f} us/point CPU "
              f"({per / base:.2f}x the smallest)")
    crisis = Crisis.of(escalab.load(scenario))
    crisis.monte_carlo(specs, runs=1000, seed=0)
    base = None
    for n in runs:
        wall, cpu, _ = timed(lambda: crisis.monte_carlo(specs, runs=n, seed=2))
        per = wall / n * 1e6
        base = base or per
        print(f"  Monte Carlo {n:>11,} runs: {per:.3f} us/run wall, {cpu / n * 1e6:.3f} us/run CPU "
              f"({per / base:.2f}x the smallest)")


def _alone_and_together(work: Callable[[], Any]) -> tuple[float, float]:
    """Seconds for ``work`` in one process alone, and (the slower of) two copies run at once in two
    forked processes: no escalab worker machinery, just the kernel twice."""
    import multiprocessing

    global _WORK
    _WORK = work                                        # forked children see it (a lambda does not pickle)
    work()                                              # warm: imports, compiled kernel
    alone = timed(work)[0]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as p:
        p.map(_timed_work, [0, 1])                      # children warm too
        both = max(p.map(_timed_work, [0, 1], chunksize=1))
    return alone, both


_WORK: Callable[[], Any] | None = None


def _timed_work(_: int) -> float:
    assert _WORK is not None
    return timed(_WORK)[0]


def ceiling(side: int, scenario: str, runs: int, specs: dict[str, str]) -> None:
    """What two cores can give at best for this work on this machine: two copies of the same kernel
    at once slow each other down (shared caches and memory bandwidth), so 2 x alone / together is
    the most any split of one job into two can reach."""
    import escalab
    from escalab.simulate import Crisis
    from escalab.solve.sweep import parse_axis, sweep

    print("the machine's ceiling: the same kernel alone vs two copies at once (2 x alone / together)")
    s = escalab.load("escalate-to-deescalate")
    axes = [parse_axis(f"p_resolute=0:1:{side // 2}"), parse_axis(f"c_limited=0:20:{side}")]
    crisis = Crisis.of(escalab.load(scenario))
    for what, work in ((f"sweep solve of {side * side // 2:,} points", lambda: sweep(s, axes)),
                       (f"Monte Carlo of {runs // 2:,} runs",
                        lambda: crisis.monte_carlo(specs, runs=runs // 2, seed=1))):
        alone, both = _alone_and_together(work)
        print(f"  {what}: alone {alone:.2f} s, two at once {both:.2f} s each -> at most {2 * alone / both:.2f}x")


def compiled_as_installed() -> None:
    """escalab's modules compiled to bytecode first, as ``pip install`` does for an installed package:
    in an editable checkout run with ``PYTHONDONTWRITEBYTECODE`` set, every fresh process would
    otherwise compile escalab's sources again (a tenth of a second of every command's start)."""
    import compileall

    import escalab

    compileall.compile_dir(str(Path(escalab.__file__).parent), quiet=1)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("  (escalab's bytecode compiled first, as an installed package's is; PYTHONDONTWRITEBYTECODE is set)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes: the whole run takes a few minutes")
    ap.add_argument("--scenario", default="kahn-game", help="ladder scenario for the Monte Carlo parts")
    ap.add_argument("--policy", action="append", default=None,
                    help="actor=POLICY for the Monte Carlo parts (default for kahn-game: logit:0.5 for both, "
                         "crises of about five turns)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="interleaved pairs per workers / Dask ratio; the median is reported (default 3)")
    ap.add_argument("--skip", action="append", default=[],
                    help="skip a part: ceiling, startup, sweep, simulate, dask, write, growth (repeatable)")
    args = ap.parse_args(argv)
    side = 1000 if args.quick else 2000
    runs = 4_000_000 if args.quick else 40_000_000
    points = [10 ** k for k in (4, 5, 6)] if args.quick else [10 ** k for k in (4, 5, 6, 7)]
    mc_runs = [10 ** k for k in (5, 6)] + ([] if args.quick else [10 ** 7, 10 ** 8])
    policies = args.policy if args.policy is not None else \
        (["state_a=logit:0.5", "state_b=logit:0.5"] if args.scenario == "kahn-game" else [])
    specs = dict(p.split("=", 1) for p in policies)
    print(f"escalab scale benchmark ({'quick' if args.quick else 'full'}); {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    compiled_as_installed()
    with tempfile.TemporaryDirectory(prefix="escalab-scale-") as tmp:
        out = Path(tmp)
        if "ceiling" not in args.skip:
            ceiling(side, args.scenario, runs, specs)
        if "startup" not in args.skip:
            startup(5)
        if "sweep" not in args.skip:
            sweep_workers(side, out, args.repeat)
        if "simulate" not in args.skip:
            simulate_workers(args.scenario, runs, policies, args.repeat)
        if "dask" not in args.skip:
            dask_vs_one_process(side, args.scenario, runs, specs, args.repeat)
        if "write" not in args.skip:
            solve_vs_write(side, out, args.repeat)
        if "growth" not in args.skip:
            growth(points, mc_runs, args.scenario, specs)
    print(f"load average {os.getloadavg()[0]:.1f} at the end (wall ratios are meaningful only near 0 on "
          f"{os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
