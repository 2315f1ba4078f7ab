"""The move tree's part of the report: equilibrium, why it holds, threats, robustness, phase diagram.

It answers a reader's questions in order: under these parameters, what does each side do and why
(the arithmetic of each choice)? Which threats are credible? Which assumptions does the answer
hang on (the nearest switch of every parameter)? And where in the plane of the two parameters the
scenario names (its ``analysis`` block, else the two with the nearest switches) does each outcome
hold? Nothing here knows a built-in scenario's names: everything is read from the scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import EscalabError
from ..limits import PYGAMBIT_ACTIONS, LimitError
from ..model import ExtensiveGame
from ..scenario import Scenario
from ..solve.assessment import Equilibrium
from ..solve.credibility import credibility
from ..solve.assessments import sequential_equilibria, support_point
from ..solve.sequential import SequentialSolution, solve_sequential, structure
from ..solve.sweep import Axis, SweepResult, sweep
from .colours import OutcomeColours
from .explain import (actor_name, belief_range_sentence, chance_weight, decision_name, draw_words, explain_choices,
                      explain_threat, move_label)
from .robustness import robustness, scan_range

Progress = Callable[[str], None]
PHASE_POINTS_2D = (101, 81)
PHASE_POINTS_1D = 401


def equilibrium_title(game: ExtensiveGame) -> str:
    if game.info.perfect_information:
        return "Subgame-perfect equilibrium (backward induction)"
    return "Sequential equilibrium (backward induction with beliefs)"


def _reached_infosets(game: ExtensiveGame, sol: SequentialSolution) -> dict[int, list[int]]:
    """The information sets play reaches, in the order it meets them, each with the nodes reached."""
    on = {0}
    seen: dict[int, list[int]] = {}
    for n in game.nodes:
        if n.index not in on:
            continue
        if n.kind == "decision":
            assert n.infoset is not None
            seen.setdefault(n.infoset, []).append(n.index)
            on.add(n.children[int(sol.choice[n.infoset][0])])
        elif n.kind == "chance":
            on.update(ch for ch, p in zip(n.children, n.probs) if float(p) > 0)
    return seen


def decisions(game: ExtensiveGame, eq: Equilibrium, sol: SequentialSolution) -> list[dict[str, Any]]:
    """The choices on the equilibrium path, in the order play meets them.

    ``given`` says what chance must have drawn for play to reach a choice ('United States / NATO is
    resolute'), empty where play reaches it whatever chance draws: with private types the path is a
    path per type, and a reader must not take one type's moves to follow another's.
    """
    out = []
    ladder = game.scenario.ladder
    rung_names = {r.id: r.name for r in ladder.rungs} if ladder is not None else {}
    for j, nodes in _reached_infosets(game, sol).items():
        info = game.infosets[j]
        action = eq.choice(info.label)
        node = game.nodes[info.nodes[0]]
        k = node.actions.index(action) if action in node.actions else None
        rung = node.rungs[k] if k is not None and k < len(node.rungs) else None
        certain = abs(float(sum(chance_weight(game, n) for n in nodes)) - 1) <= 1e-12   # reached whatever is drawn
        given = [] if certain else list(dict.fromkeys(draw_words(game, n) for n in nodes))
        out.append({"actor": game.players[info.player], "actor_name": actor_name(game, info.player, info.own_type),
                    "type": info.own_type, "infoset": info.label, "action": action, "rung": rung,
                    "rung_name": rung_names.get(rung, rung) if rung else None,
                    "where": decision_name(game, info), "action_label": move_label(game, node.source, action),
                    "given": given})
    return out


def solve_point(s: Scenario) -> tuple[ExtensiveGame, SequentialSolution, Equilibrium] | str:
    """The exact pure sequential equilibrium at the scenario's values, or the reason there is none."""
    game = s.compile("sequential", exact=True)
    try:   # every pure sequential equilibrium, best-refined first (e.g. a separating one before pooling)
        ranked, _ = sequential_equilibria(game)
    except EscalabError as exc:   # over a budget: the vectorised solver alone
        sol = solve_sequential(game)
        if not bool(sol.converged[0]):
            if isinstance(exc, LimitError) and exc.limit.name == PYGAMBIT_ACTIONS.name:
                # pygambit is asked only once the enumeration has found no pure equilibrium
                return (f"the game has no pure-strategy sequential equilibrium, and its mixed one (the logit "
                        f"limit) was not computed: its {exc.found:,} actions at information sets are over the "
                        f"'pygambit-actions' limit of {PYGAMBIT_ACTIONS.value():,} ('escalab --limit "
                        f"pygambit-actions=N run' raises it)")
            return ("the game is too large to enumerate its pure profiles, and backward induction with "
                    "beliefs does not settle on one; 'escalab solve --method nash' lists its equilibria")
        return game, sol, sol.equilibrium(0)
    eq = ranked[0]
    if not eq.is_pure:
        return (f"the game has no pure-strategy sequential equilibrium; its mixed one (the logit limit) reaches "
                f"{eq.label}")
    chosen = {i.index: np.array([i.actions.index(eq.choice(i.label))]) for i in game.infosets}
    sol = solve_sequential(game, profiles=chosen)
    # off the path, explain the choices at a belief that supports them (the uniform-tremble one
    # moved just as far as the equilibrium's belief range requires), not at one that contradicts them
    beliefs, qvals = support_point(game, eq, {n: sol.beliefs[n][0] for n in sol.beliefs})
    for n, b in beliefs.items():
        sol.beliefs[n] = np.array([b], dtype=object)
    for j, qs in qvals.items():
        sol.action_values[j] = [np.array([q], dtype=object) for q in qs]
    return game, sol, eq


def _alternatives(game: ExtensiveGame, eq: Equilibrium) -> dict[str, Any] | None:
    """The other pure sequential equilibria, why the headline one comes first, and the off-path
    beliefs it rests on -- so the report never presents one of several equilibria as the answer."""
    try:
        ranked, _ = sequential_equilibria(game)
    except EscalabError:
        return None
    others = [e for e in ranked if e.behaviour != eq.behaviour and e.is_pure]
    first = eq.refinements or {}
    failing = [e for e in others if (e.refinements or {}).get("intuitive") is False]
    if first.get("intuitive") and failing:
        why = (f"it passes Cho and Kreps's intuitive criterion, which {len(failing)} other"
               f"{'s fail' if len(failing) > 1 else ' fails'}")
    elif others:
        why = ("of the solver's order alone: no refinement computed here (subgame perfection, sequentiality, the "
               "intuitive criterion) rules the others out")
    else:
        why = "it is the only one"
    return {"count": len(others) + 1, "why_first": why, "others": [e.path for e in others],
            "off_path": [t for r in eq.belief_ranges if len(r.nodes) > 1 for t in r.texts],
            "off_path_sentences": [belief_range_sentence(game, r) for r in eq.belief_ranges if len(r.nodes) > 1],
            "refinements": dict(first)}


def _scans_note(game: ExtensiveGame, eq: Equilibrium) -> str:
    """Why the parameter scans are left out, or "" when they describe the equilibrium shown.

    Scans solve 10^4-10^5 points with the vectorised solver, which picks one sequential equilibrium
    by its belief rule; where that is not the equilibrium reported here (or the solver does not
    cover the game), a scan would describe another equilibrium than the headline.
    """
    st = structure(game)
    if not st.applies:
        return ("the scans need the vectorised solver, which covers games whose information sets differ only "
                "in chance moves; here " + st.reason.replace("the nodes", "some nodes", 1))
    sol = solve_sequential(game)
    if not bool(sol.converged[0]):
        return "the vectorised solver finds no pure equilibrium at these values, so it cannot scan around them"
    other = sol.equilibrium(0)
    if other.label != eq.label:
        return (f"the scans select equilibria by uniform-tremble beliefs, which here pick {other.label}, not the "
                f"best-refined {eq.label}; a scan would describe the other equilibrium")
    return ""


def game_facts(game: ExtensiveGame) -> dict[str, Any]:
    i = game.info
    return {"players": list(i.players), "nodes": i.num_nodes, "terminal_nodes": i.num_terminals,
            "information_sets": len(game.infosets), "chance": i.has_chance,
            "perfect_information": i.perfect_information, "perfect_recall": i.perfect_recall, "depth": i.max_depth,
            "payoff_range": [i.min_payoff, i.max_payoff]}


def phase_axes(s: Scenario, rob: dict[str, Any]) -> tuple[list[str], str]:
    """The parameters the phase diagram spans, and why these."""
    a = s.spec.analysis
    if a is not None and a.phase_diagram:
        return list(a.phase_diagram), "named in the scenario's analysis block"
    moving = [r["parameter"] for r in rob["rows"] if r.get("relative") is not None]
    if not moving:
        return [], ""
    return moving[:2], "the parameters whose nearest equilibrium switch lies closest to their values"


def phase_sweep(s: Scenario, names: list[str]) -> SweepResult:
    sizes = PHASE_POINTS_2D if len(names) == 2 else (PHASE_POINTS_1D,)
    axes = []
    for name, num in zip(names, sizes):
        lo, hi = scan_range(s, name)
        axes.append(Axis(name, np.linspace(lo, hi, num)))
    return sweep(s, axes)


def sweep_record(result: SweepResult, colours: OutcomeColours) -> dict[str, Any]:
    colours.add(result.labels)
    return {"axes": [{"name": a.name, "lo": float(a.values[0]), "hi": float(a.values[-1]), "points": len(a)}
                     for a in result.axes],
            "labels": list(result.labels), "paths": list(result.paths), "codes": result.codes.tolist(),
            "fixed": result.fixed, "units": result.units, "method": result.method,
            "shares": {k: v / result.size for k, v in result.counts().items()}}


def sweep_from_record(rec: dict[str, Any], scenario_id: str, title: str) -> SweepResult:
    """Rebuild a sweep from its record in results.json, to draw it again."""
    axes = [Axis(a["name"], np.linspace(a["lo"], a["hi"], a["points"])) for a in rec["axes"]]
    return SweepResult(scenario_id, title, axes, np.array(rec["codes"], dtype=np.int64), rec["labels"], rec["paths"],
                       rec["method"], 0, rec["fixed"], rec["units"])


def compute(s: Scenario, colours: OutcomeColours, progress: Progress) -> dict[str, Any]:
    if "sequential" not in s.forms:
        return {"skipped": "the scenario has no move tree ('sequential'), so there is no equilibrium of a tree "
                           "to explain, no threats and no phase diagram"}
    progress("solving the move tree (exact)")
    got = solve_point(s)
    if isinstance(got, str):
        return {"skipped": got, "facts": game_facts(s.compile("sequential"))}
    game, sol, eq = got
    alternatives = _alternatives(game, eq)
    scans_note = _scans_note(game, eq)
    colours.add([eq.label])
    on_path = decisions(game, eq, sol)
    rec: dict[str, Any] = {"title": equilibrium_title(game), "facts": game_facts(game), "equilibrium": eq.to_dict(),
                           "on_path": on_path}
    if alternatives:
        rec["alternatives"] = alternatives
    rec["explanations"] = explain_choices(game, sol, {d["infoset"] for d in on_path})
    by_label = {i.label: i for i in game.infosets}
    for x in rec["explanations"]:
        x["where"] = decision_name(game, by_label[x["infoset"]])
    progress("threats and their credibility")
    try:
        report = credibility(game)
        rec["threats"] = [{**t.to_dict(), "explanation": explain_threat(t.to_dict(), rec["explanations"]),
                           "where": decision_name(game, by_label[t.infoset]) if t.infoset in by_label else t.infoset,
                           "actor_name": actor_name(game, by_label[t.infoset].player, by_label[t.infoset].own_type)
                           if t.infoset in by_label else t.actor}
                          for t in report.threats]
        if report.note:
            rec["threats_note"] = report.note
    except EscalabError as exc:
        rec["threats"], rec["threats_note"] = [], str(exc)
    if scans_note:     # robustness and the phase diagram follow the vectorised solver's selection
        rec["robustness"] = {"rows": [], "not_in_tree": [], "skipped": scans_note}
        rec["phase_diagram"] = {"skipped": scans_note}
        return rec
    rob = robustness(s, eq.label, progress)
    for r in rob["rows"]:
        if r.get("nearest_outcome"):
            colours.add([r["nearest_outcome"]["outcome_after"]])
    rec["robustness"] = rob
    names, why = phase_axes(s, rob)
    if not names:
        rec["phase_diagram"] = {"skipped": "no parameter of the move tree changes the equilibrium within its "
                                           "scanned range, so a phase diagram would be one colour"}
        return rec
    progress(f"phase diagram over {' and '.join(names)}")
    try:
        result = phase_sweep(s, names)
    except EscalabError as exc:
        rec["phase_diagram"] = {"skipped": str(exc)}
        return rec
    rec["phase_diagram"] = {**sweep_record(result, colours), "chosen": why,
                            "default": {n: float(s.values[n]) for n in names}}
    return rec
