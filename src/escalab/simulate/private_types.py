"""Private types during simulation: who drew which type, and the belief about it, run by run.

The exact analysis and both Monte Carlo engines carry two more numbers per run in a crisis with
private types: the typed actor's type (drawn once, at the start, from the prior) and the other
actor's belief about it, an index on the grid of :mod:`escalab.solve.ladder_types`. The prior and
every posterior between two grid points become the mean-preserving lottery over those two points
(the solver's rule): Monte Carlo draws it from the run's generator, the exact analysis branches on
it with its probability. After each turn the belief moves by Bayes' rule from the rung the
uninformed actor *perceived*:
P(seen | type) = Σ_a π_type(a) M[a, seen], where π_type is the typed actor's policy table read at
the state as the uninformed actor sees it and M holds accidents and misreadings. The sum runs over
a in order, one product at a time, so the NumPy engines and the compiled kernel (which repeats it)
compute alike. A typed actor whose policy does not depend on its type (a doctrine, uniform play)
reveals nothing, and the belief stays at the prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..solve.ladder import LadderArrays, ObsTable
from ..solve.ladder_types import draw, perceived_likelihood, posterior_lottery, prior_lottery
from .policies import Policy, TablePolicy


@dataclass(frozen=True, eq=False)
class TypeTrack:
    """The private-type bookkeeping of one simulation (``typed`` = -1: the crisis has no types)."""

    typed: int
    prior: np.ndarray             # (n,) the typed actor's prior
    grid: int
    start: int                    # the prior's belief index (the lower point of its lottery)
    table: ObsTable | None        # the typed actor's policy, when it depends on the type
    likelihood: np.ndarray        # (A, R): P(seen rung | allowed action)
    start_w: float = 0.0          # the chance that the prior's lottery lands on start + 1

    @classmethod
    def of(cls, a: LadderArrays, policies: tuple[Policy, Policy]) -> "TypeTrack":
        if a.typed < 0:
            return cls(-1, np.ones(1), 1, 0, None, np.zeros((1, 1)))
        pol = policies[a.typed]
        return cls.with_table(a, pol.table if isinstance(pol, TablePolicy) and pol.table.variants > 1 else None)

    @classmethod
    def with_table(cls, a: LadderArrays, table: ObsTable | None) -> "TypeTrack":
        """The track of a typed crisis whose typed actor is modelled by the policy table ``table``
        (None: a policy that does not depend on the type, so the belief stays at the prior)."""
        lo, w = prior_lottery(float(a.type_prior[0]), a.grid)
        return cls(a.typed, a.type_prior, a.grid, lo, table, perceived_likelihood(a, a.typed), w)

    def starts(self) -> list[tuple[float, int]]:
        """The prior's lottery: (probability, belief index) with positive probability."""
        return [(p, g) for p, g in ((1.0 - self.start_w, self.start), (self.start_w, self.start + 1)) if p > 0]

    def draw_start(self, u: np.ndarray) -> np.ndarray:
        """Each run's starting belief index from one uniform per run."""
        return draw(np.full(len(u), self.start, dtype=np.int64), np.full(len(u), self.start_w), u)

    @property
    def on(self) -> bool:
        return self.typed >= 0

    @property
    def beliefs(self) -> int:
        return self.grid + 1 if self.on else 1

    def variant(self, player: int, theta: np.ndarray, g: np.ndarray) -> np.ndarray | None:
        """Each run's variant for ``player``'s policy table (None without types)."""
        if not self.on:
            return None
        return theta * self.beliefs + g if player == self.typed else g

    def draw(self, u: np.ndarray) -> np.ndarray:
        """Types from uniforms: the first type below the prior's first share, and so on."""
        return np.searchsorted(np.cumsum(self.prior)[:-1], u, side="right").astype(np.int32)

    def lottery(self, t: int, p_u: np.ndarray, q_u: np.ndarray, balance: np.ndarray, peak: np.ndarray,
                g: np.ndarray, seen: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The uninformed actor's posterior lottery, from what it saw of the typed actor's action:
        (lower grid index, chance of the upper one).

        ``p_u`` is the uninformed actor's own rung, ``q_u`` the typed actor's rung as it perceived it,
        ``balance`` in the first actor's terms - all before this turn. ``seen=None``: the lottery for
        every rung it may see, (n, R), with the same operations element by element (the exact
        analysis reads each state's table row once instead of once per seen rung).
        """
        if self.table is None:
            stay = g if seen is not None else np.repeat(g[:, None], self.likelihood.shape[1], axis=1)
            return stay, np.zeros(stay.shape)
        bal = balance if self.typed == 0 else -balance
        M = self.likelihood if seen is None else self.likelihood[:, seen]
        like = []
        for th in range(2):
            rows = self.table.rows(t, q_u, p_u, bal, peak, th * self.beliefs + g)
            if seen is None:
                rows = rows[:, :, None]
            L = rows[:, 0] * M[0]
            for col in range(1, rows.shape[1]):
                L = L + rows[:, col] * M[col]
            like.append(L)
        lo, w = posterior_lottery(g if seen is not None else g[:, None], like[0], like[1], self.grid)
        return lo.astype(g.dtype), w

    def update(self, t: int, p_u: np.ndarray, q_u: np.ndarray, balance: np.ndarray, peak: np.ndarray,
               g: np.ndarray, seen: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The next belief index of each run: its posterior lottery drawn with the uniform ``u``."""
        lo, w = self.lottery(t, p_u, q_u, balance, peak, g, seen)
        return draw(lo, w, u).astype(g.dtype)
