"""Local worker processes: started once per command, usable from scripts and notebooks unguarded.

Sweeps and Monte Carlo runs split into many small tasks; starting a process costs about as much as
a second of work (a fresh interpreter importing NumPy and escalab, and numba loading its compiled
kernel), so a command starts its workers once and sends every task to the same ones.

Workers are *forked* when that is safe and *spawned* otherwise. A fork starts in a millisecond
with everything the parent imported, where a spawned interpreter spends about half a second
importing NumPy and escalab before its first task: on a sweep of a few seconds that half second
is the difference between 1.4x and 1.7x on two cores. But a fork copies other threads' locks
(Rich's progress bar, Dask, a notebook kernel's) in whatever state they are, so escalab forks only
on Linux and only while the calling process runs a single Python thread (the `escalab` command
starts its pool before its progress bar; a plain script has one thread), and spawns in every other
case. A spawned child normally re-imports the parent's ``__main__`` module, which is why a script
calling a parallel function at its top level, without ``if __name__ == "__main__":``, would run
itself again in every worker and break the pool. Here the main module is hidden while the workers
start, so they import only escalab's own modules: no guard is needed either way.

``WorkerPool(N)`` spawns N - 1 processes: the calling process is the N-th worker and takes tasks
itself instead of waiting, so on N cores N workers keep N cores busy.

Large read-only inputs (a Monte Carlo plan with its policy tables) go to the workers once through
:meth:`WorkerPool.share`, not with every task; results come back as small NumPy arrays.

Usable by every layer (like ``errors``): it imports nothing above ``escalab.errors`` and ``escalab.limits``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import tempfile
import types
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from . import limits
from .errors import EscalabError

__all__ = ["Shared", "WorkerError", "WorkerPool", "call_named", "launch_pool", "preload", "result_of", "run_unordered",
           "take_launched"]


class WorkerError(EscalabError):
    """A worker process stopped before finishing its task (killed, out of memory, or crashed)."""


BROKEN = ("a worker process stopped before it finished its task ({cause}). escalab's workers need no "
          "`if __name__ == \"__main__\":` guard in your script; a worker that stops is usually out of "
          "memory (use fewer --workers or a smaller chunk) or was killed. If you started a Dask "
          "LocalCluster yourself in a script, that one does need the guard: put the code that creates "
          "it under `if __name__ == \"__main__\":`.")


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Let ``multiprocessing`` see a main module with no file, so spawned children do not re-run it.

    multiprocessing records the main module's file (or module name) for each child it spawns and
    imports it there as ``__mp_main__``. A stand-in module without ``__file__`` or ``__spec__``
    records nothing; escalab's tasks live in escalab's modules, which the children import by name.
    """
    real = sys.modules.get("__main__")
    stand_in = types.ModuleType("__main__")
    sys.modules["__main__"] = stand_in
    try:
        yield
    finally:
        if real is not None:
            sys.modules["__main__"] = real


# ----------------------------------------------------------------------------- shared inputs
_CACHE: dict[str, Any] = {}


class Shared:
    """A read-only object sent to each worker once: pickled to a temporary file, loaded on first use.

    Tasks take the small handle instead of the object. In the process that made it, ``get()``
    returns the object itself.
    """

    def __init__(self, obj: Any, folder: str | None = None):
        self.token = uuid.uuid4().hex
        fd, self.path = tempfile.mkstemp(prefix="escalab-shared-", suffix=".pickle", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        _CACHE[self.token] = obj

    def __getstate__(self) -> dict[str, str]:
        return {"token": self.token, "path": self.path}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.__dict__.update(state)

    def get(self) -> Any:
        obj = _CACHE.get(self.token)
        if obj is None:
            with open(self.path, "rb") as fh:
                obj = pickle.load(fh)
            _CACHE.clear()            # one shared input per command: drop the previous one
            _CACHE[self.token] = obj
        return obj

    def remove(self) -> None:
        _CACHE.pop(self.token, None)
        with contextlib.suppress(OSError):
            os.unlink(self.path)


# ----------------------------------------------------------------------------- the pool
def _warm(modules: tuple[str, ...]) -> None:
    """Worker initializer: import what the tasks will need while the parent still prepares them."""
    import importlib

    for name in modules:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _start_worker(modules: tuple[str, ...], parent: int) -> None:
    """Worker initializer: end with the parent (see :func:`_watch_parent`), then warm the imports."""
    _watch_parent(parent)
    _warm(modules)


def _watch_parent(parent: int, every: float = 0.25) -> None:
    """End this worker when its parent ends, however it ends (``kill -9`` included).

    A pool's workers otherwise outlive a killed parent (they wait on a pipe no one writes to), keep
    their cores and the store open. On Linux the kernel sends SIGKILL when the parent goes
    (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread checks that the parent is still the
    one that started this process and exits when it is not (it was re-parented)."""
    import signal
    import threading
    import time

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)   # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:            # the parent was gone before the watch began
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="escalab-parent-watch", daemon=True).start()


def preload(*modules: str) -> None:
    """Task: import ``modules`` in a worker ahead of the task that needs them, while other
    processes do other work (a sweep's figure: matplotlib is imported while the grid is solved)."""
    _warm(modules)


def call_named(target: str, *args: Any) -> Any:
    """Task: ``module:function`` imported where it runs, so the submitting process never imports
    the module (a worker draws a figure; the command does not pay for matplotlib)."""
    import importlib

    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(*args)


def fork_is_safe() -> bool:
    """Fork only where it exists and is the platform's tested path (Linux), and only while this
    process runs one Python thread: no other thread's lock can then be copied mid-use."""
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


def _ready() -> int:
    return os.getpid()


class WorkerPool:
    """``workers`` processes for one command, *this one included*: ``workers - 1`` are spawned, and
    the calling process takes tasks too while it would otherwise wait (see :func:`run_unordered`).

    On a machine with N cores, N workers then means N busy processes, not N plus an idle parent;
    ``WorkerPool(1)`` spawns nothing. ``warm`` names modules each spawned worker imports as it
    starts (e.g. the numba kernel, whose compiled code then loads from numba's on-disk cache once
    per worker, not once per task).
    """

    def __init__(self, workers: int, warm: Iterable[str] = (), start: str = "auto"):
        import multiprocessing

        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        limits.WORKERS.check(workers, where="workers")     # before a process is started
        if start not in ("auto", "fork", "spawn"):
            raise ValueError(f"start must be auto, fork or spawn, got {start!r}")
        self.workers = workers
        self.start = start if start != "auto" else "fork" if fork_is_safe() else "spawn"
        self._shared: list[Shared] = []
        self._executor: ProcessPoolExecutor | None = None
        if workers > 1:
            # with "fork", all processes are made at the first submit (below), before any other thread
            self._executor = ProcessPoolExecutor(max_workers=workers - 1,
                                                 mp_context=multiprocessing.get_context(self.start),
                                                 initializer=_start_worker,
                                                 initargs=(tuple(warm), os.getpid()))
            # ProcessPoolExecutor spawns a process per submit until it has them all; start them now,
            # with the main module hidden (see the module docstring).
            with _main_module_hidden():
                self._started = [self._executor.submit(_ready) for _ in range(workers - 1)]

    @property
    def spawned(self) -> int:
        """How many processes besides this one."""
        return self.workers - 1

    def share(self, obj: Any) -> Shared:
        """Send ``obj`` to the workers once (see :class:`Shared`); removed when the pool closes."""
        handle = Shared(obj)
        self._shared.append(handle)
        return handle

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """``fn(*args)`` on a spawned worker (run here at once when there is none), under the limits
        set in this context."""
        return self.submit_under(limits.overrides(), fn, *args)

    def submit_under(self, overrides: dict[str, int], fn: Callable[..., Any], *args: Any) -> Future:
        """:meth:`submit` under the limits ``overrides`` (:func:`escalab.limits.overrides` of the
        caller), for a thread other than the caller's: threads do not share the caller's limits."""
        if self._executor is None:
            fut: Future = Future()
            try:
                fut.set_result(_with_limits(overrides, fn, *args))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                fut.set_exception(exc)
            return fut
        try:
            return self._executor.submit(_with_limits, overrides, fn, *args)
        except BrokenProcessPool as exc:
            raise WorkerError(BROKEN.format(cause=exc)) from None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        for handle in self._shared:
            handle.remove()
        self._shared.clear()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _with_limits(overrides: dict[str, int], fn: Callable[..., Any], *args: Any) -> Any:
    """A task under the limits its submitter had set (``--limit``): a worker may have been started
    before they were set (by the `escalab` script), or spawned, and it checks them too (a sweep's
    worker rebuilds the scenario from its text)."""
    with limits.applied(overrides):
        return fn(*args)


def result_of(fut: Future) -> Any:
    """A future's result, with a dead worker reported as :class:`WorkerError`."""
    try:
        return fut.result()
    except BrokenProcessPool as exc:
        raise WorkerError(BROKEN.format(cause=exc)) from None


def run_unordered(pool: WorkerPool, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]],
                  on_result: Callable[[Any, Any], None], ahead: int = 1, local: bool = True) -> None:
    """Run ``fn(*task)`` for every task, calling ``on_result(task, result)`` (in this thread) as each ends.

    Each spawned worker holds ``ahead`` tasks; the moment one ends, the pool's own thread hands that
    worker the next task, so workers never wait for this thread, which with ``local`` runs tasks
    itself meanwhile: it is one of the pool's workers. With one task per worker in flight, the
    work ends within one task of balanced (a deeper queue left this thread waiting for a worker's
    backlog at the end: 0.3 s of a 6 s run). At most ``ahead`` tasks per worker are pending, so a
    grid of a million chunks never holds a million futures.
    """
    import queue
    import threading

    todo = iter(tasks)
    overrides = limits.overrides()          # tasks are also sent from the pool's thread, which has none
    lock = threading.Lock()
    finished: queue.SimpleQueue = queue.SimpleQueue()
    in_flight = 0
    stopped = False
    if not local and pool.spawned == 0:
        local = True

    def take() -> tuple[Any, ...] | None:
        with lock:
            return None if stopped else next(todo, None)

    def send(task: tuple[Any, ...]) -> None:
        nonlocal in_flight
        with lock:
            in_flight += 1
        try:
            fut = pool.submit_under(overrides, fn, *task)
        except BaseException as exc:  # noqa: BLE001 - a broken pool: reported in this thread
            finished.put((task, exc))
            return
        fut.add_done_callback(lambda f: ended(task, f))

    def ended(task: tuple[Any, ...], fut: Future) -> None:
        finished.put((task, fut))                 # handed to this thread, which calls on_result
        if not fut.cancelled() and fut.exception() is None:
            nxt = take()
            if nxt is not None:
                send(nxt)

    def handle(block: bool) -> None:
        nonlocal in_flight
        while True:
            try:
                task, out = finished.get(block=block)
            except queue.Empty:
                return
            with lock:
                in_flight -= 1
            if isinstance(out, BaseException):
                raise out
            on_result(task, result_of(out))
            block = False

    try:
        for _ in range(ahead * pool.spawned):
            task = take()
            if task is None:
                break
            send(task)
        while True:
            handle(block=False)
            task = take() if local else None
            if task is not None:
                on_result(task, fn(*task))        # this process is a worker too
                continue
            with lock:
                idle = in_flight == 0
            if idle:
                break
            handle(block=True)
    finally:
        with lock:
            stopped = True                        # nothing more is sent once this returns or raises


# ----------------------------------------------------------------------------- a command's pool, started at launch
_launched: WorkerPool | None = None


def launch_pool(workers: int, warm: Iterable[str] = (), first: Iterable[str] = ()) -> None:
    """Start the pool of the command about to run, before its command line is parsed (see
    :mod:`escalab.cli.launch`): every worker imports ``warm`` as it starts, and one worker's first
    task imports ``first``. Closed at exit unless a command takes it."""
    global _launched
    import atexit

    _launched = WorkerPool(workers, warm=tuple(warm))
    if first:
        _launched.submit(preload, *first)
    atexit.register(_close_untaken)


def take_launched(workers: int) -> WorkerPool | None:
    """The pool started at launch, if it was started for ``workers`` workers; handed over once
    (the caller closes it), None otherwise."""
    global _launched
    pool = _launched
    if pool is None or pool.workers != workers:
        return None
    _launched = None
    return pool


def _close_untaken() -> None:
    global _launched
    if _launched is not None:
        _launched.close()
        _launched = None
