"""A person at the terminal plays one side (Rich screens, validated prompts).

The screen shows only the player's :class:`View`: the ladder with its bands and thresholds, where
the player stands, where the opponent *appears* to stand and what it declared and said, and the
player's own history. Input comes from a stream (standard input by default), so tests and scripted
sessions drive it line by line. Two people at one terminal (hot-seat) get a "pass the keyboard"
screen before and after each turn - the screen and the terminal's scrollback cleared, and the next
player's view drawn only once they confirm they are at the keyboard - so neither sees the other's.

Typing ``quit`` (or closing the input) stops the game; ``escalab resume GAME`` continues it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from rich.console import Console
from rich.control import Control
from rich.segment import ControlType, Segment
from rich.markup import escape
from rich.table import Table

from ..errors import UsageError
from .agents import AgentContext
from .protocol import AgentQuit, Move, View

BAND_STYLE = {"de_escalation": "green", "status_quo": "green", "conventional": "yellow",
              "nuclear_signalling": "magenta", "nuclear_use": "red", "strategic": "bold red"}
QUIT_WORDS = ("quit", "exit", ":q")
# ESC[3J: erase the saved lines (xterm, VTE, iTerm2, Windows Terminal); rich has no control type for it,
# so a control segment of its own (a control segment is dropped when the output is not a terminal)
SCROLLBACK_CLEAR = Segment("\x1b[3J", None, [(ControlType.CLEAR,)])
MAX_TRIES = 20           # re-prompts before the turn is given up (a stuck script must not loop forever)


@dataclass
class HumanIO:
    """Where a human player reads and writes (a real terminal, or streams in tests)."""

    input: TextIO = field(default_factory=lambda: sys.stdin)
    console: Console = field(default_factory=lambda: Console(highlight=False))

    def ask(self, prompt: str) -> str:
        self.console.print(prompt, end="", markup=True)
        line = self.input.readline()
        if line == "":
            self.console.print()
            raise AgentQuit("the input was closed")
        text = line.strip()
        if not self.input.isatty():        # piped answers are echoed, so the session reads like a dialogue
            self.console.print(text, markup=False, highlight=False)
        if text.lower() in QUIT_WORDS:
            raise AgentQuit("the player quit")
        return text


def ladder_table(view: View) -> Table:
    """The ladder, top rung first, with thresholds as rule lines and both positions marked."""
    lad = view.ladder
    t = Table("#", "rung", "value", "band", "", title=f"{escape(lad.name)}", title_justify="left",
              show_edge=False, pad_edge=False)
    above = {i: name for name, i in lad.thresholds}
    legal = set(view.legal_actions)
    for r in reversed(range(lad.num_rungs)):
        if r in above:
            t.add_row("", f"[dim]── {escape(above[r])} ──[/]", "", "", "", end_section=False)
        marks = []
        if r == view.own_rung:
            marks.append("[bold reverse] YOU [/]")
        if r == view.opponent_observed:
            marks.append(f"[bold]◀ {escape(view.opponent)} (as seen)[/]")
        if view.opponent_signal == r:
            marks.append(f"[italic]◀ {escape(view.opponent)} declared[/]")
        style = BAND_STYLE.get(lad.bands[r], "")
        name = escape(lad.rung_names[r]) if r in legal else f"[dim]{escape(lad.rung_names[r])}[/]"
        t.add_row(str(r), f"[{style}]{name}[/]" if style and r in legal else name, f"{lad.values[r]:g}",
                  lad.bands[r].replace("_", " "), " ".join(marks))
    return t


def history_table(view: View) -> Table:
    names = view.ladder.rung_names
    t = Table("turn", "you declared", "you ordered", "executed", f"{view.opponent} declared",
              f"{view.opponent} seen at", "they said", "balance", title="What you have seen", title_justify="left")
    for h in view.history:
        executed = escape(names[h.own_executed]) + (" [red](accident)[/]" if h.own_executed != h.own_action else "")
        t.add_row(str(h.turn), "-" if h.own_signal is None else escape(names[h.own_signal]),
                  escape(names[h.own_action]), executed,
                  "-" if h.opponent_signal is None else escape(names[h.opponent_signal]),
                  escape(names[h.opponent_observed]), escape(h.opponent_statement), f"{h.balance:+d}")
    return t


def parse_rung(text: str, view: View, allowed: tuple[int | None, ...], what: str) -> int | None:
    """A rung by number or id; raises ValueError with what to type instead."""
    lad = view.ladder
    t = text.strip()
    if t.lower() in ("", "-", "none") and None in allowed:
        return None
    if t.isdigit():
        r = int(t)
    elif t in lad.rung_ids:
        r = lad.rung_ids.index(t)
    else:
        raise ValueError(f"'{t}' is not a rung: type a number from the # column or a rung id")
    if r not in allowed:
        ok = ", ".join(str(x) for x in allowed if x is not None)
        raise ValueError(f"{what} '{lad.rung_ids[r] if 0 <= r < lad.num_rungs else r}' is not allowed now "
                         f"(allowed: {ok})")
    return r


class HumanAgent:
    """One person playing one side."""

    def __init__(self, io: HumanIO, hotseat: bool = False, name: str = "human"):
        self.io, self.hotseat, self.name = io, hotseat, name

    def _wipe(self) -> None:
        """Clear the screen and the scrollback (ESC[3J): a player scrolling up must not find the
        other player's view."""
        c = self.io.console
        c.clear()
        scrollback = Control()
        scrollback.segment = SCROLLBACK_CLEAR
        c.control(scrollback)

    def _pass_keyboard(self, actor: str, done: bool) -> None:
        self._wipe()
        if done:
            self.io.ask(f"[bold]{escape(actor)}'s move is recorded.[/] Press Enter, then pass the keyboard. ")
            self._wipe()
        else:
            self.io.ask(f"[bold]Pass the keyboard to {escape(actor)}.[/] Only {escape(actor)} should look now: "
                        f"press Enter when {escape(actor)} is at the keyboard. ")
            self._wipe()

    def _choose(self, prompt: str, view: View, allowed: tuple[int | None, ...], what: str) -> int | None:
        for _ in range(MAX_TRIES):
            try:
                return parse_rung(self.io.ask(prompt), view, allowed, what)
            except ValueError as exc:
                self.io.console.print(f"[red]{escape(str(exc))}[/]")
        raise AgentQuit(f"no valid {what} after {MAX_TRIES} tries")

    def act(self, view: View) -> Move:
        c = self.io.console
        if self.hotseat:
            self._pass_keyboard(view.actor, done=False)
        c.rule(f"{escape(view.actor)} · turn {view.turn} of {view.turn_limit} · {escape(view.scenario)}")
        c.print(ladder_table(view))
        if view.history:
            c.print(history_table(view))
        c.print(escape(view.text.split(" Your options:")[0]))    # the options are the ladder drawn above
        if view.own_type != "default":
            c.print(f"[bold]{escape(view.own_type)}[/] is your private type: the opponent does not know it.")
        signal = None
        if len(view.legal_signals) > 1:
            signal = self._choose("Declare a rung you are heading for (number or id; Enter for none): ", view,
                                  view.legal_signals, "signal")
        action = self._choose("Your action (rung number or id): ", view, view.legal_actions, "action")
        statement = self.io.ask("Public statement (optional, one line): ")
        if self.hotseat:
            self._pass_keyboard(view.actor, done=True)
        return Move(action=int(action), signal=signal, statement=statement, source="human")  # type: ignore[arg-type]


def make_human_agent(spec: str, ctx: AgentContext) -> HumanAgent:
    if spec != "human":
        raise UsageError(f"agent '{spec}': a human player is written just 'human'")
    io = ctx.io if ctx.io is not None else HumanIO()
    return HumanAgent(io, hotseat=ctx.shared.get("humans", 1) > 1)
