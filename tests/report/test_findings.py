"""The "In short" sentences are drawn from the records alone and follow the parameters."""

from __future__ import annotations

import escalab
from escalab.report import solve_section
from escalab.report.colours import OutcomeColours
from escalab.report.findings import findings, path_line, path_steps
from escalab.solve.sequential import solve_sequential


def solve_record(s: escalab.Scenario) -> dict:
    return {"solve": solve_section.compute(s, OutcomeColours(), lambda msg: None)}


def test_findings_follow_the_parameters() -> None:
    s = escalab.load("escalate-to-deescalate").with_params(p_resolute=0.9)
    lines = findings(s, solve_record(s))
    assert "Equilibrium: 'Russia accepts conventional defeat' (path accept)." in lines
    # the scenario's names for the move and the decision, with the id the path line uses
    assert "On the equilibrium path Russia plays 'Accept the loss' (accept) at 'Russia, losing the conventional war'." \
        in lines


def test_findings_say_why_a_section_is_missing() -> None:
    s = escalab.load("kahn-game")
    assert findings(s, solve_record(s))[0].startswith("Move tree: the scenario has no move tree")
    assert findings(escalab.load("chicken"), {}) == []


def test_simulation_findings_name_each_sides_policy() -> None:
    row = {"configuration": "doctrine x", "accidents": True, "policies": {"a": "doctrine:x", "b": "doctrine:y"},
           "endings": {"settlement": {"p": 0.75}, "strategic_war": {"p": 0.25}}}
    assert findings(escalab.load("chicken"), {"simulate": {"rows": [row]}}) == [
        "Ladder crisis, a in doctrine 'x' vs b in doctrine 'y'. With accidents: most often settlement (75%); "
        "strategic war 25.0%."]
    named = dict(row, policies={"row": "logit:1", "col": "doctrine:y"})
    assert findings(escalab.load("chicken"), {"simulate": {"rows": [named]}})[0].startswith(
        "Ladder crisis, Row driver in logit play (λ=1) vs Column driver in doctrine 'y'. With accidents:")
    # with and without accidents of one pair of policies share a line
    calm = dict(row, accidents=False, endings={"settlement": {"p": 1.0}})
    assert findings(escalab.load("chicken"), {"simulate": {"rows": [row, calm]}}) == [
        "Ladder crisis, a in doctrine 'x' vs b in doctrine 'y'. With accidents: most often settlement (75%); "
        "strategic war 25.0%. Without accidents: most often settlement (100%); strategic war 0.0%."]


def test_simulation_findings_give_the_outcome_of_each_private_type() -> None:
    # The sentence states what the simulation returned for each type, no more.
    rates = {"settlement": {"p": 0.0}, "russia_capitulates": {"p": 0.3}, "us_capitulates": {"p": 0.7}}
    row = {"configuration": "equilibrium", "accidents": True, "policies": {"russia": "equilibrium", "us": "equilibrium"},
           "endings": rates, "by_type": {"resolute": {"russia_capitulates": {"p": 0.97}, "us_capitulates": {"p": 0.03}},
                                         "irresolute": {"russia_capitulates": {"p": 0.0}, "us_capitulates": {"p": 1.0}}}}
    types = {"actor": "us", "observer": "russia", "prior": {"resolute": 0.3, "irresolute": 0.7}, "belief_grid": 10}
    doctrine = dict(row, policies={"russia": "doctrine:a", "us": "doctrine:b"})
    lines = findings(escalab.load("chicken"), {"simulate": {"rows": [row, doctrine], "types": types}})
    assert lines[0].startswith("In the ladder crisis us's type is private (resolute 30%, irresolute 70%)")
    assert lines[1].endswith("(by type - resolute us: russia capitulates (97%); irresolute us: us capitulates (100%)).")
    assert "by type" not in lines[2]


def test_the_report_states_the_compact_ladder_and_its_measured_effect() -> None:
    from escalab.report import simulate_section

    s = escalab.load("escalate-to-deescalate")
    configs = [c for c in simulate_section.configurations(s) if c[0] == "doctrine stop-on-nuclear-use"]
    comp = simulate_section.compaction(s, configs, lambda msg: None, runs=4000, seed=0)
    assert (comp["used"], comp["used_rungs"], comp["named"], comp["named_rungs"]) == (
        "kahn-game-compact", 9, "kahn-game-30", 30)
    (row,) = comp["rows"]
    # The numbers: about 13% strategic war on the compact ladder, about 1% on the full one.
    assert row["strategic_war_used"]["p"] > 3 * row["strategic_war_named"]["p"]
    line = findings(s, {"simulate": {"rows": [], "compaction": comp}})[0]
    assert line.startswith("The ladder crisis runs on the 9-rung ladder kahn-game-compact, not the 30-rung kahn-game-30")
    assert f"{100 * row['strategic_war_used']['p']:.1f}% on it against" in line


def test_off_path_beliefs_are_stated_as_the_solver_finds_them() -> None:
    """Each off-path sentence says the interval of beliefs the solver's equilibrium rests on."""
    from escalab.report.explain import fmt
    from escalab.solve.assessments import sequential_equilibria

    # Beer-Quiche: pooling on beer needs the receiver to think a quiche-eater weak with probability >= 1/2.
    s = escalab.load("beer-quiche")
    ranked, _ = sequential_equilibria(s.compile("sequential", exact=True))
    (rng,) = [r for r in ranked[0].belief_ranges if len(r.nodes) > 1]
    lo, hi = rng.interval
    assert hi == 1 and 0 < lo < 1
    line = next(x for x in findings(s, solve_record(s)) if x.startswith("Off the equilibrium path"))
    assert line == (f"Off the equilibrium path, Receiver at 'quiche' must put a probability of at least {fmt(lo)} "
                    "on Sender being weak rather than strong.")
    # Escalate to de-escalate: nothing off the path depends on Russia's belief about the President.
    s = escalab.load("escalate-to-deescalate")
    ranked, _ = sequential_equilibria(s.compile("sequential", exact=True))
    (rng,) = [r for r in ranked[0].belief_ranges if len(r.nodes) > 1]
    assert tuple(rng.interval) == (0, 1)
    lines = findings(s, solve_record(s))
    assert ("Off the equilibrium path, Russia at 'Russia after the US continues conventionally' may put any "
            "probability from 0 to 1 on United States / NATO being resolute rather than irresolute: the equilibrium "
            "holds for every one.") in lines
    assert not any("any belief" in x or "|" in x for x in lines)


def test_a_decision_across_written_nodes_is_named_by_its_information_set() -> None:
    s = escalab.load("chicken")
    lines = findings(s, solve_record(s))
    assert "On the equilibrium path Column driver plays 'swerve' at 'col decides'." in lines
    assert any("listed first because of the solver's order alone" in x for x in lines)


def test_the_tree_figure_names_actors_and_information_sets_in_words(tmp_path) -> None:
    import matplotlib.pyplot as plt

    from escalab.report.game_tree import plot_game_tree

    s = escalab.load("escalate-to-deescalate")
    game, _, eq = solve_section.solve_point(s)
    with plt.rc_context({"svg.fonttype": "none"}):     # keep text as text, to read it back
        svg = plot_game_tree(game, tmp_path / "t.svg", eq).read_text(encoding="utf-8")
    assert "Russia cannot tell apart the nodes this line joins" in svg and "United States / NATO" in svg
    assert svg.count("cannot tell apart") == 1          # one key for the dashed lines, not a caption on each
    assert "infoset" not in svg and eq.method not in svg
    assert f"equilibrium path (thick red): {eq.path}".replace(">", "&gt;") in svg


def test_endings_are_named_by_their_actor() -> None:
    from escalab.report.findings import ending_name

    s = escalab.load("kahn-game")
    assert "state_a" in s.spec.actors
    assert ending_name(s, "state_a_capitulates") == f"{s.spec.actors['state_a'].name} capitulates"
    assert ending_name(s, "strategic_war") == "strategic war"


def test_terminal_summary_puts_the_path_in_one_line() -> None:
    from escalab.report.run import _path_in_one_line

    lines = ["Equilibrium: a > b.", "On the equilibrium path X plays 'a' at 'one'.",
             "On the equilibrium path Y plays 'b' at 'two'.", "The outcome changes when p reaches 1."]
    one = path_line([((), "X plays 'a' at 'one'"), ((), "Y plays 'b' at 'two'")])
    assert one == "On the equilibrium path: X plays 'a' at 'one'; then Y plays 'b' at 'two'."
    assert _path_in_one_line(lines, one) == [lines[0], one, lines[3]]
    assert _path_in_one_line(lines[:2], one) == lines[:2]          # one step stays as it is


def test_a_path_per_type_is_told_per_type() -> None:
    """With private types, each type's moves are given under its condition, never as following the
    other type's (the default scenario: the resolute US answers in kind and Russia stops; the
    irresolute US stops), and each step's condition is what the solver's play reaches it under."""
    s = escalab.load("escalate-to-deescalate")
    rec = solve_record(s)
    lines = [ln for ln in findings(s, rec) if ln.startswith("On the equilibrium path")]
    assert lines == [
        "On the equilibrium path Russia plays 'Fire a few low-yield weapons' (limited_use) at 'Russia, losing the "
        "conventional war'.",
        "On the equilibrium path, if United States / NATO is resolute, United States / NATO plays 'Answer with a "
        "low-yield weapon' (answer_in_kind) at 'The US President after Russian limited use'.",
        "On the equilibrium path, if United States / NATO is resolute, Russia plays 'Stop after the exchange' (stop) "
        "at 'Russia after a US answer in kind'.",
        "On the equilibrium path, if United States / NATO is irresolute, United States / NATO plays 'Stop the war' "
        "(stop) at 'The US President after Russian limited use'."]
    assert path_line(path_steps(s, rec["solve"])) == (
        "On the equilibrium path: Russia plays 'Fire a few low-yield weapons' (limited_use) at 'Russia, losing the "
        "conventional war'; if United States / NATO is resolute: United States / NATO plays 'Answer with a "
        "low-yield weapon' (answer_in_kind) at 'The US President after Russian limited use', then Russia plays "
        "'Stop after the exchange' (stop) at 'Russia after a US answer in kind'; if United States / NATO is "
        "irresolute: United States / NATO plays 'Stop the war' (stop) at 'The US President after Russian limited use'.")
    # the conditions are the solver's: each step's choice is reached exactly under its draws
    game = s.compile("sequential", exact=True)
    sol = solve_sequential(game)
    for d in rec["solve"]["on_path"]:
        info = next(i for i in game.infosets if i.label == d["infoset"])
        reached = [n for n in info.nodes if any(float(r[0]) > 0 and game.nodes[t].id.startswith(game.nodes[n].id + "/")
                                                for t, r in sol.reach.items())]
        types = {game.nodes[n].id.split("/")[0] for n in reached}
        assert types == ({"resolute", "irresolute"} if not d["given"] else {g.split(" is ")[1] for g in d["given"]})
    # a game whose types both reach the receiver's choice: that choice is certain, each sender's is not
    bq = escalab.load("beer-quiche")
    givens = [d["given"] for d in solve_record(bq)["solve"]["on_path"]]
    assert givens == [["Sender is weak"], [], ["Sender is strong"]]
