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


def test_render_of_a_missing_file_says_no_such_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jpg"
    result = run_cli("render", str(missing), "--duration", "1", "--out", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().endswith(f"framecast: {missing}: no such file")


def test_render_of_a_url_says_to_pass_a_local_file(tmp_path: Path) -> None:
    url = "https://example.com/a.jpg"
    result = run_cli("render", url, "--duration", "1", "--out", str(tmp_path))
    assert result.returncode == 2
    assert f"framecast: {url}: pass a local file" in result.stderr
    assert "framecast submit, or POST /video/img2vid" in result.stderr


def test_render_refuses_two_images_that_would_write_one_clip(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(gradient_jpeg(64, 36))
    (tmp_path / "a.png").write_bytes(png_bytes(gradient_rgb(64, 36)))
    images = [str(tmp_path / "a.jpg"), str(tmp_path / "a.png")]
    result = run_cli("render", *images, "--duration", "1", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert f"both would be written to {tmp_path / 'out' / 'a.mp4'}" in result.stderr


def test_a_failed_clip_is_not_shown_as_a_full_progress_bar(tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    result = run_cli("render", str(tmp_path / "bad.jpg"), "--duration", "1", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "100%" not in result.stderr and "1/1" not in result.stderr
    assert "failed=1" in result.stderr


def test_render_prints_each_file_written_with_its_move(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(gradient_jpeg(64, 36))
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    out = tmp_path / "clips"
    images = [str(tmp_path / "a.jpg"), str(tmp_path / "bad.jpg")]
    result = run_cli(
        "render", *images, "--duration", "0.25", "--out", str(out), "--width", "128",
        "--height", "72", "--motion", "random",
    )  # fmt: skip
    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    assert line.startswith(f"wrote {out / 'a.mp4'} (128x72, 6 frames, ")
    assert "warning: the image is 64x36: shown at 128x72 it is enlarged" in result.stderr
