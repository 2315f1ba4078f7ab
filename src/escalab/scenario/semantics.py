"""Second layer of validation: what the document *means*.

Run after the shape is known to be right. Checks references (actors, rungs, nodes, outcomes,
readiness levels), probabilities (each in [0, 1], distributions summing to 1 at the default
parameter values), expressions (they parse and use only declared parameters), and the move tree
(no cycles, a single root, consistent information sets). All problems are collected, not just
the first, so an author can fix a file in one pass.
"""

from __future__ import annotations

import itertools
import keyword
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ExpressionError, Problem
from . import expressions
from .expressions import Expr
from .schema import LadderSpec, ReadinessScaleSpec, ScenarioSpec
from .source import Document, PathT

TOLERANCE = 1e-9

# Names the ladder-crisis endings and doctrine rules may use besides the parameters.
ENDING_VARIABLES = ("turns", "peak", "balance")
OBSERVATION_VARIABLES = ("turn", "own", "opponent", "opponent_signal", "balance", "losing", "winning",
                         "peak")
DOCTRINE_ACTIONS = ("hold", "escalate", "deescalate", "match", "match_plus_one")
RESERVED = set(ENDING_VARIABLES) | set(OBSERVATION_VARIABLES) | set(expressions.FUNCTIONS)


@dataclass
class Checker:
    """Collects problems and parsed expressions while walking a scenario."""

    doc: Document
    env: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    exprs: dict[PathT, Expr] = field(default_factory=dict)

    def add(self, message: str, path: PathT, at_key: bool = False) -> None:
        """Record a problem at ``path`` (at its key, with ``at_key``: for a key that names nothing)."""
        self.problems.append(self.doc.problem(message, path, at_key=at_key))

    def expr(self, source: Any, path: PathT, extra_names: Iterable[str] = ()) -> Expr | None:
        try:
            e = expressions.parse(source)
        except ExpressionError as exc:
            where = f" (at character {exc.column})" if exc.column else ""
            self.add(f"{exc.message}{where}", path)
            return None
        unknown = e.names - self.env.keys() - set(extra_names)
        if unknown:
            known = ", ".join(sorted(self.env)) or "none declared"
            self.add(f"expression '{e.source}' uses unknown parameter(s) {', '.join(sorted(unknown))} "
                     f"(declared parameters: {known})", path)
            return None
        self.exprs[path] = e
        return e

    def value(self, source: Any, path: PathT) -> Any:
        e = self.expr(source, path)
        if e is None:
            return None
        try:
            v = e.evaluate(self.env)
        except ExpressionError as exc:
            self.add(exc.message, path)
            return None
        if not math.isfinite(float(v)):
            self.add(f"expression '{e.source}' evaluates to {float(v):g} at the default parameters "
                     "(expected a finite number)", path)
            return None
        return v

    def probability(self, source: Any, path: PathT) -> float | None:
        v = self.value(source, path)
        if v is None:
            return None
        if not (-TOLERANCE <= float(v) <= 1 + TOLERANCE):
            self.add(f"expected a probability in [0, 1], got {float(v):g} at the default parameters", path)
            return None
        return float(v)

    def distribution(self, items: Mapping[str, Any], path: PathT, what: str, suffix: PathT = ()) -> None:
        probs = [self.probability(src, path + (key,) + suffix) for key, src in items.items()]
        if None in probs:
            return
        total = sum(p for p in probs if p is not None)
        if abs(total - 1) > 1e-6:
            self.add(f"{what} must sum to 1, but sum to {total:g} at the default parameters", path)


def check_ladder(ladder: LadderSpec, doc: Document, path: PathT) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    prev: float | None = None
    for i, rung in enumerate(ladder.rungs):
        if rung.id in seen:
            problems.append(doc.problem(f"duplicate rung id '{rung.id}'", path + ("rungs", i, "id")))
        seen.add(rung.id)
        if prev is not None and rung.value <= prev:
            problems.append(doc.problem(
                f"rung values must increase up the ladder: {rung.value:g} is not above {prev:g}",
                path + ("rungs", i, "value")))
        prev = rung.value
    mapped = [r.rivera is not None for r in ladder.rungs]
    if any(mapped) and not all(mapped):
        # A partial mapping would score some turns and silently drop others from Rivera's sum.
        i = mapped.index(False)
        problems.append(doc.problem(
            f"rung '{ladder.rungs[i].id}' has no 'rivera' class, but other rungs of this ladder do: map every "
            f"rung or none", path + ("rungs", i)))
    for i, t in enumerate(ladder.thresholds):
        if t.after not in seen:
            problems.append(doc.problem(f"threshold names unknown rung '{t.after}'", path + ("thresholds", i, "after")))
    return problems


def check_scale(scale: ReadinessScaleSpec, doc: Document, path: PathT) -> list[Problem]:
    ids = [lvl.id for lvl in scale.levels]
    return [doc.problem(f"duplicate readiness level '{i}'", path + ("levels", n, "id"))
            for n, i in enumerate(ids) if i in ids[:n]]


def _rung_ids(ladder: LadderSpec | None) -> set[str]:
    return {r.id for r in ladder.rungs} if ladder else set()


def check_scenario(spec: ScenarioSpec, doc: Document, ladder: LadderSpec | None,
                   crisis_ladder: LadderSpec | None,
                   scales: Mapping[str, ReadinessScaleSpec]) -> Checker:
    env: dict[str, Any] = {name: p.default for name, p in spec.parameters.items()}
    c = Checker(doc, env)
    for name, p in spec.parameters.items():
        path: PathT = ("parameters", name)
        if name in RESERVED:
            c.add(f"parameter name '{name}' is reserved (reserved names: {', '.join(sorted(RESERVED))})", path)
        elif keyword.iskeyword(name) or name in ("None", "True", "False"):
            # a Python word cannot be written in an expression, so such a parameter could never be used
            c.add(f"parameter name '{name}' is a word of the expression language (if, else, and, or, not, "
                  "None, lambda, ...); choose another name", path)
        if p.range is not None:
            lo, hi = p.range
            if lo > hi:
                c.add(f"range lower bound {lo:g} is above upper bound {hi:g}", path + ("range",))
            elif not lo <= p.default <= hi:
                c.add(f"default {p.default:g} lies outside the range [{lo:g}, {hi:g}]", path + ("default",))

    for actor_id, actor in spec.actors.items():
        if actor.types is not None:
            if len(actor.types) < 2:
                c.add("an actor with private types needs at least two types", ("actors", actor_id, "types"))
            c.distribution(actor.types, ("actors", actor_id, "types"), "type probabilities")
            if "by" in actor.types:
                c.add("'by' is reserved (it names the actor in a mapping by type); choose another type id",
                      ("actors", actor_id, "types", "by"), at_key=True)

    if spec.sequential is not None:
        _check_sequential(spec, c, ladder)
    if spec.ladder_crisis is not None:
        _check_ladder_crisis(spec, c, crisis_ladder)
    for did, doctrine in spec.doctrines.items():
        _check_doctrine(did, doctrine, c, crisis_ladder)
    _check_indicators(spec, c, scales)
    _check_type_prior(spec, c, scales)
    _check_prompts(spec, c)
    _check_analysis(spec, c)
    if spec.sequential is None and spec.ladder_crisis is None:
        c.add("a scenario needs a 'sequential' tree, a 'ladder_crisis', or both", ())
    elif not c.problems:
        _check_parameter_forms(spec, c)
    return c


FORM_WORDS = {"sequential": "move tree", "ladder_crisis": "ladder crisis"}


def parameter_forms(spec: ScenarioSpec, exprs: Mapping[PathT, Expr]) -> dict[str, tuple[str, ...]]:
    """Which of the scenario's forms ('sequential', 'ladder_crisis') read each parameter: the move
    tree reads its own expressions, the ladder crisis its own and its doctrines', both the actors'
    type priors."""
    has = tuple(f for f in FORM_WORDS if getattr(spec, f) is not None)
    reads: dict[str, set[str]] = {name: set() for name in spec.parameters}
    for path, e in exprs.items():
        forms = {"sequential": ("sequential",), "ladder_crisis": ("ladder_crisis",),
                 "doctrines": ("ladder_crisis",), "actors": has}.get(str(path[0]), ())
        for name in e.names & reads.keys():
            reads[name].update(f for f in forms if f in has)
    return {name: tuple(f for f in FORM_WORDS if f in got) for name, got in reads.items()}


def _check_parameter_forms(spec: ScenarioSpec, c: Checker) -> None:
    """One crisis, two forms: a parameter that one form reads and the other ignores makes --set change
    one story and not the other, so it must be declared that form's own."""
    forms = parameter_forms(spec, c.exprs)
    both = spec.sequential is not None and spec.ladder_crisis is not None
    for name, p in spec.parameters.items():
        read = forms[name]
        if p.form is not None:      # naming a form the scenario lacks is allowed: a variant may drop a form
            if any(f != p.form for f in read):
                other = next(f for f in read if f != p.form)
                c.add(f"parameter '{name}' is declared the {FORM_WORDS[p.form]}'s own (form: {p.form}), but the "
                      f"{FORM_WORDS[other]} ({other}) reads it too; remove 'form' or that use",
                      ("parameters", name, "form"))
        elif both and len(read) == 1:
            (f,) = read
            other = next(g for g in FORM_WORDS if g != f)
            c.add(f"parameter '{name}' reaches only the {FORM_WORDS[f]} ({f}): the {FORM_WORDS[other]} never "
                  f"reads it, so changing it would change one form of the crisis and not the other; use it in "
                  f"'{other}' too, or declare it the {FORM_WORDS[f]}'s own with 'form: {f}'", ("parameters", name))


def _check_sequential(spec: ScenarioSpec, c: Checker, ladder: LadderSpec | None) -> None:
    seq = spec.sequential
    assert seq is not None
    base: PathT = ("sequential",)
    actors = set(spec.actors)
    rungs = _rung_ids(ladder)

    def check_rung(rung: str | None, path: PathT) -> None:
        if rung is None:
            return
        if ladder is None:
            c.add(f"move names rung '{rung}' but the scenario declares no 'ladder'", path)
        elif rung not in rungs:
            c.add(f"unknown rung '{rung}' (not on ladder '{ladder.id}')", path)

    def check_target(nxt: str | None, outcome: str | None, path: PathT) -> None:
        if (nxt is None) == (outcome is None):
            c.add("give exactly one of 'next' (a node) or 'outcome'", path)
        elif nxt is not None and nxt not in seq.nodes:
            c.add(f"unknown node '{nxt}' (known nodes: {', '.join(seq.nodes)})", path + ("next",))
        elif outcome is not None and outcome not in seq.outcomes:
            c.add(f"unknown outcome '{outcome}' (known outcomes: {', '.join(seq.outcomes)})", path + ("outcome",))

    if seq.root not in seq.nodes:
        c.add(f"unknown root node '{seq.root}' (known nodes: {', '.join(seq.nodes)})", base + ("root",))

    removed: dict[str, set[str]] = {}
    for i, ref in enumerate(spec.remove_moves):
        node_id, _, move = ref.partition(".")
        node = seq.nodes.get(node_id)
        if node is None or not node.moves or move not in node.moves:
            c.add(f"'{ref}' names no move (write 'node.move', e.g. 'us_decides.answer_in_kind')", ("remove_moves", i))
        else:
            removed.setdefault(node_id, set()).add(move)

    infosets: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for node_id, node in seq.nodes.items():
        path = base + ("nodes", node_id)
        if node.chance is not None:
            if node.actor is not None or node.moves is not None or node.infoset is not None:
                c.add("a chance node has 'chance' only, not 'actor', 'moves' or 'infoset'", path)
            if not node.chance:
                c.add("a chance node needs at least one branch", path + ("chance",))
            probs = {k: b.prob for k, b in node.chance.items()}
            if any(isinstance(p, dict) for p in probs.values()):
                _check_typed_distribution(spec, c, probs, path + ("chance",))
            else:
                c.distribution(probs, path + ("chance",), "chance probabilities", ("prob",))
            for k, b in node.chance.items():
                check_target(b.next, b.outcome, path + ("chance", k))
            continue
        if node.actor is None or node.moves is None:
            c.add("a node needs either 'actor' with 'moves' (a decision) or 'chance' (a chance move)", path)
            continue
        if node.actor not in actors:
            c.add(f"unknown actor '{node.actor}' (known actors: {', '.join(spec.actors)})", path + ("actor",))
        if not node.moves:
            c.add("a decision node needs at least one move", path + ("moves",))
        live = tuple(m for m in node.moves if m not in removed.get(node_id, set()))
        if node.moves and not live:
            c.add("remove_moves leaves this node without any move", path + ("moves",))
        for move_id, move in node.moves.items():
            check_target(move.next, move.outcome, path + ("moves", move_id))
            check_rung(move.rung, path + ("moves", move_id, "rung"))
        key = node.infoset or f"@{node_id}"
        if key in infosets:
            first_node, first_actor, first_moves = infosets[key]
            if first_actor != node.actor:
                c.add(f"information set '{key}' mixes actors '{first_actor}' (at {first_node}) and '{node.actor}'",
                      path + ("infoset",))
            elif first_moves != live:
                c.add(f"nodes in information set '{key}' must offer the same moves: {first_node} offers "
                      f"{', '.join(first_moves)}, this node offers {', '.join(live)}", path + ("moves",))
        else:
            infosets[key] = (node_id, node.actor, live)

    for out_id, out in seq.outcomes.items():
        path = base + ("outcomes", out_id)
        check_rung(out.rung, path + ("rung",))
        for actor_id in spec.actors:
            if actor_id not in out.payoffs:
                c.add(f"missing payoff for actor '{actor_id}'", path + ("payoffs",))
        for actor_id, pay in out.payoffs.items():
            ppath = path + ("payoffs", actor_id)
            if actor_id not in spec.actors:
                c.add(f"unknown actor '{actor_id}' (known actors: {', '.join(spec.actors)})", ppath, at_key=True)
                continue
            _check_typed(spec, c, pay, ppath, actor_id, "payoff", c.value)

    _check_acyclic(seq, c, base)


def _check_typed(spec: ScenarioSpec, c: Checker, src: Any, path: PathT, default: str | None, what: str,
                 leaf: Any, used: frozenset[str] = frozenset()) -> dict[PathT, Any]:
    """Check a value that may depend on private types (a mapping by one actor's types, nested for
    several); ``leaf`` checks each expression. Returns every leaf's path and value."""
    if not isinstance(src, dict):
        return {path: leaf(src, path)}
    by = src.get("by", default)
    if by is None:
        c.add(f"a {what} given per type needs 'by: <actor>' naming whose type it depends on", path)
        return {}
    if not isinstance(by, str) or by not in spec.actors:
        c.add(f"'by' names unknown actor '{by}' (known actors: {', '.join(spec.actors)})",
              path + ("by",) if "by" in src else path)
        return {}
    types = spec.actors[by].types
    if not types:
        c.add(f"{what}s per type, but actor '{by}' declares no types", path)
        return {}
    if by in used:
        c.add(f"{what}s depend on the type of '{by}' twice in one nested mapping", path)
        return {}
    out: dict[PathT, Any] = {}
    for t in types:
        if t not in src:
            c.add(f"missing {what} for type '{t}' of actor '{by}'", path)
    inner = default if default not in used | {by} else None
    for t, sub in src.items():
        if t == "by":
            continue
        if t not in types:
            c.add(f"unknown type '{t}' (types of '{by}': {', '.join(types)})", path + (t,), at_key=True)
        else:
            out.update(_check_typed(spec, c, sub, path + (t,), inner, what, leaf, used | {by}))
    return out


def _resolve_typed(src: Any, path: PathT, profile: Mapping[str, str], default: str | None) -> PathT:
    """The path of the expression a type-dependent value takes under one type profile."""
    while isinstance(src, dict):
        by = src.get("by", default)
        t = profile[by]
        path, src, default = path + (t,), src[t], None
    return path


def _check_typed_distribution(spec: ScenarioSpec, c: Checker, probs: Mapping[str, Any], path: PathT) -> None:
    """Chance probabilities that depend on types must sum to 1 under every type profile."""
    values: dict[PathT, Any] = {}
    for k, src in probs.items():
        values.update(_check_typed(spec, c, src, path + (k, "prob"), None, "probability", c.probability))
    if any(v is None for v in values.values()):
        return
    typed = [(a, list(actor.types)) for a, actor in spec.actors.items() if actor.types]
    for combo in itertools.product(*[ts for _, ts in typed]):
        profile = {a: t for (a, _), t in zip(typed, combo)}
        try:
            total = sum(float(values[_resolve_typed(src, path + (k, "prob"), profile, None)])
                        for k, src in probs.items())
        except KeyError:
            return
        if abs(total - 1) > 1e-6:
            shown = ", ".join(f"{a} {t}" for a, t in profile.items())
            c.add(f"chance probabilities must sum to 1, but sum to {total:g} at the default parameters "
                  f"when {shown}", path)
            return


def _check_acyclic(seq: Any, c: Checker, base: PathT) -> None:
    if seq.root not in seq.nodes:
        return
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {n: WHITE for n in seq.nodes}
    parents: dict[str, int] = {n: 0 for n in seq.nodes}

    def children(node_id: str) -> list[str]:
        node = seq.nodes[node_id]
        targets = [m.next for m in (node.moves or {}).values()] + [b.next for b in (node.chance or {}).values()]
        return [t for t in targets if t is not None and t in seq.nodes]

    for n in seq.nodes:
        for ch in children(n):
            parents[ch] += 1
    reported: set[str] = set()
    stack: list[tuple[str, list[str], list[str]]] = [(seq.root, children(seq.root), [seq.root])]
    colour[seq.root] = GREY
    while stack:
        node_id, pending, trail = stack[-1]
        if not pending:
            colour[node_id] = BLACK
            stack.pop()
            continue
        ch = pending.pop()
        if colour[ch] == GREY and ch not in reported:
            reported.add(ch)
            cycle = trail[trail.index(ch):] + [ch]
            c.add(f"the move tree has a cycle: {' -> '.join(cycle)}", base + ("nodes", ch))
        elif colour[ch] == WHITE:
            colour[ch] = GREY
            stack.append((ch, children(ch), trail + [ch]))
    if seq.root in parents and parents[seq.root] > 0 and seq.root not in reported:
        c.add(f"the root node '{seq.root}' is the target of a move", base + ("root",))


def _check_ladder_crisis(spec: ScenarioSpec, c: Checker, ladder: LadderSpec | None) -> None:
    lc = spec.ladder_crisis
    assert lc is not None
    base: PathT = ("ladder_crisis",)
    if ladder is None:
        c.add("a ladder crisis needs a ladder: set 'ladder' here or at the top of the scenario", base)
        return
    rungs = _rung_ids(ladder)
    for i, a in enumerate(lc.actors):
        if a not in spec.actors:
            c.add(f"unknown actor '{a}' (known actors: {', '.join(spec.actors)})", base + ("actors", i))
    if len(set(lc.actors)) != len(lc.actors):
        c.add("the two actors must differ", base + ("actors",))
    for a in lc.actors:
        if a not in lc.start:
            c.add(f"missing start rung for actor '{a}'", base + ("start",))
    for a, r in lc.start.items():
        if a not in lc.actors:
            c.add(f"'{a}' is not one of the crisis actors ({', '.join(lc.actors)})", base + ("start", a))
        elif r not in rungs:
            c.add(f"unknown rung '{r}' (not on ladder '{ladder.id}')", base + ("start", a))
    for a, allowed in (lc.actions or {}).items():
        if a not in lc.actors:
            c.add(f"'{a}' is not one of the crisis actors ({', '.join(lc.actors)})", base + ("actions", a))
        if not allowed:
            c.add("an actor needs at least one allowed action", base + ("actions", a))
        for i, r in enumerate(allowed):
            if r not in rungs:
                c.add(f"unknown rung '{r}' (not on ladder '{ladder.id}')", base + ("actions", a, i))
    lo, hi = lc.balance.range
    if lo >= hi:
        c.add(f"balance range [{lo}, {hi}] is empty", base + ("balance", "range"))
    elif not lo <= lc.balance.initial <= hi:
        c.add(f"initial balance {lc.balance.initial} lies outside the range [{lo}, {hi}]", base + ("balance", "initial"))
    bands: list[tuple[float, float]] = []
    for band, acc in lc.accidents.items():
        up = c.probability(acc.up, base + ("accidents", band, "up"))
        down = c.probability(acc.down, base + ("accidents", band, "down"))
        if up is not None and down is not None and up + down > 1 + TOLERANCE:
            c.add(f"accident probabilities up + down = {up + down:g} exceed 1", base + ("accidents", band))
        bands.append((up or 0.0, down or 0.0))
    c.probability(lc.misperception, base + ("misperception",))
    for a, src in lc.miscalculation_risk.items():
        path = base + ("miscalculation_risk", a)
        if a not in lc.actors:
            c.add(f"'{a}' is not one of the crisis actors ({', '.join(lc.actors)})", path, at_key=True)
            continue
        factor = c.value(src, path)
        if factor is None:
            continue
        if float(factor) < 0:
            c.add(f"miscalculation risk must be at least 0, got {float(factor):g}", path)
        elif any(float(factor) * up + down > 1 + TOLERANCE for up, down in bands):
            worst = max(float(factor) * up + down for up, down in bands)
            c.add(f"miscalculation risk {float(factor):g} makes an accident probability {worst:g}, above 1", path)
    expected = ["settlement", "strategic_war", "turn_limit"] + [f"{a}_capitulates" for a in lc.actors]
    for e in expected:
        if e not in lc.endings:
            c.add(f"missing ending '{e}' (a ladder crisis needs payoffs for: {', '.join(expected)})", base + ("endings",))
    for e, ending in lc.endings.items():
        if e not in expected:
            c.add(f"unknown ending '{e}' (expected one of: {', '.join(expected)})", base + ("endings", e),
                  at_key=True)
            continue
        for a in lc.actors:
            if a not in ending.payoffs:
                c.add(f"missing payoff for actor '{a}'", base + ("endings", e, "payoffs"))
        for a, src in ending.payoffs.items():
            ppath = base + ("endings", e, "payoffs", a)
            if a not in lc.actors:
                c.add(f"'{a}' is not one of the crisis actors ({', '.join(lc.actors)})", ppath)
            elif isinstance(src, dict):
                types = spec.actors[a].types if a in spec.actors else None
                if not types:
                    c.add(f"payoffs per type, but actor '{a}' declares no types", ppath)
                    continue
                for t in types:
                    if t not in src:
                        c.add(f"missing payoff for type '{t}' of actor '{a}'", ppath)
                for t, tsrc in src.items():
                    if t not in types:
                        c.add(f"unknown type '{t}' (types of '{a}': {', '.join(types)})", ppath + (t,), at_key=True)
                    else:
                        c.expr(tsrc, ppath + (t,), ENDING_VARIABLES)
            else:
                c.expr(src, ppath, ENDING_VARIABLES)
    typed = [a for a in lc.actors if a in spec.actors and spec.actors[a].types]
    if len(typed) > 1:
        c.add(f"a ladder crisis supports private types for one of its actors, but {' and '.join(typed)} both "
              "declare types", base + ("actors",))
    for a in typed:
        if len(spec.actors[a].types or {}) > 2:
            c.add(f"a ladder crisis supports two private types per actor; '{a}' declares "
                  f"{len(spec.actors[a].types or {})}", ("actors", a, "types"))


def _check_doctrine(did: str, doctrine: Any, c: Checker, ladder: LadderSpec | None) -> None:
    rungs = _rung_ids(ladder)
    for i, rule in enumerate(doctrine.rules):
        path: PathT = ("doctrines", did, "rules", i)
        if rule.when is not None:
            c.expr(rule.when, path + ("when",), OBSERVATION_VARIABLES)
        for key, target in (("do", rule.do), ("signal", rule.signal)):
            if target is None or target in DOCTRINE_ACTIONS or target in rungs:
                continue
            c.add(f"'{target}' is neither a rung of the crisis ladder nor one of: {', '.join(DOCTRINE_ACTIONS)}",
                  path + (key,))


def _check_indicators(spec: ScenarioSpec, c: Checker, scales: Mapping[str, ReadinessScaleSpec]) -> None:
    for actor_id, ind in spec.indicators.items():
        base: PathT = ("indicators", actor_id)
        if actor_id not in spec.actors:
            c.add(f"unknown actor '{actor_id}' (known actors: {', '.join(spec.actors)})", base, at_key=True)
            continue
        scale = scales.get(actor_id)
        if scale is None:
            c.add(f"indicators need a readiness scale, but actor '{actor_id}' has no 'readiness'", base)
            continue
        levels = [lvl.id for lvl in scale.levels]

        def check_levels(table: Mapping[str, Any], path: PathT, complete: bool = True) -> None:
            for lvl in table:
                if lvl not in levels:
                    c.add(f"unknown readiness level '{lvl}' (levels of '{scale.id}': {', '.join(levels)})",
                          path + (lvl,), at_key=True)
            if complete:
                for lvl in levels:
                    if lvl not in table:
                        c.add(f"missing readiness level '{lvl}'", path)

        if ind.prior is not None:
            check_levels(ind.prior, base + ("prior",))
            if set(ind.prior) == set(levels):
                c.distribution(ind.prior, base + ("prior",), "prior probabilities")
        if ind.persistence is not None:
            c.probability(ind.persistence, base + ("persistence",))
        for sign_id, sign in ind.signs.items():
            path = base + ("signs", sign_id, "likelihood")
            check_levels(sign.likelihood, path)
            for lvl, src in sign.likelihood.items():
                c.probability(src, path + (lvl,))
        totals: dict[str, float] = {}
        for text, table in ind.declarations.items():
            path = base + ("declarations", text)
            check_levels(table, path)
            for lvl, src in table.items():
                p = c.probability(src, path + (lvl,))
                if p is not None:
                    totals[lvl] = totals.get(lvl, 0.0) + p
        for lvl, total in totals.items():
            if total > 1 + 1e-6:
                c.add(f"declaration probabilities for level '{lvl}' sum to {total:g}, above 1", base + ("declarations",))


def _check_type_prior(spec: ScenarioSpec, c: Checker, scales: Mapping[str, ReadinessScaleSpec]) -> None:
    """``ladder_crisis.type_prior``: a typed actor of the crisis with indicators, looks that name its
    indicators and declarations, and every readiness level mapped to one of its types."""
    lc = spec.ladder_crisis
    if lc is None or lc.type_prior is None:
        return
    tp = lc.type_prior
    base: PathT = ("ladder_crisis", "type_prior")
    actor = spec.actors.get(tp.actor)
    if tp.actor not in lc.actors:
        c.add(f"unknown actor '{tp.actor}' (actors of the ladder crisis: {', '.join(lc.actors)})", base + ("actor",))
        return
    if actor is None or not actor.types:
        c.add(f"actor '{tp.actor}' declares no private types ('actors.{tp.actor}.types'), so there is no type "
              "prior to read from readiness", base + ("actor",))
        return
    ind = spec.indicators.get(tp.actor)
    scale = scales.get(tp.actor)
    if ind is None or scale is None:
        c.add(f"a type prior from readiness needs a readiness scale and an 'indicators' section for "
              f"'{tp.actor}'", base + ("actor",))
        return
    fr = tp.from_readiness
    fbase = base + ("from_readiness",)

    def check_look(look: Any, path: PathT) -> None:
        for sign in look.observe:
            if sign not in ind.signs:
                c.add(f"unknown indicator '{sign}' (indicators of '{tp.actor}': {', '.join(ind.signs) or 'none'})",
                      path + ("observe", sign), at_key=True)
        if look.declared is not None and look.declared not in ind.declarations:
            quoted = ", ".join(f"'{d}'" for d in ind.declarations) or "none"
            c.add(f"unknown declaration '{look.declared}' (declarations of '{tp.actor}': {quoted})",
                  path + ("declared",))

    for i, look in enumerate(fr.sequence):
        check_look(look, fbase + ("sequence", i))
    check_look(fr, fbase)
    levels = [lvl.id for lvl in scale.levels]
    for lvl, typ in fr.map.items():
        if lvl not in levels:
            c.add(f"unknown readiness level '{lvl}' (levels of '{scale.id}': {', '.join(levels)})",
                  fbase + ("map", lvl), at_key=True)
        elif typ not in actor.types:
            c.add(f"unknown type '{typ}' (types of '{tp.actor}': {', '.join(actor.types)})", fbase + ("map", lvl))
    for lvl in levels:
        if lvl not in fr.map:
            c.add(f"missing readiness level '{lvl}': map every level of '{scale.id}' to a type of "
                  f"'{tp.actor}'", fbase + ("map",))


def _check_analysis(spec: ScenarioSpec, c: Checker) -> None:
    """The parameters the report is told to draw must exist, and their scan ranges must fit."""
    a = spec.analysis
    if a is None:
        return
    base: PathT = ("analysis",)
    known = ", ".join(spec.parameters) or "none declared"
    for i, name in enumerate(a.phase_diagram):
        if name not in spec.parameters:
            c.add(f"unknown parameter '{name}' (declared parameters: {known})", base + ("phase_diagram", i))
        elif name in a.phase_diagram[:i]:
            c.add(f"parameter '{name}' is named twice; a phase diagram spans two different parameters",
                  base + ("phase_diagram", i))
    for name, (lo, hi) in a.ranges.items():
        path = base + ("ranges", name)
        if name not in spec.parameters:
            c.add(f"unknown parameter '{name}' (declared parameters: {known})", path, at_key=True)
            continue
        if not lo < hi:
            c.add(f"range lower bound {lo:g} must be below the upper bound {hi:g}", path)
            continue
        own = spec.parameters[name].range
        if own is not None and (lo < own[0] or hi > own[1]):
            c.add(f"scan range [{lo:g}, {hi:g}] leaves the parameter's range [{own[0]:g}, {own[1]:g}]", path)


def _check_prompts(spec: ScenarioSpec, c: Checker) -> None:
    """Personas belong to declared actors and say something."""
    if spec.prompts is None:
        return
    for actor, text in spec.prompts.personas.items():
        path: PathT = ("prompts", "personas", actor)
        if actor not in spec.actors:
            c.add(f"unknown actor '{actor}' (known actors: {', '.join(spec.actors)})", path, at_key=True)
        elif not text.strip():
            c.add(f"the persona of '{actor}' is empty (describe the leader, or leave the actor out)", path)
