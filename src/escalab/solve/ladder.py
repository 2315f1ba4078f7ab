"""Equilibria and best responses of a ladder crisis, computed on arrays.

A ladder crisis is a stochastic game with simultaneous moves whose turn counter only goes up, so
it can be solved backwards from the turn limit: at each turn every state is a bimatrix *stage
game* whose payoffs are the expected continuation values (accidents included). Doing that one
state at a time in Python would take minutes, so :class:`LadderArrays` restates the dynamics of
:class:`~escalab.model.LadderGame` as NumPy tables and the backward pass works on whole turns at
once. Tests check these tables against ``LadderGame.transition`` state by state.

**Fog is ignored.** The equilibrium is that of the fog-free game: both actors see the true
positions and the balance, and signals are cheap talk with no effect on payoffs, so none are sent.
Accidents stay in (they change payoffs). A simulated actor that follows the equilibrium looks its
action up at the state it *perceives*; misreadings therefore still matter in simulation.

**Selection.** Stage games often have several equilibria. The rule: among pure equilibria
(found for all stage games of a turn at once, by the best-reply test ``enumpure_solve`` applies),
take the one with the highest sum of payoffs; ties go to the least escalatory action of the first
actor, then of the second. For a stage game without a pure equilibrium, the equilibrium with two
actions in each support and the highest sum of payoffs (:func:`_two_by_two`); failing that, the
first equilibrium pygambit's ``lcp_solve`` returns.

The state of the fog-free game is ``(turn, p0, p1, balance, peak)``. Positions matter only through
the legal actions (``max_step``), so states whose actors have the same legal sets share one stage
game: they are solved once per *legal class*.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from .. import limits
from ..errors import ExpressionError, ModelError
from ..model.ladder import SETTLEMENT_BANDS, LadderGame, LadderState

Progress = Callable[[int, int], None]
TOL = 1e-9
NO_ENDING = -1


@dataclass(frozen=True, eq=False)
class LadderArrays:
    """The dynamics of one ladder crisis as NumPy tables (rung positions are ladder indices).

    ``accident[i][a, x]`` is P(actor i's action chosen at rung a is executed at rung x);
    ``payoff[i][e, t, b, k]`` is actor i's payoff for ending ``e`` (index into ``endings``) after
    ``t`` turns with balance index ``b`` and peak rung ``k``.
    """

    actors: tuple[str, str]
    rung_ids: tuple[str, ...]
    values: np.ndarray
    endings: tuple[str, ...]
    allowed: tuple[np.ndarray, np.ndarray]
    legal: tuple[np.ndarray, np.ndarray]          # (R, A_i): legal columns when standing at rung p
    legal_class: tuple[np.ndarray, np.ndarray]    # (R,): index of p's legal set among the distinct ones
    class_legal: tuple[np.ndarray, np.ndarray]    # (C_i, A_i): the distinct legal sets
    accident: tuple[np.ndarray, np.ndarray]       # (R, R) per actor
    acc_up: tuple[np.ndarray, np.ndarray]         # (R,) per actor, risk included
    acc_down: np.ndarray                          # (R,)
    acc_k: np.ndarray                             # (R,) largest shift
    misperception: float
    effect: np.ndarray                            # (R,) balance effect of an executed rung
    strategic: np.ndarray                         # (R,) bool
    settles: np.ndarray                           # (R,) bool
    gives_up: np.ndarray | None                   # (R,) bool: value <= capitulation value
    lo: int
    hi: int
    drift: int
    turn_limit: int
    start: tuple[int, int]
    initial_balance: int
    signals: bool
    payoff: tuple[np.ndarray, np.ndarray]         # (E, T+1, B, R) per actor (its first type's)
    # Private types (one actor at most): ``typed`` is that actor (-1: none), ``type_payoff[i][θ]`` is
    # actor i's payoff table when the typed actor is of type θ, and beliefs move on a grid of ``grid``.
    typed: int = -1
    type_names: tuple[str, ...] = ("default",)
    type_prior: np.ndarray = field(default_factory=lambda: np.ones(1))
    type_payoff: tuple[np.ndarray, np.ndarray] | None = None      # (n, E, T+1, B, R) per actor
    grid: int = 1

    @property
    def num_types(self) -> int:
        return len(self.type_names)

    @property
    def num_beliefs(self) -> int:
        """Points of the belief grid (1 when no actor has private types)."""
        return self.grid + 1 if self.typed >= 0 else 1

    def payoffs_by_type(self, player: int) -> np.ndarray:
        """(n, E, T+1, B, R): ``player``'s payoff table for each type of the typed actor."""
        if self.type_payoff is None:
            return self.payoff[player][None]
        return self.type_payoff[player]

    @property
    def num_rungs(self) -> int:
        return len(self.rung_ids)

    @property
    def num_balances(self) -> int:
        return self.hi - self.lo + 1

    @property
    def has_accidents(self) -> bool:
        return bool(np.any(self.acc_up[0] > 0) or np.any(self.acc_up[1] > 0) or np.any(self.acc_down > 0))

    def advance(self, balance: Any, peak: Any, x0: Any, x1: Any, turn_next: Any) -> tuple[Any, Any, Any]:
        """Balance, peak and ending code after both actions are executed (arrays broadcast)."""
        b = np.clip(balance + self.drift + self.effect[x0] - self.effect[x1], self.lo, self.hi)
        k = np.maximum(np.maximum(peak, x0), x1)
        return b, k, self.ending_code(x0, x1, b, turn_next)

    def ending_code(self, x0: Any, x1: Any, balance: Any, turn: Any) -> np.ndarray:
        """The vectorised twin of :meth:`LadderGame.ending`, checked in the same order."""
        x0, x1, balance, turn = np.broadcast_arrays(x0, x1, balance, turn)
        code = np.full(x0.shape, NO_ENDING, dtype=np.int64)
        # Assign from the last check to the first, so earlier checks overwrite later ones.
        code[turn >= self.turn_limit] = 4
        code[self.settles[x0] & self.settles[x1]] = 0
        code[balance >= self.hi] = 2
        code[balance <= self.lo] = 1
        if self.gives_up is not None:
            g0, g1 = self.gives_up[x0], self.gives_up[x1]
            code[g1 & ~g0] = 2
            code[g0 & ~g1] = 1
        code[self.strategic[x0] | self.strategic[x1]] = 3
        return code


def ladder_arrays(game: LadderGame, accidents: bool = True) -> LadderArrays:
    """Tabulate a compiled ladder crisis (``accidents=False`` zeroes every accident probability)."""
    R = game.num_rungs
    lo, hi = game.balance_range
    T = game.spec.turn_limit
    allowed = tuple(np.array(a, dtype=np.int64) for a in game.allowed)
    legal, classes, class_legal = [], [], []
    for i in (0, 1):
        mask = np.zeros((R, len(allowed[i])), dtype=bool)
        for p in range(R):
            state = LadderState(turn=0, positions=(p, p), perceived=(p, p), signals=(None, None),
                                balance=0, peak=p)
            cols = np.searchsorted(allowed[i], game.legal_actions(state, i))
            mask[p, cols] = True
        uniq, inverse = np.unique(mask, axis=0, return_inverse=True)
        legal.append(mask)
        classes.append(inverse.reshape(-1).astype(np.int64))
        class_legal.append(uniq)
    accident, ups = [], []
    down = np.zeros(R)
    k = np.ones(R, dtype=np.int64)
    for i in (0, 1):
        mat = np.zeros((R, R))
        up = np.zeros(R)
        for a in range(R):
            if accidents:
                for p, x in game.accident_outcomes(a, i):
                    mat[a, x] += p
                u, d, kk = game.accidents.get(game.bands[a], (0.0, 0.0, 1))
                up[a], down[a], k[a] = u * game.risk[i], d, kk
            else:
                mat[a, a] = 1.0
        accident.append(mat)
        ups.append(up)
    effect = np.array([game.balance_effect[b] for b in game.bands], dtype=np.int64)
    cap = game.spec.capitulation_value
    gives_up = None if cap is None else game.values <= cap
    endings = game.endings()
    t, b, kk = np.meshgrid(np.arange(T + 1), np.arange(lo, hi + 1), np.arange(R), indexing="ij")
    n_types = len(game.type_names[game.typed]) if game.typed >= 0 else 1
    # budget before allocating the payoff tables (every analysis of a ladder crisis builds them)
    cells = 2 * n_types * len(endings) * (T + 1) * (hi - lo + 1) * R
    where = f"{game.scenario.id}: the payoff tables (types x endings x turns x balances x rungs)"
    limits.STATE_SPACE.check(cells, where=where)
    limits.check_memory(8 * cells, where)
    by_type = []
    for i in (0, 1):
        table = np.zeros((n_types, len(endings), T + 1, hi - lo + 1, R))
        for theta in range(n_types):
            for e, name in enumerate(endings):
                extra = {"turns": t, "peak": game.values[kk], "balance": b}
                path = game.payoff_path(name, i, theta if i == game.typed else 0)
                try:
                    v = game.scenario.evaluate(*path, extra=extra)
                except ExpressionError as exc:
                    raise ModelError(exc.message) from None
                table[theta, e] = np.broadcast_to(np.asarray(v, dtype=float), table[theta, e].shape)
        by_type.append(table)
    payoff = [table[0] for table in by_type]
    start = game.initial_state()
    return LadderArrays(
        actors=game.actors, rung_ids=game.rung_ids, values=game.values, endings=endings,
        allowed=allowed, legal=tuple(legal), legal_class=tuple(classes), class_legal=tuple(class_legal),
        accident=tuple(accident), acc_up=tuple(ups), acc_down=down if accidents else np.zeros(R), acc_k=k,
        misperception=float(game.misperception), effect=effect,
        strategic=np.array([bd == "strategic" for bd in game.bands]),
        settles=np.array([bd in SETTLEMENT_BANDS for bd in game.bands]), gives_up=gives_up,
        lo=lo, hi=hi, drift=game.spec.balance.drift, turn_limit=T, start=start.positions,
        initial_balance=start.balance, signals=game.spec.signals, payoff=tuple(payoff),
        typed=game.typed, type_names=game.type_names[game.typed] if game.typed >= 0 else ("default",),
        type_prior=np.asarray(game.type_prior, dtype=float),
        type_payoff=(by_type[0], by_type[1]) if game.typed >= 0 else None,
        grid=game.belief_grid if game.typed >= 0 else 1)


# ----------------------------------------------------------------------------- tables over observations
@dataclass(frozen=True, eq=False)
class ObsTable:
    """A policy or value table over one actor's observation, in that actor's own coordinates.

    ``data`` has shape ``(T, C_own, C_opp, B, K, A)``: turn, the class of the actor's own rung,
    the class of the opponent's (perceived) rung, the balance seen from the actor's side (index
    from ``bal_lo``), the peak rung, and one column per allowed action. A dimension of size 1 is
    one the table does not depend on.

    In a crisis with private types a table may also depend on a *variant* (the actor's own type
    and the belief about the typed actor, see :mod:`escalab.solve.ladder_types`): then the first
    axis holds ``variants`` blocks of turns, variant-major, and lookups take the variant per row.
    """

    data: np.ndarray
    own_class: np.ndarray
    opp_class: np.ndarray
    bal_lo: int
    variants: int = 1

    @property
    def variant_stride(self) -> int:
        """Rows between one variant's block and the next (0 for a table without variants)."""
        if self.variants == 1:
            return 0
        VT, C0, C1, B, K, _ = self.data.shape
        return (VT // self.variants) * C0 * C1 * B * K

    def rows(self, t: int | np.ndarray, own: np.ndarray, opp: np.ndarray, bal: np.ndarray,
             peak: np.ndarray, variant: np.ndarray | None = None) -> np.ndarray:
        """The rows (n, A) for n observations."""
        T, _, _, B, K, A = self.data.shape
        flat = self.data.reshape(-1, A)
        return flat[self.flat_index(t, own, opp, bal, peak, variant)]

    def flat_index(self, t: int | np.ndarray, own: np.ndarray, opp: np.ndarray, bal: np.ndarray,
                   peak: np.ndarray, variant: np.ndarray | None = None) -> np.ndarray:
        """Row numbers in ``data.reshape(-1, A)``; dimensions of size 1 add nothing."""
        VT, C0, C1, B, K, _ = self.data.shape
        T = VT // self.variants
        own_off, opp_off = self._offsets
        idx = np.take(own_off, own) + np.take(opp_off, opp)
        if self.variants > 1 and variant is not None:
            idx += variant * self.variant_stride
        if B > 1:
            idx += bal * K if K > 1 else bal
        if K > 1:
            idx += peak
        base = (-self.bal_lo * K if B > 1 else 0) + (np.asarray(t) * (C0 * C1 * B * K) if T > 1 else 0)
        return idx + base if np.any(base) else idx

    @property
    def _offsets(self) -> tuple[np.ndarray, np.ndarray]:
        cached = self.__dict__.get("_offsets_cache")
        if cached is None:
            _, C0, C1, B, K, _ = self.data.shape
            dtype = np.int32 if self.data.size < 2 ** 31 else np.int64     # compact offsets, fewer bytes
            cached = ((self.own_class * (C1 * B * K)).astype(dtype), (self.opp_class * (B * K)).astype(dtype))
            object.__setattr__(self, "_offsets_cache", cached)
        return cached


def _own_view(arrays: LadderArrays, player: int, table: np.ndarray, classes: tuple[np.ndarray, np.ndarray],
              variants: int = 1) -> ObsTable:
    """Turn a fog-free table (T, C0, C1, B, K, A) into ``player``'s own coordinates."""
    if player == 0:
        return ObsTable(table, classes[0], classes[1], arrays.lo, variants)
    # Actor 1 sees itself first and the balance from its side: swap the class axes, flip the balance.
    view = np.ascontiguousarray(np.swapaxes(table, 1, 2)[:, :, :, ::-1])
    return ObsTable(view, classes[1], classes[0], -arrays.hi, variants)


# ----------------------------------------------------------------------------- the backward pass
def _after_turn(arrays: LadderArrays, t: int, future: np.ndarray | None, actor: int) -> np.ndarray:
    """W[b, k, x0, x1]: ``actor``'s value once actions x0, x1 are executed at turn t from (b, k).

    ``future[p0, p1, b, k]`` is the value at turn t + 1 (None when t + 1 is the turn limit).
    """
    return after_turn(arrays, t, future, arrays.payoff[actor])


def after_turn(arrays: LadderArrays, t: int, future: np.ndarray | None, payoff: np.ndarray,
               extra: tuple[int, ...] = ()) -> np.ndarray:
    """W[b, k, x0, x1, ...]: the value once x0, x1 are executed at turn t from (b, k): an ending pays
    ``payoff[e, turns, b, k]``, a crisis that goes on is worth ``future[x0, x1, b', k', ...]``.

    Trailing axes of ``future`` (``extra`` when it is None; with private types, the next belief) are
    carried along; endings pay the same on all of them.
    """
    R = arrays.num_rungs
    b = np.arange(arrays.lo, arrays.hi + 1)[:, None, None, None]
    k = np.arange(R)[None, :, None, None]
    x0 = np.arange(R)[None, None, :, None]
    x1 = np.arange(R)[None, None, None, :]
    nb, nk, code = arrays.advance(b, k, x0, x1, t + 1)
    nb, nk, code, xs0, xs1 = np.broadcast_arrays(nb - arrays.lo, nk, code, x0, x1)
    ended = code >= 0
    extra = tuple(future.shape[4:]) if future is not None else tuple(extra)
    out = np.empty(code.shape + extra)
    out[ended] = payoff[code[ended], t + 1, nb[ended], nk[ended]].reshape((-1,) + (1,) * len(extra))
    if future is not None:
        live = ~ended
        out[live] = future[xs0[live], xs1[live], nb[live], nk[live]]
    elif not ended.all():
        raise ModelError("internal: a state at the turn limit has not ended")
    return out


def stage_payoffs(arrays: LadderArrays, t: int, future: np.ndarray | None, actor: int) -> np.ndarray:
    """U[b, k, a0, a1]: ``actor``'s expected continuation for each pair of allowed actions."""
    acc0 = arrays.accident[0][arrays.allowed[0]]
    acc1 = arrays.accident[1][arrays.allowed[1]]
    return np.einsum("ax,bkxy,cy->bkac", acc0, _after_turn(arrays, t, future, actor), acc1, optimize=True)


def _expand(arrays: LadderArrays, by_class: np.ndarray) -> np.ndarray:
    """(C0, C1, ...) -> (R, R, ...): from legal classes back to positions."""
    return by_class[arrays.legal_class[0]][:, arrays.legal_class[1]]


def pure_equilibria(G0: np.ndarray, G1: np.ndarray, L0: np.ndarray, L1: np.ndarray) -> np.ndarray:
    """Pure-equilibrium mask (N, A0, A1) of N bimatrix games; L0 (N, A0), L1 (N, A1) mark legal actions."""
    legal = L0[:, :, None] & L1[:, None, :]
    M0 = np.where(legal, G0, -np.inf)
    M1 = np.where(legal, G1, -np.inf)
    best0 = M0.max(axis=1, keepdims=True)
    best1 = M1.max(axis=2, keepdims=True)
    br0 = M0 >= best0 - TOL * (1 + np.abs(best0))
    br1 = M1 >= best1 - TOL * (1 + np.abs(best1))
    return legal & br0 & br1


def solve_stage_games(G0: np.ndarray, G1: np.ndarray, L0: np.ndarray, L1: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, int]:
    """One equilibrium per stage game, by the module's selection rule; returns (σ0, σ1, #mixed)."""
    N, A0, A1 = G0.shape
    ne = pure_equilibria(G0, G1, L0, L1)
    welfare = np.where(ne, G0 + G1, -np.inf)
    top = welfare.reshape(N, -1).max(axis=1)
    pick = ne & (welfare >= (top - TOL * (1 + np.abs(top)))[:, None, None])
    flat = np.argmax(pick.reshape(N, -1), axis=1)
    s0 = np.zeros((N, A0))
    s1 = np.zeros((N, A1))
    has = ne.reshape(N, -1).any(axis=1)
    rows = np.nonzero(has)[0]
    s0[rows, flat[rows] // A1] = 1.0
    s1[rows, flat[rows] % A1] = 1.0
    mixed = np.nonzero(~has)[0]
    if len(mixed):
        # Many states share a stage game; solve each distinct one once.
        key = np.concatenate([np.round(G0[mixed], 9).reshape(len(mixed), -1),
                              np.round(G1[mixed], 9).reshape(len(mixed), -1), L0[mixed], L1[mixed]], axis=1)
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        games = mixed[first]
        e0, e1, found = _two_by_two(G0[games], G1[games], L0[games], L1[games])
        for u in np.nonzero(~found)[0]:
            n = games[u]
            e0[u], e1[u] = _lcp(G0[n], G1[n], L0[n], L1[n])
        s0[mixed], s1[mixed] = e0[inverse], e1[inverse]
    return s0, s1, len(mixed)


def _two_by_two(G0: np.ndarray, G1: np.ndarray, L0: np.ndarray, L1: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each game, the equilibrium with two actions in each support and the highest sum of payoffs
    (support enumeration restricted to 2x2 supports, on many games at once); ``found`` is False where
    no 2x2 support carries an equilibrium."""
    N, A0, A1 = G0.shape
    per_game = (A0 * (A0 - 1) // 2) * (A1 * (A1 - 1) // 2) * max(A0, A1, 1)
    batch = max(1, 4_000_000 // max(per_game, 1))
    if N > batch:
        parts = [_two_by_two(G0[s:s + batch], G1[s:s + batch], L0[s:s + batch], L1[s:s + batch])
                 for s in range(0, N, batch)]
        return tuple(np.concatenate(x) for x in zip(*parts))  # type: ignore[return-value]
    r = np.array([(i, j) for i in range(A0) for j in range(i + 1, A0)], dtype=np.int64).reshape(-1, 2)
    c = np.array([(i, j) for i in range(A1) for j in range(i + 1, A1)], dtype=np.int64).reshape(-1, 2)
    s0 = np.zeros((N, A0))
    s1 = np.zeros((N, A1))
    if len(r) == 0 or len(c) == 0:
        return s0, s1, np.zeros(N, dtype=bool)
    i, i2 = r[:, 0][None, :, None], r[:, 1][None, :, None]       # (1, Pr, 1)
    j, j2 = c[:, 0][None, None, :], c[:, 1][None, None, :]       # (1, 1, Pc)
    n = np.arange(N)[:, None, None]
    a, b_, cc, d = G0[n, i, j], G0[n, i, j2], G0[n, i2, j], G0[n, i2, j2]
    e, f, g, h = G1[n, i, j], G1[n, i, j2], G1[n, i2, j], G1[n, i2, j2]
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (d - b_) / (a - b_ - cc + d)          # P(column j): row player indifferent between i and i2
        p = (h - g) / (e - g - f + h)             # P(row i): column player indifferent between j and j2
    ok = (L0[n, i] & L0[n, i2] & L1[n, j] & L1[n, j2] & np.isfinite(p) & np.isfinite(q)
          & (p > TOL) & (p < 1 - TOL) & (q > TOL) & (q < 1 - TOL))
    p, q = np.where(ok, p, 0.5), np.where(ok, q, 0.5)
    # Payoff of every row against the column mix, and of every column against the row mix.
    Gj, Gj2 = G0[:, :, c[:, 0]].transpose(0, 2, 1), G0[:, :, c[:, 1]].transpose(0, 2, 1)    # (N, Pc, A0)
    row_pay = q[..., None] * Gj[:, None] + (1 - q[..., None]) * Gj2[:, None]                   # (N, Pr, Pc, A0)
    Gi, Gi2 = G1[:, r[:, 0], :], G1[:, r[:, 1], :]                                              # (N, Pr, A1)
    col_pay = p[..., None] * Gi[:, :, None] + (1 - p[..., None]) * Gi2[:, :, None]              # (N, Pr, Pc, A1)
    v0 = q * a + (1 - q) * b_
    v1 = p * e + (1 - p) * g
    best0 = np.where(L0[:, None, None, :], row_pay, -np.inf).max(axis=-1)
    best1 = np.where(L1[:, None, None, :], col_pay, -np.inf).max(axis=-1)
    ok &= (best0 <= v0 + TOL * (1 + np.abs(v0))) & (best1 <= v1 + TOL * (1 + np.abs(v1)))
    welfare = np.where(ok, v0 + v1, -np.inf).reshape(N, -1)
    top = welfare.max(axis=1)
    pick = np.argmax(welfare >= (top - TOL * (1 + np.abs(top)))[:, None], axis=1)
    found = np.isfinite(top)
    pr, pc = np.unravel_index(pick, (len(r), len(c)))
    rows = np.nonzero(found)[0]
    pp, qq = p.reshape(N, -1)[rows, pick[rows]], q.reshape(N, -1)[rows, pick[rows]]
    s0[rows, r[pr[rows], 0]], s0[rows, r[pr[rows], 1]] = pp, 1 - pp
    s1[rows, c[pc[rows], 0]], s1[rows, c[pc[rows], 1]] = qq, 1 - qq
    return s0, s1, found


def _lcp(G0: np.ndarray, G1: np.ndarray, L0: np.ndarray, L1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import pygambit as gbt

    r, c = np.nonzero(L0)[0], np.nonzero(L1)[0]
    game = gbt.Game.from_arrays(G0[np.ix_(r, c)], G1[np.ix_(r, c)])
    eq = gbt.nash.lcp_solve(game, rational=False).equilibria[0]
    s0 = np.zeros(len(L0))
    s1 = np.zeros(len(L1))
    p0, p1 = game.players
    s0[r] = [float(eq[s]) for s in p0.strategies]
    s1[c] = [float(eq[s]) for s in p1.strategies]
    return s0 / s0.sum(), s1 / s1.sum()


@dataclass(frozen=True, eq=False)
class LadderEquilibrium:
    """A Markov perfect equilibrium of the fog-free crisis, unrolled to the turn limit.

    ``strategy[i]`` and ``action_values[i]`` are in actor i's own observation coordinates:
    the equilibrium mixed action, and the expected value of each own action when the opponent
    plays its equilibrium strategy (the input of a logit response). ``values[i][t]`` is indexed by
    fog-free states (p0, p1, b, k).
    """

    arrays: LadderArrays
    strategy: tuple[ObsTable, ObsTable]
    action_values: tuple[ObsTable, ObsTable]
    values: tuple[np.ndarray, np.ndarray]   # (T, R, R, B, R); with types (T, n, R, R, B, R, beliefs)
    mixed_stage_games: int      # stage games without a pure equilibrium, solved in mixed strategies
    unsettled: int = 0          # with types: stage games without a pure perfect Bayesian equilibrium where
                                # no mixed one was found (an ε-equilibrium is kept there)
    epsilon: float = 0.0        # with types: the largest gain from a deviation, measured over all stage games

    def grid_error(self):  # noqa: ANN201 (GridError | None; no import cycle)
        """With types, what the belief grid costs, measured in the game with exact Bayes beliefs
        (:func:`escalab.solve.ladder_types.grid_error`; None without types, or where exact beliefs
        reach more states than that measurement enumerates). Computed once, on first use."""
        if "_grid_error" not in self.__dict__:
            from .ladder_types import grid_error

            object.__setattr__(self, "_grid_error", grid_error(self) if self.arrays.typed >= 0 else None)
        return self.__dict__["_grid_error"]

    def value(self) -> tuple[float, float]:
        """Each actor's expected payoff from the start of the crisis (over the prior of types)."""
        a = self.arrays
        p0, p1 = a.start
        at = (p0, p1, a.initial_balance - a.lo, max(p0, p1))
        if a.typed < 0:
            return tuple(float(self.values[i][(0,) + at]) for i in (0, 1))  # type: ignore
        from .ladder_types import prior_lottery

        # at the exact prior: its lottery over the two neighbouring grid points
        g, w = prior_lottery(float(a.type_prior[0]), a.grid)
        v = [self.values[i][(0, slice(None)) + at] for i in (0, 1)]                  # (n, Gp)
        at_prior = [(1 - w) * x[:, g] + (w * x[:, g + 1] if w > 0 else 0.0) for x in v]
        return tuple(float(np.dot(a.type_prior, at_prior[i])) for i in (0, 1))  # type: ignore


# ----------------------------------------------------------------------------- one solve per crisis
# ``escalab run`` builds the same crisis in several places (its own section, a variant whose ladder
# crisis is unchanged, the agents of a play); a typed equilibrium takes half a minute. The memo is
# keyed by the content of the arrays, which is all a solve reads, so a hit returns what a fresh
# solve would compute, bit for bit. It keeps the last few (a typed equilibrium is large).
MEMO_SIZE = 4
_memo: OrderedDict[str, LadderEquilibrium] = OrderedDict()
SOLVES = Counter()   # computed solves per kind ("typed", "untyped"): tests count them
_memo_lock = threading.Lock()


def arrays_key(arrays: LadderArrays) -> str:
    """A digest of everything a solve reads from ``arrays``."""
    h = hashlib.sha256()

    def feed(x: Any) -> None:
        if isinstance(x, np.ndarray):
            h.update(f"a{x.dtype.str}{x.shape}".encode())
            h.update(np.ascontiguousarray(x).tobytes())
        elif isinstance(x, (tuple, list)):
            h.update(f"t{len(x)}(".encode())
            for y in x:
                feed(y)
            h.update(b")")
        else:
            h.update(f"s{type(x).__name__}:{x!r};".encode())

    for f in fields(arrays):
        h.update(f.name.encode())
        feed(getattr(arrays, f.name))
    return h.hexdigest()


def clear_memo() -> None:
    with _memo_lock:
        _memo.clear()


def remember(eq: LadderEquilibrium, key: str | None = None) -> None:
    """Put an equilibrium in this process's memo (one solved here, or elsewhere by the same code): a
    later solve of the same crisis content returns it instead of solving again."""
    with _memo_lock:
        _memo[key or arrays_key(eq.arrays)] = eq
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)


def solve_equilibrium(arrays: LadderArrays, progress: Progress | None = None) -> LadderEquilibrium:
    """Backward induction over turns; one batch of stage games per turn (with private types, the
    perfect Bayesian equilibrium of :mod:`escalab.solve.ladder_types`). Solved once per crisis
    content in a process (see ``_memo``) and once per machine (:mod:`escalab.solve.ladder_cache`)."""
    key = arrays_key(arrays)
    with _memo_lock:                # games played on threads (tournament --threads) share the memo
        eq = _memo.get(key)
        if eq is not None:
            _memo.move_to_end(key)
    if eq is None:
        from . import ladder_cache

        with ladder_cache.slot(key) as disk:    # this machine's cache; another process solving it is waited for
            eq = disk.load(arrays) if disk is not None else None
            if eq is None:
                eq = _solve_equilibrium(arrays, progress)
                with _memo_lock:
                    SOLVES["typed" if arrays.typed >= 0 else "untyped"] += 1
                if disk is not None:
                    disk.store(eq)
            elif progress is not None:
                progress(1, 1)
        remember(eq, key)
    elif progress is not None:
        progress(1, 1)              # nothing left to solve
    return eq if eq.arrays is arrays else replace(eq, arrays=arrays)


def _solve_equilibrium(arrays: LadderArrays, progress: Progress | None = None) -> LadderEquilibrium:
    if arrays.typed >= 0:
        from .ladder_types import solve_typed

        return solve_typed(arrays, progress)
    T, R, B = arrays.turn_limit, arrays.num_rungs, arrays.num_balances
    C0, C1 = len(arrays.class_legal[0]), len(arrays.class_legal[1])
    A0, A1 = len(arrays.allowed[0]), len(arrays.allowed[1])
    cells = 2 * T * C0 * C1 * B * R * (A0 + A1) + 2 * T * R ** 3 * B
    where = "the equilibrium of the ladder crisis (strategies and values per turn)"
    limits.STATE_SPACE.check(cells, where=where)
    limits.check_memory(8 * cells, where)
    sig = [np.zeros((T, C0, C1, B, R, A)) for A in (A0, A1)]
    qv = [np.zeros((T, C0, C1, B, R, A)) for A in (A0, A1)]
    values = [np.zeros((T, R, R, B, R)) for _ in (0, 1)]
    future: list[np.ndarray | None] = [None, None]
    mixed = 0
    L0 = np.broadcast_to(arrays.class_legal[0][:, None, None, None, :], (C0, C1, B, R, A0)).reshape(-1, A0)
    L1 = np.broadcast_to(arrays.class_legal[1][None, :, None, None, :], (C0, C1, B, R, A1)).reshape(-1, A1)
    for t in range(T - 1, -1, -1):
        U0, U1 = stage_payoffs(arrays, t, future[0], 0), stage_payoffs(arrays, t, future[1], 1)
        G0 = np.broadcast_to(U0, (C0, C1, B, R, A0, A1)).reshape(-1, A0, A1)
        G1 = np.broadcast_to(U1, (C0, C1, B, R, A0, A1)).reshape(-1, A0, A1)
        s0, s1, m = solve_stage_games(G0, G1, L0, L1)
        mixed += m
        q0 = np.einsum("nac,nc->na", G0, s1)
        q1 = np.einsum("nac,na->nc", G1, s0)
        shape = (C0, C1, B, R)
        sig[0][t], sig[1][t] = s0.reshape(shape + (A0,)), s1.reshape(shape + (A1,))
        qv[0][t], qv[1][t] = q0.reshape(shape + (A0,)), q1.reshape(shape + (A1,))
        v0 = np.einsum("na,na->n", s0, q0).reshape(shape)
        v1 = np.einsum("nc,nc->n", s1, q1).reshape(shape)
        values[0][t], values[1][t] = _expand(arrays, v0), _expand(arrays, v1)
        future = [values[0][t], values[1][t]]
        if progress is not None:
            progress(T - t, T)
    classes = arrays.legal_class
    return LadderEquilibrium(
        arrays=arrays,
        strategy=(_own_view(arrays, 0, sig[0], classes), _own_view(arrays, 1, sig[1], classes)),
        action_values=(_own_view(arrays, 0, qv[0], classes), _own_view(arrays, 1, qv[1], classes)),
        values=(values[0], values[1]), mixed_stage_games=mixed)


def best_response(arrays: LadderArrays, player: int, opponent: ObsTable,
                  progress: Progress | None = None) -> ObsTable:
    """A deterministic best response of ``player`` to a fixed opponent policy (fog-free, by backward
    induction); ties go to the least escalatory action.

    Positions matter through ``player``'s legal set and through what the opponent's table
    distinguishes, so states are grouped by those classes and solved once per class.
    """
    T, B, R = arrays.turn_limit, arrays.num_balances, arrays.num_rungs
    other = 1 - player
    A = len(arrays.allowed[player])
    pairs = np.stack([arrays.legal_class[player], opponent.opp_class], axis=1)
    _, first_i, cls_i = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    cls_i = cls_i.reshape(-1)
    _, first_j, cls_j = np.unique(opponent.own_class, return_index=True, return_inverse=True)
    cls_j = cls_j.reshape(-1)
    Ci, Cj = len(first_i), len(first_j)
    legal = arrays.legal[player][first_i]                               # (Ci, A)
    # Opponent's rows at representative positions, laid out (c_player, c_other, b, k, A_other).
    ci, cj, b, k = np.meshgrid(np.arange(Ci), np.arange(Cj), np.arange(B), np.arange(R), indexing="ij")
    sign = 1 if other == 0 else -1
    own_b = sign * (b + arrays.lo)
    out = np.zeros((T, Ci, Cj, B, R, A))
    future: np.ndarray | None = None
    for t in range(T - 1, -1, -1):
        U = stage_payoffs(arrays, t, future, player)                   # (B, K, A0, A1)
        pi = opponent.rows(t, first_j[cj.ravel()], first_i[ci.ravel()], own_b.ravel(), k.ravel())
        pi = pi.reshape(Ci, Cj, B, R, -1)
        if player == 0:
            Q = np.einsum("bkac,ijbkc->ijbka", U, pi, optimize=True)
        else:
            Q = np.einsum("bkac,ijbka->ijbkc", U, pi, optimize=True)
        Qm = np.where(legal[:, None, None, None, :], Q, -np.inf)
        top = Qm.max(axis=-1, keepdims=True)
        choice = np.argmax(Qm >= top - TOL * (1 + np.abs(top)), axis=-1)
        onehot = np.zeros(Q.shape)
        np.put_along_axis(onehot, choice[..., None], 1.0, axis=-1)
        out[t] = onehot
        v = top[..., 0]                                                   # (Ci, Cj, B, K)
        v = v[cls_i][:, cls_j]                                            # (R_player, R_other, B, K)
        future = v if player == 0 else np.swapaxes(v, 0, 1)
        if progress is not None:
            progress(T - t, T)
    if player == 0:
        return ObsTable(out, cls_i, cls_j, arrays.lo)
    # Balance axis is in actor 0's terms (b + lo); actor 1 reads its own side, -b.
    return ObsTable(np.ascontiguousarray(out[:, :, :, ::-1]), cls_i, cls_j, -arrays.hi)


def myopic_values(arrays: LadderArrays, player: int) -> ObsTable:
    """One-step action values: the opponent is assumed to repeat the action it appeared to take, and
    the state after this turn is scored by its ending payoff, or, if the crisis goes on, by the
    'turn_limit' payoff as if it stopped there."""
    T, R, B = arrays.turn_limit, arrays.num_rungs, arrays.num_balances
    A = len(arrays.allowed[player])
    out = np.zeros((T, 1, R, B, R, A))
    limit = arrays.endings.index("turn_limit")
    for t in range(T):
        standing = np.broadcast_to(arrays.payoff[player][limit, t + 1][None, None, :, :], (R, R, B, R))
        U = stage_payoffs_full(arrays, t, standing, player)           # (B, K, A, R_other)
        view = np.transpose(U, (3, 0, 1, 2))                            # (R_other, B, K, A)
        out[t, 0] = view if player == 0 else view[:, ::-1]
    own = np.zeros(R, dtype=np.int64)
    return ObsTable(out, own, np.arange(R), arrays.lo if player == 0 else -arrays.hi)


def stage_payoffs_full(arrays: LadderArrays, t: int, standing: np.ndarray, player: int) -> np.ndarray:
    """U[b, k, a, r]: ``player``'s expected value of own allowed action a when the opponent's action
    is rung r (any rung, with its accidents), continuation ``standing[p0, p1, b, k]``."""
    W = _after_turn(arrays, t, standing, player)                          # (B, K, X0, X1)
    mine = arrays.accident[player][arrays.allowed[player]]               # (A, R)
    theirs = arrays.accident[1 - player]                                  # (R, R)
    if player == 0:
        return np.einsum("ax,bkxy,ry->bkar", mine, W, theirs, optimize=True)
    return np.einsum("rx,bkxy,ay->bkar", theirs, W, mine, optimize=True)
