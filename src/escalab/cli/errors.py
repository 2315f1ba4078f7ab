"""One place that turns exceptions into messages and exit codes, so no traceback reaches a user."""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.markup import escape

from ..atomic import published_mark, published_since
from ..errors import EscalabError, ModelError, ScenarioError, UsageError
from ..terminal import safe_console, shown

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
err_console = safe_console(stderr=True, highlight=False, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def report_error(exc: BaseException) -> int:
    """Print ``exc`` for a person and return the exit code. User text is never read as markup."""
    if isinstance(exc, ScenarioError):
        err_console.print(f"[bold red]error:[/] {len(exc.problems)} problem(s) found")
        for line in exc.shown_lines():
            err_console.print(f"  {shown(line)}", markup=False)
        return EXIT_BAD_INPUT
    if isinstance(exc, (UsageError, ModelError, EscalabError)):
        err_console.print(f"[bold red]error:[/] {escape(shown(exc))}")
        return EXIT_BAD_INPUT
    if isinstance(exc, OSError) and exc.filename is not None:
        # a path the user named cannot be read or written: their input, not our bug
        reason = exc.strerror or type(exc).__name__
        err_console.print(f"[bold red]error:[/] cannot use '{escape(shown(exc.filename))}': {escape(shown(reason))}")
        return EXIT_BAD_INPUT
    err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {escape(shown(exc))}")
    err_console.print("This is a bug in escalab; please report it with the command you ran.")
    if os.environ.get("ESCALAB_DEBUG") == "1":
        traceback.print_exc()
    return EXIT_INTERNAL


EXIT_INTERRUPTED = 130


def report_interrupt(published: list[str]) -> int:
    """Say what Ctrl-C left behind. Outputs are renamed into place whole (escalab.atomic), so each
    one is either complete or absent; an interrupted run folder keeps its previous complete set."""
    if published:
        names = ", ".join(shown(p, one_line=True) for p in published)
        err_console.print(f"[bold yellow]interrupted:[/] completed before the interrupt: {escape(names)}; "
                          "nothing else was written and no file is half-written", markup=True)
    else:
        err_console.print("[bold yellow]interrupted:[/] nothing was written; outputs of an earlier run are "
                          "left complete and unchanged")
    return EXIT_INTERRUPTED


def handled(fn: F) -> F:
    """Wrap a command: escalab's own errors exit 2 with a message; anything else exits 1."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mark = published_mark()
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            raise typer.Exit(report_interrupt(published_since(mark))) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place every error is turned into an exit code
            raise typer.Exit(report_error(exc)) from None
    return wrapper  # type: ignore[return-value]
