"""Durations a worker measures (each download, each render), kept for the API's histograms.

The local pool's workers are processes of their own, so the API cannot time them. Each job's
measurements travel back beside the worker's output, never inside it (that output is the worker
contract, the same under every backend): the pool task returns ``(output, report)`` and
:mod:`framecast.backends.local` hands the report to :mod:`framecast.metrics`. One recorder per
process: a RunPod worker runs one job at a time and ``handle()`` empties it as each job starts,
so it holds one job's worth at most (nobody collects its reports); a local pool process runs
several units at once and empties it after each, so a report may hold another unit's durations
but none is lost.

What a render is: for img2vid, ``render_clip`` (the warp and the encode, timed by the operation);
for the one-result operations, from ``fetch_inputs`` having every input to the result being
handed to the uploader (:class:`TimedUploader`), so downloads and the upload are not counted.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from framecast.contracts.plan import WorkItem
from framecast.worker.upload import Uploader


class WorkerTimings:
    """Durations measured in this worker process since its current job started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fetches: list[tuple[str, float]] = []
        self._renders: list[tuple[str, float]] = []
        self._inputs = threading.local()  # when this thread's inputs were all fetched

    def fetched(self, kind: str, seconds: float) -> None:
        """One download of ``kind`` took ``seconds`` (its retries included)."""
        with self._lock:
            self._fetches.append((kind, seconds))

    def rendered(self, operation: str, seconds: float) -> None:
        """One result of ``operation`` took ``seconds`` to make, downloads and upload apart."""
        with self._lock:
            self._renders.append((operation, seconds))

    def inputs_fetched(self) -> None:
        """Every input of this thread's result is here: its render starts now."""
        self._inputs.at = time.monotonic()

    def result_made(self, operation: str) -> None:
        """This thread's result goes to the uploader: its render, if timed, ends now."""
        started = getattr(self._inputs, "at", None)
        if started is not None:
            self._inputs.at = None
            self.rendered(operation, time.monotonic() - started)

    def drain(self) -> dict[str, list[tuple[str, float]]]:
        """Everything measured since the last drain, which is forgotten."""
        with self._lock:
            report = {"fetch": self._fetches, "render": self._renders}
            self._fetches, self._renders = [], []
        self._inputs.at = None
        return report


RECORDER = WorkerTimings()


class TimedUploader:
    """An uploader that marks the end of each result's render as the result reaches it."""

    def __init__(self, uploader: Uploader, operation: str) -> None:
        self._uploader = uploader
        self._operation = operation

    def upload(self, item: WorkItem, clip: Path, *args: Any, **kwargs: Any) -> dict[str, Any]:
        RECORDER.result_made(self._operation)
        return self._uploader.upload(item, clip, *args, **kwargs)

    def still_wanted(self, wait: bool = True) -> bool:
        return self._uploader.still_wanted(wait)

    def progress(self, done: int, total: int) -> None:
        self._uploader.progress(done, total)
