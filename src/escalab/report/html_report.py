"""The report as one HTML page: readable offline, printable as a handout, citable.

Plain ``html.escape`` on every piece of text that comes from a scenario or a result (scenario files
come from strangers); no template engine, no script, no external URL: figures are embedded as
``data:`` URIs (and also written beside the page as PNG files), styles are inline, and a print
stylesheet keeps tables and figures whole on paper.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from ..scenario import Scenario
from .explain import fmt
from .findings import approximation, bayesian_equilibrium, ending_name, grid_error_line, outcome_words, who_plays
from .summary import crisis_settings, reads_words

SECTIONS = (("summary", "In short"), ("scenario", "The scenario"), ("equilibrium", "Equilibrium"),
            ("why", "Why: the arithmetic of each choice"), ("threats", "Threats and their credibility"),
            ("robustness", "Robustness: what the answer hangs on"), ("phase", "Phase diagram"),
            ("variants", "Variants side by side"), ("crisis", "The ladder crisis: how it ends"),
            ("readiness", "Readiness: what the signs say"), ("plays", "Plays and scores"),
            ("caveats", "Caveats"), ("sources", "Sources"), ("reproducibility", "Reproducibility and citation"))

CSS = """
body{font:15px/1.5 Georgia,'Times New Roman',serif;color:#1a1a1a;max-width:62rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:2px solid #333;margin-top:2.2rem;font-size:1.3rem}
h3{font-size:1.05rem;margin-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.86rem;width:100%}
th,td{border:1px solid #bbb;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:1rem 0;text-align:center}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85rem;color:#444;margin-top:.3rem}
.note{color:#555;font-style:italic}.skip{background:#f7f7f7;border-left:4px solid #aaa;padding:.4rem .8rem}
.arith{font-family:'DejaVu Sans Mono',Consolas,monospace;font-size:.85rem}
.swatch{display:inline-block;width:.9em;height:.9em;border:1px solid #333;vertical-align:middle;margin-right:.3em}
.yes{color:#006d2c;font-weight:bold}.no{color:#a50f15;font-weight:bold}.undecided{color:#8c6d00;font-weight:bold}
nav ol{columns:2;font-size:.9rem}code{font-size:.85rem}code.id{color:#666;font-size:.75rem}
.cite{background:#f4f4f4;padding:.6rem .9rem;border:1px solid #ccc;font-size:.9rem}
@media print{body{max-width:none;margin:0;font-size:11pt}nav{display:none}
 h2{page-break-after:avoid}table,figure,.cite{page-break-inside:avoid}a{color:inherit;text-decoration:none}
 figure img{border:none;max-height:23cm}}
"""


def e(x: Any) -> str:
    return escape(str(x), quote=True)


def _num(v: Any, digits: int = 4) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.{digits}g}"
    return e(fmt(v)) if not isinstance(v, str) else e(v)


def _pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def table(head: list[str], rows: list[list[str]], num_cols: tuple[int, ...] = ()) -> str:
    """Cells are HTML already (escaped by the caller)."""
    h = "".join(f"<th>{c}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td class=\"num\">{c}</td>" if i in num_cols else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def rates_table(head: list[str], rows: list[tuple[list[str], list[Any]]]) -> str:
    """Label cells (HTML) then number cells, right-aligned: a rate as a percentage, a str as given."""
    first = len(rows[0][0]) if rows else len(head)
    return table(head, [[*labels, *(x if isinstance(x, str) else _pct(x) for x in numbers)]
                        for labels, numbers in rows], num_cols=tuple(range(first, len(head))))


class Page:
    def __init__(self, folder: Path):
        self.folder = folder
        self.images: list[str] = []

    def figure(self, name: str | None, caption: str) -> str:
        if not name:
            return ""
        data = base64.b64encode((self.folder / name).read_bytes()).decode("ascii")
        self.images.append(name)
        return (f"<figure><img src=\"data:image/png;base64,{data}\" alt=\"{e(caption)}\" data-file=\"{e(name)}\">"
                f"<figcaption>{e(caption)} (also as <code>{e(name)}</code>)</figcaption></figure>")


def skipped(rec: dict[str, Any] | None, what: str) -> str | None:
    if rec is None:
        return f"<p class=\"skip\">Not computed: {e(what)}.</p>"
    if "skipped" in rec:
        return f"<p class=\"skip\">Not applicable: {e(rec['skipped'])}.</p>"
    return None


def swatch(colour: str | None) -> str:
    return f"<span class=\"swatch\" style=\"background:{e(colour)}\"></span>" if colour else ""


def tree_outline(s: Scenario) -> str:
    """The tree as written (before types are drawn), as nested lists with payoffs at the values."""
    seq = s.spec.sequential
    assert seq is not None
    removed = set(s.spec.remove_moves)

    def name(actor: str | None) -> str:
        spec = s.spec.actors.get(actor) if actor else None
        return spec.name if spec is not None else str(actor)

    def value(*path: str, text: object) -> str:
        try:
            return fmt(s.evaluate("sequential", "outcomes", *path))
        except KeyError:          # a key the language evaluates elsewhere: show the text as written
            return str(text)

    def payoff_text(outcome: str) -> str:
        parts = []
        for actor, spec in seq.outcomes[outcome].payoffs.items():
            if isinstance(spec, dict):
                by = f" (by {name(spec['by'])}'s type)" if isinstance(spec.get("by"), str) else ""
                parts.append(f"{name(actor)}{by}: " + ", ".join(
                    f"{t} {value(outcome, 'payoffs', actor, t, text=x)}" for t, x in spec.items() if t != "by"))
            else:
                parts.append(f"{name(actor)} {value(outcome, 'payoffs', actor, text=spec)}")
        return "; ".join(parts)

    def target(label: str, nxt: str | None, outcome: str | None, depth: int) -> str:
        if nxt is not None:
            return f"<li>{e(label)}{node(nxt, depth + 1)}</li>"
        out = seq.outcomes[outcome]  # type: ignore[index]
        return (f"<li>{e(label)} → <b>{e(out.label or outcome)}</b> <span class=\"note\">"
                f"({e(payoff_text(outcome))})</span></li>")  # type: ignore[arg-type]

    def node(node_id: str, depth: int) -> str:
        if depth > 40:
            return "<ul><li>…</li></ul>"
        n = seq.nodes[node_id]
        if n.chance is not None:
            items = "".join(target(f"{k} (p = {fmt(s.evaluate('sequential', 'nodes', node_id, 'chance', k, 'prob'))})",
                                   b.next, b.outcome, depth) for k, b in n.chance.items())
            return f"<ul><li><i>chance: {e(n.label or node_id)}</i><ul>{items}</ul></li></ul>"
        info = f" [information set {n.infoset}]" if n.infoset else ""
        items = "".join(target(f"{m}: {mv.label}" if mv.label else m, mv.next, mv.outcome, depth)
                        for m, mv in (n.moves or {}).items() if f"{node_id}.{m}" not in removed)
        return f"<ul><li><b>{e(name(n.actor))}</b>: {e(n.label or node_id)}{e(info)}<ul>{items}</ul></li></ul>"

    typed = [f"{spec.name}'s ({', '.join(spec.types)})" for spec in s.spec.actors.values() if spec.types]
    head = (f"<p class=\"note\">Private types are drawn by chance first: {e('; '.join(typed))}.</p>" if typed else "")
    return head + node(seq.root, 0)


# ----------------------------------------------------------------------------- sections
def summary_html(s: Scenario, r: dict[str, Any]) -> str:
    items = "".join(f"<li>{e(x)}</li>" for x in r.get("findings", [])) or "<li>No finding: see the sections below.</li>"
    return f"<ul>{items}</ul>"


def scenario_html(s: Scenario, r: dict[str, Any], page: Page, figs: dict[str, Any]) -> str:
    sc = r["scenario"]
    out = [f"<p>{e(sc['summary'])}</p>" if sc["summary"] else ""]
    out.append("<h3>Actors</h3>" + table(["id", "name", "role", "readiness scale", "private types (prior)"], [
        [e(a["id"]), e(a["name"]), e(a["role"] or "–"), e(a["readiness"] or "–"),
         e(", ".join(f"{k} ({fmt(v)})" for k, v in a["types"].items()) or "–")] for a in sc["actors"]]))
    if sc["parameters"]:
        both = len(sc["forms"]) == 2
        out.append("<h3>Parameters</h3>" + table(
            ["name", "value", "range", "unit"] + (["read by"] if both else []) + ["meaning", "source"],
            [[f"<code>{e(p['name'])}</code>", _num(p["value"]) + (" (set)" if p["value"] != p["default"] else ""),
              e(f"[{fmt(p['range'][0])}, {fmt(p['range'][1])}]") if p["range"] else "–", e(p["unit"] or "–")]
             + ([e(reads_words(tuple(p.get("read_by", ()))))] if both else [])
             + [e(p["doc"]), e(p["source"] or "no source given")] for p in sc["parameters"]], num_cols=(1,)))
        if both:
            out.append("<p>A parameter read by one form only changes that form of the crisis and not the other; "
                       "the scenario declares each such parameter with <code>form</code>.</p>")
    if s.spec.sequential is not None:
        out.append("<h3>The move tree as written</h3>" + tree_outline(s))
    out.append(page.figure(figs.get("tree"), "The compiled game tree (types drawn by chance first); the "
                                             "equilibrium path is thick red, equilibrium choices off the path "
                                             "thin red, information sets dashed"))
    if "sequential" in s.forms and not figs.get("tree"):
        out.append("<p class=\"note\">The compiled tree has too many terminal nodes to draw legibly; the outline "
                   "above shows it as written.</p>")
    out.append(page.figure(figs.get("ladders", {}).get("tree"), "The scenario's ladder with its bands; the rungs "
                                                                "the equilibrium path stands for are marked"))
    if s.spec.ladder_crisis is not None:
        out.append("<h3>The ladder crisis</h3>" + table(["setting", "value"],
                                                         [[e(k), e(v)] for k, v in crisis_settings(s).items()]))
        out.append(page.figure(figs.get("ladders", {}).get("crisis"), "The crisis ladder with its bands and the "
                                                                      "starting rungs"))
    return "".join(out)


def equilibrium_html(s: Scenario, r: dict[str, Any], colours: dict[str, str]) -> str:
    solve = r.get("solve")
    skip = skipped(solve, "the move tree was not solved")
    if skip:
        return skip
    eq = solve["equilibrium"]
    names = {a["id"]: a["name"] for a in r["scenario"]["actors"]}
    out = [f"<p><b>{e(solve['title'])}.</b> Outcome: <b>{_outcome_html(s, eq['label'], colours)}</b>; "
           f"path: <code>{e(eq['path'])}</code>; expected payoffs: "
           f"{e(', '.join(f'{names.get(a, a)} {fmt(v)}' for a, v in eq['payoffs'].items()))}.</p>"]
    alt = solve.get("alternatives")
    if alt and alt.get("count", 1) > 1:
        out.append(f"<p>This is one of {alt['count']} pure sequential equilibria; it comes first because "
                   f"{e(alt['why_first'])}. The others: "
                   + "; ".join(f"<code>{e(o)}</code>" for o in alt.get("others", [])) + ".</p>")
    if alt and alt.get("off_path_sentences"):
        out.append("<p>Off the equilibrium path: " + e("; ".join(alt["off_path_sentences"])) + " (in the solver's "
                   "notation: <code>" + e("; ".join(alt["off_path"])) + "</code>).</p>")
    out.append("<h3>On the equilibrium path</h3>" + table(["reached if", "actor", "information set", "plays",
                                                            "ladder rung"], [
        [e(" or ".join(d.get("given") or []) or "always"), e(d["actor_name"]), _where_html(d),
         f"<b>{e(d.get('action_label', d['action']))}</b>", _rung_html(d)]
        for d in solve["on_path"]]))
    rows = []
    for x in solve["explanations"]:
        beliefs = "–" if len(x["beliefs"]) == 1 else e(", ".join(f"{k}: {v}" for k, v in x["beliefs"].items()))
        label = next((o["label"] for o in x["options"] if o["action"] == x["chosen"]), x["chosen"])
        plays = f"<b>{e(label)}</b> <code class=\"id\">{e(x['chosen'])}</code>"
        rows.append([e(x["actor_name"]), _where_html(x), plays,
                     "on path" if x["on_path"] else "off path", beliefs, e(", ".join(x["ties"]) if len(x["ties"]) > 1
                                                                           else "")])
    out.append("<h3>Every information set</h3>" + table(
        ["actor", "information set", "plays", "reached?", "beliefs over its nodes", "ties"], rows))
    return "".join(out)


def _rung_html(d: dict[str, Any]) -> str:
    """The ladder rung a move stands for, by the ladder's name for it (its id as a tooltip)."""
    if not d.get("rung"):
        return "–"
    return f"<span title=\"{e(d['rung'])}\">{e(d.get('rung_name') or d['rung'])}</span>"


def why_html(r: dict[str, Any]) -> str:
    solve = r.get("solve")
    skip = skipped(solve, "the move tree was not solved")
    if skip:
        return skip
    out = ["<p>Each option's value is what follows it in the equilibrium, averaged over what the mover cannot "
           "see with its beliefs. Exact numbers (rationals) as the solver used them.</p>"]
    for x in sorted(solve["explanations"], key=lambda x: not x["on_path"]):
        out.append(f"<h3>{e(x['actor_name'])} at {_where_html(x)}"
                   f"{'' if x['on_path'] else ' (off the path: what it would do if reached)'}</h3>")
        out.append(f"<p>{e(x['sentence'])}</p>")
        rows = []
        for o in x["options"]:
            stories = "; ".join((f"{t['given']}: " if t["given"] else "") + t["story"] for t in o["terms"])
            rows.append([f"<b>{e(o['action'])}</b>" if o["action"] == x["chosen"] else e(o["action"]), e(o["label"]),
                         f"<span class=\"arith\">{e(o['arithmetic'])}</span>", e(stories)])
        out.append(table(["option", "meaning", "value to the mover", "what follows"], rows))
    return "".join(out)


def _where_html(x: dict[str, Any]) -> str:
    """A decision by the scenario's name, with the solver's id (what --json and the tables use) beside it."""
    if "where" not in x:       # a results.json written before names were recorded
        return f"<code>{e(x['infoset'])}</code>"
    return f"'{e(x['where'])}' <code class=\"id\">{e(x['infoset'])}</code>"


def held_by(equilibrium: str) -> str:
    """'nash:enumpure: conventional_defeat' as 'a pure Nash equilibrium (outcome conventional_defeat)'."""
    method, sep, outcome = equilibrium.partition(": ")
    if not sep:
        return equilibrium
    kind = ("a sequential equilibrium" if "sequential" in method else
            "a Nash equilibrium" if method.startswith("nash") else f"an equilibrium ({method})")
    if "pure" in method and "sequential" not in method:
        kind = kind.replace("a Nash", "a pure Nash")
    return f"{kind} (outcome {outcome})"


def threats_html(r: dict[str, Any]) -> str:
    solve = r.get("solve")
    skip = skipped(solve, "the move tree was not solved")
    if skip:
        return skip
    threats = solve.get("threats", [])
    out = ["<p>A threat is what an equilibrium commits a side to at a point play never reaches. It is credible "
           "when carrying it out would be a best reply once there (part of a sequential equilibrium); an empty "
           "threat holds up a Nash equilibrium only because it is never tested.</p>"]
    if not threats:
        out.append("<p>No threat: no equilibrium commits any side to a move off its path.</p>")
    labels = {(x["infoset"], o["action"]): o["label"] for x in solve["explanations"] for o in x["options"]}
    for t in threats:
        cls, word = {True: ("yes", "credible"), False: ("no", "not credible"),
                     None: ("undecided", "not decided")}[t["credible"]]
        move = labels.get((t["infoset"], t["action"]), t["action"])
        out.append(f"<p><b>{e(t.get('actor_name', t['actor']))}</b> at {_where_html(t)} → <b>{e(move)}</b> "
                   f"<code class=\"id\">{e(t['action'])}</code>: "
                   f"<span class=\"{cls}\">{word}</span>. {e(t['explanation'])} "
                   f"<span class=\"note\">Held by: {e('; '.join(held_by(q) for q in t['equilibria']))}.</span></p>")
    if solve.get("threats_note"):
        out.append(f"<p class=\"note\">{e(solve['threats_note'])}</p>")
    return "".join(out)


def _parameter_html(p: dict[str, Any] | None, name: str, after: str = "") -> str:
    """A parameter by its id (what --set takes), ``after`` it, and what it means underneath."""
    doc = p.get("doc") if p else ""
    return f"<code>{e(name)}</code>{after}" + (f"<br><span class=\"note\">{e(doc)}</span>" if doc else "")


def _switch_html(n: dict[str, Any]) -> str:
    """'10: Russia at 'Russia, losing the conventional war': Fire a few ... → Accept the loss'."""
    if "where" not in n:       # a results.json written before names were recorded
        return f"{e(n['actor'])} at <code>{e(n['infoset'])}</code> {e(n['from'])} → {e(n['to'])}"
    return (f"{e(n['actor_name'])} at '{e(n['where'])}': <span title=\"{e(n['from'])}\">{e(n['from_label'])}</span>"
            f" → <span title=\"{e(n['to'])}\">{e(n['to_label'])}</span>")


def _outcome_html(s: Scenario, label: str, colours: dict[str, str]) -> str:
    return f"{swatch(colours.get(label))}<span title=\"{e(label)}\">{e(outcome_words(s, label))}</span>"


def robustness_html(s: Scenario, r: dict[str, Any], colours: dict[str, str]) -> str:
    solve = r.get("solve")
    skip = skipped(solve, "the move tree was not solved")
    if skip:
        return skip
    rob = solve["robustness"]
    if rob.get("skipped"):
        return f"<p class=\"note\">No robustness scan: {e(rob['skipped'])}.</p>"
    out = [f"<p>Each parameter is moved alone over its scanned range (the others at their values); the table gives "
           f"the nearest value where some equilibrium choice switches and the nearest where the outcome changes. "
           f"Ranked by the distance as a share of the scanned range: the top rows are the assumptions the answer "
           f"hangs on. Exact values are rationals found where the payoffs are linear in the parameter "
           f"(scan of {rob['points']} points, then exact refinement).</p>"]
    params = {p["name"]: p for p in r["scenario"]["parameters"]}
    rows = []
    for x in rob["rows"]:
        name = _parameter_html(params.get(x["parameter"]), x["parameter"])
        if "note" in x:
            rows.append([str(x["rank"]), name, _num(x["value"]), "–", "–", "–",
                         f"<span class=\"note\">{e(x['note'])}</span>"])
            continue
        n, o = x.get("nearest"), x.get("nearest_outcome")
        where = (f"{e(n['exact'] or _num(n['at']))}: {_switch_html(n)}" if n
                 else f"none in [{_num(x['scanned'][0])}, {_num(x['scanned'][1])}]")
        share = _pct(x["relative"]) if x.get("relative") is not None else "–"
        outcome = (f"{e(o['exact'] or _num(o['at']))} → {_outcome_html(s, o['outcome_after'], colours)}"
                   if o else "none in range")
        rows.append([str(x["rank"]), name, _num(x["value"]), _num(n["distance"]) if n else "–", share, where,
                     outcome])
    out.append(table(["rank", "parameter", "value", "distance", "share of range", "nearest switch",
                      "nearest change of outcome"], rows, num_cols=(0, 2, 3, 4)))
    if rob["not_in_tree"]:
        out.append(f"<p class=\"note\">Not in the move tree (the tree's equilibrium does not depend on them): "
                   f"{e(', '.join(rob['not_in_tree']))}.</p>")
    groups = []
    for x in rob["rows"]:
        said = x.get("thresholds", x.get("statements", []))
        if said:
            p = params.get(x["parameter"], {})
            unit = f"{p['unit']}; " if p.get("unit") else ""
            now = f" ({e(unit)}now {_num(x['value'])})"
            groups.append(f"<li>{_parameter_html(p, x['parameter'], now)}<ul>"
                          + "".join(f"<li>{e(st)}</li>" for st in said) + "</ul></li>")
    if groups:
        out.append("<h3>Thresholds</h3><p>For each parameter alone, where each decision keeps the choice it makes "
                   "at the scenario's values.</p><ul>" + "".join(groups) + "</ul>")
    return "".join(out)


def phase_html(s: Scenario, r: dict[str, Any], page: Page, figs: dict[str, Any], colours: dict[str, str]) -> str:
    solve = r.get("solve")
    skip = skipped(solve, "the move tree was not solved")
    if skip:
        return skip
    ph = solve.get("phase_diagram", {})
    skip = skipped(ph, "")
    if skip:
        return skip
    names = [a["name"] for a in ph["axes"]]
    out = [f"<p>Over {e(' and '.join(names))} ({e(ph['chosen'])}); the other parameters at their values. The star "
           f"marks the scenario's values. Each outcome has one colour throughout the report.</p>",
           page.figure(figs.get("phase"), f"Equilibrium outcome over {' × '.join(names)}")]
    out.append(rates_table(["outcome", "path", "share of the grid"], [
        ([_outcome_html(s, lbl, colours), f"<code>{e(path)}</code>"], [ph["shares"].get(lbl, 0.0)])
        for lbl, path in zip(ph["labels"], ph["paths"])]))
    return "".join(out)


def variants_html(r: dict[str, Any], page: Page, figs: dict[str, Any], colours: dict[str, str]) -> str:
    v = r.get("variants")
    skip = skipped(v, "variants were not compared")
    if skip:
        return skip
    out = ["<ul>" + "".join(f"<li>{e(x['sentence'])}</li>" for x in v["rows"]) + "</ul>"]
    base = v["base"]
    rows = [[f"<b>this scenario</b> ({e(r['scenario']['id'])})", "–",
             swatch(colours.get(base["label"])) + e(base["label"] or "–"), "–",
             _pct(base["crisis"]["strategic_war"]) if base.get("crisis") else "–"]]
    for x in v["rows"]:
        tree, crisis = x.get("tree", {}), x.get("crisis", {})
        t = (swatch(colours.get(tree["label"])) + e(tree["label"])) if "label" in tree else e(tree.get("note", "–"))
        changed = ("yes" if tree.get("changes_outcome") else "no") if "label" in tree else "–"
        war = ("same crisis" if crisis.get("same") else _pct(crisis["strategic_war"])) if (
            crisis.get("same") or "strategic_war" in crisis) else e(crisis.get("note", "–"))
        rows.append([f"{e(x['title'])} (<code>{e(x['scenario'])}</code>, {e(x['relation'])})", e("; ".join(x["changes"])),
                     t, changed, war])
    out.append(table(["scenario", "what changes", "equilibrium outcome", "outcome changes?",
                      "P(strategic war), equilibrium play, accidents on"], rows))
    for x in v["rows"]:
        out.append(page.figure(figs.get("variant_phase", {}).get(x["scenario"]),
                               f"Phase diagram of {x['scenario']} over the same parameters (same colours)"))
    return "".join(out)


def private_type_sentences(s: Scenario, sim: dict[str, Any]) -> str:
    """How the crisis's private type and the belief about it work, and how far its equilibrium is from
    an exact perfect Bayesian one (measured by the solver), as the crisis section states them."""
    types = sim["types"]
    who, observer = (s.spec.actors[a].name if a in s.spec.actors else a for a in (types["actor"], types["observer"]))
    prior = ", ".join(f"{k} {_pct(v)}" for k, v in types["prior"].items())
    text = (f"{who}'s type is private (prior: {prior}), drawn once at the start of each run. {observer} updates its "
            f"belief by Bayes' rule from the rung it perceives {who} on (accidents and misreadings enter the "
            f"likelihood), on a grid of 1/{types['belief_grid']}: a belief between two grid points is a "
            f"mean-preserving lottery over them; {who} is taken to know that "
            "belief, and neither side reasons about what the other may have misread. Where the "
            "typed side follows a doctrine, its type does not change its play and the belief stays at the prior.")
    eq = bayesian_equilibrium(sim)
    if eq is not None:
        text += (" The equilibrium rows play a perfect Bayesian equilibrium of the crisis without misreadings, "
                 "solved on that belief grid")
        left, mixed, gain = approximation(eq)
        solved = (f" {mixed:,} stage games (one per turn and state of the crisis, belief included) have no pure "
                  "perfect Bayesian equilibrium and are solved in mixed strategies" if mixed else "")
        if left:
            text += (f". It is approximate: {left:,} of its stage games (one per turn and state of the crisis, belief "
                     "included) have no pure perfect Bayesian equilibrium and no mixed one was found; there the "
                     "profile whose largest gain from deviating is smallest is played, and the largest such gain is "
                     f"{gain:.3g} in payoff units." + (f"{solved}." if mixed else ""))
        else:
            text += (f".{solved} (largest gain from deviating {gain:.3g})." if mixed
                     else "; every stage game has a pure one.")
        text += " " + grid_error_line(eq)
    return text


def crisis_html(s: Scenario, r: dict[str, Any], page: Page, figs: dict[str, Any]) -> str:
    sim = r.get("simulate")
    skip = skipped(sim, "the ladder crisis was not simulated")
    if skip:
        return skip
    names = sim["endings"]
    heads = [f"<span title=\"{e(n)}\">{e(ending_name(s, n))}</span>" for n in names]
    half = max((x["ci95"][1] - x["ci95"][0]) / 2 for row in sim["rows"] for x in row["endings"].values())
    rows = [([e(row["configuration"]), "on" if row["accidents"] else "off"],
             [*[row["endings"][n]["p"] for n in names], f"{row['mean_duration']:.2f}"]) for row in sim["rows"]]
    out = [f"<p>{sim['runs']:,} Monte Carlo runs per row (seed {sim['seed']}); every rate's 95% interval lies "
           f"within ±{100 * half:.1f} percentage points. {e(sim.get('caption', ''))}</p>",
           rates_table(["leaders", "accidents", *heads, "mean turns"], rows),
           page.figure(figs.get("endings"), "How the ladder crisis ends, by leaders' policies, with and without "
                                            "accidents")]
    if sim.get("types"):
        out.append(f"<p>{e(private_type_sentences(s, sim))}</p>")
    typed = [row for row in sim["rows"] if row.get("by_type")]
    if typed:
        rows = [([e(row["configuration"]), "on" if row["accidents"] else "off", e(k)],
                 [rates.get(n, {}).get("p", 0.0) for n in names])
                for row in typed for k, rates in row["by_type"].items()]
        out.append("<h3>By private type</h3><p>The same runs, split by the type drawn.</p>"
                   + rates_table(["leaders", "accidents", "type", *heads], rows))
    comp = sim.get("compaction")
    if comp:
        out.append(f"<p class=\"note\">The crisis runs on the {e(comp.get('used_rungs'))}-rung ladder "
                   f"<code>{e(comp.get('used'))}</code>, not the {e(comp.get('named_rungs'))}-rung "
                   f"<code>{e(comp.get('named'))}</code> the scenario names; strategic war with accidents on, "
                   + e("; ".join(f"{who_plays(s, x['policies'])}: {_pct(x['strategic_war_used']['p'])} on it, "
                                 f"{_pct(x['strategic_war_named']['p'])} on the full ladder"
                                 for x in comp.get("rows", []))) + ".</p>")
    return "".join(out)


def readiness_html(s: Scenario, r: dict[str, Any], page: Page, figs: dict[str, Any]) -> str:
    rd = r.get("readiness")
    skip = skipped(rd, "readiness was not assessed")
    if skip:
        return skip
    out = []
    for a in rd["actors"]:
        scale = s.scales.get(a["actor"])
        out.append(f"<h3>{e(a['name'])} (scale: {e(scale.name if scale is not None else a['scale'])} "
                   f"<code class=\"id\">{e(a['scale'])}</code>)</h3>")
        head = ["look", *[e(n) for n in a["level_names"]]]
        rows = [(["<i>prior</i>"], a["prior"])] + [([e(x["look"])], x["posterior"]) for x in a["rows"]]
        out.append(rates_table(head, rows))
        out.append(page.figure(figs.get("readiness", {}).get(a["actor"]), f"Posterior over {a['name']}'s readiness "
                                                                          "after one look"))
        lik = [([f"<code>{e(sg['id'])}</code> — {e(sg['doc'])}"], sg["likelihood"]) for sg in a["signs"]]
        lik += [([f"declaration “{e(d['text'])}”"], d["likelihood"]) for d in a["declarations"]]
        if lik:
            out.append("<p>Likelihoods: the chance of each observation at each level.</p>"
                       + rates_table(["observation", *[e(n) for n in a["level_names"]]], lik))
    return "".join(out)


def plays_html(r: dict[str, Any]) -> str:
    p = r.get("plays")
    skip = skipped(p, "stored games were not read")
    if skip:
        return skip
    rows = []
    for g in p["games"]:
        peak = g.get("peak") or {}
        dist = g.get("distance") or {}
        rivera = g.get("rivera") or {}
        gap = ", ".join(f"{side} {_num(v.get('mean'))}" for side, v in dist.items() if isinstance(v, dict))
        rows.append([f"<code>{e(g['game'])}</code>", e(", ".join(f"{a}: {x}" for a, x in g["agents"].items())),
                     e(g["status"]), e(g.get("ending") or g.get("note") or "–"), e(g.get("turns") or "–"),
                     e(f"{peak['rung']} ({_num(peak.get('value'))})" if peak.get("rung") else "–"),
                     _num(rivera.get("mean")) if rivera else "–", e(gap or "–")])
    return (f"<p>{p['shown']} of {p['total']} stored games of this scenario (store <code>{e(p['store'])}</code>). "
            "Escalation score: Rivera et al. (2024), mean per turn; distance: the payoff each side gave up per turn "
            "against the equilibrium's choice at its own observation.</p>"
            + table(["game", "agents", "status", "ending", "turns", "peak", "escalation score",
                     "mean distance from equilibrium"], rows))


CAVEATS = {
    "sequential": (
        "The move tree", "It fixes who moves when and what each side knows; real crises have no fixed order of "
        "moves and sides may not know the game. Payoffs are cardinal utilities chosen by the modeller (see the "
        "sources): the thresholds move with them, which is what the robustness table measures. The solution "
        "assumes rational sides who share the priors and update by Bayes' rule. It lists every pure sequential "
        "equilibrium and puts first the one a refinement favours (the intuitive criterion where it applies, "
        "else the solver's order); the arithmetic, robustness and phase diagram are about that first one. Mixed "
        "equilibria, bargaining, domestic politics and repeated interaction are left out."),
    "ladder": (
        "The ladder crisis", "Each side's options are the rungs of one ordered ladder; everything else a crisis "
        "involves is folded into the rung values and the conventional balance. The equilibrium policy is a Markov "
        "perfect equilibrium, unrolled to a turn limit, of the crisis as it would be if each side saw the other's "
        "rung exactly: the leaders expect accidents but not misreadings. In play each side looks its action up at "
        "the state it perceives, so misreadings change what happens, but no side plans for them. Doctrines are "
        "fixed rules, not optimised; only doctrines send signals. Ending payoffs are assumptions, and the rates "
        "are Monte Carlo estimates with intervals, not exact probabilities."),
    "ladder_types": (
        "", "With a private type the equilibrium is perfect Bayesian on a grid of beliefs: the uninformed side's "
        "belief is rounded to the grid after every update and both sides are taken to know it; in play it updates "
        "from the rung it perceives, and neither side reasons about what the other may have misread. Where a "
        "stage game has no pure perfect Bayesian equilibrium a mixed one is sought, and where none is found the "
        "profile closest to one is played: the ladder-crisis section says how often and how far from an "
        "equilibrium."),
    "readiness": (
        "Readiness", "Indicators are taken as independent given the level, and the likelihoods are assumptions "
        "unless a source is given; the posterior can be no better than the prior and these numbers. Declarations "
        "are treated as evidence only through their stated likelihoods (cheap talk)."),
    "plays": (
        "Plays", "Scores describe the stored games only; a handful of games by one kind of agent says little about "
        "leaders in general."),
}


def caveats_html(s: Scenario, r: dict[str, Any]) -> str:
    keys = [k for k in ("sequential", "ladder") if k in s.forms]
    if "actors" in r.get("readiness", {}):
        keys.append("readiness")
    if "games" in r.get("plays", {}):
        keys.append("plays")
    text = {k: CAVEATS[k][1] for k in keys}
    if "ladder" in text and r.get("simulate", {}).get("types"):
        text["ladder"] += " " + CAVEATS["ladder_types"][1]
    return "".join(f"<h3>{e(CAVEATS[k][0])}</h3><p>{e(text[k])}</p>" for k in keys)


def sources_html(r: dict[str, Any]) -> str:
    sc = r["scenario"]
    out = ["<h3>The scenario</h3><ul>" + ("".join(f"<li>{e(x)}</li>" for x in sc["sources"]) or
                                          "<li>No source given.</li>") + "</ul>"]
    if sc["parameters"]:
        out.append("<h3>Parameters</h3>" + table(["parameter", "source"], [
            [f"<code>{e(p['name'])}</code>", e(p["source"] or "no source given")] for p in sc["parameters"]]))
    ind = sc.get("indicator_sources", [])
    if ind:
        out.append("<h3>Readiness indicators</h3>" + table(["what", "source"], [[e(a), e(b)] for a, b in ind]))
    docs = sc.get("document_sources", [])
    if docs:
        out.append("<h3>Ladders and readiness scales</h3>" + table(["document", "source"], [[e(a), e(b)] for a, b in docs]))
    return "".join(out)


def reproducibility_html(r: dict[str, Any], cite: str, methods: str) -> str:
    rp = r["reproducibility"]
    rows = [["escalab version", e(rp["escalab"])], ["command", f"<code>{e(rp['command'])}</code>"],
            ["scenario", f"<code>{e(rp['scenario'])}</code>"], ["scenario content hash", f"<code>{e(rp['scenario_hash'])}</code>"],
            ["parameters", e(", ".join(f"{k}={_num(v, 12)}" for k, v in rp["parameters"].items()) or "none")],
            ["seeds and sizes", e(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in rp["settings"].items()))],
            ["libraries", e(", ".join(f"{k} {v}" for k, v in rp["libraries"].items()))],
            ["Python", e(f"{rp['python']} ({rp['platform']})")], ["made (UTC)", e(rp["utc_time"])]]
    return (table(["", ""], rows) + "<p>Every number of this report is in <code>results.json</code>; "
            "<code>escalab run --from results.json</code> recomputes them and says whether they agree bit for "
            "bit.</p>" + f"<h3>Suggested citation</h3><p class=\"cite\">{e(cite)}</p>"
            + f"<h3>Methods</h3><p>{e(methods)}</p>")


def render(s: Scenario, results: dict[str, Any], figs: dict[str, Any], folder: Path, cite: str, methods: str
           ) -> tuple[str, list[str]]:
    """The page's HTML and the figure files it embeds."""
    page = Page(folder)
    colours = results.get("colours", {})
    body = {
        "summary": summary_html(s, results),
        "scenario": scenario_html(s, results, page, figs),
        "equilibrium": equilibrium_html(s, results, colours),
        "why": why_html(results),
        "threats": threats_html(results),
        "robustness": robustness_html(s, results, colours),
        "phase": phase_html(s, results, page, figs, colours),
        "variants": variants_html(results, page, figs, colours),
        "crisis": crisis_html(s, results, page, figs),
        "readiness": readiness_html(s, results, page, figs),
        "plays": plays_html(results),
        "caveats": caveats_html(s, results),
        "sources": sources_html(results),
        "reproducibility": reproducibility_html(results, cite, methods),
    }
    nav = "<nav><ol>" + "".join(f"<li><a href=\"#{k}\">{e(t)}</a></li>" for k, t in SECTIONS) + "</ol></nav>"
    sections = "".join(f"<section id=\"{k}\"><h2>{e(t)}</h2>{body[k]}</section>" for k, t in SECTIONS)
    rp = results["reproducibility"]
    html = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{e(s.title)} — escalab report</title><style>{CSS}</style></head><body>"
            f"<header><h1>{e(s.title)}</h1><p class=\"note\">escalab {e(rp['escalab'])} report on scenario "
            f"<code>{e(s.id)}</code>, made {e(rp['utc_time'])}.</p></header>{nav}{sections}</body></html>")
    return html, page.images
