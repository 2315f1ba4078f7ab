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
then of the first type, then of the second. A stage game without a pure perfect Bayesian
equilibrium gets the profile with the smallest largest gain from a deviation (an ε-equilibrium);
how many stage games needed that and the largest ε are reported with the equilibrium.
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
def _after_turn(a, t: int, future: np.ndarray | None, payoff: np.ndarray, beliefs: int) -> np.ndarray:  # noqa: ANN001
    """W[b, k, x0, x1, g']: value once x0, x1 are executed at turn t from (b, k), with next belief g'.

    ``future[p0, p1, b, k, g]`` is the value at turn t + 1 (None at the turn limit); endings pay
    ``payoff[e, turns, b, k]`` whatever the belief.
    """
    R = a.num_rungs
    b = np.arange(a.lo, a.hi + 1)[:, None, None, None]
    k = np.arange(R)[None, :, None, None]
    x0 = np.arange(R)[None, None, :, None]
    x1 = np.arange(R)[None, None, None, :]
    nb, nk, code = a.advance(b, k, x0, x1, t + 1)
    nb, nk, code, xs0, xs1 = np.broadcast_arrays(nb - a.lo, nk, code, x0, x1)
    ended = code >= 0
    out = np.empty(code.shape + (beliefs,))
    out[ended] = payoff[code[ended], t + 1, nb[ended], nk[ended]][:, None]
    if future is not None:
        live = ~ended
        out[live] = future[xs0[live], xs1[live], nb[live], nk[live]]
    elif not ended.all():
        raise ModelError("internal: a state at the turn limit has not ended")
    return out


def solve_typed(a, progress: Progress | None = None):  # noqa: ANN001, ANN201 (LadderArrays -> LadderEquilibrium)
    """The perfect Bayesian equilibrium of a crisis with private types (see the module notes)."""
    from .ladder import LadderEquilibrium, _own_view

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
    unsettled, epsilon = 0, 0.0
    cls = [a.legal_class[0], a.legal_class[1]]
    xs = np.arange(R)[None, None, :]
    gg = np.arange(Gp)[None, None, None, :]
    kk = np.arange(R)[None, None, :, None]
    for t in range(T - 1, -1, -1):
        # Y[i][θ][b, k, g', a_u, x_t]: after the uninformed actor's own accident, per executed typed rung.
        Y = [[None] * n, [None] * n]
        for i in (0, 1):
            for th in range(n):
                W = _after_turn(a, t, future[i][th], payoff[i][th], Gp)        # (B, K, X0, X1, Gp)
                W = W.transpose(0, 1, 4, 2, 3) if ups == 0 else W.transpose(0, 1, 4, 3, 2)
                Y[i][th] = np.einsum("ux,bkgxy->bkgyu", acc_u, W, optimize=True)   # (B, K, Gp', X_t, Au)
        out_v = np.zeros((2, n, Cu, Ct, B, R, Gp))
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
            if not has.all():
                # No pure perfect Bayesian equilibrium: the profile whose largest gain from deviating is smallest.
                cu_i, ct_i, k_i, g_i = np.nonzero(~has)
                eps = np.maximum(order(gain_u)[cu_i, k_i, g_i], order(gain_t)[ct_i, k_i, g_i])
                allowed = (order(np.broadcast_to(Lu[:, None, :], (Cu, P, Au)))[cu_i]
                           & order(np.broadcast_to(prof_legal[:, :, None], (Ct, P, Au)))[ct_i])
                eps = np.where(allowed, eps, np.inf)
                fallback = np.argmin(eps, axis=-1)
                flat[cu_i, ct_i, k_i, g_i] = fallback
                unsettled += len(cu_i)
                epsilon = max(epsilon, float(np.take_along_axis(eps, fallback[:, None], -1).max()))
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
                             values=(values[0], values[1]), mixed_stage_games=0, unsettled=unsettled,
                             epsilon=epsilon)


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
    from .ladder import _own_view

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
            W = _after_turn(a, t, future[th], payoff[th], Gp)                  # (B, K, X0, X1, Gp)
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
