"""``GET /health``: liveness, no key needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from framecast.api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(services: ServicesDep) -> dict[str, Any]:
    """The service is up; which backend and storage it uses."""
    return {"status": "ok", "backend": services.jobs.backend.name, "storage": "local"}
