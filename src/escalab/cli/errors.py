"""One place that turns exceptions into messages and exit codes, so no traceback reaches a user."""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import EscalabError, ModelError, ScenarioError, UsageError
from ..terminal import shown

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
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


def handled(fn: F) -> F:
    """Wrap a command: escalab's own errors exit 2 with a message; anything else exits 1."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place every error is turned into an exit code
            raise typer.Exit(report_error(exc)) from None
    return wrapper  # type: ignore[return-value]
