"""The local pool's scheduler: jobs split into units of a few items, sent to the pool processes
and given render slots fairly (tenants first, then jobs: :mod:`framecast.backends.fair_queue`).

Fetching is kept apart from rendering: a process takes units beyond its render slots, and an
item asks for a slot only once its inputs are downloaded, so a stalled download holds no slot.
Each job keeps only a few items ahead of its renders, so one that stalls cannot fill a process.

A process that dies costs only the units it was running: each is sent again once, alone on a
process, for its items not uploaded yet (so a unit that kills its process cannot take another
unit down with it twice); the units still queued are not touched.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from framecast.backends.base import RunRecord
from framecast.backends.fair_queue import FairQueue, Lane

log = logging.getLogger("framecast.backends")

UNIT_ITEMS = 4  # items per unit: what a crash may cost, and the cost of a worker job amortised
ATTEMPTS = 2  # a unit running when its process died is sent once more
DIED = "a local worker process died while rendering this item (it was tried twice)"

Send = Callable[[int, tuple[Any, ...]], None]  # (process number, message)


@dataclass(eq=False)
class Run:
    """One job from its units being queued to the end of the last one."""

    job: dict[str, Any]
    record: RunRecord
    lane: Lane
    ended: asyncio.Future[None]
    units_left: int = 0
    running: set[Unit] = field(default_factory=set)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stopped: bool = False

    def ahead(self) -> int:
        """Items sent to a process and not rendering yet: being fetched or waiting for a slot."""
        return sum(unit.ahead() for unit in self.running)


@dataclass(eq=False)
class Unit:
    """A few items of a job, run as one worker job."""

    id: int
    run: Run
    items: list[dict[str, Any]]
    attempt: int = 1
    rendering: set[int] = field(default_factory=set)  # indexes given a slot

    def ahead(self) -> int:
        return len(self.items) - len(self.rendering)

    def holds(self, job_id: str, index: int) -> bool:
        return self.run.lane[1] == job_id and any(int(i["index"]) == index for i in self.items)


@dataclass(eq=False)
class Process:
    """The scheduler's view of one pool process."""

    free_slots: int
    units: dict[int, Unit] = field(default_factory=dict)
    waiting: FairQueue[int] = field(default_factory=FairQueue)  # tokens asking for a slot
    tokens: dict[int, tuple[Unit | None, int]] = field(default_factory=dict)  # → (unit, index)
    alone: bool = False  # running a unit sent again, which takes a process to itself

    def ahead(self) -> int:
        return sum(unit.ahead() for unit in self.units.values())


class Scheduler:
    """Decides what each pool process runs next; knows nothing of how processes are reached."""

    def __init__(self, processes: int, slots: int, send: Send) -> None:
        self._slots = slots
        self._send = send
        self._processes = [Process(slots) for _ in range(processes)]
        self._queue: FairQueue[Unit] = FairQueue()
        self._again: deque[Unit] = deque()  # units to send again, each alone on a process
        self._runs: dict[str, Run] = {}
        self._ids = itertools.count()
        self._job_ahead = slots * processes  # enough to refill every slot as renders end
        self._process_ahead = items_ahead_per_process(slots)

    def start(self, job: dict[str, Any], record: RunRecord) -> Run:
        """Queue the job's items as units; ``run.ended`` is set once every unit has ended."""
        loop = asyncio.get_running_loop()
        run = Run(job, record, (record.tenant, str(job["job_id"])), loop.create_future())
        self._runs[run.lane[1]] = run
        items = list(job["items"])
        for at in range(0, len(items), UNIT_ITEMS):
            self._queue.push(run.lane, Unit(next(self._ids), run, items[at : at + UNIT_ITEMS]))
            run.units_left += 1
        self._check_ended(run)
        self._dispatch()
        return run

    def stop(self, job_id: str) -> None:
        """Forget a job's queued units; its running ones end on their own (the API tells them)."""
        run = self._runs.get(job_id)
        if run is None or run.stopped:
            return
        run.stopped = True
        dropped = self._queue.remove(run.lane) + [u for u in self._again if u.run is run]
        self._again = deque(u for u in self._again if u.run is not run)
        run.units_left -= len(dropped)
        self._check_ended(run)

    # -- what the processes say -----------------------------------------------------------

    def ready(self, number: int, token: int, job_id: str, index: int) -> None:
        """An item of ``job_id`` has its inputs and asks for a render slot."""
        process = self._processes[number]
        unit = next((u for u in process.units.values() if u.holds(job_id, index)), None)
        process.tokens[token] = (unit, index)
        process.waiting.push(unit.run.lane if unit else (None, job_id), token)
        self._grant(number)

    def released(self, number: int, token: int) -> None:
        process = self._processes[number]
        if process.tokens.pop(token, None) is not None:
            process.free_slots += 1
        self._grant(number)

    def finished(self, number: int, unit_id: int, output: dict[str, Any]) -> None:
        """A unit's worker output."""
        process = self._processes[number]
        unit = process.units.pop(unit_id, None)
        if unit is None:
            return
        if unit.attempt > 1:
            process.alone = False  # its unit sent again has ended: others may join
        run = unit.run
        run.running.discard(unit)
        if "error" in output:
            run.errors.append(str(output["error"]))
            self._fail(unit, str(output["error"]), [int(i["index"]) for i in unit.items])
        else:
            run.outputs.append(output)
            run.record.report_failed(list(output.get("failed", [])))
        self._unit_ended(run)
        self._dispatch()

    def died(self, number: int, pid: int | None, exitcode: int | None) -> None:
        """A process ended (a replacement starts with the next unit sent to this number)."""
        units = list(self._processes[number].units.values())
        self._processes[number] = Process(self._slots)
        log.error("local worker died pid=%s exitcode=%s units=%d", pid, exitcode, len(units))
        for unit in units:
            run = unit.run
            run.running.discard(unit)
            pending = run.record.pending_indexes() if not run.stopped else set()
            left = [item for item in unit.items if int(item["index"]) in pending]
            if left and unit.attempt < ATTEMPTS:
                log.warning("local unit sent again job_id=%s items=%d", run.lane[1], len(left))
                self._again.append(Unit(next(self._ids), run, left, unit.attempt + 1))
                continue
            if left:
                log.error(
                    "local unit failed job_id=%s items=%d (its second death)",
                    run.lane[1],
                    len(left),
                )
                self._fail(unit, DIED, [int(item["index"]) for item in left])
            self._unit_ended(run)
        self._dispatch()

    # -- deciding -----------------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            if self._again:  # a process must drain first, so the unit runs alone
                number = next((n for n, p in enumerate(self._processes) if not p.units), None)
                if number is None:
                    return
                self._processes[number].alone = True
                self._send_unit(number, self._again.popleft())
                continue
            open_ = [
                n
                for n, p in enumerate(self._processes)
                if not p.alone and p.ahead() < self._process_ahead
            ]
            lane = self._queue.next_lane(self._may_take) if open_ else None
            if lane is None:
                return
            number = min(open_, key=lambda n: len(self._processes[n].units))
            self._send_unit(number, self._queue.take(lane))

    def _may_take(self, lane: Lane) -> bool:
        return self._runs[lane[1]].ahead() < self._job_ahead

    def _send_unit(self, number: int, unit: Unit) -> None:
        self._processes[number].units[unit.id] = unit
        unit.run.running.add(unit)
        self._send(number, ("unit", unit.id, {**unit.run.job, "items": unit.items}))

    def _grant(self, number: int) -> None:
        process = self._processes[number]
        while process.free_slots > 0 and (lane := process.waiting.next_lane()) is not None:
            token = process.waiting.take(lane)
            process.free_slots -= 1
            unit, index = process.tokens[token]
            if unit is not None:
                unit.rendering.add(index)
            self._send(number, ("go", token))
        self._dispatch()  # items now rendering leave room for more to be fetched

    def _fail(self, unit: Unit, error: str, indexes: list[int]) -> None:
        names = {int(item["index"]): item.get("id") for item in unit.items}
        failed = [{"index": i, "id": names[i], "error": error} for i in indexes]
        unit.run.failures.extend(failed)
        unit.run.record.report_failed(failed)

    def _unit_ended(self, run: Run) -> None:
        run.units_left -= 1
        self._check_ended(run)

    def _check_ended(self, run: Run) -> None:
        if run.units_left > 0:
            return
        if self._runs.get(run.lane[1]) is run:
            del self._runs[run.lane[1]]
        self._queue.remove(run.lane)
        for process in self._processes:
            process.waiting.remove(run.lane)
        if not run.ended.done():
            run.ended.set_result(None)


def items_ahead_per_process(slots: int) -> int:
    """How many items a process takes beyond those rendering (being fetched, waiting for a
    slot): room for a few jobs whose downloads stall, and the others' still flow."""
    return 4 * max(slots, UNIT_ITEMS)
