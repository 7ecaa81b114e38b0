"""``framecast serve`` with the RunPod backend polling every 0.1 s (tests: ``python -m`` this)."""

from __future__ import annotations

import logging

import uvicorn

from framecast.api.app import create_app
from framecast.backends.runpod import RunPodBackend
from framecast.backends.runpod_api import RunPodApi
from framecast.config import Settings
from framecast.logs import LOG_FORMAT

POLL_SECONDS = 0.1
POLL_MAX_SECONDS = 0.3


def main() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings.from_env()
    assert settings.runpod_endpoint_id and settings.runpod_api_key
    api = RunPodApi(
        settings.runpod_base_url,
        settings.runpod_endpoint_id,
        settings.runpod_api_key,
        backoff_seconds=0.05,
        backoff_max_seconds=0.2,
    )
    backend = RunPodBackend(
        settings, api, poll_seconds=POLL_SECONDS, poll_max_seconds=POLL_MAX_SECONDS
    )
    app = create_app(settings, backend)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
