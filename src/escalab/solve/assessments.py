"""Sequential rationality of a whole assessment, with every belief that supports it.

The vectorised solver in :mod:`.sequential` fixes off-path beliefs by one rule (uniform trembles),
which is what a sweep over 10^5 points needs, but it misses equilibria that rest on other
beliefs: the pooling equilibria of Beer-Quiche, the (C, c, R) equilibrium of Selten's horse. A
game theorist asks a different question: *which* profiles are sequential equilibria, and on
*which* beliefs. This module answers it for one parameter point, in exact rationals.

For a behaviour profile (pure or mixed) it checks Kreps and Wilson's two conditions:

- **On the path** (an information set reached with positive probability) beliefs are Bayes'
  rule, and every action the profile plays there must be a best reply to them.
- **Off the path** beliefs are limits of Bayes' rule under trembles. Every node of an
  off-path information set is reached by deviations from the profile -- the set D(x) of
  (information set, action) pairs on its path that the profile never plays. Under trembles that
  vanish independently, a node weighs chance(x) times the product of the trembles of D(x). So,
  exactly, and this is what is enforced:

  1. a node that chance never reaches gets belief 0;
  2. a node whose deviation set strictly contains another node's (in the same set) gets belief
     0 (it needs one more mistake);
  3. nodes with the same deviation set keep the ratio of their chance weights (they differ only
     in chance moves, or in actions played with positive probability);
  4. the remaining groups ("keys", one per minimal deviation set) get weights t_K >= 0, not all 0:
     with trembles eps^k(a) w(a) (orders k >= 1, weights w > 0, shared by *all* information
     sets), the keys of least total order carry the belief, in the ratios of prod_{a in K} w(a).

  Information sets with the same keys share t; the profile's actions there must be best replies
  for some admissible t -- linear inequalities, decided exactly by Fourier-Motzkin elimination.
  Sets whose keys share a deviation with another set's (partly overlapping deviation sets) or
  relate among themselves (four keys with t1 t2 = t3 t4) are tied by the shared orders and
  weights; :mod:`.consistency` decides those exactly (orders per support pattern; weights by
  Fourier-Motzkin in log w, whose right-hand sides stay rational products; or a certificate:
  explicit orders and weights found by search and verified in exact rationals). Where none of
  these settles it within budget the verdict is ``sequential`` None with the reason, never a
  guess. Belief ranges are the linear ones, per set, with ``basis`` "exact" where every belief in
  them occurs in a consistent supporting assessment (untied sets always; tied ones when each
  support they allow occurs in a pattern whose ratios are free) and "outer bound" otherwise: they
  contain every consistent supporting belief, but a point of them need not be consistent.

Because conditions 1-3 pin the beliefs a player's own deviation leads to, every profile reported
sequential here is a Nash equilibrium (tests confirm it with pygambit on random games), and with the one-shot
deviation principle (Hendon, Jacobsen and Sloth 1996) a sequential one.

:func:`pure_sequential_equilibria` applies the check to every pure profile within a budget
checked before it starts; :func:`label_refinements` labels any equilibrium (say, pygambit's Nash
equilibria) subgame perfect, sequential, and -- for sender-receiver games -- intuitive in the
sense of Cho and Kreps (1987).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from ..errors import ModelError
from ..model import ExtensiveGame
from .assessment import Equilibrium, outcome_label, path_label
from .consistency import Group, decide, eliminate, row_inequalities, structure

Number = Any                       # Fraction (exact games) or float
MAX_PROFILES = 65_536              # pure profiles enumerated by default (--max-profiles raises it)
MAX_WORK = 50_000_000              # profiles x nodes: the real cost of the enumeration
MAX_KEYS = 12                      # Fourier-Motzkin stays small below this many keys per class
MAX_FILLS = 256                    # completions tried for information sets a Nash profile leaves open
FLOAT_TOL = 1e-9
LIMIT_TOL = 1e-6                   # for profiles computed in floating point (pygambit's logit limit)


# ----------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Constraint:
    """``sum(coefficients[node] * belief(node)) op rhs`` over the nodes of one information set."""

    coefficients: Mapping[str, Number]
    op: str                        # ">=" or "="
    rhs: Number

    def to_dict(self) -> dict[str, Any]:
        return {"coefficients": {n: exact_text(c) for n, c in self.coefficients.items()},
                "op": self.op, "rhs": exact_text(self.rhs)}


@dataclass(frozen=True)
class BeliefRange:
    """The beliefs at one off-path information set that consistency and the profile allow."""

    infoset: str
    actor: str
    nodes: tuple[str, ...]                     # node ids
    names: tuple[str, ...]                     # short names ("weak" for node "weak/quiche")
    constraints: tuple[Constraint, ...]        # besides: beliefs >= 0, summing to 1
    interval: tuple[Number, Number] | None     # for sets with two free groups: the first group's belief
    group: tuple[str, ...] = ()                # the nodes the interval speaks of
    pinned: Mapping[str, Number] | None = None  # consistency fixes every belief
    coupled_with: tuple[str, ...] = ()         # sets sharing this set's trembles
    texts: tuple[str, ...] = ()
    basis: str = "exact"                       # or "outer bound": consistency with other sets cuts it down

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "infoset": self.infoset, "actor": self.actor, "nodes": list(self.nodes),
            "constraints": [c.to_dict() for c in self.constraints], "text": list(self.texts)}
        if self.interval is not None:
            out["interval"] = {"nodes": list(self.group), "lo": exact_text(self.interval[0]),
                               "hi": exact_text(self.interval[1])}
        if self.pinned is not None:
            out["pinned"] = {n: exact_text(v) for n, v in self.pinned.items()}
        if self.coupled_with:
            out["coupled_with"] = list(self.coupled_with)
        out["basis"] = self.basis
        return out


@dataclass(frozen=True)
class Verdict:
    """Whether a profile is sequentially rational for some consistent belief system, and on which.

    ``sequential`` is None where consistency could not be decided within budget (``reason`` says
    why); ``certificate`` holds tremble orders and weights found by search and verified exactly."""

    sequential: bool | None
    reason: str
    beliefs: Mapping[str, Mapping[str, Number] | None]   # on-path beliefs (Bayes); None off the path
    ranges: Mapping[str, BeliefRange]                    # off-path information sets
    local: Mapping[str, bool | None] = field(default_factory=dict)  # per off-path set: some belief supports it
    certificate: Mapping[str, Any] | None = None


def exact_text(x: Any) -> str:
    """A number as JSON-safe text that loses nothing: ``"1/2"`` for a Fraction."""
    if isinstance(x, Fraction):
        return str(x)
    if isinstance(x, int):
        return str(x)
    return repr(float(x))


# ----------------------------------------------------------------------------------- tree data
@dataclass
class _Tree:
    """What of the game the checks need, in the game's own number type."""

    game: ExtensiveGame
    exact: bool
    tol: Any                                      # 0 (an int, so Fractions stay exact) or a float
    parent: dict[int, tuple[int, int]]            # child -> (parent, action index)
    subtree_end: list[int]                        # pre-order: subtree of i is [i, end)
    payoffs: dict[int, tuple[Number, ...]]
    probs: dict[int, tuple[Number, ...]]


def _tree(game: ExtensiveGame, rel_tol: float = FLOAT_TOL) -> _Tree:
    game.require_perfect_recall()
    parent = {ch: (n.index, k) for n in game.nodes for k, ch in enumerate(n.children)}
    end = list(range(1, len(game.nodes) + 1))
    for n in reversed(game.nodes):
        for ch in n.children:
            end[n.index] = max(end[n.index], end[ch])
    pays = {n.index: tuple(n.payoffs) for n in game.nodes if n.kind == "terminal"}
    probs = {n.index: tuple(n.probs) for n in game.nodes if n.kind == "chance"}
    scale = max([1.0] + [abs(float(v)) for p in pays.values() for v in p])
    return _Tree(game, game.exact, 0 if game.exact else rel_tol * scale, parent, end, pays, probs)


Profile = Mapping[int, Sequence[Number]]          # infoset index -> probability per action


def _values(t: _Tree, sigma: Profile) -> list[tuple[Number, ...]]:
    """Expected payoff vector at every node when play follows ``sigma`` from there."""
    g = t.game
    zero = Fraction(0) if t.exact else 0.0
    k = len(g.players)
    val: list[Any] = [None] * len(g.nodes)
    for n in reversed(g.nodes):
        if n.kind == "terminal":
            val[n.index] = t.payoffs[n.index]
            continue
        weights = t.probs[n.index] if n.kind == "chance" else sigma[n.infoset]  # type: ignore[index]
        acc = [zero] * k
        for w, ch in zip(weights, n.children):
            if w:
                v = val[ch]
                for i in range(k):
                    acc[i] += w * v[i]
        val[n.index] = tuple(acc)
    return val


def _weights(t: _Tree, sigma: Profile, root: int = 0, skip_player: int | None = None
             ) -> tuple[dict[int, Number], dict[int, frozenset[tuple[int, int]]]]:
    """Per node of the subtree at ``root``: the weight of its path counting only positive
    probabilities (chance and played actions), and the deviations on it (unplayed actions).

    With ``skip_player`` that player's own actions weigh 1 and are no deviations (for best replies).
    """
    g = t.game
    one = Fraction(1) if t.exact else 1.0
    w: dict[int, Number] = {root: one}
    dev: dict[int, frozenset[tuple[int, int]]] = {root: frozenset()}
    for i in range(root, t.subtree_end[root]):
        n = g.nodes[i]
        if n.kind == "terminal":
            continue
        for a, ch in enumerate(n.children):
            if n.kind == "chance":
                w[ch], dev[ch] = w[i] * t.probs[i][a], dev[i]
            elif n.player == skip_player:
                w[ch], dev[ch] = w[i], dev[i]
            else:
                p = sigma[n.infoset][a]  # type: ignore[index]
                if p > 0:
                    w[ch], dev[ch] = w[i] * p, dev[i]
                else:
                    w[ch], dev[ch] = w[i], dev[i] | {(n.infoset, a)}  # type: ignore[operator]
    return w, dev


# ----------------------------------------------------------------------------------- the check
def check(game: ExtensiveGame, sigma: Profile, *, tree: _Tree | None = None, stop_early: bool = True) -> Verdict:
    """Is ``sigma`` (infoset index -> probabilities per action) part of a sequential equilibrium?"""
    t = tree or _tree(game)
    g = game
    val = _values(t, sigma)
    w, dev = _weights(t, sigma)
    beliefs: dict[str, dict[str, Number] | None] = {}
    classes: dict[frozenset, list[tuple[int, dict[frozenset, int], list[tuple[dict[frozenset, Number], str]]]]] = {}
    reason = ""
    ok = True
    for info in g.infosets:
        pl = info.player
        sup = [a for a, p in enumerate(sigma[info.index]) if p > 0]
        reach = [w[x] if not dev[x] else 0 for x in info.nodes]
        total = sum(reach)
        q = [[val[g.nodes[x].children[a]][pl] for a in range(len(info.actions))] for x in info.nodes]
        if total > 0:
            mu = [r / total for r in reach]
            beliefs[info.label] = {g.nodes[x].id: m for x, m in zip(info.nodes, mu)}
            qa = [sum(m * q[k][a] for k, m in enumerate(mu)) for a in range(len(info.actions))]
            best = max(qa)
            bad = [info.actions[a] for a in sup if qa[a] < best - t.tol]
            if bad:
                ok = False
                reason = reason or (f"at '{info.label}' (on the path) {g.players[pl]} plays {', '.join(bad)} "
                                    f"but {info.actions[qa.index(best)]} pays more")
                if stop_early:
                    break
            continue
        beliefs[info.label] = None
        keys, groups = _keys(info.nodes, w, dev)
        rows = []
        for a_star in sup:
            for a in range(len(info.actions)):
                if a == a_star:
                    continue
                coef: dict[frozenset, Number] = {}
                for k, x in enumerate(info.nodes):
                    key = groups.get(x)
                    if key is None:
                        continue
                    coef[key] = coef.get(key, 0) + w[x] * (q[k][a_star] - q[k][a])
                rows.append((coef, "=" if a in sup else ">="))
        classes.setdefault(frozenset(keys), []).append((info.index, keys, rows))
    local: dict[str, bool | None] = {}
    ranges: dict[str, BeliefRange] = {}
    certificate = None
    if ok or not stop_early:
        parts = [(sorted(keyset, key=lambda k: sorted(k)), members) for keyset, members in classes.items()]
        groups = [Group(tuple(order), tuple(r for _, _, rs in members for r in rs),
                        tuple(g.infosets[j].label for j, _, _ in members)) for order, members in parts]
        relaxed = [_feasible(order, list(grp.rows), t.tol) for (order, _), grp in zip(parts, groups)]
        for (order, members), grp in zip(parts, groups):
            for j, _, own in members:
                local[g.infosets[j].label] = _locally_consistent(grp.keys, own, t)
        _, exact_ranges = structure(groups)
        coupled: Mapping[int, tuple[int, ...]] = {}
        bad = [i for i, f in enumerate(relaxed) if not f]
        if bad:
            ok = False
            reason = reason or (f"no consistent belief at {', '.join(repr(s) for s in groups[bad[0]].labels)} "
                                "makes the profile's choices there best replies")
        elif ok:
            decision = decide(groups, exact=t.exact, tol=t.tol)
            exact_ranges, coupled, certificate = decision.exact, decision.coupled, _named(g, decision.certificate)
            if decision.status != "proven":
                ok = False if decision.status == "refuted" else None
                reason = reason or decision.reason
        if ok is not False or not stop_early:
            for i, (order, members) in enumerate(parts):
                tied = [lab for m in coupled.get(i, ()) for lab in groups[m].labels]
                for j, _, _ in members:
                    ranges[g.infosets[j].label] = _describe(
                        t, j, w, dev, order, list(groups[i].rows),
                        [g.infosets[m].label for m, _, _ in members if m != j] + tied,
                        "exact" if i in exact_ranges else "outer bound", tied)
    return Verdict(ok, reason, beliefs, ranges, local, certificate)


def _named(game: ExtensiveGame, cert: Mapping[str, Any] | None) -> dict[str, dict[str, Any]] | None:
    """A certificate's tremble orders and weights keyed "infoset:action" instead of by indices."""
    if cert is None:
        return None

    def name(a: tuple[Any, int]) -> str:
        return f"{game.infosets[a[0]].label}:{game.infosets[a[0]].actions[a[1]]}" if a[0] != "node" else str(a)
    return {part: {name(a): v for a, v in cert[part].items()} for part in ("orders", "weights")}


def _locally_consistent(keys: Sequence[frozenset], rows: Sequence[tuple[Mapping[frozenset, Number], str]],
                        t: _Tree) -> bool | None:
    """Some consistent belief at this set alone (other sets ignored) makes its choice a best reply."""
    if not _feasible(keys, rows, t.tol):
        return False
    got = decide([Group(tuple(keys), tuple(rows))], exact=t.exact, tol=t.tol).status
    return None if got == "undecided" else got == "proven"


def _keys(nodes: Sequence[int], w: Mapping[int, Number], dev: Mapping[int, frozenset]
          ) -> tuple[list[frozenset], dict[int, frozenset]]:
    """The minimal deviation sets among a set's chance-reachable nodes, and each live node's key."""
    live = [x for x in nodes if w[x] > 0]
    if not live:   # chance never reaches the set: no tremble reaches it either; any belief will do
        return [frozenset({("node", x)}) for x in nodes], {x: frozenset({("node", x)}) for x in nodes}
    minimal = [x for x in live if not any(dev[y] < dev[x] for y in live)]
    keys: list[frozenset] = []
    for x in minimal:
        if dev[x] not in keys:
            keys.append(dev[x])
    return keys, {x: dev[x] for x in minimal}


def _feasible(order: Sequence[frozenset], rows: Sequence[tuple[Mapping[frozenset, Number], str]],
              tol: float) -> bool:
    """Is there t >= 0, sum t = 1, with every row's sum(coef * t) >= 0 (or = 0)?"""
    n = len(order)
    if n > MAX_KEYS:
        raise ModelError(f"an off-path information set has {n} groups of nodes with different deviations; "
                         f"deciding its beliefs exactly is limited to {MAX_KEYS}")
    ineqs = row_inequalities(rows, order, 0)
    # eliminate the last variable with sum t = 1 (t_last = 1 - sum of the others)
    reduced = []
    for a, b in ineqs:
        last = a[-1]
        reduced.append(([a[j] - last for j in range(n - 1)], b - last))
    stages = eliminate(reduced, n - 1, tol, budget=None)     # MAX_KEYS bounds it
    assert stages is not None
    return all(b <= tol for _, b in stages[0])


def _short_names(game: ExtensiveGame, nodes: Sequence[int]) -> list[str]:
    """What tells a set's nodes apart: the steps of their histories they do not all share."""
    hists = [game.nodes[x].history for x in nodes]
    common = set(hists[0]).intersection(*map(set, hists[1:])) if len(hists) > 1 else set(hists[0])
    out = []
    for h in hists:
        rest = [s for s in h if s not in common]
        out.append("/".join(rest) or "/".join(h) or "root")
    return out


def _describe(t: _Tree, j: int, w: Mapping[int, Number], dev: Mapping[int, frozenset],
              order: Sequence[frozenset], rows: Sequence[tuple[Mapping[frozenset, Number], str]],
              coupled: Sequence[str], basis: str = "exact", tied: Sequence[str] = ()) -> BeliefRange:
    """The admissible beliefs at information set ``j`` as constraints on its nodes' beliefs: exactly
    the consistent supporting ones (``basis`` "exact"), or a superset of them ("outer bound") where
    shared trembles tie this set's beliefs to other sets' (``tied``) or relate its own groups."""
    g = t.game
    info = g.infosets[j]
    ids = [g.nodes[x].id for x in info.nodes]
    names = _short_names(g, info.nodes)
    name_of = dict(zip(ids, names))
    keys, groups = _keys(info.nodes, w, dev)
    weight = {k: sum((w[x] for x in info.nodes if groups.get(x) == k), 0) for k in keys}
    if any(isinstance(k, tuple) for key in keys for k in key if k and k[0] == "node"):
        weight = {k: 1 for k in keys}
    members = {k: [x for x in info.nodes if groups.get(x) == k] for k in keys}
    constraints: list[Constraint] = []
    texts: list[str] = []
    zero_nodes = [x for x in info.nodes if x not in groups]
    for x in zero_nodes:
        constraints.append(Constraint({g.nodes[x].id: 1}, "=", 0))
    for k in keys:
        xs = members[k]
        for a, b in zip(xs, xs[1:]):     # belief(a) * w(b) = belief(b) * w(a)
            constraints.append(Constraint({g.nodes[a].id: w[b], g.nodes[b].id: -w[a]}, "=", 0))
    # rows are in t; t_K is proportional to beta_K / W_K, and beta_K is the sum of its nodes' beliefs
    present = [k for k in order if k in weight]
    for coef, op in rows:
        c = {}
        for k in present:
            v = coef.get(k, 0)
            if v:
                for x in members[k]:
                    c[g.nodes[x].id] = v / weight[k]
        if c:
            constraints.append(Constraint(c, op, 0))
    if zero_nodes:
        texts.append("belief 0 (consistency: reached only by more deviations): "
                     + ", ".join(f"{name_of[g.nodes[x].id]}|{info.label}" for x in zero_nodes))
    pinned = None
    interval = None
    group: tuple[str, ...] = ()
    if len(info.nodes) == 1:
        pinned = {ids[0]: 1 if t.exact else 1.0}
    elif len(present) == 1:
        k = present[0]
        pinned = {g.nodes[x].id: (w[x] / weight[k] if x in members[k] else 0) for x in info.nodes}
        texts.append("beliefs pinned by consistency: " + ", ".join(
            f"belief {name_of[i]}|{info.label} = {_num(v)}" for i, v in pinned.items()))
    elif len(present) == 2:
        k1, k2 = present
        lo, hi = (Fraction(0), Fraction(1)) if t.exact else (0.0, 1.0)
        feasible = True
        for coef, op in rows:
            a1 = coef.get(k1, 0) / weight[k1]
            a2 = coef.get(k2, 0) / weight[k2]
            # a1 b + a2 (1 - b) >= 0  <=>  (a1 - a2) b >= -a2
            d = a1 - a2
            if abs(d) <= t.tol:
                if -a2 > t.tol or (op == "=" and abs(a2) > t.tol):
                    feasible = False
                continue
            bound = -a2 / d
            if op == "=":
                lo, hi = max(lo, bound), min(hi, bound)
            elif d > 0:
                lo = max(lo, bound)
            else:
                hi = min(hi, bound)
        group = tuple(g.nodes[x].id for x in members[k1])
        label = "+".join(name_of[i] for i in group)
        if feasible and lo <= hi + t.tol:
            interval = (lo, hi)
            if lo <= t.tol and hi >= 1 - t.tol:
                texts.append(f"any belief {label}|{info.label}")
            elif abs(hi - lo) <= t.tol:
                texts.append(f"belief {label}|{info.label} = {_num(lo)}")
            elif lo <= t.tol:
                texts.append(f"belief {label}|{info.label} <= {_num(hi)}")
            elif hi >= 1 - t.tol:
                texts.append(f"belief {label}|{info.label} >= {_num(lo)}")
            else:
                texts.append(f"{_num(lo)} <= belief {label}|{info.label} <= {_num(hi)}")
        else:
            texts.append(f"no belief {label}|{info.label} supports the choice here")
    else:
        for cst in constraints:
            if cst.op == ">=" and len(cst.coefficients) > 1:
                terms = " + ".join(f"{_num(v)}·belief {name_of[n]}" for n, v in cst.coefficients.items())
                texts.append(f"{terms} >= 0 (at {info.label})")
        if not texts:
            texts.append(f"any belief at {info.label}")
    if basis != "exact" and pinned is None:
        ties = f"to those at {', '.join(repr(s) for s in tied)}" if tied else "among its groups of nodes"
        texts.append(f"outer bound: the same trembles tie these beliefs {ties}; every consistent supporting "
                     "belief lies in this range, but a belief in it need not be consistent with the rest")
    elif tied and pinned is None:
        texts.append(f"each belief in this range is consistent with some beliefs at {', '.join(repr(s) for s in tied)} "
                     "(the same trembles tie them), not necessarily with every one")
    return BeliefRange(info.label, g.players[info.player], tuple(ids), tuple(names), tuple(constraints),
                       interval, group, pinned, tuple(coupled), tuple(texts), basis if pinned is None else "exact")


def _num(v: Any) -> str:
    if isinstance(v, Fraction):
        return str(v)
    return f"{float(v):.6g}"


def support_point(game: ExtensiveGame, eq: Equilibrium, near: Mapping[int, Number]
                  ) -> tuple[dict[int, Number], dict[int, list[Number]]]:
    """One belief per node of each off-path set whose range is an interval or pinned, chosen as
    close as the range allows to ``near`` (node index -> belief, e.g. the uniform-tremble one), and
    the mover's value of each action there: what an explanation of the equilibrium should show."""
    t = _tree(game)
    sigma, _ = profile_of(game, eq)
    val = _values(t, sigma)
    by_label = {i.label: i for i in game.infosets}
    ids = {n.id: n.index for n in game.nodes}
    beliefs: dict[int, Number] = {}
    qvals: dict[int, list[Number]] = {}
    for r in eq.belief_ranges:
        info = by_label[r.infoset]
        if len(info.nodes) < 2 or r.basis != "exact":   # an outer bound's point need not be consistent
            continue
        if r.pinned is not None:
            point = {ids[n]: v for n, v in r.pinned.items()}
        elif r.interval is not None:
            lo, hi = r.interval
            first = [ids[n] for n in r.group]
            target = min(max(sum((near.get(x, 0) for x in first), 0), lo), hi)
            # within a group beliefs keep their chance ratio; the groups share target and 1 - target
            w = {x: _chance_weight(t, x) for x in info.nodes}
            second = [x for x in info.nodes if x not in first and not _zero(r, game.nodes[x].id)]
            point = {x: 0 for x in info.nodes}
            for group, mass in ((first, target), (second, 1 - target)):
                total = sum((w[x] for x in group), 0)
                for x in group:
                    point[x] = mass * w[x] / total if total else mass / len(group)
        else:
            continue
        beliefs.update(point)
        qvals[info.index] = [sum((point[x] * val[game.nodes[x].children[a]][info.player] for x in info.nodes), 0)
                             for a in range(len(info.actions))]
    return beliefs, qvals


def _chance_weight(t: _Tree, x: int) -> Number:
    w = Fraction(1) if t.exact else 1.0
    while x in t.parent:
        p, a = t.parent[x]
        if t.game.nodes[p].kind == "chance":
            w *= t.probs[p][a]
        x = p
    return w


def _zero(r: BeliefRange, node_id: str) -> bool:
    return any(c.op == "=" and c.rhs == 0 and list(c.coefficients) == [node_id] for c in r.constraints)


# ----------------------------------------------------------------------------------- enumeration
def profile_count(game: ExtensiveGame) -> int:
    total = 1
    for info in game.infosets:
        total *= len(info.actions)
    return total


def check_budget(game: ExtensiveGame, max_profiles: int | None = None) -> int:
    """Refuse before starting when the enumeration would exceed its budget."""
    limit = MAX_PROFILES if max_profiles is None else max_profiles
    total = profile_count(game)
    if total > limit:
        shown = f"{total:,}" if total < 10**15 else f"about 10^{len(str(total)) - 1}"   # not 400 digits
        hint = f"raise it with --max-profiles {total}, or " if total < 10**15 else ""
        raise ModelError(f"'{game.scenario.id}' has {shown} pure behaviour profiles; enumerating every "
                         f"sequential equilibrium is limited to {limit:,} ({hint}use --method nash or qre)")
    if total * len(game.nodes) > MAX_WORK * max(1, limit // MAX_PROFILES):
        raise ModelError(f"'{game.scenario.id}': {total:,} profiles x {len(game.nodes):,} nodes is more work than "
                         f"the enumeration's budget ({MAX_WORK:,}); raise --max-profiles to allow more")
    return total


def pure_sequential_equilibria(game: ExtensiveGame, *, max_profiles: int | None = None,
                               progress: Callable[[int, int], None] | None = None) -> list[Equilibrium]:
    """Every pure profile that is sequentially rational for some consistent belief system, and those
    whose consistency could not be decided within budget (their check says ``sequential`` None)."""
    total = check_budget(game, max_profiles)
    t = _tree(game)
    one, zero = (Fraction(1), Fraction(0)) if t.exact else (1.0, 0.0)
    sizes = [len(i.actions) for i in game.infosets]
    out = []
    for n, combo in enumerate(itertools.product(*[range(s) for s in sizes])):
        if progress and n % 4096 == 0:
            progress(n, total)
        sigma = {j: tuple(one if a == c else zero for a in range(sizes[j])) for j, c in enumerate(combo)}
        v = check(game, sigma, tree=t)
        if v.sequential is not False:      # None: consistency undecided, listed and labelled so
            out.append(_equilibrium(t, sigma, v, "pure-sequential"))
    if progress:
        progress(total, total)
    return out


def _equilibrium(t: _Tree, sigma: Profile, v: Verdict, method: str, extra: Mapping[str, Any] | None = None
                 ) -> Equilibrium:
    g = t.game
    val = _values(t, sigma)
    w, dev = _weights(t, sigma)
    reached = {n.index: w[n.index] for n in g.nodes if n.kind == "terminal" and not dev[n.index] and w[n.index] > 0}
    behaviour = {i.label: dict(zip(i.actions, sigma[i.index])) for i in g.infosets}
    return Equilibrium(method=method, behaviour=behaviour, beliefs=dict(v.beliefs),
                       payoffs=dict(zip(g.players, val[0])),
                       outcomes={g.nodes[i].id: p for i, p in reached.items()},
                       label=outcome_label(g, reached, mixed=any(0 < p < 1 for s in sigma.values() for p in s)),
                       path=path_label(g, reached), extra=dict(extra or {}),
                       belief_ranges=tuple(v.ranges.values()))


# ----------------------------------------------------------------------------------- refinements
def profile_of(game: ExtensiveGame, eq: Equilibrium) -> tuple[dict[int, tuple[Number, ...]], list[int]]:
    """An equilibrium's behaviour by infoset index, and the sets it leaves open (all zero: a reduced
    strategic form says nothing where the player's own earlier move rules the set out)."""
    exact = game.exact
    sigma: dict[int, tuple[Number, ...]] = {}
    open_sets = []
    for info in game.infosets:
        acts = eq.behaviour[info.label]
        probs = tuple(_coerce(acts[a], exact) for a in info.actions)
        if sum(probs) == 0:
            open_sets.append(info.index)
        sigma[info.index] = probs
    return sigma, open_sets


def _coerce(x: Any, exact: bool) -> Number:
    if exact:
        return x if isinstance(x, Fraction) else Fraction(x).limit_denominator(10**12)
    return float(x)


def _fills(game: ExtensiveGame, sigma: Mapping[int, tuple[Number, ...]], open_sets: Sequence[int]):
    one, zero = (Fraction(1), Fraction(0)) if game.exact else (1.0, 0.0)
    sizes = [len(game.infosets[j].actions) for j in open_sets]
    for n, combo in enumerate(itertools.product(*[range(s) for s in sizes])):
        if n >= MAX_FILLS:
            return
        filled = dict(sigma)
        for j, c in zip(open_sets, combo):
            filled[j] = tuple(one if a == c else zero for a in range(len(game.infosets[j].actions)))
        yield filled


def subgame_roots(game: ExtensiveGame) -> list[int]:
    """Nodes that start a proper subgame (or the whole game): no information set straddles them."""
    t = _tree(game)
    roots = []
    for n in game.nodes:
        if n.kind == "terminal":
            continue
        if n.kind == "decision" and len(game.infosets[n.infoset].nodes) > 1:  # type: ignore[index]
            continue
        lo, hi = n.index, t.subtree_end[n.index]
        inside = all(all(lo <= y < hi for y in game.infosets[game.nodes[x].infoset].nodes)  # type: ignore[index]
                     for x in range(lo, hi) if game.nodes[x].kind == "decision")
        if inside:
            roots.append(n.index)
    return roots


def _best_reply_gain(t: _Tree, sigma: Profile, val: Sequence[tuple[Number, ...]], root: int, player: int) -> Number:
    """How much ``player`` gains in the subgame at ``root`` by a best reply to the others' ``sigma``."""
    g = t.game
    w, _ = _weights(t, sigma, root, skip_player=player)
    choice: dict[int, int] = {}
    memo: dict[int, Number] = {}

    def in_w(j: int) -> list[int]:
        return [y for y in g.infosets[j].nodes if y in w]

    def needs(x: int) -> list[int]:
        n = g.nodes[x]
        if n.kind == "terminal":
            return []
        if n.kind == "chance":
            return [ch for p, ch in zip(t.probs[x], n.children) if p]
        if n.player != player:
            return [ch for p, ch in zip(sigma[n.infoset], n.children) if p]  # type: ignore[index]
        j = n.infoset
        if j in choice:
            return [n.children[choice[j]]]
        return [g.nodes[y].children[a] for y in in_w(j) for a in range(len(g.infosets[j].actions))] \
            + list(n.children)  # type: ignore[index]

    def compute(x: int) -> Number:
        n = g.nodes[x]
        if n.kind == "terminal":
            return t.payoffs[x][player]
        if n.kind == "chance":
            return sum((p * memo[ch] for p, ch in zip(t.probs[x], n.children) if p), 0)
        if n.player != player:
            return sum((p * memo[ch] for p, ch in zip(sigma[n.infoset], n.children) if p), 0)  # type: ignore[index]
        return memo[n.children[pick(n.infoset)]]  # type: ignore[arg-type]

    def u(x: int) -> Number:
        # demand-driven with an explicit stack, not recursion: a chain of hundreds of moves is valid input
        stack = [x]
        while stack:
            y = stack[-1]
            if y in memo:
                stack.pop()
                continue
            missing = [d for d in needs(y) if d not in memo]
            if missing:
                stack.extend(missing)
                continue
            memo[y] = compute(y)
            stack.pop()
        return memo[x]

    def pick(j: int) -> int:
        if j not in choice:
            info = g.infosets[j]
            nodes = in_w(j)
            scores = [sum((w[y] * memo[g.nodes[y].children[a]] for y in nodes), 0) for a in range(len(info.actions))]
            best = max(scores)
            played = [a for a, p in enumerate(sigma[j]) if p > 0]
            choice[j] = next((a for a in played if scores[a] >= best - t.tol), scores.index(best))
        return choice[j]

    return u(root) - val[root][player]


def is_subgame_perfect(game: ExtensiveGame, sigma: Profile, tree: _Tree | None = None) -> bool:
    t = tree or _tree(game)
    val = _values(t, sigma)
    for r in subgame_roots(game):
        for p in range(len(game.players)):
            if _best_reply_gain(t, sigma, val, r, p) > t.tol:
                return False
    return True


def is_nash(game: ExtensiveGame, sigma: Profile) -> bool:
    t = _tree(game)
    val = _values(t, sigma)
    return all(_best_reply_gain(t, sigma, val, 0, p) <= t.tol for p in range(len(game.players)))


# ----------------------------------------------------------------------------------- intuitive criterion
@dataclass(frozen=True)
class SignalGame:
    """A sender-receiver game: nature draws a type, the sender (knowing it) sends a message, the
    receiver (seeing only the message) responds, and the game ends."""

    sender: int
    receiver: int
    types: tuple[int, ...]                         # the sender's node per type
    messages: tuple[str, ...]
    response_sets: Mapping[str, int]               # message -> receiver's infoset index
    prior: tuple[Number, ...]


def signal_game(game: ExtensiveGame) -> SignalGame | None:
    g = game
    root = g.root
    if root.kind != "chance" or len(root.children) < 2:
        return None
    senders = [g.nodes[c] for c in root.children]
    if any(s.kind != "decision" or len(g.infosets[s.infoset].nodes) != 1 for s in senders):  # type: ignore[index]
        return None
    if len({s.player for s in senders}) != 1 or len({s.actions for s in senders}) != 1:
        return None
    sender = senders[0].player
    messages = senders[0].actions
    sets: dict[str, int] = {}
    receiver = None
    for s in senders:
        for m, ch in zip(s.actions, s.children):
            r = g.nodes[ch]
            if r.kind != "decision" or r.player == sender or any(g.nodes[c].kind != "terminal" for c in r.children):
                return None
            if receiver is None:
                receiver = r.player
            if r.player != receiver or sets.setdefault(m, r.infoset) != r.infoset:  # type: ignore[arg-type]
                return None
    if len(set(sets.values())) != len(messages):
        return None
    for m, j in sets.items():
        if len(g.infosets[j].nodes) != len(senders):
            return None
    assert sender is not None and receiver is not None
    return SignalGame(sender, receiver, tuple(s.index for s in senders), messages, sets, tuple(root.probs))


def passes_intuitive_criterion(game: ExtensiveGame, sigma: Profile, sg: SignalGame, tol: float = 0.0) -> bool:
    """Cho and Kreps (1987): no off-path message that some type would gain by, once receivers
    rule out the types for which it is equilibrium-dominated."""
    g = game
    t = _tree(game)
    val = _values(t, sigma)
    s, r = sg.sender, sg.receiver
    u_star = [val[x][s] for x in sg.types]
    for k, m in enumerate(sg.messages):
        if any(sigma[g.nodes[x].infoset][k] > 0 for x in sg.types):   # type: ignore[index]
            continue
        j = sg.response_sets[m]
        info = g.infosets[j]
        node_of = {}
        for ti, x in enumerate(sg.types):
            node_of[ti] = g.nodes[x].children[k]
        # u_S(type, m, response) and u_R(type, m, response)
        us = [[t.payoffs[g.nodes[node_of[ti]].children[a]][s] for a in range(len(info.actions))]
              for ti in range(len(sg.types))]
        ur = [[t.payoffs[g.nodes[node_of[ti]].children[a]][r] for a in range(len(info.actions))]
              for ti in range(len(sg.types))]
        everyone = list(range(len(sg.types)))
        br_all = _best_responses(ur, everyone, tol)
        alive = [ti for ti in everyone if u_star[ti] <= max(us[ti][a] for a in br_all) + tol]
        if not alive:
            continue
        br_alive = _best_responses(ur, alive, tol)
        for ti in everyone:
            if u_star[ti] < min(us[ti][a] for a in br_alive) - tol:
                return False
    return True


def _best_responses(ur: Sequence[Sequence[Number]], types: Sequence[int], tol: float) -> list[int]:
    """Receiver actions that are a best reply to some belief over ``types``."""
    n_act = len(ur[0])
    out = []
    for a in range(n_act):
        # exists belief p over types with sum_t p_t (ur[t][a] - ur[t][b]) >= 0 for every b
        rows = []
        for b in range(n_act):
            if b != a:
                rows.append(({("t", ti): ur[ti][a] - ur[ti][b] for ti in types}, ">="))
        keys = [frozenset({("t", ti)}) for ti in types]
        rows2 = [({frozenset({k}): v for k, v in coef.items()}, op) for coef, op in rows]
        if _feasible(keys, rows2, tol):
            out.append(a)
    return out


def label_refinements(game: ExtensiveGame, eq: Equilibrium) -> Equilibrium:
    """``eq`` with ``refinements`` (subgame perfect, sequential, intuitive) and, if it is
    sequential, its beliefs and belief ranges."""
    rel_tol = FLOAT_TOL
    if any(isinstance(p, float) for acts in eq.behaviour.values() for p in acts.values()):
        # a floating-point profile (a logit limit, accurate to about 1e-7) is judged with tolerance
        game = game.scenario.compile("sequential") if game.exact else game
        rel_tol = LIMIT_TOL
    sigma, open_sets = profile_of(game, eq)
    t = _tree(game, rel_tol)
    sg = signal_game(game)
    spe = False
    seq: bool | None = False
    intuitive: bool | None = None
    verdict: Verdict | None = None
    for filled in _fills(game, sigma, open_sets):
        if not spe:
            spe = is_subgame_perfect(game, filled, t)
        if not seq:
            v = check(game, filled, tree=t)
            if v.sequential:
                seq, verdict = True, v
            elif v.sequential is None and verdict is None:
                seq, verdict = None, v          # undecided: kept unless another completion proves it
        if spe and seq:
            break
    if sg is not None:
        intuitive = passes_intuitive_criterion(game, sigma, sg, t.tol) if not open_sets else None
    refinements: dict[str, Any] = {"subgame_perfect": spe, "sequential": seq, "intuitive": intuitive}
    if seq is None and verdict is not None:
        refinements["sequential_basis"] = f"undecided: {verdict.reason}"
    changes: dict[str, Any] = {"refinements": refinements}
    if verdict is not None:
        changes["belief_ranges"] = tuple(verdict.ranges.values())
        changes["beliefs"] = {k: (v if v is not None else eq.beliefs.get(k)) for k, v in verdict.beliefs.items()}
    return replace(eq, **changes)


def rank(equilibria: Sequence[Equilibrium], prefer: Mapping[str, str] | None = None) -> list[Equilibrium]:
    """Sequential first, then those passing the intuitive criterion; among equals the one whose
    choices are ``prefer`` (the vectorised solver's, so the sweeps and the headline agree), then
    the order given."""
    def key(e: Equilibrium) -> tuple[int, int, int]:
        r = e.refinements or {}
        same = prefer is not None and all(e.choice(k) == v for k, v in prefer.items())
        return (0 if r.get("sequential") else 1, {True: 0, None: 1, False: 2}[r.get("intuitive")], 0 if same else 1)
    return sorted(equilibria, key=key)


def _vectorised_choices(game: ExtensiveGame) -> dict[str, str] | None:
    from ..errors import EscalabError
    from .sequential import solve_sequential
    try:
        sol = solve_sequential(game)
    except EscalabError:
        return None
    if not bool(sol.converged[0]):
        return None
    return {i.label: i.actions[int(sol.choice[i.index][0])] for i in game.infosets}


def sequential_equilibria(game: ExtensiveGame, *, max_profiles: int | None = None,
                          progress: Callable[[int, int], None] | None = None) -> tuple[list[Equilibrium], str]:
    """Every pure sequential equilibrium, labelled and ranked; where there is none, the limit of
    the logit QRE (a sequential equilibrium for generic games), labelled as such."""
    pure = [label_refinements(game, e) for e in pure_sequential_equilibria(game, max_profiles=max_profiles,
                                                                           progress=progress)]
    if pure:
        open_ = sum(1 for e in pure if e.refinements and e.refinements.get("sequential") is None)
        note = "every pure-strategy sequential equilibrium (exact enumeration)"
        if open_:
            note += (f"; {open_} more pure profile{'s' if open_ > 1 else ''} whose consistency could not be decided "
                     "(labelled sequential: undecided) -- not claimed sequential")
        return rank(pure, _vectorised_choices(game)), note
    from .gambit_bridge import limit_outcome
    eq = replace(limit_outcome(game), method="logit-limit")
    return [label_refinements(game, eq)], ("no pure-strategy sequential equilibrium exists; the limit of the logit QRE "
                        "(a sequential equilibrium for generic games, in floating point)")


__all__ = ["BeliefRange", "Constraint", "SignalGame", "Verdict", "check", "check_budget", "exact_text", "is_nash",
           "is_subgame_perfect", "label_refinements", "passes_intuitive_criterion", "profile_count",
           "pure_sequential_equilibria", "rank", "sequential_equilibria", "signal_game", "subgame_roots"]
