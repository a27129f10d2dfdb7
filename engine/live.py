"""Instances just dumped, kept in memory so that the next action on the same file in this
process skips deserializing.

An entry is kept under its dump text, taken out (never shared) on load and dropped when its
instance changes; any other process's write changes the text, so a stale entry can never
match.
"""

import threading
from collections import OrderedDict

from .instance import Instance
from .routes import Route


class Live:
    """The instances kept, by their dump text, the most recent last."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[str, Instance] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, instance: Instance, text: str) -> None:
        """Keep ``instance`` under the text it was just dumped as."""
        with self._lock:
            self._items[text] = instance
            self._items.move_to_end(text)
            instance._stored_as = text
            while len(self._items) > self._size:
                _key, old = self._items.popitem(last=False)
                old._stored_as = None

    def take(self, text: str, route: Route) -> Instance | None:
        """The instance kept under ``text`` for ``route``, taken out; None when there is none."""
        with self._lock:
            instance = self._items.pop(text, None)
        if instance is None or instance.route is not route:
            return None
        instance._stored_as = None
        return instance

    def drop(self, instance: Instance) -> None:
        """Forget ``instance`` (it is about to change, so its text no longer describes it)."""
        if instance._stored_as is None:
            return
        with self._lock:
            if self._items.get(instance._stored_as) is instance:
                del self._items[instance._stored_as]
        instance._stored_as = None

    def clear(self) -> None:
        """Forget every instance kept."""
        with self._lock:
            for instance in self._items.values():
                instance._stored_as = None
            self._items.clear()


LIVE = Live()


def clear_cache() -> None:
    """Forget the instances kept in memory; the next load deserializes from the stored text."""
    LIVE.clear()
