"""The report page as a reader (and a browser) gets it: every section, every figure, nothing external."""

from __future__ import annotations

import base64
import html
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import escalab
from escalab.report.html_report import SECTIONS


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.headings: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.images.append(a)
        for key in ("href", "src", "action", "data", "poster"):
            if key in a:
                self.links.append(a[key])
        self._in_h2 = tag == "h2"

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.headings.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False


def parse(path: Path) -> tuple[Page, str]:
    text = path.read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    return page, text


def test_every_section_is_present_in_reading_order(default_report) -> None:
    out, _, _ = default_report
    page, _ = parse(out / "index.html")
    ids = [i for i in page.ids if i in dict(SECTIONS)]
    assert ids == [k for k, _ in SECTIONS]
    assert page.headings[:len(SECTIONS)] == [t for _, t in SECTIONS]


def test_every_image_is_embedded_non_empty_and_also_a_png_file(default_report) -> None:
    out, _, _ = default_report
    page, _ = parse(out / "index.html")
    names = {img["data-file"] for img in page.images}
    # the default scenario has a tree, two ladders, a phase diagram, a variant's, endings and readiness
    assert {"tree.png", "ladder.png", "crisis-ladder.png", "phase.png", "endings.png",
            "phase-escalate-to-deescalate-no-low-yield.png", "readiness-russia.png"} <= names
    for img in page.images:
        head, _, data = img["src"].partition(",")
        assert head == "data:image/png;base64"
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
        assert (out / img["data-file"]).read_bytes() == png
        assert img["alt"]


def test_no_external_reference_and_no_script(default_report) -> None:
    out, _, _ = default_report
    page, text = parse(out / "index.html")
    for link in page.links:
        assert link.startswith(("#", "data:image/png;base64,")), link
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text
    assert not re.search(r"(?i)\b(?:https?|ftp):", text)


def _machine_paths() -> list[str]:
    import escalab.report
    here = [os.getcwd(), str(Path.home()), str(Path(escalab.__file__).resolve().parents[2]), "/tmp/", "/root/"]
    return sorted({p for p in here if len(p) > 1})


def test_no_absolute_path_of_the_machine_in_any_output(default_report) -> None:
    out, _, terminal = default_report
    for f in out.iterdir():
        if f.suffix in (".html", ".json"):
            text = f.read_text(encoding="utf-8")
            for p in _machine_paths() + [str(out), str(out.parent)]:
                assert p not in text, (f.name, p)
    assert str(out.parent) not in terminal
    assert "Report: report/index.html" in " ".join(terminal.split())


def test_the_page_prints(default_report) -> None:
    out, _, _ = default_report
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "@media print" in text and "page-break-inside:avoid" in text


def test_browser_screenshot_is_not_blank(default_report, tmp_path: Path) -> None:
    """Headless Chromium (Debian's package) renders the page offline; the screenshot has content."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    out, _, _ = default_report
    shot = tmp_path / "shot.png"
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1600})
            page.on("request", lambda r: requests.append(r.url))
            page.goto((out / "index.html").resolve().as_uri())
            page.screenshot(path=str(shot), full_page=True)
            broken = page.evaluate("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                                   ".length")
        finally:
            browser.close()
    assert broken == 0
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    from PIL import Image
    import numpy as np
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape[0] > 3000                     # the whole report, not one screen
    assert pixels.std() > 20                          # not one flat colour
    assert (pixels < 128).mean() > 0.01               # text and figures drawn in dark ink


def test_a_second_run_replaces_its_own_files_only(tmp_path: Path, fast_simulation: None, invoke) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    first = invoke("run", "deterrence-game", "--out", str(tmp_path))
    assert first.exit_code == 0, first.stderr
    (tmp_path / "tree.png").write_bytes(b"stale")
    second = invoke("run", "chicken", "--out", str(tmp_path))
    assert second.exit_code == 0, second.stderr
    names = {p.name for p in tmp_path.iterdir()}
    assert "mine.txt" in names and (tmp_path / "mine.txt").read_text() == "keep me"
    assert not any(n.startswith(".escalab-staging") for n in names)
    assert escalab.load("chicken").title in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_plays_of_the_scenario_from_the_default_store(tmp_path: Path, monkeypatch, invoke) -> None:
    """A game played into the default store shows up with its scores; no store, the section says so."""
    from escalab.report import plays_section
    from escalab.report.html_report import plays_html
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESCALAB_DB", raising=False)
    s = escalab.load("kahn-game-compact")
    assert "no game store" in plays_section.compute(s)["skipped"]
    assert not (tmp_path / "escalab-games.sqlite").exists()          # reading never creates a store
    played = invoke("play", "kahn-game-compact", "-a", "state_a=script:return_to_start_line", "-a",
                    "state_b=uniform", "--seed", "1")
    assert played.exit_code == 0, played.stderr
    rec = plays_section.compute(s)
    assert rec["total"] == 1 and rec["games"][0]["status"] == "finished" and rec["games"][0]["turns"] >= 1
    html = plays_html({"plays": rec})
    assert rec["games"][0]["game"] in html and "state_b: uniform" in html
    assert "holds no game of 'kahn-game'" in plays_section.compute(escalab.load("kahn-game"))["skipped"]
    assert "ladder crisis" in plays_section.compute(escalab.load("deterrence-game"))["skipped"]


def test_decisions_and_equilibria_are_named_in_words(default_report) -> None:
    """Where the scenario names a decision, the page uses the name (the solver's id stays beside it)."""
    from escalab.report.html_report import held_by

    out, results, _ = default_report
    _, text = parse(out / "index.html")
    threats = text[text.index('id="threats"'):text.index('id="robustness"')]
    import html
    assert "If it came to 'The US President after Russian limited use', United States / NATO (resolute)" in \
        html.unescape(threats)
    assert "at 'The US President after Russian limited use' <code class=\"id\">us_decides|resolute</code>" in threats
    assert "nash:" not in threats and "pure-sequential:" not in threats
    assert held_by("nash:enumpure: conventional_defeat") == "a pure Nash equilibrium (outcome conventional_defeat)"
    assert held_by("pure-sequential: us_stops") == "a sequential equilibrium (outcome us_stops)"
    assert all("where" in x for x in results["solve"]["explanations"] + results["solve"]["threats"])
    crisis = html.unescape(text[text.index('id="crisis"'):text.index('id="readiness"')])
    assert "United States / NATO's type is private" in crisis and "Russia updates its belief" in crisis
    assert "us's" not in crisis and "russia doctrine:" not in crisis
    assert "Doctrine rows: Russia follows escalate-to-deescalate" in crisis


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(f'id="{start}"'):text.index(f'id="{end}"')]


def test_rungs_endings_and_settings_are_named_in_words(default_report) -> None:
    """The ladder rung a move stands for, the crisis's endings and settings read as the scenario names
    them; the ids stay as tooltips."""
    import html
    out, results, _ = default_report
    s = escalab.load("escalate-to-deescalate")
    _, text = parse(out / "index.html")
    names = {r.id: r.name for r in s.ladder.rungs}
    eq = _section(text, "equilibrium", "why")
    for d in results["solve"]["on_path"]:
        assert d["rung_name"] == names[d["rung"]]
        assert f'<span title="{d["rung"]}">{html.escape(names[d["rung"]])}</span>' in eq
    crisis = html.unescape(_section(text, "crisis", "readiness"))
    assert 'title="russia_capitulates">Russia capitulates<' in crisis and ">russia capitulates<" not in crisis
    assert "doctrine:" not in crisis
    scenario = html.unescape(_section(text, "scenario", "equilibrium"))
    assert "<td>Russia vs United States / NATO</td>" in scenario
    rob = html.unescape(_section(text, "robustness", "phase"))
    assert "russia at <code>" not in rob and "Russia at 'Russia, losing the conventional war': " in rob


def test_the_by_type_table_shows_each_types_simulated_rates(default_report) -> None:
    out, results, _ = default_report
    _, text = parse(out / "index.html")
    crisis = _section(text, "crisis", "readiness")
    table = crisis[crisis.index("<h3>By private type</h3>"):]
    table = table[:table.index("</table>")]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", table)]
    rows = [r for r in rows if r]
    sim = results["simulate"]
    want = [[f"{100 * rates[n]['p']:.1f}%" for n in sim["endings"]]
            for row in sim["rows"] for rates in row["by_type"].values()]
    assert [r[3:] for r in rows] == want
    for r in rows:                  # each type's runs end somehow: the rates add up to one
        assert sum(float(c.rstrip("%")) for c in r[3:]) == pytest.approx(100, abs=0.3)


def test_ladder_crisis_caveats_and_methods_are_the_solvers(default_report) -> None:
    """What the page says about the private type, beliefs and misreadings holds for the crisis the
    solver builds: a typed actor, a belief grid, and the measured distance from an exact equilibrium."""
    import html
    from escalab.simulate import Crisis

    out, results, _ = default_report
    s = escalab.load("escalate-to-deescalate")
    crisis = Crisis.of(s, accidents=True)
    eq = crisis.factory.equilibrium
    assert crisis.arrays.typed >= 0 and eq.unsettled > 0
    _, text = parse(out / "index.html")
    section = html.unescape(_section(text, "crisis", "readiness"))
    grid = crisis.game.belief_grid
    assert (f"on a grid of 1/{grid}: a belief between two grid points is a mean-preserving lottery over them"
            in section)
    assert (f"It is approximate: {eq.unsettled:,} of its stage games" in section
            and f"the largest such gain is {eq.epsilon:.3g} in payoff units" in section
            and f"{eq.mixed_stage_games:,} stage games" in section)
    finding = (f"The ladder crisis's equilibrium is approximate: {eq.unsettled:,} of its stage games have no pure "
               "perfect Bayesian equilibrium and no mixed one was found; there the profile with the smallest gain "
               f"from deviating is played, a gain of at most {eq.epsilon:.3g}. Another {eq.mixed_stage_games:,} have "
               "only mixed equilibria and are solved in mixed strategies.")
    assert finding in results["findings"]
    caveats = html.unescape(_section(text, "caveats", "sources"))
    assert "without misperception" not in caveats and "perfect Bayesian on a grid of beliefs" in caveats
    assert "expect accidents but not misreadings" in caveats and "a mixed one is sought" in caveats
    assert f"perfect Bayesian equilibrium over the belief about the private type, on a grid of 1/{grid}" in \
        results["methods"] and "fog-free" not in results["methods"]


def test_the_parameters_table_says_which_form_reads_each(default_report) -> None:
    out, _, _ = default_report
    _, text = parse(out / "index.html")
    table = html.unescape(text[text.index("<h3>Parameters</h3>"):])
    table = table[:table.index("</table>")]
    assert "<th>read by</th>" in table
    row = table[table.index("<code>c_expand_r</code>"):]
    assert row[:row.index("</tr>")].count("move tree") == 1
    row = table[table.index("<code>p_misread</code>"):]
    assert "ladder crisis" in row[:row.index("</tr>")]
