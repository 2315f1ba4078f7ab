"""The rationality fit recovers the λ of games played by a logit agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalab import load
from escalab.wargame.engine import new_game
from escalab.wargame.fit import decisions, fit_logit, fit_player
from escalab.wargame.store import MemoryStore, SqliteStore
from escalab.wargame.stored import StoredGames

TRUE_LAMBDA = 0.3


@pytest.fixture(scope="module")
def logit_games():
    store = MemoryStore()
    sc = load("kahn-game-compact")
    ids = [new_game(store, sc, {"state_a": f"logit:{TRUE_LAMBDA}", "state_b": "uniform"}, seed=s,
                    game_id=f"g{s}").game_id for s in range(60)]
    stored = StoredGames(store)
    game, plays, text = stored.plays(ids)
    return game, plays, stored.reference(text)


def test_logit_lambda_recovered(logit_games) -> None:
    game, plays, ref = logit_games
    fit = fit_player(plays, game, "state_a", ref)
    lo, hi = fit.logit.ci
    assert lo < TRUE_LAMBDA < hi
    assert hi - lo < TRUE_LAMBDA           # informative: the interval is narrower than λ itself
    assert not 4 * TRUE_LAMBDA < hi        # a clearly different precision is excluded
    assert fit.logit.loglik > fit.logit.loglik_uniform + 10


def test_uniform_player_fits_lambda_zero_and_level_zero(logit_games) -> None:
    game, plays, ref = logit_games
    fit = fit_player(plays, game, "state_b", ref)
    assert fit.logit.lam == pytest.approx(0.0, abs=0.05) and fit.logit.ci[0] == 0.0
    assert fit.levels.weights[0] > 0.9 and fit.levels.best_level == 0


def test_profile_interval_is_where_the_likelihood_drops_by_chi2(logit_games) -> None:
    from escalab.wargame.fit import CHI2_95_1, _logit_terms
    game, plays, ref = logit_games
    d = decisions(plays, game, "state_a", ref)
    f = fit_logit(d)
    assert _logit_terms(d, f.lam)[1] == pytest.approx(0.0, abs=1e-6)        # the score is zero at the maximum
    for end in f.ci:
        assert 2 * (f.loglik - _logit_terms(d, end)[0]) == pytest.approx(CHI2_95_1, abs=1e-6)


def test_best_reply_player_sits_at_the_bound() -> None:
    store = MemoryStore()
    sc = load("kahn-game-compact")
    ids = [new_game(store, sc, {"state_a": "equilibrium", "state_b": "uniform"}, seed=s, game_id=f"e{s}").game_id
           for s in range(10)]
    stored = StoredGames(store)
    game, plays, text = stored.plays(ids)
    d = decisions(plays, game, "state_a", stored.reference(text))
    f = fit_logit(d)
    # Every choice was a best reply to the equilibrium opponent: the likelihood never stops rising in λ.
    assert f.at_bound and f.ci[1] == float("inf")


def test_fit_cli(invoke, tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite"
    store = SqliteStore(db)
    sc = load("kahn-game-compact")
    for s in range(8):
        new_game(store, sc, {"state_a": "logit:1", "state_b": "level:1"}, seed=s, game_id=f"g{s}")
    store.close()
    out = tmp_path / "fit.json"
    r = invoke("fit", *[f"g{s}" for s in range(8)], "--actor", "state_b", "--db", str(db), "-o", str(out))
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["actor"] == "state_b" and data["games"] == 8
    assert "Logit precision" in r.output and "Level-k mix" in r.output
    r = invoke("fit", "g0", "--actor", "nobody", "--db", str(db))
    assert r.exit_code == 2 and "unknown actor 'nobody'" in r.stderr
    r = invoke("fit", "nope", "--actor", "state_a", "--db", str(db))
    assert r.exit_code == 2 and "unknown game 'nope'" in r.stderr


def test_fallback_moves_are_not_the_players() -> None:
    # The script's first entry is not an allowed rung of kahn-game: the engine's fallback plays turn 1.
    store = MemoryStore()
    sc = load("kahn-game")
    ids = [new_game(store, sc, {"state_a": "script:economic_pressure,military_posturing", "state_b": "uniform"},
                    seed=s, game_id=f"f{s}").game_id for s in range(4)]
    stored = StoredGames(store)
    game, plays, text = stored.plays(ids)
    assert all(p.turns[0][0].source.startswith("fallback:") for p in plays)
    d = decisions(plays, game, "state_a", stored.reference(text))
    assert d.fallbacks == 4 and len(d) == sum(len(p.turns) for p in plays) - 4
