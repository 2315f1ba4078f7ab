"""The PettingZoo environment passes PettingZoo's own API and seed tests and follows the model."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test
from pettingzoo.test.seed_test import parallel_seed_test

from escalab import load
from escalab.wargame.pettingzoo_env import LadderCrisisEnv, parallel_env


@pytest.mark.parametrize("name,signals", [("kahn-game-compact", False), ("kahn-game", True), ("kahn-game", False)])
def test_pettingzoo_api_and_seed_tests(name: str, signals: bool) -> None:
    parallel_api_test(parallel_env(name, signals=signals), num_cycles=200)
    parallel_seed_test(lambda: parallel_env(name, signals=signals), num_cycles=200)


def test_masks_are_the_legal_actions_and_rewards_the_payoffs() -> None:
    sc = load("kahn-game")
    env = LadderCrisisEnv(sc)
    game = env.game
    obs, infos = env.reset(seed=1)
    state = env.state_
    for i, agent in enumerate(env.agents):
        assert obs[agent]["action_mask"].tolist() == [int(r in game.legal_actions(state, i)) for r in range(env.R)]
        assert env.observation_space(agent).contains(obs[agent])
        assert infos[agent]["text"] == game.describe_observation(game.observe(state, i))
    # Both sides go to strategic war at once: the crisis terminates (not truncated) with its payoffs.
    war = game.rung_ids.index("strategic_nuclear_war")
    obs, rewards, terms, truncs, infos = env.step({a: war for a in env.agents})
    assert terms == {"state_a": True, "state_b": True} and truncs == {"state_a": False, "state_b": False}
    assert rewards == {"state_a": -100.0, "state_b": -100.0}     # c_strategic
    assert env.agents == []


def test_turn_limit_is_a_truncation_and_illegal_actions_are_flagged() -> None:
    sc = load("kahn-game").with_params({"p_accident": 0, "p_misread": 0})
    env = LadderCrisisEnv(sc)
    env.reset(seed=0)
    hold = env.game.rung_ids.index("military_posturing")
    illegal = env.game.rung_ids.index("economic_pressure")        # a rung kahn-game does not allow
    _, _, _, _, infos = env.step({"state_a": illegal, "state_b": hold})
    assert infos["state_a"]["illegal_action"] and not infos["state_b"]["illegal_action"]
    # economic_pressure is rung 11; the allowed rungs nearest to it are military_posturing (13, two rungs up)
    # and return_to_start_line (8, three down): the nearest legal rung was played.
    assert infos["state_a"]["executed"] == hold
    steps = 1
    while env.agents:
        _, rewards, terms, truncs, _ = env.step({a: hold for a in env.agents})
        steps += 1
    assert steps == env.game.spec.turn_limit
    assert all(truncs.values()) and not any(terms.values())
    assert rewards == {"state_a": -0.5 * steps, "state_b": -0.5 * steps}   # balance 0 minus the cost of turns


def test_same_seed_same_episode() -> None:
    def run(seed: int) -> list:
        env = parallel_env("kahn-game-compact")
        obs, _ = env.reset(seed=seed)
        rng = np.random.default_rng(0)
        trace = []
        while env.agents:
            acts = {a: int(rng.choice(np.flatnonzero(obs[a]["action_mask"]))) for a in env.agents}
            obs, rew, *_ = env.step(acts)
            trace.append((acts, {a: o["observation"].tolist() for a, o in obs.items()}, rew))
        return trace
    assert run(3) == run(3)


def test_private_types_are_drawn_and_seen_by_their_side_only() -> None:
    from pathlib import Path
    tiny = str(Path(__file__).parents[1] / "simulate" / "files" / "typed-tiny.yaml")
    parallel_api_test(parallel_env(tiny, signals=True), num_cycles=100)
    env = parallel_env(tiny)
    R, n = env.R, len(env.game.type_names[1])
    start = 3 * R + (R + 1)                   # the own-type one-hot follows own, opponent, signal and peak
    seen: dict[int, np.ndarray] = {}
    for seed in range(40):
        obs, _ = env.reset(seed=seed)
        theta = env.state_.types[1]
        assert obs["d"]["observation"][start:start + n].tolist() == np.eye(n)[theta].tolist()
        assert env.state()[-2:].tolist() == [0, theta]      # a centralised critic sees the truth
        seen.setdefault(theta, obs["a"]["observation"])
    assert len(seen) == 2                      # both types are drawn ...
    assert seen[0].tolist() == seen[1].tolist()   # ... and the challenger cannot tell them apart
