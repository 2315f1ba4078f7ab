"""The layers point one way: nothing lower imports anything higher (docs/architecture.md)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "escalab"
# Each layer and the layers it may import (besides itself and escalab.errors).
ALLOWED = {
    "scenario": set(),
    "model": {"scenario"},
    "solve": {"scenario", "model"},
    "simulate": {"scenario", "model", "solve"},
    "wargame": {"scenario", "model", "solve", "simulate"},
    "report": {"scenario", "model", "solve", "simulate", "wargame"},
    "cli": {"scenario", "model", "solve", "simulate", "wargame", "report"},
    "web": {"scenario", "model", "solve", "simulate", "wargame", "report"},
}


def _imported_layers(source: str, rel: Path, layer: str) -> set[str]:
    tree = ast.parse(source)
    depth = len(rel.parts) - 1  # folders below escalab/
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                up = node.level - 1  # level 1 = this package
                if up >= depth:      # reaches escalab/ itself
                    base = (node.module or "").split(".")
                    names = [base[0]] if base[0] else [a.name for a in node.names]
                else:
                    names = [layer]
            elif node.module and node.module.startswith("escalab."):
                names = [node.module.split(".")[1]]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1] for a in node.names if a.name.startswith("escalab.")]
        found.update(n for n in names if n in ALLOWED)
    return found - {layer}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_lower_layers(layer: str) -> None:
    offenders = {}
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        bad = _imported_layers(path.read_text(encoding="utf-8"), rel, layer) - ALLOWED[layer]
        if bad:
            offenders[str(rel)] = sorted(bad)
    assert offenders == {}, f"upward imports: {offenders}"


def test_the_checker_sees_upward_imports() -> None:
    rel = Path("model") / "probe.py"
    assert _imported_layers("from ..report import summary\n", rel, "model") == {"report"}
    assert _imported_layers("from .. import cli\n", rel, "model") == {"cli"}
    assert _imported_layers("import escalab.simulate.run\n", rel, "model") == {"simulate"}
    assert _imported_layers("from .ladder import LadderGame\n", rel, "model") == set()
