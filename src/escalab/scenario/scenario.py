"""The validated, immutable scenario object every other layer starts from."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from ..errors import ExpressionError, ModelError, UsageError
from . import compilers
from .expressions import Expr
from .schema import LadderSpec, Parameter, ReadinessScaleSpec, ScenarioSpec
from .source import PathT, format_path


def exact_value(v: Any) -> Fraction:
    """A parameter value as an exact rational: 0.3 becomes 3/10, not the nearest binary float."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, float):
        return Fraction(repr(v))
    return Fraction(v)


@dataclass(frozen=True, repr=False)
class Scenario:
    """A scenario whose shape and meaning have been checked, with parameter values bound.

    Immutable: ``with_params`` returns a new scenario, so a scenario can be shared between
    solvers, simulators and sweep workers without anyone changing it under the others.
    """

    spec: ScenarioSpec
    source: str
    ladder: LadderSpec | None
    crisis_ladder: LadderSpec | None
    scales: Mapping[str, ReadinessScaleSpec]
    values: Mapping[str, Any]
    exprs: Mapping[PathT, Expr] = field(repr=False)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.values.items() if v != self.spec.parameters[k].default}
        extra = f", changed={changed}" if changed else ""
        return f"Scenario({self.id!r}, forms={list(self.forms)}{extra})"

    # -------------------------------------------------------------- facts
    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def actors(self) -> tuple[str, ...]:
        return tuple(self.spec.actors)

    @property
    def parameters(self) -> Mapping[str, Parameter]:
        return self.spec.parameters

    @property
    def forms(self) -> tuple[str, ...]:
        """Which compiled forms this scenario has: 'sequential', 'ladder' or both."""
        out = []
        if self.spec.sequential is not None:
            out.append("sequential")
        if self.spec.ladder_crisis is not None:
            out.append("ladder")
        return tuple(out)

    def parameter_forms(self) -> dict[str, tuple[str, ...]]:
        """Which forms ('sequential', 'ladder_crisis') read each parameter (see ``form`` in the language)."""
        from .semantics import parameter_forms
        return parameter_forms(self.spec, self.exprs)

    def own_parameters(self) -> dict[str, list[str]]:
        """In a scenario with both forms: the parameters only one form reads, by form; else empty."""
        if len(self.forms) < 2:
            return {}
        out: dict[str, list[str]] = {}
        for name, read in self.parameter_forms().items():
            if len(read) == 1:
                out.setdefault(read[0], []).append(name)
        return out

    def expr(self, *path: str | int) -> Expr:
        """The parsed expression at a document path, e.g. ``expr('actors', 'us', 'types', 'resolute')``."""
        try:
            return self.exprs[tuple(path)]
        except KeyError:
            raise KeyError(f"no expression at {format_path(tuple(path))}") from None

    def evaluate(self, *path: str | int, exact: bool = False, extra: Mapping[str, Any] | None = None) -> Any:
        env = self.env(exact)
        if extra:
            env.update(extra)
        return self.expr(*path).evaluate(env, exact)

    def env(self, exact: bool = False) -> dict[str, Any]:
        if exact:
            return {k: exact_value(v) for k, v in self.values.items()}
        # a value given as a fraction (--set p=8/11) is exact only where exactness is asked for
        return {k: float(v) if isinstance(v, Fraction) else v for k, v in self.values.items()}

    # -------------------------------------------------------------- changes
    def with_params(self, values: Mapping[str, Any] | None = None, **kwargs: Any) -> "Scenario":
        """A copy with some parameter values changed; names and ranges are checked."""
        updates = {**(values or {}), **kwargs}
        new = dict(self.values)
        for name, value in updates.items():
            if name not in self.spec.parameters:
                known = ", ".join(self.spec.parameters) or "none"
                raise UsageError(f"scenario '{self.id}' has no parameter '{name}' (parameters: {known})")
            if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
                raise UsageError(f"parameter '{name}' needs a number, got {value!r}")
            if not math.isfinite(float(value)):
                raise UsageError(f"parameter '{name}' needs a finite number, got {value!r}")
            rng = self.spec.parameters[name].range
            if rng is not None and not rng[0] <= value <= rng[1]:
                raise UsageError(f"parameter '{name}' = {float(value):g} lies outside its range [{rng[0]:g}, {rng[1]:g}]")
            new[name] = value
        scenario = replace(self, values=new)
        scenario.check_probabilities()
        return scenario

    def check_probabilities(self) -> None:
        """Probabilities must stay in [0, 1] and sum to one at *these* parameter values too."""
        env = self.env()
        groups: dict[PathT, list[float]] = {}
        for path, e in self.exprs.items():
            if not _is_probability_path(path):
                continue
            try:
                v = float(e.evaluate(env))
            except ExpressionError as exc:
                raise UsageError(f"{format_path(path)}: {exc.message}") from None
            if not -1e-9 <= v <= 1 + 1e-9:
                raise UsageError(f"{format_path(path)} = '{e.source}' evaluates to {v:g}, not a probability")
            group = _distribution_group(path)
            if group is not None:
                groups.setdefault(group, []).append(v)
        typed_nodes = {p[:4] for p in self.exprs if len(p) > 6 and p[0] == "sequential" and p[3] == "chance"}
        for key, probs in groups.items():
            if key not in typed_nodes and abs(sum(probs) - 1) > 1e-6:
                raise UsageError(f"{format_path(key)}: probabilities sum to {sum(probs):g} at these parameter values")
        crisis = self.spec.ladder_crisis
        for band in (crisis.accidents if crisis is not None else {}):
            path = ("ladder_crisis", "accidents", band)
            up, down = (self.exprs.get(path + (k,)) for k in ("up", "down"))
            total = sum(float(e.evaluate(env)) for e in (up, down) if e is not None)
            if total > 1 + 1e-9:
                raise UsageError(f"{format_path(path)}: accident probabilities up + down = {total:g} exceed 1 "
                                 "at these parameter values")

    # -------------------------------------------------------------- compiled forms
    def compile(self, form: str | None = None, *, exact: bool = False) -> Any:
        """Compile to the model layer: 'sequential' -> ExtensiveGame, 'ladder' -> LadderGame.

        Without ``form``, the sequential game if the scenario has one, else the ladder crisis.
        """
        if form is None:
            if not self.forms:
                raise ModelError(f"scenario '{self.id}' has nothing to compile")
            form = self.forms[0]
        if form not in self.forms:
            raise ModelError(f"scenario '{self.id}' has no {form} form (it has: {', '.join(self.forms)})")
        return compilers.get(form)(self, exact=exact)

    def self_contained(self) -> dict[str, Any]:
        """The scenario document with every reference inlined (``extends`` merged, ladders and
        readiness scales written in), loadable anywhere without the library or its files: what a
        stored game or a report's ``--from`` needs years later."""
        doc = self.spec.model_dump(mode="json", exclude_none=True)
        doc.pop("extends", None)
        if self.ladder is not None:
            doc["ladder"] = self.ladder.model_dump(mode="json", exclude_none=True)
        if doc.get("ladder_crisis") is not None and self.crisis_ladder is not None:
            doc["ladder_crisis"]["ladder"] = self.crisis_ladder.model_dump(mode="json", exclude_none=True)
        for actor, scale in self.scales.items():
            doc["actors"][actor]["readiness"] = scale.model_dump(mode="json", exclude_none=True)
        return doc

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: the specification, the bound parameter values, resolved ladders."""
        return {
            "schema": "escalab/1",
            "id": self.id,
            "source": self.source,
            "parameters": {k: float(v) for k, v in self.values.items()},
            "spec": self.spec.model_dump(mode="json", exclude_none=True),
            "ladder": self.ladder.model_dump(mode="json") if self.ladder else None,
            "crisis_ladder": self.crisis_ladder.model_dump(mode="json") if self.crisis_ladder else None,
            "readiness": {a: s.model_dump(mode="json") for a, s in self.scales.items()},
        }


def _distribution_group(path: PathT) -> PathT | None:
    """The distribution a probability belongs to, for the ones that must sum to one."""
    if len(path) == 4 and path[0] == "actors" and path[2] == "types":
        return path[:3]
    if len(path) == 6 and path[0] == "sequential" and path[3] == "chance" and path[5] == "prob":
        return path[:4]     # (a chance node whose probabilities depend on types is checked when compiled)
    if len(path) == 4 and path[0] == "indicators" and path[2] == "prior":
        return path[:3]
    return None


def _is_probability_path(path: PathT) -> bool:
    if len(path) >= 3 and path[0] == "actors" and path[2] == "types":
        return True
    if path and path[-1] == "prob" or (len(path) > 6 and path[0] == "sequential" and path[5] == "prob"):
        return True
    if "indicators" == (path[0] if path else None) and len(path) >= 3 and path[2] in ("prior", "persistence",
                                                                                      "signs", "declarations"):
        return True
    return len(path) >= 2 and path[0] == "ladder_crisis" and path[1] in ("accidents", "misperception")
