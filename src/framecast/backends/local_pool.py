"""The local pool's processes: each one spawned with a pipe to the service, running several units
of work at once (one thread each) and asking the service for each render slot.

What a process says reaches the service through ``deliver`` (called from a reader thread), and
so does its end, as ``("exit", exitcode)``, once the pipe is closed: a process killed with
SIGKILL is noticed at once, and the service knows exactly which units it was running.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from framecast.config import Settings
from framecast.worker.render_slots import PoolSlots, install

log = logging.getLogger("framecast.backends")

Message = tuple[Any, ...]


def warm_up_worker(settings: Settings) -> None:
    """The worker's warm-up (encoder probe, compiled kernels, stale work folders removed)."""
    # Imported here, in the pool process: the API itself never loads the renderer.
    from framecast.worker.handler import warm_up

    warm_up(settings)


def run_job(job: dict[str, Any], settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """The worker's ``handle``, as under every backend, and what the worker measured."""
    from framecast.worker.handler import handle, worker_report

    return handle(job, settings, alone=False), worker_report(settings)


@dataclass(frozen=True)
class PoolCode:
    """What a pool process runs (module-level functions: they are pickled by name)."""

    start: Callable[[Settings], None] = warm_up_worker
    work: Callable[[dict[str, Any], Settings], tuple[dict[str, Any], dict[str, Any]]] = run_job


class PoolProcess:
    """One spawned worker process and its pipe; ``send`` never blocks the caller."""

    def __init__(
        self,
        settings: Settings,
        code: PoolCode,
        deliver: Callable[[PoolProcess, Message], None],
    ) -> None:
        context = multiprocessing.get_context("spawn")  # shares nothing with the event loop
        self._pipe, theirs = context.Pipe()
        self.process = context.Process(
            target=serve, args=(theirs, settings, code), name="framecast-worker", daemon=True
        )
        self.process.start()
        theirs.close()  # so that the process's end closing is seen here as the end of the pipe
        self._deliver = deliver
        self._outbox: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
        threading.Thread(target=self._read, name="pool-read", daemon=True).start()
        threading.Thread(target=self._write, name="pool-write", daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def send(self, message: Message) -> None:
        self._outbox.put(message)

    def stop(self) -> None:
        """SIGTERM; its end is still delivered, as ``exit``."""
        self._outbox.put(None)
        self.process.terminate()

    def _write(self) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                self._pipe.send(message)
            except OSError:
                return  # the process is gone: the reader reports it

    def _read(self) -> None:
        while True:
            try:
                message = self._pipe.recv()
            except (EOFError, OSError):
                break
            self._deliver(self, message)
        self.process.join()
        self._outbox.put(None)
        self._deliver(self, ("exit", self.process.exitcode))


def serve(pipe: Connection, settings: Settings, code: PoolCode) -> None:
    """A pool process's life: warm up, then run each unit it is sent in a thread of its own."""
    code.start(settings)
    sending = threading.Lock()

    def send(message: Message) -> None:
        with sending:
            pipe.send(message)

    slots = PoolSlots(send)
    install(slots)

    def run(unit_id: int, job: dict[str, Any]) -> None:
        try:
            output, report = code.work(job, settings)
        except Exception as exc:  # a bug costs this unit's items, never the process
            log.exception("unit crashed job_id=%s", job.get("job_id"))
            output = {"error": f"internal error while running this job ({type(exc).__name__})"}
            report = {}
        send(("result", unit_id, output, report))

    while True:
        try:
            message = pipe.recv()
        except (EOFError, OSError):
            # The service is gone (even SIGKILLed): so is its pool. Work folders left behind are
            # removed by the next worker to start (framecast.worker.scratch).
            os._exit(0)
        if message[0] == "unit":
            threading.Thread(target=run, args=message[1:], name="unit", daemon=True).start()
        elif message[0] == "go":
            slots.granted(message[1])
