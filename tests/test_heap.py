"""escalab.heap: memory a kernel frees is reused by the next chunk instead of page-faulted afresh,
in a plain process and on a Dask worker, whose own setting comes back after the job."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings")

# Two patterns, each measured outside steady_heap, inside it, and after release_heap. "chunk": a
# vectorised pass's temporaries, 48 arrays of 128 kB freed together (more than glibc's adaptive
# trim threshold of twice the largest block freed); "big": one 2 MB temporary at a time.
PROBE = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from escalab.heap import release_heap, steady_heap

    def chunk():
        temps = [np.ones(1 << 14) for _ in range(48)]
        del temps

    def big():
        a = np.ones(1 << 18)
        del a

    def faults(step, n=20):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(n):
            step()
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    step = chunk if sys.argv[1] == "chunk" else big
    faults(step, 2)
    outside = faults(step)
    with steady_heap():
        faults(step, 1)
        inside = faults(step)
    release_heap()
    print(outside, inside, faults(step))
""")
PAGES = 20 * 48 * 32 * 0.8        # 20 passes of 48 x 128 kB in 4 kB pages, most of them touched anew


def _faults(pattern: str, env: dict[str, str]) -> list[int]:
    out = subprocess.run([sys.executable, "-c", PROBE, pattern], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return [int(x) for x in out.stdout.split()]


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}


def test_a_plain_process_reuses_a_passes_freed_temporaries_and_keeps_doing_so() -> None:
    outside, inside, after = _faults("chunk", _plain_env())
    assert outside >= PAGES                     # glibc's adaptive thresholds hand the heap top back each pass
    assert inside < outside / 20
    assert after < outside / 20                 # a plain process stays so (glibc's own ceiling values)


def test_a_dask_workers_heap_is_kept_while_tasks_run_and_handed_back_after() -> None:
    # As a Dask nanny starts its worker: every 2 MB temporary is a fresh mapping, 512 page faults.
    outside, inside, after = _faults("big", {**_plain_env(), "MALLOC_TRIM_THRESHOLD_": "65536"})
    assert outside >= 20 * 400
    assert inside < outside / 20
    assert after >= 20 * 400                    # the worker's own setting is back after the job


def test_a_heap_kept_for_a_job_is_handed_back_only_if_no_task_used_it_since() -> None:
    """release_heap(heap_uses()) as a Dask worker calls it a few seconds after a job: a task that
    started meanwhile keeps the heap for its own job; with none, the worker's setting is back."""
    script = textwrap.dedent("""
        import resource
        import numpy as np
        from escalab.heap import heap_uses, release_heap, steady_heap

        def faults(n=20):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(n):
                a = np.ones(1 << 18)
                del a
            return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

        with steady_heap():
            faults(1)
        planned = heap_uses()
        with steady_heap():                 # the next job's task, before the planned release
            faults(1)
        release_heap(planned)
        kept = faults()
        release_heap(heap_uses())
        print(kept, faults())
    """)
    out = subprocess.run([sys.executable, "-c", script], env={**_plain_env(), "MALLOC_TRIM_THRESHOLD_": "65536"},
                         capture_output=True, text=True, timeout=120, check=True)
    kept, released = (int(x) for x in out.stdout.split())
    assert kept < 20 * 400 / 20
    assert released >= 20 * 400


def test_a_sweep_does_not_page_fault_its_chunks_afresh() -> None:
    # the kernel end to end: 400 chunks of 1024 points; without the kept heap each pass's temporaries
    # (a few hundred kB) were handed back and faulted in again
    script = textwrap.dedent("""
        import resource
        import escalab
        from escalab.solve.sweep import parse_axis, sweep
        scenario = escalab.load("escalate-to-deescalate")
        axes = [parse_axis("p_resolute=0:1:640"), parse_axis("c_limited=0:20:640")]
        sweep(scenario, axes[:1], chunk=1024)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        sweep(scenario, axes, chunk=16384)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """)
    out = subprocess.run([sys.executable, "-c", script], env=_plain_env(), capture_output=True, text=True,
                         timeout=300, check=True)
    assert int(out.stdout) < 25 * 48 * 32      # 25 chunks; faulted afresh, each pass touches ~48 x 128 kB
