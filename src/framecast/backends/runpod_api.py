"""RunPod's serverless REST API (``/run``, ``/status``, ``/cancel``, ``/health``) with retries.

Every httpx error becomes a BackendError here, at the boundary. 429, 5xx and network errors are
retried with backoff (honouring ``Retry-After``); other statuses fail at once with RunPod's message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from framecast.errors import BackendError

log = logging.getLogger("framecast.backends")

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class RunPodApi:
    """One endpoint of RunPod's API: ``{base_url}/{endpoint_id}/…`` with a Bearer key."""

    def __init__(
        self,
        base_url: str,
        endpoint_id: str,
        api_key: str,
        *,
        retry_seconds: float = 120.0,
        backoff_seconds: float = 0.5,
        backoff_max_seconds: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/{endpoint_id}",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=TIMEOUT,
            transport=transport,
        )
        self._retry_seconds = retry_seconds
        self._backoff = backoff_seconds
        self._backoff_max = backoff_max_seconds
        self.calls: dict[str, int] = {}  # requests sent, by call ("run", "status", …)

    async def run(self, job_input: dict[str, Any], policy: dict[str, Any]) -> str:
        """Queue a job; its RunPod id."""
        response = await self._request(
            "POST", "/run", "run", {"input": job_input, "policy": policy}
        )
        if response is None:
            raise BackendError("RunPod: the endpoint was not found (check RUNPOD_ENDPOINT_ID)")
        runpod_id = response.json().get("id")
        if not isinstance(runpod_id, str) or not runpod_id:
            raise BackendError(f"RunPod: /run answered without a job id: {response.text[:200]}")
        return runpod_id

    async def status(self, runpod_id: str) -> dict[str, Any] | None:
        """A job's status object; None when RunPod no longer knows the id (404).

        Transient errors are retried without a time limit: the job's deadline bounds the wait.
        """
        response = await self._request(
            "GET", f"/status/{runpod_id}", "status", retry_seconds=float("inf")
        )
        return None if response is None else dict(response.json())

    async def cancel(self, runpod_id: str) -> None:
        """Cancel a job (a job RunPod no longer knows is fine)."""
        await self._request("POST", f"/cancel/{runpod_id}", "cancel")

    async def health(self) -> dict[str, Any]:
        """The endpoint's queue and workers."""
        response = await self._request("GET", "/health", "health")
        if response is None:
            raise BackendError("RunPod: the endpoint was not found (check RUNPOD_ENDPOINT_ID)")
        return dict(response.json())

    async def close(self) -> None:
        await self._client.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        call: str,
        body: dict[str, Any] | None = None,
        retry_seconds: float | None = None,
    ) -> httpx.Response | None:
        """The response, None for a 404; BackendError for anything else that is not a success."""
        give_up_at = time.monotonic() + (retry_seconds or self._retry_seconds)
        delay = self._backoff
        while True:
            self.calls[call] = self.calls.get(call, 0) + 1
            try:
                response = await self._client.request(method, path, json=body)
            except httpx.HTTPError as exc:
                problem, wait = f"{type(exc).__name__}: {exc}", delay
            else:
                if response.is_success:
                    return response
                if response.status_code == 404:
                    return None
                problem = f"HTTP {response.status_code}: {_message(response)}"
                if response.status_code in (401, 403):
                    raise BackendError(f"RunPod rejected RUNPOD_API_KEY on {call} ({problem})")
                if response.status_code != 429 and response.status_code < 500:
                    raise BackendError(f"RunPod refused {call} ({problem})")
                wait = _retry_after(response, delay)
            if time.monotonic() + wait > give_up_at:
                raise BackendError(f"RunPod {call} kept failing; last error: {problem}")
            log.warning("runpod retry call=%s problem=%s wait=%.1f", call, problem, wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, self._backoff_max)


@dataclass(frozen=True)
class Verdict:
    """What to do about a RunPod job that reached a final status (or vanished)."""

    output: dict[str, Any] | None  # the worker's output, when it reported one
    retry: bool = False
    reason: str = ""


def judge(runpod_id: str, payload: dict[str, Any] | None, may_retry: bool) -> Verdict:
    """The whole decision table for a RunPod job's final status (or its 404)."""
    again = may_retry
    if payload is None:
        return Verdict(None, again, f"RunPod lost job {runpod_id} (status 404)")
    status = payload.get("status")
    if status == "COMPLETED":
        output = payload.get("output")
        return Verdict(output if isinstance(output, dict) else {})
    if status == "FAILED":
        error = payload.get("error")
        reported = item_failures(error)
        if reported is not None:  # the worker ran every item and each one failed
            return Verdict({"videos": [], "failed": reported})
        return Verdict(None, again, f"RunPod job {runpod_id} failed: {describe_error(error)}")
    if status == "TIMED_OUT":
        return Verdict(None, again, f"RunPod job {runpod_id} passed its executionTimeout")
    if status == "CANCELLED":
        return Verdict(None, False, f"RunPod job {runpod_id} was cancelled on RunPod")
    return Verdict(None, False, f"RunPod job {runpod_id} ended in an unknown status {status!r}")


def item_failures(error: Any) -> list[dict[str, Any]] | None:
    """The per-item errors of a worker's "every item failed" report (see worker/runpod_entry)."""
    with contextlib.suppress(TypeError, ValueError):
        report = json.loads(error)
        if isinstance(report, dict) and isinstance(report.get("failed"), list):
            return [f for f in report["failed"] if isinstance(f, dict) and "index" in f]
    return None


def describe_error(error: Any) -> str:
    """A RunPod error as one line: the SDK's JSON for a raised exception, or plain text."""
    with contextlib.suppress(TypeError, ValueError):
        report = json.loads(error)
        if isinstance(report, dict) and "error_message" in report:
            return f"{report.get('error_type', 'error')}: {report['error_message']}"
    return str(error)[:500]


def _retry_after(response: httpx.Response, default: float) -> float:
    raw = response.headers.get("retry-after", "")
    try:
        return min(max(float(raw), 0.0), 60.0) if raw else default
    except ValueError:
        return default


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or body)[:200]
    return str(body)[:200]
