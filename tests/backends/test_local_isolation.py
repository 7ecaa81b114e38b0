"""The local pool isolates jobs: a crash costs only what was running, a big or stalled job does
not hold the others back. Real spawned pool processes, running ``tests.backends.pool_fakes``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from framecast.backends.local import LocalBackend
from framecast.config import Settings
from tests.backends import pool_fakes

WAIT = 20.0  # seconds a scenario may take before the test fails instead of hanging


class Record:
    """A job's run record as the service keeps it, in memory."""

    def __init__(self, job: dict[str, Any], tenant: str | None = None) -> None:
        self.deadline_at = time.time() + WAIT
        self.tenant = tenant
        self.pending = {int(item["index"]) for item in job["items"]}
        self.failed: list[dict[str, Any]] = []

    def load(self) -> dict[str, Any] | None:
        return None

    def save(self, data: dict[str, Any]) -> None:
        pass

    def pending_indexes(self) -> set[int]:
        return set(self.pending)

    def report_failed(self, failed: list[dict[str, Any]]) -> None:
        self.failed.extend(failed)


def job(job_id: str, log: Path, *actions: str) -> dict[str, Any]:
    """A worker job whose items do ``actions`` (see pool_fakes)."""
    items = [{"index": i, "id": f"{job_id}-{i}", "image_url": a} for i, a in enumerate(actions)]
    return {
        "operation": "img2vid",
        "job_id": job_id,
        "items": items,
        "options": {"render_log": str(log)},
    }


@asynccontextmanager
async def pool(tmp_path: Path) -> AsyncIterator[LocalBackend]:
    """One pool process that renders one clip at a time."""
    settings = Settings(local_workers=1, batch_size=1, work_dir=tmp_path)
    backend = LocalBackend(settings, work=pool_fakes.work, start=pool_fakes.start)
    try:
        yield backend
    finally:
        await backend.close()


def rendered(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_a_killed_worker_fails_only_the_items_it_was_running(tmp_path: Path) -> None:
    log = tmp_path / "renders.log"
    doomed = job("doomed", log, "kill")
    queued = [job(f"q{i}", log, "ok") for i in range(5)]

    async def scenario() -> list[Any]:
        async with pool(tmp_path) as backend:
            runs = [backend.run(j, Record(j)) for j in [doomed, *queued]]
            return await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), WAIT)

    outputs = asyncio.run(scenario())
    # The item that killed its worker was retried once (killing the replacement too), then failed.
    assert outputs[0]["videos"] == []
    assert "worker process died" in outputs[0]["failed"][0]["error"]
    for output, queued_job in zip(outputs[1:], queued, strict=True):
        assert not isinstance(output, BaseException), output
        assert [v["id"] for v in output["videos"]] == [f"{queued_job['job_id']}-0"]


def test_a_small_job_is_not_queued_behind_a_big_one(tmp_path: Path) -> None:
    log = tmp_path / "renders.log"
    big = job("big", log, *["slow"] * 8)
    small = job("small", log, "ok")

    async def scenario() -> None:
        async with pool(tmp_path) as backend:
            running_big = asyncio.ensure_future(backend.run(big, Record(big)))
            await asyncio.wait_for(backend.run(small, Record(small)), WAIT)
            running_big.cancel()

    asyncio.run(scenario())
    # Submitted while the big job's first clip rendered: its clip comes next, not 8th.
    assert rendered(log).index("small:0") <= 2, rendered(log)


def test_a_stalled_download_does_not_idle_the_render_slot(tmp_path: Path) -> None:
    log = tmp_path / "renders.log"
    release = tmp_path / "answer"
    stalled = job("stalled", log, f"stall:{release}")
    healthy = job("healthy", log, "ok", "ok", "ok")

    async def scenario() -> dict[str, Any]:
        async with pool(tmp_path) as backend:
            waiting = asyncio.ensure_future(backend.run(stalled, Record(stalled)))
            try:
                output = await asyncio.wait_for(backend.run(healthy, Record(healthy)), WAIT / 2)
            finally:
                release.touch()  # the server answers at last
            await asyncio.wait_for(waiting, WAIT)
            return output

    output = asyncio.run(scenario())
    assert len(output["videos"]) == 3
    assert rendered(log)[:3] == ["healthy:0", "healthy:1", "healthy:2"]
