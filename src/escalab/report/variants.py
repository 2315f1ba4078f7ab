"""Variants side by side: what changes when a scenario is modified (e.g. without the low-yield option).

A variant is a built-in scenario that ``extends`` this one, or the built-in this one extends (its
base). Each is compared on what the report computes for the scenario itself: the equilibrium of the
move tree and how the ladder crisis ends under the equilibrium policies. Parameters the user
changed with ``--set`` are carried over, so a variant is compared at the same point; the variant's
own changed defaults stay (they are part of what it changes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import yaml

from ..errors import EscalabError
from ..model.ladder import removed_rungs
from ..scenario import Scenario, library, load
from .colours import OutcomeColours
from .findings import ending_name, outcome_words
from .simulate_section import simulate_rows
from .solve_section import phase_sweep, solve_point, sweep_record

Progress = Callable[[str], None]


@lru_cache(maxsize=1)
def _extends_table() -> dict[str, str | None]:
    table: dict[str, str | None] = {}
    for name in library.builtin_names("scenario"):
        path = library.builtin_path("scenario", name)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) if path else None
        except (OSError, yaml.YAMLError):
            data = None
        table[name] = data.get("extends") if isinstance(data, dict) else None
    return table


def find_variants(s: Scenario) -> list[tuple[str, str]]:
    """(built-in name, relation) for the scenario's children and its built-in base."""
    table = _extends_table()
    out = [(name, "variant") for name, base in table.items() if base == s.id and name != s.id]
    base = s.spec.extends
    if base and base in table and base != s.id:
        out.append((base, "base scenario"))
    return out


def _move_words(s: Scenario, ref: str) -> str:
    """'us_decides.answer_in_kind' as the scenario names it: 'Answer with a low-yield weapon' at
    'The US President after Russian limited use' (us_decides.answer_in_kind)."""
    node_id, _, move = ref.partition(".")
    node = s.spec.sequential.nodes.get(node_id) if s.spec.sequential is not None else None
    mv = (node.moves or {}).get(move) if node is not None else None
    if mv is None:
        return ref
    return f"'{mv.label or move}' at '{node.label or node_id}' ({ref})"


def _changes(s: Scenario, v: Scenario) -> list[str]:
    parts = []
    removed = sorted(set(v.spec.remove_moves) - set(s.spec.remove_moves))
    restored = sorted(set(s.spec.remove_moves) - set(v.spec.remove_moves))
    if removed:
        parts.append("removes the move" + ("s " if len(removed) > 1 else " ")
                     + ", ".join(_move_words(s, m) for m in removed))
        gone = _removed_actions(v)
        if v.spec.ladder_crisis is not None and any(gone) and gone != _removed_actions(s):
            names = {r.id: r.name for r in v.crisis_ladder.rungs} if v.crisis_ladder else {}
            parts[-1] += (" and with it " + "; ".join(
                f"{v.spec.actors[a].name}'s ladder action{'s' if len(g) > 1 else ''} "
                + ", ".join(repr(names.get(r, r)) for r in g)
                for a, g in zip(v.spec.ladder_crisis.actors, gone) if g)
                # why the ladder crisis need not follow the tree: the actor still has every other rung
                + " (its other ladder actions remain, so the ladder crisis can still differ from the tree)")
    if restored:
        parts.append("restores the move" + ("s " if len(restored) > 1 else " ")
                     + ", ".join(_move_words(v, m) for m in restored))
    for name, p in v.parameters.items():
        if name in s.parameters and p.default != s.parameters[name].default:
            parts.append(f"sets {name} = {p.default:g} (here {s.parameters[name].default:g})")
    if (s.spec.sequential is None) != (v.spec.sequential is None):
        parts.append("has " + ("no" if v.spec.sequential is None else "a") + " move tree")
    if (s.spec.ladder_crisis is None) != (v.spec.ladder_crisis is None):
        parts.append("has " + ("no" if v.spec.ladder_crisis is None else "a") + " ladder crisis")
    elif s.spec.ladder_crisis is not None and _crisis_key(s) != _crisis_key(v) and not any(
            "sets" in p or "ladder action" in p for p in parts):
        parts.append("changes the ladder crisis")
    return parts or ["differs only in its text"]


def _crisis_key(s: Scenario) -> str:
    """Everything the ladder crisis depends on, so an unchanged crisis is not simulated twice."""
    lc = s.spec.ladder_crisis
    # the ladder as resolved, not as referred to (a name here, inlined in a results.json)
    return json.dumps({"crisis": lc.model_dump(mode="json", exclude={"ladder"}) if lc else None,
                       "ladder": s.crisis_ladder.model_dump(mode="json") if s.crisis_ladder else None,
                       "doctrines": {k: d.model_dump(mode="json") for k, d in s.spec.doctrines.items()},
                       "actors": {k: a.model_dump(mode="json", exclude={"doc", "name", "role", "readiness"})
                                  for k, a in s.spec.actors.items()},
                       "values": {k: float(v) for k, v in s.values.items()},
                       # a variant that deletes a move takes its rung from that actor's ladder actions
                       "removed": _removed_actions(s)}, sort_keys=True)


def _removed_actions(s: Scenario) -> list[list[str]]:
    lc, ladder = s.spec.ladder_crisis, s.crisis_ladder
    if lc is None or ladder is None:
        return []
    ids = tuple(r.id for r in ladder.rungs)
    return [sorted(ids[i] for i in gone) for gone in removed_rungs(s, tuple(lc.actors), ids)]


def _equilibrium_war(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    row = next((r for r in rows if r["configuration"] == "equilibrium" and r["accidents"]), None)
    if row is None:
        return None
    endings = row["endings"]
    top = max(endings, key=lambda e: endings[e]["p"])
    return {"most_often": top, "p_most_often": endings[top]["p"],
            "strategic_war": endings.get("strategic_war", {}).get("p", 0.0)}


def variant_scenarios(s: Scenario, found: list[tuple[str, str]] | None = None
                      ) -> list[tuple[str, str, Scenario, dict[str, Any]]]:
    """(name, relation, scenario, carried values) of each variant, with the values the user set on
    ``s`` carried over where the variant has the parameter."""
    overrides = {k: v for k, v in s.values.items() if v != s.parameters[k].default}
    out = []
    for name, relation in find_variants(s) if found is None else found:
        v = load(name)
        carried = {k: x for k, x in overrides.items() if k in v.parameters}
        out.append((name, relation, v.with_params(carried) if carried else v, carried))
    return out


def separate_crises(s: Scenario) -> list[Scenario]:
    """The variants whose ladder crisis differs from ``s``'s: each needs its own equilibrium."""
    return [v for _, _, v, _ in variant_scenarios(s)
            if "ladder" in v.forms and not ("ladder" in s.forms and _crisis_key(v) == _crisis_key(s))]


def compare(s: Scenario, record: dict[str, Any], colours: OutcomeColours, progress: Progress,
            runs: int | None = None, seed: int | None = None) -> dict[str, Any]:
    found = find_variants(s)
    if not found:
        return {"skipped": "no built-in scenario extends this one, and it extends none, so there is no variant "
                           "to compare (a variant is a scenario file with 'extends')"}
    solve_rec, sim_rec = record.get("solve", {}), record.get("simulate", {})
    base_label = solve_rec.get("equilibrium", {}).get("label")
    base_war = _equilibrium_war(sim_rec.get("rows", []))
    rows = []
    for name, relation, v, carried in variant_scenarios(s, found):
        progress(f"variant {name}")
        row: dict[str, Any] = {"scenario": name, "title": v.title, "relation": relation, "changes": _changes(s, v),
                               "carried": carried}
        # the move tree
        if "sequential" in v.forms:
            got = solve_point(v)
            if isinstance(got, str):
                row["tree"] = {"note": got}
            else:
                _, _, eq = got
                colours.add([eq.label])
                row["tree"] = {"label": eq.label, "path": eq.path,
                               "payoffs": {a: float(x) for a, x in eq.payoffs.items()},
                               "changes_outcome": base_label is not None and eq.label != base_label}
                phase = solve_rec.get("phase_diagram", {})
                names = [a["name"] for a in phase.get("axes", [])]
                if names and all(n in v.parameters for n in names):
                    try:
                        row["phase_diagram"] = {**sweep_record(phase_sweep(v, names), colours),
                                                "default": {n: float(v.values[n]) for n in names}}
                    except EscalabError as exc:
                        row["phase_diagram"] = {"skipped": str(exc)}
        else:
            row["tree"] = {"note": "no move tree"}
        # the ladder crisis
        if "ladder" in v.forms and "ladder" in s.forms and _crisis_key(v) == _crisis_key(s):
            row["crisis"] = {"same": True, **(base_war or {})}
        elif "ladder" in v.forms:
            try:
                sim = simulate_rows(v, [("equilibrium", {a: "equilibrium" for a in v.spec.ladder_crisis.actors})],
                                    progress, accidents_options=(True,), runs=runs,
                                    seed=seed)  # type: ignore[union-attr]
                row["crisis"] = {"same": False, **(_equilibrium_war(sim) or {})}
            except EscalabError as exc:
                row["crisis"] = {"note": str(exc)}
        else:
            row["crisis"] = {"note": "no ladder crisis"}
        row["sentence"] = sentence(s, row, base_label, base_war, v)
        rows.append(row)
    return {"rows": rows, "base": {"label": base_label, "crisis": base_war}}


def sentence(s: Scenario, row: dict[str, Any], base_label: str | None, base_war: dict[str, Any] | None,
             variant: Scenario | None = None) -> str:
    """The variant's row in words; outcomes as each scenario labels them (the ids are in the row)."""
    who = f"{row['title']} ({row['scenario']}, {row['relation']})"
    parts = [f"{who} {'; '.join(row['changes'])}"]
    tree = row.get("tree", {})
    if "label" in tree and base_label is not None:
        was = outcome_words(s, base_label)
        parts.append(f"the equilibrium outcome changes from {was} to {outcome_words(variant or s, tree['label'])}"
                     if tree["changes_outcome"] else f"the equilibrium outcome stays {was}")
    crisis = row.get("crisis", {})
    if crisis.get("same"):
        parts.append("the ladder crisis is the same")
    elif "strategic_war" in crisis and base_war is not None:
        def ends(w: dict[str, Any]) -> str:
            return (f"most often {ending_name(s, w['most_often'])} ({100 * w['p_most_often']:.0f}%), "
                    f"strategic war {100 * w['strategic_war']:.1f}%")
        if ends(crisis) == ends(base_war):
            parts.append(f"yet in the ladder crisis under equilibrium play with accidents the endings read the same: "
                         f"{ends(crisis)}")
        else:
            parts.append(f"in the ladder crisis under equilibrium play with accidents: {ends(crisis)} "
                         f"(in this scenario: {ends(base_war)})")
    return ", ".join(parts[:1]) + (": " + "; ".join(parts[1:]) if len(parts) > 1 else "") + "."
