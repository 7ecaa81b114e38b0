"""framecast compose: the API's compose spec rendered from local files, no server."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from framecast.render.probe import probe, probe_media
from tests.support.clips import lavfi_audio, lavfi_clip
from tests.test_cli import run_cli


def spec_folder(tmp_path: Path) -> Path:
    Image.fromarray(np.full((300, 200, 3), (200, 50, 50), np.uint8)).save(tmp_path / "a.png")
    lavfi_audio(tmp_path / "voice.mp3", 1.0, 440)
    lavfi_clip(tmp_path / "clip.mp4", 2.0, 160, 90, fps=25)
    spec = {
        "width": 180,
        "height": 320,
        "fps": 24,
        "scenes": [
            {
                "image_url": "a.png",
                "narration_url": "voice.mp3",
                "words": [{"word": "Hi", "start": 0.1, "end": 0.5}],
            },
            {"video_url": "clip.mp4", "transition": {"type": "slideleft", "duration": 0.25}},
        ],
        "pad": 0.2,
        "tail": 0.0,
        "captions": {"style": {"preset": "classic"}},
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    return tmp_path


def test_compose_renders_a_spec_of_local_files(tmp_path: Path) -> None:
    folder = spec_folder(tmp_path)
    out = tmp_path / "made" / "video.mp4"
    result = run_cli("compose", str(folder / "spec.json"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    # 1.0 s of narration + 0.2 pad, then the 2 s clip coming in over its last 0.25 s.
    frames = round((1.2 + 2.0 - 0.25) * 24)
    assert f"{frames} frames, 2 scenes, 1 segment, 1 encode" in result.stdout
    assert "scene 1: starts 0.958 s" in result.stdout
    assert probe(out).frames == frames and probe_media(out).audio is not None
    timeline = json.loads((out.parent / "video.timeline.json").read_text())
    assert timeline["scenes"][0]["narration_seconds"] > 0.99
    assert (out.parent / "video.captions.srt").read_text().count("Hi") == 1


def test_compose_dry_run_prints_the_timeline_and_renders_nothing(tmp_path: Path) -> None:
    folder = spec_folder(tmp_path)
    out = tmp_path / "video.mp4"
    result = run_cli("compose", str(folder / "spec.json"), "--out", str(out), "--dry-run")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["timeline"]["frames"] == round((1.2 + 2.0 - 0.25) * 24)
    assert shown["pages"] == 1 and not out.exists()


def test_compose_names_a_missing_file_by_its_field(tmp_path: Path) -> None:
    folder = spec_folder(tmp_path)
    spec = json.loads((folder / "spec.json").read_text())
    spec["scenes"][1]["video_url"] = "gone.mp4"
    (folder / "spec.json").write_text(json.dumps(spec))
    result = run_cli("compose", str(folder / "spec.json"), "--out", str(tmp_path / "o.mp4"))
    assert result.returncode == 2
    assert "scenes[1].video_url: no such file" in result.stderr
