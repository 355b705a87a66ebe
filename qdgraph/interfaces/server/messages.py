"""The messages between the serving process and its query workers (``pool.py`` ↔ ``worker.py``).

NamedTuples: typed and named, yet pickled almost as cheaply as the plain tuples they replace
(each request sends one ``Task`` and receives one ``Answer`` or ``Refusal``).
"""
from __future__ import annotations

from typing import Any, NamedTuple


class Task(NamedTuple):
    """Run ``op`` (a key of ``worker.OPS``) with ``args``, on store generation ``generation``
    ("" : whatever the worker has open)."""

    op: str
    args: dict[str, Any]
    generation: str = ""


class Answer(NamedTuple):
    """A successful reply: the response body, already serialised by the worker."""

    content_type: str
    body: bytes
    headers: dict[str, str] = {}


class Refusal(NamedTuple):
    """A failed task: HTTP status, a one-line message, and details for JSON answers
    (``QdgraphError.details()``: suggestions, candidates)."""

    status: int
    message: str
    extra: dict[str, Any] = {}


class Ready(NamedTuple):
    """Sent once by a worker that has opened the graph (and, where it could, given up the
    network: ``sandbox`` names how, or is None)."""

    triples: int
    sandbox: str | None = None


class Failed(NamedTuple):
    """Sent once by a worker that could not open the graph (it then exits)."""

    message: str


Reply = Answer | Refusal
