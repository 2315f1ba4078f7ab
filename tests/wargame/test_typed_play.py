"""Playing a crisis with private types: each side sees its own type only, policy agents play their
own type's strategy at the belief the uninformed side holds, and scores measure the distance from
the perfect Bayesian equilibrium at that same type and belief."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

import escalab
from escalab.wargame.beliefs import view_variant
from escalab.wargame.engine import ladder_info, new_game, read_game
from escalab.wargame.protocol import View
from escalab.wargame.scores import Reference, play_from_events, rebuild_states, score_play
from escalab.wargame.store import MemoryStore

TINY = Path(__file__).parents[1] / "simulate" / "files" / "typed-tiny.yaml"


@pytest.fixture(scope="module")
def played() -> tuple[MemoryStore, list[str], Reference]:
    # No misreadings: the typed side's own estimate of the other's belief is then exactly that belief.
    # A costly war for the soft type makes the equilibrium separate: the tough defender fights, the
    # soft one backs down, and the challenger learns the type from the first turn.
    scenario = escalab.load(str(TINY)).with_params({"p_misread": 0, "c_soft": 10})
    store, shared = MemoryStore(), {}
    ids = [new_game(store, scenario, {"a": "equilibrium", "d": "equilibrium"}, seed=s, shared=shared).game_id
           for s in range(24)]
    log = read_game(store, ids[0])
    return store, ids, Reference(log.game)


def test_views_hold_the_own_type_only(played):
    store, ids, _ = played
    for gid in ids[:6]:
        events = store.events(gid)
        drawn = {e.actor: e.payload["type"] for e in events if e.kind == "type_draw"}
        for e in events:
            if e.kind == "view_sent":
                view = e.payload["view"]
                assert view["own_type"] == drawn[e.actor]
                other = "d" if e.actor == "a" else "a"
                if other == "d":       # the challenger's view never names the defender's type
                    assert drawn["d"] not in str(view)


def test_policy_agents_play_their_type_at_the_belief(played):
    store, ids, ref = played
    game = ref.game
    eq = ref.policy                     # the equilibrium strategy tables, one per side
    seen_types, beliefs_moved = set(), False
    for gid in ids:
        play = play_from_events(gid, store.events(gid), game.rung_ids)
        states = rebuild_states(play, game)
        variants = ref.variants(states)
        seen_types.add(play.types[1])
        prior = variants[0][0]
        beliefs_moved |= any(v != prior for v in variants[0])
        for t, (state, turn) in enumerate(zip(states, play.turns)):
            for i in (0, 1):
                o = game.observe(state, i)
                p = eq[i].rows(o.turn, np.array([o.own]), np.array([o.opponent]), np.array([o.balance]),
                               np.array([o.peak]), np.array([variants[i][t]]))[0]
                col = list(ref.arrays.allowed[i]).index(turn[i].action)
                assert p[col] > 0, (gid, t, i)     # the move is one the equilibrium plays there
    assert seen_types == {"tough", "soft"}
    assert beliefs_moved, "the challenger's belief never moved: the test would not see a wrong update"
    # each side's belief, rebuilt by its agent from its own stored views, is the one the log gives
    ladder = asdict(ladder_info(game))
    for gid in ids:
        play = play_from_events(gid, store.events(gid), game.rung_ids)
        variants = ref.variants(rebuild_states(play, game))
        for e in store.events(gid, ("view_sent",)):
            view = View.from_json({**e.payload["view"], "ladder": ladder})
            assert view_variant(game, ref.arrays, ref.belief, view) == variants[view.actor_index][e.turn - 1]


def test_types_change_the_play_and_equilibrium_play_scores_zero(played):
    store, ids, ref = played
    game = ref.game
    first = {}
    for gid in ids:
        play = play_from_events(gid, store.events(gid), game.rung_ids)
        first.setdefault(play.types[1], set()).add(play.turns[0][1].action)
        scores = score_play(play, game.ladder, game, ref)
        assert scores.distance["a"]["total"] == pytest.approx(0, abs=1e-9)
        assert scores.distance["d"]["total"] == pytest.approx(0, abs=1e-9)
    # the tough and the soft defender open differently: a policy reading one type's block for both fails
    assert first["tough"] != first["soft"]


def test_the_wrong_type_is_off_the_equilibrium(played):
    store, ids, ref = played
    game = ref.game
    gid = next(g for g in ids if play_from_events(g, store.events(g), game.rung_ids).types[1] == "soft")
    play = play_from_events(gid, store.events(gid), game.rung_ids)
    tough = play_from_events(gid, store.events(gid), game.rung_ids).__class__(
        play.game_id, play.sides, play.turns, play.ending, (play.types[0], "tough"))
    # the soft defender's moves, scored as if it were tough, lose payoff against the tough equilibrium
    scores = score_play(tough, game.ladder, game, ref)
    assert scores.distance["d"]["total"] > 0


def test_the_logit_fit_recovers_lambda_of_a_typed_player():
    from escalab.wargame.fit import fit_player
    scenario = escalab.load(str(TINY)).with_params({"p_misread": 0, "c_soft": 10})
    store, shared = MemoryStore(), {}
    ids = [new_game(store, scenario, {"a": "uniform", "d": "logit:0.5"}, seed=s, shared=shared).game_id
           for s in range(80)]
    game = read_game(store, ids[0]).game
    plays = [play_from_events(g, store.events(g), game.rung_ids) for g in ids]
    fit = fit_player(plays, game, "d", Reference(game))
    lo, hi = fit.logit.ci
    assert lo <= 0.5 <= hi and not lo <= 2.0 <= hi, fit.logit


def test_scores_name_each_sides_type(played):
    store, ids, ref = played
    scores = score_play(play_from_events(ids[0], store.events(ids[0]), ref.game.rung_ids), ref.game.ladder,
                        ref.game, ref)
    drawn = {e.actor: e.payload["type"] for e in store.events(ids[0], ("type_draw",))}
    assert scores.types == drawn and scores.to_dict()["types"] == drawn


def test_a_typed_game_exported_scores_the_same_from_its_transcript(played, tmp_path):
    from escalab.wargame.export import export_games
    from escalab.wargame.transcript import read_transcript
    store, ids, ref = played
    game = ref.game
    drawn = {gid: next(e.payload["type"] for e in store.events(gid, ("type_draw",)) if e.actor == "d") for gid in ids}
    chosen = [g for g in ids if drawn[g] == "tough"][:3] + [g for g in ids if drawn[g] == "soft"][:3]
    export_games(store, chosen, tmp_path / "out")
    text = (tmp_path / "out" / "transcript.jsonl").read_text(encoding="utf-8")
    assert '"type": "tough"' in text and '"type": "soft"' in text
    tr = read_transcript(tmp_path / "out" / "transcript.jsonl", game.ladder, sides=game.actors)
    for play in tr.plays:
        stored = score_play(play_from_events(play.game_id, store.events(play.game_id), game.rung_ids),
                            game.ladder, game, ref)
        again = score_play(play, game.ladder, game, ref)
        assert again.types == stored.types and again.distance == stored.distance and again.ending == stored.ending


def test_transcript_types_are_checked(played, tmp_path):
    from escalab.errors import ScenarioError
    from escalab.wargame.transcript import parse_transcript
    game = played[2].game
    two = '{"game": "g", "turn": %d, "side": "a", "action": "hold"}\n{"game": "g", "turn": %d, "side": "d", "action": "hold", "type": "%s"}\n'
    with pytest.raises(ScenarioError, match="changes its type from 'tough' to 'soft'"):
        parse_transcript(two % (1, 1, "tough") + two % (2, 2, "soft"), game.ladder, sides=game.actors)
    play = parse_transcript(two % (1, 1, "stubborn"), game.ladder, sides=game.actors).plays[0]
    with pytest.raises(Exception, match="'d' has no type 'stubborn' in this crisis"):
        score_play(play, game.ladder, game, played[2])


def test_typed_games_rerun_and_fork_exactly(played):
    from escalab.wargame.engine import fork_game, outcome, play, rerun
    store, ids, _ = played
    long = [g for g in ids if read_game(store, g).state.turn >= 2]
    assert long
    for gid in long[:3]:
        assert rerun(store, gid).identical
        fork = fork_game(store, gid, 2)
        assert outcome(store.events(play(store, fork.game_id).game_id)) == outcome(store.events(gid))
