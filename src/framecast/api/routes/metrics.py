"""``GET /metrics``: the service's metrics in Prometheus's text format (:mod:`framecast.metrics`).

It needs an admin's key (the counts are every tenant's) unless ``METRICS_PUBLIC=true``.
Prometheus cannot send an ``X-API-Key`` header from every version's scrape settings, but it can
send a bearer token (``authorization: {credentials: <key>}``), so the key is also accepted as
``Authorization: Bearer <key>`` here.
``METRICS_PUBLIC`` is for a scraper on a private network that can send neither.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from framecast.api.deps import ApiKeyHeaderDep, ServicesDep, authenticate, client_address
from framecast.api.openapi_responses import METRICS
from framecast.api.tenants import Role
from framecast.errors import Forbidden

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, responses=METRICS)
async def metrics(
    request: Request,
    services: ServicesDep,
    x_api_key: ApiKeyHeaderDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Jobs, items, renders, downloads, webhooks and uploads, for Prometheus to scrape."""
    if not services.settings.metrics_public:
        scheme, _, token = (authorization or "").partition(" ")
        bearer = token if scheme.lower() == "bearer" else None
        tenant = authenticate(services, x_api_key or bearer, client_address(request))
        if tenant.role is not Role.ADMIN:
            raise Forbidden("GET /metrics: needs an admin's key (it counts every tenant's jobs)")
    # Read in the event loop: the in-flight gauges need a consistent view of the job store.
    body = services.jobs.metrics.exposition()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
