"""Connecting to a Dask scheduler the user named, with a clean refusal for anything else.

``distributed.Client`` given a wrong address misbehaves in ways a user cannot read: a port that speaks
HTTP is read as a frame length ("Unable to allocate 3.07 EiB"), a port that accepts but never answers
hangs well past the timeout, and ``http://``, ``inproc://`` or ``ucx://`` print a traceback from
``Client.__del__`` after the message. So before a Client exists we check the scheme and probe the
endpoint ourselves with plain sockets and a deadline (the ``dask-timeout`` limit): a Dask scheduler
speaks first on a new connection (its handshake frame), so silence, a refusal or bytes that are not a
Dask frame are each reported for what they are, with exit code 2.

Trust: a Dask scheduler sends the client pickled objects, and unpickling runs code. Connect only to a
scheduler you run or trust (docs/limits.md says the same to users).

Running work there (:func:`run_tasks`) is shaped by what a task costs on Dask: about 2 ms of the
client's and scheduler's CPU per task (on a 2-core machine, CPU taken from the workers), a
dask-specific serialisation of results that is slower than one pickle, and a worker heap that
Dask's nanny sets to hand memory back to the system after every large free
(``MALLOC_TRIM_THRESHOLD_``), so NumPy's large temporaries page-fault afresh each time (sweep
kernels ran 2-3x slower on a worker than in a plain process). Hence: few tasks sized to the
cluster with a tail of smaller ones, the shared input scattered once, each result one pickled
frame, and the heap kept while tasks run and for a few seconds after (:func:`escalab.heap.steady_heap`).
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import math
import pickle
import socket
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .. import limits
from ..errors import UsageError
from ..heap import heap_uses, release_heap, steady_heap

__all__ = ["cluster_threads", "connect", "parse_tcp_address", "probe", "run_tasks", "scheduler_client", "task_spans"]

_HINT = "expected the address of a running Dask scheduler such as tcp://127.0.0.1:8786"


def parse_tcp_address(address: str) -> tuple[str, int]:
    """``tcp://host:port`` (or ``host:port``) -> (host, port); any other scheme is refused by name."""
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    scheme = scheme.lower()
    if scheme in ("http", "https"):
        raise UsageError(f"--scheduler '{address}': {scheme}:// is the address of a web page (the Dask dashboard "
                         f"is one); {_HINT}")
    if scheme == "inproc":
        raise UsageError(f"--scheduler '{address}': inproc:// names a scheduler inside one Python process and "
                         f"cannot be reached from escalab's command line; {_HINT}")
    if scheme in ("tls", "wss", "ws", "ucx"):
        raise UsageError(f"--scheduler '{address}': {scheme}:// connections are not supported by escalab (they need "
                         f"security or transport settings it does not take); use tcp:// on a trusted network or "
                         f"through an SSH tunnel")
    if scheme != "tcp":
        raise UsageError(f"--scheduler '{address}': unknown scheme '{scheme[:20]}://'; {_HINT}")
    host, colon, port_text = rest.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port_text.isdigit() or len(port_text) > 5 or not 0 < int(port_text) < 65536:
        raise UsageError(f"--scheduler '{address[:100]}': expected a host and a port between 1 and 65535; {_HINT}")
    _check_host(host, address)
    return host, int(port_text)


# The longest escalab waits for a scheduler to answer, whatever dask-timeout says: past it a
# silent endpoint would hold the command for days (10^9 s is 31 years), and a deadline that large
# overflows the event loop's timers. Refused before any connection.
MOST_WAIT_SECONDS = 3600


def wait_seconds(timeout: float | None = None) -> float:
    """The seconds to wait for a scheduler: ``timeout`` or the dask-timeout limit, at most an hour."""
    value = float(limits.DASK_TIMEOUT.value()) if timeout is None else float(timeout)
    if not 0 <= value <= MOST_WAIT_SECONDS:
        raise UsageError(f"the dask-timeout limit is {value:,.0f} s; escalab waits at most {MOST_WAIT_SECONDS:,} s "
                         "(an hour) for a Dask scheduler to answer; give --limit dask-timeout=N with N up to "
                         f"{MOST_WAIT_SECONDS}")
    return value


def check_scheduler(address: str, timeout: float | None = None) -> None:
    """Everything about a scheduler that can be refused without connecting, checked before the work."""
    parse_tcp_address(address)
    wait_seconds(timeout)


def _check_host(host: str, address: str) -> None:
    """A host name the resolver can be asked for: the IDNA limits (RFC 1035, RFC 5890), checked here
    because the socket layer raises a bare UnicodeError for a longer one."""
    try:
        ascii_form = host.encode("idna")        # each label 1 to 63 characters once encoded
    except UnicodeError:
        ascii_form = b""
    if not ascii_form or len(ascii_form.rstrip(b".")) > 253:
        raise UsageError(f"--scheduler '{address[:100]}': the host name is not one a resolver takes (expected "
                         f"labels of 1 to 63 characters separated by dots, at most 253 characters in all, or an "
                         f"IP address); {_HINT}")


def probe(address: str, timeout: float | None = None) -> tuple[str, int]:
    """Check within ``timeout`` seconds that a Dask scheduler answers at ``address``; UsageError if not."""
    host, port = parse_tcp_address(address)
    timeout = wait_seconds(timeout)
    raise_how = limits.DASK_TIMEOUT.how_to_raise().replace(" if you trust this input", "")
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.timeout:
        raise UsageError(f"--scheduler '{address}': no answer from {host}:{port} within {timeout:g} s "
                         f"(the dask-timeout limit; {raise_how})") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"--scheduler '{address}': cannot connect to {host}:{port}: {reason} "
                         "(is a Dask scheduler running there?)") from None
    with sock:
        head = b""
        try:
            while len(head) < 8:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout
                sock.settimeout(left)
                chunk = sock.recv(8 - len(head))
                if not chunk:
                    raise UsageError(f"--scheduler '{address}': {host}:{port} closed the connection without a "
                                     "Dask handshake (not a Dask scheduler)")
                head += chunk
        except socket.timeout:
            raise UsageError(f"--scheduler '{address}': {host}:{port} accepted the connection but sent no Dask "
                             f"handshake within {timeout:g} s (it is silent or speaks another protocol, such as "
                             f"HTTP; {raise_how})") from None
        except OSError as exc:
            raise UsageError(f"--scheduler '{address}': reading from {host}:{port} failed: "
                             f"{exc.strerror or type(exc).__name__}") from None
    (frames,) = struct.unpack("<Q", head)
    if not 0 < frames < 1024:       # Dask's TCP comm starts with the number of frames of the message
        shown = head.decode("ascii", "replace").translate({c: "?" for c in range(32)})
        raise UsageError(f"--scheduler '{address}': {host}:{port} does not speak Dask's protocol (it began with "
                         f"{shown!r})")
    return host, port


def connect(address: str, timeout: float | None = None) -> Any:
    """A ``distributed.Client`` for the scheduler at ``address`` -- or a UsageError, never a traceback."""
    timeout = wait_seconds(timeout)
    host, port = probe(address, timeout)
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - pinned dependency
        raise UsageError("--scheduler needs dask.distributed installed") from None
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            try:
                return Client(f"tcp://{host}:{port}", timeout=timeout, set_as_default=False)
            except Exception as exc:  # noqa: BLE001 - any failure to connect is the user's address, said plainly
                text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                gc.collect()          # run a half-made Client's finaliser now, while its output is captured
                raise UsageError(f"--scheduler '{address}': cannot use the Dask scheduler at {host}:{port}: "
                                 f"{text}") from None
    finally:
        quiet.setLevel(level)


@contextlib.contextmanager
def scheduler_client(scheduler: Any, connect_timeout: float | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler``: an address (checked and probed by
    :func:`connect`; an ``inproc://`` one only reaches a LocalCluster(processes=False)
    of this very process) or a Client, used as is. A Client made here is closed on the way out.
    Inside the block the Client is the current one, which ``as_completed`` and a Future's
    result look for: one made here is not the process's default (``set_as_default=False``).

    An address whose scheduler this process already has its default Client for (a notebook's
    ``Client(LocalCluster(...))``, then ``scheduler=cluster.scheduler_address``) is served by that
    Client, left open: a second Client in the process that runs the scheduler, started right after
    a job on the first, hung waiting for results (distributed 2026.8, an in-process LocalCluster: within
    one to four such pairs of jobs; none in twenty with the first Client reused)."""
    given = scheduler if not isinstance(scheduler, str) else _default_client_of(scheduler)
    if given is not None:
        with given.as_current():
            yield given
        return
    if scheduler.startswith("inproc://"):
        from distributed import Client
        client = Client(scheduler, set_as_default=False)
    else:
        client = connect(scheduler, connect_timeout)
    try:
        with client.as_current():
            yield client
    finally:
        client.close()


def _default_client_of(address: str) -> Any:
    """This process's default Client if it is connected to the scheduler at ``address``, else None."""
    import sys

    if "distributed" not in sys.modules:       # no Client can exist yet: Dask not imported for nothing
        return None
    from distributed import default_client

    try:
        client = default_client()
        if client.status != "running":
            return None
        if address.startswith("inproc://"):
            return client if client.scheduler.address == address else None
        return client if parse_tcp_address(client.scheduler.address) == parse_tcp_address(address) else None
    except (ValueError, UsageError, AttributeError):     # no default Client, or one elsewhere or closed
        return None


# ----------------------------------------------------------------------------- running tasks
def task_spans(units: int, workers: int) -> list[tuple[int, int]]:
    """``units`` consecutive units (chunks) as task spans ``[start, stop)``: each takes half of what
    is left per worker, at least a sixteenth of a worker's share -- few tasks (about a dozen for two
    workers), the last ones small so that a worker slowed by other load does not hold up the end."""
    w = max(workers, 1)
    smallest = max(1, units // (16 * w))
    spans, start = [], 0
    while start < units:
        stop = min(units, start + max(smallest, math.ceil((units - start) / (2 * w))))
        spans.append((start, stop))
        start = stop
    return spans


def cluster_threads(client: Any) -> int:
    """Task slots of the cluster now (threads over all workers); 1 while it has none yet."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - a scheduler that cannot say is sized as one slot
        return 1


def run_tasks(client: Any, task: Callable[..., Any], shared: Any, args: Sequence[tuple[Any, ...]],
              done: Callable[[tuple[Any, ...], Any], None]) -> None:
    """``task(shared, *a)`` on the cluster for every ``a`` in ``args``; ``done(a, result)`` as each ends.

    ``shared`` goes to every worker once; ``task`` must be importable by name (a module-level
    function). Results are gathered in the background as they finish, each one pickled frame;
    each worker hands back the heap its tasks kept once it has run none for a few seconds.
    """
    from distributed import as_completed

    remote = client.scatter(shared, broadcast=True, hash=False)
    futures = [client.submit(_on_worker, limits.overrides(), KEEP_HEAP_WHEN_IDLE, task, remote, *a, pure=False)
               for a in args]
    index = {f.key: k for k, f in enumerate(futures)}
    for fut, blob in as_completed(futures, with_results=True):
        done(args[index[fut.key]], pickle.loads(blob))


def _on_worker(overrides: dict[str, int], keep_heap: float, task: Callable[..., Any], shared: Any,
               *args: Any) -> bytes:
    """One task where it runs: under the client's limits (``--limit``), the heap kept while it
    works and ``keep_heap`` seconds after, the result as one pickled frame (Dask's own
    serialisation walks a list of results trying its serialisers on each first)."""
    try:
        with limits.applied(overrides), steady_heap():
            result = task(shared, *args)
    finally:
        _release_heap_when_idle(keep_heap)
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)


# Seconds a worker keeps the heap of escalab's last task before handing it back (escalab.heap). Jobs
# sent one after another -- a sensitivity study's sweeps, a benchmark's repeats -- then find their
# memory still mapped: on the machine measured, each 4-million-point sweep on two local workers
# faulted ~7,500 pages in again per worker when the heap went back after every job, and took 0.66-0.75 s
# of a worker's CPU; kept, under 100 pages and 0.58-0.63 s (wall, twelve interleaved sweeps each:
# 0.81 s -> 0.76 s; the benchmark's ratio moved within its noise). An idle worker still hands its
# memory back, a few seconds later.
KEEP_HEAP_WHEN_IDLE = 5.0


def _release_heap_when_idle(after: float) -> None:
    """From a task's thread: :func:`escalab.heap.release_heap` on the worker's event loop ``after``
    seconds from now, only if no escalab task has used the heap meanwhile (that task plans its
    own). Planned by each task as it ends, rather than by the client once a job's last result is
    in, so that the job's end waits for no message to the workers (2 ms of every job measured)."""
    from distributed import get_worker

    uses = heap_uses()
    try:
        loop = get_worker().loop
    except ValueError:          # not in a worker (the task was called directly): nothing was kept for a job
        release_heap(uses)
        return
    loop.add_callback(loop.call_later, after, release_heap, uses)
