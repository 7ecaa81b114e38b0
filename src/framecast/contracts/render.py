"""The motion and fit options of img2vid (and later compose): per job and per item.

Motion options may be set on the job's ``render`` block (defaults for every item) and on each
item (overrides). :meth:`RenderBlock.motion_for` is the one place that merges them and checks
the rules that span fields; the API calls it too, so what the API accepts, a worker renders.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from framecast.contracts.fields import (
    AspectName,
    Colour,
    EasingName,
    FitName,
    Frozen,
    MotionName,
    MoveName,
)
from framecast.contracts.vocab import ASPECTS, MAX_PIXELS, MAX_SIDE, MOTIONS, RANDOM_MOVES
from framecast.errors import InputError
from framecast.render.motion import Motion, RandomPick, Rect, choose_move

DEFAULT_MOVE, DEFAULT_ZOOM, DEFAULT_EASING, DEFAULT_FIT = "zoom_in", 1.25, "linear", "cover"
DEFAULT_BACKGROUND = "#000000"


class FrameSize(Frozen):
    """The output frame: ``width`` and ``height``, or an ``aspect`` preset (not both)."""

    width: int | None = Field(
        None, ge=16, le=MAX_SIDE, multiple_of=2, description="Output width (even)."
    )
    height: int | None = Field(
        None, ge=16, le=MAX_SIDE, multiple_of=2, description="Output height (even)."
    )
    aspect: AspectName | None = Field(
        None,
        description="Instead of width/height: "
        + ", ".join(f"{name} ({w}x{h})" for name, (w, h) in ASPECTS.items()),
    )

    def output_size(self, default: tuple[int, int] | None) -> tuple[int, int] | None:
        """Width and height from ``aspect``, else ``width``/``height``, else ``default``.

        Raises :class:`InputError` when the fields contradict each other or the frame is too
        large.
        """
        if self.aspect is not None:
            if self.width is not None or self.height is not None:
                given = " and ".join(f for f in ("width", "height") if getattr(self, f) is not None)
                raise InputError(
                    f"aspect: give either aspect or width and height, not both; got {given}"
                )
            return ASPECTS[self.aspect]
        if self.width is None and self.height is None:
            return default
        if default is None and (self.width is None or self.height is None):
            missing = "height" if self.height is None else "width"
            raise InputError(f"{missing}: width and height go together")
        width = self.width or (default or (0, 0))[0]
        height = self.height or (default or (0, 0))[1]
        if width * height > MAX_PIXELS:
            raise InputError(
                f"width, height: at most {MAX_PIXELS} pixels (3840x2160 either way up);"
                f" got {width}x{height}"
            )
        return width, height


class Region(Frozen):
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


class MotionFields(Frozen):
    """The camera and fit options: per job (defaults for every clip) and per clip (overrides)."""

    motion: MotionName | None = Field(
        None, description=f"One of {', '.join(MOTIONS)} (default {DEFAULT_MOVE})."
    )
    zoom: float | None = Field(
        None,
        ge=1.0,
        le=4.0,
        description=f"Magnification of the close end of a zoom, and of a pan (default "
        f"{DEFAULT_ZOOM}); at 1.0 a pan needs an image wider (or taller) than the frame.",
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
        None,
        description="Bar colour of fit contain, and what shows through a transparent image,"
        ' "#RRGGBB" (default "#000000").',
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

    def motion_for(
        self, item: MotionFields | None = None, index: int = 0, field: str = "images"
    ) -> Motion:
        """The camera motion of item ``index``: its own options over the job's defaults.

        Raises :class:`InputError` naming the field (``images[2].zoom``, ``field`` naming the
        list, or ``zoom`` for the job's default) when the options cannot make a motion.
        """
        own = item or MotionFields()
        prefix = f"{field}[{index}]." if item is not None else ""
        for level, where in ((self, ""), (own, prefix)):
            problem = level.framing_problem()
            if problem:
                raise InputError(f"{where}{problem[0]}: {problem[1]}")
        # The item's framing (a motion, or start and end) wins as a whole over the job's.
        framing = own if own.motion is not None or own.start is not None else self
        zoom = own.zoom if own.zoom is not None else (self.zoom or DEFAULT_ZOOM)
        easing = own.easing or self.easing or DEFAULT_EASING
        if framing.start is not None and framing.end is not None:
            return Motion(easing=easing, start=framing.start.rect(), end=framing.end.rect())
        move = framing.motion or DEFAULT_MOVE
        # Whether a pan at zoom 1.0 has room depends on the image's aspect: the worker judges
        # it (Motion.resolve), and random then takes another of its choices.
        if move == "random":
            choices = tuple(self.motions or RANDOM_MOVES)
            pick = RandomPick(choices, self.seed, index)
            return Motion(choose_move(choices, self.seed, index), zoom, easing, random=pick)
        return Motion(move, zoom, easing)

    def fit_for(self, item: MotionFields | None = None) -> tuple[str, tuple[int, int, int]]:
        """The fit mode and the background colour (RGB) of an item."""
        own = item or MotionFields()
        colour = own.background or self.background or DEFAULT_BACKGROUND
        rgb = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
        return own.fit or self.fit or DEFAULT_FIT, rgb
