"""Private types in a ladder crisis: beliefs on a grid and a perfect Bayesian equilibrium.

One actor of a ladder crisis may have two private types (a resolute and an irresolute President),
drawn by chance at the start from the scenario's prior. Each type has its own ending payoffs and
its own policy. The other actor holds a belief ``μ`` = P(first type) and updates it by Bayes' rule
from what it sees of the typed actor's action.

**The belief grid.** Exact posteriors after t turns form a tree that grows with every history, so
beliefs live on the grid ``0, 1/N, ..., 1`` (``N = ladder_crisis.belief_grid``). A posterior (or the
prior) strictly between two grid points becomes the mean-preserving lottery over those two points
(:func:`lottery`): the continuation value is then linear in the posterior between grid points,
hence continuous, which the existence of a stage-game equilibrium needs, and the prior is exact
(values are reported at it, :meth:`LadderEquilibrium.value`). The solver, the exact Markov analysis
(a branch per point, with its chance), both Monte Carlo engines (a draw from the run's generator)
and played games compute the posterior with the same floating-point operations
(:func:`posterior`), so they describe one and the same process. What the grid costs against exact
Bayes' rule is measured in the game with exact beliefs (:func:`grid_error`).

**The belief is common knowledge.** The belief index is part of the state, and the typed actor's
policy reads it. In the fog-free equilibrium that is exact (both see everything). In simulation
with misreadings the uninformed actor updates from the action it *perceives*, with likelihood
P(seen | type) = Σ_a π_type(a) P(executed x | a) P(seen | x), evaluating the typed actor's policy
at the state as the uninformed actor sees it; the typed actor is assumed to know that belief. This
is the stated approximation to the fog: neither actor reasons about what the other misperceived.

**The equilibrium** is perfect Bayesian over the belief-augmented fog-free state
``(turn, p0, p1, balance, peak, belief)``, by backward induction. At each state the stage game has
three agents: the uninformed actor and each type of the typed actor. For every pure profile of
the two types the posterior after each executed action is fixed (off the path, the belief stays
where it was), so each profile's continuation payoffs are known and a pure profile is an
equilibrium when no agent gains by deviating. Selection follows :mod:`escalab.solve.ladder`: the
highest expected sum of payoffs, ties to the least escalatory action of the uninformed actor,
then of the first type, then of the second.

**Stage games without a pure equilibrium are solved in mixed strategies.** A type's mix moves the
posterior, and the posterior moves every payoff - continuously, with the lottery. The search
(:func:`_mixed_stage_games`) takes supports in which one type mixes two actions with probability r,
the other type plays one action or the same mix and the uninformed actor plays one action or mixes
two; each support is then a problem in r alone (:func:`_search`: sampled, then solved by regula
falsi), the uninformed mix following from the mixing type's indifference. Supports next to the
pure profile with the smallest largest gain are tried first, then every support, within a budget
per turn (``MIXED_BUDGET``, ``FULL_SEARCH``; the stage games with the largest gain first). Every
candidate is checked with its own posteriors: a stage game counts as solved when no agent gains
more than floating tolerance by deviating. Where none is found (another support, or the budget),
the profile with the smallest largest gain is kept. ``LadderEquilibrium`` reports how many stage
games were solved in mixed strategies (``mixed_stage_games``), how many are left approximate
(``unsettled``) and the largest gain from deviating over every stage game (``epsilon``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product

import numpy as np

from ..errors import ModelError

Progress = Callable[[int, int], None]
TOL = 1e-9


# ----------------------------------------------------------------------------- the belief grid
SNAP = 1e-10      # a posterior within this many grid steps of a grid point is that point


def lottery(post: np.ndarray, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean-preserving lottery over the two grid points around belief ``post`` (P(first type)):
    the lower point's index and the chance of the upper one. A belief on the grid (to ``SNAP``)
    has chance 0; the continuation value is then linear in the belief between grid points."""
    x = np.asarray(post, dtype=float) * grid
    near = np.floor(x + 0.5)
    x = np.where(np.abs(x - near) <= SNAP, near, x)
    lo = np.clip(np.floor(x), 0, grid)
    w = np.where(lo >= grid, 0.0, x - lo)
    return lo.astype(np.int64), w


def prior_lottery(prior_first: float, grid: int) -> tuple[int, float]:
    """The start of a typed crisis: the prior's lottery over its two neighbouring grid points."""
    lo, w = lottery(np.array(prior_first), grid)
    return int(lo), float(w)


def prior_index(prior_first: float, grid: int) -> int:
    """The lower grid point of the prior's lottery (see :func:`prior_lottery`)."""
    return prior_lottery(prior_first, grid)[0]


def posterior(g: np.ndarray, like0: np.ndarray, like1: np.ndarray, grid: int) -> np.ndarray:
    """Bayes' rule from belief index g (P(first type) = g / grid) and the likelihoods of what was
    seen under each type; where both likelihoods are zero (an observation the belief rules out)
    the belief stays. Every engine computes it with these operations in this order."""
    mu0 = g / grid
    mu1 = 1.0 - mu0
    num0 = mu0 * like0
    den = num0 + mu1 * like1
    with np.errstate(divide="ignore", invalid="ignore"):
        post = num0 / den
    return np.where(den > 0, post, mu0)


def posterior_lottery(g: np.ndarray, like0: np.ndarray, like1: np.ndarray, grid: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Bayes' rule, then the lottery onto the grid: (lower index, chance of the upper one)."""
    return lottery(posterior(g, like0, like1, grid), grid)


def draw(lo: np.ndarray, w: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The grid point a lottery lands on, from a uniform: the upper one when u < its chance."""
    return lo + (u < w)


def perceived_likelihood(arrays, player: int) -> np.ndarray:  # noqa: ANN001 (LadderArrays; no import cycle)
    """M[a, n]: P(the opponent sees rung n | ``player`` chose its a-th allowed action), accidents and
    misreadings included (the likelihood the uninformed actor's Bayes' rule uses)."""
    R = arrays.num_rungs
    m = arrays.misperception
    perc = np.zeros((R, R))
    for x in range(R):
        perc[x, x] += 1.0 - m
        perc[x, max(x - 1, 0)] += m / 2
        perc[x, min(x + 1, R - 1)] += m / 2
    return arrays.accident[player][arrays.allowed[player]] @ perc


# ----------------------------------------------------------------------------- the solver
def solve_typed(a, progress: Progress | None = None):  # noqa: ANN001, ANN201 (LadderArrays -> LadderEquilibrium)
    """The perfect Bayesian equilibrium of a crisis with private types (see the module notes)."""
    from .ladder import LadderEquilibrium, _own_view, after_turn

    tau = a.typed
    ups = 1 - tau
    n = a.num_types
    if n != 2:
        raise ModelError(f"a ladder crisis supports two private types per actor, got {n}")
    T, R, B, G = a.turn_limit, a.num_rungs, a.num_balances, a.grid
    Gp = G + 1
    Au, At = len(a.allowed[ups]), len(a.allowed[tau])
    acc_u = a.accident[ups][a.allowed[ups]]                     # (Au, R)
    acc_t = a.accident[tau][a.allowed[tau]]                     # (At, R)
    prof = np.array(list(product(range(At), repeat=n)), dtype=np.int64)   # (P, n): each type's action
    P = len(prof)
    mu = np.arange(Gp) / G
    weight = np.stack([mu, 1.0 - mu], axis=1)                   # (Gp, n)
    like = acc_t[prof]                                          # (P, n, R)
    # each pure profile's posterior lottery after each executed typed rung: (Gp, P, R) each
    glo, gw = posterior_lottery(np.arange(Gp)[:, None, None], like[None, :, 0, :], like[None, :, 1, :], G)
    ghi = np.minimum(glo + 1, G)
    Lu, Lt = a.class_legal[ups], a.class_legal[tau]
    Cu, Ct = len(Lu), len(Lt)
    prof_legal = Lt[:, prof].all(axis=2)                        # (Ct, P)
    payoff = [a.payoffs_by_type(i) for i in (0, 1)]             # (n, E, T+1, B, R)
    scale = 1.0 + max(float(np.abs(p).max()) for p in payoff)
    tol = TOL * scale
    # Tables in fog-free (uninformed class, typed class) order, variant-major.
    sig_u = np.zeros((Gp, T, Cu, Ct, B, R, Au))
    sig_t = np.zeros((n, Gp, T, Cu, Ct, B, R, At))
    q_u = np.zeros_like(sig_u)
    q_t = np.zeros_like(sig_t)
    values = np.zeros((2, T, n, R, R, B, R, Gp))                # value to actor i when the type is θ
    future: list[list[np.ndarray | None]] = [[None] * n, [None] * n]
    unsettled, mixed, epsilon = 0, 0, 0.0
    cls = [a.legal_class[0], a.legal_class[1]]
    xs = np.arange(R)[None, None, :]
    gg = np.arange(Gp)[None, None, None, :]
    kk = np.arange(R)[None, None, :, None]
    for t in range(T - 1, -1, -1):
        # Y[i][θ][b, k, g', a_u, x_t]: after the uninformed actor's own accident, per executed typed rung.
        Y = [[None] * n, [None] * n]
        for i in (0, 1):
            for th in range(n):
                W = after_turn(a, t, future[i][th], payoff[i][th], (Gp,))      # (B, K, X0, X1, Gp)
                W = W.transpose(0, 1, 4, 2, 3) if ups == 0 else W.transpose(0, 1, 4, 3, 2)
                Y[i][th] = np.einsum("ux,bkgxy->bkgyu", acc_u, W, optimize=True)   # (B, K, Gp', X_t, Au)
        out_v = np.zeros((2, n, Cu, Ct, B, R, Gp))
        failing: list[tuple[np.ndarray, ...]] = []
        for bi in range(B):
            # Z[...][k, g, p, x, a_u]: the continuation with the posterior that profile p implies at x.
            Zu = [_at_lottery(Y[ups][th][bi], glo, ghi, gw, xs) for th in range(n)]   # (K, Gp, P, X, Au)
            Zt = [_at_lottery(Y[tau][th][bi], glo, ghi, gw, xs) for th in range(n)]
            Ut = [np.einsum("kgpxu,ax->kgpua", Zt[th], acc_t, optimize=True) for th in range(n)]  # deviations
            Uu_th = [np.einsum("kgpxu,px->kgpu", Zu[th], acc_t[prof[:, th]], optimize=True) for th in range(n)]
            Uu = sum(weight[None, :, None, None, th] * Uu_th[th] for th in range(n))           # (K, Gp, P, Au)
            Vt = [np.take_along_axis(Ut[th], np.broadcast_to(prof[None, None, :, None, th, None],
                                                             Ut[th].shape[:4] + (1,)), axis=4)[..., 0]
                  for th in range(n)]                                                        # (K, Gp, P, Au)
            gain_u = np.stack([np.where(Lu[c], Uu, -np.inf).max(axis=-1, keepdims=True) - Uu for c in range(Cu)])
            # A type's best deviation within each legal class: a running maximum over that class's
            # action slices (far cheaper than masking the whole table once per class).
            slices = [np.moveaxis(Ut[th], -1, 0) for th in range(n)]                     # (At, K, Gp, P, Au)
            gain_t = np.stack([np.maximum.reduce([np.maximum.reduce(slices[th][Lt[c]]) - Vt[th]
                                                  for th in range(n)]) for c in range(Ct)])  # (Ct, K, Gp, P, Au)
            ok_u = (gain_u <= tol) & Lu[:, None, None, None, :]
            ok_t = (gain_t <= tol) & prof_legal[:, None, None, :, None]
            welfare = Uu + sum(weight[None, :, None, None, th] * Vt[th] for th in range(n))
            # Flatten (a_u, p) with a_u first: argmax then prefers the least escalatory a_u, then p.
            order = (lambda x: np.ascontiguousarray(x.swapaxes(-1, -2)).reshape(x.shape[:-2] + (-1,)))
            eq = order(ok_u)[:, None] & order(ok_t)[None]                                # (Cu, Ct, K, Gp, Au*P)
            score = np.where(eq, order(welfare)[None, None], -np.inf)
            top = score.max(axis=-1, keepdims=True)
            has = np.isfinite(top[..., 0])
            flat = np.argmax(score >= top - tol, axis=-1)
            # The largest gain from deviating at the profile chosen, measured (at most tol where pure).
            ci, ti, ki, gi = (x.ravel() for x in np.meshgrid(np.arange(Cu), np.arange(Ct), np.arange(R),
                                                              np.arange(Gp), indexing="ij"))
            fl = flat.ravel()
            gain_u, gain_t = order(gain_u), order(gain_t)                            # (C, K, Gp, Au*P)
            pure_gain = np.maximum(gain_u[ci, ki, gi, fl], gain_t[ti, ki, gi, fl])
            epsilon = max(epsilon, float(pure_gain[has.ravel()].max(initial=0.0)))
            if not has.all():
                # No pure perfect Bayesian equilibrium: for now the profile whose largest gain from
                # deviating is smallest; the mixed equilibrium replaces it after this turn's balances.
                cu_i, ct_i, k_i, g_i = np.nonzero(~has)
                eps = np.maximum(gain_u[cu_i, k_i, g_i], gain_t[ct_i, k_i, g_i])
                allowed = (order(np.broadcast_to(Lu[:, None, :], (Cu, P, Au)))[cu_i]
                           & order(np.broadcast_to(prof_legal[:, :, None], (Ct, P, Au)))[ct_i])
                eps = np.where(allowed, eps, np.inf)
                fallback = np.argmin(eps, axis=-1)
                flat[cu_i, ct_i, k_i, g_i] = fallback
                failing.append((np.full(len(cu_i), bi), cu_i, ct_i, k_i, g_i, fallback % P,
                                np.take_along_axis(eps, fallback[:, None], -1)[:, 0]))
            au, p = flat // P, flat % P                                               # (Cu, Ct, K, Gp)
            kix = np.broadcast_to(kk, au.shape)
            gix = np.broadcast_to(gg, au.shape)
            sig_u[:, t, :, :, bi] = np.moveaxis(np.eye(Au)[au], 3, 0)
            q_u[:, t, :, :, bi] = np.moveaxis(Uu[kix, gix, p], 3, 0)
            for th in range(n):
                sig_t[th, :, t, :, :, bi] = np.moveaxis(np.eye(At)[prof[p, th]], 3, 0)
                q_t[th, :, t, :, :, bi] = np.moveaxis(Ut[th][kix, gix, p, au], 3, 0)
                out_v[ups, th, :, :, bi] = Uu_th[th][kix, gix, p, au]
                out_v[tau, th, :, :, bi] = Vt[th][kix, gix, p, au]
        if failing:
            fixed, worst = _settle_mixed(a, t, Y, failing, tol, (sig_u, sig_t, q_u, q_t, out_v))
            mixed += fixed
            unsettled += sum(len(f[0]) for f in failing) - fixed
            epsilon = max(epsilon, worst)
        # Back to positions: (c_u, c_t) -> (p0, p1).
        for i in (0, 1):
            for th in range(n):
                v = out_v[i, th]
                if ups == 1:
                    v = v.swapaxes(0, 1)
                v = v[cls[0]][:, cls[1]]                                                # (R, R, B, K, Gp)
                values[i, t, th] = v
                future[i][th] = v
        if progress is not None:
            progress(T - t, T)

    def table(data: np.ndarray, player: int, variants: int) -> object:
        # data (..., T, Cu, Ct, B, K, A) -> (variants * T, C0, C1, B, K, A) in the player's own view
        data = data.reshape((variants * T,) + data.shape[-6 + 1:])
        if ups == 1:
            data = data.swapaxes(1, 2)
        return _own_view(a, player, np.ascontiguousarray(data), a.legal_class, variants)

    strategy = [None, None]
    action_values = [None, None]
    strategy[ups], action_values[ups] = table(sig_u, ups, Gp), table(q_u, ups, Gp)
    strategy[tau], action_values[tau] = table(sig_t, tau, n * Gp), table(q_t, tau, n * Gp)
    return LadderEquilibrium(arrays=a, strategy=tuple(strategy), action_values=tuple(action_values),  # type: ignore
                             values=(values[0], values[1]), mixed_stage_games=mixed, unsettled=unsettled,
                             epsilon=epsilon)


def _at_lottery(Yb: np.ndarray, glo: np.ndarray, ghi: np.ndarray, gw: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Z[k, g, p, x, u] = Yb[k, g', x, u] averaged over the lottery (glo, ghi, gw)[g, p, x] for g'."""
    lo, hi = Yb[:, glo, xs, :], Yb[:, ghi, xs, :]
    return lo + gw[None, ..., None] * (hi - lo)


def _settle_mixed(a, t: int, Y: list, failing: list, tol: float, out: tuple) -> tuple[int, float]:  # noqa: ANN001
    """Replace this turn's ε-profiles by mixed equilibria where one is found (see
    :func:`_mixed_stage_games`), writing strategies, action values and values into ``out``; returns
    how many stage games now hold an equilibrium and the largest gain from deviating left."""
    sig_u, sig_t, q_u, q_t, out_v = out
    tau, ups = a.typed, 1 - a.typed
    G = a.grid
    acc_t = a.accident[tau][a.allowed[tau]]
    bi, cu, ct, k, g, p0, eps = (np.concatenate(x) for x in zip(*failing))
    prof = np.array(list(product(range(len(acc_t)), repeat=2)), dtype=np.int64)
    fixed, worst = 0, 0.0
    # The search has a budget per turn (MIXED_BUDGET stage games of one shape), spent on the stage
    # games with the largest gain from deviating first; the rest keep their ε-profile.
    order = np.argsort(-eps, kind="stable")
    todo = np.zeros(len(eps), dtype=bool)
    todo[order[:MIXED_BUDGET]] = True
    worst = float(eps[~todo].max(initial=0.0))
    budget = [FULL_SEARCH]
    groups = np.unique(np.stack([cu, ct], 1), axis=0)
    for c_u, c_t in groups:
        ru, rt = np.nonzero(a.class_legal[ups][c_u])[0], np.nonzero(a.class_legal[tau][c_t])[0]
        sel = np.nonzero((cu == c_u) & (ct == c_t) & todo)[0]
        if len(sel) == 0:
            continue
        # Many states share a stage game (the same continuation tables and belief): solve each once.
        # (two random projections of the rounded tables name a stage game: equal tables, equal names)
        proj = np.random.default_rng(0).standard_normal((2, Y[0][0].shape[2] * len(ru) * Y[0][0].shape[3]))
        key = np.stack([g[sel].astype(float)] + [
            np.round(Y[i][th][bi[sel], k[sel]][..., ru], 9).reshape(len(sel), -1) @ proj[j]
            for i in (0, 1) for th in (0, 1) for j in (0, 1)], axis=1)
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        uniq, inverse = sel[first], inverse.reshape(-1)
        Yu = [Y[ups][th][bi[uniq], k[uniq]][..., ru] for th in (0, 1)]            # (n, Gp, X, Au)
        Yt = [Y[tau][th][bi[uniq], k[uniq]][..., ru] for th in (0, 1)]
        near = np.searchsorted(rt, prof[p0[uniq]])                                 # the ε-profile, in legal columns
        best, su, s0, s1 = _mixed_stage_games(Yu, Yt, acc_t[rt], g[uniq], G, tol, near, budget)
        best, su, s0, s1 = ({key_: x[inverse] for key_, x in best.items()}, su[inverse], s0[inverse], s1[inverse])
        Yu = [Y[ups][th][bi[sel], k[sel]] for th in (0, 1)]
        Yt = [Y[tau][th][bi[sel], k[sel]] for th in (0, 1)]
        if True:
            ix = sel
            better = best["gain"] < eps[ix]
            fixed += int((best["gain"] <= tol).sum())
            worst = max(worst, float(np.where(better, best["gain"], eps[ix]).max()))
            if not better.any():
                continue
            w_ix = ix[better]
            full_u = np.zeros((len(w_ix), Yu[0].shape[-1]))
            full_u[:, ru] = su[better]
            full_t = []
            for s_ in (s0, s1):
                f = np.zeros((len(w_ix), len(acc_t)))
                f[:, rt] = s_[better]
                full_t.append(f)
            legal = (np.broadcast_to(a.class_legal[ups][c_u], full_u.shape),
                     np.broadcast_to(a.class_legal[tau][c_t], full_t[0].shape))
            res = _play([y[better] for y in Yu], [y[better] for y in Yt], acc_t, g[w_ix], G, full_u, full_t,
                        legal)
            at = (g[w_ix], t, cu[w_ix], ct[w_ix], bi[w_ix], k[w_ix])
            sig_u[at], q_u[at] = full_u, res["qu"]
            at_v = (cu[w_ix], ct[w_ix], bi[w_ix], k[w_ix], g[w_ix])
            for th in (0, 1):
                sig_t[(th,) + at], q_t[(th,) + at] = full_t[th], res[f"qt{th}"]
                out_v[(ups, th) + at_v] = res[f"vu{th}"]
                out_v[(tau, th) + at_v] = res[f"vt{th}"]
    return fixed, worst


# ----------------------------------------------------------------------------- mixed stage games
SAMPLES = 8               # points of the typed mix r at which each candidate support is first evaluated
BISECTIONS = 40           # steps that shrink a bracket of r (regula falsi, every third a halving)
_CELLS = 4_000_000        # floats per vectorised batch (bounds the candidate arrays)
FULL_SEARCH = 1_200       # candidate supports per turn tried beyond those next to the ε-profile
MIXED_BUDGET = 600        # stage games per turn searched for a mixed equilibrium (the worst first)


def _likelihood(sig: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """L[n, x] = Σ_a sig[n, a] acc[a, x], summed over a in order one product at a time, as
    :class:`escalab.simulate.private_types.TypeTrack` sums: a posterior is computed alike everywhere."""
    L = sig[:, :1] * acc[0]
    for c in range(1, acc.shape[0]):
        L = L + sig[:, c:c + 1] * acc[c]
    return L


def _on_lottery(Y: np.ndarray, lo: np.ndarray, w: np.ndarray, game: np.ndarray | None = None) -> np.ndarray:
    """Z[n, x, u] = Y[game[n], g', x, u] averaged over the lottery (lo, w)[n, x] for g' (game: n itself)."""
    _, Gp, X, _ = Y.shape
    rows = (np.arange(len(lo)) if game is None else game)[:, None]
    xs = np.arange(X)[None, :]
    low = Y[rows, lo, xs]
    high = Y[rows, np.minimum(lo + 1, Gp - 1), xs]
    return low + w[..., None] * (high - low)


def _play(Yu: list[np.ndarray], Yt: list[np.ndarray], acc: np.ndarray, g: np.ndarray, grid: int,
          su: np.ndarray, st: list[np.ndarray], legal: tuple[np.ndarray, np.ndarray] | None = None
          ) -> dict[str, np.ndarray]:
    """What a mixed profile is worth in each stage game, with the posteriors it implies by Bayes'
    rule and their lotteries: the largest gain from a deviation, the action values and each
    agent's value given the type (the check every mixed stage game passes). ``legal`` masks
    (uninformed, typed) the actions a deviation may take (None: all)."""
    lo, w = posterior_lottery(g[:, None], _likelihood(st[0], acc), _likelihood(st[1], acc), grid)
    mu = g / grid
    wt = (mu, 1.0 - mu)
    A = [np.einsum("ax,nxu->nau", acc, _on_lottery(Yu[th], lo, w), optimize=True) for th in (0, 1)]
    B = [np.einsum("ax,nxu->nau", acc, _on_lottery(Yt[th], lo, w), optimize=True) for th in (0, 1)]
    qu = sum(wt[th][:, None] * np.einsum("na,nau->nu", st[th], A[th]) for th in (0, 1))
    qt = [np.einsum("nau,nu->na", B[th], su) for th in (0, 1)]
    lu, lt = legal if legal is not None else (np.ones(qu.shape, dtype=bool), np.ones(qt[0].shape, dtype=bool))
    gain = np.where(lu, qu, -np.inf).max(1) - (su * qu).sum(1)
    for th in (0, 1):
        gain = np.maximum(gain, np.where(lt, qt[th], -np.inf).max(1) - (st[th] * qt[th]).sum(1))
    vt = [(st[th] * qt[th]).sum(1) for th in (0, 1)]
    return {"gain": gain, "qu": qu, "qt0": qt[0], "qt1": qt[1],
            "vu0": np.einsum("na,nau,nu->n", st[0], A[0], su), "vu1": np.einsum("na,nau,nu->n", st[1], A[1], su),
            "vt0": vt[0], "vt1": vt[1], "welfare": (su * qu).sum(1) + mu * vt[0] + (1.0 - mu) * vt[1]}


def _pairs(k: int) -> np.ndarray:
    return np.array([(i, j) for i in range(k) for j in range(i + 1, k)], dtype=np.int64).reshape(-1, 2)


def _candidates(Au: int, At: int) -> int:
    """Candidate supports per stage game: a mixing type, its two actions, the other type's action or pooling."""
    return 2 * (At * (At - 1) // 2) * (At + 1)


def _support_table(At: int) -> np.ndarray:
    """Rows (θ, a, a', b): type θ mixes a and a'; the other type plays b, or (b = -1) the same mix."""
    pairs = _pairs(At)
    return np.array([(th, a, a2, b) for th in (0, 1) for a, a2 in pairs for b in range(-1, At)],
                    dtype=np.int64).reshape(-1, 4)


def _mixes(r: np.ndarray, th: np.ndarray, a: np.ndarray, a2: np.ndarray, b: np.ndarray, At: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """(σ_0, σ_1) per row: type θ plays a with probability r, else a'; the other b, or the same mix."""
    k = np.arange(len(r))
    mix = np.zeros((len(r), At))
    mix[k, a] = r
    mix[k, a2] += 1 - r
    other = np.where((b < 0)[:, None], mix, np.eye(At)[np.maximum(b, 0)])
    first = (th == 0)[:, None]
    return np.where(first, mix, other), np.where(first, other, mix)


def _evaluate(Yu: list[np.ndarray], Yt: list[np.ndarray], acc: np.ndarray, g: np.ndarray, grid: int,
              game: np.ndarray, th: np.ndarray, a: np.ndarray, a2: np.ndarray, b: np.ndarray, r: np.ndarray,
              cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per row (stage game, support, r): the uninformed actor's value of each action U[·, u] and the
    mixing type's gain from a over a' against each uninformed action E[·, u], with the posteriors the
    mix implies and their lotteries (``cols[row]``: only these uninformed actions)."""
    if cols is not None:
        game_c = np.arange(len(game))
        pick = (lambda Y: Y[game[:, None], :, :, cols].transpose(0, 2, 3, 1))   # (rows, Gp, X, c)
        return _evaluate([pick(y) for y in Yu], [pick(y) for y in Yt], acc, g[game], grid, game_c, th, a, a2, b, r)
    At = acc.shape[0]
    s0, s1 = _mixes(r, th, a, a2, b, At)
    L = (_likelihood(s0, acc), _likelihood(s1, acc))
    gg = g[game]
    lo, w = posterior_lottery(gg[:, None], L[0], L[1], grid)
    mu = gg / grid
    U = sum((mu if t_ == 0 else 1.0 - mu)[:, None]
            * np.matmul(L[t_][:, None, :], _on_lottery(Yu[t_], lo, w, game))[:, 0] for t_ in (0, 1))
    E = np.zeros(U.shape)
    for t_ in (0, 1):
        on = np.nonzero(th == t_)[0]
        E[on] = np.matmul((acc[a[on]] - acc[a2[on]])[:, None, :], _on_lottery(Yt[t_], lo[on], w[on], game[on]))[:, 0]
    return U, E


def _mixed_stage_games(Yu: list[np.ndarray], Yt: list[np.ndarray], acc: np.ndarray, g: np.ndarray, grid: int,
                       tol: float, near: np.ndarray, budget: list[int]
                       ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Mixed equilibria of stage games without a pure one (see :func:`_search`): first the supports
    next to ``near[n]`` (each type's action in the pure profile whose largest gain is smallest: one
    type mixes it with another action, the other type keeps its own or mixes alike), then every
    support for the stage games still unsolved (as many as the ``budget[0]`` candidates left allow,
    which it spends)."""
    n, At = len(g), acc.shape[0]
    th, a2, pool = (x.ravel() for x in np.meshgrid((0, 1), np.arange(At), (False, True), indexing="ij"))
    game = np.repeat(np.arange(n), len(th))
    th, a2, pool = np.tile(th, n), np.tile(a2, n), np.tile(pool, n)
    a = near[game, th]
    b = np.where(pool, -1, near[game, 1 - th])
    use = a2 != a
    lo, hi = np.minimum(a, a2), np.maximum(a, a2)
    rows = np.stack([game, th, lo, hi, b], axis=1)[use]
    best, su, s0, s1 = _batched(Yu, Yt, acc, g, grid, tol, rows)
    left = np.nonzero(best["gain"] > tol)[0][:max(0, budget[0] // max(len(_support_table(At)), 1))]
    budget[0] -= len(left) * len(_support_table(At))
    if len(left):
        sup = _support_table(At)
        rows = np.concatenate([np.repeat(np.arange(len(left)), len(sup))[:, None], np.tile(sup, (len(left), 1))], 1)
        more = _batched([y[left] for y in Yu], [y[left] for y in Yt], acc, g[left], grid, tol, rows)
        better = more[0]["gain"] < best["gain"][left]
        at = left[better]
        for key_, x in more[0].items():
            best[key_][at] = x[better]
        su[at], s0[at], s1[at] = more[1][better], more[2][better], more[3][better]
    return best, su, s0, s1


def _batched(Yu: list[np.ndarray], Yt: list[np.ndarray], acc: np.ndarray, g: np.ndarray, grid: int, tol: float,
             rows: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_search` over the candidate ``rows`` (stage game, θ, a, a', b) in batches of stage games."""
    n, Au, At = len(g), Yu[0].shape[-1], acc.shape[0]
    per = max(1, _CELLS // ((SAMPLES + 1) * acc.shape[1] * Au * 4))               # candidate rows per batch
    su, s0, s1 = np.zeros((n, Au)), np.zeros((n, At)), np.zeros((n, At))
    best: dict[str, np.ndarray] = {}
    start = 0
    while start < len(rows):
        stop = min(len(rows), start + per)
        # whole stage games per batch
        while stop < len(rows) and rows[stop, 0] == rows[stop - 1, 0]:
            stop += 1
        part = rows[start:stop]
        games = np.unique(part[:, 0])
        local = np.searchsorted(games, part[:, 0])
        b_, u_, x0, x1 = _search([y[games] for y in Yu], [y[games] for y in Yt], acc, g[games], grid, tol,
                                 np.concatenate([local[:, None], part[:, 1:]], 1))
        if not best:
            best = {key_: np.zeros((n,) + x.shape[1:]) for key_, x in b_.items()}
            best["gain"][:] = np.inf
            best["welfare"][:] = -np.inf
        for key_, x in b_.items():
            best[key_][games] = x
        su[games], s0[games], s1[games] = u_, x0, x1
        start = stop
    if not best:
        best = {"gain": np.full(n, np.inf), "welfare": np.full(n, -np.inf)}
    return best, su, s0, s1


def _search(Yu: list[np.ndarray], Yt: list[np.ndarray], acc: np.ndarray, g: np.ndarray, grid: int,
            tol: float, sup_rows: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Mixed perfect Bayesian equilibria of stage games without a pure one (all actions legal), on
    the candidate supports ``sup_rows`` (stage game, θ, a, a', b).

    Supports: one type θ mixes two actions a, a' with probability r of a; the other type plays one
    action b or the same mix; the uninformed actor plays one action or mixes two. The posteriors,
    and so every payoff, move continuously with r (the belief lottery makes the continuation
    linear between grid points), so each support is a problem in r alone: the uninformed actor's
    best action as r varies is found on ``SAMPLES`` points; where it changes from u to u', the r
    that makes it indifferent between them is found by bisection, and the uninformed mix s that
    makes θ indifferent between a and a' follows (linear in s); where it stays u, the r at which
    θ's gain from a over a' against u changes sign is bisected. Each solution is checked with its
    own posteriors (:func:`_play`): it counts when no agent gains more than ``tol`` by deviating.
    Per stage game the checked equilibrium with the highest expected sum of payoffs is kept, else
    the candidate with the smallest largest gain. Returns (its check, σ_u, σ_0, σ_1).
    """
    n, Au, At = len(g), Yu[0].shape[-1], acc.shape[0]
    su, s0, s1 = np.zeros((n, Au)), np.zeros((n, At)), np.zeros((n, At))
    best = {"gain": np.full(n, np.inf), "welfare": np.full(n, -np.inf)}
    if len(sup_rows) == 0 or n == 0:
        return best, su, s0, s1
    C, K = len(sup_rows), SAMPLES + 1
    rs = np.concatenate([[1e-9], np.arange(1, SAMPLES) / SAMPLES, [1 - 1e-9]])
    cand = np.repeat(np.arange(C), K)
    r = np.tile(rs, C)
    game, th, a, a2, b = sup_rows[cand].T
    U, E = _evaluate(Yu, Yt, acc, g, grid, game, th, a, a2, b, r)
    U, E = U.reshape(C, K, Au), E.reshape(C, K, Au)
    scale = tol
    top = np.argmax(U >= U.max(-1, keepdims=True) - scale, axis=-1)              # (nC, K)
    row, k = np.nonzero(np.ones((C, K - 1), dtype=bool))
    u0, u1 = top[row, k], top[row, k + 1]
    # brackets: (row, left r, right r, kind, u, u'): kind 0 the uninformed switches u -> u', 1 θ's gain flips at u
    switch = u0 != u1
    flips = ~switch & (np.sign(E[row, k, u0]) != np.sign(E[row, k + 1, u0]))
    sel = switch | flips
    br_row, br_k, kind = row[sel], k[sel], flips[sel].astype(np.int64)
    bu, bv = u0[sel], np.where(kind == 1, u0[sel], u1[sel])
    if len(br_row) == 0:
        return best, su, s0, s1
    lo_r, hi_r = rs[br_k], rs[br_k + 1]
    gm, th, a, a2, b = sup_rows[br_row].T
    ix = np.arange(len(br_row))

    cols = np.stack([bu, bv], axis=1)
    # the continuation tables of these two uninformed actions only, per bracket
    pick = (lambda Y: Y[gm[:, None], :, :, cols].transpose(0, 2, 3, 1))
    Yu2, Yt2 = [pick(y) for y in Yu], [pick(y) for y in Yt]
    g2 = g[gm]

    def f(x: np.ndarray, on: np.ndarray = ix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        U_, E_ = _evaluate(Yu2, Yt2, acc, g2, grid, on, th[on], a[on], a2[on], b[on], x)
        return np.where(kind[on] == 0, U_[:, 0] - U_[:, 1], E_[:, 0]), U_, E_

    # regula falsi with the Illinois step (the function is smooth between the lottery's kinks),
    # a halving every third step so that every bracket shrinks; brackets leave once converged
    f_lo, f_hi = f(lo_r)[0], f(hi_r)[0]
    side = np.zeros(len(ix), dtype=np.int64)
    on = ix
    for i in range(BISECTIONS):
        l, h, fl, fh = lo_r[on], hi_r[on], f_lo[on], f_hi[on]
        with np.errstate(divide="ignore", invalid="ignore"):
            sec = h - fh * (h - l) / (fh - fl)
        bad = ~np.isfinite(sec) | (sec <= l) | (sec >= h) | (i % 3 == 2)
        mid = np.where(bad, 0.5 * (l + h), sec)
        fm = f(mid, on)[0]
        left = np.sign(fm) == np.sign(fl)
        sd = side[on]
        fh = np.where(~left & (sd == -1), 0.5 * fh, fh)
        fl = np.where(left & (sd == 1), 0.5 * fl, fl)
        lo_r[on], f_lo[on] = np.where(left, mid, l), np.where(left, fm, fl)
        hi_r[on], f_hi[on] = np.where(left, h, mid), np.where(left, fh, fm)
        side[on] = np.where(left, 1, -1)
        done = (np.abs(fm) <= 1e-15 * tol / TOL) | (hi_r[on] - lo_r[on] <= 1e-14)
        lo_r[on[done]] = hi_r[on[done]] = mid[done]
        on = on[~done]
        if len(on) == 0:
            break
    root = np.where(np.abs(f_lo) < np.abs(f_hi), lo_r, hi_r)
    _, U_, E_ = f(root)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(kind == 0, E_[:, 1] / (E_[:, 1] - E_[:, 0]), 1.0)
    ok = np.isfinite(s) & (s >= -1e-12) & (s <= 1 + 1e-12)
    s = np.clip(np.where(ok, s, 0.5), 0.0, 1.0)
    cs_u = np.zeros((len(ix), Au))
    cs_u[ix, bu] = s
    cs_u[ix, bv] += 1 - s
    c0, c1 = _mixes(root, th, a, a2, b, At)
    keep = np.nonzero(ok)[0]
    check = _play([y[gm[keep]] for y in Yu], [y[gm[keep]] for y in Yt], acc, g[gm[keep]], grid,
                  cs_u[keep], [c0[keep], c1[keep]])
    # per stage game: the best equilibrium by welfare, else the smallest gain
    good = check["gain"] <= tol
    rank = np.where(good, check["welfare"], -np.inf)
    order = np.lexsort((check["gain"], -rank, ~good, gm[keep]))
    first = order[np.r_[True, gm[keep][order][1:] != gm[keep][order][:-1]]] if len(order) else order
    at = gm[keep][first]
    for key_, x in check.items():
        best[key_] = best.get(key_, np.zeros((n,) + x.shape[1:]))
        best[key_][at] = x[first]
    su[at], s0[at], s1[at] = cs_u[keep][first], c0[keep][first], c1[keep][first]
    return best, su, s0, s1


# ----------------------------------------------------------------------------- tables on beliefs
def spread(a, player: int, tables: list) -> object:  # noqa: ANN001 (LadderArrays, list[ObsTable]) -> ObsTable
    """Per-type tables of one actor (without beliefs) laid out as that actor's variants: for the
    typed actor one block per (own type, belief), for the other actor the belief-weighted mixture
    over the typed actor's types, one block per belief."""
    from .ladder import ObsTable

    first = tables[0]
    G, Gp = a.grid, a.num_beliefs
    data = np.stack([tb.data for tb in tables])                  # (n, T, C0, C1, B, K, A)
    if player == a.typed:
        block = np.repeat(data[:, None], Gp, axis=1)              # (n, Gp, T, ...)
        variants = a.num_types * Gp
    else:
        mu = np.arange(Gp) / G
        w = np.stack([mu, 1.0 - mu], axis=1)                      # (Gp, n)
        block = np.einsum("gn,n...->g...", w, data)
        variants = Gp
    return ObsTable(np.ascontiguousarray(block.reshape((-1,) + data.shape[2:])), first.own_class, first.opp_class,
                    first.bal_lo, variants)


def by_type(a, theta: int):  # noqa: ANN001, ANN201 (LadderArrays -> LadderArrays)
    """The crisis as if the typed actor's type were known to be ``theta`` (its payoffs only)."""
    from dataclasses import replace

    return replace(a, payoff=(a.type_payoff[0][theta], a.type_payoff[1][theta]), typed=-1, type_payoff=None,
                   grid=1, type_names=("default",), type_prior=np.ones(1))


def best_response_typed(a, player: int, opponent, belief=None, progress: Progress | None = None):  # noqa: ANN001, ANN201
    """A deterministic best response of ``player`` to a fixed opponent table in a crisis with types
    (fog-free, backward induction over positions, balance, peak and belief; ties go to the least
    escalatory action).

    The belief moves by Bayes' rule from the executed rung of the typed actor, under the typed
    actor's table ``belief`` (the policy the uninformed actor assumes it plays; None: a policy that
    does not depend on the type, so the belief stays). The typed actor best-responds type by type;
    the uninformed actor weighs the typed actor's types by its belief. Returns an ObsTable in
    ``player``'s own view with the variants of :mod:`escalab.solve.ladder_types`.
    """
    from .ladder import _own_view, after_turn

    tau, n, G, Gp = a.typed, a.num_types, a.grid, a.num_beliefs
    T, R, B = a.turn_limit, a.num_rungs, a.num_balances
    other = 1 - player
    A = len(a.allowed[player])
    acc_me = a.accident[player][a.allowed[player]]
    acc_op = a.accident[other][a.allowed[other]]
    acc_t = a.accident[tau][a.allowed[tau]]
    p0, p1, bb, kk, gg = (x.ravel() for x in np.meshgrid(np.arange(R), np.arange(R), np.arange(B), np.arange(R),
                                                          np.arange(Gp), indexing="ij"))
    pos = (p0, p1)
    bal = bb + a.lo
    side = (bal, -bal)
    legal = a.legal[player][pos[player]]                                   # (S, A)
    mu = gg / G
    weight = (mu, 1.0 - mu)
    payoff = a.payoffs_by_type(player)
    Vout = n * Gp if player == tau else Gp
    out = np.zeros((Vout // Gp, Gp, T, R, R, B, R, A))
    future: list[np.ndarray | None] = [None] * n
    xs = np.arange(R)
    for t in range(T - 1, -1, -1):
        if belief is not None:
            like = [belief.rows(t, pos[tau], pos[1 - tau], side[tau], kk, th * Gp + gg) @ acc_t for th in range(n)]
            glo, gw = posterior_lottery(gg[:, None], like[0], like[1], G)     # (S, X_tau)
        else:
            glo, gw = np.broadcast_to(gg[:, None], (len(gg), R)), np.zeros((len(gg), R))
        ghi = np.minimum(glo + 1, G)
        Q = []
        for th in range(n):
            W = after_turn(a, t, future[th], payoff[th], (Gp,))                # (B, K, X0, X1, Gp)
            variant = th * Gp + gg if other == tau else gg
            e_op = opponent.rows(t, pos[other], pos[player], side[other], kk, variant) @ acc_op   # (S, X_other)
            at = (bb[:, None, None], kk[:, None, None], xs[None, :, None], xs[None, None, :])
            if tau == 0:
                lo_, hi_, w_ = glo[:, :, None], ghi[:, :, None], gw[:, :, None]
            else:
                lo_, hi_, w_ = glo[:, None, :], ghi[:, None, :], gw[:, None, :]
            Z = (1 - w_) * W[at + (lo_,)] + w_ * W[at + (hi_,)]
            Y = np.einsum("sxy,sy->sx", Z, e_op) if player == 0 else np.einsum("sxy,sx->sy", Z, e_op)
            Q.append(Y @ acc_me.T)                                             # (S, A)
        if player == tau:
            choice = [_argmax_legal(Q[th], legal) for th in range(n)]
            vals = [np.take_along_axis(Q[th], choice[th][:, None], 1)[:, 0] for th in range(n)]
            for th in range(n):
                out[th, :, t] = _by_belief(np.eye(A)[choice[th]], (R, R, B, R, Gp, A))
        else:
            mixed = sum(weight[th][:, None] * Q[th] for th in range(n))
            c = _argmax_legal(mixed, legal)
            vals = [np.take_along_axis(Q[th], c[:, None], 1)[:, 0] for th in range(n)]
            out[0, :, t] = _by_belief(np.eye(A)[c], (R, R, B, R, Gp, A))
        for th in range(n):
            future[th] = vals[th].reshape(R, R, B, R, Gp)
        if progress is not None:
            progress(T - t, T)
    rungs = np.arange(R)
    data = np.ascontiguousarray(out.reshape((Vout * T, R, R, B, R, A)))
    return _own_view(a, player, data, (rungs, rungs), Vout)


def _argmax_legal(Q: np.ndarray, legal: np.ndarray) -> np.ndarray:
    Qm = np.where(legal, Q, -np.inf)
    top = Qm.max(axis=1, keepdims=True)
    return np.argmax(Qm >= top - TOL * (1 + np.abs(top)), axis=1)


def _by_belief(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """(S, A) rows over states (p0, p1, b, k, g) -> (g, p0, p1, b, k, A)."""
    return np.moveaxis(rows.reshape(shape), 4, 0)


# ----------------------------------------------------------------------------- the grid's error
@dataclass(frozen=True)
class GridError:
    """What the belief grid costs, measured in the game with exact Bayes beliefs.

    The equilibrium's strategies are played with the belief kept exact: at a belief between two
    grid points a public lottery picks one of them (with the chances of :func:`lottery`), both
    sides play that point's strategies, and the next belief follows by Bayes' rule from the exact
    one. ``gain[i]`` is the largest gain side i (each type on its own) has from a one-shot deviation
    at any state reached; ``value[i]`` its value there from the start, against ``solved[i]``, the
    solver's value at the exact prior. Both differences vanish as the grid is refined.
    """

    gain: tuple[float, float]
    value: tuple[float, float]
    solved: tuple[float, float]
    states: int

    @property
    def largest(self) -> float:
        return max(max(self.gain), *(abs(v - s) for v, s in zip(self.value, self.solved)))


def grid_error(eq, max_states: int = 4_000) -> GridError | None:  # noqa: ANN001 (LadderEquilibrium)
    """The error of ``eq``'s belief grid (see :class:`GridError`), by an exact forward enumeration of
    the fog-free crisis over states and exact beliefs, then backward values; None when more than
    ``max_states`` states are reached (exact beliefs do not merge as grid points do)."""
    a = eq.arrays
    if a.typed < 0:
        return None
    tau, ups, G, Gp, T = a.typed, 1 - a.typed, a.grid, a.grid + 1, a.turn_limit
    acc = [a.accident[i][a.allowed[i]] for i in (0, 1)]
    pay = [a.payoffs_by_type(i) for i in (0, 1)]
    prior = float(a.type_prior[0])
    p0, p1 = a.start
    layers: list[dict] = [{(p0, p1, a.initial_balance, max(p0, p1), prior): 1.0}]    # state -> P(reached)
    plans: list[dict] = []
    count = 1
    for t in range(T):
        nxt: dict = {}
        plan: dict = {}
        for key, reach in layers[t].items():
            q0, q1, b, k, mu = key
            lo, w = lottery(np.array(mu), G)
            branches = []
            for share, g in ((1.0 - float(w), int(lo)), (float(w), int(lo) + 1)):
                if share <= 0:
                    continue
                pos = (q0, q1)
                rows = []
                for i in (0, 1):
                    variants = [th * Gp + g for th in (0, 1)] if i == tau else [g, g]
                    rows.append([eq.strategy[i].rows(t, np.array([pos[i]]), np.array([pos[1 - i]]),
                                                     np.array([b if i == 0 else -b]), np.array([k]),
                                                     np.array([v]))[0] for v in variants])
                # executed rungs of each side per type, the posterior after each typed rung
                ex_t = [rows[tau][th] @ acc[tau] for th in (0, 1)]
                den = mu * ex_t[0] + (1 - mu) * ex_t[1]
                with np.errstate(divide="ignore", invalid="ignore"):
                    post = np.where(den > 0, mu * ex_t[0] / den, mu)
                outcomes = {}
                p_u = rows[ups][0] @ acc[ups]
                NB, NK, CODE = (v.tolist() for v in a.advance(b, k, np.arange(a.num_rungs)[:, None],
                                                              np.arange(a.num_rungs)[None, :], t + 1))
                for x_t in range(a.num_rungs):
                    for x_u in range(a.num_rungs):
                        x = (x_u, x_t) if ups == 0 else (x_t, x_u)
                        nb, nk, code = NB[x[0]][x[1]], NK[x[0]][x[1]], CODE[x[0]][x[1]]
                        if t + 1 >= T and code < 0:
                            code = a.endings.index("turn_limit")
                        if code >= 0:
                            outcomes[x] = ("end", code, nb, nk)
                        else:
                            nkey = (x[0], x[1], nb, nk, round(float(post[x_t]), 13))
                            nxt[nkey] = nxt.get(nkey, 0.0) + reach * share * float(p_u[x_u] * den[x_t])
                            outcomes[x] = ("go", nkey)
                if count + len(nxt) > max_states:
                    return None
                branches.append((share, g, rows, post, outcomes))
            plan[key] = branches
        count += len(nxt)
        if count > max_states:
            return None
        plans.append(plan)
        layers.append(nxt)
    # backward: V[key] = (value to u given type θ (2,), value to τ of type θ (2,)) and the largest gains
    gains = [0.0, 0.0]
    future: dict = {}
    for t in range(T - 1, -1, -1):
        values = {}
        for key, branches in plans[t].items():
            q0, q1, b, k, mu = key
            reached = layers[t][key] > 0
            legal = (a.legal[0][q0], a.legal[1][q1])
            weight = (mu, 1.0 - mu)
            v_key = np.zeros((2, 2))                       # [side: 0 uninformed, 1 typed][θ]
            for share, g, rows, post, outcomes in branches:
                # C[side][θ][x_u, x_t]: the side's value once rungs x_u, x_t are executed, given θ
                C = np.zeros((2, 2, a.num_rungs, a.num_rungs))
                for x, oc in outcomes.items():
                    x_u, x_t = (x[0], x[1]) if ups == 0 else (x[1], x[0])
                    for th in (0, 1):
                        if oc[0] == "end":
                            _, code, nb, nk = oc
                            for side, player in ((0, ups), (1, tau)):
                                C[side, th, x_u, x_t] = pay[player][th][code, t + 1, nb - a.lo, nk]
                        else:
                            C[:, th, x_u, x_t] = future[oc[1]][:, th]
                s_u = rows[ups][0]
                e_u = s_u @ acc[ups]
                Qu = np.zeros(len(s_u))
                for th in (0, 1):
                    e_t = rows[tau][th] @ acc[tau]
                    Qt = acc[tau] @ (C[1, th].T @ e_u)             # typed actions against the uninformed mix
                    vt = float(rows[tau][th] @ Qt)
                    if reached and mu_reaches(th, mu):
                        gains[tau] = max(gains[tau], float(Qt[legal[tau]].max() - vt))
                    Qu += weight[th] * (acc[ups] @ (C[0, th] @ e_t))
                    v_key[0, th] += share * float(e_u @ C[0, th] @ e_t)
                    v_key[1, th] += share * vt
                if reached:
                    gains[ups] = max(gains[ups], float(Qu[legal[ups]].max() - s_u @ Qu))
            values[key] = v_key
        future = values
    root = next(iter(layers[0]))
    v = future[root]
    value = (float(prior * v[0, 0] + (1 - prior) * v[0, 1]), float(prior * v[1, 0] + (1 - prior) * v[1, 1]))
    out_value = [0.0, 0.0]
    out_value[ups], out_value[tau] = value
    out_gain = (gains[0], gains[1])
    return GridError(gain=out_gain, value=(out_value[0], out_value[1]), solved=eq.value(), states=count)


def mu_reaches(theta: int, mu: float) -> bool:
    """Is type θ possible at belief μ (= P(first type))?"""
    return mu < 1.0 if theta == 1 else mu > 0.0
