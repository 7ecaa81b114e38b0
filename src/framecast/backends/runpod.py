"""The RunPod backend: a job fans out as chunks of RunPod Serverless jobs, polled with backoff.

Each chunk's RunPod ids are saved in the job's run record right after ``/run``, so a restarted
service polls them again instead of resubmitting. A chunk that fails as a whole (FAILED, TIMED_OUT,
or a ``/status`` 404) is resubmitted once for its items that no output reported; item failures the
worker itself reported are final, as under every backend.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from framecast.backends.base import Backend, RunRecord
from framecast.backends.runpod_api import RunPodApi, Verdict, judge
from framecast.config import Settings
from framecast.errors import BackendError

log = logging.getLogger("framecast.backends")

ATTEMPTS = 2  # a chunk that dies is resubmitted once
TTL_MARGIN_SECONDS = 600.0  # results outlive the deadline, so a restarted API can still read them
MIN_EXECUTION_SECONDS = 1.0


@dataclass
class Chunk:
    """Some items of a job, run as one RunPod job (one id per attempt)."""

    items: list[int]
    ids: list[str] = field(default_factory=list)  # every attempt's RunPod id, oldest first
    live: bool = False  # the last id may still be running
    failed: list[dict[str, Any]] | None = None  # set once the chunk has ended


class RunPodBackend(Backend):
    """Runs worker jobs on a RunPod Serverless endpoint."""

    name = "runpod"

    def __init__(
        self,
        settings: Settings,
        api: RunPodApi | None = None,
        *,
        poll_seconds: float = 2.0,
        poll_max_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if api is None:
            if not (settings.runpod_endpoint_id and settings.runpod_api_key):
                raise BackendError("RunPod backend: RUNPOD_ENDPOINT_ID and RUNPOD_API_KEY needed")
            api = RunPodApi(
                settings.runpod_base_url, settings.runpod_endpoint_id, settings.runpod_api_key
            )
        self.api = api
        self._settings = settings
        self._poll = poll_seconds
        self._poll_max = poll_max_seconds
        self._clock = clock
        self._active: dict[str, list[Chunk]] = {}  # job id → its chunks, for cancel()

    async def run(self, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        job_id = str(job["job_id"])
        pending = [int(item["index"]) for item in job["items"]]
        chunks = self._plan(pending, record.load())
        self._active[job_id] = chunks
        record.save({"chunks": [asdict(c) for c in chunks]})
        limit = asyncio.Semaphore(self._settings.runpod_max_parallel)
        submitting = asyncio.Lock()  # FIFO: chunks reach RunPod's queue in request order
        outputs: list[dict[str, Any]] = []
        try:
            async with asyncio.TaskGroup() as group:
                for chunk in chunks:
                    group.create_task(
                        self._drive(job, chunk, chunks, record, limit, submitting, outputs)
                    )
        except BaseExceptionGroup as group_error:
            await self.cancel(job_id)
            raise _first_backend_error(group_error) from group_error
        self._active.pop(job_id, None)
        return merge(pending, outputs, [f for c in chunks for f in c.failed or []])

    def _plan(self, pending: list[int], saved: dict[str, Any] | None) -> list[Chunk]:
        """Saved chunks (minus what was uploaded since), then new chunks for uncovered items."""
        wanted = set(pending)
        chunks = [Chunk(**c) for c in (saved or {}).get("chunks", [])]
        for chunk in chunks:
            chunk.items = [i for i in chunk.items if i in wanted]
            if chunk.failed is not None:
                chunk.failed = [f for f in chunk.failed if f.get("index") in wanted]
        chunks = [c for c in chunks if c.items]
        covered = {i for c in chunks for i in c.items}
        rest = [i for i in pending if i not in covered]
        size = self._settings.runpod_chunk_size
        return chunks + [Chunk(rest[at : at + size]) for at in range(0, len(rest), size)]

    async def _drive(
        self,
        job: dict[str, Any],
        chunk: Chunk,
        chunks: list[Chunk],
        record: RunRecord,
        limit: asyncio.Semaphore,
        submitting: asyncio.Lock,
        outputs: list[dict[str, Any]],
    ) -> None:
        if chunk.failed is not None:
            return
        names = {int(item["index"]): item["id"] for item in job["items"]}
        async with limit:
            while True:
                if not chunk.live:
                    async with submitting:
                        chunk.ids.append(await self._submit(job, chunk, record.deadline_at))
                    chunk.live = True
                    record.save({"chunks": [asdict(c) for c in chunks]})
                    log.info(  # once saved: a restarted service polls it, never resubmits
                        "runpod submitted job_id=%s runpod_id=%s items=%d first=%d",
                        job["job_id"],
                        chunk.ids[-1],
                        len(chunk.items),
                        chunk.items[0],
                    )
                else:
                    log.info("runpod polling job_id=%s runpod_id=%s", job["job_id"], chunk.ids[-1])
                payload = await self._wait(chunk.ids[-1])
                chunk.live = False
                verdict = judge(chunk.ids[-1], payload, may_retry=len(chunk.ids) < ATTEMPTS)
                log.info(
                    "runpod chunk ended job_id=%s runpod_id=%s status=%s attempt=%d",
                    job["job_id"],
                    chunk.ids[-1],
                    payload.get("status") if payload else "404",
                    len(chunk.ids),
                )
                reported: set[int] = set()
                if verdict.output is not None:
                    outputs.append(verdict.output)
                    record.report_failed(_list(verdict, "failed"))
                    reported = {e["index"] for k in ("videos", "failed") for e in _list(verdict, k)}
                left = [i for i in chunk.items if i not in reported]
                if verdict.retry and left:
                    left = [i for i in left if i in record.pending_indexes()]
                if verdict.retry and left:
                    log.warning(
                        "runpod resubmit job_id=%s items=%d reason=%s",
                        job["job_id"],
                        len(left),
                        verdict.reason,
                    )
                    chunk.items = left
                    continue
                error = verdict.reason or "the worker returned no result for this item"
                chunk.failed = [{"index": i, "id": names.get(i), "error": error} for i in left]
                record.save({"chunks": [asdict(c) for c in chunks]})
                return

    async def _submit(self, job: dict[str, Any], chunk: Chunk, deadline_at: float) -> str:
        remaining = deadline_at - self._clock()
        if remaining < MIN_EXECUTION_SECONDS:
            raise BackendError("RunPod: too little time left before the job's deadline to submit")
        wanted = set(chunk.items)
        chunk_job = {**job, "items": [item for item in job["items"] if item["index"] in wanted]}
        policy = {
            "executionTimeout": int(remaining * 1000),
            "ttl": int((remaining + TTL_MARGIN_SECONDS) * 1000),
        }
        return await self.api.run(chunk_job, policy)

    async def _wait(self, runpod_id: str) -> dict[str, Any] | None:
        """Poll until the RunPod job reaches a final status (or is gone): 2 s growing to 5 s."""
        interval = self._poll
        while True:
            await asyncio.sleep(interval)
            payload = await self.api.status(runpod_id)
            if payload is None or payload.get("status") not in ("IN_QUEUE", "IN_PROGRESS"):
                return payload
            interval = min(interval * 1.5, self._poll_max)

    async def cancel(self, job_id: str) -> None:
        """Cancel the job's RunPod jobs that may still run; problems are logged, not raised."""
        chunks = self._active.pop(job_id, [])
        ids = [c.ids[-1] for c in chunks if c.live]
        results = await asyncio.gather(*(self.api.cancel(i) for i in ids), return_exceptions=True)
        for runpod_id, result in zip(ids, results, strict=True):
            if isinstance(result, Exception):
                log.warning("runpod cancel failed runpod_id=%s error=%s", runpod_id, result)
            else:
                log.info("runpod cancelled job_id=%s runpod_id=%s", job_id, runpod_id)

    async def health(self) -> dict[str, Any]:
        """The endpoint's queue and workers, as RunPod reports them."""
        return {"endpoint_id": self._settings.runpod_endpoint_id, **(await self.api.health())}

    async def close(self) -> None:
        await self.api.close()


def merge(
    pending: list[int], outputs: list[dict[str, Any]], failures: list[dict[str, Any]]
) -> dict[str, Any]:
    """One worker output from the chunks' outputs, in item order (each element keeps its index)."""
    wanted = set(pending)
    videos = {v["index"]: v for out in outputs for v in out.get("videos", []) if "index" in v}
    failed = {f["index"]: f for out in outputs for f in out.get("failed", []) if "index" in f}
    failed.update({f["index"]: f for f in failures})
    for index in videos:
        failed.pop(index, None)  # a resubmission succeeded where an earlier attempt failed
    return {
        "videos": [videos[i] for i in sorted(videos) if i in wanted],
        "failed": [failed[i] for i in sorted(failed) if i in wanted],
    }


def _list(verdict: Verdict, key: str) -> list[dict[str, Any]]:
    value = (verdict.output or {}).get(key, [])
    return (
        [e for e in value if isinstance(e, dict) and "index" in e]
        if isinstance(value, list)
        else []
    )


def _first_backend_error(group: BaseExceptionGroup[Any]) -> BaseException:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_backend_error(error)
        if isinstance(error, BackendError):
            return error
    return group.exceptions[0]
