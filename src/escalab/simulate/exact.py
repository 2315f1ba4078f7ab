"""Exact distributions of endings, peak rung and duration, without sampling.

With policies that depend only on what each actor observes, a ladder crisis is an absorbing
Markov chain over full states (positions, perceived positions, last signals, balance, peak,
turn). Its absorption probabilities are ``e0ᵀ (I - Q)⁻¹ R``. The turn grows by one at every step,
so ``I - Q`` is block-triangular by turn and the solve is a forward substitution, one sparse
matrix per turn: the mass on the live states of turn t moves through ``P_t`` (to the live states
of turn t + 1) and ``R_t`` (to the endings).

:func:`exact_analysis` builds those matrices on arrays (:class:`~escalab.solve.ladder.LadderArrays`)
so it scales to thousands of states per turn; two shortcuts replace the enumeration by dense
arrays where what one actor perceives factorises out of the state (:func:`_factorised` without
moving beliefs, :func:`_with_beliefs` with them). :func:`reference_analysis` enumerates the reachable
states one by one through ``LadderGame.transition`` and solves ``(I - Q)ᵀ x = e0`` with SciPy's
sparse solver; it is slow and exists so that tests can check the fast path against the model's
own dynamics.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import limits
from ..errors import UsageError
from ..model.ladder import JointAction, LadderGame, LadderState
from ..solve.ladder import LadderArrays
from .policies import NO_SIGNAL, DoctrineTable, Observations, Policy, TablePolicy
from .private_types import TypeTrack
from .results import Rate, SimulationResult, distribution_result, type_rates

Progress = Callable[[int, int], None]


def check_exact_size(a: LadderArrays, scenario: str) -> None:
    """The exact analysis's budget, from the crisis alone: checked before its policies are solved
    (an equilibrium takes seconds to minutes) and before any array is allocated. Types x endings x
    peaks x turns x balances (a huge turn limit or balance range in a small file once asked for
    gigabytes); Monte Carlo needs none of this."""
    cells = a.num_types * len(a.endings) * a.num_rungs * (a.turn_limit + 1) * a.num_balances
    if cells > limits.STATE_SPACE.value():
        raise UsageError(limits.STATE_SPACE.refusal(cells, f"{scenario}: the exact analysis")
                         + "; or simulate it by Monte Carlo (--runs N), which needs no such arrays")
    limits.check_memory(8 * cells, f"{scenario}: the exact analysis's {cells:,} cells")


def exact_analysis(arrays: LadderArrays, policies: tuple[Policy, Policy], *, scenario: str,
                   progress: Progress | None = None, method: str = "auto") -> SimulationResult:
    """Absorption probabilities of the crisis under two policies. ``method``: "sparse" enumerates the
    reachable states turn by turn; "auto" takes the factorised shortcut (:func:`_factorised`)
    where it is exact - no signals, no moving beliefs -, dense arrays over the belief-augmented
    state (:func:`_with_beliefs`) where a belief moves and no policy signals, and the sparse path
    elsewhere. All three give the same probabilities (to rounding; tests check 1e-12)."""
    import scipy.sparse as sp          # here, not at the top: Monte Carlo workers and `escalab --help` skip SciPy

    a = arrays
    R, T, B = a.num_rungs, a.turn_limit, a.num_balances
    check_exact_size(a, scenario)
    track = TypeTrack.of(a, policies)
    if method == "auto" and all(isinstance(p, TablePolicy) for p in policies) and track.table is None:
        return _factorised(a, policies, track, scenario, progress)
    # moving beliefs and no signals: dense arrays per turn where they fit the budget (its sparse scatter
    # holds up to 3 entries per cell of the array), else the enumeration
    if (method == "auto" and track.table is not None and all(_silent(p, a) for p in policies)
            and 3 * B * R ** 4 * track.beliefs * a.num_types <= limits.STATE_SPACE.value()):
        return _with_beliefs(a, policies, track, scenario, progress)
    n, Gp = a.num_types, track.beliefs
    # p0 p1 q0 q1 s0+1 s1+1 b k, then the typed actor's type and the belief index
    radix = np.array([R, R, R, R, R + 1, R + 1, B, R, n, Gp], dtype=np.int64)
    E = len(a.endings)
    absorbed = np.zeros((n, E, R, T + 1, B))       # type, ending, peak, turns, balance
    p0, p1 = a.start
    first = [(th, g, a.type_prior[th] * w) for th in range(n) if a.type_prior[th] > 0 for w, g in track.starts()]
    codes = _encode(np.array([[p0, p1, p1, p0, 0, 0, a.initial_balance - a.lo, max(p0, p1), th, g]
                              for th, g, _ in first]), radix)
    mass = np.array([w for _, _, w in first], dtype=float)
    acc_allowed = [a.accident[i][a.allowed[i]] for i in (0, 1)]
    states = 0
    for t in range(T):
        if len(codes) == 0:
            break
        states += len(codes)
        p0, p1, q0, q1, s0, s1, b, k, th, g = _decode(codes, radix)
        s0, s1, b = s0 - 1, s1 - 1, b + a.lo
        obs = (Observations(t, p0, q0, s1, b, k, track.variant(0, th, g)),
               Observations(t, p1, q1, s0, -b, k, track.variant(1, th, g)))
        executed = [policies[i].action_probs(obs[i]) @ acc_allowed[i] for i in (0, 1)]   # (n, R)
        signal = [policies[i].signals(obs[i]) for i in (0, 1)]
        row, x0, x1, prob = _pairs(executed[0], executed[1])
        nb, nk, code = a.advance(b[row], k[row], x0, x1, t + 1)
        m = len(codes)
        end = code >= 0
        cols = ((th[row[end]] * E + code[end]) * R + nk[end]) * B + (nb[end] - a.lo)
        R_t = sp.coo_matrix((prob[end], (row[end], cols)), shape=(m, n * E * R * B)).tocsr()
        absorbed[:, :, :, t + 1, :] += (R_t.T @ mass).reshape(n, E, R, B)
        live = ~end
        row, x0, x1, prob, nb, nk = row[live], x0[live], x1[live], prob[live], nb[live], nk[live]
        row, x0, x1, prob, nb, nk, n0, n1 = _misread(a, row, x0, x1, prob, nb, nk)
        g0, g1 = signal[0][row] + 1, signal[1][row] + 1
        belief = g[row]
        if track.table is not None:             # the uninformed actor's Bayes' rule on what it saw, and its lottery
            u = 1 - track.typed
            pos, seen_prev = (p0, q0) if u == 0 else (p1, q1)
            lo, w = track.lottery(t, pos[row], seen_prev[row], b[row], k[row], belief, n0 if u == 0 else n1)
            up = w > 0
            row, x0, x1, n0, n1, g0, g1, nb, nk = (np.concatenate([v, v[up]])
                                                   for v in (row, x0, x1, n0, n1, g0, g1, nb, nk))
            belief = np.concatenate([lo, lo[up] + 1])
            prob = np.concatenate([prob * (1 - w), prob[up] * w[up]])
        nxt = _encode(np.stack([x0, x1, n0, n1, g0, g1, nb - a.lo, nk, th[row], belief], axis=1), radix)
        codes, col = np.unique(nxt, return_inverse=True)
        P_t = sp.coo_matrix((prob, (row, col.reshape(-1))), shape=(m, len(codes))).tocsr()
        mass = P_t.T @ mass
        if progress is not None:
            progress(t + 1, T)
    return _absorbed_result(a, policies, absorbed, scenario, states)


def _factorised(a: LadderArrays, policies: tuple[Policy, Policy], track: TypeTrack, scenario: str,
                progress: Progress | None) -> SimulationResult:
    """The same absorption probabilities when no actor signals and no belief moves, by a shortcut.

    Then what each actor perceives after a turn is a misreading of the other's executed rung,
    independent of everything else, so the mass on live states factorises:
    m[p0, p1, q0, q1, b, k] = N[p0, p1, b, k] P(q0 | p1) P(q1 | p0). One turn is then a contraction
    over (p0, p1) per (b, k) - about R^4 B K operations - instead of an enumeration of every
    state, joint action, accident and misreading (the sparse path above, which stays the
    reference for signalling policies and moving beliefs).
    """
    R, T, B = a.num_rungs, a.turn_limit, a.num_balances
    n, E = a.num_types, len(a.endings)
    m = a.misperception
    acc = [a.accident[i][a.allowed[i]] for i in (0, 1)]
    absorbed = np.zeros((n, E, R, T + 1, B))
    x0 = np.arange(R)[None, :, None]
    x1 = np.arange(R)[None, None, :]
    states = 0
    for th, g0, w0 in ((th, g, w) for th in range(n) for w, g in track.starts()):
        if a.type_prior[th] <= 0:
            continue
        N = np.zeros((R, R, B, R))
        p0, p1 = a.start
        N[p0, p1, a.initial_balance - a.lo, max(p0, p1)] = a.type_prior[th] * w0
        for t in range(T):
            if not N.any():
                break
            states += int(np.count_nonzero(N))
            live_cells, live_w, end_cells, end_w = [], [], [], []
            # Positions never exceed the peak k, so each peak's slice is a (k + 1)^2 problem.
            for k in np.nonzero(N.any(axis=(0, 1, 2)))[0]:
                P, Q = k + 1, min(k + 2, R)
                Nk = N[:P, :P, :, k]
                bs = np.nonzero(Nk.any(axis=(0, 1)))[0]
                Nk = Nk[:, :, bs]
                pp, qq, bi = (v.ravel() for v in np.meshgrid(np.arange(P), np.arange(Q), bs, indexing="ij"))
                none = np.full(len(pp), NO_SIGNAL)
                peak = np.full(len(pp), k)
                th_, g_ = np.full(len(pp), th), np.full(len(pp), g0)
                # E_i[own, seen, b, x]: where actor i's action lands, from each observation it can have.
                E0 = policies[0].action_probs(Observations(t, pp, qq, none, bi + a.lo, peak,
                                                           track.variant(0, th_, g_))) @ acc[0]
                E1 = policies[1].action_probs(Observations(t, pp, qq, none, -(bi + a.lo), peak,
                                                           track.variant(1, th_, g_))) @ acc[1]
                E0, E1 = E0.reshape(P, Q, len(bs), R), E1.reshape(P, Q, len(bs), R)
                # F0[p, y, ...]: actor 0 at p, actor 1 at y, over what actor 0 perceives of y (itself, or a
                # neighbour with m / 2 each; exactly at the start); F1 likewise for actor 1 at y seeing p.
                F0 = _misread_sum(E0, m if t else 0.0, P)
                F1 = _misread_sum(E1, m if t else 0.0, P).swapaxes(0, 1)
                W = np.einsum("pyb,pybx,pybz->bxz", Nk, F0, F1, optimize=True)             # (b, x0, x1)
                nb, nk, code = a.advance(bs[:, None, None] + a.lo, k, x0, x1, t + 1)
                nb, nk, code, X0, X1 = np.broadcast_arrays(nb - a.lo, nk, code, x0, x1)
                if t + 1 >= T:
                    code = np.where(code < 0, a.endings.index("turn_limit"), code)
                end = code >= 0
                end_cells.append((code[end] * R + nk[end]) * B + nb[end])
                end_w.append(W[end])
                live = ~end
                live_cells.append(((X0[live] * R + X1[live]) * B + nb[live]) * R + nk[live])
                live_w.append(W[live])
            absorbed[th, :, :, t + 1, :] += np.bincount(np.concatenate(end_cells), np.concatenate(end_w),
                                                        minlength=E * R * B).reshape(E, R, B)
            N = np.bincount(np.concatenate(live_cells), np.concatenate(live_w),
                            minlength=R * R * B * R).reshape(R, R, B, R)
            if progress is not None:
                progress(t + 1, T)
    return _absorbed_result(a, policies, absorbed, scenario, states)


def _silent(policy: Policy, a: LadderArrays) -> bool:
    """Does the policy never send a signal? (Tables never do; a doctrine does only by a rule that says so.)"""
    if isinstance(policy, TablePolicy) or not a.signals:
        return True
    if isinstance(policy, DoctrineTable):
        return bool((policy.signal_table == NO_SIGNAL).all())
    return not policy.signals_on or all(rule.signal is None for rule in policy.rules)


def _with_beliefs(a: LadderArrays, policies: tuple[Policy, Policy], track: TypeTrack, scenario: str,
                  progress: Progress | None) -> SimulationResult:
    """The absorption probabilities of a crisis with private types whose belief moves, on dense arrays.

    Write u for the uninformed actor and τ for the typed one. Under silent policies the state is
    (balance b, peak k, belief g, p_u, q_u, type θ, p_τ, q_τ), q_i being what actor i perceives of
    the other's rung. q_τ is a fresh misreading of p_u that nothing after this turn's action reads
    (the belief moves on what u sees), so, as in :func:`_factorised`, the mass on live states is
    N[b, k, g, p_u, q_u, θ, p_τ] P(q_τ | p_u), and N is one dense array per turn - every state of
    the enumeration (merged where histories meet) at a fixed place, instead of a sorted list of
    codes. One turn, with x_i the executed rung and n_u what u sees of x_τ:

    1. A[s, θ, x_τ] = Σ_{p_τ} N[s, θ, p_τ] Σ_{q_τ} P(q_τ | p_u) E_τ[b, k, g, θ, p_τ, q_τ, x_τ] for
       s = (b, k, g, p_u, q_u), E_τ being the typed actor's policy times its accidents;
    2. the belief after the turn is the lottery g'(s, n_u) over two grid points, by the engines' own
       Bayes' rule (:meth:`TypeTrack.lottery`, computed alike); one sparse product scatters
       A[s, θ, x_τ] E_u[s, x_u] onto (b, k, x_τ, misreading, g', θ, x_u), summing over p_u, q_u
       and g where they lead to the same belief;
    3. balance, peak and ending follow from (b, k, x_0, x_1); live mass moves to
       N'[b', k', g', x_u, n_u, θ, x_τ].

    Only exact zeros are skipped, so the result equals the enumeration of states (tests check it
    to 1e-12, and the count of states too).
    """
    import scipy.sparse as sp

    R, T, B = a.num_rungs, a.turn_limit, a.num_balances
    n, E, Gp = a.num_types, len(a.endings), track.beliefs
    tau = track.typed
    u = 1 - tau
    shape = (B, R, Gp, R, R, n, R)
    cells = int(np.prod(shape))
    m = a.misperception
    shifts = [(d, w) for d, w in ((-1, m / 2), (0, 1.0 - m), (1, m / 2)) if w > 0]
    D = len(shifts)
    rungs = np.arange(R)
    # nu[x, j]: the rung seen of x under the j-th misreading; P[x, y] = P(y is seen | x)
    nu = np.clip(rungs[:, None] + np.array([d for d, _ in shifts])[None, :], 0, R - 1)
    P = np.zeros((R, R))
    for j, (_, w) in enumerate(shifts):
        P[rungs, nu[:, j]] += w
    bal = np.arange(B) + a.lo
    sign = (1, -1)                              # actor 0 sees the balance as it is, actor 1 negated
    acc = [a.accident[i][a.allowed[i]] for i in (0, 1)]
    absorbed = np.zeros((n, E, R, T + 1, B))
    N = np.zeros(shape)                         # (b, k, g, p_u, q_u, θ, p_τ)
    start = a.start
    for w0, g0 in track.starts():
        N[a.initial_balance - a.lo, max(start), g0, start[u], start[tau], :, start[tau]] = a.type_prior * w0
    # per (b, k, x_τ, x_u): where the executed pair leads
    xt, xu = rungs[None, None, :, None], rungs[None, None, None, :]
    x0, x1 = (xu, xt) if u == 0 else (xt, xu)
    nb, nk, _ = a.advance(bal[:, None, None, None], rungs[None, :, None, None], x0, x1, 1)
    nb, nk = np.broadcast_arrays(nb, nk)
    theta = np.arange(n)
    # the place in N' of every cell of a turn's scatter (b, k, x_τ, j, g', θ, x_u), kept where the crisis goes on
    dest = ((((nb - a.lo) * R + nk)[:, :, :, None, None, None, :] * Gp + np.arange(Gp)[:, None, None]) * R
            + rungs) * R + nu[:, :, None, None, None]
    dest = (dest * n + theta[:, None]) * R + rungs[:, None, None, None, None]
    weights = np.array([w for _, w in shifts])[None, None, None, :, None, None, None]
    states = 0
    for t in range(T):
        # the active (b, k, g, p_u), and the typed actor's executed rung from every observation it can
        # have at their (b, k, g): over (q_τ, b k g, θ, p_τ)
        zu = np.flatnonzero(N.reshape(B * R * Gp * R, -1).any(axis=1))
        if len(zu) == 0:
            break
        seen_u = P if t else np.eye(R)          # what the typed actor perceives of p_u (exactly, at the start)
        states += int(((N > 0).sum(axis=(0, 1, 2, 4, 5, 6)) * (seen_u > 0).sum(axis=1)).sum())
        zc, zi = np.unique(zu // R, return_inverse=True)
        # ... at the (θ, p_τ) that hold mass there
        zp = np.flatnonzero(N.reshape(B * R * Gp, R * R, n * R)[zc].any(axis=1))
        b_z, k_z, g_z = np.unravel_index(zc[zp // (n * R)], (B, R, Gp))
        th_z, p_z = np.divmod(zp % (n * R), R)
        tq, tz = (v.ravel() for v in np.meshgrid(rungs, np.arange(len(zp)), indexing="ij"))
        obs_t = Observations(t, p_z[tz], tq, np.full(len(tz), NO_SIGNAL), sign[tau] * bal[b_z[tz]], k_z[tz],
                             track.variant(tau, th_z[tz], g_z[tz]))
        Et = np.zeros((R, len(zc) * n * R, R))
        Et[:, zp] = (policies[tau].action_probs(obs_t) @ acc[tau]).reshape(R, len(zp), R)
        F = (seen_u @ Et.reshape(R, -1)).reshape(R, len(zc), n, R, R)[zu % R, zi]  # (zu, θ, p_τ, x_τ)
        A = np.matmul(N.reshape(-1, R, n, R)[zu].transpose(0, 2, 1, 3), F)       # (zu, θ, q_u, x_τ)
        A = A.transpose(0, 2, 1, 3).reshape(-1, n, R)                             # (s, θ, x_τ)
        act = np.flatnonzero(A.any(axis=(1, 2)))
        As = A[act]
        S = len(act)
        b_s, k_s, g_s, pu_s = np.unravel_index(zu[act // R], (B, R, Gp, R))
        qu_s = act % R
        obs_u = Observations(t, pu_s, qu_s, np.full(S, NO_SIGNAL), sign[u] * bal[b_s], k_s, track.variant(u, g_s, g_s))
        Eu = policies[u].action_probs(obs_u) @ acc[u]                                # (S, x_u)
        lo, w = track.lottery(t, pu_s, qu_s, bal[b_s], k_s, g_s, None)             # g'(s, n_u): its lottery
        row = (((b_s * R + k_s)[:, None, None] * R + rungs[None, :, None]) * D + np.arange(D)) * Gp
        # (S, θ, x_τ, j, lower/upper point)
        row = ((row[..., None] + lo[:, nu, None] + np.array([0, 1]))[:, None] * n
               + theta[None, :, None, None, None])
        w = w[:, nu]
        share = np.stack([1.0 - w, w], axis=-1)[:, None]                             # (S, 1, x_τ, j, 2)
        row = np.minimum(row, B * R * R * D * Gp * n - 1)       # an upper point of chance 0 past the grid's end
        H = sp.csc_matrix(((As[..., None, None] * share).ravel(), row.ravel(),
                           np.arange(S + 1) * (n * R * D * 2)), shape=(B * R * R * D * Gp * n, S))
        out = np.asarray(H @ Eu).reshape(B, R, R, D, Gp, n, R)                     # (b, k, x_τ, j, g', θ, x_u)
        code = a.ending_code(x0, x1, nb, t + 1)                                   # (b, k, x_τ, x_u)
        # Each (s, x_τ, j) lands on a lottery whose chances sum to 1, so one misreading summed over g' is
        # the mass before it.
        ends = out[:, :, :, 0].sum(axis=3)                                         # (b, k, x_τ, θ, x_u)
        ended = np.broadcast_to((code >= 0)[:, :, :, None, :], ends.shape)
        at = lambda v: np.broadcast_to(v[:, :, :, None, :], ends.shape)[ended]    # noqa: E731
        cols = ((np.broadcast_to(theta[None, None, None, :, None], ends.shape)[ended] * E + at(code)) * R
                + at(nk)) * B + at(nb - a.lo)
        absorbed[:, :, :, t + 1, :] += np.bincount(cols, ends[ended], minlength=n * E * R * B).reshape(n, E, R, B)
        out *= weights
        keep = (code < 0)[:, :, :, None, None, None, :] & (out > 0)
        N = np.bincount(dest[keep], out[keep], minlength=cells).reshape(shape)
        if progress is not None:
            progress(t + 1, T)
    return _absorbed_result(a, policies, absorbed, scenario, states)


def _absorbed_result(a: LadderArrays, policies: tuple[Policy, Policy], absorbed: np.ndarray, scenario: str,
                     states: int) -> SimulationResult:
    """The result of either path from the absorbed mass, indexed (type, ending, peak, turns, balance)."""
    policies_d = {a.actors[i]: pol.label for i, pol in enumerate(policies)}
    # payoffs_by_type(i) is indexed (type, ending, turns, balance, peak)
    payoffs = {a.actors[i]: float(np.sum(absorbed * a.payoffs_by_type(i).transpose(0, 1, 4, 2, 3)))
               for i in (0, 1)}
    return distribution_result("exact", scenario, policies_d, a.has_accidents, a.endings, a.rung_ids,
                               absorbed.sum(axis=(0, 2, 3, 4)), absorbed.sum(axis=(0, 1, 3, 4)),
                               absorbed.sum(axis=(0, 1, 2, 4)), None, states=states, payoffs=payoffs,
                               by_type=_by_type(a, absorbed.sum(axis=(2, 3, 4)), None))


def _misread_sum(E: np.ndarray, m: float, P: int) -> np.ndarray:
    """Σ_q P(seen q | y) E[p, q, ...] for y < P: a tridiagonal sum along axis 1 (which holds every q
    a rung below P can be seen as, up to the top of the ladder)."""
    if m <= 0:
        return E[:, :P]
    y = np.arange(P)
    top = E.shape[1] - 1
    return (1.0 - m) * E[:, :P] + (m / 2) * E[:, np.maximum(y - 1, 0)] + (m / 2) * E[:, np.minimum(y + 1, top)]


def _by_type(a: LadderArrays, weights: np.ndarray, counts: np.ndarray | None) -> dict[str, dict[str, Rate]]:
    return type_rates(a.type_names if a.typed >= 0 else (), a.endings, weights, counts)


def _encode(cols: np.ndarray, radix: np.ndarray) -> np.ndarray:
    code = np.zeros(len(cols), dtype=np.int64)
    for j, r in enumerate(radix):
        code = code * r + cols[:, j]
    return code


def _decode(code: np.ndarray, radix: np.ndarray) -> list[np.ndarray]:
    out = []
    for r in radix[::-1]:
        code, rem = np.divmod(code, r)
        out.append(rem)
    return out[::-1]


def _pairs(e0: np.ndarray, e1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All (row, x0, x1) with positive probability, joining the nonzeros of two (n, R) tables by row."""
    r0, x0 = np.nonzero(e0)
    r1, x1 = np.nonzero(e1)
    n = len(e0)
    c1 = np.bincount(r1, minlength=n)
    start1 = np.cumsum(c1) - c1
    rep = c1[r0]
    i0 = np.repeat(np.arange(len(r0)), rep)
    offset = np.arange(len(i0)) - np.repeat(np.cumsum(rep) - rep, rep)
    i1 = start1[r0[i0]] + offset
    row = r0[i0]
    return row, x0[i0], x1[i1], e0[row, x0[i0]] * e1[row, x1[i1]]


def _misread(a: LadderArrays, row: np.ndarray, x0: np.ndarray, x1: np.ndarray, prob: np.ndarray,
             nb: np.ndarray, nk: np.ndarray) -> tuple[np.ndarray, ...]:
    """Expand each entry by what each actor perceives of the other (itself, or a neighbour rung)."""
    m = a.misperception
    if m <= 0:
        return row, x0, x1, prob, nb, nk, x1, x0
    R = a.num_rungs
    shifts = np.array([-1, 0, 1])
    w = np.array([m / 2, 1 - m, m / 2])
    d0, d1 = np.meshgrid(shifts, shifts, indexing="ij")
    w2 = np.outer(w, w).ravel()
    keep = w2 > 0
    d0, d1, w2 = d0.ravel()[keep], d1.ravel()[keep], w2[keep]
    rep = len(w2)
    row, x0, x1, prob, nb, nk = (np.repeat(v, rep) for v in (row, x0, x1, prob, nb, nk))
    n = len(row) // rep
    n0 = np.clip(x1 + np.tile(d0, n), 0, R - 1)
    n1 = np.clip(x0 + np.tile(d1, n), 0, R - 1)
    return row, x0, x1, prob * np.tile(w2, n), nb, nk, n0, n1


# ----------------------------------------------------------------------------- the slow reference
def reference_analysis(game: LadderGame, arrays: LadderArrays, policies: tuple[Policy, Policy],
                       *, scenario: str, max_states: int = 200_000) -> SimulationResult:
    """The same analysis through ``LadderGame.transition``, state by state (for tests); in a crisis
    with private types a transient state is the model's state with the belief index beside it."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    track = TypeTrack.of(arrays, policies)
    index: dict[tuple[LadderState, int], int] = {}
    ends: dict[LadderState, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    arows: list[int] = []
    acols: list[int] = []
    avals: list[float] = []
    starts = game.initial_distribution()
    frontier = []
    e0_mass = []
    for p, start in starts:
        for w, g0 in track.starts():
            index[(start, g0)] = len(index)
            frontier.append((start, g0))
            e0_mass.append(p * w)
    while frontier:
        nxt_frontier = []
        for key in frontier:
            state, belief = key
            i = index[key]
            theta = np.array([state.types[track.typed] if track.on else 0])
            choice = []
            for pl in (0, 1):
                o = game.observe(state, pl)
                obs = Observations(o.turn, np.array([o.own]), np.array([o.opponent]),
                                   np.array([NO_SIGNAL if o.opponent_signal is None else o.opponent_signal]),
                                   np.array([o.balance]), np.array([o.peak]),
                                   track.variant(pl, theta, np.array([belief])))
                probs = policies[pl].action_probs(obs)[0]
                sig = int(policies[pl].signals(obs)[0])
                choice.append([(p, int(arrays.allowed[pl][c]), None if sig == NO_SIGNAL else sig)
                               for c, p in enumerate(probs) if p > 0])
            for pa, a0, g0 in choice[0]:
                for pb, a1, g1 in choice[1]:
                    for q, nxt in game.transition(state, JointAction((a0, a1), (g0, g1))):
                        w = pa * pb * q
                        if nxt.terminal:
                            j = ends.setdefault(nxt, len(ends))
                            arows.append(i), acols.append(j), avals.append(w)
                            continue
                        after = [(1.0, belief)]
                        if track.table is not None:
                            u = 1 - track.typed
                            lo, up = track.lottery(state.turn, np.array([state.positions[u]]),
                                                   np.array([state.perceived[u]]), np.array([state.balance]),
                                                   np.array([state.peak]), np.array([belief]),
                                                   np.array([nxt.perceived[u]]))
                            after = [(1.0 - float(up[0]), int(lo[0])), (float(up[0]), int(lo[0]) + 1)]
                        for share, g_next in after:
                            if share <= 0:
                                continue
                            nkey = (nxt, g_next)
                            if nkey not in index:
                                if len(index) >= max_states:
                                    raise RuntimeError(f"more than {max_states} states; use exact_analysis")
                                index[nkey] = len(index)
                                nxt_frontier.append(nkey)
                            rows.append(i), cols.append(index[nkey]), vals.append(w * share)
        frontier = nxt_frontier
    n = len(index)
    Q = sp.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsc()
    Rm = sp.coo_matrix((avals, (arows, acols)), shape=(n, len(ends))).tocsr()
    e0 = np.zeros(n)
    e0[:len(e0_mass)] = e0_mass
    visits = spsolve((sp.identity(n, format="csc") - Q).T.tocsc(), e0)
    absorb = Rm.T @ np.atleast_1d(visits)
    E, Rn, T = len(arrays.endings), arrays.num_rungs, arrays.turn_limit
    out = np.zeros((E, Rn, T + 1))
    typed = np.zeros((arrays.num_types, E))
    payoffs = np.zeros(2)
    for state, j in ends.items():
        e = arrays.endings.index(state.ending)
        out[e, state.peak, state.turn] += absorb[j]
        typed[state.types[track.typed] if track.on else 0, e] += absorb[j]
        payoffs += absorb[j] * np.array(game.returns(state))
    policies_d = {arrays.actors[i]: p.label for i, p in enumerate(policies)}
    return distribution_result("exact", scenario, policies_d, arrays.has_accidents, arrays.endings,
                               arrays.rung_ids, out.sum(axis=(1, 2)), out.sum(axis=(0, 2)), out.sum(axis=(0, 1)),
                               None, states=n, payoffs={a: float(payoffs[i]) for i, a in enumerate(arrays.actors)},
                               by_type=_by_type(arrays, typed, None))
