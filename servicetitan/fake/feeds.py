"""An export feed: the append-only log of one tenant's record versions of
one entity, as ServiceTitan's export endpoints serve it.

A record's first version is where the tenant's data starts; every change
(content, deactivation, deletion: ``active`` false) appends a new version
with a later ``modifiedOn``, so the record appears again further on and a
consumer that reads to the end holds every record at its newest version.

The first versions are not stored: version ``p`` of the initial ``count``
records is computed from ``p`` alone (a feed of 100,000 jobs costs nothing
until it changes). Changed and added versions are stored as small tuples.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from servicetitan.fake.moments import START, STEP, TICKS

# Every so many records start inactive (a deactivated customer, a deleted
# job): exports include them.
INACTIVE_EVERY = 20
# Spreads the fractional digits of the initial timestamps.
_FRACTION = 7_654_321


class Version(NamedTuple):
    """One version of one record, as a feed entry."""

    index: int  # the record's number in its entity, from 1 (its id: the entity's base + index)
    number: int  # 0 for the record as first exported, then 1, 2, ... per change
    created: int  # ticks
    modified: int  # ticks
    active: bool


def _initial(position: int) -> Version:
    modified = START + position * STEP + (position * _FRACTION) % TICKS
    index = position + 1
    return Version(index, 0, modified, modified, index % INACTIVE_EVERY != 0)


class Log:
    """The versions of one entity of one tenant, oldest first; ``modifiedOn``
    increases along it."""

    def __init__(self, count: int):
        self.initial = count
        self.count = count
        self._appended: list[Version] = []
        self._newest: dict[int, int] = {}  # index -> position, once changed or added
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.initial + len(self._appended)

    def at(self, position: int) -> Version:
        if position < self.initial:
            return _initial(position)
        return self._appended[position - self.initial]

    def slice(self, start: int, stop: int) -> list[Version]:
        stop = min(stop, len(self))
        return [self.at(p) for p in range(max(start, 0), stop)]

    def first_modified_at_or_after(self, ticks: int) -> int:
        """The position of the first version modified at or after ``ticks``
        (the end of the log if none is)."""
        return bisect_left(range(len(self)), ticks, key=lambda p: self.at(p).modified)

    def newest(self, index: int) -> Version | None:
        """The newest version of record ``index``; None if there is none."""
        if not 1 <= index <= self.count:
            return None
        return self.at(self._newest.get(index, index - 1))

    def newest_versions(self) -> Iterator[Version]:
        """The newest version of every record, by index."""
        for index in range(1, self.count + 1):
            yield self.newest(index)

    def _append(self, version: Version) -> Version:
        self._newest[version.index] = len(self)
        self._appended.append(version)
        return version

    def _next_modified(self) -> int:
        last = self.at(len(self) - 1).modified if len(self) else START - STEP
        return last + STEP + (len(self) * _FRACTION) % TICKS

    def change(self, indexes: Iterable[int], active: bool | None = None) -> list[Version]:
        """New versions of records ``indexes`` (new content; ``active``
        set if given), appended in that order."""
        with self._lock:
            changed = []
            for index in indexes:
                old = self.newest(index)
                if old is None:
                    raise KeyError(f"no record {index} (there are {self.count})")
                now_active = old.active if active is None else active
                new = Version(index, old.number + 1, old.created, self._next_modified(), now_active)
                changed.append(self._append(new))
            return changed

    def add(self, count: int) -> list[Version]:
        """``count`` new records, appended."""
        with self._lock:
            added = []
            for _ in range(count):
                self.count += 1
                modified = self._next_modified()
                added.append(self._append(Version(self.count, 0, modified, modified, True)))
            return added
