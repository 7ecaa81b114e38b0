"""The inline backend: runs each worker job in this process, by awaiting a function you pass.

It renders nothing itself (it never imports the renderer): the function stands for a worker.
Tests pass one that stores results through the job service's intake, as a real worker's upload
would, so the job service runs in-process with no subprocess and nothing patched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from framecast.backends.base import Backend, RunRecord

# ``await worker(job, record)`` → the worker's output: ``{"videos", "failed"}`` or ``{"error"}``.
Worker = Callable[[dict[str, Any], RunRecord], Awaitable[dict[str, Any]]]

CANCELLED = "the job was cancelled while its worker was running"


class InlineBackend(Backend):
    """Awaits ``worker(job, record)`` in the caller's event loop; ``cancel`` stops that call.

    ``JobService(settings, store, InlineBackend(worker), storage, tokens, webhooks)``
    """

    name = "inline"

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._runs: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.cancelled: list[str] = []  # the job ids ``cancel`` was called with, in order

    async def run(self, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        job_id = str(job["job_id"])
        # Its own task, so that ``cancel`` stops the worker and not the caller awaiting it.
        task = asyncio.ensure_future(self._worker(job, record))
        self._runs[job_id] = task
        try:
            return await task  # the caller being cancelled cancels the worker too
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the caller was cancelled (the service is stopping): pass it on
            # ``cancel`` stopped the worker: the job ends with an error, as a real worker's
            # does when the API tells it the job is no longer wanted.
            return {"error": CANCELLED}
        finally:
            if self._runs.get(job_id) is task:
                del self._runs[job_id]

    async def cancel(self, job_id: str) -> None:
        """Stop the job's worker call, if one is running, and wait until it has stopped."""
        self.cancelled.append(job_id)
        task = self._runs.pop(job_id, None)
        if task is not None:
            task.cancel()
            await asyncio.wait({task})

    async def close(self) -> None:
        """Stop every worker call still running: no task outlives the backend."""
        tasks = list(self._runs.values())
        self._runs.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
