"""Dependency aliases shared by the routers, and the key check behind ``ApiKeyDep``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from framecast.api.limits import RequestRates, WrongKeys
from framecast.api.tenants import Tenant, Tenants
from framecast.config import Settings
from framecast.errors import AuthError
from framecast.jobs.intake import no_job
from framecast.jobs.model import Job
from framecast.jobs.service import JobService
from framecast.storage.base import Storage


@dataclass
class Services:
    """What the lifespan builds and the routes use."""

    settings: Settings
    tenants: Tenants
    jobs: JobService
    storage: Storage
    rates: RequestRates = field(default_factory=RequestRates)
    wrong_keys: WrongKeys = field(init=False)

    def __post_init__(self) -> None:
        self.wrong_keys = WrongKeys(
            self.settings.wrong_key_limit, self.settings.wrong_key_window_seconds
        )

    def job_of(self, tenant: Tenant, job_id: str) -> Job:
        """Job ``job_id`` if ``tenant`` sees it; another tenant's is as missing as no job."""
        job = self.jobs.get(job_id)
        if not tenant.sees(job.tenant):
            raise no_job(job_id)  # not 403: that would tell a client the job exists
        return job


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def authenticate(services: Services, key: str | None, address: str) -> Tenant:
    """The tenant of ``key`` sent from ``address``, within its requests per minute.

    401 for a missing or wrong key; 429 once ``address`` has sent too many wrong keys (its key
    is then not even tried) or the tenant is over its rate.
    """
    services.wrong_keys.check(address)
    if not (key or "").strip():
        raise AuthError("X-API-Key: header missing")
    tenant = services.tenants.tenant_for_key(key)
    if tenant is None:
        services.wrong_keys.record(address)
        raise AuthError("X-API-Key: wrong key")
    services.rates.take(tenant)
    return tenant


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


# The key as an OpenAPI security scheme, so the docs' Authorize button sends it. It only reads
# the header (auto_error=False): a missing key is authenticate()'s 401, with its message.
API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKey",
    description="Your API key: one of X_API_KEY's, or a tenant's from TENANTS_FILE.",
    auto_error=False,
)
ApiKeyHeaderDep = Annotated[str | None, Security(API_KEY_HEADER)]


async def require_tenant(request: Request, x_api_key: ApiKeyHeaderDep) -> Tenant:
    # async: it runs on the event loop, so the counts of limits.py are never raced by threads.
    return authenticate(get_services(request), x_api_key, client_address(request))


ServicesDep = Annotated[Services, Depends(get_services)]
ApiKeyDep = Annotated[Tenant, Depends(require_tenant)]
