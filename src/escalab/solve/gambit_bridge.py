"""The bridge to Gambit (pygambit): escalab's game in, equilibria in escalab's ids out.

Our own solvers cover pure subgame-perfect and sequential equilibria. Everything else a researcher
asks for -- every Nash equilibrium, mixed equilibria, logit quantal response equilibria -- is
Gambit's job, done well for decades; we only translate. The tree, information sets, exact chance
probabilities and payoffs go over one to one, and every profile comes back as an
:class:`~escalab.solve.assessment.Equilibrium` keyed by actor, infoset label and action id, so a
reader never meets a Gambit index.

pygambit 16.7.0 cannot hand back the profile of a logit QRE on a tree (``.profile`` raises), but
its entries are readable by position in Gambit's order (player, infoset, action); :func:`_qre_profile`
rebuilds the profile from them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pygambit as gbt

from .. import limits
from ..errors import ModelError, UsageError
from ..model import ExtensiveGame
from ..scenario.scenario import exact_value
from .assessment import Equilibrium, outcome_label, path_label
from .sequential import check_probabilities, structure

REACH_FLOOR = 1e-4       # a float profile (a logit limit) reaching a terminal less often than this does not reach it
PURE_TOLERANCE = 1e-3    # ... and one playing an action this close to surely plays it
NASH_METHODS = ("lcp", "lcp-strategic", "enumpure", "enummixed", "logit")


@dataclass
class GambitGame:
    """A pygambit game built from an ExtensiveGame, with the maps between the two."""

    game: gbt.Game
    source: ExtensiveGame
    nodes: dict[int, Any]          # escalab node index -> gbt node
    infosets: dict[int, Any]       # escalab infoset index -> gbt infoset
    outcome_names: dict[int, str] = field(default_factory=dict)


def _number(x: Any) -> Fraction:
    """Gambit stores payoffs and probabilities as rationals; floats go over by their shortest decimal."""
    if isinstance(x, Fraction):
        return x
    return exact_value(float(x))


def _distribution(values: Any) -> tuple[Fraction, ...]:
    """Chance probabilities as rationals summing to exactly one (floats like 1 - 0.30000000000000004
    miss by an ulp; the last entry absorbs it)."""
    probs = [_number(v) for v in values]
    rest = 1 - sum(probs[:-1], Fraction(0))
    if abs(rest - probs[-1]) < Fraction(1, 10**9) and rest >= 0:
        probs[-1] = rest
    return tuple(probs)


def to_gambit(game: ExtensiveGame, values: Mapping[str, Any] | None = None) -> GambitGame:
    """Build the pygambit tree of ``game`` (at other parameter values if ``values`` is given)."""
    game.require_perfect_recall()
    if values:
        pays_v, probs_v = game.evaluate(values)
        check_probabilities(game, probs_v, values)
        pays = {i: tuple(_number(v) for v in vs) for i, vs in pays_v.items()}
        probs = {i: _distribution(vs) for i, vs in probs_v.items()}
    else:
        pays = {n.index: tuple(_number(v) for v in n.payoffs) for n in game.nodes if n.kind == "terminal"}
        probs = {n.index: _distribution(n.probs) for n in game.nodes if n.kind == "chance"}
    g = gbt.Game.new_tree(players=list(game.players), title=game.scenario.title or game.scenario.id)
    g.description = game.scenario.id
    gnodes: dict[int, Any] = {0: g.root}
    ginfo: dict[int, Any] = {}
    outcomes: dict[tuple[str, tuple[Fraction, ...]], Any] = {}
    used: dict[str, int] = {}
    names: dict[int, str] = {}
    for node in game.nodes:
        gn = gnodes[node.index]
        if node.kind == "terminal":
            payoff = pays[node.index]
            base = node.outcome or "outcome"
            key = (base, payoff)
            if key not in outcomes:
                k = used.get(base, 0)
                used[base] = k + 1
                label = base if k == 0 else f"{base}#{k}"
                outcomes[key] = g.add_outcome(payoffs=list(payoff), label=label)
            g.set_outcome(gn, outcomes[key])
            names[node.index] = outcomes[key].label
            continue
        if node.kind == "chance":
            g.append_move(gn, g.players.chance, list(node.actions))
            g.set_chance_probs(gn.infoset, list(probs[node.index]))
        else:
            assert node.infoset is not None and node.player is not None
            if node.infoset in ginfo:
                g.append_infoset(gn, ginfo[node.infoset])
            else:
                g.append_move(gn, game.players[node.player], list(node.actions))
                gn.infoset.label = game.infosets[node.infoset].label
                ginfo[node.infoset] = gn.infoset
        for action, ch in zip(node.actions, node.children):
            gnodes[ch] = gn.children[action]
    return GambitGame(g, game, gnodes, ginfo, names)


# ------------------------------------------------------------------------------ profiles back
def _value(x: Any, exact: bool) -> Any:
    if x is None:
        return None
    if exact and isinstance(x, Fraction):
        return Fraction(x.numerator, x.denominator)
    return float(x)


def from_behaviour(gg: GambitGame, profile: Any, method: str, exact: bool = False,
                   extra: Mapping[str, Any] | None = None) -> Equilibrium:
    """An Equilibrium from a pygambit MixedBehaviorProfile over ``gg``."""
    game = gg.source
    behaviour: dict[str, dict[str, Any]] = {}
    beliefs: dict[str, dict[str, Any] | None] = {}
    for info in game.infosets:
        gi = gg.infosets[info.index]
        behaviour[info.label] = {a.label: _value(profile[a], exact) for a in gi.actions}
        if profile.infoset_prob(gi) > 0:
            beliefs[info.label] = {game.nodes[n].id: _value(profile.belief(gg.nodes[n]), exact) for n in info.nodes}
        else:
            beliefs[info.label] = None
    floor = 0 if exact else REACH_FLOOR
    reached = {}
    for n in game.nodes:
        if n.kind == "terminal":
            p = profile.realiz_prob(gg.nodes[n.index])
            if p > floor:
                reached[n.index] = _value(p, exact)
    mixed = False
    for info in game.infosets:
        gi = gg.infosets[info.index]
        if float(profile.infoset_prob(gi)) > floor:
            top = max(float(profile[a]) for a in gi.actions)
            mixed = mixed or top < 1 - (0 if exact else PURE_TOLERANCE)
    payoffs = {pl.label: _value(profile.payoff(pl), exact) for pl in gg.game.players}
    return Equilibrium(method=method, behaviour=behaviour, beliefs=beliefs, payoffs=payoffs,
                       outcomes={game.nodes[i].id: p for i, p in reached.items()},
                       label=outcome_label(game, reached, mixed=mixed),
                       path=path_label(game, reached), extra=dict(extra or {}))


def _qre_profile(gg: GambitGame, qre: Any) -> Any:
    """Rebuild the behaviour profile of a LogitQREMixedBehaviorProfile from its flat entries."""
    profile = gg.game.mixed_behavior_profile()
    k = 0
    for player in gg.game.players:
        for infoset in player.infosets:
            for action in infoset.actions:
                profile[action] = qre[k]
                k += 1
    if k != len(qre):
        raise ModelError(f"pygambit returned a QRE profile of {len(qre)} entries for a game with {k} actions")
    return profile


# ------------------------------------------------------------------------------ solvers
@dataclass(frozen=True)
class NashResult:
    """Every equilibrium the method returned, in the order it returned them."""

    method: str
    equilibria: tuple[Equilibrium, ...]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "note": self.note, "equilibria": [e.to_dict() for e in self.equilibria]}


_NOTES = {
    "lcp": "Lemke's algorithm on the sequence form (Koller-Megiddo-von Stengel): one equilibrium of the tree",
    "lcp-strategic": "Lemke-Howson on the strategic form: every equilibrium reachable by its path-following",
    "enumpure": "all pure-strategy Nash equilibria of the strategic form",
    "enummixed": "all extreme mixed-strategy Nash equilibria of the strategic form (two players)",
    "logit": "limit of the principal branch of the logit QRE (agent form): a sequential equilibrium for generic games",
}


STRATEGIC_METHODS = ("lcp-strategic", "enumpure", "enummixed")
MAX_STRATEGY_PROFILES = 1_000_000


def strategy_profile_count(game: ExtensiveGame) -> int:
    """Pure strategy profiles of the (unreduced) strategic form: an upper bound on Gambit's reduced one."""
    total = 1
    for info in game.infosets:
        total *= len(info.actions)
    return total


def agent_actions(game: ExtensiveGame) -> int:
    """Actions summed over information sets: the size of the sequence form (lcp on the tree) and of
    the agent form (logit, QRE), which is what their time grows with -- steeply; the number of
    nodes matters far less (10,500 nodes with four such actions: lcp 0.2 s, logit 0.6 s)."""
    return sum(len(info.actions) for info in game.infosets)


def check_reach(game: ExtensiveGame, where: str) -> None:
    """Refuse, before pygambit starts, a tree its tree-based solvers would take minutes or hours
    over (the ``pygambit-actions`` limit): the tree-nodes limit lets through trees far bigger."""
    limits.PYGAMBIT_ACTIONS.check(agent_actions(game), where=where)


def mixed_profiles(gg: "GambitGame") -> int:
    """Pure strategy profiles of the reduced strategic form that enummixed and lcp-strategic search."""
    return math.prod(len(p.strategies) for p in gg.game.players)


def nash(game: ExtensiveGame, method: str = "enumpure", values: Mapping[str, Any] | None = None) -> NashResult:
    """Nash equilibria of ``game`` computed by pygambit."""
    if method not in NASH_METHODS:
        raise UsageError(f"unknown Nash method '{method}' (expected one of: {', '.join(NASH_METHODS)})")
    where = f"Nash equilibria ({method}) of '{game.scenario.id}'"
    if method in ("lcp", "logit"):          # on the tree; the strategic-form ones are bounded by profiles
        check_reach(game, where)
    two = len(game.players) == 2
    if method in ("lcp", "lcp-strategic", "enummixed") and not two:
        raise ModelError(f"method '{method}' needs a two-player game; '{game.scenario.id}' has "
                         f"{len(game.players)} players (use enumpure or logit)")
    if method in STRATEGIC_METHODS and strategy_profile_count(game) > MAX_STRATEGY_PROFILES:
        raise ModelError(f"'{game.scenario.id}' has {strategy_profile_count(game)} pure strategy profiles; the "
                         f"strategic-form method '{method}' is out of reach (use lcp or logit on the tree)")
    gg = to_gambit(game, values)
    if method in ("enummixed", "lcp-strategic"):     # both search the strategic form for mixed equilibria
        limits.MIXED_PROFILES.check(mixed_profiles(gg), where=where)
    if method == "lcp":
        res = gbt.nash.lcp_solve(gg.game, rational=True)
    elif method == "lcp-strategic":
        res = gbt.nash.lcp_solve(gg.game, rational=True, use_strategic=True)
    elif method == "enumpure":
        res = gbt.nash.enumpure_solve(gg.game)
    elif method == "enummixed":
        res = gbt.nash.enummixed_solve(gg.game, rational=True)
    else:
        res = gbt.nash.logit_solve(gg.game)
    exact = method != "logit"
    eqs = []
    for prof in res.equilibria:
        behav = prof.as_behavior() if hasattr(prof, "as_behavior") else prof
        eqs.append(from_behaviour(gg, behav, f"nash:{method}", exact))
    return NashResult(f"nash:{method}", tuple(eqs), _NOTES[method])


# Beyond this precision the QRE is the Nash limit to rounding, and pygambit's path following slows without
# end (the default scenario: 4 s to 10^8, a minute to 10^12, never ending at an infinite or 1e308 λ).
MAX_LAMBDA = 1e6


def qre(game: ExtensiveGame, lam: float, values: Mapping[str, Any] | None = None) -> Equilibrium:
    """The logit agent QRE at precision ``lam`` on the principal branch."""
    if not 0 <= lam <= MAX_LAMBDA:                 # False for NaN too
        raise UsageError(f"--lambda needs a number from 0 to {MAX_LAMBDA:g}, got {lam}")
    check_reach(game, f"the logit QRE of '{game.scenario.id}'")
    gg = to_gambit(game, values)
    if lam == 0:
        prof = gg.game.mixed_behavior_profile()
        return from_behaviour(gg, prof, "logit-qre", extra={"lambda": 0.0})
    found = gbt.qre.logit_solve_lambda(gg.game, [float(lam)])
    q = found[0]
    return from_behaviour(gg, _qre_profile(gg, q), "logit-qre", extra={"lambda": float(q.lam)})


def qre_path(game: ExtensiveGame, lambdas: Sequence[float] | None = None,
             values: Mapping[str, Any] | None = None) -> list[Equilibrium]:
    """Points along the logit QRE correspondence: at ``lambdas``, or the whole traced branch."""
    check_reach(game, f"the logit QRE path of '{game.scenario.id}'")
    gg = to_gambit(game, values)
    if lambdas is not None:
        if any(not 0 < lam <= MAX_LAMBDA for lam in lambdas):
            raise UsageError(f"every lambda on a QRE path must be a number > 0 and at most {MAX_LAMBDA:g}")
        found = gbt.qre.logit_solve_lambda(gg.game, [float(x) for x in lambdas])
    else:
        found = gbt.qre.logit_solve_branch(gg.game)
    return [from_behaviour(gg, _qre_profile(gg, q), "logit-qre", extra={"lambda": float(q.lam)}) for q in found]


# pure strategy profiles up to which the strategic form is built to look for a dominance solution
DOMINANCE_PROFILES = 4096


def limit_outcome(game: ExtensiveGame, values: Mapping[str, Any] | None = None) -> Equilibrium:
    """The equilibrium pygambit selects by following the logit branch to its end (one point).

    Where iterated elimination of strictly dominated strategies leaves one strategy per player and
    that profile reaches every information set, it is the game's only Nash equilibrium, the
    branch's end, and returned without tracing (a profile that leaves an information set unreached
    says nothing of the choice there, which the branch's end does). The tracer crawls toward a pure
    profile that wins by a small margin (chicken with R just above T: 12 s for one point at
    R - T = 1/16, minutes at 1/8, and it still stops short of the limit with 0.3% on the other
    actions). The check is made only in games that backward induction with beliefs does not cover
    (:func:`.sequential.structure`), where every point of a sweep comes here: in the others a point
    comes here only where those passes found no pure equilibrium, which a dominance solution would
    be, and the check made a default-scenario point 60% slower for nothing.
    """
    if strategy_profile_count(game) <= DOMINANCE_PROFILES and not structure(game).applies:
        gg = to_gambit(game, values)
        solved = _dominance_solution(gg)
        if solved is not None:
            return from_behaviour(gg, solved, "nash:dominance", True)
    return nash(game, "logit", values).equilibria[0]


def _dominance_solution(gg: Any) -> Any | None:
    """The behaviour profile of the one strategy per player that survives iterated elimination of
    strictly dominated strategies, or None when more survive or it leaves an information set unreached."""
    support = gbt.supports.undominated_strategies_solve(gg.game, strict=True)
    while len(support) > len(gg.game.players):
        smaller = gbt.supports.undominated_strategies_solve(support, strict=True)
        if len(smaller) == len(support):
            return None
        support = smaller
    profile = gg.game.mixed_strategy_profile(rational=True)
    for player in gg.game.players:
        kept = {st.label for st in support[player]}
        for st in player.strategies:
            profile[st] = gbt.Rational(1 if st.label in kept else 0)
    behaviour = profile.as_behavior()
    return behaviour if all(behaviour.infoset_prob(i) > 0 for i in gg.game.infosets) else None
