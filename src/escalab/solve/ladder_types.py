"""Private types in a ladder crisis: beliefs on a grid and a perfect Bayesian equilibrium.

One actor of a ladder crisis may have two private types (a resolute and an irresolute President),
drawn by chance at the start from the scenario's prior. Each type has its own ending payoffs and
its own policy. The other actor holds a belief ``μ`` = P(first type) and updates it by Bayes' rule
from what it sees of the typed actor's action.

**The belief grid.** Exact posteriors after t turns form a tree that grows with every history, so
beliefs live on the grid ``0, 1/N, ..., 1`` (``N = ladder_crisis.belief_grid``): every posterior is
rounded to the nearest grid point (:func:`posterior_index`, halves rounded up). The solver, the
exact Markov analysis and both Monte Carlo engines round with the same floating-point operations,
so they describe one and the same process; what the grid costs against unrounded Bayes' rule is
measured by solving on a finer grid (``benchmarks/exact.py`` and the tests report the change).

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
posterior (Bayes' rule on the grid, rounded by :func:`posterior_index` exactly as the simulation
rounds it), and the posterior moves every payoff, so the stage game's payoffs depend on the mix.
With the posteriors held fixed, the stage game is linear in each agent's mix: the search
(:func:`_mixed_stage_games`) takes the posteriors of the nearest pure profile, solves the
indifference conditions for supports of two actions for the uninformed actor and one type (the
other type plays a best reply, or the same mix where it is indifferent between the same two
actions), vectorised over all such stage games of a turn at once, recomputes the posteriors the
solution implies and repeats while they move (``MIXED_ROUNDS``); where they go round in circles,
every posterior map the last support's mix can set is tried in turn (:func:`_scan_support`).
Every candidate is checked with its own posteriors: the largest gain any agent has from deviating
is computed, and a stage game counts as solved when that gain is within floating tolerance. Because posteriors are rounded to
the grid, a type's payoffs jump as its mix carries a posterior across a rounding boundary, and an
exact equilibrium need not exist (nor does the search try every support); where none is found the
profile, pure or mixed, with the smallest largest gain is kept. ``LadderEquilibrium`` reports how
many stage games were solved in mixed strategies (``mixed_stage_games``), how many are left
approximate (``unsettled``) and the largest gain from deviating measured over every stage game
(``epsilon``).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

import numpy as np

from ..errors import ModelError

Progress = Callable[[int, int], None]
TOL = 1e-9


# ----------------------------------------------------------------------------- the belief grid
def prior_index(prior_first: float, grid: int) -> int:
    """The grid point nearest the prior probability of the first type."""
    return int(np.floor(prior_first * grid + 0.5))


def posterior_index(g: np.ndarray, like0: np.ndarray, like1: np.ndarray, grid: int) -> np.ndarray:
    """Bayes' rule on the grid: from belief index g (P(first type) = g / grid) and the likelihoods of
    what was seen under each type, the nearest grid point of the posterior; where both likelihoods
    are zero (an observation the belief rules out) the belief stays.

    The Monte Carlo kernel repeats these operations in this order, so all engines round alike.
    """
    mu0 = g / grid
    mu1 = 1.0 - mu0
    num0 = mu0 * like0
    den = num0 + mu1 * like1
    with np.errstate(divide="ignore", invalid="ignore"):
        post = num0 / den
    return np.where(den > 0, np.floor(post * grid + 0.5), g).astype(np.int64)


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
    gnext = posterior_index(np.arange(Gp)[:, None, None], like[None, :, 0, :], like[None, :, 1, :], G)  # (Gp, P, R)
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
            Zu = [Y[ups][th][bi][:, gnext, xs, :] for th in range(n)]            # (K, Gp, P, X, Au)
            Zt = [Y[tau][th][bi][:, gnext, xs, :] for th in range(n)]
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
            fixed, worst = _settle_mixed(a, t, Y, failing, gnext, tol, (sig_u, sig_t, q_u, q_t, out_v))
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


def _settle_mixed(a, t: int, Y: list, failing: list, gnext: np.ndarray, tol: float, out: tuple) -> tuple[int, float]:  # noqa: ANN001
    """Replace this turn's ε-profiles by mixed equilibria where one is found (see
    :func:`_mixed_stage_games`), writing strategies, action values and values into ``out``; returns
    how many stage games now hold an equilibrium and the largest gain from deviating left."""
    sig_u, sig_t, q_u, q_t, out_v = out
    tau, ups = a.typed, 1 - a.typed
    G = a.grid
    acc_t = a.accident[tau][a.allowed[tau]]
    bi, cu, ct, k, g, p0, eps = (np.concatenate(x) for x in zip(*failing))
    fixed, worst = 0, 0.0
    groups = np.unique(np.stack([cu, ct], 1), axis=0)
    for c_u, c_t in groups:
        ru, rt = np.nonzero(a.class_legal[ups][c_u])[0], np.nonzero(a.class_legal[tau][c_t])[0]
        sel = np.nonzero((cu == c_u) & (ct == c_t))[0]
        for j in range(0, len(sel), _CHUNK):
            ix = sel[j:j + _CHUNK]
            Yu = [Y[ups][th][bi[ix], k[ix]] for th in (0, 1)]            # (n, Gp, X, Au)
            Yt = [Y[tau][th][bi[ix], k[ix]] for th in (0, 1)]
            m0 = gnext[g[ix], p0[ix]]                                      # the nearest pure profile's posteriors
            best, su, s0, s1 = _mixed_stage_games([y[..., ru] for y in Yu], [y[..., ru] for y in Yt], acc_t[rt],
                                                  g[ix], G, m0, tol)
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
MIXED_ROUNDS = 2          # rounds of "solve with the posteriors fixed, then recompute them" per stage game
_CHUNK = 1024             # stage games per vectorised batch (bounds the candidate arrays)


def _likelihood(sig: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """L[n, x] = Σ_a sig[n, a] acc[a, x], summed over a in order one product at a time, as
    :class:`escalab.simulate.private_types.TypeTrack` sums: a posterior rounds alike everywhere."""
    L = sig[:, :1] * acc[0]
    for c in range(1, acc.shape[0]):
        L = L + sig[:, c:c + 1] * acc[c]
    return L


def _given_posteriors(Y: np.ndarray, acc: np.ndarray, m: np.ndarray) -> np.ndarray:
    """T[n, a, u] = Σ_x acc[a, x] Y[n, m[n, x], x, u]: the value of typed action a against the
    uninformed actor's u when the belief after executed rung x is m[n, x]."""
    n, _, X, _ = Y.shape
    Z = Y[np.arange(n)[:, None], m, np.arange(X)[None, :]]                    # (n, X, Au)
    return np.einsum("ax,nxu->nau", acc, Z, optimize=True)


def _type_mixes(r: np.ndarray, a: np.ndarray, a2: np.ndarray, b: np.ndarray, pooled: np.ndarray, At: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate, the mixing type's mix (a with probability r, else a') and the other type's:
    the same mix where it is indifferent between the same two actions (``pooled``), else b."""
    k = np.arange(len(r))
    mix = np.zeros((len(r), At))
    mix[k, a] = r
    mix[k, a2] += 1 - r
    return mix, np.where(pooled[:, None], mix, np.eye(At)[b])


def _uninformed_affine(wt: np.ndarray, wo: np.ndarray, Ath_a: np.ndarray, Ath_a2: np.ndarray, Ao_a: np.ndarray,
                       Ao_a2: np.ndarray, Ao_b: np.ndarray, pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The uninformed actor's value of each action, affine in r = P(the mixing type plays a):
    c0 + r c1, weighing the mixing type by ``wt`` and the other by ``wo`` (its rows of values
    ``A*_x`` against the typed actions a, a' and the other type's b)."""
    c0 = wt * Ath_a2 + np.where(pooled, wo * Ao_a2, wo * Ao_b)
    c1 = wt * (Ath_a - Ath_a2) + np.where(pooled, wo * (Ao_a - Ao_a2), 0.0)
    return c0, c1


def _pairs(k: int) -> np.ndarray:
    return np.array([(i, j) for i in range(k) for j in range(i + 1, k)], dtype=np.int64).reshape(-1, 2)


def _two_by_two_typed(A: list[np.ndarray], B: list[np.ndarray], acc: np.ndarray, g: np.ndarray, grid: int,
                      m: np.ndarray, tol: float):  # noqa: ANN202
    """With the posteriors fixed, the equilibrium of highest expected sum of payoffs in which the
    uninformed actor mixes two actions, one type mixes two actions and the other type plays a best
    reply (or, where it is indifferent between the same two, mixes them alike), preferring one
    whose mix implies the posteriors ``m[n, x]`` assumed (from belief ``g`` through the accidents
    ``acc[a, x]``): that one is an equilibrium as it stands. Also returns each one's support.

    ``A[θ][n, a, u]`` and ``B[θ][n, a, u]`` are the uninformed actor's and type θ's values of
    (typed action a, uninformed action u); every action is legal. Returns (found, σ_u, σ_0, σ_1, support).
    The indifference conditions are linear: type θ's between a and a' fixes the uninformed mix s,
    the uninformed actor's between u and u' fixes type θ's mix r.
    """
    n, At, Au = A[0].shape
    mu = g / grid
    w = np.stack([mu, 1.0 - mu], axis=1)
    big = 1e6 * (1.0 + max(float(np.abs(x).max(initial=0.0)) for x in A + B))   # ranks fitting ones first
    up, ap = _pairs(Au), _pairs(At)
    su, st = np.zeros((n, Au)), [np.zeros((n, At)), np.zeros((n, At))]
    sup = np.full((n, 7), -1, dtype=np.int64)       # the support: u, u', θ, a, a', other's b, pooled
    best = np.full(n, -np.inf)
    if len(up) == 0 or len(ap) == 0:
        return np.zeros(n, dtype=bool), su, st[0], st[1], sup
    u, v, a, a2 = up[:, 0], up[:, 1], ap[:, 0], ap[:, 1]
    ja = np.arange(len(ap))
    for th in (0, 1):
        o = 1 - th
        Bv = B[th][:, :, v].transpose(0, 2, 1)                                  # (n, U, At)
        d = B[th][:, :, u].transpose(0, 2, 1) - Bv
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (Bv[:, :, a2] - Bv[:, :, a]) / (d[:, :, a] - d[:, :, a2])      # P(u): θ indifferent between a, a'
        ok = np.isfinite(s) & (s >= 0) & (s <= 1)
        s = np.where(ok, s, 0.5)
        lines = Bv[:, :, None, :] + s[..., None] * d[:, :, None, :]             # (n, U, Ap, At)
        ok &= lines[:, :, ja, a] >= lines.max(-1) - tol
        # Few candidates pass (the kinks of θ's upper envelope): go on with those alone.
        nn, iu, ia = np.nonzero(ok)
        if len(nn) == 0:
            continue
        sc = s[nn, iu, ia]
        va = lines[nn, iu, ia, a[ia]]
        other = B[o][nn, :, v[iu]] + sc[:, None] * (B[o][nn, :, u[iu]] - B[o][nn, :, v[iu]])   # (c, At)
        vo = other.max(-1)
        near = other >= vo[:, None] - tol
        b = np.argmax(near, axis=-1)                                             # least escalatory best reply
        c = np.arange(len(nn))
        pooled = (near[c, a[ia]] & near[c, a2[ia]])[:, None]
        # The uninformed actor's value of each action, affine in r = P(type θ plays a): c0 + r c1.
        wt, wo = w[nn, th, None], w[nn, o, None]
        c0, c1 = _uninformed_affine(wt, wo, A[th][nn, a[ia]], A[th][nn, a2[ia]], A[o][nn, a[ia]], A[o][nn, a2[ia]],
                                    A[o][nn, b], pooled)
        D0, D1 = c0[c, u[iu]] - c0[c, v[iu]], c1[c, u[iu]] - c1[c, v[iu]]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = -D0 / D1
        good = np.isfinite(r) & (r >= 0) & (r <= 1)
        r = np.where(good, r, 0.5)
        P = c0 + r[:, None] * c1
        pu = P[c, u[iu]]
        good &= pu >= P.max(-1) - tol
        if not good.any():
            continue
        # A candidate whose mix implies the posteriors assumed is an equilibrium as it stands: those first.
        mix_th, mix_o = _type_mixes(r, a[ia], a2[ia], b, pooled[:, 0], At)
        mixes = (mix_th, mix_o) if th == 0 else (mix_o, mix_th)
        post = posterior_index(g[nn, None], _likelihood(mixes[0], acc), _likelihood(mixes[1], acc), grid)
        fits = (post == m[nn]).all(axis=1)
        welfare = np.where(good, pu + wt[:, 0] * va + wo[:, 0] * vo, -np.inf) + np.where(fits & good, big, 0.0)
        # The best candidate of each stage game: sort by (game, -welfare), take each game's first.
        order = np.lexsort((-welfare, nn))
        first = order[np.r_[True, nn[order][1:] != nn[order][:-1]]]
        first = first[np.isfinite(welfare[first])]
        take = first[welfare[first] > best[nn[first]]]
        if len(take) == 0:
            continue
        g_ = nn[take]
        best[g_] = welfare[take]
        su[g_] = 0.0
        su[g_, u[iu[take]]] = sc[take]
        su[g_, v[iu[take]]] += 1 - sc[take]
        st[th][g_], st[o][g_] = mix_th[take], mix_o[take]
        sup[g_] = np.stack([u[iu[take]], v[iu[take]], np.full(len(take), th), a[ia[take]], a2[ia[take]], b[take],
                            pooled[take, 0]], axis=1)
    return np.isfinite(best), su, st[0], st[1], sup


def _play(Yu: list[np.ndarray], Yt: list[np.ndarray], acc: np.ndarray, g: np.ndarray, grid: int,
          su: np.ndarray, st: list[np.ndarray], legal: tuple[np.ndarray, np.ndarray] | None = None
          ) -> dict[str, np.ndarray]:
    """What a mixed profile is worth in each stage game, with the posteriors it implies by Bayes'
    rule on the grid: the largest gain from a deviation, the action values and each agent's value
    given the type (the check every mixed stage game passes). ``legal`` masks (uninformed, typed)
    the actions a deviation may take (None: all)."""
    m = posterior_index(g[:, None], _likelihood(st[0], acc), _likelihood(st[1], acc), grid)
    mu = g / grid
    w = (mu, 1.0 - mu)
    A = [_given_posteriors(Yu[th], acc, m) for th in (0, 1)]
    B = [_given_posteriors(Yt[th], acc, m) for th in (0, 1)]
    qu = sum(w[th][:, None] * np.einsum("na,nau->nu", st[th], A[th]) for th in (0, 1))
    qt = [np.einsum("nau,nu->na", B[th], su) for th in (0, 1)]
    lu, lt = legal if legal is not None else (np.ones(qu.shape, dtype=bool), np.ones(qt[0].shape, dtype=bool))
    gain = np.where(lu, qu, -np.inf).max(1) - (su * qu).sum(1)
    for th in (0, 1):
        gain = np.maximum(gain, np.where(lt, qt[th], -np.inf).max(1) - (st[th] * qt[th]).sum(1))
    return {"m": m, "gain": gain, "qu": qu, "qt0": qt[0], "qt1": qt[1],
            "vu0": np.einsum("na,nau,nu->n", st[0], A[0], su), "vu1": np.einsum("na,nau,nu->n", st[1], A[1], su),
            "vt0": (st[0] * qt[0]).sum(1), "vt1": (st[1] * qt[1]).sum(1)}


def _mixed_stage_games(Yu: list[np.ndarray], Yt: list[np.ndarray], acc: np.ndarray, g: np.ndarray, grid: int,
                       m0: np.ndarray, tol: float) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray,
                                                             list[np.ndarray]]:
    """Mixed perfect Bayesian equilibria of stage games without a pure one (all actions legal).

    A mix moves the posteriors, and the posteriors move the payoffs, so: fix the posteriors (first
    those of the nearest pure profile, ``m0``), solve the indifference conditions
    (:func:`_two_by_two_typed`), recompute the posteriors the solution implies and repeat until they
    stop moving. Every round's solution is checked with its own posteriors (:func:`_play`); the one
    with the smallest largest gain is kept. Returns (its check, σ_u, σ_0, σ_1).
    """
    n, Au, At = len(g), Yu[0].shape[-1], acc.shape[0]
    su, st = np.zeros((n, Au)), [np.zeros((n, At)), np.zeros((n, At))]
    best: dict[str, np.ndarray] = {}
    support = np.full((n, 7), -1, dtype=np.int64)
    todo, m = np.arange(n), m0.copy()
    for _ in range(MIXED_ROUNDS):
        A = [_given_posteriors(Yu[th][todo], acc, m[todo]) for th in (0, 1)]
        B = [_given_posteriors(Yt[th][todo], acc, m[todo]) for th in (0, 1)]
        found, s_u, s_0, s_1, sup = _two_by_two_typed(A, B, acc, g[todo], grid, m[todo], tol)
        todo, s_u, s_0, s_1 = todo[found], s_u[found], s_0[found], s_1[found]
        if len(todo) == 0:
            break
        support[todo] = sup[found]
        check = _play([y[todo] for y in Yu], [y[todo] for y in Yt], acc, g[todo], grid, s_u, [s_0, s_1])
        better = check["gain"] < (best["gain"][todo] if best else np.inf)
        if not best:
            best = {k: np.zeros((n,) + x.shape[1:]) for k, x in check.items()}
            best["gain"][:] = np.inf
        _keep(best, (su, st[0], st[1]), todo[better], check, (s_u, s_0, s_1), better)
        moved = (check["m"] != m[todo]).any(axis=1) & (best["gain"][todo] > tol)
        m[todo] = check["m"]
        todo = todo[moved]
        if len(todo) == 0:
            break
    if not best:
        return {"gain": np.full(n, np.inf)}, su, st[0], st[1]
    # Where the rounds went round in circles, the support last tried along every posterior its mix can set.
    left = np.nonzero((best["gain"] > tol) & (support[:, 0] >= 0))[0]
    if len(left):
        check, s_u, s_0, s_1 = _scan_support([y[left] for y in Yu], [y[left] for y in Yt], acc, g[left], grid,
                                             support[left])
        better = check["gain"] < best["gain"][left]
        _keep(best, (su, st[0], st[1]), left[better], check, (s_u, s_0, s_1), better)
    return best, su, st[0], st[1]


def _keep(best: dict[str, np.ndarray], mixes: tuple[np.ndarray, ...], idx: np.ndarray, check: dict[str, np.ndarray],
          found: tuple[np.ndarray, ...], better: np.ndarray) -> None:
    """Stage games ``idx`` take the candidates ``better`` picks: their check and their mixes."""
    for k, x in check.items():
        best[k][idx] = x[better]
    for out, x in zip(mixes, found):
        out[idx] = x[better]


SCAN_POINTS = 32          # mixes tried per support to list the posteriors it can set


def _scan_support(Yu: list[np.ndarray], Yt: list[np.ndarray], acc: np.ndarray, g: np.ndarray, grid: int,
                  sup: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """For one support per stage game (u, u', θ, a, a', b, pooled as :func:`_two_by_two_typed` gives
    it), every posterior map its mix r = P(θ plays a) sets (found on ``SCAN_POINTS`` values of r),
    the indifference conditions solved with that map held fixed, each solution checked with its
    own posteriors (:func:`_play`); the best one per stage game."""
    n, At = len(g), acc.shape[0]
    Au = Yu[0].shape[-1]
    u, v, th, a, a2, b, pooled = sup.T
    pooled = pooled.astype(bool)
    rows = np.arange(n)

    def mixes(r: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mix, other = _type_mixes(r, a[idx], a2[idx], b[idx], pooled[idx], At)
        first = th[idx, None] == 0
        return np.where(first, mix, other), np.where(first, other, mix)

    rs = (np.arange(SCAN_POINTS) + 0.5) / SCAN_POINTS
    idx = np.repeat(rows, SCAN_POINTS)
    s0, s1 = mixes(np.tile(rs, n), idx)
    maps = posterior_index(g[idx, None], _likelihood(s0, acc), _likelihood(s1, acc), grid).reshape(n, SCAN_POINTS, -1)
    new = np.ones((n, SCAN_POINTS), dtype=bool)
    new[:, 1:] = (maps[:, 1:] != maps[:, :-1]).any(axis=2)
    ii, jj = np.nonzero(new)
    m = maps[ii, jj]
    A = [_given_posteriors(Yu[t][ii], acc, m) for t in (0, 1)]
    B = [_given_posteriors(Yt[t][ii], acc, m) for t in (0, 1)]
    first = (th[ii] == 0)[:, None, None]
    Ath, Ao = np.where(first, A[0], A[1]), np.where(first, A[1], A[0])
    Bth = np.where(first, B[0], B[1])
    k = np.arange(len(ii))
    ui, vi, ai, a2i, bi = u[ii], v[ii], a[ii], a2[ii], b[ii]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (Bth[k, a2i, vi] - Bth[k, ai, vi]) / ((Bth[k, ai, ui] - Bth[k, ai, vi]) - (Bth[k, a2i, ui] - Bth[k, a2i, vi]))
        mu = g[ii] / grid
        wt = np.where(th[ii] == 0, mu, 1.0 - mu)[:, None]
        wo = np.where(th[ii] == 0, 1.0 - mu, mu)[:, None]
        c0, c1 = _uninformed_affine(wt, wo, Ath[k, ai], Ath[k, a2i], Ao[k, ai], Ao[k, a2i], Ao[k, bi], pooled[ii, None])
        r = -(c0[k, ui] - c0[k, vi]) / (c1[k, ui] - c1[k, vi])
    ok = np.isfinite(s) & (s >= 0) & (s <= 1) & np.isfinite(r) & (r >= 0) & (r <= 1)
    ii, s, r, ui, vi = ii[ok], s[ok], r[ok], ui[ok], vi[ok]
    su = np.zeros((len(ii), Au))
    su[np.arange(len(ii)), ui] = s
    su[np.arange(len(ii)), vi] += 1 - s
    s0, s1 = mixes(r, ii)
    check = _play([y[ii] for y in Yu], [y[ii] for y in Yt], acc, g[ii], grid, su, [s0, s1])
    # the best candidate of each stage game
    order = np.lexsort((check["gain"], ii))
    pick = order[np.r_[True, ii[order][1:] != ii[order][:-1]]] if len(ii) else order
    best = {key: np.zeros((n,) + x.shape[1:]) for key, x in check.items()}
    best["gain"][:] = np.inf
    out_u, out_0, out_1 = np.zeros((n, Au)), np.zeros((n, At)), np.zeros((n, At))
    at = ii[pick]
    for key, x in check.items():
        best[key][at] = x[pick]
    out_u[at], out_0[at], out_1[at] = su[pick], s0[pick], s1[pick]
    return best, out_u, out_0, out_1


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
            gnext = posterior_index(gg[:, None], like[0], like[1], G)         # (S, X_tau)
        else:
            gnext = np.broadcast_to(gg[:, None], (len(gg), R))
        Q = []
        for th in range(n):
            W = after_turn(a, t, future[th], payoff[th], (Gp,))                # (B, K, X0, X1, Gp)
            variant = th * Gp + gg if other == tau else gg
            e_op = opponent.rows(t, pos[other], pos[player], side[other], kk, variant) @ acc_op   # (S, X_other)
            if tau == 0:
                Z = W[bb[:, None, None], kk[:, None, None], xs[None, :, None], xs[None, None, :], gnext[:, :, None]]
            else:
                Z = W[bb[:, None, None], kk[:, None, None], xs[None, :, None], xs[None, None, :], gnext[:, None, :]]
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
