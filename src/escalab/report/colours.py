"""One outcome, one colour, across every figure and table of a report.

A reader compares the phase diagram of a scenario with its variant's by colour; if "us_stops" is
blue in one and orange in the other the comparison is lost. The registry hands out colours in the
order outcomes are first met (the scenario's own equilibrium first), and the mapping is saved in
``results.json`` so a report rebuilt from it draws the same colours.
"""

from __future__ import annotations

from collections.abc import Iterable

# Okabe-Ito (colour-blind safe) first, then further distinct hues.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999",
           "#4c72b0", "#8172b3", "#937860", "#64b5cd", "#1b9e77", "#d95f02", "#7570b3", "#e7298a")

# The ladder crisis's endings keep fixed colours in every chart.
ENDING_COLOURS = {"settlement": "#009E73", "strategic_war": "#CC79A7", "turn_limit": "#999999"}
CAPITULATION_COLOURS = ("#0072B2", "#E69F00")


# The move tree's outcomes never borrow an ending's colour: "us capitulates" in the ladder chart and
# "conventional_defeat" in the phase diagram mean opposite things and must not look alike.
TREE_PALETTE = ("#56B4E9", "#D55E00", "#F0E442", "#8172b3", "#937860", "#4c72b0", "#e7298a", "#64b5cd",
                "#7570b3", "#d95f02")


class OutcomeColours:
    def __init__(self, known: dict[str, str] | None = None):
        self.map: dict[str, str] = dict(known or {})

    def add(self, labels: Iterable[str]) -> None:
        for label in labels:
            if label not in self.map:
                self.map[label] = TREE_PALETTE[len(self.map) % len(TREE_PALETTE)]

    def __getitem__(self, label: str) -> str:
        self.add([label])
        return self.map[label]


def ending_colours(endings: Iterable[str]) -> dict[str, str]:
    caps = iter(CAPITULATION_COLOURS)
    return {e: ENDING_COLOURS.get(e) or next(caps, "#555555") for e in endings}
