"""Terminal views of solve results: equilibria, threats, thresholds and sweeps (Rich renderables).

Kept apart from the CLI so ``escalab solve`` and the solve section of ``escalab run`` show results
the same way, and tests can render them to plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..model import ExtensiveGame
from ..solve.assessment import Equilibrium
from ..solve.sweep import SweepResult

if TYPE_CHECKING:      # pygambit stays unimported for `escalab sweep`, which only needs sweep_table
    from ..solve.credibility import CredibilityReport, Regions, ThreatRegion


def num(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v} ({float(v):.4g})"
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:.4g}"


def _dist(d: dict[str, Any] | None, pure_only: bool = False) -> str:
    if d is None:
        return "undefined (not reached)"
    items = [(k, v) for k, v in d.items() if float(v) > 1e-9]
    if pure_only and len(items) == 1 and float(items[0][1]) == 1.0:
        return items[0][0]
    return ", ".join(f"{k} {num(v)}" for k, v in items) or "-"


def equilibrium_title(game: ExtensiveGame) -> str:
    if game.info.perfect_information:
        return "Subgame-perfect equilibrium (backward induction)"
    return "Sequential equilibrium (backward induction with beliefs)"


def equilibrium_table(game: ExtensiveGame, eq: Equilibrium, title: str | None = None) -> RenderableType:
    head = Text.assemble((f"{title or eq.method}", "bold"), "\n", ("outcome: ", "dim"), eq.label, "\n",
                         ("path: ", "dim"), eq.path, "\n", ("expected payoffs: ", "dim"),
                         ", ".join(f"{a} {num(v)}" for a, v in eq.payoffs.items()))
    if eq.extra:
        shown = [f"{k} = {v}" if isinstance(v, bool) else f"{k} = {num(v)}" for k, v in eq.extra.items()]
        head.append("\n" + ", ".join(shown), style="dim")
    if eq.refinements is not None:
        head.append("\n" + refinements_text(eq.refinements), style="dim")
    ranges = {r.infoset: r for r in eq.belief_ranges}
    t = Table(show_header=True, header_style="bold")
    for col in ("information set", "actor", "plays", "beliefs over its nodes", "ties"):
        t.add_column(col, overflow="fold")
    for info in game.infosets:
        beliefs = eq.beliefs.get(info.label)
        belief_text = "-" if beliefs is not None and len(beliefs) == 1 else _dist(beliefs)
        if beliefs is None:
            belief_text = "off the path (below)" if info.label in ranges and ranges[info.label].texts else \
                "off the path"
        ties = ", ".join(eq.ties.get(info.label, ())) or ""
        t.add_row(info.label, game.players[info.player], _dist(dict(eq.behaviour[info.label]), True), belief_text,
                  ties)
    lines = [f"  {r.infoset} ({r.actor}): {text}" for r in eq.belief_ranges for text in r.texts]
    if lines:
        return Group(head, t, Text("off-path beliefs that support the profile (consistent assessments):\n"
                                   + "\n".join(lines)))
    return Group(head, t)


def refinements_text(ref: Any) -> str:
    """E.g. "subgame perfect: yes · sequential: no · intuitive criterion: does not apply"."""
    def yn(v: Any) -> str:
        return "does not apply" if v is None else ("yes" if v else "no")
    seq = yn(ref.get("sequential"))
    if ref.get("sequential") is None and "sequential_basis" in ref:     # consistency could not be decided
        seq = f"not decided ({ref['sequential_basis']}), so not claimed"
    return (f"subgame perfect: {yn(ref.get('subgame_perfect'))} · sequential: {seq} · "
            f"intuitive criterion: {yn(ref.get('intuitive'))}")


def qre_path_table(game: ExtensiveGame, path: Sequence[Equilibrium]) -> Table:
    """The logit QRE along λ: the most likely action and its probability at every information set."""
    t = Table(title="Logit agent QRE along λ (most likely action, probability)", title_justify="left")
    t.add_column("λ", justify="right")
    for info in game.infosets:
        t.add_column(info.label, overflow="fold")
    for eq in path:
        row = [f"{float(eq.extra['lambda']):.3g}"]
        for info in game.infosets:
            acts = eq.behaviour[info.label]
            best = max(acts, key=lambda a: float(acts[a]))
            row.append(f"{best} {float(acts[best]):.3f}")
        t.add_row(*row)
    return t


def credibility_table(report: CredibilityReport) -> RenderableType:
    t = Table(title="Threats (off-path commitments) and their credibility", title_justify="left")
    for col in ("actor", "information set", "threat", "credible?", "gap", "best reply there", "held by"):
        t.add_column(col, overflow="fold")
    for th in report.threats:
        word, style = {True: ("yes", "green"), False: ("no", "red"), None: ("not decided", "yellow")}[th.credible]
        verdict = word + (f" ({'; '.join(th.support)})" if th.support else "")
        t.add_row(th.actor, th.infoset, th.action, Text(verdict, style=style),
                  f"{th.gap:+.4g}", ", ".join(th.best), "; ".join(th.equilibria))
    parts: list[RenderableType] = [t]
    parts.append(Text("credible: a best reply there for some belief consistent with the equilibrium holding it; "
                      "gap and best reply: at the uniform-tremble beliefs", style="dim"))
    if report.note:
        parts.append(Text(report.note, style="dim"))
    return Group(*parts)


def regions_table(regions: Sequence[Regions], threats: Sequence[ThreatRegion] = ()) -> RenderableType:
    t = Table(title=f"How the equilibrium choices depend on {regions[0].parameter}" if regions else "Thresholds",
              title_justify="left")
    t.add_column("information set")
    t.add_column("statement", overflow="fold")
    t.add_column("boundaries", overflow="fold")
    for r in regions:
        bounds = "; ".join(f"{num(b.value)} ({b.method})" for b in r.boundaries) or "none"
        t.add_row(r.infoset, r.statement(), bounds)
    parts: list[RenderableType] = [t]
    for tr in threats:
        parts.append(Text(f"threat {tr.threat.actor}.{tr.threat.infoset} -> {tr.threat.action}: {tr.statement()}"))
    return Group(*parts)


def sweep_table(result: SweepResult) -> Table:
    t = Table(title=f"Sweep of {result.scenario}: {result.size} points ({result.method})", title_justify="left")
    t.add_column("outcome", overflow="fold")
    t.add_column("path", overflow="fold")
    t.add_column("points", justify="right")
    t.add_column("share", justify="right")
    counts = result.counts()
    for label, path in zip(result.labels, result.paths):
        n = counts[label]
        t.add_row(label, path, str(n), f"{100 * n / result.size:.1f}%")
    return t
