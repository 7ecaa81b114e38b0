"""A real ``framecast serve`` process on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

API_KEY = "test-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """``framecast serve`` in a child process, with its own DATA_DIR and port."""

    def __init__(
        self, data_dir: Path, env: dict[str, str] | None = None, module: str = "framecast.cli serve"
    ) -> None:
        self.data_dir = data_dir
        self.module = module  # what runs: ``python -m <module> [args]``
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "service.log"
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "DATA_DIR": str(data_dir),
            "X_API_KEY": API_KEY,
            "FETCH_ALLOW_PRIVATE": "true",
            "FRAMECAST_ENCODER": "x264",
            "X264_PRESET": "superfast",
            **(env or {}),
        }
        self.env = {k: v for k, v in self.env.items() if v is not None}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> ServiceProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self.module.split()],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so stop() reaches the worker processes too
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited at start:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the service did not answer /health in {timeout} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def download(self, url: str, dest: Path) -> Path:
        """GET ``url`` (a path on this service or an absolute URL) into ``dest``."""
        with self.client() as client:
            response = client.get(url)
        assert response.status_code == 200, response.text
        dest.write_bytes(response.content)
        return dest

    def client(self, api_key: str | None = API_KEY, timeout: float = 120.0) -> httpx.Client:
        headers: dict[str, Any] = {"X-API-Key": api_key} if api_key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
