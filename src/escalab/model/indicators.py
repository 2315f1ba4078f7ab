"""Bayes' rule over an actor's readiness levels from indicators and declarations (the article's points 7-9).

The model layer holds it because a scenario may take an actor's private-type prior from a readiness
assessment (``ladder_crisis.type_prior``), and the ladder form is compiled here; the simulation layer
(:mod:`escalab.simulate.readiness`) adds parsing what a user saw and the beliefs inside a simulation.
The indicator model itself is described there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ExpressionError, UsageError
from ..scenario import Scenario


@dataclass(frozen=True)
class IndicatorModel:
    """The likelihood tables of one actor's readiness, evaluated at the scenario's parameters."""

    actor: str
    levels: tuple[str, ...]
    level_names: tuple[str, ...]
    prior: np.ndarray                   # (L,)
    persistence: float
    signs: tuple[str, ...]
    likelihood: np.ndarray              # (S, L): P(sign seen | level)
    declarations: dict[str, np.ndarray]  # text -> (L,)

    def transition(self) -> np.ndarray:
        L = len(self.levels)
        if L == 1:
            return np.ones((1, 1))
        off = (1 - self.persistence) / (L - 1)
        return np.full((L, L), off) + np.eye(L) * (self.persistence - off)

    def likelihood_of(self, seen: Mapping[str, bool], declared: str | None = None) -> np.ndarray:
        """P(observations | level) for one look: indicators seen or not, and a declaration if made."""
        out = np.ones(len(self.levels))
        for sign, was_seen in seen.items():
            row = self.likelihood[self.signs.index(sign)]
            out *= row if was_seen else 1 - row
        if declared is not None:
            out *= self.declarations[declared]
        return out


def indicator_model(scenario: Scenario, actor: str | None = None) -> IndicatorModel:
    """The indicator model of ``actor`` (default: the first actor the scenario gives indicators for)."""
    table = scenario.spec.indicators
    if not table:
        raise UsageError(f"scenario '{scenario.id}' has no 'indicators' section")
    if actor is None:
        actor = next(iter(table))
    if actor not in table:
        raise UsageError(f"scenario '{scenario.id}' has no indicators for '{actor}' "
                         f"(indicators exist for: {', '.join(table)})")
    spec = table[actor]
    scale = scenario.scales[actor]
    levels = tuple(lvl.id for lvl in scale.levels)

    def ev(*path: str) -> float:
        try:
            return float(scenario.evaluate("indicators", actor, *path))
        except ExpressionError as exc:
            raise UsageError(exc.message) from None

    prior = np.array([ev("prior", lvl) for lvl in levels]) if spec.prior is not None \
        else np.full(len(levels), 1 / len(levels))
    persistence = ev("persistence") if spec.persistence is not None else 1.0
    signs = tuple(spec.signs)
    likelihood = np.array([[ev("signs", s, "likelihood", lvl) for lvl in levels] for s in signs]).reshape(
        len(signs), len(levels))
    declarations = {text: np.array([ev("declarations", text, lvl) if lvl in spec.declarations[text] else 0.0
                                    for lvl in levels]) for text in spec.declarations}
    return IndicatorModel(actor, levels, tuple(lvl.name or lvl.id for lvl in scale.levels), prior / prior.sum(),
                          persistence, signs, likelihood, declarations)


@dataclass(frozen=True)
class Observation:
    """One look at an actor: which indicators were seen or not, and the declaration heard, if any."""

    seen: dict[str, bool]
    declared: str | None = None


def posterior(model: IndicatorModel, obs: Observation) -> np.ndarray:
    """Bayes' rule for one look."""
    return _normalise(model.prior * model.likelihood_of(obs.seen, obs.declared))


def forward(model: IndicatorModel, looks: Sequence[Observation]) -> np.ndarray:
    """Filtered posteriors after each look (rows), by the forward algorithm."""
    if not looks:
        return model.prior[None, :].copy()
    P = model.transition()
    out = []
    belief = model.prior
    for i, obs in enumerate(looks):
        if i > 0:
            belief = belief @ P
        belief = _normalise(belief * model.likelihood_of(obs.seen, obs.declared))
        out.append(belief)
    return np.array(out)


def _normalise(w: np.ndarray) -> np.ndarray:
    total = w.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise UsageError("these observations are impossible under every readiness level (all likelihoods are 0)")
    return w / total


# ----------------------------------------------------------------------------- a type prior from readiness
@dataclass(frozen=True)
class ReadinessPrior:
    """An actor's private-type prior read from a readiness assessment: the posterior over its
    readiness levels after what was seen (as ``escalab assess`` computes it), summed over the levels
    the scenario maps to each type."""

    actor: str
    levels: np.ndarray                  # (L,) the readiness posterior
    types: tuple[str, ...]
    prior: np.ndarray                   # (n,) the type prior it gives


def readiness_looks(spec: Any) -> list[Observation]:
    """The looks of a ``from_readiness`` block, in the order ``escalab assess`` takes them: the
    ``sequence`` first, then ``observe``/``declared`` as one more look (or, with no evidence at all,
    one empty look, which leaves the prior)."""
    looks = [Observation(dict(look.observe), look.declared) for look in spec.sequence]
    if spec.observe or spec.declared is not None or not looks:
        looks.append(Observation(dict(spec.observe), spec.declared))
    return looks


def readiness_type_prior(scenario: Scenario) -> ReadinessPrior | None:
    """The type prior ``ladder_crisis.type_prior`` asks for, or None when the scenario gives none."""
    lc = scenario.spec.ladder_crisis
    tp = lc.type_prior if lc is not None else None
    if tp is None:
        return None
    model = indicator_model(scenario, tp.actor)
    spec = tp.from_readiness
    levels = forward(model, readiness_looks(spec))[-1]
    types = tuple(scenario.spec.actors[tp.actor].types or {})
    return ReadinessPrior(tp.actor, levels, types, type_shares(model.levels, levels, types, spec.map))


def type_shares(levels: Sequence[str], posterior: Sequence[float], types: Sequence[str],
                level_type: Mapping[str, str]) -> np.ndarray:
    """P(type): the readiness posterior summed over the levels ``level_type`` maps to each type."""
    shares = np.zeros(len(types))
    for lvl, p in zip(levels, posterior):
        shares[list(types).index(level_type[lvl])] += p
    return shares
