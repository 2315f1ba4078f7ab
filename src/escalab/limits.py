"""Named budgets for every kind of work, checked before the work starts.

escalab reads files from strangers and may run on shared machines, so no input of a few bytes may
buy unbounded time or memory. Each budget is a :class:`Limit` with a name, a default and a
sentence saying what it counts. Its value comes from, in order: a value set for this run
(``set_limits`` / the CLI's ``--limit NAME=N``, or a command's own flag), the environment variable
``ESCALAB_LIMIT_<NAME>`` (dashes as underscores), the default. A refusal is a
:class:`LimitError` (a ``UsageError``, so the CLI exits 2) that says which limit, the size found
and how to raise it.

Usable by every layer (like ``errors``): it imports nothing above ``escalab.errors``.
"""

from __future__ import annotations

import contextlib
import contextvars
import decimal
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .errors import UsageError

__all__ = ["LIMITS", "Limit", "LimitError", "applied", "available_memory", "check_memory", "check_seed",
           "check_workers", "get", "limit", "overrides", "parse_limit_option", "raised", "set_limits"]


class LimitError(UsageError):
    """Work refused before it started because it is over a named budget."""

    def __init__(self, limit: "Limit", found: float | int, where: str = ""):
        self.limit = limit
        self.found = found
        self.where = where
        value = limit.value()
        at = f"{where}: " if where else ""
        how = limit.how_to_raise()
        super().__init__(
            f"{at}{limit.what} is {_fmt(found)}, over the limit '{limit.name}' of {_fmt(value)}; {how}")


def _fmt(n: float | int) -> str:
    if isinstance(n, int) or (isinstance(n, float) and n.is_integer() and abs(n) < 1e18):
        return f"{int(n):,}"
    return f"{n:.3g}"


_overrides: contextvars.ContextVar[Mapping[str, int]] = contextvars.ContextVar("escalab_limits", default={})


@dataclass(frozen=True)
class Limit:
    """One budget. ``what`` completes "<what> is N, over the limit ..."."""

    name: str
    default: int
    what: str
    flag: str | None = None      # a command's own option that raises it, when there is one
    doc: str = ""                # one line for docs/limits.md: why the default is what it is

    @property
    def env(self) -> str:
        return "ESCALAB_LIMIT_" + self.name.upper().replace("-", "_")

    def value(self) -> int:
        set_here = _overrides.get().get(self.name)
        if set_here is not None:
            return set_here
        raw = os.environ.get(self.env)
        if raw is not None and raw.strip():
            try:
                return _parse_count(raw)
            except ValueError:
                raise UsageError(f"environment variable {self.env}={raw[:40]!r}: expected {ACCEPTED}") from None
        return self.default

    def how_to_raise(self) -> str:
        # ``flag`` (e.g. --runs) is the size itself, checked against this limit, so it is not a way to raise it
        return f"raise it with --limit {self.name}=N (or {self.env}=N) if you trust this input"

    def refusal(self, found: float | int, where: str = "") -> str:
        """The refusal message, for callers that raise their own error type (e.g. a located one)."""
        return str(LimitError(self, found, where))

    def check(self, found: float | int, where: str = "") -> None:
        """Refuse (raise LimitError) when ``found`` is over this limit."""
        if found > self.value():
            raise LimitError(self, found, where)

    def __int__(self) -> int:
        return self.value()


MAX_VALUE = 10**18                 # any budget above this is no budget, and 2^63 would overflow numpy and SQLite
ACCEPTED = "a whole number from 0 to 10^18 (digits, or 1e6 style)"


def _parse_count(raw: str) -> int:
    """A budget written as digits (``1_000_000``, ``2e9``); ValueError unless a whole number in range."""
    text = raw.strip().replace("_", "").replace(",", "")
    if not text or len(text) > 40 or not set(text.lower()) <= set("0123456789.e+"):
        raise ValueError(raw)
    try:
        value = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError(raw) from None
    # compared before int(): 1e999999 is refused without building a million-digit integer
    if not value.is_finite() or value < 0 or value > MAX_VALUE or value != value.to_integral_value():
        raise ValueError(raw)
    return int(value)


MAX_SEED = 2**63 - 1                # a game's seed is stored in SQLite, whose integers are signed 64-bit


def check_seed(seed: object, option: str = "--seed") -> None:
    """A seed is a whole number from 0 to 2^63 - 1, for every command (UsageError otherwise)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        shown = f"{seed}"[:30] + ("..." if len(f"{seed}") > 30 else "") if isinstance(seed, int) else repr(seed)[:30]
        raise UsageError(f"{option} must be a whole number from 0 to 2^63 - 1 ({MAX_SEED:,}), got {shown}")


def check_workers(workers: int, option: str = "--workers") -> None:
    """At least one worker, and no more than the ``workers`` limit, checked before any is started."""
    if workers < 1:
        raise UsageError(f"{option} must be at least 1, got {workers}")
    WORKERS.check(workers, where=option)


LIMITS: dict[str, Limit] = {}


def _define(name: str, default: int, what: str, flag: str | None = None, doc: str = "") -> Limit:
    lim = Limit(name, default, what, flag, doc)
    LIMITS[name] = lim
    return lim


# --- reading input ------------------------------------------------------------------------------
FILE_BYTES = _define("file-bytes", 2 * 1024 * 1024, "the file size in bytes",
                     doc="scenario, ladder, scale and .efg files (the largest built-in is 14 kB); read no further")
RESULTS_BYTES = _define("results-bytes", 64 * 1024 * 1024, "the size of a results.json in bytes",
                        doc="read by `run --from` (a built-in report's is under 1 MB); read no further")
YAML_ALIASES = _define("yaml-aliases", 100, "the number of YAML aliases (*name and << merges)",
                       doc="aliases can multiply a small file into a huge document")
YAML_NODES = _define("yaml-nodes", 200_000, "the number of YAML values after aliases and merges are expanded",
                     doc="counted while expanding, so a merge-key bomb stops early")
ERRORS_SHOWN = _define("errors-shown", 50, "the number of problems listed",
                       doc="not a refusal: the first N problems are listed, then how many more")
EXPRESSION_CHARS = _define("expression-chars", 2_000, "the length of an expression in characters",
                            doc="parsing is linear, but nesting and error texts grow with it")
NUMBER_DIGITS = _define("number-digits", 400, "the number of digits in a number literal",
                        doc="also bounds exponents: 1e-99999999999 is refused at parse time")
EXPONENT = _define("exponent", 400, "the size of a decimal exponent",
                   doc="a literal like 1e-99999999999 would otherwise be computed exactly")
EFG_DIGITS = _define("efg-digits", 400, "the number of digits in a number of an .efg file",
                     doc="Python refuses integers over 4,300 digits; Gambit computes with them exactly")

# --- building games ---------------------------------------------------------------------------------
TREE_NODES = _define("tree-nodes", 200_000, "the number of nodes in the expanded game tree",
                     doc="computed before expansion; moves that share `next:` nodes multiply")
TREE_DEPTH = _define("tree-depth", 2_000, "the depth of the expanded game tree (moves on the longest play)",
                     doc="every node records its history, so memory grows with depth squared on a long chain")
TYPES_PER_ACTOR = _define("types-per-actor", 32, "the number of private types of one actor",
                          doc="type profiles multiply across actors")
TURN_LIMIT = _define("turn-limit", 10_000, "the turn limit",
                     doc="steps of a ladder crisis; the exact analysis holds one array per turn")
BALANCE_RANGE = _define("balance-range", 10_000, "the number of balance values in a range",
                        doc="the exact analysis holds one state per balance value")
STATE_SPACE = _define("state-space", 20_000_000, "the number of array cells for the exact analysis",
                      doc="states x turns x rungs; one float each (160 MB at the default)")

# --- running ------------------------------------------------------------------------------------------
TOURNAMENT_GAMES = _define("tournament-games", 1_000_000, "the number of games in a tournament", flag="--games",
                           doc="pairings x games per pairing; every game is played turn by turn and stored")
MC_RUNS = _define("mc-runs", 100_000_000, "the number of Monte Carlo runs", flag="--runs",
                  doc="runs are simulated in chunks; time grows linearly")
GRID_POINTS = _define("grid-points", 20_000_000, "the number of grid points in a sweep",
                      doc="the product of the sizes of every --grid")
PYGAMBIT_POINTS = _define("pygambit-points", 20_000, "the number of sweep points solved one at a time with pygambit",
                          doc="every point of a game backward induction with beliefs does not cover, and points "
                              "where it finds no pure equilibrium; each takes milliseconds to minutes")
PYGAMBIT_ACTIONS = _define("pygambit-actions", 200, "the number of actions at the information sets of a tree given "
                           "to pygambit's tree solvers",
                           doc="the size of the sequence and agent forms that lcp on the tree, logit and the QRE "
                               "work on: a binary tree with 254 took 13 s (lcp) and 32 s (logit), one with 126 "
                               "2 s and 4 s")
MIXED_PROFILES = _define("mixed-profiles", 100, "the number of pure strategy profiles searched for mixed equilibria",
                         doc="enummixed and lcp-strategic search the (reduced) strategic form: enummixed took 5 s "
                             "on 10 x 10 strategies and 84 s on 12 x 12, lcp-strategic 20 s on 24 x 24")
FIGURE_NODES = _define("figure-nodes", 200, "the number of nodes drawn in a game-tree figure",
                       doc="a bigger tree is refused for drawing (solve and --efg still work)")
FIGURE_INCHES = _define("figure-inches", 150, "the figure size in inches",
                        doc="matplotlib allocates width x height x dpi^2 pixels")
CACHE_BYTES = _define("cache-bytes", 2 * 1024 ** 3, "the bytes of solved ladder-crisis equilibria kept on disk",
                     doc="not a refusal: beyond it the entries used least recently are deleted (the default "
                         "scenario's takes 0.5 GB)")
WORKERS = _define("workers", 256, "the number of local worker processes (or threads)", flag="--workers",
                  doc="each is a process (a tournament's --threads: a thread) with its own memory; beyond the "
                      "machine's cores they only cost memory")
DASK_TIMEOUT = _define("dask-timeout", 10, "the seconds to wait for a Dask scheduler",
                       doc="a silent or wrong endpoint exits 2 after this many seconds; at most 3,600")


def available_memory() -> int | None:
    """Bytes this process can still allocate without swapping or being killed: the kernel's
    MemAvailable (free pages elsewhere), and less where a cgroup (a container, a systemd slice)
    caps it. None when the platform says nothing."""
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as fh:
            cap = fh.read().strip()
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as fh:
            used = int(fh.read().strip())
        if cap.isdigit():
            found.append(max(int(cap) - used, 0))
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def _bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"  # pragma: no cover


def check_memory(nbytes: float, what: str) -> None:
    """Refuse, before allocating, work whose arrays need more memory than the machine has available
    (a budget lifted with --limit is the user's to trust, not the machine's to hold): a UsageError
    naming the size and the memory available, instead of a MemoryError or the OOM killer."""
    free = available_memory()
    if free is not None and nbytes > free:
        raise UsageError(f"{what} need about {_bytes(nbytes)}, more than the {_bytes(free)} of memory available "
                         "on this machine; make the work smaller")


def get(name: str) -> Limit:
    """The limit called ``name`` (a UsageError naming the known ones otherwise)."""
    try:
        return LIMITS[name]
    except KeyError:
        raise UsageError(f"unknown limit '{name[:60]}'; known limits: {', '.join(LIMITS)}") from None


def limit(name: str) -> int:
    """The current value of the limit called ``name``."""
    return get(name).value()


def parse_limit_option(text: str) -> tuple[str, int]:
    """``NAME=N`` from the command line, checked."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep:
        raise UsageError(f"--limit expects NAME=N, got '{text[:60]}'")
    lim = get(name)
    try:
        return lim.name, _parse_count(raw)
    except ValueError:
        raise UsageError(f"--limit {name}: '{raw[:40]}' is not {ACCEPTED}") from None


def set_limits(values: Mapping[str, int], *, replace: bool = False) -> None:
    """Set limits for the rest of this context (the CLI calls this once per command, replacing)."""
    for name in values:
        get(name)
    merged = {} if replace else dict(_overrides.get())
    merged.update(values)
    _overrides.set(merged)


def overrides() -> dict[str, int]:
    """The limits set for this context (``--limit``, ``set_limits``, ``raised``), to carry to another
    process: a worker started before they were set, or spawned, or on a Dask cluster."""
    return dict(_overrides.get())


@contextlib.contextmanager
def applied(values: Mapping[str, int]) -> Iterator[None]:
    """Exactly ``values`` (from :func:`overrides`) as the limits set, while the block runs."""
    token = _overrides.set(dict(values))
    try:
        yield
    finally:
        _overrides.reset(token)


@contextlib.contextmanager
def raised(**values: int) -> Iterator[None]:
    """``with limits.raised(tree_nodes=10**7): ...`` - keyword names use underscores for dashes."""
    named = {k.replace("_", "-"): v for k, v in values.items()}
    for name in named:
        get(name)
    merged = dict(_overrides.get())
    merged.update(named)
    token = _overrides.set(merged)
    try:
        yield
    finally:
        _overrides.reset(token)
