"""Turns taken fairly: across tenants first, then across each tenant's jobs.

Whoever was served least recently goes next, and a newcomer first of all. So a job that queued a
thousand units and one that queued a single unit alternate, and a tenant with ten jobs running
gets the same share as a tenant with one.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
Lane = tuple[str | None, str]  # (tenant, job id); tenant None is the single tenant


def _anyone(lane: Lane) -> bool:
    return True


class FairQueue(Generic[T]):
    """Entries queued per lane; ``pop`` serves the lane whose turn it is, FIFO within a lane."""

    def __init__(self) -> None:
        self._lanes: dict[Lane, deque[T]] = {}
        # When each tenant and each lane was last served. Kept while a lane is empty (its units
        # are all running), so a job does not jump the queue each time it queues again.
        self._tenant_turns: dict[str | None, int] = {}
        self._lane_turns: dict[Lane, int] = {}
        self._clock = itertools.count(1)

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._lanes.values())

    def push(self, lane: Lane, entry: T, first: bool = False) -> None:
        """Queue ``entry`` in ``lane``: last, or ``first`` (work handed back goes first)."""
        entries = self._lanes.setdefault(lane, deque())
        if first:
            entries.appendleft(entry)
        else:
            entries.append(entry)

    def next_lane(self, eligible: Callable[[Lane], bool] = _anyone) -> Lane | None:
        """The lane whose turn it is among those ``eligible`` with entries, or None."""
        lanes = [lane for lane, entries in self._lanes.items() if entries and eligible(lane)]
        if not lanes:
            return None
        # min() keeps the first of equals: ties go to the lane queued first.
        tenant = min((lane[0] for lane in lanes), key=lambda t: self._tenant_turns.get(t, 0))
        return min(
            (lane for lane in lanes if lane[0] == tenant),
            key=lambda lane: self._lane_turns.get(lane, 0),
        )

    def take(self, lane: Lane) -> T:
        """The first entry of ``lane``, which has had its turn."""
        entries = self._lanes[lane]
        entry = entries.popleft()
        if not entries:
            del self._lanes[lane]
        turn = next(self._clock)
        self._tenant_turns[lane[0]] = turn
        self._lane_turns[lane] = turn
        return entry

    def pop(self, eligible: Callable[[Lane], bool] = _anyone) -> T | None:
        """The next entry in fair order among ``eligible`` lanes, or None."""
        lane = self.next_lane(eligible)
        return None if lane is None else self.take(lane)

    def remove(self, lane: Lane) -> list[T]:
        """Drop the queued entries of ``lane`` (its job ended), and its turns; they are returned."""
        self._lane_turns.pop(lane, None)
        return list(self._lanes.pop(lane, ()))
