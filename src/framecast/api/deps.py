"""Dependency aliases shared by the routers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from framecast.api.credentials import check_api_key
from framecast.config import Settings
from framecast.jobs.service import JobService
from framecast.storage.base import Storage


@dataclass
class Services:
    """What the lifespan builds and the routes use."""

    settings: Settings
    api_keys: tuple[str, ...]
    jobs: JobService
    storage: Storage


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def require_api_key(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> None:
    check_api_key(x_api_key, get_services(request).api_keys)


ServicesDep = Annotated[Services, Depends(get_services)]
ApiKeyDep = Annotated[None, Depends(require_api_key)]
