"""Field types shared by the request models: names from a vocabulary, colours, a strict base."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema
from pydantic_core import PydanticCustomError

from framecast.contracts.vocab import (
    ASPECTS,
    AUDIO_ROLES,
    CONCAT_AUDIO,
    CONCAT_MODES,
    EASING_NAMES,
    FIT_LENGTHS,
    FITS,
    MOTIONS,
    MOVES,
    ORIGINAL_AUDIO,
    PICTURE_FITS,
    TRANSITIONS,
)

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def one_of(allowed: Sequence[str]) -> Callable[[str], str]:
    """A validator refusing any value not in ``allowed``, listing what is."""

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


MotionName = Annotated[str, AfterValidator(one_of(MOTIONS)), _enum(MOTIONS)]
MoveName = Annotated[str, AfterValidator(one_of(MOVES)), _enum(MOVES)]
EasingName = Annotated[str, AfterValidator(one_of(EASING_NAMES)), _enum(EASING_NAMES)]
FitName = Annotated[str, AfterValidator(one_of(FITS)), _enum(FITS)]
AspectName = Annotated[str, AfterValidator(one_of(tuple(ASPECTS))), _enum(tuple(ASPECTS))]
TRANSITION_NAMES = ("none", *TRANSITIONS)  # none: a plain cut
TransitionName = Annotated[str, AfterValidator(one_of(TRANSITION_NAMES)), _enum(TRANSITION_NAMES)]
ConcatMode = Annotated[str, AfterValidator(one_of(CONCAT_MODES)), _enum(CONCAT_MODES)]
ConcatAudio = Annotated[str, AfterValidator(one_of(CONCAT_AUDIO)), _enum(CONCAT_AUDIO)]
AudioRole = Annotated[str, AfterValidator(one_of(AUDIO_ROLES)), _enum(AUDIO_ROLES)]
OriginalAudio = Annotated[str, AfterValidator(one_of(ORIGINAL_AUDIO)), _enum(ORIGINAL_AUDIO)]
FitLength = Annotated[str, AfterValidator(one_of(FIT_LENGTHS)), _enum(FIT_LENGTHS)]
PictureFit = Annotated[str, AfterValidator(one_of(PICTURE_FITS)), _enum(PICTURE_FITS)]
Colour = Annotated[
    str, AfterValidator(_colour), WithJsonSchema({"type": "string", "pattern": _COLOUR.pattern})
]


class Strict(BaseModel):
    """Unknown fields are refused; NaN and infinities are refused as what they are ("a finite
    number"), not by a bound."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Frozen(Strict):
    """A strict model that cannot change once made (the worker job's parts)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
