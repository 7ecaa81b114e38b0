"""The worker job's input schema (DESIGN's wire format; RunPod's ``input``).

Motion options may be set on the job's ``render`` block (defaults for every item) and on each
item (overrides). :meth:`RenderBlock.motion_for` is the one place that merges them and checks
the rules that span fields; the API calls it too, so what the API accepts, a worker renders.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from framecast.errors import InputError
from framecast.render.compose import FITS
from framecast.render.motion import (
    EASINGS,
    MOTIONS,
    MOVES,
    PANS,
    RANDOM_MOVES,
    Motion,
    Rect,
    choose_move,
)

MAX_PIXELS = 3840 * 2160  # the largest frame: 4K UHD, either way up
MAX_SIDE = 3840
ASPECTS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350)}
DEFAULT_MOVE, DEFAULT_ZOOM, DEFAULT_EASING, DEFAULT_FIT = "zoom_in", 1.25, "linear", "cover"
DEFAULT_BACKGROUND = "#000000"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _one_of(allowed: Sequence[str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError(
                "one_of",
                "must be one of {allowed}; got {got}",
                {"allowed": ", ".join(allowed), "got": json.dumps(value)},
            )
        return value

    return check


def _enum(allowed: Sequence[str]) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(allowed)})


def _colour(value: str) -> str:
    if not _COLOUR.fullmatch(value):
        raise PydanticCustomError(
            "colour", 'must be a colour "#RRGGBB"; got {got}', {"got": json.dumps(value)}
        )
    return value.lower()


MotionName = Annotated[str, AfterValidator(_one_of(MOTIONS)), _enum(MOTIONS)]
MoveName = Annotated[str, AfterValidator(_one_of(MOVES)), _enum(MOVES)]
EasingName = Annotated[str, AfterValidator(_one_of(tuple(EASINGS))), _enum(tuple(EASINGS))]
FitName = Annotated[str, AfterValidator(_one_of(FITS)), _enum(FITS)]
AspectName = Annotated[str, AfterValidator(_one_of(tuple(ASPECTS))), _enum(tuple(ASPECTS))]
Colour = Annotated[
    str, AfterValidator(_colour), WithJsonSchema({"type": "string", "pattern": _COLOUR.pattern})
]


class _Strict(BaseModel):
    # NaN and infinities are refused as what they are ("a finite number"), not by a bound.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Region(_Strict):
    """A rectangle in fractions of the image: top-left corner ``x``, ``y``; size ``w`` × ``h``."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    w: float = Field(gt=0, le=1)
    h: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _inside(self) -> Region:
        for corner, size, axis in ((self.x, self.w, "x + w"), (self.y, self.h, "y + h")):
            if corner + size > 1 + 1e-6:
                raise PydanticCustomError(
                    "inside",
                    "{axis} must be at most 1 (inside the image); got {got}",
                    {"axis": axis, "got": f"{corner + size:g}"},
                )
        return self

    def rect(self) -> Rect:
        return Rect(self.x, self.y, min(self.w, 1 - self.x), min(self.h, 1 - self.y))


class MotionFields(_Strict):
    """The camera and fit options: per job (defaults for every clip) and per clip (overrides)."""

    motion: MotionName | None = Field(
        None, description=f"One of {', '.join(MOTIONS)} (default {DEFAULT_MOVE})."
    )
    zoom: float | None = Field(
        None,
        ge=1.0,
        le=4.0,
        description=f"Magnification of the close end of a zoom, and of a pan (default "
        f"{DEFAULT_ZOOM}); pans need more than 1.0.",
    )
    easing: EasingName | None = Field(
        None, description=f"linear or ease_in_out (default {DEFAULT_EASING})."
    )
    start: Region | None = Field(
        None, description="First framing {x, y, w, h} in fractions of the image (with end)."
    )
    end: Region | None = Field(
        None, description="Last framing {x, y, w, h} in fractions of the image (with start)."
    )
    fit: FitName | None = Field(None, description="cover, contain or blur (default cover).")
    background: Colour | None = Field(
        None, description='Bar colour of fit contain, "#RRGGBB" (default "#000000").'
    )

    def framing_problem(self) -> tuple[str, str] | None:
        """(field, why) when this level's framing options contradict each other."""
        if (self.start is None) != (self.end is None):
            return ("start" if self.start is None else "end", "start and end go together")
        if self.start is not None and self.motion is not None:
            return ("motion", "give either motion or start and end, not both")
        return None


class ImageItem(MotionFields):
    """One clip to make: the item's position in the job, the client's id, its source."""

    index: int = Field(ge=0)
    id: str = Field(min_length=1, max_length=256)
    image_url: str = Field(min_length=1)
    duration: float = Field(gt=0)
    # Set when the clip goes straight to object storage (a presigned PUT; the S3 work).
    put_url: str | None = None


class RenderBlock(MotionFields):
    """How the clips look; defaults are the original 1920x1080 centred zoom-in at 24 fps.

    Size and frame rate are per job: the clips of a job are made to be cut together.
    """

    width: int = Field(1920, ge=16, le=MAX_SIDE, multiple_of=2)
    height: int = Field(1080, ge=16, le=MAX_SIDE, multiple_of=2)
    fps: float = Field(24.0, ge=1, le=60)
    motions: list[MoveName] | None = Field(
        None, min_length=1, description="What random picks from (default: every move but static)."
    )
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Makes random's picks reproducible.")

    @model_validator(mode="after")
    def _frame_size(self) -> RenderBlock:
        if self.width * self.height > MAX_PIXELS:
            raise PydanticCustomError(
                "frame_size",
                "width × height must be at most 3840 × 2160 pixels; got {size}",
                {"size": f"{self.width}x{self.height}"},
            )
        return self

    def motion_for(self, item: MotionFields | None = None, index: int = 0) -> Motion:
        """The camera motion of item ``index``: its own options over the job's defaults.

        Raises :class:`InputError` naming the field (``images[2].zoom``, or ``zoom`` for the
        job's default) when the options cannot make a motion.
        """
        own = item or MotionFields()
        prefix = f"images[{index}]." if item is not None else ""
        for level, where in ((self, ""), (own, prefix)):
            problem = level.framing_problem()
            if problem:
                raise InputError(f"{where}{problem[0]}: {problem[1]}")
        # The item's framing (a motion, or start and end) wins as a whole over the job's.
        framing = own if own.motion is not None or own.start is not None else self
        zoom = own.zoom if own.zoom is not None else (self.zoom or DEFAULT_ZOOM)
        zoom_field = f"{prefix}zoom" if own.zoom is not None else "zoom"
        easing = own.easing or self.easing or DEFAULT_EASING
        if framing.start is not None and framing.end is not None:
            return Motion(easing=easing, start=framing.start.rect(), end=framing.end.rect())
        move = framing.motion or DEFAULT_MOVE
        if move == "random":
            choices = self.motions or list(RANDOM_MOVES)
            pans = [m for m in choices if m in PANS]
            if pans and zoom <= 1.0:
                raise InputError(
                    f"{zoom_field}: random may pick {', '.join(pans)}, which need zoom above 1.0"
                    f" to have room to move; got {zoom:g} (raise zoom or list motions without pans)"
                )
            move = choose_move(choices, self.seed, index)
        elif move in PANS and zoom <= 1.0:
            raise InputError(
                f"{zoom_field}: {move} needs zoom above 1.0 to have room to move; got {zoom:g}"
            )
        return Motion(move, zoom, easing)

    def fit_for(self, item: MotionFields | None = None) -> tuple[str, tuple[int, int, int]]:
        """The fit mode and the background colour (RGB) of an item."""
        own = item or MotionFields()
        colour = own.background or self.background or DEFAULT_BACKGROUND
        rgb = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
        return own.fit or self.fit or DEFAULT_FIT, rgb


class ApiUpload(_Strict):
    """Clips go to the API: ``PUT {url}/{index}`` with a token scoped to this job."""

    type: Literal["api"] = "api"
    url: str = Field(min_length=1)
    token: str = Field(min_length=1)


class WorkerJob(_Strict):
    operation: Literal["img2vid"]
    job_id: str = Field(min_length=1, max_length=128)
    items: list[ImageItem] = Field(min_length=1)
    render: RenderBlock = Field(default_factory=RenderBlock)
    upload: ApiUpload | None = None
