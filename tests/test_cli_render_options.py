"""framecast render's motion and output flags: the same options as the API, checked the same way."""

from __future__ import annotations

from pathlib import Path

from framecast.render.probe import probe
from tests.support.media import gradient_jpeg
from tests.test_cli import run_cli


def test_motion_fit_and_size_flags_render(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(gradient_jpeg(300, 400))
    out = tmp_path / "clips"
    result = run_cli(
        "render",
        str(tmp_path / "a.jpg"),
        "--duration",
        "0.25",
        "--out",
        str(out),
        "--width",
        "160",
        "--height",
        "90",
        "--fps",
        "12",
        "--motion",
        "random",
        "--motions",
        "pan_up,pan_down",
        "--seed",
        "4",
        "--fit",
        "contain",
        "--background",
        "#102030",
    )
    assert result.returncode == 0, result.stderr
    info = probe(out / "a.mp4")
    assert (info.width, info.height, info.fps, info.frames) == (160, 90, 12.0, 3)


def test_aspect_preset_sets_the_size(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(gradient_jpeg(400, 300))
    result = run_cli(
        "render",
        str(tmp_path / "a.jpg"),
        "--duration",
        "0.05",
        "--out",
        str(tmp_path),
        "--aspect",
        "1:1",
        "--start",
        "0,0,0.5,0.5",
        "--end",
        "0.5,0.5,0.5,0.5",
    )
    assert result.returncode == 0, result.stderr
    assert (probe(tmp_path / "a.mp4").width, probe(tmp_path / "a.mp4").height) == (1080, 1080)


def test_bad_flags_name_the_option_and_what_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(gradient_jpeg(64, 48))
    spin = run_cli("render", str(tmp_path / "a.jpg"), "--duration", "1", "--motion", "spin")
    assert spin.returncode == 2
    assert "motion: must be one of zoom_in, zoom_out" in spin.stderr
    (tmp_path / "wide.jpg").write_bytes(gradient_jpeg(64, 36))  # 16:9: no room to pan up
    flat = run_cli(
        "render", str(tmp_path / "wide.jpg"), "--duration", "0.05", "--motion", "pan_up",
        "--zoom", "1", "--out", str(tmp_path),
    )  # fmt: skip
    assert flat.returncode == 1 and "pan_up at zoom 1 has no room to move" in flat.stderr
    both = run_cli(
        "render", str(tmp_path / "a.jpg"), "--duration", "1", "--aspect", "9:16", "--width", "640"
    )
    assert both.returncode == 2 and "--aspect" in both.stderr
