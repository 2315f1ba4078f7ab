"""Error types shared by every layer.

A researcher editing a scenario by hand needs to know *where* the problem is, not which Python
function noticed it, so every input problem carries the file, line, column and the field path in
the document. The CLI prints these and exits with code 2; nothing else should reach the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class EscalabError(Exception):
    """Base class: an error escalab expects and can explain without a traceback.

    Errors raised in a worker process or on a Dask worker are pickled back to the command. Python
    rebuilds an exception by calling its class with ``args``, which fails for a subclass whose
    constructor takes other arguments (LimitError's limit and count: the pool then reported a dead
    worker instead of the refusal); every one is rebuilt from its ``args`` and fields instead.
    """

    def __reduce__(self) -> tuple:
        return _rebuilt, (type(self), self.args), dict(self.__dict__)


def _rebuilt(cls: type, args: tuple) -> "EscalabError":
    error = cls.__new__(cls)
    error.args = args
    return error


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.file is None and self.line is None:
            return f"{self.path}: {self.message}" if self.path else self.message
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field_part = f" {self.path}:" if self.path else ""
        return f"{where}:{field_part} {self.message}"


@dataclass
class ScenarioError(EscalabError):
    """A scenario (or ladder, or readiness scale) document is malformed.

    Holds every problem found, so a user fixes a file in one pass instead of one error per run.
    """

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(self.shown_lines())

    def shown_lines(self) -> list[str]:
        """The first problems (the errors-shown limit), then how many more were found."""
        from .limits import ERRORS_SHOWN  # limits imports this module

        n = ERRORS_SHOWN.value()
        lines = [str(p) for p in self.problems[:n]]
        if len(self.problems) > n:
            lines.append(f"... and {len(self.problems) - n} more problem(s) not shown "
                         f"(list more with --limit errors-shown=N)")
        return lines

    @classmethod
    def single(cls, message: str, path: str = "", file: str | None = None,
               line: int | None = None, column: int | None = None) -> "ScenarioError":
        return cls([Problem(message, path, file, line, column)])


class ExpressionError(EscalabError):
    """An arithmetic expression could not be parsed or evaluated.

    Raised without a location; the scenario loader wraps it into a ScenarioError that names
    the file and field the expression came from.
    """

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column


class UsageError(EscalabError):
    """A command-line or API argument is wrong (e.g. --set of an unknown parameter)."""


class ModelError(EscalabError):
    """A model-level operation was asked of a game that does not support it."""
