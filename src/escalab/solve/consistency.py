"""Kreps-Wilson consistency of a profile's off-path beliefs, decided exactly where it can be.

Kept apart from :mod:`.assessments` because it is a decision procedure of its own, with its own
budgets, and because the question it answers -- "do some trembles produce beliefs under which
these choices are best replies?" -- is the one place where "sequential: true" can be wrong.

The model (Kreps and Wilson 1982; Kohlberg and Reny 1997). Every action a profile never plays
trembles with probability eps^k(a) * w(a), orders k(a) >= 1 integers, weights w(a) > 0. A node
then weighs chance(x) * prod_{a in D(x)} eps^k(a) w(a), D(x) its deviation set. At an off-path
information set the limit belief sits on the *keys* (minimal deviation sets) of least total order
k(K) = sum_{a in K} k(a) -- the *support* -- in the ratios of the monomials t_K = prod_{a in K} w(a).
Consistent assessments of a profile are exactly the limits of such sequences: any sequence has a
subsequence whose log-probabilities expand lexicographically, and finitely many comparisons let
the levels fold into one integer order. The orders and the weights are shared by *all*
information sets: that is what ties beliefs at different sets.

The caller (:func:`.assessments.check`) groups information sets with identical keys (their t is
the same vector) and hands each group's best-reply rows, linear in t. This module decides whether
some orders and weights satisfy them all:

1. groups that share no *deciding* action (one in some but not all of a group's keys; actions in
   all of them cancel) are independent, in orders and in weights alike;
2. a lone group whose keys are pairwise disjoint (the usual case: one deviation per key) can put
   its support on any subset and its ratios anywhere, so the linear relaxation (t >= 0 free) is
   exact -- no enumeration;
3. otherwise every *support pattern* (one support per group of the component, each locally
   feasible with t > 0 on it) is enumerated within ``MAX_PATTERNS``, checked before it starts:
   orders realising the pattern exist or not (a linear system in k, Fourier-Motzkin in exact
   rationals); then weights: when the key directions 1_K - 1_K0 of the supports are linearly
   independent, every group's ratios are free and the local linear check is the answer; when every
   support has two keys, each group bounds one log-ratio and the relations between them are linear
   in log w -- Fourier-Motzkin with multiplicative right-hand sides (products of rational powers),
   exact; otherwise (three or more keys in a support *and* a relation) the pairwise ratio bounds
   each group implies go through the same elimination (infeasible: the pattern is refuted, since
   they are necessary), and if they pass, a numerical search proposes weights, rounded to
   rationals and verified exactly (a certificate) -- or the answer is "undecided", never a guess.

A profile is refuted only when every pattern is; proven when one pattern is. A group's linear
range is reported exact when each support it allows occurs in a feasible pattern with independent
log-ratios (there its beliefs are free), else as an outer bound.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np

Number = Any
Key = frozenset                                   # a minimal deviation set: (infoset, action) pairs
Row = tuple[Mapping[Key, Number], str]            # sum(coef[K] * t_K) >= 0, or = 0

MAX_PATTERNS = 4096            # support patterns tried per coupled component, counted before starting
MAX_SUBSET_KEYS = 10           # keys of one group whose supports are enumerated (2^10 - 1 subsets)
MAX_FM_ROWS = 20_000           # inequalities one Fourier-Motzkin step may hold
MAX_EXPONENT = 64              # powers of a right-hand side the log-weight elimination may take
CERTIFICATE_STARTS = 6         # numerical starts of the certificate search (seeded: reproducible)
CERTIFICATE_DENOMINATORS = (1, 2, 3, 4, 6, 8, 12, 16, 100, 10**4, 10**6)


class _OverBudget(Exception):
    """A Fourier-Motzkin elimination outgrew ``MAX_FM_ROWS``: the component stays undecided."""


@dataclass(frozen=True)
class Group:
    """Information sets sharing one list of keys, with every best-reply row they impose on t."""

    keys: tuple[Key, ...]
    rows: tuple[Row, ...]
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """``status``: "proven", "refuted" or "undecided"; ``exact``: groups whose linear range is
    exactly the set of consistent supporting beliefs; ``coupled``: the groups each group's
    trembles tie it to; ``certificate``: orders and weights found by search, verified exactly."""

    status: str
    reason: str = ""
    exact: frozenset[int] = frozenset()
    coupled: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    certificate: Mapping[str, Any] | None = None


# ----------------------------------------------------------------------------------- structure
def deciding_actions(keys: Sequence[Key]) -> frozenset:
    """Actions in some but not all keys: only these move a group's support or ratios."""
    if len(keys) < 2:
        return frozenset()
    return frozenset().union(*keys) - frozenset.intersection(*map(frozenset, keys))


def _disjoint(keys: Sequence[Key]) -> bool:
    seen: set = set()
    for k in keys:
        if seen & k:
            return False
        seen |= k
    return True


def _rank(vectors: Sequence[Mapping[Any, int]]) -> int:
    """Rank of integer vectors given as {coordinate: value}, in exact arithmetic."""
    rows = [dict((c, Fraction(v)) for c, v in vec.items() if v) for vec in vectors]
    rank = 0
    while rows:
        row = rows.pop()
        if not row:
            continue
        rank += 1
        pivot, pv = next(iter(row.items()))
        new = []
        for r in rows:
            f = r.get(pivot, 0)
            if f:
                r = {c: r.get(c, 0) - f / pv * row.get(c, 0) for c in set(r) | set(row)}
                r = {c: v for c, v in r.items() if v}
            new.append(r)
        rows = new
    return rank


def _directions(keys: Sequence[Key], support: Sequence[int]) -> list[dict[Any, int]]:
    base = keys[support[0]]
    out = []
    for i in support[1:]:
        vec: dict[Any, int] = {}
        for a in keys[i]:
            vec[a] = vec.get(a, 0) + 1
        for a in base:
            vec[a] = vec.get(a, 0) - 1
        out.append({a: v for a, v in vec.items() if v})
    return out


# ----------------------------------------------------------------------------------- Fourier-Motzkin
def eliminate(ineqs: list[tuple[list[Any], Any]], n: int, tol: Any, combine: Any = None,
              budget: int | None = MAX_FM_ROWS) -> list[list[tuple[list[Any], Any]]] | None:
    """Systems a.x >= b after eliminating x_{n-1}, ..., x_0 (index j: variables 0..j-1), or None
    past ``budget`` rows in one step (None: no budget). ``combine(bp, cp, bn, cn)`` joins right-hand
    sides (default cn*bp + cp*bn). The system a.x >= b is feasible iff no b of ``stages[0]`` is > tol."""
    stages = [ineqs]
    for var in range(n - 1, -1, -1):
        pos, neg, rest = [], [], []
        for a, b in ineqs:
            (pos if a[var] > tol else neg if a[var] < -tol else rest).append((a, b))
        if budget is not None and len(pos) * len(neg) + len(rest) > budget:
            return None
        new = [(a[:var], b) for a, b in rest]
        for ap, bp in pos:
            for an, bn in neg:
                cp, cn = ap[var], -an[var]
                rhs = combine(bp, cp, bn, cn) if combine else cn * bp + cp * bn
                new.append(([cn * ap[j] + cp * an[j] for j in range(var)], rhs))
        seen, ineqs = set(), []
        for a, b in new:
            if (tuple(a), b) not in seen:
                seen.add((tuple(a), b))
                ineqs.append((a, b))
        stages.append(ineqs)
    return stages[::-1]


def _solve_linear(ineqs: list[tuple[list[Any], Any]], n: int, tol: Any = 0) -> list[Any] | None | bool:
    """A point with a.x >= b for all rows (back-substitution), False if there is none, None past budget."""
    stages = eliminate(ineqs, n, tol)
    if stages is None:
        return None
    if any(b > tol for _, b in stages[0]):
        return False
    x: list[Any] = []
    for j in range(n):
        lo, hi = None, None
        for a, b in stages[j + 1]:
            c = a[j]
            rest = b - sum((a[i] * x[i] for i in range(j)), 0)
            if c > tol:
                lo = rest / c if lo is None else max(lo, rest / c)
            elif c < -tol:
                hi = rest / c if hi is None else min(hi, rest / c)
        x.append(lo if lo is not None else hi if hi is not None else 0)
    return x


# ----------------------------------------------------------------------------------- orders
@lru_cache(maxsize=65_536)
def realising_orders(pattern: tuple[tuple[tuple[Key, ...], tuple[int, ...]], ...]) -> tuple | None:
    """Integer orders k >= 1 under which each group's least-order keys are exactly its support, as
    ((action, k), ...), or None if no orders do. ``pattern``: (keys, support indices) per group."""
    acts = sorted(frozenset().union(*(deciding_actions(keys) for keys, _ in pattern)), key=repr)
    if not acts:
        return ()
    pos = {a: i for i, a in enumerate(acts)}
    one = Fraction(1)
    ineqs: list[tuple[list[Any], Any]] = []
    for a in acts:
        ineqs.append(([one if i == pos[a] else 0 for i in range(len(acts))], one))     # k_a >= 1
    for keys, support in pattern:
        drop = frozenset.intersection(*map(frozenset, keys)) if len(keys) > 1 else frozenset()
        base = keys[support[0]]

        def diff(k: Key) -> list[Any]:
            v = [Fraction(0)] * len(acts)
            for a in k - drop:
                v[pos[a]] += 1
            for a in base - drop:
                v[pos[a]] -= 1
            return v
        for i, k in enumerate(keys):
            if i == support[0]:
                continue
            d = diff(k)
            if i in support:
                ineqs += [(d, Fraction(0)), ([-c for c in d], Fraction(0))]
            else:
                ineqs.append((d, one))                                                 # k(K) >= k(K0) + 1
    x = _solve_linear(ineqs, len(acts))
    if x is None:
        raise _OverBudget
    if x is False:
        return None
    scale = math.lcm(*(Fraction(v).denominator for v in x))
    return tuple((a, int(Fraction(v) * scale)) for a, v in zip(acts, x))


# ----------------------------------------------------------------------------------- local checks
def row_inequalities(rows: Sequence[Row], keys: Sequence[Key], lower: Any) -> list[tuple[list[Any], Any]]:
    """Best-reply rows over the weights of ``keys`` as a.t >= b (an equality as two rows), plus
    t_K >= ``lower`` for every key."""
    ineqs: list[tuple[list[Any], Any]] = []
    for coef, op in rows:
        a = [coef.get(k, 0) for k in keys]
        ineqs.append((a, 0))
        if op == "=":
            ineqs.append(([-v for v in a], 0))
    n = len(keys)
    ineqs += [([1 if j == i else 0 for j in range(n)], lower) for i in range(n)]
    return ineqs


def _locally_feasible(group: Group, support: Sequence[int], tol: Any) -> bool:
    """Some t > 0 on the support (0 elsewhere) satisfies the group's rows (homogeneous: t >= 1)."""
    keys = [group.keys[i] for i in support]
    n = len(keys)
    got = _solve_linear(row_inequalities(group.rows, keys, 1), n, tol)
    if got is None:
        raise _OverBudget
    return got is not False


def _ratio_bounds(group: Group, support: Sequence[int], i: int, j: int, tol: Any) -> tuple[Any, Any] | None:
    """Bounds (lo, hi) on t_Ki / t_Kj over the group's rows with t >= 0 on the support (lo 0 and hi
    None: no bound), or None if no t with t_Kj > 0 satisfies them. For a two-key support this is
    exactly the set of ratios; for more keys, the projection (a necessary condition)."""
    rest = [k for k in support if k not in (i, j)]
    order = [group.keys[i]] + [group.keys[k] for k in rest]
    kj = group.keys[j]
    n = len(order)
    ineqs: list[tuple[list[Any], Any]] = []
    for coef, op in group.rows:           # with t_Kj = 1: sum(c * t) >= -c_j
        a = [coef.get(k, 0) for k in order]
        ineqs.append((a, -coef.get(kj, 0)))
        if op == "=":
            ineqs.append(([-v for v in a], coef.get(kj, 0)))
    for x in range(n):
        ineqs.append(([1 if y == x else 0 for y in range(n)], 0))
    stages = eliminate(ineqs, n, tol)
    if stages is None:
        raise _OverBudget
    if any(b > tol for _, b in stages[0]):
        return None
    lo: Any = 0
    hi: Any = None
    for a, b in stages[1]:
        if a[0] > tol:
            lo = max(lo, b / a[0])
        elif a[0] < -tol:
            hi = b / a[0] if hi is None else min(hi, b / a[0])
    return lo, hi


def _log_linear(items: Sequence[tuple[Group, tuple[int, ...]]], exact: bool, tol: Any) -> bool | None:
    """Is there z = log w with every log-ratio z.(1_Ki - 1_Kj) within its bounds? Exact for two-key
    supports; for larger ones the pairwise bounds are necessary only, so False still refutes.
    Exact arithmetic carries a right-hand side log Q as the rational Q (FM multiplies rows by
    integers, so Q stays rational); None past the elimination budget."""
    acts = sorted(frozenset().union(*(deciding_actions(g.keys) for g, _ in items)), key=repr)
    pos = {a: i for i, a in enumerate(acts)}
    ineqs: list[tuple[list[Any], Any]] = []
    for g, s in items:
        for i, j in itertools.combinations(s, 2):
            got = _ratio_bounds(g, s, i, j, tol)
            if got is None:
                return False
            lo, hi = got
            if hi is not None and hi <= tol:
                return False                   # the ratio of two positive weights is positive
            e = [0] * len(acts)
            for a in g.keys[i]:
                if a in pos:
                    e[pos[a]] += 1
            for a in g.keys[j]:
                if a in pos:
                    e[pos[a]] -= 1
            if lo > tol:
                ineqs.append((e, Fraction(lo) if exact else math.log(lo)))
            if hi is not None:
                ineqs.append(([-v for v in e], 1 / Fraction(hi) if exact else -math.log(hi)))
    if exact:
        def combine(bp: Fraction, cp: int, bn: Fraction, cn: int) -> Fraction:
            if cp > MAX_EXPONENT or cn > MAX_EXPONENT:
                raise _OverBudget          # rational powers this high would not stay small
            return bp ** cn * bn ** cp
        stages = eliminate(ineqs, len(acts), 0, combine)
        if stages is None:
            return None
        return all(q <= 1 for _, q in stages[0])
    stages = eliminate(ineqs, len(acts), 1e-12)
    if stages is None:
        return None
    return all(b <= 1e-7 for _, b in stages[0])


# ----------------------------------------------------------------------------------- certificates
def _certificate(items: Sequence[tuple[Group, tuple[int, ...]]], exact: bool, tol: Any
                 ) -> dict[Any, Fraction] | None:
    """Weights w (exact rationals) making every group's rows hold at t_K = prod_{a in K} w(a) on its
    support, found numerically and verified exactly; None if the search finds none."""
    from scipy.optimize import minimize

    acts = sorted(frozenset().union(*(deciding_actions(g.keys) for g, _ in items)), key=repr)
    pos = {a: i for i, a in enumerate(acts)}
    n = len(acts)
    blocks = []          # per row: (incidence matrix of the support's keys, coefficients, is_equality)
    for g, s in items:
        inc = np.array([[1.0 if a in g.keys[i] else 0.0 for a in acts] for i in s])
        for coef, op in g.rows:
            c = np.array([float(coef.get(g.keys[i], 0)) for i in s])
            scale = float(np.max(np.abs(c))) or 1.0
            blocks.append((inc, c / scale, op == "="))

    def value(z: np.ndarray, inc: np.ndarray, c: np.ndarray) -> float:
        e = inc @ z
        p = np.exp(e - e.max())
        return float(c @ (p / p.sum()))

    ineq = [b for b in blocks if not b[2]]
    eq = [b for b in blocks if b[2]]
    cons = [{"type": "ineq", "fun": (lambda v, b=b: value(v[:n], b[0], b[1]) - v[n])} for b in ineq]
    cons += [{"type": "eq", "fun": (lambda v, b=b: value(v[:n], b[0], b[1]))} for b in eq]
    rng = np.random.default_rng(20261128)
    for start in range(CERTIFICATE_STARTS):
        z0 = np.zeros(n) if start == 0 else rng.normal(0.0, 2.0, n)
        res = minimize(lambda v: -v[n], np.append(z0, 0.0), method="SLSQP", constraints=cons,
                       bounds=[(-20.0, 20.0)] * n + [(-1.0, 1.0)], options={"maxiter": 200})
        z = res.x[:n]
        for d in CERTIFICATE_DENOMINATORS:
            w = {a: Fraction(math.exp(z[pos[a]])).limit_denominator(d) for a in acts}
            if any(v <= 0 for v in w.values()):
                continue
            if _verify(items, w, exact, tol):
                return w
    return None


def _verify(items: Sequence[tuple[Group, tuple[int, ...]]], w: Mapping[Any, Fraction], exact: bool, tol: Any
            ) -> bool:
    """Do the rows hold at t_K = prod_{a in K} w(a)? In exact rationals for an exact game."""
    for g, s in items:
        t = {g.keys[i]: math.prod((w[a] for a in g.keys[i] if a in w), start=Fraction(1)) for i in s}
        for coef, op in g.rows:
            if exact:
                total = sum((Fraction(coef.get(k, 0)) * v for k, v in t.items()), Fraction(0))
                if total < 0 or (op == "=" and total != 0):
                    return False
                continue
            scale = sum(float(v) for v in t.values())
            val = sum(float(coef.get(k, 0)) * float(v) for k, v in t.items()) / scale
            if val < -tol or (op == "=" and abs(val) > tol):
                return False
    return True


# ----------------------------------------------------------------------------------- decision
def structure(groups: Sequence[Group]) -> tuple[list[list[int]], frozenset[int]]:
    """The components of groups tied by shared deciding actions, and the groups whose linear range
    is exact by structure alone (alone in their component, keys pairwise disjoint)."""
    parent = list(range(len(groups)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    owner: dict[Any, int] = {}
    for i, g in enumerate(groups):
        for x in deciding_actions(g.keys):
            if x in owner:
                parent[find(i)] = find(owner[x])
            else:
                owner[x] = i
    comps: dict[int, list[int]] = {}
    for i in range(len(groups)):
        comps.setdefault(find(i), []).append(i)
    simple = frozenset(c[0] for c in comps.values() if len(c) == 1 and _disjoint(groups[c[0]].keys))
    return list(comps.values()), simple


def decide(groups: Sequence[Group], *, exact: bool, tol: Any) -> Decision:
    """Do orders and weights exist making every group's rows hold? Each group's linear relaxation
    (t >= 0, not all 0) is assumed feasible already: the caller refutes on it first."""
    comps, simple = structure(groups)
    exact_groups: set[int] = set(simple)
    coupled = {i: tuple(j for j in comp if j != i) for comp in comps if len(comp) > 1 for i in comp}
    undecided: list[str] = []
    certificate: dict[str, Any] | None = None
    for comp in comps:
        if len(comp) == 1 and comp[0] in simple:
            continue
        try:
            status, why, exact_here, cert = _component([groups[i] for i in comp], exact, tol)
        except _OverBudget:
            why = (f"consistency ties the beliefs at {_names([groups[i] for i in comp])}; deciding it exceeds "
                   f"the elimination budget ({MAX_FM_ROWS:,} inequalities, powers up to {MAX_EXPONENT})")
            status, exact_here, cert = "undecided", frozenset(), None
        if status == "refuted":
            return Decision("refuted", why, frozenset(exact_groups), coupled)
        if status == "undecided":
            undecided.append(why)
        exact_groups.update(comp[i] for i in exact_here)
        if cert is not None:
            certificate = certificate or {"orders": {}, "weights": {}}
            for part in ("orders", "weights"):
                certificate[part].update(cert[part])
    if undecided:
        return Decision("undecided", "; ".join(undecided), frozenset(exact_groups), coupled, certificate)
    return Decision("proven", "", frozenset(exact_groups), coupled, certificate)


def _names(gs: Sequence[Group]) -> str:
    return ", ".join(repr(x) for g in gs for x in g.labels) or "an off-path set"


def _component(gs: Sequence[Group], exact: bool, tol: Any) -> tuple[str, str, frozenset[int], dict[str, Any] | None]:
    """(status, reason, the groups whose linear range is exact, certificate) for groups tied by
    shared deciding actions.

    A group's linear range is the union, over the supports S it allows locally, of the beliefs
    with exactly that support. It is exact when each such S occurs in a feasible pattern whose
    log-ratios are independent (there every group's ratios are free, so all of S's beliefs are
    consistent together with the others'); every pattern is visited for that, within the budget."""
    where = _names(gs)
    candidates: list[list[tuple[int, ...]]] = []
    local: list[set[tuple[int, ...]]] = []
    for g in gs:
        m = len(g.keys)
        if m > MAX_SUBSET_KEYS:
            return ("undecided", f"at {where} a set has {m} groups of nodes; the order patterns of more than "
                    f"{MAX_SUBSET_KEYS} are not enumerated", frozenset(), None)
        supports = [s for size in range(1, m + 1) for s in itertools.combinations(range(m), size)
                    if _locally_feasible(g, s, tol)]
        cs = [s for s in supports if realising_orders(((g.keys, s),)) is not None]
        if not cs:
            return ("refuted", f"no trembles make the profile's choices at {where} best replies (the "
                    "beliefs they need put weight on nodes no order of deviations keeps together)", frozenset(), None)
        candidates.append(cs)
        local.append(set(supports))
    total = math.prod(len(c) for c in candidates)
    if total > MAX_PATTERNS:
        return ("undecided", f"consistency ties the beliefs at {where}; its {total:,} order patterns exceed "
                f"the budget of {MAX_PATTERNS:,}", frozenset(), None)
    free: list[set[tuple[int, ...]]] = [set() for _ in gs]
    proven, unknown = False, 0
    certificate = None
    for combo in itertools.product(*candidates):
        if proven and all(local[i] <= free[i] or combo[i] in free[i] for i in range(len(gs))):
            continue                            # nothing left to learn from this pattern
        orders = realising_orders(tuple((g.keys, s) for g, s in zip(gs, combo)))
        if orders is None:
            continue
        items = [(g, s) for g, s in zip(gs, combo) if len(s) > 1]
        dirs = [d for g, s in items for d in _directions(g.keys, s)]
        if _rank(dirs) == len(dirs):            # ratios free in every group: the local checks decide
            proven = True
            for i, s in enumerate(combo):
                free[i].add(s)
            continue
        if proven:
            continue
        try:
            got = _log_linear(items, exact, tol)
        except _OverBudget:
            got = None                          # this pattern alone is too big to eliminate: search instead
        if got is False:
            continue                            # refuted exactly, even through the pairwise bounds
        if got and all(len(s) == 2 for _, s in items):
            proven = True
            continue
        w = _certificate(items, exact, tol)
        if w is not None:
            proven, certificate = True, {"orders": dict(orders), "weights": w}
            continue
        unknown += 1
    exact_groups = frozenset(i for i in range(len(gs)) if local[i] <= free[i])
    if proven:
        return "proven", "", exact_groups, certificate
    if unknown:
        return ("undecided", f"consistency ties the beliefs at {where} multiplicatively (products of shared "
                "trembles); no weights were found that make the choices best replies, and none was shown "
                "impossible", frozenset(), None)
    return ("refuted", f"no trembles make the profile's choices at {where} best replies: the beliefs they need "
            "are not consistent together (shared deviations tie these sets)", frozenset(), None)
