"""The 'solve' section of ``escalab run`` (equilibria, credibility, phase diagram).

It answers the article's questions in the order a reader asks them: under these parameters, does
the challenger use limited nuclear weapons, and does the defender stop or respond (per type)? Which
threats are credible? Does removing the defender's low-yield option change the answer (the
Pentagon's argument for the W76-2)? And where in (p_resolute, c_limited) does each outcome hold?
Everything here is vectorised or exact, so the section takes a second or two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from ..errors import EscalabError
from ..model import ExtensiveGame
from ..scenario import Scenario, library, load
from ..solve.assessment import Equilibrium
from ..solve.credibility import credibility, decision_regions
from ..solve.sequential import SequentialSolution, solve_sequential, structure
from ..solve.sweep import Axis, sweep
from .phase_diagram import plot_phase_diagram
from .solve_tables import credibility_table, equilibrium_table, equilibrium_title, regions_table

PHASE_AXES = (("p_resolute", 101), ("c_limited", 81))
VARIANT_SUFFIX = "-no-low-yield"


def _reached_infosets(game: ExtensiveGame, sol: SequentialSolution) -> list[int]:
    on = {0}
    seen: list[int] = []
    for n in game.nodes:
        if n.index not in on:
            continue
        if n.kind == "decision":
            assert n.infoset is not None
            if n.infoset not in seen:
                seen.append(n.infoset)
            on.add(n.children[int(sol.choice[n.infoset][0])])
        elif n.kind == "chance":
            on.update(ch for ch, p in zip(n.children, n.probs) if float(p) > 0)
    return seen


def decisions(game: ExtensiveGame, eq: Equilibrium, sol: SequentialSolution) -> list[dict[str, Any]]:
    """The choices on the equilibrium path, in the order play meets them."""
    out = []
    for j in _reached_infosets(game, sol):
        info = game.infosets[j]
        out.append({"actor": game.players[info.player], "type": info.own_type, "infoset": info.label,
                    "action": eq.choice(info.label)})
    return out


def _answers(game: ExtensiveGame, eq: Equilibrium) -> dict[str, Any]:
    """The default scenario's questions, when the scenario has its information sets."""
    labels = {i.label: i for i in game.infosets}
    out: dict[str, Any] = {}
    if "russia_decides" in labels:
        out["russia_uses_limited_weapons"] = eq.choice("russia_decides") == "limited_use"
    us = {i.own_type or "us": eq.choice(i.label) for i in game.infosets if i.source == "us_decides"}
    if us:
        out["us_response"] = us
    return out


def _solve(game: ExtensiveGame) -> tuple[Equilibrium, SequentialSolution]:
    sol = solve_sequential(game)
    if not bool(sol.converged[0]):
        raise EscalabError("no pure sequential equilibrium found by backward induction with beliefs")
    return sol.equilibrium(0), sol


def section(s: Scenario, out: Path, console: Console) -> dict[str, Any] | None:
    if "sequential" not in s.forms:
        return None
    game = s.compile("sequential", exact=True)
    if not structure(game).applies:
        console.print(f"[dim]solve: '{s.id}' has information sets that backward induction with beliefs does not "
                      "cover; see 'escalab solve --method nash'[/]")
        return {"note": structure(game).reason}
    try:
        eq, sol = _solve(game)
    except EscalabError as exc:
        console.print(f"[dim]solve: {exc}[/]")
        return {"note": str(exc)}
    console.rule("[bold]Equilibrium")
    console.print(equilibrium_table(game, eq, equilibrium_title(game)))
    record: dict[str, Any] = {"equilibrium": eq.to_dict(), "on_path": decisions(game, eq, sol), **_answers(game, eq)}

    try:
        report = credibility(game)
        console.print(credibility_table(report))
        record["threats"] = [t.to_dict() for t in report.threats]
    except EscalabError as exc:
        record["threats_note"] = str(exc)

    thresholds: dict[str, Any] = {}
    for name, _ in PHASE_AXES:
        if name in s.parameters:
            regions = decision_regions(s, name, points=201)
            console.print(regions_table(regions))
            thresholds[name] = [r.to_dict() for r in regions]
    if thresholds:
        record["thresholds"] = thresholds

    variant_id = s.id + VARIANT_SUFFIX
    if variant_id in library.builtin_names("scenario"):
        variant = load(variant_id)
        shared = {k: v for k, v in s.values.items() if k in variant.parameters}
        vgame = variant.with_params(shared).compile("sequential", exact=True)
        try:
            veq, vsol = _solve(vgame)
            changed = veq.label != eq.label
            console.print(equilibrium_table(vgame, veq, f"{equilibrium_title(vgame)} without the low-yield option "
                                                        f"({variant_id})"))
            console.print(("[bold]Removing the low-yield option changes the outcome[/]: " if changed else
                           "[bold]Removing the low-yield option does not change the outcome[/]: ")
                          + f"{eq.label}  →  {veq.label}")
            record["without_low_yield"] = {"scenario": variant_id, "equilibrium": veq.to_dict(),
                                           "on_path": decisions(vgame, veq, vsol), **_answers(vgame, veq),
                                           "changes_outcome": changed}
        except EscalabError as exc:
            record["without_low_yield"] = {"scenario": variant_id, "note": str(exc)}

    if all(name in s.parameters for name, _ in PHASE_AXES):
        axes = []
        for name, num in PHASE_AXES:
            rng = s.parameters[name].range
            lo, hi = (rng if rng is not None else (0.0, 2 * float(s.values[name]) + 1))
            if name == "c_limited":
                hi = min(float(hi), 20.0)
            axes.append(Axis(name, np.linspace(float(lo), float(hi), num)))
        result = sweep(s, axes)
        png = plot_phase_diagram(result, out / "phase-diagram.png")
        result.write_csv(out / "sweep.csv")
        console.print(f"[dim]wrote {png}[/]")
        record["phase_diagram"] = {"file": str(png), "csv": str(out / "sweep.csv"), **result.to_dict()}
    return record
