"""Answers kept in the serving process, so a dashboard's repeated queries cost a lookup.

Keyed by the store generation and the request as sent (query string, body and its type, Accept):
that is the query, its parameters, dataset and format. A new generation (after ``qdgraph
import``) changes the key, so nothing stale is ever served and old entries simply age out.
Only successful answers are kept; bounded by bytes, least recently used first out; big answers
are not kept; nor are answers of queries that call a function whose value changes from one
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
    def __init__(self, max_bytes: int = 64 << 20, max_entry: int = 2 << 20):
        self.max_bytes, self.max_entry = max_bytes, max_entry
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0

    def get(self, key):
        reply = self._items.get(key)
        if reply is None:
            return None
        self._items.move_to_end(key)
        return reply

    def put(self, key, reply: Answer) -> None:
        if self.max_bytes <= 0 or key in self._items:
            return
        size = _size(key, reply)
        if size > self.max_entry:
            return
        self._items[key] = reply
        self._bytes += size
        while self._bytes > self.max_bytes:
            old_key, old = self._items.popitem(last=False)
            self._bytes -= _size(old_key, old)


def _size(key, reply: Answer) -> int:
    return len(reply.body) + sum(len(k) for k in key if isinstance(k, (str, bytes))) + 200
