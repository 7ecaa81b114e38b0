"""The local backend: a pool of worker processes on this machine running the worker's handle().

Jobs are split into units and scheduled fairly (:mod:`framecast.backends.local_scheduler`); the
processes and their pipes are :mod:`framecast.backends.local_pool`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from framecast.backends.base import Backend, RunRecord
from framecast.backends.local_pool import Message, PoolCode, PoolProcess, run_job, warm_up_worker
from framecast.backends.local_scheduler import Run, Scheduler
from framecast.backends.runpod import merge
from framecast.config import Settings

log = logging.getLogger("framecast.backends")

STOP_SECONDS = 5.0  # how long close() waits for a process to end on SIGTERM before SIGKILL


class LocalBackend(Backend):
    """Worker processes (spawned, so they share nothing with the API's event loop)."""

    name = "local"

    def __init__(
        self,
        settings: Settings,
        on_report: Callable[[dict[str, Any]], None] | None = None,
        *,
        work: Callable[..., tuple[dict[str, Any], dict[str, Any]]] = run_job,
        start: Callable[[Settings], None] = warm_up_worker,
    ) -> None:
        """``on_report`` receives each unit's worker measurements (the API's metrics);
        ``work`` and ``start`` are what the processes run (module-level functions)."""
        self._settings = settings
        self._on_report = on_report
        self._code = PoolCode(start, work)
        # Started with the first unit sent to them, and again after one dies.
        self._processes: list[PoolProcess | None] = [None] * settings.local_workers
        self._scheduler = Scheduler(settings.local_workers, settings.render_batch_size, self._send)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    async def run(self, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        self._loop = asyncio.get_running_loop()
        run = self._scheduler.start(job, record)
        try:
            await asyncio.shield(run.ended)
        except asyncio.CancelledError:
            self._scheduler.stop(run.lane[1])  # a deadline or the service stopping
            raise
        return _output(job, run)

    async def cancel(self, job_id: str) -> None:
        self._scheduler.stop(job_id)

    async def close(self) -> None:
        # Running units are not waited for: unfinished jobs are resumed at the next start.
        self._closed = True
        processes = [p for p in self._processes if p is not None]
        for process in processes:
            process.stop()
        for process in processes:
            await asyncio.to_thread(process.process.join, STOP_SECONDS)
            if process.process.is_alive():
                process.process.kill()

    def _send(self, number: int, message: Message) -> None:
        process = self._processes[number]
        if process is None:
            process = self._processes[number] = PoolProcess(
                self._settings, self._code, self._deliver
            )
            log.info("local worker started pid=%s", process.pid)
        process.send(message)

    def _deliver(self, process: PoolProcess, message: Message) -> None:
        """From a pipe's reader thread: handled on the event loop."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing listens
                self._loop.call_soon_threadsafe(self._received, process, message)

    def _received(self, process: PoolProcess, message: Message) -> None:
        if self._closed or process not in self._processes:
            return  # a stopped process's last words
        number = self._processes.index(process)
        kind = message[0]
        if kind == "ready":
            self._scheduler.ready(number, *message[1:])
        elif kind == "released":
            self._scheduler.released(number, message[1])
        elif kind == "result":
            _, unit_id, output, report = message
            if self._on_report is not None:
                self._on_report(report)
            self._scheduler.finished(number, unit_id, output)
        elif kind == "exit":
            self._processes[number] = None
            self._scheduler.died(number, process.pid, message[1])


def _output(job: dict[str, Any], run: Run) -> dict[str, Any]:
    """The job's worker output from its units'; a job every unit refused is that refusal."""
    if run.errors and not run.outputs:
        return {"error": run.errors[0]}
    pending = [int(item["index"]) for item in job["items"]]
    return merge(pending, run.outputs, run.failures)
