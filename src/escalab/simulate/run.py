"""One entry point from a scenario to a simulated distribution of crisis endings.

It compiles the ladder form once, builds the policies each actor is given (sharing one
equilibrium solve between them), attaches readiness beliefs where the scenario has indicators,
and runs either the exact analysis or Monte Carlo. The CLI and the report both come through here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..model.ladder import LadderGame
from ..scenario import Scenario
from ..solve.ladder import LadderArrays, ladder_arrays
from .exact import check_exact_size, exact_analysis
from .montecarlo import CHUNK_RUNS, BeliefTrack, Plan, check_request, monte_carlo
from .policies import Policy, PolicyFactory
from .readiness import indicator_model, level_of_rung
from .results import SimulationResult

DEFAULT_POLICY = "equilibrium"
Progress = Callable[[int, int], None]


def without_accidents(game: LadderGame) -> LadderGame:
    """A copy of a compiled crisis in which no action lands anywhere but where it was aimed."""
    quiet = copy.copy(game)
    quiet.accidents = {}
    return quiet


@dataclass
class Crisis:
    """A compiled ladder crisis ready to simulate, with or without accidents."""

    scenario: Scenario
    game: LadderGame
    arrays: LadderArrays
    factory: PolicyFactory

    @classmethod
    def of(cls, scenario: Scenario, accidents: bool = True, progress: Progress | None = None) -> "Crisis":
        if scenario.spec.ladder_crisis is None:
            raise UsageError(f"scenario '{scenario.id}' has no ladder crisis to simulate "
                             f"(it has: {', '.join(scenario.forms) or 'nothing'})")
        game = scenario.compile("ladder")
        if not accidents:
            game = without_accidents(game)
        arrays = ladder_arrays(game)
        return cls(scenario, game, arrays, PolicyFactory(game, arrays, progress))

    def check_exact(self) -> None:
        """The exact analysis's budget, before any policy is solved for it."""
        check_exact_size(self.arrays, self.scenario.id)

    def policies(self, specs: Mapping[str, str] | None = None) -> tuple[Policy, Policy]:
        specs = dict(specs or {})
        for actor in specs:
            if actor not in self.game.actors:
                raise UsageError(f"--policy names unknown actor '{actor}' "
                                 f"(actors of this crisis: {', '.join(self.game.actors)})")
            self.factory.check(specs[actor])
        return tuple(self.factory.build(a, specs.get(a, DEFAULT_POLICY)) for a in self.game.actors)  # type: ignore

    def belief_tracks(self) -> tuple[BeliefTrack, ...]:
        tracks = []
        for target, actor in enumerate(self.game.actors):
            if actor in self.scenario.spec.indicators and actor in self.scenario.scales:
                model = indicator_model(self.scenario, actor)
                tracks.append(BeliefTrack(1 - target, target, model, level_of_rung(self.game.bands, len(model.levels))))
        return tuple(tracks)

    def exact(self, specs: Mapping[str, str] | None = None, progress: Progress | None = None) -> SimulationResult:
        self.check_exact()
        return exact_analysis(self.arrays, self.policies(specs), scenario=self.scenario.id, progress=progress)

    def monte_carlo(self, specs: Mapping[str, str] | None = None, runs: int = 10_000, seed: int = 0,
                    workers: int = 1, scheduler: Any = None, beliefs: bool = True,
                    progress: Progress | None = None, chunk_runs: int = CHUNK_RUNS,
                    engine: str | None = None, pool: Any = None) -> SimulationResult:
        """Monte Carlo; ``workers=N`` or ``pool`` (a :class:`escalab.workers.WorkerPool` kept for
        several runs) run the chunks in parallel, with the same result bit for bit."""
        check_request(runs, seed, workers, chunk_runs)        # before the policies' equilibrium is solved
        plan = Plan(self.arrays, self.policies(specs), self.belief_tracks() if beliefs else ())
        return monte_carlo(plan, runs, seed, scenario=self.scenario.id, workers=workers, scheduler=scheduler,
                           progress=progress, chunk_runs=chunk_runs, engine=engine, pool=pool)


def parse_policy_options(items: Sequence[str] | None) -> dict[str, str]:
    """``russia=doctrine:escalate-to-deescalate`` -> {'russia': 'doctrine:escalate-to-deescalate'}."""
    out: dict[str, str] = {}
    for item in items or []:
        actor, eq, spec = item.partition("=")
        if not eq or not actor.strip() or not spec.strip():
            raise UsageError(f"--policy expects actor=policy (e.g. us=logit:2.0), got '{item}'")
        if actor.strip() in out:       # the last one silently winning hid a typo in the other
            raise UsageError(f"--policy gives '{actor.strip()}' two policies ({out[actor.strip()]} and "
                             f"{spec.strip()}); give one --policy per actor")
        out[actor.strip()] = spec.strip()
    return out
