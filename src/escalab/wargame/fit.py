"""How rational is this player? Maximum-likelihood fits of its observed actions.

Two models of one side's choices, each fitted to every decision that side made over a set of games
of one crisis, at the observation it actually had (its own rung, the opponent's rung as it read
it, the balance from its side, the peak, the turn):

- **logit (quantal response)**: P(a) proportional to exp(λ · Q(a)), Q the action's expected payoff
  against the equilibrium opponent - exactly the simulation's ``logit:λ`` policy. λ = 0 is
  uniform play; λ → ∞ is the equilibrium's best replies. The log-likelihood is concave in λ, so
  the estimate is the root of its derivative; the 95% interval is the profile-likelihood interval
  {λ : 2 (ℓ(λ̂) - ℓ(λ)) ≤ χ²₁(0.95)} (and the Fisher-information standard error is reported too).
- **level-k mix**: each decision is drawn from level k with probability w_k (level 0 uniform over
  the legal actions, level k a best response to level k - 1). The weights maximise the
  likelihood (EM; the log-likelihood is concave in the weights, so EM finds the maximum).

Both are in payoff units of the scenario: λ is comparable only between games of one scenario.
Moves a fallback policy played for the player (a language model that failed to answer) are left
out: they say nothing about the player.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UsageError
from ..model.ladder import LadderGame
from .scores import Play, Reference, rebuild_states

CHI2_95_1 = 3.841458820694124        # 95% quantile of chi-square with one degree of freedom
LAMBDA_MAX = 1e4


@dataclass(frozen=True)
class Decisions:
    """One side's observed decisions: action values (n, A) over its allowed actions, legal masks,
    and the column chosen."""

    actor: str
    player: int
    q: np.ndarray
    legal: np.ndarray
    chosen: np.ndarray
    obs: tuple[Any, ...]                 # the Observation of each decision
    fallbacks: int = 0                   # moves left out: played by a fallback policy, not the player
    variant: np.ndarray | None = None    # with private types: own type and belief at each decision

    def __len__(self) -> int:
        return len(self.chosen)


def decisions(plays: Sequence[Play], game: LadderGame, actor: str, reference: Reference) -> Decisions:
    if actor not in game.actors:
        raise UsageError(f"unknown actor '{actor}' (actors of this crisis: {', '.join(game.actors)})")
    i = game.actors.index(actor)
    allowed = reference.arrays.allowed[i]
    obs, legal, chosen, variants = [], [], [], []
    skipped = 0
    for play in plays:
        states = rebuild_states(play, game)
        var = reference.variants(states)[i]
        for k, (state, turn) in enumerate(zip(states, play.turns)):
            if turn[i].fallback:          # the fallback policy's move, not the player's
                skipped += 1
                continue
            if var is not None:
                variants.append(int(var[k]))
            o = game.observe(state, i)
            obs.append(o)
            legal.append(np.isin(allowed, game.legal_actions(state, i)))
            chosen.append(int(np.searchsorted(allowed, turn[i].action)))
    n = len(obs)
    variant = np.array(variants, dtype=np.int64) if reference.arrays.typed >= 0 else None
    q = np.zeros((n, len(allowed)))
    for t in sorted({o.turn for o in obs}):
        rows = [k for k, o in enumerate(obs) if o.turn == t]
        sel = [obs[k] for k in rows]
        q[rows] = reference.values[i].rows(
            t, np.array([o.own for o in sel]), np.array([o.opponent for o in sel]),
            np.array([o.balance for o in sel]), np.array([o.peak for o in sel]),
            None if variant is None else variant[rows])
    return Decisions(actor, i, q, np.array(legal, dtype=bool).reshape(n, len(allowed)),
                     np.array(chosen, dtype=np.int64), tuple(obs), skipped, variant)


# ----------------------------------------------------------------------------- logit
def _logit_terms(d: Decisions, lam: float) -> tuple[float, float, float]:
    """Log-likelihood, its first and second derivative in λ."""
    z = np.where(d.legal, lam * d.q, -np.inf)
    top = z.max(axis=1, keepdims=True)
    w = np.exp(z - top)
    p = w / w.sum(axis=1, keepdims=True)
    qm = np.where(d.legal, d.q, 0.0)
    mean = (p * qm).sum(axis=1)
    var = (p * qm ** 2).sum(axis=1) - mean ** 2
    rows = np.arange(len(d))
    ll = float((z[rows, d.chosen] - top[:, 0] - np.log(w.sum(axis=1))).sum())
    return ll, float((d.q[rows, d.chosen] - mean).sum()), -float(np.maximum(var, 0).sum())


@dataclass(frozen=True)
class LogitFit:
    lam: float
    ci: tuple[float, float]
    se: float | None
    loglik: float
    loglik_uniform: float
    n: int
    at_bound: bool                    # the likelihood still rises at LAMBDA_MAX: play is best replies only

    def to_dict(self) -> dict[str, Any]:
        return {"lambda": self.lam, "ci95": list(self.ci), "se": self.se, "loglik": self.loglik,
                "loglik_uniform": self.loglik_uniform, "decisions": self.n, "at_bound": self.at_bound}


def fit_logit(d: Decisions, lam_max: float = LAMBDA_MAX) -> LogitFit:
    from scipy.optimize import brentq

    if len(d) == 0:
        raise UsageError(f"no decisions of '{d.actor}' in these games: nothing to fit")

    def score(lam: float) -> float:
        return _logit_terms(d, lam)[1]

    def ll(lam: float) -> float:
        return _logit_terms(d, lam)[0]

    at_bound = False
    if score(0.0) <= 0:
        lam = 0.0
    elif score(lam_max) >= -1e-9 * len(d):
        # Still rising (or flat to rounding) at the bound: the choices are best replies, ties split evenly.
        lam, at_bound = lam_max, True
    else:
        lam = brentq(score, 0.0, lam_max, xtol=1e-10, rtol=1e-12)
    top = ll(lam)
    drop = CHI2_95_1 / 2

    def below(x: float) -> float:
        return top - ll(x) - drop

    lo = 0.0 if lam == 0.0 or below(0.0) <= 0 else brentq(below, 0.0, lam, xtol=1e-10)
    hi = math.inf if at_bound or below(lam_max) <= 0 else brentq(below, lam, lam_max, xtol=1e-10)
    info = -_logit_terms(d, lam)[2]
    se = 1 / math.sqrt(info) if info > 0 else None
    return LogitFit(float(lam), (float(lo), float(hi)), se, top, ll(0.0), len(d), at_bound)


# ----------------------------------------------------------------------------- level-k
@dataclass(frozen=True)
class LevelMix:
    levels: tuple[int, ...]
    weights: tuple[float, ...]
    loglik: float
    n: int
    best_level: int                   # the single level with the highest likelihood

    def to_dict(self) -> dict[str, Any]:
        return {"weights": {f"level {k}": w for k, w in zip(self.levels, self.weights)}, "loglik": self.loglik,
                "decisions": self.n, "best_single_level": self.best_level}


def level_probabilities(d: Decisions, reference: Reference, max_level: int) -> np.ndarray:
    """(n, K + 1): the probability level k gives each observed choice."""
    from .policy_agents import policy_factory

    factory = policy_factory(reference.game)      # the levels already built for this crisis are reused
    out = np.zeros((len(d), max_level + 1))
    for k in range(max_level + 1):
        table = factory.level(d.player, k)
        for t in sorted({o.turn for o in d.obs}):
            idx = [j for j, o in enumerate(d.obs) if o.turn == t]
            sel = [d.obs[j] for j in idx]
            p = table.rows(t, np.array([o.own for o in sel]), np.array([o.opponent for o in sel]),
                           np.array([o.balance for o in sel]), np.array([o.peak for o in sel]),
                           None if d.variant is None else d.variant[idx])
            p = np.where(d.legal[idx], p, 0.0)
            p = p / p.sum(axis=1, keepdims=True)
            out[idx, k] = p[np.arange(len(idx)), d.chosen[idx]]
    return out


def fit_levels(d: Decisions, reference: Reference, max_level: int = 3, iterations: int = 2000) -> LevelMix:
    if len(d) == 0:
        raise UsageError(f"no decisions of '{d.actor}' in these games: nothing to fit")
    if not 0 <= max_level <= 20:
        raise UsageError(f"--max-level must be between 0 and 20, got {max_level}")
    P = level_probabilities(d, reference, max_level)
    w = np.full(max_level + 1, 1 / (max_level + 1))
    prev = -math.inf
    for _ in range(iterations):
        mix = P @ w
        ll = float(np.log(mix).sum())
        r = P * w / mix[:, None]
        w = r.mean(axis=0)
        if ll - prev < 1e-10:
            break
        prev = ll
    ll = float(np.log(P @ w).sum())
    with np.errstate(divide="ignore"):
        single = np.log(P).sum(axis=0)
    return LevelMix(tuple(range(max_level + 1)), tuple(float(x) for x in w), ll, len(d), int(np.argmax(single)))


@dataclass(frozen=True)
class Fit:
    actor: str
    games: int
    logit: LogitFit
    levels: LevelMix
    fallbacks: int = 0

    def to_dict(self) -> dict[str, Any]:
        aic_logit = 2 * 1 - 2 * self.logit.loglik
        aic_levels = 2 * (len(self.levels.levels) - 1) - 2 * self.levels.loglik
        return {"actor": self.actor, "games": self.games, "fallback_moves_left_out": self.fallbacks,
                "logit": self.logit.to_dict(),
                "level_k": self.levels.to_dict(), "aic": {"logit": aic_logit, "level_k": aic_levels}}


def fit_player(plays: Sequence[Play], game: LadderGame, actor: str, reference: Reference,
               max_level: int = 3) -> Fit:
    d = decisions(plays, game, actor, reference)
    return Fit(actor, len(plays), fit_logit(d), fit_levels(d, reference, max_level), d.fallbacks)
