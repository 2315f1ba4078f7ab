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

# Policy kinds (the first entry of a policy tuple).
LOOKUP = 0        # deterministic table: action and signal looked up at the observation's row
ALIAS = 1         # probability table sampled by Walker's alias method with one uniform
GIVEN = 2         # actions and signals computed outside for this turn (doctrines in rule form)


@njit(cache=True, nogil=True)
def _act(kind, own_off, opp_off, st_sig, st_bal, st_peak, base, act, sgn, keep, alias, allowed,
         r, own, opp, sig, bal, peak, u):
    """(action rung, signal rung or -1) of run r; ``u`` is its uniform (ALIAS only); ``base``
    holds the turn's share of the row."""
    if kind == GIVEN:
        return act[r], sgn[r]
    row = own_off[own] + opp_off[opp] + st_sig * (sig + 1) + st_bal * bal + st_peak * peak + base
    if kind == LOOKUP:
        return act[row], sgn[row]
    A = allowed.shape[0]
    v = u * A
    col = np.int32(v)
    if col > A - 1:
        col = A - 1
    cell = row * A + col
    if v - col < keep[cell]:
        return allowed[col], np.int32(-1)
    return allowed[alias[cell]], np.int32(-1)


@njit(cache=True, nogil=True)
def _accident(a, u, up, up_scale, down, down_scale, max_shift, any_down, R):
    """The executed rung of an action chosen at rung ``a`` (as ``_Kernel.accident`` computes it)."""
    p_up = up[a]
    shift = np.int32(u * up_scale[a]) + 1
    if any_down:
        k = max_shift[a]
        if u < p_up:
            s = min(shift, k)
        else:
            lower = u - p_up
            if lower < down[a]:
                s = -min(np.int32(lower * down_scale[a]) + 1, k)
            else:
                s = 0
        x = a + s
        return min(max(x, 0), R - 1)
    if u < p_up:
        return min(a + shift, R - 1)
    return min(a, R - 1)


@njit(cache=True, nogil=True)
def turn(t, T, m, u, j0, j1, ja, jm,
         p0, p1, q0, q1, s0, s1, b, k,
         pol0, pol1,
         up0, up1, up_scale0, up_scale1, down, down_scale, max_shift, any_down,
         next_balance, ending, neighbours, half, mis,
         R, B, lo, limit_code, tally, record, xs, ended):
    """Advance the first ``m`` runs by turn ``t``; return how many go on.

    ``u`` holds the turn's uniforms row by row (``u[j * m + r]`` for run r); ``j0``/``j1`` are the
    rows of the two policies' uniforms (-1: deterministic), ``ja`` the first of the two accident
    rows and ``jm`` the first of the two misreading rows (-1: none). The state arrays are updated
    in place, the runs that go on moved to the front in their order (as ``np.compress`` keeps
    them); ``tally[e, b - lo, peak]`` counts the runs that ended. With ``record``, ``xs[i, r]`` and
    ``ended[r]`` keep each run's executed rungs and whether it ended (for readiness beliefs).
    """
    # Unpack the policies once: arrays taken out of a tuple inside the loop cost reference counting.
    kind0, own0, opp0, st0, act0, sgn0, keep0, alias0, allowed0 = pol0
    kind1, own1, opp1, st1, act1, sgn1, keep1, alias1, allowed1 = pol1
    base0 = st0[3] * t + st0[4]
    base1 = st1[3] * t + st1[4]
    sig0, bal0, peak0 = st0[0], st0[1], st0[2]
    sig1, bal1, peak1 = st1[0], st1[1], st1[2]
    w = 0
    last = t + 1 >= T
    for r in range(m):
        a0, g0 = _act(kind0, own0, opp0, sig0, bal0, peak0, base0, act0, sgn0, keep0, alias0, allowed0,
                      r, p0[r], q0[r], s1[r], b[r], k[r], u[j0 * m + r] if j0 >= 0 else 0.0)
        a1, g1 = _act(kind1, own1, opp1, sig1, bal1, peak1, base1, act1, sgn1, keep1, alias1, allowed1,
                      r, p1[r], q1[r], s0[r], -b[r], k[r], u[j1 * m + r] if j1 >= 0 else 0.0)
        if ja >= 0:
            x0 = _accident(a0, u[ja * m + r], up0, up_scale0, down, down_scale, max_shift, any_down, R)
            x1 = _accident(a1, u[(ja + 1) * m + r], up1, up_scale1, down, down_scale, max_shift, any_down, R)
        else:
            x0, x1 = a0, a1
        pair = (x0 * R + x1) * B - lo
        nb = next_balance[pair + b[r]]
        code = ending[pair + nb]
        if last and code < 0:
            code = limit_code
        nk = max(max(k[r], x0), x1)
        if record:
            xs[0, r] = x0
            xs[1, r] = x1
            ended[r] = code >= 0
        if code >= 0:
            tally[code, nb - lo, nk] += 1
            continue
        if jm >= 0:
            v0 = u[jm * m + r]
            v1 = u[(jm + 1) * m + r]
            n0 = neighbours[x1 * 3 + (v0 >= half) + (v0 >= mis)]
            n1 = neighbours[x0 * 3 + (v1 >= half) + (v1 >= mis)]
        else:
            n0, n1 = x1, x0
        p0[w] = x0
        p1[w] = x1
        q0[w] = n0
        q1[w] = n1
        s0[w] = g0
        s1[w] = g1
        b[w] = nb
        k[w] = nk
        w += 1
    return w
