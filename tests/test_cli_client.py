"""framecast submit and framecast jobs: the command-line client against a real service."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from framecast.render.probe import probe
from tests.support.http_server import MediaServer
from tests.support.media import gradient_jpeg, gradient_rgb, png_bytes
from tests.support.service import API_KEY, ServiceProcess
from tests.test_contracts_light import HEAVY

SMALL = ("--width", "64", "--height", "36", "--fps", "8", "--duration", "1")  # 8 frames a clip


def client_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``framecast ARGS`` in a subprocess, with no FRAMECAST_URL/FRAMECAST_API_KEY unless given."""
    base = {k: v for k, v in os.environ.items() if k not in ("FRAMECAST_URL", "FRAMECAST_API_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "framecast.cli", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=120,
    )


NO_KEY = "pass --api-key KEY or set FRAMECAST_API_KEY"


def on(service: ServiceProcess) -> tuple[str, ...]:
    return ("--server", service.base_url, "--api-key", API_KEY)


def all_jobs(service: ServiceProcess) -> list[dict[str, object]]:
    with service.client() as http:
        jobs: list[dict[str, object]] = http.get("/jobs").json()["jobs"]
    return jobs


def finished(service: ServiceProcess, job_id: str) -> None:
    """Wait for the job's end on its events stream."""
    with service.client() as http, http.stream("GET", f"/jobs/{job_id}/events") as stream:
        for line in stream.iter_lines():
            if line == "event: end":
                return


def test_submit_uploads_local_files_waits_and_downloads_every_clip(
    service: ServiceProcess, media_server: MediaServer, tmp_path: Path
) -> None:
    (tmp_path / "first.png").write_bytes(png_bytes(gradient_rgb(96, 64)))
    (tmp_path / "second.png").write_bytes(png_bytes(gradient_rgb(64, 96)))
    media_server.add("/third.jpg", gradient_jpeg(80, 60))
    out = tmp_path / "clips"
    images = [str(tmp_path / "first.png"), str(tmp_path / "second.png")]
    result = client_cli(
        "submit", *images, media_server.url("/third.jpg"), *SMALL, "--wait", "--out", str(out),
        *on(service),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    clips = sorted(out.glob("*.mp4"))
    assert [clip.name for clip in clips] == ["0000-first.mp4", "0001-second.mp4", "0002-third.mp4"]
    for clip in clips:
        info = probe(clip)
        assert (info.width, info.height, info.frames) == (64, 36, 8)
        assert f"wrote {clip}" in result.stdout
    assert "3 videos" in result.stdout
    assert media_server.hits["/third.jpg"] == 1  # a URL is passed on, not uploaded


def test_submit_without_wait_prints_the_job_id_and_its_status_url(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    media_server.add("/a.jpg", gradient_jpeg(64, 36))
    result = client_cli("submit", media_server.url("/a.jpg"), *SMALL, *on(service))
    assert result.returncode == 0, result.stderr
    job_id, status_url = result.stdout.split()
    assert status_url == f"{service.base_url}/jobs/{job_id}"
    assert [job["job_id"] for job in all_jobs(service)] == [job_id]


def test_jobs_lists_a_job_with_its_progress(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    media_server.add("/a.jpg", gradient_jpeg(64, 36))
    job_id = client_cli("submit", media_server.url("/a.jpg"), *SMALL, *on(service)).stdout.split()[
        0
    ]
    finished(service, job_id)
    result = client_cli("jobs", *on(service))
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == ["ID", "OPERATION", "STATUS", "PROGRESS", "CREATED", "DURATION"]
    assert row.split()[:4] == [job_id, "img2vid", "succeeded", "1/1"]


def test_jobs_status_filter_leaves_other_jobs_out(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    media_server.add("/a.jpg", gradient_jpeg(64, 36))
    job_id = client_cli("submit", media_server.url("/a.jpg"), *SMALL, *on(service)).stdout.split()[
        0
    ]
    finished(service, job_id)
    assert job_id in client_cli("jobs", "--status", "succeeded", *on(service)).stdout
    assert job_id not in client_cli("jobs", "--status", "running", *on(service)).stdout


def test_jobs_show_lists_the_videos_of_a_job(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    media_server.add("/a.jpg", gradient_jpeg(64, 36))
    job_id = client_cli("submit", media_server.url("/a.jpg"), *SMALL, *on(service)).stdout.split()[
        0
    ]
    finished(service, job_id)
    result = client_cli("jobs", "show", job_id, *on(service))
    assert result.returncode == 0, result.stderr
    assert "status     succeeded" in result.stdout
    assert f"  a  {service.base_url}/output/{job_id}/0000-a.mp4" in result.stdout


def test_jobs_cancel_stops_a_running_job(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    media_server.add_slow("/slow.jpg", gradient_jpeg(64, 36), delay=60)
    job_id = client_cli(
        "submit", media_server.url("/slow.jpg"), *SMALL, *on(service)
    ).stdout.split()[0]
    result = client_cli("jobs", "cancel", job_id, *on(service))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"job {job_id} cancelled: the job was cancelled")
    with service.client() as http:
        assert http.get(f"/jobs/{job_id}").json()["status"] == "cancelled"


def test_the_server_and_key_come_from_the_environment(service: ServiceProcess) -> None:
    env = {"FRAMECAST_URL": service.base_url, "FRAMECAST_API_KEY": API_KEY}
    result = client_cli("jobs", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ID", "OPERATION", "STATUS", "PROGRESS", "CREATED", "DURATION"]


def test_a_flag_wins_over_the_environment(service: ServiceProcess) -> None:
    env = {"FRAMECAST_URL": "http://127.0.0.1:9", "FRAMECAST_API_KEY": "not-the-key"}
    result = client_cli("jobs", *on(service), env=env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ((), "no service given: pass --server URL or set FRAMECAST_URL"),
        (("--server", "http://127.0.0.1:9"), f"no API key given: {NO_KEY}"),
    ],
)  # fmt: skip
def test_a_missing_server_or_key_says_both_ways_to_give_it(
    given: tuple[str, ...], said: str
) -> None:
    result = client_cli("jobs", *given)
    assert result.returncode == 2
    assert result.stderr.strip() == f"framecast: {said}"


def test_a_wrong_key_prints_the_api_message(service: ServiceProcess) -> None:
    result = client_cli("jobs", "--server", service.base_url, "--api-key", "wrong-key-000")
    assert result.returncode == 2
    assert result.stderr.strip() == "framecast: X-API-Key: wrong key"


def test_a_submit_whose_answer_was_lost_is_retried_into_the_same_job(
    service: ServiceProcess, media_server: MediaServer
) -> None:
    media_server.add("/a.jpg", gradient_jpeg(64, 36))
    with AnswerLosingProxy(service.port) as proxy:
        result = client_cli(
            "submit", media_server.url("/a.jpg"), *SMALL,
            "--server", proxy.url, "--api-key", API_KEY,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert proxy.connections >= 2  # the first answer was lost: the POST was sent again
    assert [job["job_id"] for job in all_jobs(service)] == [result.stdout.split()[0]]


def test_the_client_loads_no_heavy_library() -> None:
    # The check of tests/test_contracts_light.py, on the client and its commands.
    modules = ("framecast.client", "framecast.commands.submit", "framecast.commands.jobs")
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []


class AnswerLosingProxy:
    """A TCP proxy to 127.0.0.1:``port`` that passes its first connection's request on but
    hangs up as the answer comes back; later connections pass both ways."""

    def __init__(self, port: int) -> None:
        self.upstream = port
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> AnswerLosingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            lose = self.connections == 1
            threading.Thread(target=_pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client, lose), daemon=True).start()


def _pump(source: socket.socket, dest: socket.socket, lose: bool) -> None:
    """Copy ``source`` to ``dest`` until either closes; with ``lose``, hang up both instead
    of passing the first bytes on."""
    try:
        for chunk in iter(lambda: source.recv(65536), b""):
            if lose:
                break
            dest.sendall(chunk)
    except OSError:
        pass
    for sock in (source, dest):
        sock.close()


def test_a_bad_flag_is_refused_before_any_upload(service: ServiceProcess, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes(gradient_rgb(32, 18)))
    result = client_cli(
        "submit", str(photo), "--duration", "2", "--width", "0", "--height", "64", *on(service)
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "width" in result.stderr and "uploaded" not in result.stderr
    with service.client() as http:  # nothing reached the service
        assert http.get("/jobs").json()["jobs"] == []
    assert not list((service.data_dir / "output").rglob("*.*"))
