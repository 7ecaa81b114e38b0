"""The worker job's input schema (DESIGN's wire format; RunPod's ``input``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageItem(_Strict):
    """One clip to make: the item's position in the job, the client's id, its source."""

    index: int = Field(ge=0)
    id: str = Field(min_length=1, max_length=256)
    image_url: str = Field(min_length=1)
    duration: float = Field(gt=0)


class RenderBlock(_Strict):
    """How the clips look; defaults are the original 1920x1080 centred zoom-in at 24 fps."""

    width: int = Field(1920, ge=16, le=3840, multiple_of=2)
    height: int = Field(1080, ge=16, le=2160, multiple_of=2)
    fps: float = Field(24.0, ge=1, le=60)
    zoom: float = Field(1.25, ge=1.0, le=4.0)


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
