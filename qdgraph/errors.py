"""Errors a user can cause, and the one table of what each means to a caller.

Each class carries its ``exit_code`` (the CLI prints ``qdgraph: error: <message>`` on one line
and exits with it) and its ``http_status`` (the server's answer); ``details()`` gives the extra
fields a JSON error carries (did-you-mean suggestions, candidates). Nothing here ever reaches the
user as a traceback. Errors of other layers (stores, endpoints, the server) subclass these and
set their own codes beside their definition.
"""
from __future__ import annotations


class QdgraphError(Exception):
    """Base class: a problem with the user's input, not a bug."""

    exit_code = 1
    http_status = 400  # a problem with the request
    # The message names the library's arguments; the command line shows ``cli`` instead when
    # set: the same message naming its own flags (``--timeout``) — see ``for_cli``.
    cli: str | None = None

    def details(self) -> dict:
        return {}

    def for_cli(self, message: str) -> "QdgraphError":
        """This error, with the words the command line shows (its flags); returns it, to raise."""
        self.cli = message
        return self


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
    http_status = 403


class QueryTimeout(QdgraphError):
    """A query ran past its time limit (``--timeout``)."""

    exit_code = 3
    http_status = 503


class NotFoundError(QdgraphError):
    """A name matches nothing; the message lists near misses ("did you mean")."""

    http_status = 404

    def __init__(self, message: str, suggestions: list[str] | None = None):
        self.suggestions = suggestions or []
        super().__init__(message)

    def details(self) -> dict:
        return {"suggestions": self.suggestions}


class AmbiguousNameError(QdgraphError):
    """A name matches several entities equally well; ``candidates`` describe each one."""

    http_status = 409

    def __init__(self, message: str, candidates: list[str] | None = None):
        self.candidates = candidates or []
        super().__init__(message)

    def details(self) -> dict:
        return {"candidates": self.candidates}


class UsageError(QdgraphError):
    """Inputs that are individually fine but do not fit together."""

    exit_code = 2
