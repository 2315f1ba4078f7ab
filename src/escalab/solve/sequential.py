"""Backward induction with beliefs, vectorised over parameter points.

A sweep asks the same question of a game at 10^5 parameter points; rebuilding the game for a general
solver at each point costs milliseconds, while the tree itself never changes. So we solve every point
at once: payoffs and probabilities are NumPy arrays (one entry per point) and each step of backward
induction is an array operation.

For games with incomplete information the method is guess-and-verify of a pure *sequential
equilibrium* (Kreps and Wilson): beliefs start from the priors (the chance probabilities), every
information set picks the best reply given those beliefs and the continuation below it, then beliefs
are recomputed from that profile and the passes repeat until the profile stops changing. Beliefs come
from uniform trembles -- each node weighted by its chance probability times eps^(number of player
moves on its path that the profile does not take) -- which is Bayes' rule wherever the profile
reaches and a consistent limit everywhere else. A point where the profile is stable is therefore a
sequential equilibrium; a point where it cycles (only mixed equilibria, typically) is flagged as not
converged and the sweep hands it to pygambit.

The same code runs on object arrays of Fractions, which is how exact thresholds are computed.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ModelError
from ..model import ExtensiveGame
from .assessment import Equilibrium, node_parent, node_steps, outcome_label, path_label
from .distinct import distinct

FLOAT_TIE = 1e-9


@dataclass
class Structure:
    """What of the tree does not depend on parameters, computed once per game."""

    order: list[int]                  # information sets, deepest first
    decision_nodes: list[int]
    applies: bool                     # each infoset's nodes differ only in chance moves
    reason: str


_STRUCTURES: "weakref.WeakKeyDictionary[ExtensiveGame, Structure]" = weakref.WeakKeyDictionary()


def structure(game: ExtensiveGame) -> Structure:
    cached = _STRUCTURES.get(game)
    if cached is not None:
        return cached
    game.require_perfect_recall()
    parent = node_parent(game)
    # ancestors' infosets of every decision node -> an infoset must be solved before those above it
    above: dict[int, set[int]] = {i.index: set() for i in game.infosets}
    for n in game.nodes:
        if n.kind != "decision":
            continue
        p = parent.get(n.index)
        while p is not None:
            anc = game.nodes[p]
            if anc.kind == "decision":
                assert anc.infoset is not None and n.infoset is not None
                if anc.infoset == n.infoset:
                    raise ModelError(f"information set '{game.infosets[n.infoset].label}' contains a node "
                                     "and one of its descendants; backward induction cannot order it")
                above[n.infoset].add(anc.infoset)
            p = parent.get(p)
    # topological order: an infoset comes after every infoset that lies below it
    below_count = {i: 0 for i in above}
    for j, ups in above.items():
        for i in ups:
            below_count[i] += 1
    ready = [i for i, c in below_count.items() if c == 0]
    order: list[int] = []
    while ready:
        j = ready.pop()
        order.append(j)
        for i in above[j]:
            below_count[i] -= 1
            if below_count[i] == 0:
                ready.append(i)
    if len(order) != len(game.infosets):
        raise ModelError("the information sets cannot be ordered from the leaves up (the game lacks perfect recall)")
    applies, reason = True, ""
    for info in game.infosets:
        keys = {tuple(a for p, a in node_steps(game, n) if game.nodes[p].kind == "decision")
                for n in info.nodes}
        if len(keys) > 1:
            applies = False
            reason = (f"the nodes of information set '{info.label}' are reached by different player moves, "
                      "not only by different chance moves")
            break
    s = Structure(order, [n.index for n in game.nodes if n.kind == "decision"], applies, reason)
    _STRUCTURES[game] = s
    return s


@dataclass
class SequentialSolution:
    """Per point: the choice at every information set, beliefs, values, what the play reaches."""

    game: ExtensiveGame
    size: int
    exact: bool
    choice: dict[int, np.ndarray]          # infoset index -> action index per point
    ties: dict[int, np.ndarray]            # infoset index -> bool per point: more than one best action
    beliefs: dict[int, np.ndarray]         # node index -> belief at its infoset per point
    action_values: dict[int, list[np.ndarray]]  # infoset index -> per action: expected payoff to the mover
    payoffs: tuple[np.ndarray, ...]        # expected payoff per player at the root
    reach: dict[int, np.ndarray]           # terminal index -> probability of reaching it
    converged: np.ndarray
    iterations: int
    tol: np.ndarray | None = None          # per point: the tie tolerance the choices were made with

    def __post_init__(self) -> None:
        # the passes keep what is constant over the points as one entry (see _arrays); readers get
        # one entry per point, as read-only views
        def full(a: np.ndarray) -> np.ndarray:
            return a if np.shape(a) == (self.size,) else np.broadcast_to(a, (self.size,))
        for d in (self.choice, self.ties, self.beliefs, self.reach):
            for k, v in d.items():
                d[k] = full(v)
        for j, qs in self.action_values.items():
            self.action_values[j] = [full(q) for q in qs]
        self.payoffs = tuple(full(v) for v in self.payoffs)

    # ------------------------------------------------------------------ labels
    def outcome_codes(self) -> tuple[np.ndarray, list[dict[int, Any]]]:
        """An integer per point naming the set of reached terminals, and each code's reach map."""
        terms = sorted(self.reach)
        if not terms:
            return np.zeros(self.size, dtype=np.int64), [{}]
        reached = [np.asarray(self.reach[t], dtype=float) > 1e-12 for t in terms]
        if len(terms) <= 62:
            raw = np.zeros(self.size, dtype=np.int64)      # bit k: terminal k is reached
            for k, r in enumerate(reached):
                raw += r * np.int64(1 << k)
            uniq, _, inverse = distinct(raw)
            rows = [[terms[k] for k in range(len(terms)) if (int(u) >> k) & 1] for u in uniq]
        else:
            mat = np.stack(reached)
            uniq_cols, inverse = np.unique(mat, axis=1, return_inverse=True)
            rows = [[terms[k] for k in range(len(terms)) if uniq_cols[k, c]] for c in range(uniq_cols.shape[1])]
        maps = []
        for r in rows:
            maps.append({t: 1 for t in r})
        return inverse.reshape(-1), maps

    def labels(self) -> tuple[np.ndarray, list[str], list[str]]:
        """Per point an index into the outcome labels (and the matching path labels).

        Sets of reached terminals that read the same (e.g. a type drawn with probability zero) share
        one label, so a phase diagram shows regions of behaviour, not of bookkeeping.
        """
        codes, maps = self.outcome_codes()
        outcome_names: list[str] = []
        paths: list[str] = []
        remap = np.zeros(len(maps), dtype=np.int64)
        for k, m in enumerate(maps):
            name, path = outcome_label(self.game, m), path_label(self.game, m)
            key = (name, path)
            for j, existing in enumerate(zip(outcome_names, paths)):
                if existing == key:
                    remap[k] = j
                    break
            else:
                remap[k] = len(outcome_names)
                outcome_names.append(name)
                paths.append(path)
        return remap[codes], outcome_names, paths

    def equilibrium(self, point: int = 0) -> Equilibrium:
        """The assessment at one point, in escalab's ids."""
        g = self.game
        behaviour: dict[str, dict[str, Any]] = {}
        beliefs: dict[str, dict[str, Any] | None] = {}
        ties: dict[str, tuple[str, ...]] = {}
        one, zero = (Fraction(1), Fraction(0)) if self.exact else (1.0, 0.0)
        for info in g.infosets:
            c = int(self.choice[info.index][point])
            behaviour[info.label] = {a: (one if k == c else zero) for k, a in enumerate(info.actions)}
            beliefs[info.label] = {g.nodes[n].id: _scalar(self.beliefs[n][point], self.exact) for n in info.nodes}
            if bool(self.ties[info.index][point]):
                vals = [v[point] for v in self.action_values[info.index]]
                best = max(vals)
                tol = 0 if self.exact else (float(self.tol[point]) if self.tol is not None
                                            else FLOAT_TIE * max(1.0, abs(float(best))))
                ties[info.label] = tuple(a for k, a in enumerate(info.actions) if best - vals[k] <= tol)
        reached = {t: _scalar(r[point], self.exact) for t, r in self.reach.items() if float(r[point]) > 1e-12}
        return Equilibrium(
            method="sequential-bi" if not g.info.perfect_information else "backward-induction",
            behaviour=behaviour, beliefs=beliefs,
            payoffs={a: _scalar(v[point], self.exact) for a, v in zip(g.players, self.payoffs)},
            outcomes={g.nodes[t].id: p for t, p in reached.items()},
            label=outcome_label(g, reached), path=path_label(g, reached), ties=ties,
            extra={"converged": bool(self.converged[point]), "iterations": self.iterations})


def _scalar(x: Any, exact: bool) -> Any:
    return x if exact else float(x)


def _arrays(game: ExtensiveGame, values: Mapping[str, Any] | None
            ) -> tuple[dict[int, tuple], dict[int, tuple], int, bool]:
    """Payoffs and chance probabilities as arrays: one entry per point, or one entry where the value
    is the same at every point (most payoffs of a sweep do not depend on the swept parameters; the
    passes broadcast them instead of reading arrays of one repeated number)."""
    if values is None:
        exact = game.exact
        pays = {n.index: n.payoffs for n in game.nodes if n.kind == "terminal"}
        probs = {n.index: n.probs for n in game.nodes if n.kind == "chance"}
        size = 1
    else:
        exact = False
        with np.errstate(all="ignore"):  # a non-finite value is found and reported below, per point
            pays, probs = game.evaluate(values)
        check_finite(game, pays, probs, values)
        check_probabilities(game, probs, values)
        size = 1
        for v in values.values():
            size = max(size, int(np.size(v)))
    dtype = object if exact else float

    def arr(x: Any) -> np.ndarray:
        a = np.asarray(x, dtype=dtype)
        if a.ndim == 0:
            return np.full(1, x, dtype=dtype)       # broadcast where used: no pass over a constant
        a = a.reshape(-1)
        if a.shape != (size,):
            raise ModelError(f"parameter arrays must all have one length ({size}); got shape {np.shape(x)}")
        return a
    return ({i: tuple(arr(v) for v in vs) for i, vs in pays.items()},
            {i: tuple(arr(v) for v in vs) for i, vs in probs.items()}, size, exact)


def _point(values: Mapping[str, Any], k: int) -> dict[str, float]:
    return {name: float(np.asarray(v, dtype=float).reshape(-1)[k if np.size(v) > 1 else 0])
            for name, v in values.items()}


def check_finite(game: ExtensiveGame, pays: Mapping[int, tuple], probs: Mapping[int, tuple],
                 values: Mapping[str, Any]) -> None:
    """Refuse a grid that reaches a point where a payoff or probability is not a finite number.

    NumPy turns ``1 / v`` at v = 0 into inf with a warning and the solver would carry on; at that
    point ``solve --set`` refuses the scenario. So the first such point is recompiled on its own,
    which raises exactly the error ``solve --set`` gives there, prefixed with the point.
    """
    bad: np.ndarray | None = None
    for group in (pays, probs):
        for vs in group.values():
            for v in vs:
                ok = np.isfinite(np.asarray(v, dtype=float))
                if not ok.all():             # one entry (the same at every point) or one per point
                    bad = ~ok if bad is None else np.logical_or(bad, ~ok)
    if bad is None or not bad.any():
        return
    k = int(np.flatnonzero(np.atleast_1d(bad))[0])
    point = _point(values, k)
    where = ", ".join(f"{name}={x:g}" for name, x in point.items())
    from ..errors import EscalabError
    try:
        game.scenario.with_params(point).compile("sequential")
    except EscalabError as exc:
        raise ModelError(f"at {where}: {exc}") from None
    raise ModelError(f"at {where} a payoff or chance probability of '{game.scenario.id}' is not a finite number "
                     "(it overflows); sweep or scan only values where the game is defined")


def check_probabilities(game: ExtensiveGame, probs: Mapping[int, tuple], values: Mapping[str, Any]) -> None:
    """Chance probabilities evaluated at other parameter values must still be distributions.

    Compiling a scenario checks them at its own values; a sweep or a threshold scan reaches values
    (within the parameters' declared ranges) where ``1 - p`` may be negative, and solving there
    would give an answer for a game that does not exist.
    """
    for i, ps in probs.items():
        rows = np.atleast_2d(np.stack(np.broadcast_arrays(*[np.asarray(p, dtype=float) for p in ps])))
        rows = rows.reshape(len(ps), -1)
        bad = (np.any(rows < -1e-9, axis=0) | np.any(rows > 1 + 1e-9, axis=0)
               | (np.abs(rows.sum(axis=0) - 1) > 1e-9))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            point = ", ".join(f"{name}={float(np.asarray(v, dtype=float).reshape(-1)[k if np.size(v) > 1 else 0]):g}"
                              for name, v in values.items())
            shown = ", ".join(f"{a}: {rows[j, k]:g}" for j, a in enumerate(game.nodes[i].actions))
            raise ModelError(f"at {point} the chance probabilities of node '{game.nodes[i].id}' are "
                             f"({shown}), not a probability distribution; sweep or scan only values "
                             "where they are")


def _node_value(game: ExtensiveGame, i: int, value: dict[int, np.ndarray], paystack: Mapping[int, np.ndarray],
                probs: Mapping[int, tuple], masks: Mapping[int, list[np.ndarray]]) -> np.ndarray:
    """Node ``i``'s (players, points) value under the choices in ``masks``, memoised in ``value``.

    A module-level function, not a closure over ``value``: a recursive closure refers to itself,
    and the reference cycle kept every node's arrays alive until the garbage collector's next
    pass (about 150 MB in a big sweep, freed in bursts instead of reused chunk after chunk).
    """
    v = value.get(i)
    if v is not None:
        return v
    n = game.nodes[i]
    if n.kind == "terminal":
        v = paystack[i]
    elif n.kind == "chance":
        kids = [_node_value(game, ch, value, paystack, probs, masks) for ch in n.children]
        v = sum((probs[i][k] * kids[k] for k in range(1, len(kids))), probs[i][0] * kids[0])
    else:
        assert n.infoset is not None
        kids = [_node_value(game, ch, value, paystack, probs, masks) for ch in n.children]
        v = kids[0]
        for k, mask in enumerate(masks[n.infoset], 1):
            v = np.where(mask, kids[k], v)
    value[i] = v
    return v


def solve_sequential(game: ExtensiveGame, values: Mapping[str, Any] | None = None, *,
                     max_iter: int | None = None,
                     profiles: Mapping[int, np.ndarray] | None = None) -> SequentialSolution:
    """Solve at every point of ``values`` (NumPy arrays of one length) at once.

    Without ``values`` the game is solved at its compiled parameter values, exactly if it was
    compiled with ``exact=True``. With ``profiles`` (infoset index -> action index per point) nothing
    is optimised: each given pure profile is evaluated with its consistent beliefs, and
    ``converged`` says whether it is a sequential equilibrium.
    """
    st = structure(game)
    pays, probs, size, exact = _arrays(game, values)
    if profiles is not None:
        n_prof = len(next(iter(profiles.values()))) if profiles else 1
        if size not in (1, n_prof):
            raise ModelError("give either parameter arrays or profiles to check, not both")
        size = n_prof
        pays = {i: tuple(np.broadcast_to(v, (size,)) for v in vs) for i, vs in pays.items()}
        probs = {i: tuple(np.broadcast_to(v, (size,)) for v in vs) for i, vs in probs.items()}
    zero = Fraction(0) if exact else 0.0
    one = Fraction(1) if exact else 1.0
    parent = node_parent(game)
    paystack = {i: np.stack(np.broadcast_arrays(*vs)) for i, vs in pays.items()}

    # chance weight of every node: independent of the profile
    weight: dict[int, np.ndarray] = {0: np.full(1, one, dtype=object if exact else float)}
    for n in game.nodes:
        for k, ch in enumerate(n.children):
            weight[ch] = weight[n.index] * probs[n.index][k] if n.kind == "chance" else weight[n.index]

    def beliefs_from(dev: dict[int, np.ndarray] | None) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        for info in game.infosets:
            w = [weight[n] for n in info.nodes]
            if dev is None or len(info.nodes) == 1:
                eff = w
            else:
                d = [np.where(weight[n] > 0, dev[n], np.iinfo(np.int32).max) for n in info.nodes]
                dmin = np.minimum.reduce(d)
                eff = [np.where(di == dmin, wi, zero) for di, wi in zip(d, w)]
            total = sum(eff[1:], eff[0])
            safe = np.where(total > 0, total, one)
            for n, e in zip(info.nodes, eff):
                out[n] = np.where(total > 0, e / safe, one / len(info.nodes))
        return out

    def one_pass(belief: dict[int, np.ndarray], fixed: Mapping[int, np.ndarray] | None = None
                 ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray], dict[int, Any], dict[int, np.ndarray]]:
        # node values are (players, points) arrays, so one selection serves every player
        value: dict[int, np.ndarray] = {}
        choice: dict[int, np.ndarray] = {}
        masks: dict[int, list[np.ndarray]] = {}
        ties: dict[int, np.ndarray] = {}
        qvals: dict[int, Any] = {}

        def val(i: int) -> np.ndarray:
            return _node_value(game, i, value, paystack, probs, masks)

        for j in st.order:
            info = game.infosets[j]
            q = []
            for k in range(len(info.actions)):
                if len(info.nodes) == 1:
                    q.append(val(game.nodes[info.nodes[0]].children[k])[info.player])
                    continue
                terms = [belief[n] * val(game.nodes[n].children[k])[info.player] for n in info.nodes]
                q.append(sum(terms[1:], terms[0]))
            best = q[0]
            for qk in q[1:]:
                best = np.maximum(best, qk)
            floor = best if exact else best - tol
            c = np.zeros(size, dtype=np.intp)
            count = np.zeros(size, dtype=np.int8)
            for k in range(len(q) - 1, -1, -1):
                good = q[k] >= floor
                c = np.where(good, k, c) if k else np.where(good, 0, c)
                count += good
            if fixed is not None:
                chosen = _select(np.asarray(fixed[j]), q)
                optimal[:] = optimal & np.asarray(chosen >= floor, dtype=bool)
                c = np.asarray(fixed[j], dtype=np.intp)
            choice[j] = c
            masks[j] = [c == k for k in range(1, len(q))]
            ties[j] = count > 1
            qvals[j] = q
        val(0)
        return choice, ties, qvals, value

    tol = FLOAT_TIE * tie_scale(pays, size)
    optimal = np.ones(size, dtype=bool)
    if profiles is not None:
        fixed = {j: np.asarray(profiles[j], dtype=np.intp) for j in range(len(game.infosets))}
        belief = beliefs_from(_deviations(game, fixed, size))
        choice, ties, qvals, value = one_pass(belief, fixed)
        reach = _reach(game, choice, weight, parent)
        return SequentialSolution(game, size, exact, choice, ties, belief, qvals, tuple(value[0]), reach, optimal, 1,
                                  None if exact else tol)

    limit = max_iter if max_iter is not None else len(game.infosets) + 3
    belief = beliefs_from(None)
    choice, ties, qvals, value = one_pass(belief)
    converged = np.ones(size, dtype=bool)
    iterations = 1
    if any(len(i.nodes) > 1 for i in game.infosets):
        converged = np.zeros(size, dtype=bool)
        for _ in range(limit):
            dev = _deviations(game, choice, size)
            belief = beliefs_from(dev)
            new_choice, ties, qvals, value = one_pass(belief)
            iterations += 1
            same = np.logical_and.reduce([new_choice[j] == choice[j] for j in new_choice])
            choice = new_choice
            if np.all(same):
                converged = np.ones(size, dtype=bool)
                break
            converged = same
        if not converged.all():
            # report the beliefs of the final profile (where the passes settled they are the ones used)
            belief = beliefs_from(_deviations(game, choice, size))
    reach = _reach(game, choice, weight, parent)
    return SequentialSolution(game, size, exact, choice, ties, belief, qvals, tuple(value[0]), reach, converged,
                              iterations, None if exact else tol)


def tie_scale(pays: Mapping[int, tuple], size: int) -> np.ndarray:
    """Per point, the largest payoff magnitude (at least 1): ties are judged relative to it.

    Per point, never across a grid: one huge payoff at one point must not turn the choices at
    every other point into ties (the answer at a point would then depend on its neighbours).
    """
    scale = np.ones(size)
    for vs in pays.values():
        for v in vs:
            scale = np.maximum(scale, np.abs(np.asarray(v, dtype=float)))
    return scale


def _select(c: np.ndarray, options: list[np.ndarray]) -> np.ndarray:
    if len(options) == 1:
        return options[0]
    return np.choose(c, options)


def _deviations(game: ExtensiveGame, choice: Mapping[int, np.ndarray], size: int) -> dict[int, np.ndarray]:
    dev: dict[int, np.ndarray] = {0: np.zeros(size, dtype=np.int32)}
    for n in game.nodes:
        for k, ch in enumerate(n.children):
            if n.kind == "decision":
                assert n.infoset is not None
                dev[ch] = dev[n.index] + (choice[n.infoset] != k)
            else:
                dev[ch] = dev[n.index]
    return dev


def _reach(game: ExtensiveGame, choice: Mapping[int, np.ndarray], weight: Mapping[int, np.ndarray],
           parent: Mapping[int, int]) -> dict[int, np.ndarray]:
    on: dict[int, np.ndarray] = {0: np.ones_like(np.asarray(weight[0], dtype=float), dtype=bool)}
    for n in game.nodes:
        for k, ch in enumerate(n.children):
            on[ch] = on[n.index] & (choice[n.infoset] == k) if n.kind == "decision" else on[n.index]
    zero = weight[0] * 0
    return {n.index: np.where(on[n.index], weight[n.index], zero) for n in game.nodes if n.kind == "terminal"}


def sequential_equilibrium(game: ExtensiveGame, values: Mapping[str, Any] | None = None) -> Equilibrium:
    """The pure sequential equilibrium found by backward induction with beliefs, at one point.

    Raises ModelError if the passes do not settle (the game then needs a mixed equilibrium: use
    the pygambit methods).
    """
    if values is not None:
        values = {k: np.asarray([v], dtype=float) for k, v in values.items()}
    sol = solve_sequential(game, values)
    if not bool(sol.converged[0]):
        raise ModelError(f"backward induction with beliefs does not settle on a pure profile in "
                         f"'{game.scenario.id}'; try --method nash or --method qre")
    return sol.equilibrium(0)


MAX_PROFILES = 200_000


def pure_sequential_equilibria(game: ExtensiveGame, values: Mapping[str, Any] | None = None) -> list[Equilibrium]:
    """Every pure profile that, with its uniform-tremble beliefs, is a sequential equilibrium.

    All pure profiles are checked at once (one array entry per profile). Off the path the beliefs are
    the uniform-tremble ones, so a pure equilibrium that needs other off-path beliefs (a pooling
    equilibrium sustained by pessimistic beliefs, say) is not listed; on the path nothing is lost.
    """
    sizes = [len(i.actions) for i in game.infosets]
    total = int(np.prod(sizes, dtype=np.int64))
    if total > MAX_PROFILES:
        raise ModelError(f"'{game.scenario.id}' has {total} pure profiles; enumerating more than "
                         f"{MAX_PROFILES} is not supported (use the sequential method)")
    grids = np.indices(sizes).reshape(len(sizes), -1)
    profiles = {j: grids[j] for j in range(len(sizes))}
    if values is not None:
        values = {k: np.asarray(float(v)) for k, v in values.items()}
    sol = solve_sequential(game, values, profiles=profiles)
    out = []
    for k in np.flatnonzero(sol.converged):
        e = sol.equilibrium(int(k))
        out.append(Equilibrium(method="pure-sequential", behaviour=e.behaviour, beliefs=e.beliefs,
                               payoffs=e.payoffs, outcomes=e.outcomes, label=e.label, path=e.path, ties=e.ties))
    return out
