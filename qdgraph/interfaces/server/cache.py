"""Answers kept in the serving process, so a dashboard's repeated queries cost a lookup.

Keyed by the store generation and the request as sent (query string, body and its type, Accept):
that is the query, its parameters, dataset and format. A new generation (after ``qdgraph
import``) changes the key, so nothing stale is ever served and old entries simply age out.
Only successful answers are kept; bounded by bytes, least recently used first out; big answers
are not kept.
"""
from __future__ import annotations

from collections import OrderedDict


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

    def put(self, key, reply: tuple) -> None:
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


def _size(key, reply) -> int:
    return len(reply[2]) + sum(len(k) for k in key if isinstance(k, (str, bytes))) + 200
