"""Errors a user can cause. The CLI prints ``str(err)`` on one line and exits with ``exit_code``;
nothing here ever reaches the user as a traceback."""
from __future__ import annotations


class QdgraphError(Exception):
    """Base class: a problem with the user's input, not a bug."""

    exit_code = 1


class TurtleSyntaxError(QdgraphError):
    """A data file is not valid Turtle; the message reads ``file:line: message``."""

    exit_code = 2

    def __init__(self, path: str, line: int | None, column: int | None, message: str):
        self.path, self.line, self.column, self.message = str(path), line, column, message
        where = f"{self.path}:{line}" if line else self.path
        if line and column:
            where += f":{column}"
        super().__init__(f"{where}: {message}")


class QuerySyntaxError(QdgraphError):
    """A SPARQL query does not parse; the message gives line, column and the parser's words."""

    exit_code = 2


class UnsafeQueryError(QdgraphError):
    """A query would write, reach the network or read another dataset (UPDATE, LOAD, SERVICE, FROM)."""

    exit_code = 2


class QueryTimeout(QdgraphError):
    exit_code = 3


class NotFoundError(QdgraphError):
    """A name matches nothing; the message lists near misses ("did you mean")."""

    def __init__(self, message: str, suggestions: list[str] | None = None):
        self.suggestions = suggestions or []
        super().__init__(message)


class AmbiguousNameError(QdgraphError):
    """A name matches several entities equally well."""

    def __init__(self, message: str, candidates: list | None = None):
        self.candidates = candidates or []
        super().__init__(message)


class UsageError(QdgraphError):
    """Inputs that are individually fine but do not fit together."""

    exit_code = 2
