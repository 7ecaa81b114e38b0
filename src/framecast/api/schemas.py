"""Jobs as the client API shows them: the synchronous result, a job, a webhook's body.

The shapes themselves are contracts (:mod:`framecast.contracts.envelope`); this module fills
them from stored jobs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from framecast.contracts.envelope import (
    CountPublic,
    ExecutionPublic,
    FailedPublic,
    JobPublic,
    JobResult,
    ProgressPublic,
    VideoPublic,
    WebhookAttemptPublic,
    WebhookPublic,
)
from framecast.jobs.model import ItemStatus, Job, JobStatus
from framecast.operations import OPERATIONS


def iso(ts: float | None) -> str | None:
    return (
        None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    )


# A worker's result never renames a video nor points its files elsewhere.
RESERVED = frozenset(VideoPublic.model_fields) | {"files"}


def result_of(job: Job) -> JobResult:
    """The synchronous response body; ``code`` and ``message`` say how many items failed.

    An item's result fields go on its video, except the operation's top-level ones (such as
    concatenate's ``mode`` and ``cuts``), which go on the answer itself. A video with files
    (sidecars) lists their URLs by name in ``files``.
    """
    operation = OPERATIONS.get(job.operation)
    top_level = operation.top_level if operation else ()
    videos, extra = [], {}  # type: list[VideoPublic], dict[str, Any]
    for i in job.items:
        if i.status is not ItemStatus.DONE:
            continue
        result = i.result or {}
        own = {k: v for k, v in result.items() if k not in top_level and k not in RESERVED}
        if i.files:
            own["files"] = {name: file.url for name, file in i.files.items()}
        extra.update({k: v for k, v in result.items() if k in top_level})
        videos.append(VideoPublic(id=i.client_id, video_url=i.video_url or "", **own))
    failed = [
        FailedPublic(id=i.client_id, error=i.error or "")
        for i in job.items
        if i.status is ItemStatus.FAILED
    ]
    total = len(job.items)
    noun = "video" if total == 1 else "videos"  # "1 of 1 video", "0 of 2 videos"
    if not job.status.is_final:
        code, message = 202, f"{len(videos)} of {total} {noun} done so far"
    elif not failed:
        code, message = 200, f"{total} video{'s' if total != 1 else ''} rendered"
    elif videos:
        code, message = 207, f"{len(videos)} of {total} videos rendered; {len(failed)} failed"
    elif job.status is JobStatus.CANCELLED:
        whose = "its video" if total == 1 else f"any of its {total} videos"
        code, message = 422, f"the job was cancelled before {whose} was done"
    else:
        failed_all = "the video failed" if total == 1 else f"all {total} videos failed"
        code, message = 422, failed_all + (f": {job.error}" if job.error else "")
    end = job.ended_at
    return JobResult(
        **extra,
        code=code,
        message=message,
        job_id=job.id,
        status=job.status.value,
        videos=videos,
        failed=failed,
        execution=ExecutionPublic(
            startTime=iso(job.created_at) or "",
            endTime=iso(end),
            durationSeconds=None if end is None else round(end - job.created_at, 3),
        ),
    )


def job_public(
    job: Job,
    webhook_attempts: list[dict[str, Any]] | None = None,
    scenes: tuple[int, int] | None = None,
) -> JobPublic:
    result = result_of(job)
    hook = job.webhook
    return JobPublic(
        **result.model_dump(exclude={"videos", "failed", "execution"}),
        videos=result.videos,
        failed=result.failed,
        execution=result.execution,
        operation=job.operation,
        progress=ProgressPublic(
            done=job.count(ItemStatus.DONE),
            failed=job.count(ItemStatus.FAILED),
            total=len(job.items),
            scenes=None if scenes is None else CountPublic(done=scenes[0], total=scenes[1]),
        ),
        created_at=iso(job.created_at) or "",
        started_at=iso(job.started_at),
        ended_at=iso(job.ended_at),
        deadline_at=iso(job.deadline_at) or "",
        expired=job.expired,
        error=job.error,
        metadata=job.metadata,
        webhook=None
        if hook is None
        else WebhookPublic(
            url=hook.url,
            state=hook.state.value,
            attempts=[
                WebhookAttemptPublic(**{**a, "at": iso(a["at"])}) for a in webhook_attempts or []
            ],
            next_attempt_at=iso(hook.next_at) if hook.state.value == "pending" else None,
            delivered_at=iso(hook.delivered_at),
            last_error=hook.last_error,
        ),
    )


def webhook_body(job: Job, webhook_attempts: list[dict[str, Any]]) -> dict[str, Any]:
    """What a webhook POSTs: the job as GET /jobs/{id} shows it, and the event name."""
    return {"event": f"job.{job.status.value}", **job_public(job, webhook_attempts).model_dump()}
