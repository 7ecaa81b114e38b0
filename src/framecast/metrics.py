"""The service's Prometheus metrics (``GET /metrics``), in a registry of each app's own.

Where each number comes from:

- Jobs and their items: counted by the job service as a job is submitted and as it ends (its
  items done or failed, and the bytes of its results, sidecar files included, for local storage
  and S3 alike). Jobs in flight and the queue are read from the job store at each scrape, so they
  are right after a restart too.
- Renders, downloads and the encoder: measured by the workers, which under the local backend are
  processes of their own. Each pool task returns the worker's measurements beside its output (see
  :mod:`framecast.worker.timings`), so the worker contract is unchanged; they arrive as each job
  ends. RunPod workers run elsewhere: their timings stay in their logs and these stay empty.
- Webhooks: the outcome of each delivery attempt.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from framecast.jobs.model import ItemStatus, Job, JobStatus, WebhookState
from framecast.operations import OPERATIONS

RENDER_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
WEBHOOK_OUTCOMES = {WebhookState.DELIVERED: "delivered", WebhookState.FAILED: "failed"}
RETRYING = "retrying"  # a failed attempt with more to come


class ServiceMetrics:
    """Every metric of one service; ``in_flight`` lists the jobs that have not ended."""

    def __init__(self, in_flight: Callable[[], list[Job]]) -> None:
        self.registry = CollectorRegistry()
        metric: dict[str, Any] = {"registry": self.registry}
        self._submitted = Counter(
            "framecast_jobs_submitted", "Jobs accepted", ["operation"], **metric
        )
        self._ended = Counter(
            "framecast_jobs_ended",
            "Jobs that reached a final state",
            ["operation", "state"],
            **metric,
        )
        self._items = Counter(
            "framecast_items_ended",
            "Items of ended jobs, done or failed",
            ["operation", "state"],
            **metric,
        )
        self._upload_bytes = Counter(
            "framecast_upload_bytes",
            "Bytes of results stored (videos and their files), counted as their job ends",
            ["operation"],
            **metric,
        )
        self._render = Histogram(
            "framecast_render_seconds",
            "Seconds a worker took to make one result, downloads and upload apart",
            ["operation"],
            buckets=RENDER_BUCKETS,
            **metric,
        )
        self._fetch = Histogram(
            "framecast_fetch_seconds",
            "Seconds one download of source media took, retries included",
            ["kind"],
            buckets=FETCH_BUCKETS,
            **metric,
        )
        self._webhooks = Counter(
            "framecast_webhook_attempts", "Webhook delivery attempts", ["outcome"], **metric
        )
        self._encoder = Gauge(
            "framecast_encoder_info", "The H.264 encoder the workers use (1)", ["encoder"], **metric
        )
        self.registry.register(_InFlight(in_flight))
        # Every series exists from the start, so a rate() over the first events is right.
        for operation in OPERATIONS:
            self._submitted.labels(operation)
            self._upload_bytes.labels(operation)
            for state in (s for s in JobStatus if s.is_final):
                self._ended.labels(operation, state.value)
            for item_state in (ItemStatus.DONE, ItemStatus.FAILED):
                self._items.labels(operation, item_state.value)
        for outcome in (*WEBHOOK_OUTCOMES.values(), RETRYING):
            self._webhooks.labels(outcome)

    def job_submitted(self, operation: str) -> None:
        self._submitted.labels(operation).inc()

    def job_ended(self, job: Job, status: JobStatus) -> None:
        """``job`` (its items final) ended as ``status``."""
        self._ended.labels(job.operation, status.value).inc()
        done = [item for item in job.items if item.status is ItemStatus.DONE]
        self._items.labels(job.operation, ItemStatus.DONE.value).inc(len(done))
        failed = sum(item.status is ItemStatus.FAILED for item in job.items)
        self._items.labels(job.operation, ItemStatus.FAILED.value).inc(failed)
        stored = sum((i.bytes or 0) + sum(f.bytes for f in i.files.values()) for i in done)
        self._upload_bytes.labels(job.operation).inc(stored)

    def webhook_attempt(self, state: WebhookState) -> None:
        """One delivery attempt, which left the webhook in ``state``."""
        self._webhooks.labels(WEBHOOK_OUTCOMES.get(state, RETRYING)).inc()

    def worker_report(self, report: dict[str, Any]) -> None:
        """A worker's measurements of one job (``framecast.worker.handler.worker_report``)."""
        if report.get("encoder"):
            self._encoder.labels(str(report["encoder"])).set(1)
        for operation, seconds in report.get("render", []):
            self._render.labels(operation).observe(seconds)
        for kind, seconds in report.get("fetch", []):
            self._fetch.labels(kind).observe(seconds)

    def exposition(self) -> bytes:
        """Every metric in Prometheus's text format."""
        return generate_latest(self.registry)


class _InFlight(Collector):
    """Jobs not yet ended and their pending items, read from the store at each scrape."""

    def __init__(self, in_flight: Callable[[], list[Job]]) -> None:
        self._in_flight = in_flight

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "framecast_jobs_in_flight",
            "Jobs not yet ended: queued (waiting for a worker) or running",
            labels=["operation", "state"],
        )
        queue = GaugeMetricFamily(
            "framecast_queue_depth",
            "Items of unfinished jobs not yet done or failed (waiting or being made)",
            labels=["operation"],
        )
        by_state: Tally[tuple[str, str]] = Tally()
        pending: Tally[str] = Tally()
        for job in self._in_flight():
            by_state[job.operation, job.status.value] += 1
            pending[job.operation] += len(job.pending_items())
        for operation in sorted({*OPERATIONS, *pending}):
            for state in (s.value for s in JobStatus if not s.is_final):
                jobs.add_metric([operation, state], by_state[operation, state])
            queue.add_metric([operation], pending[operation])
        yield jobs
        yield queue
