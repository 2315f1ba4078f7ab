"""Rich progress bars behind the plain ``progress(done, total)`` callbacks of the lower layers.

The solve and simulate layers never print; they call back. A bar is drawn only on a terminal, so
piped output and CI logs stay clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..terminal import safe_console

console = safe_console(highlight=False)   # user text with escape codes is shown escaped


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    if not console.is_terminal:
        yield lambda done, total: None
        return
    # here, not at the top: every command imports this module, few draw a bar (issue 11: start-up)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
        yield update
