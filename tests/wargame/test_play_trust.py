"""Secrets stay the user's and play leaves a full record (issue 23): a stored game never picks where a
key goes, file references stay in their folder, keys and URL credentials never reach the store, CSV
cells are no formulas, every pause is an event, the hot seat hides the other player's screen, and
pool workers end with their parent."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.parse
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, Reply, Status, legal_actions, play_middle
from llm_helpers import FAST, game
from rich.console import Console

import escalab
from escalab.wargame.engine import build_view, create_game, new_game, read_game
from escalab.wargame.human import HumanAgent, HumanIO
from escalab.wargame.protocol import AgentQuit
from escalab.wargame.store import MemoryStore, SqliteStore

SCENARIO = "kahn-game-compact"
USER_KEY = "sk-user-own-key-1111"
VICTIM = "sk-victim-other-var-2222"


def message(r: object) -> str:
    return " ".join((r.stderr + r.output).split())  # type: ignore[attr-defined]


def stored_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


# ----------------------------------------------------------------------------- a stored game's endpoint
def foreign_store(db: Path, url: str) -> str:
    """A store 'someone else' made: its LLM player names an endpoint and another key variable."""
    scenario = escalab.load(SCENARIO)
    spec = f"llm:m@{url},{FAST},key_env=ESCALAB_VICTIM_KEY"
    rec = create_game(SqliteStore(db), scenario, {"state_a": spec, "state_b": "equilibrium"}, 4, game_id="theirs")
    return rec.game_id


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", USER_KEY)
    monkeypatch.setenv("ESCALAB_VICTIM_KEY", VICTIM)
    monkeypatch.setenv("ESCALAB_MY_KEY", "sk-from-my-config-3333")


def test_resuming_a_stored_endpoint_asks_first_and_refuses_without_a_terminal(invoke, tmp_path: Path, keys):
    db = tmp_path / "theirs.sqlite"
    with FakeOpenAI(default=play_middle) as fake:
        gid = foreign_store(db, fake.base_url)
        r = invoke("resume", gid, "--db", str(db))
        assert fake.chat_requests == []                                  # nothing sent anywhere
        assert r.exit_code == 2
        text = message(r)
        assert f"game 'theirs' would send requests to {fake.base_url}" in text
        assert f"pass --trust-endpoint {fake.base_url}" in text
        r = invoke("resume", gid, "--db", str(db), "--trust-endpoint", fake.base_url + "/")
        assert r.exit_code == 0, message(r)
        sent = {req["headers"].get("Authorization") for req in fake.chat_requests}
    assert sent == {f"Bearer {USER_KEY}"}                                # the user's key, never the store's pick


def test_the_key_comes_from_the_users_own_config(invoke, tmp_path: Path, keys):
    db = tmp_path / "theirs.sqlite"
    with FakeOpenAI(default=play_middle) as fake:
        gid = foreign_store(db, fake.base_url)
        mine = tmp_path / "mine.toml"
        mine.write_text(f'base_url = "{fake.base_url}"\nkey_env = "ESCALAB_MY_KEY"\n', encoding="utf-8")
        r = invoke("resume", gid, "--db", str(db), "--llm-config", str(mine))   # its URL is trusted, its key sent
        assert r.exit_code == 0, message(r)
        sent = {req["headers"].get("Authorization") for req in fake.chat_requests}
    assert sent == {"Bearer sk-from-my-config-3333"}


def test_forking_a_stored_endpoint_is_refused_before_the_fork_is_made(invoke, tmp_path: Path, keys):
    db = tmp_path / "theirs.sqlite"
    with FakeOpenAI(default=play_middle) as fake:
        gid = foreign_store(db, fake.base_url)
        r = invoke("fork", gid, "--turn", "1", "--db", str(db))
        assert r.exit_code == 2 and "--trust-endpoint" in message(r)
        assert [g.game_id for g in SqliteStore(db).games()] == [gid]    # no half-made fork
        r = invoke("fork", gid, "--turn", "1", "--db", str(db), "--agent", f"state_a=llm:m@{fake.base_url},{FAST}")
        assert r.exit_code == 0, message(r)                               # an endpoint the user names is theirs
        assert fake.chat_requests and all(req["headers"].get("Authorization") == f"Bearer {USER_KEY}"
                                          for req in fake.chat_requests)


# ----------------------------------------------------------------------------- file references
def test_file_references_stay_in_the_configs_folder(invoke, tmp_path: Path):
    (tmp_path / "secret.txt").write_text("root:x:0:0", encoding="utf-8")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "link.txt").symlink_to(tmp_path / "secret.txt")
    (shared / "ok.txt").write_text("A calm premier.", encoding="utf-8")
    for ref in ("../secret.txt", str(tmp_path / "secret.txt"), "link.txt"):
        cfg = shared / "llm.toml"
        cfg.write_text(f'persona_file = "{ref}"\n', encoding="utf-8")
        r = invoke("play", SCENARIO, "--agent", "state_a=llm:m@http://127.0.0.1:9/v1", "--agent",
                   "state_b=uniform", "--llm-config", str(cfg), "--db", str(tmp_path / "g.sqlite"))
        assert r.exit_code == 2, (ref, r.output)
        assert "LLM config llm.toml: persona_file:" in message(r) and "is outside the folder of llm.toml" in message(r)
        assert "root:x" not in message(r)
    from escalab.wargame.llm_config import load_file
    cfg.write_text('persona_file = "ok.txt"\n', encoding="utf-8")
    assert load_file(cfg)["persona"] == "A calm premier."


# ----------------------------------------------------------------------------- keys and URL credentials
KEY = "sk-proj/Ab+c=d_e"
QUOTED = urllib.parse.quote(KEY, safe="")
ECHOES = [KEY, QUOTED, re.sub("%..", lambda m: m.group().lower(), QUOTED),
          urllib.parse.quote_plus(KEY), "".join("\\" + c for c in KEY), KEY.replace("/", "\\/"),
          "".join(f"\\u{ord(c):04x}" for c in KEY), "".join(f"&#{ord(c)};" for c in KEY)]


def test_an_echoed_key_is_redacted_in_every_escaped_form(invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ESCALAB_ECHO_KEY", KEY)
    db = tmp_path / "store" / "g.sqlite"
    db.parent.mkdir()
    body = "invalid key: " + " | ".join(ECHOES)
    with FakeOpenAI([Status(401, body), Status(400, body)], default=play_middle) as fake:
        r = invoke("play", SCENARIO, "--agent", f"state_a=llm:m@{fake.base_url},{FAST},key_env=ESCALAB_ECHO_KEY",
                   "--agent", "state_b=uniform", "--seed", "2", "--db", str(db), "--id", "echo")
    assert r.exit_code == 0, message(r)
    replies = [e.payload["reply"] for e in SqliteStore(db).events("echo", ("agent_call",))
               if e.payload["status"] != 200]
    assert replies and all(rep == "invalid key: " + " | ".join(["[redacted]"] * len(ECHOES)) for rep in replies)
    out = tmp_path / "export"
    assert invoke("export", "echo", "--db", str(db), "--out", str(out)).exit_code == 0
    for blob in (stored_bytes(db.parent), stored_bytes(out)):
        assert b"proj" not in blob and b"\\u0070\\u0072" not in blob and b"&#112;&#114;" not in blob


def test_credentials_in_an_endpoint_url_are_never_printed_or_stored(invoke, tmp_path: Path):
    db = tmp_path / "g.sqlite"
    r = invoke("play", SCENARIO, "--agent", "state_a=llm:m@https://alice:s3cret@127.0.0.1:9/v1", "--agent",
               "state_b=uniform", "--db", str(db))
    assert r.exit_code == 2 and "must not hold credentials" in message(r)
    assert "s3cret" not in r.output + r.stderr and "https://***@127.0.0.1:9/v1" in message(r)
    cfg = tmp_path / "llm.yaml"
    cfg.write_text("base_url: https://bob:hunter2@llm.example/v1\n", encoding="utf-8")
    r = invoke("play", SCENARIO, "--agent", "state_a=llm:m", "--agent", "state_b=uniform", "--llm-config", str(cfg),
               "--db", str(db))
    assert r.exit_code == 2 and "must not hold credentials" in message(r) and "hunter2" not in r.output + r.stderr
    cfg.unlink()
    assert b"s3cret" not in stored_bytes(tmp_path) and b"hunter2" not in stored_bytes(tmp_path)


# ----------------------------------------------------------------------------- CSV cells
def test_tournament_csv_cells_are_neither_formulas_nor_escapes():
    import csv

    from escalab.wargame.tournament import make_plan, run_tournament
    scenario = escalab.load(SCENARIO)
    plan = make_plan(scenario, {"@SUM(A1)": "uniform", "\x1b[31mred": "logit:1"}, games=1, seed=0, self_play=False)
    text = run_tournament(plan, MemoryStore()).csv()
    assert "\x1b" not in text
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
    assert not any(c.startswith("-") and not c.lstrip("-").replace(".", "", 1).replace("e-", "", 1).isdigit()
                   for c in cells)
    assert "'@SUM(A1)" in cells and "\\x1b[31mred" in cells and "'@SUM(A1) v \\x1b[31mred" in cells
    assert any(c.startswith("-") and float(c) < 0 for row in rows[1:] for c in row[4:] if c)   # numbers stay numbers


def test_exported_statements_are_no_formulas(tmp_path: Path):
    import csv

    from escalab.wargame.export import export_games

    def formula(request):
        return Reply({"signal": None, "action": legal_actions(request)[0], "statement": '=HYPERLINK("http://x","y")',
                      "reasoning": "-"})
    store = MemoryStore()
    scenario = game().scenario
    with FakeOpenAI(default=formula) as fake:
        log = new_game(store, scenario, {"state_a": f"llm:m@{fake.base_url},{FAST}", "state_b": "uniform"}, 1)
    export_games(store, [log.game_id], tmp_path)
    said = {row["statement"] for row in csv.DictReader((tmp_path / "turns.csv").open()) if row["side"] == "state_a"}
    assert said == {"'=HYPERLINK(\"http://x\",\"y\")"}
    assert json.loads((tmp_path / "transcript.jsonl").read_text().splitlines()[0])["statement"].startswith("=")


# ----------------------------------------------------------------------------- pauses are events
def test_the_attempts_of_a_pausing_turn_and_the_pause_are_stored():
    store = MemoryStore()
    scenario = game().scenario
    with FakeOpenAI(default=Status(503, "maintenance")) as fake:
        with pytest.raises(AgentQuit):
            new_game(store, scenario, {"state_a": f"llm:m@{fake.base_url},{FAST},retries=2,pause_after=1",
                                       "state_b": "equilibrium"}, 8)
        asked = len(fake.chat_requests)
    (rec,) = store.games()
    assert rec.status == "paused"
    events = store.events(rec.game_id)
    calls = [e for e in events if e.kind == "agent_call"]
    assert asked == 3 and len(calls) == 3 and all(c.turn == 1 and c.payload["status"] == 503 for c in calls)
    (pause,) = [e for e in events if e.kind == "pause"]
    assert (pause.turn, pause.actor) == (1, "state_a") and "paused until it is back" in pause.payload["reason"]
    assert pause.seq > calls[-1].seq and not any(e.kind in ("move", "fallback") for e in events)


def test_a_human_who_quits_leaves_a_pause_event():
    store = MemoryStore()
    hio = HumanIO(io.StringIO("quit\n"), Console(file=io.StringIO(), width=120))
    with pytest.raises(AgentQuit):
        new_game(store, escalab.load(SCENARIO), {"state_a": "human", "state_b": "uniform"}, 1, io=hio)
    (rec,) = store.games()
    assert rec.status == "paused"
    pauses = [(e.actor, e.payload["reason"]) for e in store.events(rec.game_id, ("pause",))]
    assert pauses == [("state_a", "the player quit")]


# ----------------------------------------------------------------------------- the hot seat
def test_the_hot_seat_clears_the_scrollback_and_waits_for_the_next_player():
    mem = MemoryStore()
    rec = create_game(mem, escalab.load(SCENARIO), {"state_a": "uniform", "state_b": "uniform"}, seed=1)
    view = build_view(read_game(mem, rec.game_id), 1)
    out = io.StringIO()
    hio = HumanIO(io.StringIO("\n\n1\nok\n\n"), Console(file=out, width=200, force_terminal=True, highlight=False))
    HumanAgent(hio, hotseat=True).act(view)
    screen = out.getvalue()
    confirm = screen.index("press Enter when state_b is at the keyboard")
    first_view = screen.index("state_b · turn 1")
    assert confirm < first_view
    between = screen[confirm:first_view]
    assert "\x1b[2J" in between and "\x1b[3J" in between          # screen and scrollback wiped after the Enter
    assert screen.count("\x1b[3J") >= 3 and screen.rindex("\x1b[3J") > screen.index("move is recorded")


# ----------------------------------------------------------------------------- workers end with their parent
PARENT = textwrap.dedent("""
    import os, sys, time
    from escalab.workers import WorkerPool
    with WorkerPool(3) as pool:
        futures = [pool.submit(time.sleep, 300) for _ in range(2)]
        print("ready", flush=True)
        time.sleep(300)
""")


def children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                out.add(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pool_workers_end_when_their_parent_is_killed_9(tmp_path: Path):
    proc = subprocess.Popen([sys.executable, "-c", PARENT], cwd=tmp_path, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while len(workers := children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20                       # a bound, not a speed: the watch polls 4 times a second
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if alive(w)]
    finally:
        for w in children(proc.pid):
            os.kill(w, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
    for w in left:
        os.kill(w, signal.SIGKILL)
    assert left == [], "pool workers outlived their killed parent"


def test_a_trusted_endpoint_is_asked_about_once_and_a_refused_one_stops_everything():
    from escalab.errors import UsageError
    from escalab.wargame.llm import admit_endpoints
    from escalab.wargame.llm_config import EndpointTrust, parse_spec
    asked: list[str] = []
    specs = {"a": "llm:m@http://198.51.100.7/v1,key_env=THEIR_KEY", "b": "llm:m@http://198.51.100.7/v1/"}
    trust = EndpointTrust.of_user("g", [], None, lambda q: asked.append(q) or True)
    admit_endpoints(specs, {}, trust)
    assert len(asked) == 1 and "http://198.51.100.7/v1" in asked[0] and "$OPENAI_API_KEY" in asked[0]
    cfg = trust.admit(parse_spec(specs["a"]))
    assert cfg.key_env == "OPENAI_API_KEY" and len(asked) == 1       # remembered; the store's key_env dropped
    # a spec of the user's own without a URL takes the stored settings' base_url: that one is the store's
    no = EndpointTrust.of_user("g", [], None, lambda q: False)
    with pytest.raises(UsageError, match="would send requests to http://203.0.113.5/v1"):
        admit_endpoints({"a": "llm:m"}, {"llm": {"base_url": "http://203.0.113.5/v1"}}, no)
    admit_endpoints({"a": "llm:m"}, {}, no)                          # OpenAI's own URL needs no question
