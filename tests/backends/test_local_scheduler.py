"""The local pool's scheduler, driven message by message: no processes, no timing."""

from __future__ import annotations

import asyncio
from typing import Any

from framecast.backends.local_scheduler import DIED, Scheduler
from tests.backends.test_local_isolation import Record


class Pool:
    """What the scheduler sends to the pool's processes, as a list."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, tuple[Any, ...]]] = []

    def __call__(self, number: int, message: tuple[Any, ...]) -> None:
        self.sent.append((number, message))

    def units(self) -> list[tuple[int, dict[str, Any]]]:
        """(unit id, worker job) of each unit sent, in order."""
        return [(m[1], m[2]) for _, m in self.sent if m[0] == "unit"]

    def grants(self) -> list[int]:
        return [m[1] for _, m in self.sent if m[0] == "go"]


def job(job_id: str, count: int) -> dict[str, Any]:
    items = [{"index": i, "id": f"{job_id}{i}", "image_url": "ok"} for i in range(count)]
    return {"operation": "img2vid", "job_id": job_id, "items": items, "options": {}}


def done(unit: dict[str, Any]) -> dict[str, Any]:
    return {"videos": [{"index": i["index"], "id": i["id"]} for i in unit["items"]], "failed": []}


def test_render_slots_go_to_tenants_in_turn_then_to_their_jobs() -> None:
    async def scenario() -> list[str]:
        pool = Pool()
        scheduler = Scheduler(processes=1, slots=1, send=pool)
        for tenant, job_id in (("busy", "a"), ("busy", "b"), ("quiet", "c")):
            work = job(job_id, 2)
            scheduler.start(work, Record(work, tenant))
        asked = [(job_id, i) for job_id in "abc" for i in range(2)]
        for token, (job_id, index) in enumerate(asked):
            scheduler.ready(0, token, job_id, index)
        order = []
        while len(order) < len(asked):
            token = pool.grants()[len(order)]
            order.append("{}{}".format(*asked[token]))
            scheduler.released(0, token)
        return order

    assert asyncio.run(scenario()) == ["a0", "c0", "b0", "c1", "a1", "b1"]


def test_units_a_dead_process_was_running_are_sent_again_alone_once() -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        pool = Pool()
        scheduler = Scheduler(processes=1, slots=1, send=pool)
        doomed, innocent = job("doomed", 1), job("innocent", 1)
        runs = [scheduler.start(j, Record(j)) for j in (doomed, innocent)]
        assert len(pool.units()) == 2
        scheduler.died(0, pid=1, exitcode=-9)
        assert [u["job_id"] for _, u in pool.units()[2:]] == ["doomed"]  # alone
        scheduler.died(0, pid=2, exitcode=-9)  # it kills its process again: it fails
        (unit_id, unit), *rest = pool.units()[3:]
        assert unit["job_id"] == "innocent" and not rest
        scheduler.finished(0, unit_id, done(unit))
        await asyncio.gather(*(run.ended for run in runs))
        return runs[0].failures[0], runs[1].outputs[0]

    failure, output = asyncio.run(scenario())
    assert failure == {"index": 0, "id": "doomed0", "error": DIED}
    assert output["videos"] == [{"index": 0, "id": "innocent0"}]
