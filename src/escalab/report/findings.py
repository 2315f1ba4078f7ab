"""The closing "In short" of ``escalab run``: the sections' findings as plain sentences.

A newcomer should not have to read every table to learn the answer. This module reads only the
JSON records the sections return (the same ones saved in ``results.json``), so it states nothing
the tables do not show.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from ..scenario import Scenario
from .explain import type_words


def _solve_lines(s: Scenario, rec: dict[str, Any]) -> list[str]:
    """What the tree's equilibrium says, from the solve record alone (no scenario's names assumed)."""
    eq = rec.get("equilibrium")
    if eq is None:
        return [f"Move tree: {rec['skipped']}"] if "skipped" in rec else []
    lines = [f"Equilibrium: {outcome_words(s, eq['label'])} (path {eq['path']})."]   # the outcome as named
    alt = rec.get("alternatives")
    if alt and alt["count"] > 1:
        lines.append(f"It is one of {alt['count']} pure sequential equilibria, listed first because {alt['why_first']}; "
                     f"the other{'s' if alt['count'] > 2 else ''}: {'; '.join(alt['others'])}.")
    for text in (alt or {}).get("off_path_sentences", []):
        lines.append(f"Off the equilibrium path, {text}.")
    for given, step in path_steps(s, rec):
        lines.append(f"On the equilibrium path, if {' or '.join(given)}, {step}." if given
                     else f"On the equilibrium path {step}.")
    rows = [r for r in rec.get("robustness", {}).get("rows", []) if r.get("nearest_outcome")]
    for r in rows[:2]:
        o = r["nearest_outcome"]
        lines.append(f"The outcome changes to {outcome_words(s, o['outcome_after'])} when "
                     f"{parameter_words(s, r['parameter'])} reaches {o['exact'] or format(o['at'], '.6g')} "
                     f"(it is {r['value']:g}).")
    return lines


def path_steps(s: Scenario, rec: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Each choice on the equilibrium path: (what chance must have drawn for play to reach it, or
    nothing; 'Russia plays 'Fire a few low-yield weapons' (limited_use) at '...'')."""
    steps = []
    for d in rec.get("on_path", []):
        given = tuple(d.get("given") or ())
        who = d["actor_name"]
        actor = s.spec.actors.get(d["actor"])
        if actor is not None and d.get("type") and given == (type_words(actor.name, d["type"]),):
            who = actor.name                     # the condition names the type already
        if "where" in d:   # results.json written before names were recorded has the ids only
            plays = f"'{d['action_label']}'"
            if d["action_label"] not in (d["action"], d["action"].replace("_", " ")):
                plays += f" ({d['action']})"   # the id, as the path above writes it
            steps.append((given, f"{who} plays {plays} at '{d['where']}'"))
        else:
            steps.append((given, f"{who} plays {d['action']} at {d['infoset']}"))
    return steps


def path_line(steps: list[tuple[tuple[str, ...], str]]) -> str:
    """The path's steps as one sentence, each draw's steps together in the order play meets them, so
    that one type's moves never read as following another's."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for given, step in steps:
        groups.setdefault(given, []).append(step)
    parts = [f"if {' or '.join(given)}: {', then '.join(group)}" if given else "; then ".join(group)
             for given, group in groups.items()]
    return f"On the equilibrium path: {'; '.join(parts)}."


def parameter_words(s: Scenario, name: str) -> str:
    """'c_limited (The resolute President's cost of nuclear retaliation...)': the id a reader sets
    with --set, and what the scenario says it means (its first sentence)."""
    p = s.parameters.get(name)
    doc = " ".join(p.doc.split()) if p is not None else ""
    return f"{name} ({doc.split('. ')[0].rstrip('.')})" if doc else name


def outcome_words(s: Scenario, label: str) -> str:
    """An outcome as the scenario labels it: 'conventional_defeat' as 'Russia accepts conventional
    defeat'; a typed label 'resolute: a; irresolute: b' outcome by outcome, each type named."""
    seq = s.spec.sequential
    outcomes = seq.outcomes if seq is not None else {}

    def one(o: str) -> str:
        out = outcomes.get(o)
        return f"'{out.label}'" if out is not None and out.label else o.replace("_", " ")

    parts = [part.partition(": ") for part in label.split("; ")]
    if len(parts) == 1 or not all(sep for _, sep, _ in parts):
        return one(label)
    return "; ".join(f"{kind}: {one(o)}" for kind, _, o in parts)


def ending_name(s: Scenario, ending: str) -> str:
    """'russia_capitulates' as 'Russia capitulates': the actor's name where the ending starts with its id."""
    for actor in sorted(s.spec.actors, key=len, reverse=True):    # 'state_a_capitulates' is state_a's
        if ending.startswith(actor + "_"):
            return f"{_name(s, actor)} {ending[len(actor) + 1:].replace('_', ' ')}"
    return ending.replace("_", " ")


def _most_often(s: Scenario, endings: dict[str, Any]) -> str:
    top = max(endings, key=lambda e: endings[e]["p"])
    return f"{ending_name(s, top)} ({100 * endings[top]['p']:.0f}%)"


def _name(s: Scenario, actor: str) -> str:
    a = s.spec.actors.get(actor)
    return a.name if a is not None else actor


def _policy(spec: str) -> str:
    """'doctrine:tit-for-tat' as a reader says it: doctrine 'tit-for-tat', logit (λ=1), equilibrium policy."""
    kind, _, arg = spec.partition(":")
    if kind == "doctrine":
        return f"doctrine '{arg}'"
    if kind == "logit":
        return f"logit play (λ={arg})"
    if kind == "equilibrium":
        return "equilibrium play"
    return spec.replace(":", " ")


def who_plays(s: Scenario, policies: dict[str, str]) -> str:
    if len(set(policies.values())) == 1 and len(policies) > 1:
        return f"both sides in {_policy(next(iter(policies.values())))}"
    return " vs ".join(f"{_name(s, a)} in {_policy(p)}" for a, p in policies.items())


def bayesian_equilibrium(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The simulate record's note on its perfect Bayesian equilibrium (a crisis with private types)."""
    return next((r["bayesian_equilibrium"] for r in rec.get("rows", []) if "bayesian_equilibrium" in r), None)


def approximation(eq: dict[str, Any]) -> tuple[int, int, float]:
    """(stage games left approximate, solved in mixed strategies, largest gain from deviating); records
    written before mixed stage games were solved count every stage game without a pure one as left."""
    return (eq.get("left_approximate", eq["stage_games_without_pure_pbe"]), eq.get("solved_in_mixed_strategies", 0),
            eq["largest_gain_from_deviating"])


def grid_error_line(eq: dict[str, Any]) -> str:
    """The belief grid's error in the game with exact Bayes beliefs, as recorded (older records: none)."""
    err = eq.get("grid_error")
    if err is None:
        return ("The belief grid's error in the game with exact Bayes beliefs was not measured (too many "
                "states with exact beliefs).")
    return (f"Measured with exact Bayes beliefs, the belief grid's error is {err:.3g} in payoff units (the largest "
            "gain from a one-shot deviation, or change of value; a finer belief_grid should lower it).")


def _simulate_lines(s: Scenario, rec: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    types = rec.get("types")
    if types:
        prior = ", ".join(f"{t} {100 * p:.0f}%" for t, p in types["prior"].items())
        who = _name(s, types["actor"])
        lines.append(f"In the ladder crisis {who}'s type is private ({prior}); {_name(s, types['observer'])}'s "
                     f"belief moves by Bayes' rule from the rung it perceives {who} on, on a grid of "
                     f"1/{types['belief_grid']} (a belief between two points is a lottery over them). Except under a doctrine each type plays its own policy, so those "
                     "outcomes are also given for each type (compare each type's reply in the move tree).")
        eq = bayesian_equilibrium(rec)
        if eq and eq["stage_games_without_pure_pbe"]:
            left, mixed, gain = approximation(eq)
            also = f" Another {mixed:,} have only mixed equilibria and are solved in mixed strategies." if mixed else ""
            lines.append(f"The ladder crisis's equilibrium is approximate: {left:,} of its stage games have no pure "
                         "perfect Bayesian equilibrium and no mixed one was found; there the profile with the "
                         f"smallest gain from deviating is played, a gain of at most {gain:.3g}.{also}" if left else
                         f"The ladder crisis's equilibrium mixes where it must: {mixed:,} of its stage games have no "
                         "pure perfect Bayesian equilibrium and are solved in mixed strategies (largest gain from "
                         f"deviating {gain:.3g}).")
            lines.append(grid_error_line(eq))
    # One line per pair of policies, with and without accidents side by side (a handout's "In short"
    # must stay short; the table in the report has every row).
    groups: dict[str, list[str]] = {}
    for row in rec.get("rows", []):
        endings = row["endings"]
        war = endings.get("strategic_war", {}).get("p", 0.0)
        acc = "With accidents" if row["accidents"] else "Without accidents"
        who = who_plays(s, row["policies"])
        # A doctrine or uniform play is the same for every type: its outcome by type adds nothing.
        typed_spec = row["policies"].get(types["actor"], "") if types else ""
        informative = typed_spec.partition(":")[0] not in ("doctrine", "uniform")
        by_type = "; ".join(f"{t} {_name(s, types['actor'])}: {_most_often(s, e)}"
                            for t, e in row.get("by_type", {}).items()) if types and informative else ""
        groups.setdefault(who, []).append(f"{acc}: most often {_most_often(s, endings)}; strategic war "
                                          f"{100 * war:.1f}%" + (f" (by type - {by_type})." if by_type else "."))
    lines += [f"Ladder crisis, {who}. " + " ".join(parts) for who, parts in groups.items()]
    comp = rec.get("compaction")
    if comp:
        text = (f"The ladder crisis runs on the {comp['used_rungs']}-rung ladder {comp['used']}, not the "
                f"{comp['named_rungs']}-rung {comp['named']} the scenario names")
        effects = [f"with {who_plays(s, r['policies'])} strategic war is "
                   f"{100 * r['strategic_war_used']['p']:.1f}% on it against {100 * r['strategic_war_named']['p']:.1f}% "
                   f"on the full ladder" for r in comp["rows"]]
        lines.append(text + (": its rungs are coarser, so accidents reach strategic war from fewer steps; "
                             + "; ".join(effects) + " (accidents on)." if effects else "."))
    return lines


def findings(s: Scenario, record: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if "solve" in record:
        lines += _solve_lines(s, record["solve"])
    for v in record.get("variants", {}).get("rows", []):
        lines.append(v["sentence"])
    if "simulate" in record:
        lines += _simulate_lines(s, record["simulate"])
    return lines


def print_findings(s: Scenario, record: dict[str, Any], console: Console) -> None:
    lines = findings(s, record)
    if lines:
        console.print(Panel(Text("\n".join(f"• {line}" for line in lines)), title=f"In short: {s.title}",
                            title_align="left"))
