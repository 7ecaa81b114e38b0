"""The local backend: a pool of worker processes on this machine running the worker's handle()."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from framecast.backends.base import Backend, RunRecord
from framecast.config import Settings
from framecast.errors import BackendError

log = logging.getLogger("framecast.backends")


PARENT_CHECK_SECONDS = 2.0


def _start_pool_worker(settings: Settings) -> None:
    """In each pool process: the worker's warm-up, and an exit if the service is gone (a
    SIGKILLed service must not leave idle workers behind)."""
    # Imported here, in the worker process: the API itself never loads the renderer.
    from framecast.worker.handler import warm_up

    warm_up(settings)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _run_job(job: dict[str, Any], settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """In a pool process: the worker's ``handle``, as under every backend, and beside its output
    what the worker measured (:mod:`framecast.worker.timings`)."""
    from framecast.worker.handler import handle, worker_report

    return handle(job, settings), worker_report(settings)


class LocalBackend(Backend):
    """Worker processes (spawned, so they share nothing with the API's event loop)."""

    name = "local"

    def __init__(
        self, settings: Settings, on_report: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        """``on_report`` receives each job's worker measurements (the API's metrics)."""
        self._settings = settings
        self._on_report = on_report
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._settings.local_workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_pool_worker,
            initargs=(self._settings,),
        )

    async def run(self, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        pool = self._pool
        try:
            output, report = await loop.run_in_executor(pool, _run_job, job, self._settings)
        except BrokenProcessPool as exc:
            log.error("local worker died job_id=%s", job.get("job_id"))
            if self._pool is pool:  # the first job to notice replaces it, once
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            raise BackendError("a local worker process died while rendering this job") from exc
        if self._on_report is not None:
            self._on_report(report)
        return output

    async def close(self) -> None:
        # Running renders are not waited for: unfinished jobs are resumed at the next start.
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
