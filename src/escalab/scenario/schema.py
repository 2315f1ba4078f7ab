"""The shape of scenario, ladder and readiness-scale documents (pydantic v2).

This is layer one of validation: keys, types and required fields. Meaning (references between
parts, probabilities that sum to one, a tree without cycles) is checked afterwards in
:mod:`escalab.scenario.semantics`, where the whole document is in view. Every model forbids
unknown keys, because a misspelt key silently ignored is the worst error a modeller can meet.

Versioned by the top-level ``escalab: 1`` key, so files written today stay readable.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from typing_extensions import TypeAliasType

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StrictBool, StrictInt, StrictStr

SCHEMA_VERSION = 1

Id = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$",
                          description="A stable identifier: letters, digits, '_' and '-'.")]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                            description="A name usable in expressions: letters, digits and '_'.")]
Ref = Annotated[str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_\-]*|.+\.(yaml|yml|json))$",
                           description="A built-in name (letters, digits, '_' and '-') or a path to a "
                                       ".yaml/.yml/.json file, relative to the file that names it.")]
FiniteFloat = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Number = Union[StrictInt, FiniteFloat]
ExprText = Annotated[Union[StrictInt, FiniteFloat, StrictStr],
                     Field(description="A number or an arithmetic expression over the parameters.")]


def _not_bool(value: object) -> object:
    # YAML's ``true`` equals 1 in Python; a version number must be written as a number.
    if isinstance(value, bool):
        raise ValueError(f"expected the schema version {SCHEMA_VERSION}, got {value!r}")
    return value


Version = Annotated[Literal[1], BeforeValidator(_not_bool)]

Band = Literal["de_escalation", "status_quo", "conventional", "nuclear_signalling", "nuclear_use", "strategic"]
BANDS: tuple[str, ...] = ("de_escalation", "status_quo", "conventional", "nuclear_signalling",
                          "nuclear_use", "strategic")
# The six action classes of Rivera et al. (2024), least to most escalatory; a ladder may map its
# rungs to them so that its games get Rivera's escalation score (see escalab.wargame.scores).
RiveraClass = Literal["de_escalation", "status_quo", "posturing", "non_violent_escalation", "violent_escalation",
                      "nuclear"]
RIVERA_CLASSES: tuple[str, ...] = ("de_escalation", "status_quo", "posturing", "non_violent_escalation",
                                   "violent_escalation", "nuclear")


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------------- readiness scales
class ReadinessLevel(Spec):
    id: Id
    name: str = ""
    doc: str = ""


class ReadinessScaleSpec(Spec):
    """An ordered scale of force readiness, lowest readiness first (e.g. DEFCON 5 before DEFCON 1)."""

    escalab: Version = 1
    kind: Literal["readiness_scale"] = "readiness_scale"
    id: Id
    name: str = ""
    doc: str = ""
    sources: list[str] = []
    levels: list[ReadinessLevel] = Field(min_length=2)


# ----------------------------------------------------------------------------- ladders
class Rung(Spec):
    id: Id
    name: str
    value: Number
    band: Band
    group: str = ""
    doc: str = ""
    rivera: RiveraClass | None = Field(
        default=None, description="Rivera et al. (2024) action class of this rung, for their escalation score; "
                                  "all rungs of a ladder or none.")


class Threshold(Spec):
    """A named threshold that lies between the rung ``after`` and the next one up."""

    name: str
    after: Id
    doc: str = ""


class LadderSpec(Spec):
    """An ordered escalation ladder: rungs from least to most escalatory, strictly increasing value."""

    escalab: Version = 1
    kind: Literal["ladder"] = "ladder"
    id: Id
    name: str = ""
    doc: str = ""
    sources: list[str] = []
    rungs: list[Rung] = Field(min_length=2)
    thresholds: list[Threshold] = []


# ----------------------------------------------------------------------------- actors and parameters
SOURCE_DESCRIPTION = ("Where the number comes from: a citation, or 'assumption: ...' saying why it was "
                      "chosen when no source gives it.")


class Parameter(Spec):
    default: Number
    range: tuple[Number, Number] | None = None
    unit: str = ""
    doc: str = ""
    source: str = Field(default="", description=SOURCE_DESCRIPTION)
    form: Literal["sequential", "ladder_crisis"] | None = Field(
        default=None, description="In a scenario with both forms: the one form that reads this parameter "
                                  "(e.g. an accident rate, read only by the ladder crisis). Without it, both must.")


class Actor(Spec):
    name: str
    role: str = ""
    doc: str = ""
    readiness: Ref | ReadinessScaleSpec | None = Field(
        default=None, description="A built-in scale name (defcon, russia-4), a relative file path, or an inline scale.")
    types: dict[Id, ExprText] | None = Field(
        default=None, description="Private types and their prior probabilities (expressions summing to 1).")


# ----------------------------------------------------------------------------- sequential crises
class Move(Spec):
    next: Id | None = Field(default=None, description="The node this move leads to.")
    outcome: Id | None = Field(default=None, description="The outcome this move ends in.")
    rung: Id | None = Field(default=None, description="The ladder rung this move stands for.")
    label: str = ""
    doc: str = ""


class ChanceBranch(Spec):
    prob: TypedExpr = Field(description="A probability: an expression, or a mapping 'by: <actor>' from "
                                        "that actor's types to expressions.")
    next: Id | None = None
    outcome: Id | None = None
    label: str = ""
    doc: str = ""


class Node(Spec):
    """A decision node (``actor`` and ``moves``) or a chance node (``chance``)."""

    actor: Id | None = None
    infoset: Id | None = Field(default=None, description="Nodes sharing an infoset are indistinguishable to the actor.")
    moves: dict[Id, Move] | None = None
    chance: dict[Id, ChanceBranch] | None = None
    label: str = ""
    doc: str = ""


PayoffSpec = Union[ExprText, dict[Id, ExprText]]
# A value that may depend on private types: an expression, or a mapping from one actor's types to
# such values; 'by: <actor>' names the actor (default: the payer, for payoffs). Nest for several actors.
TypedExpr = TypeAliasType("TypedExpr", Union[StrictInt, FiniteFloat, StrictStr, dict[Id, "TypedExpr"]])


class Outcome(Spec):
    payoffs: dict[Id, TypedExpr] = Field(
        description="Per actor: an expression, or a mapping from types to expressions: the payer's own "
                    "types, or another actor's with 'by: <actor>' (nested mappings for several actors).")
    rung: Id | None = None
    label: str = ""
    doc: str = ""


class SequentialSpec(Spec):
    root: Id
    nodes: dict[Id, Node] = Field(min_length=1)
    outcomes: dict[Id, Outcome] = Field(min_length=1)


# ----------------------------------------------------------------------------- ladder crises
class Accident(Spec):
    """Chance that an action in this band lands higher (or lower) than chosen, by 1..max_rungs."""

    up: ExprText = 0
    down: ExprText = 0
    max_rungs: StrictInt = Field(default=1, ge=1)


class Balance(Spec):
    """The conventional balance: an integer, positive when the first actor is winning."""

    initial: StrictInt = 0
    range: tuple[StrictInt, StrictInt] = (-5, 5)
    drift: StrictInt = 0
    effect: dict[Band, StrictInt] = {}


class Ending(Spec):
    payoffs: dict[Id, PayoffSpec] = Field(
        description="Per actor: an expression, or a mapping from the actor's private types to expressions.")
    doc: str = ""


class ReadinessLook(Spec):
    """One look at an actor, as ``escalab assess`` takes it."""

    observe: dict[Id, StrictBool] = Field(
        default={}, description="Indicators seen (true) or looked for and not seen (false); others: no evidence.")
    declared: str | None = Field(default=None, description="A declaration that was made (one of the actor's "
                                                           "'indicators' declarations).")


class ReadinessPriorSpec(ReadinessLook):
    """A type prior read from a readiness assessment: the posterior over the actor's readiness levels
    (its 'indicators' section, Bayes' rule and the HMM over 'sequence'), summed over the levels each type stands for."""

    sequence: list[ReadinessLook] = Field(
        default=[], description="Earlier looks, oldest first (the HMM of escalab assess --sequence); "
                                "'observe'/'declared' above are the last look.")
    map: dict[Id, Id] = Field(
        description="Per readiness level of the actor's scale (every level): the private type it stands for.")


class TypePriorSpec(Spec):
    """Where the prior over an actor's private types comes from, in the ladder crisis."""

    actor: Id = Field(description="The actor with private types.")
    from_readiness: ReadinessPriorSpec = Field(
        description="Replace the actor's type probabilities by a readiness assessment mapped to types.")


class LadderCrisisSpec(Spec):
    """Repeated simultaneous turns of signal and action on a ladder."""

    ladder: Ref | LadderSpec | None = None
    actors: list[Id] = Field(min_length=2, max_length=2)
    start: dict[Id, Id]
    actions: dict[Id, list[Id]] | None = None
    max_step: StrictInt | None = Field(default=None, ge=1)
    signals: StrictBool = True
    balance: Balance = Balance()
    accidents: dict[Band, Accident] = {}
    misperception: ExprText = 0
    miscalculation_risk: dict[Id, ExprText] = Field(
        default={}, description="Per actor: a factor on the 'up' accident probability of its own actions "
                                "(Payne's Kahn Game: 1 low, 2 medium, 3 high judged risk of miscalculation).")
    turn_limit: StrictInt = Field(ge=1)
    capitulation_value: Number | None = None
    endings: dict[Id, Ending]
    belief_grid: StrictInt = Field(
        default=10, ge=2, le=100,
        description="Beliefs about an actor's private type move on the grid 0, 1/N, ..., 1 (N = belief_grid); "
                    "a finer grid is slower and closer to exact Bayes' rule.")
    type_prior: TypePriorSpec | None = Field(
        default=None, description="The typed actor's prior from a readiness assessment (escalab assess) "
                                  "instead of the probabilities under 'actors.<actor>.types' (ladder crisis only).")


class DoctrineRule(Spec):
    when: ExprText | None = None
    do: str
    signal: str | None = None


class Doctrine(Spec):
    doc: str = ""
    rules: list[DoctrineRule] = Field(min_length=1)


# ----------------------------------------------------------------------------- indicators
class Indicator(Spec):
    doc: str = ""
    likelihood: dict[Id, ExprText] = Field(description="P(indicator observed | readiness level), per level.")
    source: str = Field(default="", description=SOURCE_DESCRIPTION)


class ActorIndicators(Spec):
    prior: dict[Id, ExprText] | None = None
    persistence: ExprText | None = Field(
        default=None, description="P(level unchanged between observations), for sequences of observations.")
    signs: dict[Id, Indicator] = {}
    declarations: dict[str, dict[Id, ExprText]] = Field(
        default={}, description="P(this declaration is made | readiness level), per declaration and level.")
    source: str = Field(default="", description="Where the prior, persistence and declaration probabilities "
                                                "come from (" + SOURCE_DESCRIPTION + ")")


# ----------------------------------------------------------------------------- analysis
class AnalysisSpec(Spec):
    """What ``escalab run`` should draw for this scenario (the report never guesses from parameter names)."""

    phase_diagram: list[Name] = Field(
        default=[], min_length=0, max_length=2,
        description="One or two parameters the phase diagram spans (x first). Without it the report picks "
                    "the two parameters whose nearest equilibrium switch is closest to the defaults.")
    ranges: dict[Name, tuple[Number, Number]] = Field(
        default={}, description="Per parameter: the interval the report scans (phase diagram and robustness), "
                                "inside the parameter's own range. Default: the parameter's range.")
    doc: str = ""


# ----------------------------------------------------------------------------- scenario
class PromptsSpec(Spec):
    """What language-model players are told (``llm:`` agents of escalab play); the reply format is always added."""

    system: str = Field(default="", description="Replaces the default system prompt of language-model players.")
    personas: dict[Id, str] = Field(default={}, description="Per actor: the leader a language-model player plays.")


class ScenarioSpec(Spec):
    escalab: Version = Field(description="Schema version of the scenario language.")
    kind: Literal["scenario"] = "scenario"
    id: Id
    title: str
    summary: str = ""
    sources: list[str] = []
    extends: str | None = None
    parameters: dict[Name, Parameter] = {}
    actors: dict[Id, Actor] = Field(min_length=1)
    ladder: Ref | LadderSpec | None = None
    sequential: SequentialSpec | None = None
    ladder_crisis: LadderCrisisSpec | None = None
    doctrines: dict[Id, Doctrine] = {}
    indicators: dict[Id, ActorIndicators] = {}
    remove_moves: list[str] = Field(default=[], description="Moves to delete, as 'node.move' (used with extends).")
    analysis: AnalysisSpec | None = Field(default=None, description="What the report draws (escalab run).")
    prompts: PromptsSpec | None = Field(default=None, description="Text for language-model players (escalab play).")


DOCUMENT_KINDS: dict[str, type[Spec]] = {
    "scenario": ScenarioSpec,
    "ladder": LadderSpec,
    "readiness_scale": ReadinessScaleSpec,
}
