"""The app factory: ``create_app(settings)`` builds the API with everything it holds."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from framecast import version
from framecast.api.body_limit import BodyLimit
from framecast.api.credentials import load_or_create_secret, webhook_secret
from framecast.api.credentials_first import CredentialsFirst
from framecast.api.deps import Services
from framecast.api.docs import install_docs
from framecast.api.error_handlers import install_error_handlers
from framecast.api.openapi_responses import document_request_examples
from framecast.api.routes import ROUTERS
from framecast.api.schemas import webhook_body
from framecast.api.tenants import load_tenants
from framecast.backends.base import Backend
from framecast.backends.local import LocalBackend
from framecast.backends.runpod import RunPodBackend
from framecast.config import Settings
from framecast.jobs.service import JobService
from framecast.jobs.store import JobStore
from framecast.jobs.upload_token import UploadTokens
from framecast.jobs.webhooks import WebhookSender
from framecast.metrics import ServiceMetrics
from framecast.storage import storage_for
from framecast.storage.base import Storage

log = logging.getLogger("framecast.api")


def backend_for(settings: Settings, metrics: ServiceMetrics | None = None) -> Backend:
    """The backend FRAMECAST_BACKEND names (local workers report their timings to ``metrics``)."""
    if settings.backend == "runpod":
        return RunPodBackend(settings)
    return LocalBackend(settings, metrics.worker_report if metrics is not None else None)


def log_banner(settings: Settings, backend: Backend, storage: Storage) -> None:
    """One line at start-up with what a newcomer (or a bug report) needs to know."""
    facts = {
        "version": version(),
        "backend": backend.name,
        "storage": storage.name,
        "workers": settings.local_workers if backend.name == "local" else "remote",
        # Each worker resolves "auto" at its start and logs its choice ("encoder chosen").
        "encoder": settings.encoding.encoder,
        "public_url": settings.public_base_url or "unset",
        "fetch_allow_private": str(settings.fetch.allow_private).lower(),
        "metrics": "public" if settings.metrics_public else "api-key",
    }
    log.info("framecast started %s", " ".join(f"{key}={value}" for key, value in facts.items()))


def create_app(settings: Settings, backend: Backend | None = None) -> FastAPI:
    """The API service; ``backend`` defaults to the one the settings name.

    Settings that can be checked without starting anything are checked here, so a
    misconfiguration stops ``framecast serve`` with a message naming the setting.
    """
    tenants = load_tenants(settings)
    storage = storage_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = JobStore(settings.database_path)
        metrics = ServiceMetrics(store.unfinished)
        tokens = UploadTokens(load_or_create_secret(settings.data_dir, "upload_token_secret"))
        runner = backend if backend is not None else backend_for(settings, metrics)
        webhooks = WebhookSender(
            store,
            settings,
            webhook_secret(settings),
            lambda job: webhook_body(job, store.webhook_attempts(job.id)),
            time.time,
            on_attempt=metrics.webhook_attempt,
        )
        jobs = JobService(settings, store, runner, storage, tokens, webhooks, metrics=metrics)
        app.state.services = Services(settings, tenants, jobs, storage)
        await jobs.start()
        log_banner(settings, runner, storage)
        try:
            yield
        finally:
            await jobs.close()
            await webhooks.close()
            await runner.close()
            store.close()

    app = FastAPI(
        title="framecast",
        summary="Batches of still images in, smooth Ken Burns clips out, only URLs back.",
        version=version(),
        lifespan=lifespan,
        docs_url=None,  # install_docs: the same pages, with their files served from here
        redoc_url=None,
    )
    # The last added runs first: a declared length over the limit is 413 whatever the key;
    # then a wrong key is refused before anything reads the body (a chunked one included).
    app.add_middleware(CredentialsFirst)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_docs(app)
    document_request_examples(app)
    return app
