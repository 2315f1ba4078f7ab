"""The LLM agent over real HTTP against a scripted OpenAI-compatible server on loopback.

Every way an endpoint misbehaves must end in a move or an AgentFailure carrying the reason and
every call made - never an exception the engine did not ask for, never a leaked key.
"""

from __future__ import annotations

import json
import threading

import pytest
from fake_openai import Drip, Drop, FakeOpenAI, Flood, Reply, Slow, Status, legal_actions
from llm_helpers import agent, first_view

from escalab.wargame.llm_transport import ReplayMismatch, ReplayTransport
from escalab.wargame.protocol import AgentFailure

VIEW = first_view()
IDS = VIEW.ladder.rung_ids


def valid(action: str, signal: str | None = None) -> Reply:
    return Reply({"signal": signal, "action": action, "statement": "Hold the line.", "reasoning": "secret plan"})


def test_a_valid_reply_is_the_move_with_its_tokens_recorded() -> None:
    with FakeOpenAI([Reply({"signal": "nuclear_posturing", "action": "maximum_conventional_effort",
                            "statement": "  We will not yield.  ", "reasoning": "pressure works"},
                           prompt_tokens=321, completion_tokens=45)]) as fake:
        move = agent(fake.base_url).act(VIEW)
    assert (IDS[move.action], IDS[move.signal]) == ("maximum_conventional_effort", "nuclear_posturing")
    assert (move.statement, move.reasoning, move.source) == ("We will not yield.", "pressure works", "llm")
    (call,) = move.calls
    assert call["tokens"] == {"prompt": 321, "completion": 45}
    assert (call["attempt"], call["ask"], call["status"], call["error"]) == (1, 1, 200, None)
    assert call["latency_s"] > 0
    sent = fake.chat_requests[0]["json"]
    assert call["request"] == sent                     # the record is exactly what went over the wire
    assert sent["model"] == "test-model" and sent["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert "Your legal actions now: " + ", ".join(IDS[a] for a in VIEW.legal_actions) in sent["messages"][1]["content"]


def test_code_fences_and_prose_around_the_json_are_tolerated() -> None:
    text = 'Here is my move:\n```json\n{"signal": null, "action": "return_to_start_line"}\n```\nGood luck.'
    with FakeOpenAI([Reply(text)]) as fake:
        move = agent(fake.base_url).act(VIEW)
    assert IDS[move.action] == "return_to_start_line" and move.signal is None and len(move.calls) == 1


def test_malformed_json_is_reasked_with_the_error() -> None:
    with FakeOpenAI([Reply("I think we should escalate {action: nuclear"), valid("nuclear_posturing")]) as fake:
        move = agent(fake.base_url).act(VIEW)
    assert IDS[move.action] == "nuclear_posturing"
    first, second = move.calls
    assert first["error"].startswith("invalid reply: the reply is not a JSON object")
    assert (second["ask"], second["error"]) == (2, None)
    messages = fake.chat_requests[1]["json"]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == "I think we should escalate {action: nuclear"
    assert "not a JSON object" in messages[3]["content"]


def test_an_illegal_rung_is_reasked_then_the_agent_fails_with_the_reason() -> None:
    script = [valid("armageddon"), Reply({"action": "maximum_conventional_effort", "signal": 42}),
              Reply({"signal": None})]
    with FakeOpenAI(list(script)) as fake:
        with pytest.raises(AgentFailure) as info:
            agent(fake.base_url).act(VIEW)
    calls = info.value.calls
    assert len(calls) == len(fake.chat_requests) == 3              # asked once, re-asked twice (reasks=2)
    assert "action 'armageddon' is not a rung of this ladder" in calls[0]["error"]
    assert "signal 42 is not a rung" in calls[1]["error"]
    assert "key 'action' is missing" in calls[2]["error"]
    assert info.value.reason.startswith("invalid reply after 3 ask(s): key 'action' is missing")
    # each re-ask carries the previous error
    assert "armageddon" in fake.chat_requests[1]["json"]["messages"][-1]["content"]


def test_an_action_outside_the_legal_set_is_named_with_the_legal_ones() -> None:
    from dataclasses import replace
    narrow = replace(VIEW, legal_actions=(2, 3, 4))
    with FakeOpenAI([valid("strategic_nuclear_war"), valid("maximum_conventional_effort")]) as fake:
        move = agent(fake.base_url).act(narrow)
    assert IDS[move.action] == "maximum_conventional_effort"
    assert move.calls[0]["error"] == ("invalid reply: action 'strategic_nuclear_war' is not one of your legal "
                                      "actions now (return_to_start_line, conventional_military_pressure, "
                                      "maximum_conventional_effort)")


def test_5xx_and_dropped_connections_are_retried_with_growing_backoff() -> None:
    with FakeOpenAI([Status(500), Drop(), Status(503), valid("nuclear_posturing")]) as fake:
        move = agent(fake.base_url, "backoff=0.02,max_backoff=1").act(VIEW)
    assert IDS[move.action] == "nuclear_posturing"
    errors = [c["error"] for c in move.calls]
    assert errors[0].startswith("HTTP 500") and errors[2].startswith("HTTP 503") and errors[3] is None
    assert errors[1].startswith("connection: RemoteProtocolError")
    assert [c["attempt"] for c in move.calls] == [1, 2, 3, 4]
    waits = [c["wait_s"] for c in move.calls]
    # equal jitter: the k-th backoff lies in [d/2, d] with d = 0.02 * 2**(k-1)
    for k, w in enumerate(waits[:3]):
        d = 0.02 * 2 ** k
        assert d / 2 <= w <= d
    assert waits[3] == 0.0
    gaps = [b["at"] - a["at"] for a, b in zip(fake.chat_requests, fake.chat_requests[1:])]
    assert all(g >= w for g, w in zip(gaps, waits))


def test_429_retry_after_is_honoured_and_capped() -> None:
    script = [Status(429, retry_after="0.3"), Status(429, retry_after="3600"), valid("nuclear_posturing")]
    with FakeOpenAI(script) as fake:
        move = agent(fake.base_url, "max_retry_after=0.4").act(VIEW)
    first, second, third = move.calls
    assert (first["status"], first["retry_after"], first["wait_s"]) == (429, 0.3, 0.3)
    assert (second["retry_after"], second["wait_s"]) == (3600.0, 0.4)     # capped
    at = [r["at"] for r in fake.chat_requests]
    assert at[1] - at[0] >= 0.3 and at[2] - at[1] >= 0.4
    assert third["error"] is None and IDS[move.action] == "nuclear_posturing"


def test_a_slow_reply_times_out_and_is_retried() -> None:
    with FakeOpenAI([Slow(1.0), valid("return_to_start_line")]) as fake:
        move = agent(fake.base_url, "timeout=0.2").act(VIEW)
    slow, ok = move.calls
    assert slow["status"] is None and slow["reply"] is None
    assert slow["error"] == "timeout: no complete reply within 0.2 s"
    assert IDS[move.action] == "return_to_start_line" and ok["attempt"] == 2
    assert len(fake.chat_requests) == 2


@pytest.mark.timeout(60)      # before the deadline, a dripped reply held the request for hours
@pytest.mark.parametrize("headers_too", [False, True])
def test_a_reply_that_drips_is_cut_at_the_whole_request_deadline(headers_too: bool) -> None:
    """Each byte arrives well within the 0.5 s read timeout, so only a deadline on the whole request ends it."""
    with FakeOpenAI([Drip(0.02, headers_too), valid("return_to_start_line")]) as fake:
        move = agent(fake.base_url, "timeout=0.5").act(VIEW)
    dripped, ok = move.calls
    assert dripped["status"] is None and dripped["reply"] is None
    assert dripped["error"] == "timeout: no complete reply within 0.5 s"
    assert IDS[move.action] == "return_to_start_line" and ok["attempt"] == 2


@pytest.mark.timeout(60)
def test_a_runaway_reply_is_read_no_further_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The body is read up to the bound and the connection dropped: not all 200 MB, then cut."""
    from escalab.wargame import llm_transport
    monkeypatch.setattr(llm_transport, "MAX_BODY", 1000)
    with FakeOpenAI([Flood(200_000_000), valid("return_to_start_line")]) as fake:
        move = agent(fake.base_url).act(VIEW)
    flood, ok = move.calls
    assert flood["status"] == 200 and flood["reply"] == " " * 1000 and "malformed response" in flood["error"]
    assert fake.sent < 50_000_000 and IDS[move.action] == "return_to_start_line"


def test_replies_nested_without_end_are_malformed_not_a_crash() -> None:
    """JSON 100,000 levels deep from a server, as the response or as the model's content: json.loads
    raised RecursionError, which no handler took."""
    deep = "[" * 100_000 + "]" * 100_000
    script = [Status(200, '{"choices": ' + deep + "}"), Reply('{"action": ' + deep + "}"),
              valid("return_to_start_line")]
    with FakeOpenAI(script) as fake:
        move = agent(fake.base_url).act(VIEW)
    assert move.calls[0]["error"] == "malformed response: not a chat completion (no choices[0].message)"
    assert IDS[move.action] == "return_to_start_line" and len(fake.chat_requests) == 3


def test_persistent_failure_gives_up_after_the_retries() -> None:
    with FakeOpenAI(default=Status(502, "bad gateway")) as fake:
        with pytest.raises(AgentFailure) as info:
            agent(fake.base_url, "retries=3").act(VIEW)
    assert len(fake.chat_requests) == len(info.value.calls) == 4
    assert info.value.reason == "endpoint failed after 4 attempt(s): HTTP 502: bad gateway"


def test_a_client_error_is_not_retried() -> None:
    with FakeOpenAI(default=Status(404, '{"error": {"message": "model test-model not found"}}')) as fake:
        with pytest.raises(AgentFailure) as info:
            agent(fake.base_url).act(VIEW)
    assert len(fake.chat_requests) == 1
    assert "HTTP 404" in info.value.reason and "model test-model not found" in info.value.reason


@pytest.mark.parametrize("message", ["unsupported parameter: response_format",
                                     'Either \\"json_schema\\" or \\"grammar\\" can be specified, but not both'])
def test_a_server_without_json_mode_is_asked_again_without_it(message: str) -> None:
    refuse = Status(400, '{"error": {"message": "%s"}}' % message)
    with FakeOpenAI([refuse, valid("nuclear_posturing")]) as fake:
        move = agent(fake.base_url, "retries=0").act(VIEW)
    assert "response_format" in fake.chat_requests[0]["json"]
    assert "response_format" not in fake.chat_requests[1]["json"]
    assert IDS[move.action] == "nuclear_posturing" and move.calls[1]["wait_s"] == 0.0


def test_refused_parameters_are_renamed_or_dropped_and_remembered() -> None:
    # what OpenAI's reasoning models answer to max_tokens and temperature
    script = [Status(400, '{"error": {"message": "Unsupported parameter: \'max_tokens\' is not supported with this '
                          'model. Use \'max_completion_tokens\' instead."}}'),
              Status(400, '{"error": {"message": "Unsupported value: \'temperature\' does not support 0.7"}}'),
              valid("nuclear_posturing"), valid("nuclear_posturing")]
    with FakeOpenAI(script) as fake:
        a = agent(fake.base_url, "retries=0")
        a.act(VIEW)
        a.act(VIEW)                                     # the next turn sends the adapted request at once
    sent = [r["json"] for r in fake.chat_requests]
    assert len(sent) == 4
    assert ("max_tokens" in sent[0], "max_completion_tokens" in sent[1], "temperature" in sent[1]) == (True, True, True)
    for later in sent[2:]:
        assert "max_tokens" not in later and "temperature" not in later
        assert later["max_completion_tokens"] == 700


def test_a_reply_cut_off_at_the_token_limit_is_reasked_with_that_reason() -> None:
    with FakeOpenAI([Reply('{"reasoning": "First, the balance of resolve is', finish_reason="length"),
                     valid("nuclear_posturing")]) as fake:
        move = agent(fake.base_url).act(VIEW)
    assert "cut off at max_tokens=700: keep the reasoning short" in move.calls[0]["error"]
    assert "cut off at max_tokens=700" in fake.chat_requests[1]["json"]["messages"][-1]["content"]
    assert IDS[move.action] == "nuclear_posturing"


def test_json_schema_mode_offers_exactly_the_legal_rungs() -> None:
    with FakeOpenAI([valid("nuclear_posturing")]) as fake:
        agent(fake.base_url, "response_format=json_schema").act(VIEW)
    fmt = fake.chat_requests[0]["json"]["response_format"]
    schema = fmt["json_schema"]["schema"]
    assert fmt["type"] == "json_schema"
    assert schema["properties"]["action"]["enum"] == [IDS[a] for a in VIEW.legal_actions]
    assert schema["properties"]["signal"]["enum"] == [None] + list(IDS)


def test_the_key_goes_only_into_the_authorization_header(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-test-0123456789abcdef"
    monkeypatch.setenv("ESCALAB_TEST_KEY", key)
    echo = Status(500, json.dumps({"error": {"message": f"bad key {key}"}}))     # a server that echoes it
    with FakeOpenAI([echo, Drop(), valid("nuclear_posturing")]) as fake:
        move = agent(fake.base_url, "key_env=ESCALAB_TEST_KEY").act(VIEW)
    assert all(r["headers"]["Authorization"] == f"Bearer {key}" for r in fake.chat_requests)
    dumped = json.dumps(move.calls)
    assert key not in dumped and "[redacted]" in dumped


def test_no_key_no_authorization_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAI([valid("nuclear_posturing")]) as fake:
        agent(fake.base_url).act(VIEW)
    assert "Authorization" not in fake.chat_requests[0]["headers"]


def test_the_concurrency_limit_holds_across_threads() -> None:
    with FakeOpenAI(default=Slow(0.15)) as fake:
        agents = [agent(fake.base_url, "concurrency=3") for _ in range(8)]
        moves = []
        threads = [threading.Thread(target=lambda a=a: moves.append(a.act(VIEW))) for a in agents]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(fake.chat_requests) == len(moves) == 8
    assert all(len(m.calls) == 1 for m in moves)
    assert fake.max_in_flight == 3                     # never more, and the limit is used


def test_replay_serves_the_stored_exchanges_without_any_request() -> None:
    script = [Status(429, retry_after="0.05"), Reply("no json here"), Drop(), valid("nuclear_posturing")]
    with FakeOpenAI(list(script)) as fake:
        live = agent(fake.base_url).act(VIEW)
    stored = json.loads(json.dumps(live.calls))        # as the event store gives them back
    with FakeOpenAI(default=Status(500)) as untouched:
        replay = ReplayTransport(stored)
        again = agent(untouched.base_url, transport=replay, sleep=lambda s: None).act(VIEW)
    assert untouched.chat_requests == []
    assert again == live and replay.served == len(stored)
    strip = ("latency_s",)
    assert [{k: v for k, v in c.items() if k not in strip} for c in again.calls] == \
           [{k: v for k, v in c.items() if k not in strip} for c in stored]


def test_replay_refuses_a_game_that_diverged() -> None:
    with FakeOpenAI([valid("nuclear_posturing")]) as fake:
        live = agent(fake.base_url).act(VIEW)
    from dataclasses import replace
    other = replace(VIEW, turn=2)
    with pytest.raises(ReplayMismatch, match="other messages than the stored call"):
        agent(fake.base_url, transport=ReplayTransport(list(live.calls))).act(other)
    with pytest.raises(ReplayMismatch, match="stores only 0"):
        agent(fake.base_url, transport=ReplayTransport([])).act(VIEW)


def test_the_prompt_comes_from_the_view_only() -> None:
    with FakeOpenAI([valid("nuclear_posturing")]) as fake:
        agent(fake.base_url).act(VIEW)
    system, user = (m["content"] for m in fake.chat_requests[0]["json"]["messages"])
    assert "The Kahn Game on the compact ladder" in system and "State A" in system      # scenario and persona
    assert '"action": RUNG_ID' in system
    assert legal_actions(fake.chat_requests[0]["json"]) == [IDS[a] for a in VIEW.legal_actions]
    assert "you are here; the opponent appears here" in user


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    from escalab.wargame.llm_transport import parse_retry_after
    assert parse_retry_after("7") == 7.0 and parse_retry_after(" 0.5 ") == 0.5 and parse_retry_after("-3") == 0.0
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after(soon) <= 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0          # in the past: go now
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_each_ask_sends_a_seed_that_depends_only_on_the_agent_seed_turn_and_ask() -> None:
    from dataclasses import replace
    script = [valid("nuclear_posturing"), Reply("no json"), valid("nuclear_posturing"), valid("nuclear_posturing"),
              valid("nuclear_posturing")]
    with FakeOpenAI(script) as fake:
        agent(fake.base_url, seed=3).act(VIEW)
        agent(fake.base_url, seed=3).act(VIEW)        # turn 1 again: a reply without JSON, then a re-ask
        agent(fake.base_url, seed=3).act(replace(VIEW, turn=2))
        agent(fake.base_url, seed=4).act(VIEW)
    seeds = [r["json"]["seed"] for r in fake.chat_requests]
    assert seeds[0] == seeds[1] and len(set(seeds)) == 4 and all(0 <= s < 2 ** 31 for s in seeds)
    with FakeOpenAI([valid("nuclear_posturing")]) as fake:
        agent(fake.base_url, "send_seed=false").act(VIEW)
    assert "seed" not in fake.chat_requests[0]["json"]


def test_a_server_refusing_the_seed_is_asked_without_it() -> None:
    with FakeOpenAI([Status(400, '{"error": {"message": "Unrecognized request argument supplied: seed"}}'),
                     valid("nuclear_posturing")]) as fake:
        agent(fake.base_url).act(VIEW)
    assert "seed" in fake.chat_requests[0]["json"] and "seed" not in fake.chat_requests[1]["json"]
