"""An emulator of RunPod Serverless on 127.0.0.1: the public API and the worker-side URLs.

Public API (``Authorization: Bearer <api_key>``), as in RUNPOD.md: ``/v2/{endpoint}/run``,
``status/{id}``, ``cancel/{id}``, ``retry/{id}``, ``purge-queue``, ``health``. Jobs go IN_QUEUE →
IN_PROGRESS → COMPLETED | FAILED | TIMED_OUT | CANCELLED; ``policy.executionTimeout`` times a job
out (the worker gets a stop signal), ``policy.ttl`` makes it vanish (404).

Worker side (``Authorization: <worker_key>``, what the unmodified SDK worker loop calls):
``job-take/{pod}`` (held open while idle), ``job-stop/{pod}``, ``job-done/{pod}/{id}`` (progress
or the result), ``ping/{pod}``. A worker not heard from for ``worker_lost_after`` seconds loses its
job: it is FAILED ("worker lost"), as the emulator's stand-in for RunPod's handling of a dead pod.

Faults for tests: ``inject(call, status, times)`` answers the next calls with an HTTP error;
``fail_next_taken(n)`` fails the next jobs a worker would take, as a crashed worker would.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")


@dataclass
class EmulatedJob:
    id: str
    input: dict[str, Any]
    policy: dict[str, Any]
    submitted_at: float
    status: str = "IN_QUEUE"
    started_at: float | None = None
    ended_at: float | None = None
    output: Any = None
    error: str | None = None
    worker_id: str | None = None
    retries: int = 0

    def public(self) -> dict[str, Any]:
        now = time.monotonic()
        body: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.started_at is not None:
            body["delayTime"] = int((self.started_at - self.submitted_at) * 1000)
            body["executionTime"] = int(((self.ended_at or now) - self.started_at) * 1000)
            body["workerId"] = self.worker_id
        if self.error is not None:
            body["error"] = self.error
        elif self.output is not None:
            body["output"] = self.output
        return body


@dataclass
class Fault:
    call: str
    status: int
    times: int


@dataclass
class _State:
    jobs: dict[str, EmulatedJob] = field(default_factory=dict)
    queue: deque[str] = field(default_factory=deque)
    stops: dict[str, list[str]] = field(default_factory=dict)  # pod → job ids to stop
    seen: dict[str, float] = field(default_factory=dict)  # pod → last contact
    retried: int = 0


class RunPodEmulator:
    """Start with ``with RunPodEmulator() as cloud:``; ``cloud.api_url`` is RUNPOD_BASE_URL."""

    def __init__(
        self,
        endpoint_id: str = "ep-test",
        api_key: str = "rp-api-key",
        worker_key: str = "rp-worker-key",
        take_hold_seconds: float = 1.0,
        worker_lost_after: float = 3.0,
    ) -> None:
        self.endpoint_id, self.api_key, self.worker_key = endpoint_id, api_key, worker_key
        self.take_hold = take_hold_seconds
        self.worker_lost_after = worker_lost_after
        self.calls: Counter[str] = Counter()  # every request, by call name
        self.runs: list[EmulatedJob] = []  # every /run, in order
        self.stops_delivered: dict[str, list[str]] = defaultdict(list)  # pod → stopped job ids
        self._faults: list[Fault] = []
        self._fail_taken: list[str] = []
        self._delays: dict[str, list[float]] = defaultdict(list)
        self._state = _State()
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._stopped = threading.Event()
        self.api_url = f"http://127.0.0.1:{self._server.server_address[1]}/v2"

    # -- life ------------------------------------------------------------------------------

    def __enter__(self) -> RunPodEmulator:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        threading.Thread(target=self._tick_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def worker_env(self, pod_id: str) -> dict[str, str]:
        """The environment RunPod gives a worker pod (URLs with ``$ID`` placeholders)."""
        base = f"{self.api_url}/{self.endpoint_id}"
        return {
            "RUNPOD_WEBHOOK_GET_JOB": f"{base}/job-take/$ID?gpu=emulated",
            "RUNPOD_WEBHOOK_POST_OUTPUT": f"{base}/job-done/$RUNPOD_POD_ID/$ID?gpu=emulated",
            "RUNPOD_WEBHOOK_PING": f"{base}/ping/$RUNPOD_POD_ID?gpu=emulated",
            "RUNPOD_POD_ID": pod_id,
            "RUNPOD_AI_API_KEY": self.worker_key,
            "RUNPOD_SKIP_AUTO_SYSTEM_CHECKS": "true",
            "RUNPOD_SKIP_GPU_CHECK": "true",
            "RUNPOD_PING_INTERVAL": "1000",
            "RUNPOD_LOG_LEVEL": "INFO",
        }

    # -- faults and inspection -------------------------------------------------------------

    def inject(self, call: str, status: int, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``call`` ("run", "status"…) with ``status``."""
        with self._cond:
            self._faults.append(Fault(call, status, times))

    def delay_next(self, call: str, seconds: float) -> None:
        """Hold the next call of ``call`` for ``seconds`` before it is handled."""
        with self._cond:
            self._delays[call].append(seconds)

    def fail_next_taken(self, count: int = 1, error: str = "injected: the worker crashed") -> None:
        with self._cond:
            self._fail_taken.extend([error] * count)

    def faults_left(self) -> int:
        with self._cond:
            return sum(f.times for f in self._faults)

    def job(self, job_id: str) -> EmulatedJob:
        with self._cond:
            return self._state.jobs[job_id]

    def statuses(self) -> list[str]:
        with self._cond:
            return [job.status for job in self.runs]

    def workers_seen(self) -> set[str]:
        with self._cond:
            return set(self._state.seen)

    def wait_for(self, condition: Any, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (value := condition()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("the emulator did not reach the expected state")
                self._cond.wait(min(left, 0.1))
            return value

    # -- the clock: timeouts, ttl, lost workers --------------------------------------------

    def _tick_forever(self) -> None:
        while not self._stopped.wait(0.05):
            with self._cond:
                self._tick(time.monotonic())

    def _tick(self, now: float) -> None:
        state = self._state
        for job in list(state.jobs.values()):
            ttl = job.policy.get("ttl", 86_400_000) / 1000
            if now - job.submitted_at > ttl:
                del state.jobs[job.id]
                if job.id in state.queue:
                    state.queue.remove(job.id)
                continue
            if job.status != "IN_PROGRESS" or job.started_at is None:
                continue
            timeout = job.policy.get("executionTimeout", 600_000) / 1000
            if now - job.started_at > timeout:
                self._end(job, "TIMED_OUT", error="execution timeout exceeded", stop=True)
            elif now - state.seen.get(job.worker_id or "", now) > self.worker_lost_after:
                self._end(job, "FAILED", error=f"worker lost: {job.worker_id} stopped responding")

    def _end(self, job: EmulatedJob, status: str, error: str | None = None, stop: bool = False):
        job.status, job.ended_at = status, time.monotonic()
        if error is not None:
            job.error = error
        if stop and job.worker_id:
            self._state.stops.setdefault(job.worker_id, []).append(job.id)
        self._cond.notify_all()

    # -- calls (under the lock) ------------------------------------------------------------

    def _fault(self, call: str) -> int | None:
        for fault in self._faults:
            if fault.call == call and fault.times > 0:
                fault.times -= 1
                return fault.status
        return None

    def handle_public(self, call: str, arg: str | None, body: Any) -> tuple[int, Any]:
        state = self._state
        if call == "run":
            if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
                return 400, {"error": "input: required"}
            job = EmulatedJob(
                uuid.uuid4().hex, body["input"], body.get("policy") or {}, time.monotonic()
            )
            state.jobs[job.id] = job
            state.queue.append(job.id)
            self.runs.append(job)
            self._cond.notify_all()
            return 200, {"id": job.id, "status": job.status}
        if call == "health":
            counts = Counter(job.status for job in state.jobs.values())
            alive = {p for p, t in state.seen.items() if time.monotonic() - t < 5}
            busy = {j.worker_id for j in state.jobs.values() if j.status == "IN_PROGRESS"}
            return 200, {
                "jobs": {
                    "completed": counts["COMPLETED"],
                    "failed": counts["FAILED"] + counts["TIMED_OUT"],
                    "inProgress": counts["IN_PROGRESS"],
                    "inQueue": counts["IN_QUEUE"],
                    "retried": state.retried,
                },
                "workers": {"idle": len(alive - busy), "running": len(alive & busy)},
            }
        if call == "purge-queue":
            removed = len(state.queue)
            for job_id in state.queue:
                del state.jobs[job_id]
            state.queue.clear()
            return 200, {"removed": removed, "status": "completed"}
        job_or_none = state.jobs.get(arg or "")
        if job_or_none is None:
            return 404, {"error": f"request {arg} does not exist"}
        job = job_or_none
        if call == "cancel" and job.status not in FINAL:
            if job.id in state.queue:
                state.queue.remove(job.id)
            self._end(job, "CANCELLED", stop=True)
        elif call == "retry":
            if job.status not in ("FAILED", "TIMED_OUT"):
                return 400, {
                    "error": f"only FAILED or TIMED_OUT jobs can be retried ({job.status})"
                }
            job.status, job.error, job.output = "IN_QUEUE", None, None
            job.started_at = job.ended_at = None
            job.retries += 1
            state.retried += 1
            state.queue.append(job.id)
            self._cond.notify_all()
        return 200, job.public() if call == "status" else {"id": job.id, "status": job.status}

    def take(self, pod: str) -> dict[str, Any] | None:
        """A job for ``pod``, waiting up to ``take_hold`` seconds for one to be queued."""
        state = self._state
        deadline = time.monotonic() + self.take_hold
        while not state.queue and (left := deadline - time.monotonic()) > 0:
            self._cond.wait(left)
            state.seen[pod] = time.monotonic()
        if not state.queue:
            return None
        job = state.jobs[state.queue.popleft()]
        job.status, job.started_at, job.worker_id = "IN_PROGRESS", time.monotonic(), pod
        if self._fail_taken:
            self._end(job, "FAILED", error=self._fail_taken.pop(0))
            return None
        self._cond.notify_all()
        return {"id": job.id, "input": job.input}

    def done(self, pod: str, job_id: str, body: dict[str, Any]) -> None:
        job = self._state.jobs.get(job_id)
        if job is None or job.status != "IN_PROGRESS" or job.worker_id != pod:
            return  # cancelled, timed out or lost meanwhile: the late result is dropped
        if body.get("status") == "IN_PROGRESS":
            job.output = body.get("output")  # a progress update
        elif body.get("error"):
            self._end(job, "FAILED", error=str(body["error"]))
        else:
            job.output = body.get("output")
            self._end(job, "COMPLETED")
        self._cond.notify_all()


def _handler_for(cloud: RunPodEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            path = self.path.split("?", 1)[0].strip("/").split("/")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if len(path) < 3 or path[0] != "v2" or path[1] != cloud.endpoint_id:
                return self._send(404, {"error": "no such endpoint"})
            call, args = path[2], path[3:]
            auth = self.headers.get("Authorization", "")
            with cloud._cond:
                delay = cloud._delays[call].pop(0) if cloud._delays[call] else 0.0
            time.sleep(delay)
            with cloud._cond:
                cloud.calls[call] += 1
                status, answer = self._answer(call, args, raw, auth)
            return self._send(status, answer)

        def _answer(self, call: str, args: list[str], raw: bytes, auth: str) -> tuple[int, Any]:
            if call in ("job-take", "job-stop", "job-done", "ping"):
                if auth != cloud.worker_key or not args:
                    return 401, {"error": "bad worker key"}
                cloud._state.seen[args[0]] = time.monotonic()
                return self._worker(call, args, raw)
            if auth != f"Bearer {cloud.api_key}":
                return 401, {"error": "Unauthorized"}
            if (status := cloud._fault(call)) is not None:
                return status, {"error": f"injected HTTP {status}"}
            body = json.loads(raw) if raw else None
            return cloud.handle_public(call, args[0] if args else None, body)

        def _worker(self, call: str, args: list[str], raw: bytes) -> tuple[int, Any]:
            pod = args[0]
            if call == "job-take":
                job = cloud.take(pod)
                return (200, job) if job else (204, None)
            if call == "job-stop":
                if not cloud._state.stops.get(pod):
                    cloud._cond.wait(0.5)
                ids = cloud._state.stops.pop(pod, [])
                cloud.stops_delivered[pod].extend(ids)
                return (200, {"jobsToStop": ids}) if ids else (204, None)
            if call == "job-done":
                cloud.done(pod, args[1], json.loads(raw))
            return 200, {}

        def _send(self, status: int, body: Any) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
