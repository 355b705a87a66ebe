"""Answers kept in the serving process, so a dashboard's repeated queries cost a lookup.

Keyed by the store generation and the request as sent (query string, body and its type, Accept):
that is the query, its parameters, dataset and format. A new generation (after ``qdgraph
import``) changes the key, so nothing stale is ever served and old entries simply age out.
Only successful answers are kept; bounded by bytes, least recently used first out; big answers
are not kept;

Beside each answer, the whole HTTP response is kept under the exact bytes of the request that
asked for it (``raw_get`` / ``raw_put``, used by ``protocol.py`` before any parsing): the same
bytes on a connection between requests are the same request, so they get the same answer
(with the current Date). Both kinds share the one byte budget. nor are answers of queries that call a function whose value changes from one
run to the next (NOW, RAND, UUID, STRUUID, BNODE): asked twice, they must differ.
"""
from __future__ import annotations

import re
from collections import OrderedDict

from qdgraph.interfaces.server.messages import Answer

# SPARQL reads \uXXXX and \UXXXXXXXX escapes anywhere in a query before parsing, so they are
# decoded before looking; a word in a string or a comment only costs a cache miss.
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_VOLATILE = re.compile(r"(?<![\w:])(?:NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)


def _unescape(query: str) -> str:
    def one(m):
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return m.group(0)

    return _ESCAPE.sub(one, query) if "\\" in query else query


def cacheable(query: str) -> bool:
    """Whether the answer to ``query`` may be given again: False for a query that calls a
    function with a new value at each run."""
    return not _VOLATILE.search(_unescape(query))


class ResultCache:
    max_key = 64 << 10  # longer requests are not kept by their bytes

    def __init__(self, max_bytes: int = 64 << 20, max_entry: int = 2 << 20):
        self.max_bytes, self.max_entry = max_bytes, max_entry
        self._items: OrderedDict = OrderedDict()
        self._sizes: dict = {}
        self._bytes = 0

    def get(self, key):
        reply = self._items.get(key)
        if reply is None:
            return None
        self._items.move_to_end(key)
        return reply

    def put(self, key, reply: Answer) -> bool:
        """Keep ``reply`` under ``key``; whether it is kept (now or before)."""
        if key in self._items:
            return True
        return self._add(key, reply, _size(key, reply))

    def raw_get(self, request: bytes, gen: str):
        """(head before the Date value, the rest, log fields) of the response kept for these
        exact request bytes at generation ``gen``, or None."""
        entry = self._items.get(request)
        if entry is None or entry[0] != gen:
            return None
        self._items.move_to_end(request)
        return entry[1]

    def raw_put(self, request: bytes, gen: str, head: bytes, rest: bytes, log: tuple) -> None:
        self._add(request, (gen, (head, rest, log)), len(request) + len(head) + len(rest) + 200)

    def _add(self, key, value, size: int) -> bool:
        if self.max_bytes <= 0 or size > self.max_entry:
            return False
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= self._sizes.pop(key)
        self._items[key] = value
        self._sizes[key] = size
        self._bytes += size
        while self._bytes > self.max_bytes:
            old_key, _ = self._items.popitem(last=False)
            self._bytes -= self._sizes.pop(old_key)
        return True


def _size(key, reply: Answer) -> int:
    return len(reply.body) + sum(len(k) for k in key if isinstance(k, (str, bytes))) + 200
