"""img2vid: a batch of images, each becoming one Ken Burns clip (request, worker job, plan)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from framecast.config import Settings
from framecast.contracts.envelope import JobEnvelope
from framecast.contracts.fields import Frozen, MoveName
from framecast.contracts.plan import NewItem, Plan, WorkItem, checked_url, frames_allowance
from framecast.contracts.render import FrameSize, MotionFields, RenderBlock
from framecast.contracts.upload_target import ApiUpload
from framecast.errors import InputError

MOTION_FIELDS = set(MotionFields.model_fields)
DEFAULT_SIZE = (1920, 1080)


def one_duration(data: Any) -> Any:
    """Refuses a body that names its duration twice (the two names are one field)."""
    if isinstance(data, dict) and "duracao" in data and "duration" in data:
        raise PydanticCustomError("one_duration", "give duracao or duration, not both")
    return data


class ImageCreate(MotionFields):
    """One image of an img2vid request; its motion options override the request's."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str = Field(min_length=1, max_length=256, description="Your id; echoed back.")
    image_url: str = Field(min_length=1, max_length=8192, description="http(s) URL of the image.")
    duracao: float | None = Field(
        None,
        validation_alias=AliasChoices("duracao", "duration"),
        description="Clip duration in seconds (`duration` is accepted too); default: the"
        " request's.",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_duration(cls, data: Any) -> Any:
        return one_duration(data)


class Img2VidCreate(MotionFields, FrameSize, JobEnvelope):
    """``POST /video/img2vid``: a batch of images, each becoming one clip.

    ``duracao`` and the motion options here (motion, zoom, easing, start/end, fit, background)
    are defaults for every image; output size and frame rate are for the whole batch.
    """

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "aspect": "9:16",
                    "fit": "blur",
                    "motion": "random",
                    "seed": 7,
                    "images": [
                        {"id": "img-001", "image_url": "https://example.com/a.jpg", "duracao": 4},
                        {
                            "id": "img-002",
                            "image_url": "https://example.com/b.jpg",
                            "duracao": 4,
                            "motion": "pan_up",
                            "zoom": 1.4,
                        },
                    ],
                }
            ]
        },
    )

    # The size is checked by plan_img2vid (its message names the limit); the document says it.
    images: list[ImageCreate] = Field(
        json_schema_extra={"minItems": 1},
        description="One clip each, in this order; at most MAX_IMAGES (default 500).",
    )
    duracao: float | None = Field(
        None,
        validation_alias=AliasChoices("duracao", "duration"),
        description="Duration in seconds of every image that gives none (`duration` too).",
    )
    fps: float = Field(24.0, ge=1, le=60, description="Frames per second.")
    motions: list[MoveName] | None = Field(
        None, min_length=1, description="What motion random picks from (default: all but static)."
    )
    seed: int = Field(
        0, ge=0, le=2**63 - 1, description="random's picks: the same seed, the same clips."
    )

    @model_validator(mode="before")
    @classmethod
    def _one_duration(cls, data: Any) -> Any:
        return one_duration(data)

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
    if body.duracao is not None:
        _checked_duration(body.duracao, "duracao", settings)
    options = body.render_block()
    block = RenderBlock.model_validate(options)
    seen: dict[str, int] = {}
    items = []
    for i, image in enumerate(body.images):
        if image.id in seen:
            raise InputError(f"images[{i}].id: {image.id!r} repeats images[{seen[image.id]}].id")
        seen[image.id] = i
        if image.duracao is not None:
            duration = _checked_duration(image.duracao, f"images[{i}].duracao", settings)
        elif body.duracao is not None:
            duration = body.duracao
        else:
            raise InputError(
                f"images[{i}].duracao: give duracao or duration (seconds), on the image or on"
                " the request"
            )
        url = checked_url(image.image_url, f"images[{i}].image_url")
        block.motion_for(image, i)  # raises naming images[i].<field> (or the request's field)
        own = image.model_dump(include=MOTION_FIELDS, exclude_none=True)
        items.append(NewItem(image.id, {"image_url": url, "duration": duration, **own}))
    frames = sum(item.source["duration"] for item in items) * block.fps
    return Plan(items, options, frames_allowance(frames, block.width, block.height))


def _checked_duration(duration: float, field: str, settings: Settings) -> float:
    if not 0 < duration <= settings.max_duration_seconds:
        raise InputError(
            f"{field}: must be above 0 and at most {settings.max_duration_seconds:g} seconds;"
            f" got {duration:g}"
        )
    return duration
