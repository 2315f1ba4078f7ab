"""The compiled turn of the Monte Carlo engine: one numba loop over the runs still going.

:func:`turn` does for one turn what the NumPy path of :func:`escalab.simulate.montecarlo.run_chunk`
does in some 45 array passes - policy, accidents, balance and ending, misreadings, the count of
the runs that ended, and the compaction of the runs that go on - in one pass over the runs, with
the same uniforms in the same places and the same floating-point operations in the same order, so
both paths give bit-identical results for a seed. The uniforms are drawn outside, by the chunk's
``numpy.random.Generator``, exactly as the NumPy path draws them.

Every argument has a fixed dtype (state and tables int32, offsets int64, probabilities float64),
so there is one compiled specialisation, cached on disk (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Every index in the loop is non-negative by construction (the tables are laid out so), and is
# cast to unsigned: numba then skips its negative-index wraparound, a third of the loop's work.
_u = np.uintp

# Policy kinds (the first entry of a policy tuple).
LOOKUP = 0        # deterministic table: action and signal looked up at the observation's row
ALIAS = 1         # probability table sampled by Walker's alias method with one uniform
GIVEN = 2         # actions and signals computed outside for this turn (doctrines in rule form)


@njit(cache=True, nogil=True)
def turn(t, T, m, u, j0, j1, ja, jm, jb,
         p0, p1, q0, q1, s0, s1, b, k, th, g,
         pol0, pol1, tm0, tm1,
         up0, up1, up_scale0, up_scale1, down, down_scale, max_shift, any_down,
         next_balance, ending, neighbours, half, mis,
         upd, tau, bdata, lik, grid, beliefs,
         R, B, lo, limit_code, tally, record, xs, ended, snap):
    """Advance the first ``m`` runs by turn ``t``; return how many go on.

    ``u`` holds the turn's uniforms row by row (``u[j * m + r]`` for run r); ``j0``/``j1`` are the
    rows of the two policies' uniforms (-1: deterministic), ``ja`` the first of the two accident
    rows, ``jm`` the first of the two misreading rows and ``jb`` the row of the belief lottery
    (-1: none). The state arrays are updated
    in place, the runs that go on moved to the front in their order (as ``np.compress`` keeps
    them); ``tally[type, e, b - lo, peak]`` counts the runs that ended. With ``record``, ``xs[i, r]``
    and ``ended[r]`` keep each run's executed rungs and whether it ended (for readiness beliefs).

    Private types (:mod:`escalab.simulate.private_types`): ``th`` and ``g`` hold each run's type
    and belief index; a policy reads its variant ``tm * type + g`` (``tm`` is the number of belief
    points for the typed actor, 0 for the other). With ``upd``, the uninformed actor's belief moves
    by Bayes' rule on the typed actor's table ``bdata`` and the likelihoods ``lik`` (A x R), then
    its lottery onto the grid is drawn, in the operations of
    :func:`escalab.solve.ladder_types.posterior_lottery` and :func:`~escalab.solve.ladder_types.draw`.

    The loop body is written out by hand: helper functions taking arrays would cost reference
    counting on every run, several times the work itself. Indices are not bounds-checked.
    """
    kind0, own0, opp0, st0, act0, sgn0, keep0, alias0, allowed0 = pol0
    kind1, own1, opp1, st1, act1, sgn1, keep1, alias1, allowed1 = pol1
    base0 = st0[3] * t + st0[4]
    base1 = st1[3] * t + st1[4]
    vs0, vs1 = st0[5], st1[5]
    At = allowed1.shape[0] if tau == 1 else allowed0.shape[0]
    sig0, bal0, peak0 = st0[0], st0[1], st0[2]
    sig1, bal1, peak1 = st1[0], st1[1], st1[2]
    A0, A1 = allowed0.shape[0], allowed1.shape[0]
    w = 0
    last = t + 1 >= T
    for r in range(m):
        pr0, pr1, br, kr = p0[_u(r)], p1[_u(r)], b[_u(r)], k[_u(r)]
        thr, gr, q0r, q1r = th[_u(r)], g[_u(r)], q0[_u(r)], q1[_u(r)]
        # --- the two policies (in the actors' own coordinates)
        if kind0 == GIVEN:
            a0, g0 = act0[_u(r)], sgn0[_u(r)]
        else:
            row = (own0[_u(pr0)] + opp0[_u(q0r)] + sig0 * (s1[_u(r)] + 1) + bal0 * br + peak0 * kr + base0
                   + vs0 * (tm0 * thr + gr))
            if kind0 == LOOKUP:
                a0, g0 = act0[_u(row)], sgn0[_u(row)]
            else:
                v = u[_u(j0 * m + r)] * A0
                col = min(np.int32(v), A0 - 1)
                cell = row * A0 + col
                other = alias0[_u(cell)]
                a0 = allowed0[_u(col if v - col < keep0[_u(cell)] else other)]
                g0 = -1
        if kind1 == GIVEN:
            a1, g1 = act1[_u(r)], sgn1[_u(r)]
        else:
            row = (own1[_u(pr1)] + opp1[_u(q1r)] + sig1 * (s0[_u(r)] + 1) - bal1 * br + peak1 * kr + base1
                   + vs1 * (tm1 * thr + gr))
            if kind1 == LOOKUP:
                a1, g1 = act1[_u(row)], sgn1[_u(row)]
            else:
                v = u[_u(j1 * m + r)] * A1
                col = min(np.int32(v), A1 - 1)
                cell = row * A1 + col
                other = alias1[_u(cell)]
                a1 = allowed1[_u(col if v - col < keep1[_u(cell)] else other)]
                g1 = -1
        # --- accidents: up by a uniform 1..k with probability up, down likewise, else as chosen
        x0, x1 = a0, a1
        if ja >= 0:
            for i in range(2):
                a = a0 if i == 0 else a1
                uu = u[_u((ja + i) * m + r)]
                p_up = up0[_u(a)] if i == 0 else up1[_u(a)]
                scale = up_scale0[_u(a)] if i == 0 else up_scale1[_u(a)]
                shift = np.int32(uu * scale) + 1
                if any_down:
                    kk = max_shift[_u(a)]
                    if uu < p_up:
                        x = a + min(shift, kk)
                    else:
                        lower = uu - p_up
                        x = a - min(np.int32(lower * down_scale[_u(a)]) + 1, kk) if lower < down[_u(a)] else a
                    x = min(max(x, 0), R - 1)
                else:
                    x = min(a + shift, R - 1) if uu < p_up else a
                if i == 0:
                    x0 = x
                else:
                    x1 = x
        # --- balance, peak and ending, from tables over (x0, x1, balance)
        pair = (x0 * R + x1) * B - lo
        nb = next_balance[_u(pair + br)]
        code = ending[_u(pair + nb)]
        if last and code < 0:
            code = limit_code
        nk = max(max(kr, x0), x1)
        if record:
            xs[_u(0), _u(r)] = x0
            xs[_u(1), _u(r)] = x1
            ended[_u(r)] = code >= 0
        if code >= 0:
            tally[_u(thr), _u(code), _u(nb - lo), _u(nk)] += 1
            continue
        # --- what each side sees of the other: one rung below with m/2, above with m/2
        if jm >= 0:
            v0 = u[_u(jm * m + r)]
            v1 = u[_u((jm + 1) * m + r)]
            n0 = neighbours[_u(x1 * 3 + np.int64(v0 >= half) + np.int64(v0 >= mis))]
            n1 = neighbours[_u(x0 * 3 + np.int64(v1 >= half) + np.int64(v1 >= mis))]
        else:
            n0, n1 = x1, x0
        # --- the uninformed actor's belief about the typed actor's type, by Bayes' rule on what it saw
        gn = gr
        if upd:
            like0 = 0.0
            like1 = 0.0
            for ty in range(2):
                if tau == 1:
                    seen = n0
                    rw = (own1[_u(q0r)] + opp1[_u(pr0)] - bal1 * br + peak1 * kr + base1
                          + vs1 * (ty * beliefs + gr))
                else:
                    seen = n1
                    rw = (own0[_u(q1r)] + opp0[_u(pr1)] + bal0 * br + peak0 * kr + base0
                          + vs0 * (ty * beliefs + gr))
                acc = bdata[_u(rw * At)] * lik[_u(seen)]
                for a in range(1, At):
                    acc = acc + bdata[_u(rw * At + a)] * lik[_u(a * R + seen)]
                if ty == 0:
                    like0 = acc
                else:
                    like1 = acc
            mu0 = gr / grid
            mu1 = 1.0 - mu0
            num0 = mu0 * like0
            den = num0 + mu1 * like1
            if den > 0:
                xg = num0 / den * grid
                near = np.floor(xg + 0.5)
                if abs(xg - near) <= snap:
                    xg = near
                gl = min(max(np.floor(xg), 0.0), float(grid))
                wg = 0.0 if gl >= grid else xg - gl
                gn = np.int32(gl) + np.int32(u[_u(jb * m + r)] < wg)
        # --- the run goes on: compact in place (w <= r, so nothing unread is overwritten)
        p0[_u(w)] = x0
        p1[_u(w)] = x1
        q0[_u(w)] = n0
        q1[_u(w)] = n1
        s0[_u(w)] = g0
        s1[_u(w)] = g1
        b[_u(w)] = nb
        k[_u(w)] = nk
        th[_u(w)] = thr
        g[_u(w)] = gn
        w += 1
    return w
