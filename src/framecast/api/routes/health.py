"""``GET /health``: liveness, no key needed; ``GET /runpod/health``: RunPod's queue and workers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from framecast.api.deps import ApiKeyDep, ServicesDep
from framecast.api.openapi_responses import KEYED, errors
from framecast.backends.runpod import RunPodBackend
from framecast.errors import NotFound

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(services: ServicesDep) -> dict[str, Any]:
    """The service is up; which backend and storage it uses."""
    return {"status": "ok", "backend": services.jobs.backend.name, "storage": services.storage.name}


@router.get("/runpod/health", responses={**errors(404, 502), **KEYED})
async def runpod_health(services: ServicesDep, _: ApiKeyDep) -> dict[str, Any]:
    """The RunPod endpoint's view: jobs in queue / in progress and workers idle / running."""
    backend = services.jobs.backend
    if not isinstance(backend, RunPodBackend):
        raise NotFound(f"runpod: this service runs the {backend.name!r} backend, not RunPod")
    return await backend.health()
