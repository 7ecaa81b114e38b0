"""framecast render: local clips, no server, same renderer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from framecast.render.probe import probe
from tests.support.media import gradient_jpeg, gradient_rgb, png_bytes


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRAMECAST_ENCODER": "x264"}
    return subprocess.run(
        [sys.executable, "-m", "framecast.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_render_writes_one_clip_per_image_named_after_it(tmp_path: Path) -> None:
    (tmp_path / "first.jpg").write_bytes(gradient_jpeg(400, 300))
    (tmp_path / "second.png").write_bytes(png_bytes(gradient_rgb(300, 400)))
    out = tmp_path / "clips"
    result = run_cli(
        "render",
        str(tmp_path / "first.jpg"),
        str(tmp_path / "second.png"),
        "--duration",
        "0.5",
        "--out",
        str(out),
        "--width",
        "160",
        "--height",
        "90",
    )
    assert result.returncode == 0, result.stderr
    for name in ("first", "second"):
        info = probe(out / f"{name}.mp4")
        assert (info.width, info.height, info.frames) == (160, 90, 12)


def test_render_reports_a_bad_image_and_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    result = run_cli("render", str(tmp_path / "bad.jpg"), "--duration", "1", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "not a readable image" in result.stderr
    assert not (tmp_path / "bad.mp4").exists()
