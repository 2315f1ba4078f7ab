"""Why an equilibrium holds, in plain arithmetic.

A reader who is told "Russia uses limited nuclear weapons" should be able to check it with a pencil:
at its decision Russia weighs each option by what follows it in the equilibrium, averaged over what
it cannot see (the President's type, with its beliefs). This module writes exactly that sum for
every information set, and for every threat the comparison that makes it credible or empty. It
reads the exact (rational) solution, so "0.3 x (-16) + 0.7 x 8 = 0.8" is the number the solver used.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..model import ExtensiveGame
from ..model.extensive import TYPES_NODE
from ..solve.assessment import node_steps
from ..solve.assessments import BeliefRange
from ..solve.sequential import SequentialSolution

MAX_TERMS = 12          # an option averaged over more nodes than this is shown by its value alone


def fmt(v: Any) -> str:
    """A number as a reader writes it: 0.3, -16, 10/3 (= 3.333); exact when the solver was exact."""
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        d = v.denominator
        for p in (2, 5):
            while d % p == 0:
                d //= p
        if d == 1 and len(str(v.denominator)) <= 6:
            return _trim(f"{float(v):.6f}")
        return f"{v.numerator}/{v.denominator} (≈{float(v):.4g})"
    f = float(v)
    return str(int(f)) if f.is_integer() else f"{f:.6g}"


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def _paren(v: Any) -> str:
    s = fmt(v)
    return f"({s})" if s.startswith("-") or " " in s else s


def actor_name(game: ExtensiveGame, player: int, own_type: str | None = None) -> str:
    spec = game.scenario.spec.actors[game.players[player]]
    return f"{spec.name} ({own_type})" if own_type else spec.name


def move_label(game: ExtensiveGame, node_source: str, action: str) -> str:
    seq = game.scenario.spec.sequential
    node = seq.nodes.get(node_source) if seq is not None else None
    mv = (node.moves or {}).get(action) if node is not None else None
    return mv.label if mv is not None and mv.label else action.replace("_", " ")


def decision_name(game: ExtensiveGame, info: Any) -> str:
    """The decision's name as the scenario writes it: the node's label, or the information set's
    name when the set joins several written nodes (chicken's column driver cannot see the row's move)."""
    sources = {game.nodes[n].source for n in info.nodes}
    seq = game.scenario.spec.sequential
    node = seq.nodes.get(next(iter(sources))) if seq is not None and len(sources) == 1 else None
    if node is not None and node.label:
        return node.label
    return (next(iter(sources)) if len(sources) == 1 else info.label.partition("|")[0]).replace("_", " ")


def _outcome_label(game: ExtensiveGame, outcome: str | None) -> str:
    seq = game.scenario.spec.sequential
    out = seq.outcomes.get(outcome) if seq is not None and outcome else None
    return out.label if out is not None and out.label else (outcome or "?")


def chance_context(game: ExtensiveGame, idx: int) -> str:
    """What chance has drawn on the way to node ``idx`` (e.g. 'resolute'), or ''."""
    return ", ".join(a for p, a in node_steps(game, idx) if game.nodes[p].kind == "chance")


def chance_weight(game: ExtensiveGame, idx: int) -> Any:
    """The probability of chance's draws on the way to node ``idx`` (exact in an exact game)."""
    w: Any = 1
    for p, a in node_steps(game, idx):
        node = game.nodes[p]
        if node.kind == "chance":
            w = w * node.probs[node.actions.index(a)]
    return w


def type_words(actor_name: str, own_type: str) -> str:
    """A private type drawn, in words: 'United States / NATO is resolute'."""
    return f"{actor_name} is {own_type}"


def draw_words(game: ExtensiveGame, idx: int) -> str:
    """What chance has drawn on the way to node ``idx``, in words: a private type as 'United States /
    NATO is resolute', any other draw as "chance draws 'label'"; '' where nothing was drawn."""
    actors = game.scenario.spec.actors
    typed = [a for a, spec in actors.items() if spec.types]
    words = []
    for p, a in node_steps(game, idx):
        node = game.nodes[p]
        if node.kind != "chance":
            continue
        if node.source != TYPES_NODE:
            words.append(f"chance draws '{move_label(game, node.source, a)}'")
            continue
        for part in a.split(","):            # the Harsanyi root draws 't', or 'actor:t,actor:t' for several
            who, sep, t = part.partition(":")
            words.append(type_words(actors[who if sep else typed[0]].name, t if sep else who))
    return " and ".join(words)


class _Values:
    """Continuation values of every node under the equilibrium choices of one solution point."""

    def __init__(self, game: ExtensiveGame, sol: SequentialSolution, point: int = 0):
        self.game, self.sol, self.point = game, sol, point
        self.cache: dict[int, tuple[Any, ...]] = {}

    def choice(self, infoset: int) -> int:
        return int(self.sol.choice[infoset][self.point])

    def __call__(self, idx: int) -> tuple[Any, ...]:
        if idx in self.cache:
            return self.cache[idx]
        n = self.game.nodes[idx]
        if n.kind == "terminal":
            v = tuple(n.payoffs)
        elif n.kind == "chance":
            kids = [self(c) for c in n.children]
            v = tuple(sum((p * k[i] for p, k in zip(n.probs, kids)), 0 * kids[0][i])
                      for i in range(len(self.game.players)))
        else:
            assert n.infoset is not None
            v = self(n.children[self.choice(n.infoset)])
        self.cache[idx] = v
        return v

    def describe(self, idx: int, player: int, depth: int = 0) -> tuple[str, list[str]]:
        """(arithmetic for ``player``'s value from node ``idx`` on, the moves that lead there)."""
        n = self.game.nodes[idx]
        if n.kind == "terminal":
            return fmt(n.payoffs[player]), [f"ends in '{_outcome_label(self.game, n.outcome)}'"]
        if n.kind == "decision":
            assert n.infoset is not None and n.player is not None
            info = self.game.infosets[n.infoset]
            k = self.choice(n.infoset)
            arith, story = self.describe(n.children[k], player, depth)
            who = actor_name(self.game, n.player, info.own_type)
            return arith, [f"{who} plays '{move_label(self.game, n.source, n.actions[k])}'"] + story
        if depth >= 2 or len(n.children) > MAX_TERMS:
            return fmt(self(idx)[player]), ["chance decides what follows"]
        parts, stories = [], []
        for a, p, c in zip(n.actions, n.probs, n.children):
            arith, story = self.describe(c, player, depth + 1)
            parts.append(f"{fmt(p)} × {_paren_text(arith)}")
            stories.append(f"with probability {fmt(p)} chance draws {a}: " + ", ".join(story))
        return " + ".join(parts), ["; ".join(stories)]


def _paren_text(arith: str) -> str:
    return f"({arith})" if arith.startswith("-") or " " in arith else arith


def explain_choices(game: ExtensiveGame, sol: SequentialSolution, on_path: set[str]) -> list[dict[str, Any]]:
    """For every information set: each action's value as a sum the reader can redo, and the choice."""
    values = _Values(game, sol)
    out = []
    for info in game.infosets:
        player = info.player
        beliefs = {n: sol.beliefs[n][0] for n in info.nodes}
        shown = [n for n in info.nodes if beliefs[n] != 0] or list(info.nodes)
        options = []
        for k, action in enumerate(info.actions):
            q = sol.action_values[info.index][k][0]
            terms = []
            for n in shown:
                child = game.nodes[n].children[k]
                arith, story = values.describe(child, player)
                terms.append({"given": chance_context(game, n), "belief": fmt(beliefs[n]),
                              "value": fmt(values(child)[player]), "arithmetic": arith, "story": ", ".join(story)})
            if len(shown) == 1 or len({x["value"] for x in terms}) == 1:
                arithmetic = terms[0]["arithmetic"]
                if arithmetic != fmt(q):
                    arithmetic += f" = {fmt(q)}"
            elif len(shown) <= MAX_TERMS:
                arithmetic = " + ".join(f"{t['belief']} × {_paren(values(game.nodes[n].children[k])[player])}"
                                        for t, n in zip(terms, shown)) + f" = {fmt(q)}"
            else:
                arithmetic = fmt(q)
            options.append({"action": action, "label": move_label(game, game.nodes[info.nodes[0]].source, action),
                            "value": float(q), "exact": fmt(q), "arithmetic": arithmetic, "terms": terms})
        chosen = info.actions[values.choice(info.index)]
        best = max(float(o["value"]) for o in options)
        ties = [o["action"] for o in options if abs(float(o["value"]) - best) <= 1e-12 * max(1.0, abs(best))]
        who = actor_name(game, player, info.own_type)
        others = [o for o in options if o["action"] != chosen]
        pick = next(o for o in options if o["action"] == chosen)
        sentence = (f"{who} compares {chosen} ({pick['label']}): {pick['arithmetic']}"
                    + "".join(f"{' with' if i == 0 else ','} {o['action']} ({o['label']}): {o['arithmetic']}"
                              for i, o in enumerate(others))
                    + f"; it plays {chosen}" + (f" (tied with {', '.join(t for t in ties if t != chosen)})"
                                                 if len(ties) > 1 else "") + ".")
        out.append({"infoset": info.label, "actor": game.players[player], "actor_name": who,
                    "type": info.own_type, "on_path": info.label in on_path, "chosen": chosen, "ties": ties,
                    "beliefs": {game.nodes[n].id: fmt(beliefs[n]) for n in info.nodes}, "options": options,
                    "sentence": sentence})
    return out


def explain_threat(threat: dict[str, Any], choices: list[dict[str, Any]]) -> str:
    """The comparison behind one threat's credibility, from the same values as the choices."""
    here = next((c for c in choices if c["infoset"] == threat["infoset"]), None)
    if here is None:
        return ""
    value = {o["action"]: o for o in here["options"]}
    where = f"'{here['where']}'" if "where" in here else threat["infoset"]
    act = value[threat["action"]]
    rivals = [o for a, o in value.items() if a != threat["action"]]
    if not rivals:
        return f"{here['actor_name']} has no other move at {where}: the threat is credible by default."
    best = max(rivals, key=lambda o: o["value"])
    head = (f"If it came to {where}, {here['actor_name']} would get {act['arithmetic']} from "
            f"{threat['action']} against {best['arithmetic']} from {best['action']}")
    gap = act["value"] - best["value"]
    if threat["credible"] is None:
        return head + (" under the beliefs of small uniform mistakes; whether some consistent belief makes carrying "
                       "it out a best reply was not decided within the solver's budget, so the threat is neither "
                       "called credible nor empty.")
    if threat["credible"]:
        return head + f": carrying the threat out is a best reply (gap {fmt(gap) if gap else '0'}), so it is credible."
    return head + f": carrying it out would cost {fmt(-gap)}, so the threat is not credible."


def belief_range_sentence(game: ExtensiveGame, br: BeliefRange) -> str:
    """An off-path belief range as a quotable clause: who believes what where, and which beliefs
    keep the equilibrium (the solver's compact "belief a|set >= 1/2" is for programs)."""
    spec = game.scenario.spec
    node = spec.sequential.nodes.get(br.infoset) if spec.sequential is not None else None
    where = node.label if node is not None and node.label else br.infoset.replace("_", " ")
    who = spec.actors[br.actor].name if br.actor in spec.actors else br.actor

    def being(name: str) -> str:
        owner = next((a.name for a in spec.actors.values() if a.types and name in a.types), None)
        return f"{owner} being {name}" if owner else f"play being at {name}"

    if br.pinned is not None:
        named = dict(zip(br.nodes, br.names))
        sure = [f"{fmt(v)} on {being(named.get(n, n))}" for n, v in br.pinned.items() if v != 0]
        return (f"{who}'s belief at '{where}' is fixed by consistency (the limit of small mistakes): "
                f"probability {', '.join(sure)}")
    return _with_basis(_range_clause(br, who, where, being), br)


def _with_basis(clause: str, br: BeliefRange) -> str:
    """An outer-bound range is a necessary condition only: say so beside it, never "every one"."""
    if br.basis == "exact":
        return clause
    tied = ", ".join(f"'{s.replace('_', ' ')}'" for s in br.coupled_with) or "other information sets"
    clause = clause.replace(": the equilibrium holds for every one", "")
    return (f"{clause} (an outer bound: every consistent belief that keeps the equilibrium lies in it, but "
            f"consistency with the beliefs at {tied} can rule out parts of it)")


def _range_clause(br: BeliefRange, who: str, where: str, being: Any) -> str:
    if br.interval is None or not br.group:
        return f"{who}'s beliefs at '{where}' satisfy " + "; ".join(br.texts)
    picked = br.names[br.nodes.index(br.group[0])] if br.group[0] in br.nodes else br.group[0]
    rest = [n for n in br.names if n != picked]
    what = being(picked)
    if rest:
        what += f" rather than {' or '.join(rest)}"
    lo, hi = br.interval
    tol = 0 if isinstance(lo, Fraction) else 1e-9
    if lo <= tol and hi >= 1 - tol:
        return f"{who} at '{where}' may put any probability from 0 to 1 on {what}: the equilibrium holds for every one"
    if abs(hi - lo) <= tol:
        return f"{who} at '{where}' must put a probability of exactly {fmt(lo)} on {what}"
    if lo <= tol:
        return f"{who} at '{where}' must put a probability of at most {fmt(hi)} on {what}"
    if hi >= 1 - tol:
        return f"{who} at '{where}' must put a probability of at least {fmt(lo)} on {what}"
    return f"{who} at '{where}' must put a probability between {fmt(lo)} and {fmt(hi)} on {what}"
