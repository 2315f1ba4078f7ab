"""Outputs that are either complete or absent.

A run interrupted by Ctrl-C, a full disk or a crash must never leave a half-written file that
looks finished, nor a folder mixing this run's files with the last run's. Every output is written
under a temporary name in the destination's own folder (so the final rename stays on one file
system and is atomic) and renamed over the destination with ``os.replace``. A rename replaces a
symlink planted at the destination instead of writing through it, and temporary names are created
exclusively (``O_EXCL``), so a planted link can never redirect an output.

Errors are raised as ``OSError`` whose ``filename`` is the destination exactly as the caller gave
it (relative stays relative), never the temporary name: the CLI prints that and exits 2.

Usable by every layer (like ``errors``): it imports nothing from escalab.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "OutputSet", "atomic_open", "atomic_path", "output_set", "published_mark", "published_since", "write_bytes_atomic",
    "write_text_atomic",
]

MANIFEST = ".escalab-outputs.json"
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_PUBLISHED: list[str] = []     # every output published in this process, as the caller named it


def published_mark() -> int:
    """A mark; ``published_since(mark)`` lists the outputs completed after it (for an interrupt message)."""
    return len(_PUBLISHED)


def published_since(mark: int) -> list[str]:
    return list(_PUBLISHED[mark:])
_STAGING_PREFIX = ".escalab-staging-"


def _as_given(path: str | os.PathLike[str]) -> str:
    return os.fspath(path)


def _reraise(exc: OSError, path: str | os.PathLike[str]) -> OSError:
    """The same error, naming the destination the user asked for rather than a temporary name."""
    new = OSError(exc.errno, exc.strerror or str(exc), _as_given(path))
    new.__cause__ = exc
    return new


def _refuse_directory(path: Path, given: str | os.PathLike[str]) -> None:
    if path.is_dir() and not path.is_symlink():
        raise IsADirectoryError(21, "is a directory, expected a file name", _as_given(given))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path`` (same suffix); rename it over ``path`` on success.

    For libraries that insist on writing to a path themselves (``savefig``, pygambit): they write
    the temporary path, which keeps the suffix so formats inferred from it stay right. On any
    exception the temporary file is removed and ``path`` is left as it was.
    """
    dest = Path(path)
    _refuse_directory(dest, path)
    folder = dest.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)     # an output's folder is made for it, like --out
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=f".tmp{dest.suffix}", dir=folder)
    except OSError as exc:
        raise _reraise(exc, path) from None
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)    # mkstemp makes 0600; an output gets the usual permissions
    except OSError:  # pragma: no cover - e.g. a file system without modes
        pass
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, dest)
        _PUBLISHED.append(_as_given(path))
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _reraise(exc, path) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on a clean exit flush, sync and rename it.

    ``mode`` is ``"w"`` or ``"wb"``. Nothing is visible at ``path`` until the block finishes.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files; mode must be 'w' or 'wb', not {mode!r}")
    with atomic_path(path) as tmp:
        try:
            if mode == "wb":
                fh: IO[Any] = open(tmp, "wb")  # noqa: SIM115 - closed below
            else:
                fh = open(tmp, "w", encoding=encoding, newline=newline)  # noqa: SIM115
        except OSError as exc:
            raise _reraise(exc, path) from None
        with fh:
            yield fh
            try:
                fh.flush()
                os.fsync(fh.fileno())
            except OSError as exc:
                raise _reraise(exc, path) from None


def write_text_atomic(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` all at once or not at all."""
    with atomic_open(path, "w", encoding=encoding) as fh:
        try:
            fh.write(text)
        except OSError as exc:
            raise _reraise(exc, path) from None


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` all at once or not at all."""
    with atomic_open(path, "wb") as fh:
        try:
            fh.write(data)
        except OSError as exc:
            raise _reraise(exc, path) from None


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM for the few renames of a commit, then deliver them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, Any]] = []
    old = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            old[sig] = signal.signal(sig, lambda s, f: caught.append((s, f)))
        except (ValueError, OSError):  # pragma: no cover - not settable here
            pass
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for sig, _frame in caught[:1]:
            if sig == signal.SIGINT:
                raise KeyboardInterrupt
            os.kill(os.getpid(), sig)


class OutputSet:
    """The files one run writes into a folder, published together.

    Files are written into a hidden staging folder inside ``folder`` (``path(name)`` gives where).
    ``commit()`` then removes the files the *previous* run recorded in its manifest that this run
    does not write, renames each new file into place and writes the manifest last. Interrupts are
    held during that short commit, so the folder shows either the previous complete set or the new
    complete set. Anything else in the folder (files the user put there) is never touched. Without a
    commit (an exception or Ctrl-C) the staging folder is deleted and the folder is unchanged.
    """

    def __init__(self, folder: str | os.PathLike[str]):
        self.given = folder
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise NotADirectoryError(20, "exists and is not a folder", _as_given(folder))
        made = [d for d in (self.folder, *self.folder.parents) if not d.exists()]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.made = made                  # folders this run created: removed again if it publishes nothing
            self.staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.folder))
        except OSError as exc:
            raise _reraise(exc, folder) from None
        self.names: list[str] = []
        self.committed = False

    def path(self, name: str) -> Path:
        """Where to write output ``name`` (a plain file name) before the commit."""
        if not name or os.sep in name or (os.altsep and os.altsep in name) or name in (".", "..") \
                or name == MANIFEST or name.startswith(_STAGING_PREFIX):
            raise ValueError(f"output name must be a plain file name, not {name!r}")
        if name not in self.names:
            self.names.append(name)
        return self.staging / name

    def final(self, name: str) -> Path:
        """Where ``name`` will be after the commit, as the user gave the folder (for messages)."""
        return Path(self.given) / name

    def write_text(self, name: str, text: str) -> Path:
        try:
            self.path(name).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _reraise(exc, self.final(name)) from None
        return self.final(name)

    def write_bytes(self, name: str, data: bytes) -> Path:
        try:
            self.path(name).write_bytes(data)
        except OSError as exc:
            raise _reraise(exc, self.final(name)) from None
        return self.final(name)

    def previous(self) -> list[str]:
        """The file names the last committed run recorded (empty when there was none)."""
        try:
            data = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
            files = data.get("files", [])
            return [f for f in files if isinstance(f, str) and os.sep not in f and f not in (".", "..")]
        except (OSError, ValueError, AttributeError):
            return []

    def commit(self) -> list[Path]:
        """Publish every staged file; return their final paths as the user gave the folder."""
        written = [n for n in self.names if (self.staging / n).exists()]
        try:
            with _signals_deferred():
                for old in self.previous():
                    if old not in written:
                        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                            (self.folder / old).unlink()
                for name in written:
                    target = self.folder / name
                    if target.is_dir() and not target.is_symlink():
                        raise IsADirectoryError(21, "is a folder, expected a file name", str(self.final(name)))
                    os.replace(self.staging / name, target)
                manifest = self.staging / MANIFEST
                manifest.write_text(json.dumps({"files": written}, indent=1), encoding="utf-8")
                os.replace(manifest, self.folder / MANIFEST)
        except OSError as exc:
            raise _reraise(exc, exc.filename if isinstance(exc.filename, str) and not
                           exc.filename.startswith(str(self.staging)) else self.given) from None
        finally:
            self.discard()
        self.committed = True
        _PUBLISHED.append(_as_given(self.given))
        return [self.final(n) for n in written]

    def as_final(self, exc: OSError) -> OSError:
        """``exc`` naming the file as the user will see it, where it names a staged file (a disk
        that fills up while a big output is written is the user's to fix, and theirs to recognise)."""
        name = exc.filename if isinstance(exc.filename, str) else None
        if name is None or Path(name).parent != self.staging:
            return exc
        return _reraise(exc, self.final(Path(name).name))

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        if not self.committed:
            for d in self.made:               # innermost first; one the user filled meanwhile stays
                with contextlib.suppress(OSError):
                    d.rmdir()


@contextlib.contextmanager
def output_set(folder: str | os.PathLike[str]) -> Iterator[OutputSet]:
    """``with output_set(out) as outs: outs.path("a.csv") ...`` - committed when the block ends cleanly."""
    outs = OutputSet(folder)
    try:
        yield outs
    except OSError as exc:
        outs.discard()
        named = outs.as_final(exc)
        if named is exc:
            raise
        raise named from exc
    except BaseException:
        outs.discard()
        raise
    outs.commit()
