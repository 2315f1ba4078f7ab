"""Where built-in documents live and how a reference names one.

Built-ins ship as package data under ``escalab/library/{scenarios,ladders,scales}``. A reference
that ends in ``.yaml``, ``.yml`` or ``.json`` (or contains a path separator) is a file path,
resolved against the directory of the document that names it; anything else is a built-in name.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FOLDERS = {"scenario": "scenarios", "ladder": "ladders", "readiness_scale": "scales"}
FILE_SUFFIXES = (".yaml", ".yml", ".json")


def _folder(kind: str) -> Path:
    return Path(str(resources.files("escalab") / "library" / FOLDERS[kind]))


def builtin_names(kind: str) -> list[str]:
    folder = _folder(kind)
    return sorted(p.stem for p in folder.glob("*.yaml"))


def builtin_path(kind: str, name: str) -> Path | None:
    path = _folder(kind) / f"{name}.yaml"
    return path if path.is_file() else None


def is_file_reference(ref: str) -> bool:
    return ref.endswith(FILE_SUFFIXES) or "/" in ref or "\\" in ref


def resolve(kind: str, ref: str, base_dir: Path | None) -> Path | None:
    """The file a reference points to, or None if it names no built-in and no file."""
    if is_file_reference(ref):
        path = Path(ref)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path
    return builtin_path(kind, ref)
