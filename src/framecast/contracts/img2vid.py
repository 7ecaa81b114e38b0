"""img2vid: a batch of images, each becoming one Ken Burns clip (request, worker job, plan)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, ConfigDict, Field, model_validator

from framecast.config import Settings
from framecast.contracts.envelope import JobEnvelope
from framecast.contracts.fields import Frozen, MoveName
from framecast.contracts.plan import NewItem, Plan, WorkItem, checked_url, frames_allowance
from framecast.contracts.render import FrameSize, MotionFields, RenderBlock
from framecast.contracts.upload_target import ApiUpload
from framecast.errors import InputError

MOTION_FIELDS = set(MotionFields.model_fields)
DEFAULT_SIZE = (1920, 1080)


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


class Img2VidCreate(MotionFields, FrameSize, JobEnvelope):
    """``POST /video/img2vid``: a batch of images, each becoming one clip.

    The motion options here (motion, zoom, easing, start/end, fit, background) are defaults
    for every image; output size and frame rate are for the whole batch.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    images: list[ImageCreate]
    fps: float = Field(24.0, ge=1, le=60, description="Frames per second.")
    motions: list[MoveName] | None = Field(
        None, min_length=1, description="What motion random picks from (default: all but static)."
    )
    seed: int = Field(
        0, ge=0, le=2**63 - 1, description="random's picks: the same seed, the same clips."
    )

    def render_block(self) -> dict[str, Any]:
        """The worker job's options: the output and the per-image defaults set."""
        width, height = self.output_size(DEFAULT_SIZE) or DEFAULT_SIZE
        defaults = self.model_dump(include=MOTION_FIELDS, exclude_none=True)
        extra = {"motions": self.motions} if self.motions is not None else {}
        seed = {"seed": self.seed} if self.seed else {}
        return {"width": width, "height": height, "fps": self.fps, **defaults, **extra, **seed}


class ImageItem(MotionFields, WorkItem):
    """One clip to make: its position in the job, the client's id, its source."""

    image_url: str = Field(min_length=1)
    duration: float = Field(gt=0)


class Img2VidJob(Frozen):
    """The worker job of img2vid (``render`` is the name an older API sent ``options`` by)."""

    operation: Literal["img2vid"]
    job_id: str = Field(min_length=1, max_length=128)
    items: list[ImageItem] = Field(min_length=1)
    options: RenderBlock = Field(
        default_factory=RenderBlock, validation_alias=AliasChoices("options", "render")
    )
    upload: ApiUpload | None = None


def plan_img2vid(body: Img2VidCreate, settings: Settings) -> Plan:
    """The request's images as job items, after the rules that span fields and the limits
    that depend on settings."""
    if not body.images:
        raise InputError("images: at least one image is required")
    if len(body.images) > settings.max_images:
        raise InputError(
            f"images: at most {settings.max_images} images per request (MAX_IMAGES);"
            f" got {len(body.images)}"
        )
    options = body.render_block()
    block = RenderBlock.model_validate(options)
    seen: dict[str, int] = {}
    items = []
    for i, image in enumerate(body.images):
        if image.id in seen:
            raise InputError(f"images[{i}].id: {image.id!r} repeats images[{seen[image.id]}].id")
        seen[image.id] = i
        if not 0 < image.duracao <= settings.max_duration_seconds:
            raise InputError(
                f"images[{i}].duracao: must be above 0 and at most"
                f" {settings.max_duration_seconds:g} seconds; got {image.duracao:g}"
            )
        url = checked_url(image.image_url, f"images[{i}].image_url")
        block.motion_for(image, i)  # raises naming images[i].<field> (or the request's field)
        own = image.model_dump(include=MOTION_FIELDS, exclude_none=True)
        items.append(NewItem(image.id, {"image_url": url, "duration": image.duracao, **own}))
    frames = sum(image.duracao for image in body.images) * block.fps
    return Plan(items, options, frames_allowance(frames, block.width, block.height))
