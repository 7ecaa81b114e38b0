"""The operations: one record each, read by the API, the worker and the CLI.

Adding an operation is one contracts module (request, worker job, plan), one worker module, one
record here and its route. Nothing else matches operation names. The worker function is named,
not imported, so the API and light commands never load the renderer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from framecast.config import Settings
from framecast.contracts.audio import AudioCreate, AudioJob, plan_audio
from framecast.contracts.caption import SIDECAR_FILES, CaptionCreate, CaptionJob, plan_caption
from framecast.contracts.compose import COMPOSE_FILES, ComposeCreate, ComposeJob, plan_compose
from framecast.contracts.concatenate import ConcatenateCreate, ConcatenateJob, plan_concatenate
from framecast.contracts.envelope import JobEnvelope
from framecast.contracts.img2vid import Img2VidCreate, Img2VidJob, plan_img2vid
from framecast.contracts.plan import Plan
from framecast.errors import InputError, describe_validation_errors


@dataclass(frozen=True)
class Operation:
    """What the job layer needs to know of one operation."""

    name: str
    route: str  # POST path of the client API
    request: type[JobEnvelope]  # the client's body
    worker_job: type[BaseModel]  # what a backend carries (``operation`` is its discriminator)
    plan: Callable[[Any, Settings], Plan]  # request → items, options, deadline allowance
    worker: str  # "module:function" run by workers: (job, settings, uploader, fetch) → output
    top_level: tuple[str, ...] = ()  # result fields shown on the answer, not on each video
    files: tuple[str, ...] = ()  # files an item may carry beside its video (S3: presigned)

    def worker_function(self) -> Callable[..., dict[str, Any]]:
        """The worker function (imports the renderer: workers only)."""
        module, _, name = self.worker.partition(":")
        function: Callable[..., dict[str, Any]] = getattr(importlib.import_module(module), name)
        return function


IMG2VID = Operation(
    name="img2vid",
    route="/video/img2vid",
    request=Img2VidCreate,
    worker_job=Img2VidJob,
    plan=plan_img2vid,
    worker="framecast.worker.ops.img2vid:run_img2vid",
)
CONCATENATE = Operation(
    name="concatenate",
    route="/video/concatenate",
    request=ConcatenateCreate,
    worker_job=ConcatenateJob,
    plan=plan_concatenate,
    worker="framecast.worker.ops.concatenate:run_concatenate",
    top_level=("mode", "cuts"),
)
AUDIO = Operation(
    name="audio",
    route="/video/audio",
    request=AudioCreate,
    worker_job=AudioJob,
    plan=plan_audio,
    worker="framecast.worker.ops.audio:run_audio",
    top_level=("picture", "loudness", "av_end_diff_ms", "warnings"),
)
CAPTION = Operation(
    name="caption",
    route="/video/caption",
    request=CaptionCreate,
    worker_job=CaptionJob,
    plan=plan_caption,
    worker="framecast.worker.ops.caption:run_caption",
    files=SIDECAR_FILES,
    top_level=("encode_passes", "font", "pages", "words", "audio", "warnings"),
)
COMPOSE = Operation(
    name="compose",
    route="/video/compose",
    request=ComposeCreate,
    worker_job=ComposeJob,
    plan=plan_compose,
    worker="framecast.worker.ops.compose:run_compose",
    files=COMPOSE_FILES,
    top_level=(
        "encode_passes",
        "timeline",
        "loudness",
        "segments",
        "font",
        "pages",
        "words",
        "warnings",
    ),
)
OPERATIONS: dict[str, Operation] = {
    op.name: op for op in (IMG2VID, CONCATENATE, AUDIO, CAPTION, COMPOSE)
}

# The worker job on both sides of the wire: a union discriminated by ``operation``, of the
# records' models (spelled out for type checkers; the assert keeps the two lists one).
AnyWorkerJob = Img2VidJob | ConcatenateJob | AudioJob | CaptionJob | ComposeJob
WorkerJob = Annotated[AnyWorkerJob, Field(discriminator="operation")]
_WORKER_JOB: TypeAdapter[AnyWorkerJob] = TypeAdapter(WorkerJob)
assert set(get_args(get_args(WorkerJob)[0])) == {op.worker_job for op in OPERATIONS.values()}


def parse_worker_job(data: Any) -> AnyWorkerJob:
    """Validate a worker job of any operation; InputError naming the fields if it is invalid."""
    try:
        job: AnyWorkerJob = _WORKER_JOB.validate_python(data)
    except ValidationError as exc:
        # The union puts the operation's name first in each location: the fields are the news.
        errors = [
            {**e, "loc": e["loc"][1:]} if e["loc"] and e["loc"][0] in OPERATIONS else e
            for e in exc.errors()
        ]
        raise InputError(f"invalid job input: {describe_validation_errors(errors)}") from exc
    return job


def operation_of(name: str) -> Operation:
    """The record of operation ``name`` (KeyError for a name no record has)."""
    return OPERATIONS[name]
