"""What it takes to cite a report and to get its numbers again.

``results.json`` carries the scenario as one self-contained document (ladders and readiness scales
inlined, no file paths), its parameter values, the seeds and the versions of everything that
computed it. ``escalab run --from results.json`` loads that document, recomputes, and compares
every number with the stored ones, bit for bit. No absolute path of the machine is written: a
scenario file is named by its file name and identified by the hash of its content.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import EscalabError, ScenarioError, UsageError
from ..scenario import Scenario, loads

LIBRARIES = ("numpy", "scipy", "pygambit", "matplotlib", "pydantic", "numba", "PyYAML")
NOT_COMPARED = ("reproducibility",)   # when and how a run was made, not what it computed


def self_contained(s: Scenario) -> dict[str, Any]:
    """The scenario document with every reference inlined, loadable anywhere without files."""
    return s.self_contained()


def content_hash(document: dict[str, Any], values: dict[str, float]) -> str:
    text = json.dumps({"document": document, "values": values}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_from_results(data: dict[str, Any]) -> Scenario:
    doc = data["scenario"]["document"]
    s = loads(json.dumps(doc), name="results.json (scenario)")
    return s.with_params(data["reproducibility"]["parameters"])


# What ``--from`` reads, and the JSON type each must have: a file missing one, or with another
# type, is refused by key before anything is recomputed (it was changed, or is not a report's).
STORED_KEYS: dict[str, type | tuple[type, ...]] = {
    "format": str, "scenario": dict, "scenario.document": dict, "reproducibility": dict,
    "reproducibility.escalab": str, "reproducibility.scenario_hash": str, "reproducibility.parameters": dict,
    "reproducibility.settings": dict, "solve": dict, "simulate": dict, "variants": dict, "readiness": dict,
    "plays": dict, "colours": dict, "findings": list, "citation": str, "methods": str}
SETTINGS = ("monte_carlo_runs", "monte_carlo_seed")
_JSON_TYPE = {dict: "an object", list: "a list", str: "a string", int: "a whole number"}


class StoredResultsError(UsageError):
    """A results.json that ``--from`` cannot take as a report escalab wrote: names the file and key."""

    def __init__(self, name: str, key: str, what: str, recomputed: bool = False):
        super().__init__(f"'{name}': {key}: {what}; not a results.json as escalab writes it"
                         + (" (changed or cut after it was written)" if recomputed else ", so nothing was recomputed"))


def _lookup(data: dict[str, Any], key: str) -> Any:
    value: Any = data
    for part in key.split("."):
        value = value[part]
    return value


def stored_scenario(data: dict[str, Any], name: str) -> tuple[Scenario, dict[str, int]]:
    """The scenario and settings of a stored report, every key ``--from`` reads checked first and the
    scenario hash recomputed: a forged hash, a changed document or parameter, a missing or renamed
    key, a value of the wrong type are refused naming the file and the key."""
    for key, want in STORED_KEYS.items():
        try:
            value = _lookup(data, key)
        except (KeyError, TypeError):
            raise StoredResultsError(name, key, "missing") from None
        if not isinstance(value, want):
            raise StoredResultsError(name, key, f"expected {_JSON_TYPE[want]}, found {_json_kind(value)}")
    repro = data["reproducibility"]
    settings = repro["settings"]
    if sorted(settings) != sorted(SETTINGS):
        odd = sorted(set(settings) ^ set(SETTINGS))
        raise StoredResultsError(name, f"reproducibility.settings.{odd[0]}",
                                 "missing" if odd[0] not in settings else "not a setting of escalab run")
    for key in SETTINGS:
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if key.endswith("runs") else 0):
            raise StoredResultsError(name, f"reproducibility.settings.{key}",
                                     f"expected a whole number >= {1 if key.endswith('runs') else 0}, found "
                                     f"{json.dumps(value)[:40]}")
    try:
        s = scenario_from_results(data)
    except ScenarioError:
        raise
    except EscalabError as exc:
        raise StoredResultsError(name, "reproducibility.parameters", str(exc)) from None
    values = {k: float(v) for k, v in s.values.items()}
    recomputed = content_hash(data["scenario"]["document"], values)
    if recomputed != repro["scenario_hash"]:
        raise StoredResultsError(name, "reproducibility.scenario_hash",
                                 f"{repro['scenario_hash'][:80]!r} is not the hash of the stored scenario and "
                                 f"parameters ({recomputed}): one of them was changed after the report was written")
    return s, {k: settings[k] for k in SETTINGS}


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return _JSON_TYPE.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def shown_reference(ref: str) -> str:
    """How a scenario reference appears in outputs: built-in names as they are, files by a path that
    names no machine (relative as given, or the bare file name of an absolute path)."""
    p = Path(ref)
    return p.name if p.is_absolute() else ref


def command(ref: str, sets: list[str], out: str | None, from_file: str | None = None) -> str:
    import shlex
    parts = ["escalab", "run"]
    if from_file is not None:
        parts += ["--from", shown_reference(from_file)]
    else:
        parts.append(shown_reference(ref))
    for item in sets:
        parts += ["--set", item]
    if out is not None:
        parts += ["--out", shown_reference(out)]
    return shlex.join(parts)


def block(s: Scenario, document: dict[str, Any], cmd: str, settings: dict[str, int]) -> dict[str, Any]:
    values = {k: float(v) for k, v in s.values.items()}
    return {"escalab": __version__, "command": cmd, "scenario": s.id, "scenario_hash": content_hash(document, values),
            "parameters": values, "settings": settings,
            "seeds": {k: v for k, v in settings.items() if k.endswith("seed")},
            "python": platform.python_version(), "platform": f"{platform.system()} {platform.machine()}",
            "libraries": {name: _version(name) for name in LIBRARIES},
            "utc_time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def citation(s: Scenario, repro: dict[str, Any]) -> str:
    year = repro["utc_time"][:4]
    return (f"escalab contributors ({year}). “{s.title}” (scenario {s.id}), analysed with escalab "
            f"{repro['escalab']}. Scenario {repro['scenario_hash'][:19]}; report of {repro['utc_time'][:10]}. "
            f"Reproduce with: {repro['command']}")


def methods(results: dict[str, Any]) -> str:
    """A methods paragraph that says what was run, from what was run."""
    out = []
    solve = results.get("solve", {})
    if "equilibrium" in solve:
        game = (f"The move tree was compiled to an extensive-form game ({solve['facts']['nodes']} nodes, "
                f"{solve['facts']['information_sets']} information sets; private types by the Harsanyi "
                "transformation)")
        if "alternatives" in solve:     # the exact enumeration ran (else the vectorised solver alone)
            out.append(game + "; every pure-strategy sequential equilibrium (Kreps and Wilson 1982) was enumerated "
                       "in exact rational arithmetic and ranked: one that passes Cho and Kreps's intuitive "
                       "criterion first where the criterion tells them apart, else the solver's order; off the path "
                       "the arithmetic uses the belief nearest uniform trembles that keeps the first equilibrium.")
        else:
            out.append(game + " and solved for a pure sequential equilibrium by backward induction with beliefs "
                       "(Kreps and Wilson 1982) in exact rational arithmetic; beliefs off the path come from "
                       "uniform trembles.")
        if solve.get("threats") is not None:
            out.append("Threats are the off-path commitments of the sequential equilibrium and of every pure "
                       "Nash equilibrium (enumerated with Gambit); a threat is credible when carrying it out is a "
                       "best reply once its information set is reached (Selten).")
        rob = solve.get("robustness")
        if rob and not rob.get("skipped"):
            out.append(f"For each parameter of the tree, the equilibrium was solved on {rob['points']} points of its "
                       "range with the other parameters fixed; each switch was then located exactly (as a rational) "
                       "where the payoffs are linear in the parameter, and by bisection otherwise.")
        ph = solve.get("phase_diagram", {})
        if "axes" in ph:
            dims = " × ".join(str(a["points"]) for a in ph["axes"])
            out.append(f"The phase diagram solves the equilibrium on a {dims} grid "
                       f"({', '.join(a['name'] for a in ph['axes'])}).")
    sim = results.get("simulate", {})
    if "rows" in sim:
        types = sim.get("types")
        eq = ("a perfect Bayesian equilibrium over the belief about the private type, on a grid of "
              f"1/{types['belief_grid']}, " if types else "the Markov perfect equilibrium ")
        out.append(f"The ladder crisis was simulated by Monte Carlo ({sim['runs']:,} runs per configuration, seed "
                   f"{sim['seed']}); the equilibrium policy is {eq}of the crisis without misreadings (accidents "
                   "included), by backward induction from the turn limit, the logit policy a quantal response with "
                   f"λ = {sim['logit_lambda']:g} to it. Rates carry 95% Wilson intervals.")
    if "actors" in results.get("readiness", {}):
        out.append("Readiness posteriors apply Bayes' rule to the scenario's likelihoods, indicators being "
                   "independent given the level.")
    return " ".join(out)


def numbers_view(results: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in results.items() if k not in NOT_COMPARED}


def differences(old: Any, new: Any, path: str = "", limit: int = 20) -> list[str]:
    """Where two results differ, as 'path: old -> new' lines (at most ``limit``)."""
    return [text for _, text in _walk(old, new, path, limit)]


def form_differences(old: Any, new: Any, limit: int = 20) -> list[str]:
    """Where stored results differ from a new run in form, not in value: a key one has and the other
    not, a list of another length, a value of another JSON type (a file edited or truncated)."""
    return [text for form, text in _walk(old, new, "", 10 ** 9) if form][:limit]


def _walk(old: Any, new: Any, path: str, limit: int) -> list[tuple[bool, str]]:
    out: list[tuple[bool, str]] = []

    def kind(x: Any) -> str:
        return "number" if isinstance(x, (int, float)) and not isinstance(x, bool) else type(x).__name__

    def walk(a: Any, b: Any, p: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b), key=str):
                if k not in a:
                    out.append((True, f"{p}.{k}: only in the new run"))
                elif k not in b:
                    out.append((True, f"{p}.{k}: only in the stored results"))
                else:
                    walk(a[k], b[k], f"{p}.{k}" if p else str(k))
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                out.append((True, f"{p}: {len(a)} items stored, {len(b)} now"))
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{p}[{i}]")
        elif a != b or type(a) is not type(b):
            out.append((kind(a) != kind(b), f"{p}: {json.dumps(a)[:80]} -> {json.dumps(b)[:80]}"))
    walk(old, new, path)
    return out


def count_numbers(x: Any) -> int:
    if isinstance(x, dict):
        return sum(count_numbers(v) for v in x.values())
    if isinstance(x, list):
        return sum(count_numbers(v) for v in x)
    return 1 if isinstance(x, (int, float)) and not isinstance(x, bool) else 0


