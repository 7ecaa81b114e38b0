"""Request and response shapes of the client API (``…Create`` in, ``…Public`` out)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from framecast.jobs.model import ItemStatus, Job, JobStatus
from framecast.worker.schema import ASPECTS, MAX_SIDE, AspectName, MotionFields, MoveName

MOTION_FIELDS = set(MotionFields.model_fields)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ImageCreate(MotionFields):
    """One image of an img2vid request; its motion options override the request's."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str = Field(min_length=1, max_length=256, description="Your id; echoed back.")
    image_url: str = Field(min_length=1, max_length=8192, description="http(s) URL of the image.")
    duracao: float = Field(
        validation_alias=AliasChoices("duracao", "duration"),
        description="Clip duration in seconds (`duration` is accepted too).",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_duration(cls, data: Any) -> Any:
        if isinstance(data, dict) and "duracao" in data and "duration" in data:
            raise ValueError("give duracao or duration, not both")
        return data


class Img2VidCreate(MotionFields):
    """``POST /video/img2vid``: a batch of images, each becoming one clip.

    The motion options here (motion, zoom, easing, start/end, fit, background) are defaults
    for every image; output size and frame rate are for the whole batch.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    images: list[ImageCreate]
    width: int | None = Field(
        None, ge=16, le=MAX_SIDE, multiple_of=2, description="Output width (even; default 1920)."
    )
    height: int | None = Field(
        None, ge=16, le=MAX_SIDE, multiple_of=2, description="Output height (even; default 1080)."
    )
    aspect: AspectName | None = Field(
        None,
        description="Instead of width/height: "
        + ", ".join(f"{name} ({w}x{h})" for name, (w, h) in ASPECTS.items()),
    )
    fps: float = Field(24.0, ge=1, le=60, description="Frames per second.")
    motions: list[MoveName] | None = Field(
        None, min_length=1, description="What motion random picks from (default: all but static)."
    )
    seed: int = Field(
        0, ge=0, le=2**63 - 1, description="random's picks: the same seed, the same clips."
    )
    webhook_url: str | None = Field(
        None, max_length=2048, description="POSTed the final job, signed; makes the call async."
    )
    metadata: dict[str, Any] | None = Field(
        None, description="Any JSON object (≤ 16 KB), echoed back on the job and its webhook."
    )
    path: str | None = Field(
        None,
        max_length=512,
        description="STORAGE=s3 only: a folder for this job's clips, "
        "{S3_PREFIX}{path}/{job_id}/{index}-{id}.mp4 (spaces and accents welcome).",
    )

    def output_size(self) -> tuple[int, int]:
        """Width and height: from ``aspect``, else ``width``/``height`` (default 1920x1080)."""
        if self.aspect is not None:
            return ASPECTS[self.aspect]
        return (self.width or 1920, self.height or 1080)

    def render_block(self) -> dict[str, Any]:
        """The worker job's ``render`` block: the output and the per-image defaults set."""
        width, height = self.output_size()
        defaults = self.model_dump(include=MOTION_FIELDS, exclude_none=True)
        extra = {"motions": self.motions} if self.motions is not None else {}
        seed = {"seed": self.seed} if self.seed else {}
        return {"width": width, "height": height, "fps": self.fps, **defaults, **extra, **seed}


class Base64UploadCreate(_Body):
    """``POST /upload/video`` (the original contract)."""

    id: str = Field(min_length=1, max_length=256)
    video_base64: str = Field(min_length=1)


class VideoPublic(BaseModel):
    id: str
    video_url: str


class FailedPublic(BaseModel):
    id: str
    error: str


class ExecutionPublic(BaseModel):
    startTime: str
    endTime: str | None
    durationSeconds: float | None


class ProgressPublic(BaseModel):
    done: int
    failed: int
    total: int


class JobAccepted(BaseModel):
    code: int = 202
    job_id: str
    status: str
    status_url: str
    message: str


class Img2VidPublic(BaseModel):
    code: int
    message: str
    job_id: str
    status: str
    videos: list[VideoPublic]
    failed: list[FailedPublic]
    execution: ExecutionPublic


class WebhookAttemptPublic(BaseModel):
    attempt: int
    at: str
    status_code: int | None
    error: str | None


class WebhookPublic(BaseModel):
    url: str
    state: str
    attempts: list[WebhookAttemptPublic]
    next_attempt_at: str | None
    delivered_at: str | None
    last_error: str | None


class JobPublic(Img2VidPublic):
    """A job: the synchronous response's fields, plus its life and webhook."""

    operation: str
    progress: ProgressPublic
    created_at: str
    started_at: str | None
    ended_at: str | None
    deadline_at: str
    expired: bool
    error: str | None
    metadata: dict[str, Any] | None
    webhook: WebhookPublic | None


class JobPage(BaseModel):
    jobs: list[JobPublic]
    next_cursor: str | None


class UploadPublic(BaseModel):
    id: str
    video_url: str
    bytes: int
    sha256: str


def iso(ts: float | None) -> str | None:
    return (
        None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    )


def result_of(job: Job) -> Img2VidPublic:
    """The synchronous response body; ``code`` and ``message`` say how many items failed."""
    videos = [
        VideoPublic(id=i.client_id, video_url=i.video_url or "")
        for i in job.items
        if i.status is ItemStatus.DONE
    ]
    failed = [
        FailedPublic(id=i.client_id, error=i.error or "")
        for i in job.items
        if i.status is ItemStatus.FAILED
    ]
    total = len(job.items)
    if not job.status.is_final:
        code, message = 202, f"{len(videos)} of {total} videos done so far"
    elif not failed:
        code, message = 200, f"{total} video{'s' if total != 1 else ''} rendered"
    elif videos:
        code, message = 207, f"{len(videos)} of {total} videos rendered; {len(failed)} failed"
    elif job.status is JobStatus.CANCELLED:
        code, message = 422, f"the job was cancelled before any of its {total} videos was done"
    else:
        code, message = 422, f"all {total} videos failed" + (f": {job.error}" if job.error else "")
    end = job.ended_at
    return Img2VidPublic(
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


def job_public(job: Job, webhook_attempts: list[dict[str, Any]] | None = None) -> JobPublic:
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
