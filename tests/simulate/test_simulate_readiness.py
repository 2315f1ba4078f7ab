"""Readiness inference against hand-computed cases (the default scenario's Russian indicators)."""

from __future__ import annotations

import numpy as np
import pytest

import escalab
from escalab.errors import UsageError
from escalab.simulate import forward, indicator_model, parse_look, posterior
from escalab.simulate.readiness import Observation, level_of_rung, update_beliefs

PRIOR = [0.6, 0.25, 0.1, 0.05]
SSBN = [0.05, 0.15, 0.5, 0.9]
BOMBERS = [0.02, 0.1, 0.4, 0.8]
FORWARD = [0.03, 0.1, 0.35, 0.75]
SPECIAL_REGIME = [0.3, 0.3, 0.25, 0.2]


@pytest.fixture(scope="module")
def model():
    return indicator_model(escalab.load("escalate-to-deescalate"), "russia")


def test_model_reads_the_scenario(model) -> None:
    assert model.levels == ("constant", "increased", "military_danger", "full")
    assert model.signs == ("ssbn_surge", "bombers_airborne", "forward_deployment")
    assert np.allclose(model.prior, PRIOR)
    assert model.persistence == pytest.approx(0.9)


def test_declaration_without_indicators_is_most_likely_no_raise(model) -> None:
    """The article's reading of 27 February 2022: nothing seen, a level-less declaration heard."""
    post = posterior(model, parse_look(model, ["ssbn_surge=no", "bombers_airborne=no", "forward_deployment=no"],
                                       declared="Special regime of combat duty"))
    by_hand = [PRIOR[i] * (1 - SSBN[i]) * (1 - BOMBERS[i]) * (1 - FORWARD[i]) * SPECIAL_REGIME[i] for i in range(4)]
    assert np.allclose(post, np.array(by_hand) / sum(by_hand))
    assert post.argmax() == 0 and post[0] > 0.7


def test_indicators_seen_raise_the_posterior(model) -> None:
    post = posterior(model, Observation({"ssbn_surge": True, "bombers_airborne": True}))
    by_hand = [PRIOR[i] * SSBN[i] * BOMBERS[i] for i in range(4)]
    assert np.allclose(post, np.array(by_hand) / sum(by_hand))
    assert post.argmax() == 3


def test_hmm_two_steps_by_hand(model) -> None:
    """Look 1: SSBNs surged. Look 2: no surge. Persistence 0.9, the rest spread evenly (0.1 / 3)."""
    post = forward(model, [Observation({"ssbn_surge": True}), Observation({"ssbn_surge": False})])
    b1 = np.array([PRIOR[i] * SSBN[i] for i in range(4)])
    b1 /= b1.sum()
    predicted = np.array([0.9 * b1[j] + (0.1 / 3) * (1 - b1[j]) for j in range(4)])
    b2 = predicted * (1 - np.array(SSBN))
    b2 /= b2.sum()
    assert np.allclose(post[0], b1)
    assert np.allclose(post[1], b2)
    # With persistence 1 the two looks are just one combined Bayes update.
    fixed = forward(escalab_model_with_persistence(1.0),
                    [Observation({"ssbn_surge": True}), Observation({"ssbn_surge": False})])
    both = np.array([PRIOR[i] * SSBN[i] * (1 - SSBN[i]) for i in range(4)])
    assert np.allclose(fixed[-1], both / both.sum())


def escalab_model_with_persistence(p: float):
    from dataclasses import replace
    return replace(indicator_model(escalab.load("escalate-to-deescalate"), "russia"), persistence=p)


def test_vectorised_update_matches_forward(model) -> None:
    """The in-simulation update, fed the same indicators, gives the forward algorithm's answer."""
    rng = np.random.default_rng(0)
    u = rng.random((3, 1))
    level = np.array([2])
    seen = u[:, 0] < model.likelihood[:, 2]
    belief = update_beliefs(model, model.prior[None, :].copy(), level, u, first=True)
    look = Observation({s: bool(v) for s, v in zip(model.signs, seen)})
    assert np.allclose(belief[0], forward(model, [look])[0])


def test_readiness_follows_the_band() -> None:
    bands = ["de_escalation", "status_quo", "conventional", "nuclear_signalling", "nuclear_use", "strategic"]
    assert level_of_rung(bands, 4).tolist() == [0, 0, 1, 2, 3, 3]
    assert level_of_rung(bands, 5).tolist() == [0, 0, 1, 3, 4, 4]


@pytest.mark.parametrize("items, declared, message", [
    (["radar=yes"], None, "unknown indicator 'radar'"),
    (["ssbn_surge"], None, "expects indicator=yes|no"),
    (["ssbn_surge=perhaps"], None, "expected yes or no"),
    ([], "we are very ready", "unknown declaration"),
])
def test_bad_observations(model, items, declared, message) -> None:
    with pytest.raises(UsageError, match=message):
        parse_look(model, items, declared)


def test_actor_without_indicators() -> None:
    with pytest.raises(UsageError, match="no indicators for 'us'"):
        indicator_model(escalab.load("escalate-to-deescalate"), "us")
    with pytest.raises(UsageError, match="no 'indicators' section"):
        indicator_model(escalab.load("kahn-game"))


def test_contradictory_indicator_in_one_look(model) -> None:
    """Regression: 'ssbn_surge=no ssbn_surge=yes' silently kept the last value."""
    with pytest.raises(UsageError, match="both seen and not seen"):
        parse_look(model, ["ssbn_surge=no", "ssbn_surge=yes"])
    # the same value twice is one observation, counted once
    once = posterior(model, parse_look(model, ["ssbn_surge=yes"]))
    assert np.allclose(posterior(model, parse_look(model, ["ssbn_surge=yes", "ssbn_surge=y"])), once)


def test_belief_that_rules_out_the_evidence_restarts_from_the_prior(model) -> None:
    """Regression: with likelihoods 0/1 and a fixed level (persistence 1), a level that moves with the
    rung made every likelihood zero and the in-simulation belief 0/0 = NaN (and the JSON invalid)."""
    from dataclasses import replace

    sharp = replace(model, signs=("surge",), likelihood=np.array([[0.0, 0.0, 1.0, 1.0]]), persistence=1.0)
    u = np.array([[0.5]])
    b = update_beliefs(sharp, sharp.prior[None, :].copy(), np.array([3]), u, first=True)
    # seen at level 3: prior restricted to the levels that always show it
    assert np.allclose(b[0], np.array([0, 0, 0.1, 0.05]) / 0.15)
    b = update_beliefs(sharp, b, np.array([0]), u, first=False)
    # not seen at level 0: impossible under the current belief; start again from the prior
    assert np.all(np.isfinite(b))
    assert np.allclose(b[0], np.array([0.6, 0.25, 0, 0]) / 0.85)
