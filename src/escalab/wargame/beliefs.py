"""The uninformed side's belief about the typed side, as a player (or a scorer) can know it.

In a crisis with private types, a policy table has one block per *variant*: the typed actor's own
type and the belief index, or the belief index alone for the other actor (see
:mod:`escalab.solve.ladder_types`). The simulation carries the belief along with each run; a played
game has no such hidden number, so each policy agent rebuilds it from its own view, by the same
Bayes' rule on the grid (:class:`escalab.simulate.private_types.TypeTrack`):

- the uninformed side updates from the typed side's rungs *as it perceived them*: its true belief;
- the typed side does not know what the other perceived, so it updates from its own *executed*
  rungs, taking the other's rungs as it saw them: the belief the other holds when nothing was
  misread (the simulation's "neither actor reasons about what the other misperceived").

Where a posterior (or the prior) falls between two grid points, the solver's lottery over them is
drawn from a uniform that depends on the turn alone (:func:`lottery_uniform`), so both sides of a
game draw alike, and a game's beliefs are reproducible.

Both need a model of how the typed actor plays: the equilibrium strategy (perfect Bayesian
beliefs) unless the agent is a level-k player (then level k - 1 for the uninformed side and k - 2
for the typed side, as the level-k policies assume). Scores use the uninformed side's true belief,
rebuilt from the logged perceptions with the equilibrium as the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..model.ladder import LadderGame, Observation
from .protocol import View


def belief_model(factory: Any, spec: str, player: int) -> Any:
    """The typed actor's policy table the agent of ``spec`` (for ``player``) assumes, or None when
    the crisis has no types or that policy does not depend on the type (the belief then stays)."""
    a = factory.arrays
    if a.typed < 0:
        return None
    kind, args = factory.parse(spec)
    if kind == "level":
        k = int(float(args[0]))
        m = k - 1 if player != a.typed else k - 2
        table = factory.level(a.typed, m) if m >= 1 else None
    else:
        table = factory.equilibrium.strategy[a.typed]
    return table if table is not None and table.variants > 1 else None


def tracker(arrays: Any, table: Any) -> Any:
    from ..simulate.private_types import TypeTrack
    return TypeTrack.with_table(arrays, table)


def lottery_uniform(step: int) -> np.ndarray:
    """The uniform that draws the belief lottery before turn ``step`` + 1 (``-1``: the prior's)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence((22, step + 1)))).random(1)


def belief_path(arrays: Any, table: Any, steps: Sequence[tuple[int, int, int, int, int, int]]) -> list[int]:
    """Belief indices before each step and after the last. A step is ``(turn from 0, uninformed's
    own rung, typed's rung as the uninformed saw it, balance in the first actor's terms, peak,
    typed's rung seen after the turn)``."""
    track = tracker(arrays, table)
    g = track.draw_start(lottery_uniform(-1)).astype(np.int64)
    out = [int(g[0])]
    for t, p_u, q_u, bal, peak, seen in steps:
        if track.table is not None:
            one = (np.array([x], dtype=np.int64) for x in (p_u, q_u, bal, peak, seen))
            p, q, b, k, s = one
            g = track.update(t, p, q, b, k, g, s, lottery_uniform(t))
        out.append(int(g[0]))
    return out


def view_variant(game: LadderGame, arrays: Any, table: Any, view: View) -> int | None:
    """The policy variant of the side ``view`` belongs to (None without types), from the view only."""
    typed = arrays.typed
    if typed < 0:
        return None
    i = view.actor_index
    start = game.initial_state()
    sign0 = 1 if i == 0 else -1           # this side's balance -> the first actor's terms
    own, opp, bal, peak = start.positions[i], start.perceived[i], start.balance * (1 if i == 0 else -1), start.peak
    steps = []
    for t, h in enumerate(view.history):
        pk = h.peak if h.peak >= 0 else max(peak, h.own_executed, h.opponent_observed)
        if i == typed:      # the other's rung as seen, own rung as executed (read right)
            steps.append((t, opp, own, sign0 * bal, peak, h.own_executed))
        else:
            steps.append((t, own, opp, sign0 * bal, peak, h.opponent_observed))
        own, opp, bal, peak = h.own_executed, h.opponent_observed, h.balance, pk
    g = belief_path(arrays, table, steps)[-1]
    if i == typed:
        return game.type_names[i].index(view.own_type) * (arrays.grid + 1) + g
    return g


def observation_variants(game: LadderGame, arrays: Any, table: Any, types: Sequence[int],
                         obs: Sequence[Sequence[Observation]]) -> list[np.ndarray | None]:
    """Each side's variant before each turn of a logged game, with the uninformed side's true belief.

    ``obs[i][t]`` is side i's observation in state t (before turn t + 1), for every state of the
    game including the last: what the uninformed side saw of a turn is its next observation."""
    typed = arrays.typed
    if typed < 0:
        return [None, None]
    u = 1 - typed
    seen = obs[u]
    steps = [(o.turn, o.own, o.opponent, o.balance * (1 if u == 0 else -1), o.peak, nxt.opponent)
             for o, nxt in zip(seen, seen[1:])]
    g = np.array(belief_path(arrays, table, steps)[:-1], dtype=np.int64)
    return [types[i] * (arrays.grid + 1) + g if i == typed else g for i in (0, 1)]
