"""How simulated actors choose: equilibrium, logit, level-k, doctrine rules, uniform random.

Every policy reads only what its actor observes (turn, own rung, the opponent's rung as perceived,
the opponent's last signal, the balance from its own side, the peak), so one policy works on
either side and on whole arrays of runs at once. Policies hold only arrays and strings: they are
pickled to worker processes and Dask workers, where doctrine expressions are parsed again.

A policy spec is text, as on the command line:

- ``equilibrium`` - the fog-free equilibrium (see :mod:`escalab.solve.ladder`);
- ``logit:LAMBDA`` - softmax of LAMBDA x the action values against the equilibrium opponent (lookahead);
  ``logit:LAMBDA:myopic`` uses one-step values instead (see :func:`escalab.solve.ladder.myopic_values`);
- ``level:K`` - level-k: level 0 plays uniformly at random, level k best-responds to level k - 1;
- ``doctrine:NAME`` - the rules of a doctrine in the scenario file;
- ``uniform`` - every legal action equally likely.

Only doctrines send signals; the other policies send none (the fog-free equilibrium gives signals
no value, and a logit or level-k actor is modelled as acting, not talking).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import ExpressionError, ModelError, UsageError
from ..model.ladder import LadderGame
from ..scenario import expressions
from ..solve.ladder import LadderArrays, LadderEquilibrium, ObsTable, best_response, myopic_values, solve_equilibrium
from ..solve.ladder_types import best_response_typed, by_type, spread

NO_SIGNAL = -1


@dataclass(frozen=True)
class Observations:
    """One actor's observations for n runs at one turn (rungs are ladder indices, signal -1 = none)."""

    turn: int
    own: np.ndarray
    opponent: np.ndarray
    opponent_signal: np.ndarray
    balance: np.ndarray
    peak: np.ndarray
    # In a crisis with private types: each run's variant for this actor - its own type times the
    # number of belief points, plus the belief index (see escalab.solve.ladder_types); else None.
    variant: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class TablePolicy:
    """A policy that is a probability table over observations (see :class:`ObsTable`).

    Sampling uses Walker's alias method: one uniform picks a column and, by its fractional part,
    either that column or its alias - two gathers per run instead of a search along the row.
    """

    label: str
    player: int
    table: ObsTable
    allowed: np.ndarray

    deterministic = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed", self.allowed.astype(np.int32))

    @property
    def keep(self) -> np.ndarray:
        """Flat (rows * A): P(keep the column drawn). Built on first use: the exact analysis never samples."""
        return self._alias()[0]

    @property
    def alias(self) -> np.ndarray:
        """Flat (rows * A): the column taken otherwise."""
        return self._alias()[1]

    def _alias(self) -> tuple[np.ndarray, np.ndarray]:
        cached = self.__dict__.get("_alias_cache")
        if cached is None:
            data = self.table.data
            keep, alias = alias_tables(data.reshape(-1, data.shape[-1]))
            cached = (keep.reshape(-1), alias.reshape(-1).astype(np.int32))
            object.__setattr__(self, "_alias_cache", cached)
        return cached

    def action_probs(self, obs: Observations) -> np.ndarray:
        """(n, A) probabilities over the actor's allowed actions."""
        p = self.table.rows(obs.turn, obs.own, obs.opponent, obs.balance, obs.peak, obs.variant)
        return p / p.sum(axis=1, keepdims=True)

    def signals(self, obs: Observations) -> np.ndarray:
        return np.full(len(obs.own), NO_SIGNAL, dtype=obs.own.dtype)

    def sample(self, obs: Observations, u: np.ndarray) -> np.ndarray:
        """Rung indices drawn with one uniform per observation."""
        A = len(self.allowed)
        v = u * A
        col = np.minimum(v.astype(obs.own.dtype), A - 1)
        cell = self.table.flat_index(obs.turn, obs.own, obs.opponent, obs.balance, obs.peak, obs.variant) * A + col
        pick = np.where(v - col < np.take(self.keep, cell), col, np.take(self.alias, cell))
        return np.take(self.allowed, pick)


def alias_tables(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker alias tables for each row of P (rows sum to 1), built for all rows at once.

    Each round settles, in every row, the column with the smallest unsettled scaled probability:
    it keeps that much of its slot and lends the rest to the largest unsettled column.
    """
    N, A = P.shape
    q = P / P.sum(axis=1, keepdims=True) * A
    keep = np.ones((N, A))
    alias = np.broadcast_to(np.arange(A), (N, A)).copy()
    open_ = np.ones((N, A), dtype=bool)
    rows = np.arange(N)
    for _ in range(A - 1):
        small = np.argmin(np.where(open_, q, np.inf), axis=1)
        large = np.argmax(np.where(open_, q, -np.inf), axis=1)
        qs = q[rows, small]
        lend = (qs < 1.0) & (small != large)
        r, sm, lg = rows[lend], small[lend], large[lend]
        keep[r, sm] = qs[lend]
        alias[r, sm] = lg
        q[r, lg] -= 1.0 - qs[lend]
        open_[r, sm] = False
        done = ~lend                    # the rest of such a row is (numerically) 1 everywhere
        open_[done] = False
    return keep, alias


@dataclass(frozen=True)
class Rule:
    when: str | None
    do: str | int          # a doctrine word or a rung index
    signal: str | int | None


@dataclass(frozen=True, eq=False)
class DoctrinePolicy:
    """Declarative doctrine: the first rule whose ``when`` holds decides; if none holds, hold."""

    label: str
    player: int
    rules: tuple[Rule, ...]
    params: dict[str, float]
    values: np.ndarray
    allowed: np.ndarray
    legal: np.ndarray          # (R, A)
    signals_on: bool

    deterministic = True

    def choose(self, obs: Observations) -> tuple[np.ndarray, np.ndarray]:
        """(action rungs, signal rungs or -1) for n observations."""
        n = len(obs.own)
        R = len(self.values)
        env: dict[str, Any] = dict(self.params)
        opp_v = self.values[obs.opponent]
        env.update(turn=obs.turn, own=self.values[obs.own], opponent=opp_v,
                   opponent_signal=np.where(obs.opponent_signal >= 0, self.values[np.maximum(obs.opponent_signal, 0)],
                                            opp_v),
                   balance=obs.balance, losing=obs.balance < 0, winning=obs.balance > 0, peak=self.values[obs.peak])
        action = np.full(n, -1, dtype=np.int64)
        signal = np.full(n, NO_SIGNAL, dtype=np.int64)
        open_ = np.ones(n, dtype=bool)
        for rule in self.rules:
            if rule.when is None:
                hit = open_.copy()
            else:
                try:
                    cond = _parse(rule.when).evaluate(env)
                except ExpressionError as exc:
                    raise ModelError(f"doctrine {self.label}: {exc.message}") from None
                hit = open_ & np.broadcast_to(np.asarray(cond, dtype=bool), (n,))
            if not hit.any():
                continue
            action[hit] = self._target_action(rule.do, obs, hit)
            if rule.signal is not None and self.signals_on:
                signal[hit] = self._target_rung(rule.signal, obs, hit, R)
            open_ &= ~hit
        if open_.any():
            action[open_] = self._target_action("hold", obs, open_)
        return action, signal

    def _target_rung(self, target: str | int, obs: Observations, hit: np.ndarray, R: int) -> np.ndarray:
        own, opp = obs.own[hit], obs.opponent[hit]
        if isinstance(target, (int, np.integer)):
            return np.full(len(own), int(target))
        step = {"hold": own, "escalate": own + 1, "deescalate": own - 1, "match": opp, "match_plus_one": opp + 1}
        return np.clip(step[target], 0, R - 1)

    def _target_action(self, target: str | int, obs: Observations, hit: np.ndarray) -> np.ndarray:
        """A legal action for the rule's target: the legal action nearest the target rung (ties go
        down); 'escalate' is the lowest legal action above the current rung, 'deescalate' the highest
        below it (hold if there is none)."""
        own = obs.own[hit]
        legal = self.legal[own]                              # (m, A)
        rungs = self.allowed[None, :]
        if target in ("escalate", "deescalate"):
            up = target == "escalate"
            ok = legal & ((rungs > own[:, None]) if up else (rungs < own[:, None]))
            score = np.where(ok, rungs if up else -rungs, np.iinfo(np.int64).max)
            col = np.argmin(score, axis=1)
            found = ok.any(axis=1)
            out = self.allowed[col]
            if not found.all():
                out[~found] = self._nearest(legal[~found], own[~found])
            return out
        return self._nearest(legal, self._target_rung(target, obs, hit, len(self.values)))

    def _nearest(self, legal: np.ndarray, target: np.ndarray) -> np.ndarray:
        dist = np.where(legal, np.abs(self.allowed[None, :] - target[:, None]), np.iinfo(np.int64).max)
        return self.allowed[np.argmin(dist, axis=1)]

    def action_probs(self, obs: Observations) -> np.ndarray:
        return _one_hot(self.choose(obs)[0], self.allowed)

    def signals(self, obs: Observations) -> np.ndarray:
        return self.choose(obs)[1]


@dataclass(frozen=True, eq=False)
class DoctrineTable:
    """A doctrine evaluated once for every observation it can tell apart, then looked up.

    Dimensions the rules never read (say, the turn or the opponent's signal) have size 1, so the
    table stays small; :func:`tabulate` builds it from the rules and gives the same choices.
    """

    label: str
    player: int
    actions: np.ndarray        # (T, R, R, S, B, K) rung indices, dims of size 1 where not read
    signal_table: np.ndarray   # same shape, -1 = no signal
    bal_lo: int
    allowed: np.ndarray        # the actor's allowed actions (columns of ``action_probs``)

    deterministic = True

    def index(self, obs: Observations) -> np.ndarray:
        T, R0, R1, S, B, K = self.actions.shape
        idx = obs.own if R0 > 1 else np.zeros(len(obs.own), dtype=obs.own.dtype)
        if R1 > 1:
            idx = idx * R1 + obs.opponent
        if S > 1:
            idx = idx * S + (obs.opponent_signal + 1)
        if B > 1:
            idx = idx * B + (obs.balance - self.bal_lo)
        if K > 1:
            idx = idx * K + obs.peak
        if T > 1:
            idx = idx + obs.turn * (R0 * R1 * S * B * K)
        return idx

    def choose(self, obs: Observations) -> tuple[np.ndarray, np.ndarray]:
        i = self.index(obs)
        return np.take(self.actions.reshape(-1), i), np.take(self.signal_table.reshape(-1), i)

    def action_probs(self, obs: Observations) -> np.ndarray:
        return _one_hot(self.choose(obs)[0], self.allowed)

    def signals(self, obs: Observations) -> np.ndarray:
        return self.choose(obs)[1]


MAX_TABLE = 4_000_000
MAX_LEVEL = 100           # level-k: the deepest level built (one best response per level)
_READS = {"turn": (0,), "own": (1,), "opponent": (2,), "opponent_signal": (2, 3), "balance": (4,), "losing": (4,),
          "winning": (4,), "peak": (5,)}


def tabulate(policy: DoctrinePolicy, turns: int, bal_lo: int, num_balances: int) -> DoctrinePolicy | DoctrineTable:
    """The doctrine as a lookup table over the observation variables its rules read (the rule form
    itself when that table would be too large)."""
    R = len(policy.values)
    reads = {1}                                  # the own rung: legal actions depend on it
    for rule in policy.rules:
        if rule.when is not None:
            for name in _parse(rule.when).names:
                reads.update(_READS.get(name, ()))
        for target in (rule.do, rule.signal):
            if target in ("match", "match_plus_one"):
                reads.add(2)
    full = (turns, R, R, R + 1, num_balances, R)
    shape = tuple(n if d in reads else 1 for d, n in enumerate(full))
    if int(np.prod(shape)) > MAX_TABLE:
        return policy
    t, own, opp, sig, bal, peak = (g.ravel() for g in np.meshgrid(*(np.arange(n) for n in shape), indexing="ij"))
    if 2 not in reads:
        opp = own                               # a value that never matters, but a valid rung
    if 5 not in reads:
        peak = np.maximum(own, opp)
    actions = np.empty(len(own), dtype=np.int64)
    signals = np.empty(len(own), dtype=np.int64)
    for turn in range(shape[0]):
        rows = t == turn
        obs = Observations(turn, own[rows], opp[rows], sig[rows] - 1, bal[rows] + bal_lo, peak[rows])
        actions[rows], signals[rows] = policy.choose(obs)
    return DoctrineTable(policy.label, policy.player, actions.reshape(shape).astype(np.int32),
                         signals.reshape(shape).astype(np.int32), bal_lo, policy.allowed)


def _one_hot(action: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    cols = np.searchsorted(allowed, action)
    out = np.zeros((len(action), len(allowed)))
    out[np.arange(len(action)), cols] = 1.0
    return out


Policy = TablePolicy | DoctrinePolicy | DoctrineTable


@lru_cache(maxsize=256)
def _parse(source: str) -> expressions.Expr:
    return expressions.parse(source)


# ----------------------------------------------------------------------------- building policies
@dataclass
class PolicyFactory:
    """Builds policies for one compiled crisis, sharing the equilibrium between them."""

    game: LadderGame
    arrays: LadderArrays
    progress: Callable[[int, int], None] | None = None
    tabulate: bool = True
    _equilibrium: LadderEquilibrium | None = None
    _levels: dict[tuple[int, int], ObsTable] = field(default_factory=dict)

    @property
    def equilibrium(self) -> LadderEquilibrium:
        if self._equilibrium is None:
            self._equilibrium = solve_equilibrium(self.arrays, self.progress)
        return self._equilibrium

    @staticmethod
    def parse(spec: str) -> tuple[str, list[str]]:
        kind, _, rest = spec.strip().partition(":")
        return kind, rest.split(":") if rest else []

    def check(self, spec: str) -> None:
        """Reject a malformed policy spec before any equilibrium is solved for it."""
        kind, args = self.parse(spec)
        ok = ((kind in ("equilibrium", "uniform") and not args)
              or (kind == "logit" and 1 <= len(args) <= 2 and args[1:] in ([], ["myopic"], ["lookahead"]))
              or (kind in ("level", "doctrine") and len(args) == 1))
        if not ok:
            raise UsageError(f"unknown policy '{spec}' (expected one of: equilibrium, logit:LAMBDA, "
                             f"logit:LAMBDA:myopic, level:K, doctrine:NAME, uniform)")
        if kind == "logit":
            _number(args[0], spec, "a rationality λ >= 0")
        if kind == "level":
            k = _number(args[0], spec, "a level k >= 0")
            if k % 1:
                raise UsageError(f"policy '{spec}': the level must be a whole number")
            if k > MAX_LEVEL:               # each level is one backward induction over the whole crisis
                raise UsageError(f"policy '{spec}': expected a level k between 0 and {MAX_LEVEL}, got '{args[0]}'")
        if kind == "doctrine" and args[0] not in self.game.scenario.spec.doctrines:
            known = ", ".join(self.game.scenario.spec.doctrines) or "none"
            raise UsageError(f"policy '{spec}': scenario '{self.game.scenario.id}' has no doctrine '{args[0]}' "
                             f"(doctrines: {known})")

    def build(self, actor: str, spec: str) -> Policy:
        if actor not in self.game.actors:
            raise UsageError(f"unknown actor '{actor}' (actors of this crisis: {', '.join(self.game.actors)})")
        self.check(spec)
        player = self.game.actors.index(actor)
        kind, args = self.parse(spec)
        a = self.arrays
        if kind == "doctrine":
            return self.doctrine(player, args[0], spec)
        if kind == "equilibrium":
            table = self.equilibrium.strategy[player]
        elif kind == "uniform":
            table = _uniform(a, player)
        elif kind == "level":
            table = self.level(player, int(float(args[0])))
        else:
            if args[1:] == ["myopic"]:
                values = (myopic_values(a, player) if a.typed < 0 else
                          spread(a, player, [myopic_values(by_type(a, th), player) for th in range(a.num_types)]))
            else:
                values = self.equilibrium.action_values[player]
            table = _softmax(values, float(args[0]), a, player)
        return TablePolicy(spec, player, table, a.allowed[player])

    def level(self, player: int, k: int) -> ObsTable:
        if k == 0:
            return _uniform(self.arrays, player)
        key = (player, k)
        if key not in self._levels:
            a = self.arrays
            if a.typed < 0:
                self._levels[key] = best_response(a, player, self.level(1 - player, k - 1))
            else:
                # The uninformed actor at level k updates its belief as if the typed actor played
                # level k - 1 (the table it responds to); the typed actor at level k expects the belief
                # to move as a level k - 1 opponent would move it (on the typed actor's level k - 2).
                typed_model = k - 1 if player != a.typed else k - 2
                belief = self.level(a.typed, typed_model) if typed_model >= 1 else None
                self._levels[key] = best_response_typed(a, player, self.level(1 - player, k - 1), belief)
        return self._levels[key]

    def doctrine(self, player: int, name: str, spec: str) -> DoctrinePolicy | DoctrineTable:
        doctrines = self.game.scenario.spec.doctrines
        ids = self.game.rung_ids

        def target(t: str | None) -> str | int | None:
            return None if t is None else ids.index(t) if t in ids else t

        rules = tuple(Rule(None if r.when is None else str(r.when), target(r.do), target(r.signal))  # type: ignore
                      for r in doctrines[name].rules)
        params = {k: float(v) for k, v in self.game.scenario.values.items()}
        a = self.arrays
        rules_form = DoctrinePolicy(spec, player, rules, params, a.values, a.allowed[player], a.legal[player],
                                    a.signals)
        own_lo = a.lo if player == 0 else -a.hi
        return tabulate(rules_form, a.turn_limit, own_lo, a.num_balances) if self.tabulate else rules_form


def _number(text: str, spec: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise UsageError(f"policy '{spec}': expected {what}, got '{text}'") from None
    if not np.isfinite(v) or v < 0:
        raise UsageError(f"policy '{spec}': expected {what}, got '{text}'")
    return v


def _uniform(a: LadderArrays, player: int) -> ObsTable:
    legal = a.class_legal[player].astype(float)
    data = (legal / legal.sum(axis=1, keepdims=True))[None, :, None, None, None, :]
    return ObsTable(data, a.legal_class[player], np.zeros(a.num_rungs, dtype=np.int64), 0)


def _softmax(values: ObsTable, lam: float, a: LadderArrays, player: int) -> ObsTable:
    """Logit response over legal actions; illegal actions get probability zero.

    The table's own-rung classes are refined by the legal classes, so each row knows its legal set.
    """
    pairs = np.stack([values.own_class, a.legal_class[player]], axis=1)
    _, first, own_class = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    data = values.data[:, values.own_class[first]]
    legal = a.legal[player][first]
    mask = legal[None, :, None, None, None, :]
    # Subtract the best legal value before scaling: lam * data overflows for a huge but finite lam
    # (inf - inf = nan), lam * (data - best) <= 0 never does.
    best = np.where(mask, data, -np.inf).max(axis=-1, keepdims=True)
    with np.errstate(over="ignore"):            # a huge lam sends the worse actions to -inf: weight 0
        z = np.where(mask, lam * (data - best), -np.inf)
    w = np.exp(z)
    # C order: ``data`` above came out of fancy indexing in another layout, and a table that is not
    # contiguous is copied whole by every ``ObsTable.rows`` lookup (150 MB per lookup, typed default scenario)
    return ObsTable(np.ascontiguousarray(w / w.sum(axis=-1, keepdims=True)), own_class.reshape(-1), values.opp_class,
                    values.bal_lo, values.variants)
