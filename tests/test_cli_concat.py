"""framecast concat: local videos joined, no server, same engine and rules as the API."""

from __future__ import annotations

from pathlib import Path

from framecast.render.probe import probe
from tests.support.clips import lavfi_clip
from tests.test_cli import run_cli


def test_concat_joins_with_a_transition_and_prints_the_cuts(tmp_path: Path) -> None:
    a = lavfi_clip(tmp_path / "a.mp4", 1.0)
    b = lavfi_clip(tmp_path / "b.mp4", 1.0)
    out = tmp_path / "out" / "joined.mp4"
    result = run_cli("concat", str(a), str(b), "--transition", "fade:0.5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "reencode; cuts at 0.000, 0.500" in result.stdout
    info = probe(out)
    assert (info.width, info.height, info.frames) == (160, 90, 36)  # 24 + 24 - 12


def test_concat_of_identical_clips_copies(tmp_path: Path) -> None:
    clips = [str(lavfi_clip(tmp_path / f"{i}.mp4", 0.5)) for i in range(3)]
    result = run_cli("concat", *clips, "--out", str(tmp_path / "joined.mp4"))
    assert result.returncode == 0, result.stderr
    assert "copy; cuts at 0.000, 0.500, 1.000" in result.stdout
    assert probe(tmp_path / "joined.mp4").frames == 36


def test_concat_refuses_what_the_api_refuses_naming_the_field(tmp_path: Path) -> None:
    a = lavfi_clip(tmp_path / "a.mp4", 0.5)
    missing = run_cli("concat", str(a), str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 2
    assert "videos[1].video_url: no such file" in missing.stderr
    spin = run_cli("concat", str(a), str(a), "--transition", "spin:1", "--out", str(tmp_path / "o"))
    assert spin.returncode == 2
    assert "transition.type: must be one of none, fade" in spin.stderr
