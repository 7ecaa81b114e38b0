"""The nvenc probe's answer: kept per binary and machine, only where it cannot change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framecast.render import encoder_probe
from framecast.render.encoder_probe import ANSWERS, nvenc_failure


def fake_ffmpeg(folder: Path, name: str, script: str) -> tuple[str, Path]:
    """An executable standing in for ffmpeg, and the file counting how often it ran."""
    runs = folder / f"{name}.runs"
    binary = folder / name
    binary.write_text(f"#!/bin/sh\necho run >> '{runs}'\n{script}\n")
    binary.chmod(0o755)
    return str(binary), runs


def runs(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder_probe, "_nvidia_devices", list)


@pytest.fixture
def gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder_probe, "_nvidia_devices", lambda: ["nvidia0", "nvidiactl"])


def test_a_failure_without_a_gpu_is_probed_once_then_kept(tmp_path: Path, no_gpu: None) -> None:
    binary, counter = fake_ffmpeg(tmp_path, "ffmpeg", "echo 'Cannot load libcuda.so.1' >&2; exit 1")
    first = nvenc_failure(binary, tmp_path)
    second = nvenc_failure(binary, tmp_path)
    assert first == ("exit 1: Cannot load libcuda.so.1", False)
    assert second == ("exit 1: Cannot load libcuda.so.1", True)
    assert runs(counter) == 1


def test_a_success_is_kept(tmp_path: Path, gpu: None) -> None:
    binary, counter = fake_ffmpeg(tmp_path, "ffmpeg", "exit 0")
    assert nvenc_failure(binary, tmp_path) == (None, False)
    assert nvenc_failure(binary, tmp_path) == (None, True)
    assert runs(counter) == 1


def test_a_failure_beside_a_gpu_is_asked_again(tmp_path: Path, gpu: None) -> None:
    binary, counter = fake_ffmpeg(
        tmp_path, "ffmpeg", "echo 'OpenEncodeSessionEx failed' >&2; exit 1"
    )
    nvenc_failure(binary, tmp_path)
    assert nvenc_failure(binary, tmp_path) == ("exit 1: OpenEncodeSessionEx failed", False)
    assert runs(counter) == 2


def test_a_probe_without_an_answer_is_asked_again(tmp_path, no_gpu, monkeypatch) -> None:
    monkeypatch.setattr(encoder_probe, "_PROBE_TIMEOUT", 0.2)
    binary, counter = fake_ffmpeg(tmp_path, "ffmpeg", "exec sleep 5")
    assert nvenc_failure(binary, tmp_path) == ("no answer in 0.2 s", False)
    nvenc_failure(binary, tmp_path)
    assert runs(counter) == 2


def test_another_binary_or_a_new_gpu_asks_again(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(encoder_probe, "_nvidia_devices", list)
    one, one_runs = fake_ffmpeg(tmp_path, "one", "exit 1")
    other, other_runs = fake_ffmpeg(tmp_path, "other", "exit 1")
    nvenc_failure(one, tmp_path)
    nvenc_failure(other, tmp_path)
    monkeypatch.setattr(encoder_probe, "_nvidia_devices", lambda: ["nvidia0"])
    nvenc_failure(one, tmp_path)
    assert (runs(one_runs), runs(other_runs)) == (2, 1)


def test_a_changed_binary_asks_again(tmp_path: Path, no_gpu: None) -> None:
    binary, counter = fake_ffmpeg(tmp_path, "ffmpeg", "exit 1")
    nvenc_failure(binary, tmp_path)
    Path(binary).write_text(Path(binary).read_text() + "# a new build\n")
    nvenc_failure(binary, tmp_path)
    assert runs(counter) == 2


def test_no_folder_keeps_nothing(tmp_path: Path, no_gpu: None) -> None:
    binary, counter = fake_ffmpeg(tmp_path, "ffmpeg", "exit 1")
    nvenc_failure(binary, None)
    nvenc_failure(binary, None)
    assert runs(counter) == 2
    assert not (tmp_path / ANSWERS).exists()


def test_unreadable_answers_are_asked_again(tmp_path: Path, no_gpu: None) -> None:
    binary, counter = fake_ffmpeg(tmp_path, "ffmpeg", "exit 1")
    (tmp_path / ANSWERS).write_text("{not json")
    assert nvenc_failure(binary, tmp_path)[1] is False
    assert json.loads((tmp_path / ANSWERS).read_text())  # replaced by a sound file
    assert runs(counter) == 1
