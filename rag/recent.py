"""`Recent`: the last values computed, by key, for the caches of repeated work (query vectors, cross-encoder
scores, composed answers). Oldest dropped first; safe across threads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    """The last `size` values put, by key.

    >>> r = Recent(2); r.put("a", 1); r.put("b", 2); r.get("a"); r.put("c", 3)
    1
    >>> r.get("b"), r.get("a"), r.get("c")   # "b" was the least recently used
    (None, 1, 3)
    """

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
