"""Reading an actor's readiness from what others can see (the article's points 7-9).

A declaration ("special regime of combat duty") is cheap; submarines at sea and bombers aloft are
not. Each scenario gives, per readiness level, the probability of seeing each indicator and of
hearing each declaration; Bayes' rule turns what was observed into a posterior over levels.

For a sequence of observations the level may change between looks: a hidden Markov model whose
transition keeps the level with probability ``persistence`` and spreads the rest evenly over the
other levels (the simplest choice that needs one number and favours no direction; a scenario
with no ``persistence`` keeps the level fixed). The forward algorithm starts from the prior at the
first observation and moves one step between consecutive observations.

Indicators are conditionally independent given the level. An indicator not mentioned is not
observed (no evidence either way); a declaration not made is likewise no evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import UsageError
from ..model.indicators import IndicatorModel, Observation, forward, indicator_model, posterior

__all__ = ["IndicatorModel", "Observation", "forward", "indicator_model", "level_of_rung", "parse_look",
           "posterior", "update_beliefs"]

YES = ("yes", "y", "true", "1", "seen", "observed")
NO = ("no", "n", "false", "0", "unseen", "not_seen", "absent")


# ----------------------------------------------------------------------------- parsing what the user saw
def parse_look(model: IndicatorModel, items: Sequence[str], declared: str | None = None) -> Observation:
    """``ssbn_surge=no bombers_airborne=yes`` (also comma-separated) and a declaration text."""
    seen: dict[str, bool] = {}
    for item in (tok for part in items for tok in part.replace(",", " ").split()):
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise UsageError(f"--observe expects indicator=yes|no, got '{item}'")
        if name not in model.signs:
            raise UsageError(f"unknown indicator '{name}' for '{model.actor}' "
                             f"(indicators: {', '.join(model.signs) or 'none'})")
        v = value.strip().lower()
        if v not in YES + NO:
            raise UsageError(f"indicator '{name}': expected yes or no, got '{value}'")
        if name in seen and seen[name] != (v in YES):
            raise UsageError(f"indicator '{name}' is given as both seen and not seen in one look")
        seen[name] = v in YES
    return Observation(seen, _declaration(model, declared))


def _declaration(model: IndicatorModel, text: str | None) -> str | None:
    if text is None:
        return None
    for known in model.declarations:
        if known.casefold() == text.strip().casefold():
            return known
    quoted = ", ".join(f"'{d}'" for d in model.declarations) or "none"
    raise UsageError(f"unknown declaration '{text}' for '{model.actor}' (declarations: {quoted})")


# ----------------------------------------------------------------------------- inside the simulation
BAND_RANK = {"de_escalation": 0, "status_quo": 0, "conventional": 1, "nuclear_signalling": 2,
             "nuclear_use": 3, "strategic": 3}


def level_of_rung(bands: Sequence[str], num_levels: int) -> np.ndarray:
    """The readiness an actor is at while standing on each rung: a stated, simple coupling.

    Bands rank 0 (at or below the start line), 1 (conventional), 2 (nuclear signalling), 3
    (nuclear use or strategic), spread evenly over the actor's scale (lowest readiness first).
    """
    return np.array([round(BAND_RANK[b] * (num_levels - 1) / 3) for b in bands], dtype=np.int64)


def update_beliefs(model: IndicatorModel, belief: np.ndarray, level: np.ndarray, u: np.ndarray,
                   first: bool) -> np.ndarray:
    """One forward step for n runs: draw the indicators at each run's true level with uniforms
    ``u`` (S, n), then update the (n, L) beliefs."""
    if not first:
        belief = belief @ model.transition()
    if len(model.signs):
        seen = u < model.likelihood[:, level]                            # (S, n)
        lik = np.where(seen[:, :, None], model.likelihood[:, None, :], 1 - model.likelihood[:, None, :])
        lik = lik.prod(axis=0)                                            # (n, L)
        belief = belief * lik
        total = belief.sum(axis=1, keepdims=True)
        lost = total[:, 0] <= 0
        if lost.any():
            # The observer's belief rules out what it sees: possible when likelihoods of 0 or 1 meet a
            # level the observer holds fixed (no 'persistence') but that moves with the rung here.
            # It starts again from the prior (or, if that rules it out too, from a uniform belief);
            # the true level always has a positive likelihood, so this never divides by zero.
            fresh = model.prior * lik[lost]
            empty = fresh.sum(axis=1) <= 0
            fresh[empty] = lik[lost][empty]
            belief[lost] = fresh
            total = belief.sum(axis=1, keepdims=True)
        return belief / total
    return belief / belief.sum(axis=1, keepdims=True)
