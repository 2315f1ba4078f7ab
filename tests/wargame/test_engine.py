"""The play engine: private views, seeded reproducibility, fallbacks, resume, fork, re-run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import escalab
from escalab.errors import ModelError, UsageError
from escalab.wargame.agents import AgentContext, make_agent
from escalab.wargame.engine import (PlayedTurn, build_view, create_game, fork_game, new_game, outcome, play,
                                    read_game, rerun)
from escalab.wargame.protocol import AgentQuit, Move, View
from escalab.wargame.store import MemoryStore, SqliteStore

SCENARIO = "kahn-game-compact"
AGENTS = {"state_a": "logit:1", "state_b": "uniform"}


@pytest.fixture(scope="module")
def foggy():
    """The compact Kahn Game with frequent misreadings and accidents, so views and truth differ."""
    return escalab.load(SCENARIO).with_params(p_misread=0.4, p_accident=0.3)


def comparable(events):
    """Events with what legitimately differs between two games removed (ids, times)."""
    out = []
    for e in events:
        p = dict(e.payload)
        if e.kind == "view_sent":
            p["view"] = {k: v for k, v in p["view"].items() if k != "game_id"}
        out.append((e.seq, e.turn, e.kind, e.actor, json.dumps(p, sort_keys=True)))
    return out


def test_same_seed_gives_an_identical_event_log(foggy, tmp_path: Path):
    mem = MemoryStore()
    a = new_game(mem, foggy, AGENTS, seed=11)
    b = new_game(SqliteStore(tmp_path / "g.sqlite"), foggy, AGENTS, seed=11)
    events_b = SqliteStore(tmp_path / "g.sqlite").events(b.game_id)
    assert comparable(mem.events(a.game_id)) == comparable(events_b)
    c = new_game(mem, foggy, AGENTS, seed=12)
    assert outcome(mem.events(a.game_id)) != outcome(mem.events(c.game_id))


def test_every_turn_is_logged_in_order_and_the_log_rebuilds_the_game(foggy):
    mem = MemoryStore()
    log = new_game(mem, foggy, AGENTS, seed=3)
    kinds = [e.kind for e in mem.events(log.game_id)]
    assert kinds[:3] == ["game_created", "type_draw", "type_draw"] and kinds[-1] == "game_end"
    assert kinds.count("move") == 2 * log.state.turn == 2 * kinds.count("turn_end")
    assert [e.seq for e in mem.events(log.game_id)] == list(range(len(kinds)))
    again = read_game(mem, log.game_id)
    assert again.turns == log.turns and again.ended
    assert mem.game(log.game_id).status == "finished"


class Spy:
    """An agent that records the views it is given and writes a secret into its reasoning."""

    def __init__(self, name: str, inner):
        self.name, self.inner, self.views = name, inner, []

    def act(self, view: View) -> Move:
        self.views.append(view)
        m = self.inner.act(view)
        return dataclasses.replace(m, reasoning=f"SECRET-{view.actor}-{view.turn}", statement=f"from {view.actor}")


def test_views_hold_only_own_information(foggy):
    """A view never carries the opponent's reasoning, ordered (pre-accident) rung, type or pending move:
    changing all of those leaves the view exactly as it was."""
    mem = MemoryStore()
    log = new_game(mem, foggy, AGENTS, seed=5)
    for e in mem.events(log.game_id, ("view_sent",)):
        other = "state_b" if e.actor == "state_a" else "state_a"
        assert f"SECRET-{other}" not in json.dumps(e.payload)
    base = read_game(mem, log.game_id)
    for cut in range(len(base.turns)):
        partial = dataclasses.replace(base, turns=base.turns[:cut], pending={})
        for me in (0, 1):
            other = 1 - me
            view = build_view(partial, me)
            assert view.turn == cut + 1 and view.actor == foggy.spec.ladder_crisis.actors[me]
            # the opponent's private side of every played turn, changed
            changed = []
            for p in partial.turns:
                moves = list(p.moves)
                moves[other] = dataclasses.replace(moves[other], reasoning="changed", source="changed",
                                                   action=(moves[other].action + 1) % 9)
                types = list(p.state.types)
                types[other] = 7
                changed.append(PlayedTurn(p.turn, tuple(moves), dataclasses.replace(p.state, types=tuple(types))))
            pending = {other: Move(action=8, signal=8, statement="pending", reasoning="pending")}
            twin = dataclasses.replace(partial, turns=changed, pending=pending)
            assert build_view(twin, me) == view


def test_views_show_misreadings_not_the_truth(foggy):
    """Under misperception the view reports the rung as seen, and one's own accidents."""
    mem = MemoryStore()
    misread = own_accident = 0
    for seed in range(8):
        log = new_game(mem, foggy, {"state_a": "uniform", "state_b": "doctrine:brinkmanship"}, seed=seed)
        for k, p in enumerate(log.turns):
            nxt = dataclasses.replace(log, turns=log.turns[:k + 1])
            for me in (0, 1):
                v = build_view(nxt, me)
                assert v.opponent_observed == p.state.perceived[me]
                assert v.history[-1].opponent_observed == p.state.perceived[me]
                assert v.history[-1].own_executed == p.state.positions[me]
                assert v.history[-1].own_action == p.moves[me].action
                misread += p.state.perceived[me] != p.state.positions[1 - me]
                own_accident += p.state.positions[me] != p.moves[me].action
    assert misread > 0 and own_accident > 0          # the checks above met both cases


@pytest.mark.slow
def test_illegal_moves_fall_back_and_are_logged():
    """escalate-to-deescalate allows steps of at most 3 rungs: from maximum conventional effort (4),
    a script that orders complete surrender (0) is refused and its fallback plays, logged; a legal
    scripted move is played as given."""
    scenario = escalab.load("escalate-to-deescalate")
    mem = MemoryStore()
    log = new_game(mem, scenario, {"russia": "script:complete_surrender", "us": "script:4/8"}, seed=2,
                   fallback="uniform")
    fb = mem.events(log.game_id, ("fallback",))
    moves = {(e.turn, e.actor): e.payload for e in mem.events(log.game_id, ("move",))}
    assert fb[0].turn == 1 and fb[0].actor == "russia"
    assert fb[0].payload["reason"].startswith("illegal action 0 (legal: 1, 2, 3, 4, 5, 6, 7)")
    assert fb[0].payload["policy"] == "uniform"
    assert moves[1, "russia"]["source"] == "fallback:uniform" and moves[1, "russia"]["action"] in range(1, 8)
    assert moves[1, "us"] == {"actor": "us", "signal": 8, "action": 4, "statement": "", "reasoning": "",
                              "source": "script:script:4/8"}
    # the fallback is asked only when the script is illegal: once within reach, the script plays
    for p in log.turns:
        legal = p.moves[0].source == "script:script:complete_surrender"
        assert legal == (p.moves[0].action == 0)


class Broken:
    name = "broken"

    def __init__(self, reply):
        self.reply = reply

    def act(self, view: View):
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


@pytest.mark.parametrize("reply,reason", [
    (Move(action=99), "illegal action 99"),
    (Move(action=3, signal=42), "illegal signal 42"),
    ("not a move", "not a Move"),
    (RuntimeError("endpoint exploded"), "RuntimeError: endpoint exploded"),
])
def test_a_bad_reply_is_replaced_by_the_fallback_policy(foggy, monkeypatch, reply, reason):
    import escalab.wargame.engine as engine
    real = engine.make_agent
    monkeypatch.setattr(engine, "make_agent",
                        lambda spec, ctx: Broken(reply) if spec == "script:0" else real(spec, ctx))
    mem = MemoryStore()
    log = new_game(mem, foggy, {"state_a": "script:0", "state_b": "uniform"}, seed=1, fallback="level:1")
    fb = mem.events(log.game_id, ("fallback",))
    moves = [e for e in mem.events(log.game_id, ("move",)) if e.actor == "state_a"]
    assert len(fb) == len(moves) == log.state.turn
    assert all(reason in e.payload["reason"] and e.payload["policy"] == "level:1" for e in fb)
    assert all(m.payload["source"] == "fallback:level:1" for m in moves)


def test_an_interrupted_game_resumes_without_asking_again(foggy):
    """A player quits mid-turn after the other side moved; resuming keeps that move and ends
    exactly as the uninterrupted game with the same seed."""
    whole = MemoryStore()
    ref = next(g for g in (new_game(whole, foggy, AGENTS, seed=s) for s in range(50)) if g.state.turn >= 4)
    mem = MemoryStore()
    rec = create_game(mem, foggy, AGENTS, seed=ref.record.seed)
    import escalab.wargame.engine as engine
    asked: list[tuple[str, int]] = []

    class Quitter:
        def __init__(self, inner, actor):
            self.name, self.inner, self.actor = inner.name, inner, actor

        def act(self, view):
            asked.append((self.actor, view.turn))
            if self.actor == "state_b" and view.turn == 3 and not quit_once:
                quit_once.append(1)
                raise AgentQuit("left the table")
            return self.inner.act(view)

    quit_once: list[int] = []
    real = engine.make_agent
    engine_make = lambda spec, ctx: Quitter(real(spec, ctx), ctx.actor)  # noqa: E731
    import unittest.mock as mock
    with mock.patch.object(engine, "make_agent", engine_make):
        with pytest.raises(AgentQuit):
            play(mem, rec.game_id)
        stopped = read_game(mem, rec.game_id)
        assert stopped.state.turn == 2 and list(stopped.pending) == [0]      # state_a's turn-3 move is stored
        log = play(mem, rec.game_id)
    assert asked.count(("state_a", 3)) == 1                                   # never asked again
    assert outcome(mem.events(rec.game_id)) == outcome(whole.events(ref.game_id))
    assert log.turns == ref.turns


def test_fork_with_the_same_seed_replays_and_with_other_agents_diverges(foggy):
    mem = MemoryStore()
    parent = next(g for g in (new_game(mem, foggy, AGENTS, seed=s) for s in range(50)) if g.state.turn >= 4)
    turn = 3
    same = play(mem, fork_game(mem, parent.game_id, turn).game_id)
    assert same.turns == parent.turns
    rec = fork_game(mem, parent.game_id, turn, agents={"state_b": "doctrine:brinkmanship"}, seed=99)
    assert (rec.parent_game, rec.parent_turn, rec.agents["state_b"]) == (parent.game_id, turn,
                                                                         "doctrine:brinkmanship")
    other = play(mem, rec.game_id)
    assert other.turns[:turn - 1] == parent.turns[:turn - 1]
    assert [m.source for m in other.turns[turn - 1].moves][1] == "policy:doctrine:brinkmanship"
    assert rerun(mem, rec.game_id).identical
    with pytest.raises(UsageError, match="--turn must be between 1 and"):
        fork_game(mem, parent.game_id, parent.state.turn + 1)


def test_rerun_detects_a_changed_log(foggy, tmp_path: Path):
    db = tmp_path / "g.sqlite"
    store = SqliteStore(db)
    log = new_game(store, foggy, {"state_a": "logit:1", "state_b": "human"}, seed=4,
                   io=_scripted_human(["3", "", "3", ""] * 10))
    assert rerun(store, log.game_id).identical
    # a stored human move edited after the fact is reported, not silently accepted
    store._db.execute("UPDATE events SET payload=json_set(payload, '$.action', 5) "
                      "WHERE game_id=? AND kind='move' AND actor='state_a' AND turn=1", (log.game_id,))
    with pytest.raises(ModelError, match="not one the rules allow"):
        read_game(store, log.game_id)


def _scripted_human(lines):
    import io
    from rich.console import Console

    from escalab.wargame.human import HumanIO
    return HumanIO(io.StringIO("\n".join(lines) + "\n"), Console(file=io.StringIO(), width=120))


def test_bad_agent_specs_are_refused_before_anything_is_stored(foggy):
    mem = MemoryStore()
    for agents, msg in [({"state_a": "logit:x", "state_b": "uniform"}, "expected a rationality"),
                        ({"state_a": "doctrine:nope", "state_b": "uniform"}, "no doctrine 'nope'"),
                        ({"state_a": "gpt", "state_b": "uniform"}, "unknown agent 'gpt'"),
                        ({"state_a": "uniform"}, "no agent for state_b"),
                        ({"state_a": "uniform", "state_b": "uniform", "usa": "uniform"}, "unknown actor 'usa'")]:
        with pytest.raises(UsageError, match=msg):
            create_game(mem, foggy, agents, seed=1)
    with pytest.raises(UsageError, match="--fallback must be a simulation policy"):
        create_game(mem, foggy, AGENTS, seed=1, fallback="human")
    assert mem.games() == []


def test_policy_agents_draw_from_their_own_seeded_stream(foggy):
    game = foggy.compile("ladder")
    import numpy as np
    log = new_game(MemoryStore(), foggy, AGENTS, seed=0)
    view = build_view(dataclasses.replace(log, turns=[]), 0)
    draws = []
    for s in (1, 1, 2):
        ctx = AgentContext(game, "state_a", np.random.SeedSequence(s, spawn_key=(2, 0)))
        agent = make_agent("uniform", ctx)
        draws.append([agent.act(dataclasses.replace(view, turn=t)).action for t in range(1, 30)])
    assert draws[0] == draws[1] != draws[2]
    assert set(draws[0]) <= set(view.legal_actions) and len(set(draws[0])) > 3


def test_private_types_are_drawn_from_the_prior_and_seen_only_by_their_owner():
    scenario = escalab.load("escalate-to-deescalate")
    game = scenario.compile("ladder")
    typed = [i for i in (0, 1) if len(game.type_names[i]) > 1]
    if not typed:
        pytest.skip("this scenario's ladder crisis has no private types in the model yet")
    i = typed[0]
    actor, other = game.actors[i], game.actors[1 - i]
    prior = {game.type_names[i][s.types[i]]: p for p, s in game.initial_distribution()}
    agents = {game.actors[0]: "script:4", game.actors[1]: "script:4"}
    mem = MemoryStore()
    n = 400
    drawn: dict[str, list[str]] = {t: [] for t in prior}
    for seed in range(n):
        rec = create_game(mem, scenario, agents, seed)
        draw = {e.actor: e.payload["type"] for e in mem.events(rec.game_id, ("type_draw",))}
        assert draw[other] == "default"
        drawn[draw[actor]].append(rec.game_id)
    for t, p in prior.items():
        assert abs(len(drawn[t]) / n - p) < 4 * (p * (1 - p) / n) ** 0.5, (t, len(drawn[t]), p)
    for t, ids in drawn.items():
        log = play(mem, ids[0])
        views = mem.events(log.game_id, ("view_sent",))
        assert {e.payload["view"]["own_type"] for e in views if e.actor == actor} == {t}
        for e in views:
            if e.actor == other:
                assert e.payload["view"]["own_type"] == "default"
                assert not any(name in json.dumps(e.payload) for name in prior)
