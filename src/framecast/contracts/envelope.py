"""The job envelope every operation shares: the request fields around the work, and the shapes
of the answers (the synchronous result, a job, a 202, an upload)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from framecast.contracts.fields import Strict


class JobEnvelope(Strict):
    """Fields every operation's request accepts, beside its own."""

    webhook_url: str | None = Field(
        None, max_length=2048, description="POSTed the final job, signed; makes the call async."
    )
    metadata: dict[str, Any] | None = Field(
        None, description="Any JSON object (≤ 16 KB), echoed back on the job and its webhook."
    )
    path: str | None = Field(
        None,
        max_length=512,
        description="STORAGE=s3 only: a folder for this job's results, "
        "{S3_PREFIX}{path}/{job_id}/{index}-{id}.mp4 (spaces and accents welcome).",
    )


class ErrorPublic(BaseModel):
    """Every error answer's body."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "invalid_request",
                    "message": "images[0].image_url: Field required",
                }
            ]
        }
    )

    error: str = Field(description="A stable code: invalid_request, unauthorized, not_found, …")
    message: str = Field(description="What went wrong, naming the field and the limit.")


class VideoPublic(BaseModel):
    """A finished video; operations add fields of their own (duration, width, …), and a video
    with files beside it (subtitles, word timings) has ``files``: their URLs by name."""

    model_config = ConfigDict(extra="allow")

    id: str
    video_url: str


class FailedPublic(BaseModel):
    id: str
    error: str


class ExecutionPublic(BaseModel):
    startTime: str
    endTime: str | None
    durationSeconds: float | None


class CountPublic(BaseModel):
    done: int
    total: int


class ProgressPublic(BaseModel):
    """Items done and failed of the job's total; a compose also counts its scenes rendered
    (``scenes``, while it runs)."""

    done: int
    failed: int
    total: int
    scenes: CountPublic | None = None


class JobAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": 202,
                    "job_id": "5f0c2a9e4b1d4c7e9a3f6b8d2e1c0a97",
                    "status": "running",
                    "status_url": "/jobs/5f0c2a9e4b1d4c7e9a3f6b8d2e1c0a97",
                    "message": "the job goes on; poll status_url for its progress and result",
                }
            ]
        }
    )

    code: int = 202
    job_id: str
    status: str
    status_url: str
    message: str


class JobResult(BaseModel):
    """The synchronous answer of every operation; operations add fields (``mode``, ``cuts``)."""

    model_config = ConfigDict(extra="allow")

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


class JobPublic(JobResult):
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "img-001",
                    "video_url": "/output/5f0c2a9e4b1d4c7e9a3f6b8d2e1c0a97/0000-img-001.mp4",
                    "bytes": 1843200,
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                }
            ]
        }
    )

    id: str
    video_url: str
    bytes: int
    sha256: str
    files: dict[str, str] | None = None  # the item's files' URLs by name, when it has some


class FileUploadPublic(BaseModel):
    """One of a result's files, stored (``PUT /upload/{job_id}/{item}/files/{name}``)."""

    name: str
    url: str
    bytes: int
    sha256: str


class Base64UploadCreate(Strict):
    """``POST /upload/video`` (the original contract)."""

    # A video's first bytes (an MP4's ftyp box), as a real body would start.
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "img-001", "video_base64": "AAAAIGZ0eXBpc29t"}]}
    )

    id: str = Field(min_length=1, max_length=256)
    video_base64: str = Field(min_length=1)
