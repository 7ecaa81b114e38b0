"""Where a worker job's results go: the ``upload`` block of the wire format."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from framecast.contracts.fields import Frozen


class ApiUpload(Frozen):
    """Results go to the API: ``PUT {url}/{index}`` with a token scoped to this job."""

    type: Literal["api"] = "api"
    url: str = Field(min_length=1)
    token: str = Field(min_length=1)
