"""Which threats are credible, and for which parameter values.

The article's first point is that deterrence rests on credibility: a threat works only if the
enemy believes it would be carried out. In game-theoretic terms a threat is an action a player's
equilibrium strategy commits it to at an information set the equilibrium never reaches ("if you use
nuclear weapons, I answer in kind") and that would leave the player whose move leads there worse off
than another action would (stopping the war deters nobody); it is *credible* when carrying it out would be a best reply
once there -- part of a subgame-perfect or sequential equilibrium -- and empty when it only holds
up a Nash equilibrium because it is never put to the test (Selten).

Credibility changes with the parameters, so the second half finds where: for a chosen parameter,
the intervals on which each information set's equilibrium choice stays the same. Boundaries are
exact rationals when the payoffs are linear in the parameter along the boundary (verified by an
exact tie at the computed point), and found by bisection otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ModelError, UsageError
from ..model import ExtensiveGame
from ..scenario import Scenario
from ..scenario.scenario import exact_value
from . import assessments
from .assessment import Equilibrium
from .gambit_bridge import nash, strategy_profile_count
from .sequential import SequentialSolution, solve_sequential, structure

MAX_STRATEGY_PROFILES = 200_000
MAX_SCAN_POINTS = 1_000_000       # grid points of a threshold scan (the grid and one solve per point are in memory)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Threat:
    """An off-path commitment of at least one equilibrium that would hurt the player whose move leads there."""

    actor: str
    infoset: str
    action: str
    credible: bool | None          # None: consistency not decided within its budget (neither claimed nor denied)
    gap: float                     # payoff of carrying it out minus the best alternative, once there
    best: tuple[str, ...]          # what the sequential equilibrium plays there (all maximisers)
    equilibria: tuple[str, ...]    # labels of the equilibria that rely on it
    support: tuple[str, ...] = ()  # the consistent beliefs under which carrying it out is a best reply

    def to_dict(self) -> dict[str, Any]:
        return {"actor": self.actor, "infoset": self.infoset, "action": self.action, "credible": self.credible,
                "gap": self.gap, "best": list(self.best), "equilibria": list(self.equilibria),
                "support": list(self.support)}


@dataclass(frozen=True)
class CredibilityReport:
    scenario: str
    sequential: Equilibrium
    nash: tuple[Equilibrium, ...]
    threats: tuple[Threat, ...]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "sequential": self.sequential.to_dict(),
                "nash": [e.to_dict() for e in self.nash], "threats": [t.to_dict() for t in self.threats],
                "note": self.note}


def _profile_indices(game: ExtensiveGame, eq: Equilibrium, fill: Equilibrium) -> tuple[dict[int, int], set[int]] | None:
    """Action index per infoset of a pure equilibrium, and the infosets its strategies leave open.

    Gambit's strategic form is reduced: at an information set a player's own earlier move rules
    out, the strategy says nothing (all probabilities zero). Those commit to nothing, so they are
    no threats; they are filled from ``fill`` only to evaluate the profile.
    """
    out: dict[int, int] = {}
    open_sets: set[int] = set()
    for info in game.infosets:
        acts = eq.behaviour[info.label]
        probs = [float(acts[a]) for a in info.actions]
        if sum(probs) < 1e-9:
            open_sets.add(info.index)
            probs = [float(fill.behaviour[info.label][a]) for a in info.actions]
        k = max(range(len(info.actions)), key=lambda i: probs[i])
        if abs(probs[k] - 1) > 1e-9:
            return None
        out[info.index] = k
    return out, open_sets


def credibility(game: ExtensiveGame) -> CredibilityReport:
    """Threats in the pure Nash equilibria (pygambit) and the sequential equilibrium, judged credible or not.

    A threat is credible when carrying it out is a best reply at its information set for some
    belief there that is consistent with the equilibrium relying on it (:mod:`.assessments`); the
    ``gap`` is its payoff there minus the best alternative's, under that equilibrium's continuation
    and its uniform-tremble beliefs.
    """
    reference, note = _reference(game)
    if strategy_profile_count(game) <= MAX_STRATEGY_PROFILES:
        nash_eqs = nash(game, "enumpure").equilibria
    else:
        nash_eqs = ()
        note = (f"the strategic form has {strategy_profile_count(game)} pure profiles; Nash equilibria "
                "were not enumerated, only the sequential equilibrium's own commitments are listed")
    candidates = []
    for eq in [reference, *nash_eqs]:
        got = _profile_indices(game, eq, reference)
        if got is not None:
            candidates.append((eq, got[0], got[1]))
    stacked = {j: np.array([c[1][j] for c in candidates]) for j in range(len(game.infosets))}
    evaluated = solve_sequential(game, profiles=stacked)
    one, zero = (Fraction(1), Fraction(0)) if game.exact else (1.0, 0.0)
    tree = assessments._tree(game)
    found: dict[tuple[int, int], list[tuple[str, int, bool]]] = {}
    support: dict[tuple[int, int], list[str]] = {}
    for k, (eq, idx, open_sets) in enumerate(candidates):
        reached = _reached_infosets(evaluated, k)
        sigma = {j: tuple(one if a == c else zero for a in range(len(game.infosets[j].actions)))
                 for j, c in idx.items()}
        verdict = assessments.check(game, sigma, stop_early=False)
        local = verdict.local
        values = assessments._values(tree, sigma)
        for info in game.infosets:
            if info.index in reached or info.index in open_sets:
                continue
            a = int(stacked[info.index][k])
            if not _deters(tree, values, info, a):
                continue            # a concession ("stop the war") holds nobody back: no threat
            tags = found.setdefault((info.index, a), [])
            tag = f"{eq.method}: {eq.label}"
            if tag not in [t for t, _, _ in tags]:
                ok = local.get(info.label, False)
                tags.append((tag, k, ok))
                rng = verdict.ranges.get(info.label)
                if ok and rng is not None and len(rng.nodes) > 1:
                    support.setdefault((info.index, a), []).extend(
                        x for x in rng.texts if x not in support.get((info.index, a), []))
    ref_q = {j: [v[0] for v in evaluated.action_values[j]] for j in range(len(game.infosets))}
    threats = []
    for (j, a), tags in sorted(found.items()):
        info = game.infosets[j]
        q = [float(v) for v in ref_q[j]]
        best = max(q)
        tol = 1e-9 * max(1.0, abs(best))
        maxi = tuple(info.actions[i] for i, v in enumerate(q) if best - v <= tol)
        k = tags[0][1]
        own = [float(v[k]) for v in evaluated.action_values[j]]
        others = [v for i, v in enumerate(own) if i != a]
        gap = own[a] - (max(others) if others else own[a])
        oks = [ok for _, _, ok in tags]
        credible = True if True in oks else None if None in oks else False
        threats.append(Threat(game.players[info.player], info.label, info.actions[a],
                              credible, gap, maxi, tuple(t for t, _, _ in tags), tuple(support.get((j, a), ()))))
    return CredibilityReport(game.scenario.id, reference, tuple(nash_eqs), tuple(threats), note)


def _deters(tree: Any, values: list[tuple[Any, ...]], info: Any, a: int) -> bool:
    """Whether carrying out action ``a`` at ``info`` would leave the player whose move led there
    worse off than another action at ``info`` would, at some node of it (play continuing as the
    equilibrium says). Only such a commitment can hold that player back; the other off-path
    commitments of an equilibrium are concessions or indifference, not threats."""
    game = tree.game
    for n in info.nodes:
        node, deviator = n, None
        while node in tree.parent and deviator is None:       # the nearest earlier mover other than the mover here
            node = tree.parent[node][0]
            p = game.nodes[node].player
            if game.nodes[node].kind == "decision" and p != info.player:
                deviator = p
        if deviator is None:
            continue
        children = game.nodes[n].children
        mine = values[children[a]][deviator]
        best = max(values[c][deviator] for c in children)
        if best - mine > tree.tol:
            return True
    return False


def _reference(game: ExtensiveGame) -> tuple[Equilibrium, str]:
    """The sequential equilibrium threats are judged against: the best-ranked pure one."""
    try:
        ranked, _ = assessments.sequential_equilibria(game)
    except ModelError as exc:        # over the enumeration's budget: the vectorised solver's, if it settles
        se = solve_sequential(game)
        if not bool(se.converged[0]):
            raise ModelError(f"'{game.scenario.id}': {exc}; and backward induction with beliefs does not "
                             "settle on a pure profile, which credibility needs") from None
        return se.equilibrium(0), "the sequential equilibrium of backward induction with uniform-tremble beliefs"
    if not ranked[0].is_pure or ranked[0].method == "logit-limit":
        raise ModelError(f"'{game.scenario.id}' has no pure sequential equilibrium; threats are judged against "
                         "one (see --method sequential for the mixed one)")
    return ranked[0], ""


def _reached_infosets(sol: SequentialSolution, k: int) -> set[int]:
    game = sol.game
    reached: set[int] = set()
    on = {0: True}
    for n in game.nodes:
        if not on.get(n.index):
            continue
        if n.kind == "decision":
            assert n.infoset is not None
            reached.add(n.infoset)
            on[n.children[int(sol.choice[n.infoset][k])]] = True
        elif n.kind == "chance":
            for ch, p in zip(n.children, n.probs):
                if float(p) > 0:
                    on[ch] = True
    return reached


# ------------------------------------------------------------------------------ regions
@dataclass(frozen=True)
class Boundary:
    value: Any                   # Fraction when exact, else float
    exact: bool
    method: str                  # "linear" (exact tie verified) or "bisection"
    before: str
    after: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": float(self.value), "exact": str(self.value) if self.exact else None,
                "method": self.method, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Segment:
    lo: Any
    hi: Any
    action: str

    def to_dict(self) -> dict[str, Any]:
        return {"lo": float(self.lo), "hi": float(self.hi), "action": self.action}


@dataclass(frozen=True)
class Regions:
    """How one information set's equilibrium choice depends on one parameter."""

    parameter: str
    infoset: str
    actor: str
    segments: tuple[Segment, ...]
    boundaries: tuple[Boundary, ...]
    current: str

    def holds(self, action: str) -> list[Segment]:
        return [s for s in self.segments if s.action == action]

    def statement(self, action: str | None = None) -> str:
        """E.g. "russia plays limited_use at russia_decides iff p_resolute < 3/4"."""
        action = action or self.current
        segs = self.holds(action)
        subject = f"{self.actor} plays {action} at {self.infoset}"
        if not segs:
            return f"{subject} for no {self.parameter} in the range scanned"
        if len(segs) == len(self.segments):
            return f"{subject} for every {self.parameter} in the range scanned"
        conds = []
        lo_all, hi_all = self.segments[0].lo, self.segments[-1].hi
        for s in segs:
            parts = []
            if s.lo != lo_all:
                parts.append(f"{self.parameter} > {_fmt(s.lo)}")
            if s.hi != hi_all:
                parts.append(f"{self.parameter} < {_fmt(s.hi)}")
            conds.append(" and ".join(parts))
        return f"{subject} iff " + " or ".join(conds)

    def to_dict(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "infoset": self.infoset, "actor": self.actor,
                "current": self.current, "statement": self.statement(),
                "segments": [s.to_dict() for s in self.segments],
                "boundaries": [b.to_dict() for b in self.boundaries]}


def _fmt(v: Any) -> str:
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        return f"{v} (= {float(v):.6g})"
    return f"{float(v):.6g}"


def parameter_span(scenario: Scenario, parameter: str) -> tuple[float, float]:
    """The range to scan: the parameter's declared range, else four times its size around the default."""
    if parameter not in scenario.parameters:
        known = ", ".join(scenario.parameters) or "none"
        raise UsageError(f"scenario '{scenario.id}' has no parameter '{parameter}' (parameters: {known})")
    spec = scenario.parameters[parameter]
    if spec.range is not None:
        return float(spec.range[0]), float(spec.range[1])
    d = float(scenario.values[parameter])
    span = 4 * max(1.0, abs(d))
    return d - span, d + span


def decision_regions(scenario: Scenario, parameter: str, lo: float | None = None, hi: float | None = None,
                     points: int = 401, infosets: Sequence[str] | None = None,
                     progress: Progress | None = None) -> list[Regions]:
    """For each information set, the intervals of ``parameter`` on which its equilibrium choice is fixed."""
    a, b = parameter_span(scenario, parameter)
    lo = a if lo is None else lo
    hi = b if hi is None else hi
    if not lo < hi:
        raise UsageError(f"the range for '{parameter}' is empty: [{lo:g}, {hi:g}]")
    if not 3 <= points <= MAX_SCAN_POINTS:
        raise UsageError(f"a threshold scan needs between 3 and {MAX_SCAN_POINTS} points, got {points}")
    game = scenario.compile("sequential")
    grid = np.linspace(lo, hi, points)
    sol = solve_sequential(game, {parameter: grid})
    if not sol.converged.all():
        raise ModelError(f"backward induction with beliefs does not settle at every {parameter} in "
                         f"[{lo:g}, {hi:g}]; thresholds need a pure sequential equilibrium")
    targets = [i for i in game.infosets if infosets is None or i.label in infosets]
    if infosets is not None:
        missing = set(infosets) - {i.label for i in game.infosets}
        if missing:
            raise UsageError(f"unknown information set(s) {', '.join(sorted(missing))} "
                             f"(known: {', '.join(i.label for i in game.infosets)})")
    current = solve_sequential(game)
    exact_lo, exact_hi = exact_value(lo), exact_value(hi)
    step = (exact_hi - exact_lo) / (points - 1)
    found: dict[int, list[Boundary]] = {}
    # deepest information sets first: a switch higher up is often caused by one below, at the same value
    for n, j in enumerate(structure(game).order):
        ch = sol.choice[j]
        changes = np.flatnonzero(ch[1:] != ch[:-1])
        bounds: list[Boundary] = []
        for c in changes:
            left = exact_lo + step * int(c)
            right = exact_lo + step * (int(c) + 1)
            known = [b.value for bs in found.values() for b in bs if b.exact and left <= b.value <= right]
            bounds.append(_refine(scenario, parameter, j, int(ch[c]), int(ch[c + 1]), left, right, known))
        found[j] = bounds
        if progress:
            progress(n + 1, len(game.infosets))
    out = []
    for info in targets:
        ch = sol.choice[info.index]
        bounds = found[info.index]
        edges: list[Any] = [exact_lo] + [bd.value for bd in bounds] + [exact_hi]
        if not all(isinstance(e, Fraction) for e in edges[1:-1]):
            edges = [float(e) if not isinstance(e, Fraction) or e.denominator != 1 else e for e in edges]
        acts = [info.actions[int(ch[0])]] + [bd.after for bd in bounds]
        segs = tuple(Segment(edges[k], edges[k + 1], acts[k]) for k in range(len(acts)))
        out.append(Regions(parameter, info.label, game.players[info.player], segs, tuple(bounds),
                           info.actions[int(current.choice[info.index][0])]))
    return out


def _choice_gap(scenario: Scenario, parameter: str, value: Fraction, infoset: int, a: int, b: int) -> Fraction:
    game = scenario.with_params({parameter: value}).compile("sequential", exact=True)
    sol = solve_sequential(game)
    q = sol.action_values[infoset]
    return q[b][0] - q[a][0]


def _choice_at(scenario: Scenario, parameter: str, value: Fraction, infoset: int) -> int:
    game = scenario.with_params({parameter: value}).compile("sequential", exact=True)
    return int(solve_sequential(game).choice[infoset][0])


def _refine(scenario: Scenario, parameter: str, infoset: int, a: int, b: int,
            left: Fraction, right: Fraction, known: Sequence[Fraction] = ()) -> Boundary:
    """The switch from action a to action b between ``left`` and ``right``.

    First try the exact root of the payoff difference between a and b, assuming it is linear in the
    parameter, and accept it only if the exact solution ties there. Failing that, try exact switch
    points of information sets further down (a choice changes when the continuation it rests on
    changes), accepted if the choice is a just below and b just above. Otherwise bisect.
    """
    game = scenario.compile("sequential")
    names = game.infosets[infoset].actions
    try:
        g_left = _choice_gap(scenario, parameter, left, infoset, a, b)
        g_right = _choice_gap(scenario, parameter, right, infoset, a, b)
        if g_right != g_left:
            root = left + (right - left) * (-g_left) / (g_right - g_left)
            if left <= root <= right and _choice_gap(scenario, parameter, root, infoset, a, b) == 0:
                return Boundary(root, True, "linear", names[a], names[b])
        eps = (right - left) / 2**30
        for v in known:
            if _choice_at(scenario, parameter, max(left, v - eps), infoset) == a and \
                    _choice_at(scenario, parameter, min(right, v + eps), infoset) == b:
                return Boundary(v, True, "follows a switch below", names[a], names[b])
    except (ModelError, UsageError, ZeroDivisionError):
        pass
    lo, hi = float(left), float(right)
    for _ in range(60):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        sol = solve_sequential(game, {parameter: np.array([mid])})
        if int(sol.choice[infoset][0]) == a:
            lo = mid
        else:
            hi = mid
    return Boundary((lo + hi) / 2, False, "bisection", names[a], names[b])


@dataclass(frozen=True)
class ThreatRegion:
    threat: Threat
    regions: Regions
    credible_on: tuple[Segment, ...]

    def statement(self) -> str:
        return self.regions.statement(self.threat.action).replace(" plays ", " credibly plays ", 1)

    def to_dict(self) -> dict[str, Any]:
        return {"threat": self.threat.to_dict(), "parameter": self.regions.parameter,
                "statement": self.statement(), "credible_on": [s.to_dict() for s in self.credible_on]}


def threat_regions(scenario: Scenario, report: CredibilityReport, parameter: str,
                   points: int = 401, progress: Progress | None = None) -> list[ThreatRegion]:
    """For each threat in ``report``, where along ``parameter`` carrying it out is a best reply."""
    labels = sorted({t.infoset for t in report.threats})
    regions = {r.infoset: r for r in decision_regions(scenario, parameter, points=points, infosets=labels,
                                                      progress=progress)}
    return [ThreatRegion(t, regions[t.infoset], tuple(regions[t.infoset].holds(t.action))) for t in report.threats]


__all__ = ["Boundary", "CredibilityReport", "Regions", "Segment", "Threat", "ThreatRegion", "credibility",
           "decision_regions", "parameter_span", "threat_regions"]
