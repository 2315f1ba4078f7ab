"""Outputs that are either complete or absent.

A run interrupted by Ctrl-C, a full disk or a crash must never leave a half-written file that
looks finished, nor a folder mixing this run's files with the last run's. Every output is written
under a temporary name in the destination's own folder (so the final rename stays on one file
system and is atomic) and renamed over the destination with ``os.replace``. A rename replaces a
symlink planted at the destination instead of writing through it, and temporary names are created
exclusively (``O_EXCL``), so a planted link can never redirect an output.

A destination that exists and is not a regular file is never replaced: a character device or a
FIFO named as one output file (``-o /dev/null``) is written to as a stream, once the output is
complete; a block device or a socket is refused. A folder of outputs (:class:`OutputSet`) belongs
to the command that wrote it only file by file: each command keeps its own manifest, replaces only
the files its own earlier set wrote and refuses to replace anything else there (another command's
file, a file the user put there, a device node).

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
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "OutputSet", "special_kind", "atomic_open", "atomic_path", "output_set", "published_mark", "published_since", "write_bytes_atomic",
    "write_text_atomic",
]

MANIFEST = ".escalab-outputs.json"     # the one manifest of earlier versions: files of some escalab command
_MANIFEST_OF = ".escalab-outputs.{}.json"   # each command's own
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


_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is when it exists and is neither a regular file, a folder nor a symlink."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return next((kind for test, kind in _KINDS if test(mode)), None)


def _streamed(path: Path, given: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is written as a stream (a character device or a FIFO); refuse the kinds
    that are neither replaced nor written (a block device, a socket)."""
    kind = special_kind(path)
    if kind is None:
        return False
    if kind in ("a block device", "a socket"):
        raise OSError(1, f"is {kind}; escalab writes outputs to regular files, character devices and FIFOs "
                         "only, and never replaces one", _as_given(given))
    return True


def _stream_into(tmp: Path, dest: Path, given: str | os.PathLike[str]) -> None:
    """Copy the finished output ``tmp`` into the device or FIFO ``dest``, which stays what it is."""
    try:
        # no O_CREAT: if it went away meanwhile nothing is made; O_NONBLOCK: a FIFO without a reader
        # fails at once (ENXIO) instead of waiting forever
        fd = os.open(dest, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == 6:      # ENXIO
            raise OSError(exc.errno, "is a FIFO (named pipe) that nobody reads; start the reader first",
                          _as_given(given)) from None
        raise _reraise(exc, given) from None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):        # replaced by a plain file since it was checked
            raise OSError(17, "changed from a device or FIFO to a file while escalab wrote it", _as_given(given))
        os.set_blocking(fd, True)
        with open(tmp, "rb") as src, os.fdopen(fd, "wb", closefd=False) as out:
            shutil.copyfileobj(src, out, 1 << 20)
    except OSError as exc:
        raise _reraise(exc, given) from None
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path`` (same suffix); rename it over ``path`` on success.

    For libraries that insist on writing to a path themselves (``savefig``, pygambit): they write
    the temporary path, which keeps the suffix so formats inferred from it stay right. On any
    exception the temporary file is removed and ``path`` is left as it was.
    """
    dest = Path(path)
    _refuse_directory(dest, path)
    stream = _streamed(dest, path)
    folder = dest.parent
    try:
        if stream:      # staged outside the device's folder (/dev), then copied into it
            fd, tmp_name = tempfile.mkstemp(prefix=".escalab-stream.", suffix=f".tmp{dest.suffix}")
        else:
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
        if stream:
            _stream_into(tmp, dest, path)
            tmp.unlink()
        else:
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
    """The files one command writes into a folder, published together.

    Files are written into a hidden staging folder inside ``folder`` (``path(name)`` gives where).
    ``commit()`` first checks that every name may be published: a name already there must be a
    regular file (or a planted symlink) that this command's *previous* set wrote, as its own manifest
    (``.escalab-outputs.COMMAND.json``) records; a file of another command's set, of the user, a
    folder or a device node is refused and nothing is published. It then removes the files of this
    command's previous set that this one does not write, renames each new file into place and
    writes the manifest last. Interrupts are held during that short commit, so the folder shows
    either the previous complete set or the new complete set. Other commands' sets and the user's
    files are never touched. Without a commit (an exception or Ctrl-C) the staging folder is
    deleted and the folder is unchanged.
    """

    def __init__(self, folder: str | os.PathLike[str], command: str):
        if not command or not all(c.isalnum() or c == "-" for c in command):
            raise ValueError(f"command must be a plain name like 'sweep', not {command!r}")
        self.given = folder
        self.command = command
        self.manifest = _MANIFEST_OF.format(command)
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
                or name.startswith(".escalab-"):
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

    def _listed(self, manifest: str) -> list[str]:
        try:
            data = json.loads((self.folder / manifest).read_text(encoding="utf-8"))
            files = data.get("files", [])
            return [f for f in files if isinstance(f, str) and os.sep not in f and f not in (".", "..")
                    and not f.startswith(".escalab-")]
        except (OSError, ValueError, AttributeError):
            return []

    def previous(self) -> list[str]:
        """The file names this command's last committed set recorded (empty when there was none)."""
        return self._listed(self.manifest)

    def others(self) -> dict[str, str]:
        """Each file another command's set in this folder recorded -> that command."""
        owners: dict[str, str] = {}
        prefix, suffix = _MANIFEST_OF.split("{}")
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                n = entry.name
                if n.startswith(prefix) and n.endswith(suffix) and n != self.manifest:
                    for f in self._listed(n):
                        owners.setdefault(f, n[len(prefix):-len(suffix)])
        return owners

    def _check_targets(self, written: list[str]) -> None:
        """Refuse (before anything is renamed) a name held by anything but this command's last set."""
        ours = set(self.previous()) | set(self._listed(MANIFEST))   # an earlier version's set: escalab's too
        owners = self.others()
        for name in written:
            target = self.folder / name
            try:
                mode = os.lstat(target).st_mode
            except FileNotFoundError:
                continue
            given = str(self.final(name))
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(21, "is a folder, expected a file name", given)
            kind = special_kind(target)
            if kind is not None:
                raise FileExistsError(17, f"exists and is {kind}; escalab {self.command} writes its files in a "
                                          "folder as regular files and does not replace it (remove it, or "
                                          "choose another --out)", given)
            if name in owners:
                raise FileExistsError(17, f"was written by escalab {owners[name]}, and escalab {self.command} "
                                          f"does not replace another command's files (choose another --out "
                                          f"for one of them)", given)
            if name not in ours:
                raise FileExistsError(17, f"exists and was not written by escalab {self.command}, which "
                                          "replaces only its own earlier files (move it away, or choose "
                                          "another --out)", given)

    def commit(self) -> list[Path]:
        """Publish every staged file; return their final paths as the user gave the folder."""
        written = [n for n in self.names if (self.staging / n).exists()]
        try:
            with _signals_deferred():
                self._check_targets(written)
                for old in self.previous():
                    if old not in written and special_kind(self.folder / old) is None:
                        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                            (self.folder / old).unlink()
                for name in written:
                    os.replace(self.staging / name, self.folder / name)
                manifest = self.staging / self.manifest
                manifest.write_text(json.dumps({"command": self.command, "files": written}, indent=1),
                                    encoding="utf-8")
                os.replace(manifest, self.folder / self.manifest)
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
def output_set(folder: str | os.PathLike[str], command: str) -> Iterator[OutputSet]:
    """``with output_set(out, "sweep") as outs: outs.path("a.csv") ...`` - committed when the block
    ends cleanly, replacing only what ``command`` wrote there before."""
    outs = OutputSet(folder, command)
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
