"""The backend interface: something that runs a worker job to its end."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol


class RunRecord(Protocol):
    """A job as the service knows it, and where a backend keeps what it needs to resume the
    job after a restart (e.g. remote ids)."""

    @property
    def deadline_at(self) -> float:
        """The job's deadline (epoch seconds): remote work must not outlive it."""
        ...

    @property
    def tenant(self) -> str | None:
        """Whose job it is (None: the single tenant): the local pool shares its workers fairly."""
        ...

    def load(self) -> dict[str, Any] | None: ...

    def save(self, data: dict[str, Any]) -> None: ...

    def pending_indexes(self) -> set[int]:
        """The items not uploaded yet (clips arrive at the API, not through the backend)."""
        ...

    def report_failed(self, failed: list[dict[str, Any]]) -> None:
        """Record item errors (``{"index", "error"}``) as soon as a worker reports them, so
        they are live on the job and survive a restart."""
        ...


class Backend(ABC):
    """Runs worker jobs (DESIGN's wire format) and returns the worker's output."""

    name: str = "backend"

    @abstractmethod
    async def run(self, job: dict[str, Any], record: RunRecord) -> dict[str, Any]:
        """Run ``job`` to its end and return the worker's output; raise BackendError if it can't.

        Being cancelled (asyncio) means the service is stopping: leave remote work running, it is
        resumed from ``record``. Stopping remote work is ``cancel``'s job.
        """

    async def cancel(self, job_id: str) -> None:
        """Stop a job's pending work where the backend can; workers also stop on their own
        once the API tells them the job has ended (see the worker's ``still_wanted``)."""
        return None

    async def close(self) -> None:
        """Release what the backend holds (processes, clients); nothing by default."""
        return None
