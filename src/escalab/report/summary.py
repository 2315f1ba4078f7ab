"""Terminal views of a scenario: actors, parameters, ladder, move tree, ladder crisis.

Rich renderables, so the CLI prints them and tests can render them to plain text.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..model import ExtensiveGame
from ..scenario import LadderSpec, ReadinessScaleSpec, Scenario
from ..scenario.semantics import FORM_WORDS

BAND_STYLE = {
    "de_escalation": "green", "status_quo": "bright_green", "conventional": "yellow",
    "nuclear_signalling": "dark_orange", "nuclear_use": "red", "strategic": "bold magenta",
}


def _fmt(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def actors_table(s: Scenario) -> Table:
    t = Table(title="Actors", title_justify="left")
    for col in ("id", "name", "role", "readiness", "private types (prior)"):
        t.add_column(col)
    for aid, a in s.spec.actors.items():
        scale = s.scales.get(aid)
        types = ", ".join(f"{k} ({_fmt(s.evaluate('actors', aid, 'types', k))})" for k in a.types) if a.types else "-"
        t.add_row(aid, a.name, a.role or "-", scale.id if scale else "-", types)
    return t


def reads_words(read: tuple[str, ...]) -> str:
    """'both forms', 'move tree', 'ladder crisis' or 'neither form': who reads a parameter."""
    return "both forms" if len(read) == 2 else FORM_WORDS[read[0]] if read else "neither form"


def own_parameters_text(s: Scenario) -> str:
    """'Read only by the move tree: c_expand_r, ...' for a scenario with both forms; '' otherwise."""
    text = "; ".join(f"read only by the {FORM_WORDS[form]} ({form}): {', '.join(names)}"
                     for form, names in s.own_parameters().items())
    return text[:1].upper() + text[1:]


def parameters_table(s: Scenario) -> Table:
    t = Table(title="Parameters", title_justify="left", caption=own_parameters_text(s) or None,
              caption_justify="left")
    for col in ("name", "value", "range", "unit", "meaning"):
        t.add_column(col, overflow="fold")
    for name, p in s.parameters.items():
        rng = f"[{_fmt(p.range[0])}, {_fmt(p.range[1])}]" if p.range else "-"
        value = s.values[name]
        mark = "" if value == p.default else " (set)"
        t.add_row(name, _fmt(value) + mark, rng, p.unit or "-", " ".join(p.doc.split()))
    return t


def ladder_table(ladder: LadderSpec) -> Table:
    t = Table(title=f"Ladder {ladder.id}: {ladder.name}", title_justify="left")
    for col in ("#", "rung", "value", "band", "group"):
        t.add_column(col)
    after = {th.after: th.name for th in ladder.thresholds}
    for i, r in enumerate(ladder.rungs, 1):
        style = BAND_STYLE.get(r.band, "")
        t.add_row(str(i), r.name, _fmt(r.value), Text(r.band, style=style), r.group or "-")
        if r.id in after:
            t.add_row("", Text(f"── {after[r.id]} ──", style="bold"), "", "", "", end_section=True)
    return t


def scale_table(scale: ReadinessScaleSpec) -> Table:
    t = Table(title=f"Readiness scale {scale.id}: {scale.name}", title_justify="left")
    t.add_column("level (lowest readiness first)")
    t.add_column("meaning")
    for lvl in scale.levels:
        t.add_row(lvl.name or lvl.id, lvl.doc)
    return t


def move_tree(s: Scenario) -> Tree:
    """The tree as written (before the type expansion), with outcomes' payoffs at the defaults."""
    seq = s.spec.sequential
    assert seq is not None
    removed = set(s.spec.remove_moves)
    typed = [a for a, spec in s.spec.actors.items() if spec.types]
    root = Tree(Text(f"{s.title}" + (f"  (types drawn by nature: {', '.join(typed)})" if typed else ""),
                     style="bold"))

    def payoff_text(outcome_id: str) -> str:
        out = seq.outcomes[outcome_id]
        parts = []
        for actor, pay in out.payoffs.items():
            parts.append(f"{actor}: " + typed_text(pay, ("sequential", "outcomes", outcome_id, "payoffs", actor)))
        return ", ".join(parts)

    def typed_text(spec: object, path: tuple) -> str:
        """'weak 1 / strong 0' for a payoff by type (with 'if <actor>' when it is another actor's)."""
        if not isinstance(spec, dict):
            return _fmt(s.evaluate(*path))
        by = f"if {spec['by']} " if "by" in spec else ""
        inner = [f"{t} {typed_text(v, path + (t,))}" for t, v in spec.items() if t != "by"]
        return "(" + by + " / ".join(inner) + ")" if by or len(path) > 5 else " / ".join(inner)

    # Walked with an explicit stack (a chain of thousands of moves must not hit the recursion limit);
    # nesting deeper than SHOWN_DEPTH is summarised, since each level indents every line below it.
    stack: list[tuple[Tree, str, int]] = [(root, seq.root, 0)]
    cut = False
    while stack:
        branch, node_id, depth = stack.pop()
        if depth >= SHOWN_DEPTH:
            branch.add(Text(f"… {node_id} and below", style="dim"))
            cut = True
            continue
        node = seq.nodes[node_id]
        targets: list[tuple[str, str | None, str | None]] = []
        if node.chance is not None:
            sub = branch.add(Text(f"chance: {node.label or node_id}", style="cyan"))
            for k, b in node.chance.items():
                p = typed_text(b.prob, ("sequential", "nodes", node_id, "chance", k, "prob"))
                targets.append((f"{k} (p={p})", b.next, b.outcome))
        else:
            info = f" [infoset {node.infoset}]" if node.infoset else ""
            sub = branch.add(Text(f"{node.actor}: {node.label or node_id}{info}", style="bold blue"))
            targets = [(mv.label or m, mv.next, mv.outcome) for m, mv in (node.moves or {}).items()
                       if f"{node_id}.{m}" not in removed]
        later: list[tuple[Tree, str, int]] = []
        for label, nxt, outcome in targets:
            if nxt is not None:
                later.append((sub.add(Text(label)), nxt, depth + 1))
            elif outcome is not None:
                out = seq.outcomes[outcome]
                sub.add(Text.assemble(label, " → ", (out.label or outcome, "green"), f"  ({payoff_text(outcome)})"))
        stack.extend(reversed(later))
    if cut and isinstance(root.label, Text):
        root.label.append(f"  (… moves deeper than {SHOWN_DEPTH} levels are not shown)", style="dim")
    return root


SHOWN_DEPTH = 12


def game_facts(game: ExtensiveGame) -> Table:
    i = game.info
    t = Table(title="Compiled extensive-form game", title_justify="left", show_header=False)
    t.add_column("fact")
    t.add_column("value")
    t.add_row("players", ", ".join(i.players))
    t.add_row("nodes / terminal nodes", f"{i.num_nodes} / {i.num_terminals}")
    t.add_row("information sets", str(len(game.infosets)))
    t.add_row("chance moves", "yes" if i.has_chance else "no")
    t.add_row("perfect information", "yes" if i.perfect_information else "no")
    t.add_row("perfect recall", "yes" if i.perfect_recall else f"no: {game.recall_problem}")
    t.add_row("depth", str(i.max_depth))
    t.add_row("payoff range", f"[{i.min_payoff:g}, {i.max_payoff:g}]")
    return t


def crisis_settings(s: Scenario) -> dict[str, str]:
    """The ladder crisis's settings in words (actors by name, accidents and misreading as chances),
    for the terminal and the report page alike."""
    lc = s.spec.ladder_crisis
    assert lc is not None and s.crisis_ladder is not None
    names = {r.id: r.name for r in s.crisis_ladder.rungs}
    actor = {a: s.spec.actors[a].name if a in s.spec.actors else a for a in lc.actors}
    b = lc.balance
    acc = "; ".join(f"an action in the {band.replace('_', ' ')} band lands 1 to {a.max_rungs} rungs higher with "
                    f"probability {_fmt(s.evaluate('ladder_crisis', 'accidents', band, 'up'))}"
                    for band, a in lc.accidents.items()) or "none"
    return {"ladder": f"{s.crisis_ladder.id} ({len(s.crisis_ladder.rungs)} rungs)",
            "actors": " vs ".join(actor.values()),
            "start": ", ".join(f"{actor.get(a, a)} at {names.get(r, r)}" for a, r in lc.start.items()),
            "conventional balance": f"starts {b.initial:+d} in [{b.range[0]}, {b.range[1]}], drift {b.drift:+d} per turn",
            "accidents": acc,
            "misreading": f"each side sees the other's rung one step off (up or down) with probability "
                          f"{_fmt(s.evaluate('ladder_crisis', 'misperception'))}",
            "turn limit": str(lc.turn_limit), "doctrines": ", ".join(s.spec.doctrines) or "–"}


def ladder_crisis_table(s: Scenario) -> Table:
    t = Table(title="Ladder crisis (simultaneous turns)", title_justify="left", show_header=False)
    t.add_column("setting")
    t.add_column("value")
    for k, v in crisis_settings(s).items():
        t.add_row(k, v)
    return t


def scenario_overview(s: Scenario) -> RenderableType:
    parts: list[RenderableType] = [
        Panel(Text(" ".join(s.spec.summary.split()) or s.title), title=f"{s.id}: {s.title}", title_align="left"),
        actors_table(s),
    ]
    if s.parameters:
        parts.append(parameters_table(s))
    if s.spec.sequential is not None:
        parts.append(move_tree(s))
        parts.append(game_facts(s.compile("sequential")))
    if s.spec.ladder_crisis is not None:
        parts.append(ladder_crisis_table(s))
    if s.spec.sources:
        parts.append(Text("Sources: " + "; ".join(s.spec.sources), style="dim"))
    return Group(*parts)
