"""``framecast worker`` processes: the unmodified RunPod SDK worker loop against the emulator."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.backends.runpod_emulator import RunPodEmulator

WORKER_ENV = {
    "FRAMECAST_ENCODER": "x264",
    "X264_PRESET": "superfast",
    "FETCH_ALLOW_PRIVATE": "true",
    "BATCH_SIZE": "1",  # one clip at a time: each process stands for one GPU worker
    "PYTHONUNBUFFERED": "1",  # the SDK logs with print(): tests read the log as it happens
}
NOT_INHERITED = ("VPS_UPLOAD_URL", "VPS_API_KEY", "X_API_KEY", "PUBLIC_BASE_URL", "PORT")


class WorkerProcess:
    """One worker pod: its own process group, so a kill also takes the SDK's ping process."""

    def __init__(
        self, cloud: RunPodEmulator, pod_id: str, tmp: Path, env: dict[str, str] | None = None
    ) -> None:
        self.pod_id = pod_id
        self.log_path = tmp / f"{pod_id}.log"
        base = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        self.env = {**base, **cloud.worker_env(pod_id), **WORKER_ENV, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "framecast.cli", "worker"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        """SIGKILL the whole pod, as when a machine dies."""
        self.stop(signal.SIGKILL)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=3)
        with contextlib.suppress(ProcessLookupError):  # stragglers: the SDK's ping process
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
