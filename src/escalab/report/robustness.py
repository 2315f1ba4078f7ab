"""How far each assumption can move before the answer changes.

A headline ("Russia uses limited nuclear weapons") is only as good as the numbers under it. For
every parameter that enters the move tree, this module scans the parameter alone over its range
(the other parameters at their values), finds every value where some equilibrium choice switches
-- exactly, as a rational, where the payoffs are linear in the parameter (the machinery of
:func:`escalab.solve.credibility.decision_regions`) -- and reports the switch nearest the default
and the nearest switch that changes the outcome. Ranked by distance as a share of the scanned
range, so parameters in different units can be compared: the top of the table is what the
headline hangs on.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import EscalabError
from ..model import ExtensiveGame
from ..scenario import Scenario
from ..solve.credibility import decision_regions, parameter_span
from ..solve.sequential import solve_sequential
from .explain import actor_name, decision_name, fmt, move_label

SCAN_POINTS = 201


def tree_parameters(game: ExtensiveGame) -> list[str]:
    """The parameters the move tree's payoffs and probabilities use, in the scenario's order."""
    used: set[str] = set()
    for exprs in list(game.payoff_exprs.values()) + list(game.prob_exprs.values()):
        for e in exprs:
            used |= set(e.names)
    return [p for p in game.scenario.parameters if p in used]


def scan_range(s: Scenario, name: str) -> tuple[float, float]:
    """The interval the report scans: the scenario's ``analysis.ranges``, else the parameter's span."""
    a = s.spec.analysis
    if a is not None and name in a.ranges:
        lo, hi = a.ranges[name]
        return float(lo), float(hi)
    return parameter_span(s, name)


def _outcome_at(game: ExtensiveGame, name: str, x: float) -> str:
    sol = solve_sequential(game, {name: np.array([x])})
    codes, labels, _ = sol.labels()
    return labels[int(codes[0])]


class _Names:
    """A decision's words as the scenario writes them: who decides, where, and each move's label."""

    def __init__(self, game: ExtensiveGame):
        self.game = game
        self.infosets = {i.label: i for i in game.infosets}

    def decision(self, infoset: str) -> dict[str, str]:
        info = self.infosets.get(infoset)
        if info is None:
            return {"actor_name": infoset, "where": infoset}
        return {"actor_name": actor_name(self.game, info.player, info.own_type),
                "where": decision_name(self.game, info)}

    def move(self, infoset: str, action: str) -> str:
        info = self.infosets.get(infoset)
        return move_label(self.game, self.game.nodes[info.nodes[0]].source, action) if info else action

    def threshold(self, parameter: str, regions: Any) -> str:
        """'Russia plays 'Fire a few low-yield weapons' at '...' while c_expand_r is below 10': the
        intervals of ``parameter`` on which the decision keeps its choice at the scenario's values."""
        d = self.decision(regions.infoset)
        subject = f"{d['actor_name']} plays '{self.move(regions.infoset, regions.current)}' at '{d['where']}'"
        lo_all, hi_all = regions.segments[0].lo, regions.segments[-1].hi
        spans = []
        for seg in regions.holds(regions.current):
            if seg.lo != lo_all and seg.hi != hi_all:
                spans.append(f"between {fmt(seg.lo)} and {fmt(seg.hi)}")
            elif seg.lo != lo_all:
                spans.append(f"above {fmt(seg.lo)}")
            elif seg.hi != hi_all:
                spans.append(f"below {fmt(seg.hi)}")
        if not spans:
            return f"{subject} for every {parameter} scanned"
        return f"{subject} while {parameter} is " + " or ".join(spans)


def parameter_robustness(s: Scenario, name: str, default_outcome: str,
                         names: _Names | None = None) -> dict[str, Any]:
    lo, hi = scan_range(s, name)
    d = float(s.values[name])
    base: dict[str, Any] = {"parameter": name, "value": d, "unit": s.parameters[name].unit,
                            "scanned": [lo, hi], "points": SCAN_POINTS}
    try:
        regions = decision_regions(s, name, lo, hi, points=SCAN_POINTS)
    except EscalabError as exc:
        return {**base, "note": str(exc)}
    names = names or _Names(s.compile("sequential"))
    switches = []
    for r in regions:
        for b in r.boundaries:
            # "from" is the choice on the default's side, "to" the one beyond the switch
            below = float(b.value) < d
            switches.append({"infoset": r.infoset, "actor": r.actor, "at": float(b.value),
                             "exact": fmt(b.value) if isinstance(b.value, Fraction) else None, "method": b.method,
                             "from": b.after if below else b.before, "to": b.before if below else b.after,
                             "distance": abs(float(b.value) - d), **names.decision(r.infoset)})
            switches[-1].update(from_label=names.move(r.infoset, switches[-1]["from"]),
                                to_label=names.move(r.infoset, switches[-1]["to"]))
    switches.sort(key=lambda w: (w["distance"], w["at"]))
    width = hi - lo
    out = {**base, "switches": switches,
           "statements": [r.statement() for r in regions if r.boundaries],
           "thresholds": [names.threshold(name, r) for r in regions if r.boundaries]}
    if not switches:
        out.update(nearest=None, nearest_outcome=None, relative=None)
        return out
    out["nearest"] = switches[0]
    out["relative"] = switches[0]["distance"] / width if width > 0 else None
    game = s.compile("sequential")
    edges = sorted({w["at"] for w in switches} | {lo, hi})
    out["nearest_outcome"] = None
    for w in switches:
        # the outcome just past the switch, away from the default: halfway to the next edge
        beyond = [e for e in edges if (e > w["at"] if w["at"] >= d else e < w["at"])]
        nxt = min(beyond, key=lambda e: abs(e - w["at"])) if beyond else w["at"]
        x = (w["at"] + nxt) / 2
        after = _outcome_at(game, name, x)
        if after != default_outcome:
            out["nearest_outcome"] = {**w, "outcome_after": after}
            break
    return out


def robustness(s: Scenario, default_outcome: str, progress: Callable[[str], None] | None = None
               ) -> dict[str, Any]:
    """Every tree parameter's nearest switch, ranked (nearest, as a share of its range, first)."""
    game = s.compile("sequential")
    used = tree_parameters(game)
    names = _Names(game)
    rows = []
    for i, name in enumerate(used):
        if progress:
            progress(f"robustness: {name} ({i + 1}/{len(used)})")
        rows.append(parameter_robustness(s, name, default_outcome, names))
    rows.sort(key=lambda r: (r.get("relative") is None, r.get("relative") or 0.0, r["parameter"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    unused = [p for p in s.parameters if p not in used]
    return {"rows": rows, "not_in_tree": unused, "points": SCAN_POINTS}
