"""Whether h264_nvenc works here: a tiny probe encode, its answer kept while nothing can change it.

The probe is an ffmpeg start (~30 ms without a GPU, a CUDA start with one) in every process that
chooses an encoder: a short render's start-up pays it each time. Its answer is kept in this
user's private folder, keyed by the ffmpeg binary (path, size, modification time), the NVIDIA
devices present and the driver's version: a new binary, GPU or driver asks again, as does a
reboot (the folder is in the temp dir). Kept are a success and a failure where no NVIDIA device
exists; never a failure beside one (busy, out of encoder sessions: the next try may work) nor a
probe that got no answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

from framecast.errors import RenderError
from framecast.render.kept_files import keep

__all__ = ["nvenc_failure"]

ANSWERS = "encoder-probe.json"
_MOST_ANSWERS = 16  # binaries and machines remembered; the oldest are forgotten first
_PROBE_TIMEOUT = 60.0
_TAG = re.compile(r"^(\[[^\]]*\] ?)+")  # ffmpeg's "[enc:h264_nvenc @ 0x…]" line prefixes


class _Machine(NamedTuple):
    key: str  # the binary and the GPU side of this machine
    has_gpu: bool  # an NVIDIA device is present


def nvenc_failure(binary: str, folder: Path | None) -> tuple[str | None, bool]:
    """Why h264_nvenc fails with ``binary`` (None: it works), and whether that answer was kept
    from an earlier probe; ``folder`` None keeps nothing."""
    machine = _machine(binary) if folder is not None else None
    if folder is None or machine is None:
        return _probe(binary)[0], False
    answers = _answers(folder / ANSWERS)
    if machine.key in answers:
        return answers[machine.key], True
    failure, final = _probe(binary)
    if final and (failure is None or not machine.has_gpu):
        recent = dict(list(answers.items())[1 - _MOST_ANSWERS :])
        keep(folder / ANSWERS, json.dumps({**recent, machine.key: failure}).encode())
    return failure, False


def _machine(binary: str) -> _Machine | None:
    path = shutil.which(binary)  # as starting it will find it
    if path is None:
        return None
    try:
        about = os.stat(path)
    except OSError:
        return None
    devices = _nvidia_devices()
    try:
        driver = Path("/proc/driver/nvidia/version").read_text()
    except OSError:
        driver = ""
    parts = [os.path.realpath(path), about.st_size, about.st_mtime_ns, devices, driver]
    return _Machine(hashlib.sha256(json.dumps(parts).encode()).hexdigest(), bool(devices))


def _nvidia_devices() -> list[str]:
    """The NVIDIA device nodes here (``dxg``: WSL's); nvenc cannot work without one."""
    try:
        return sorted(n for n in os.listdir("/dev") if n.startswith("nvidia") or n == "dxg")
    except OSError:
        return []


def _answers(path: Path) -> dict[str, str | None]:
    try:
        answers = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(answers, dict):
        return {}
    return {k: v for k, v in answers.items() if v is None or isinstance(v, str)}


def _probe(binary: str) -> tuple[str | None, bool]:
    """Why a tiny h264_nvenc encode fails here (None: it works), and whether that is final."""
    command = [binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi"]
    command += ["-i", "color=c=black:s=256x256:r=24", "-frames:v", "3", "-c:v", "h264_nvenc"]
    command += ["-f", "null", "-"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=_PROBE_TIMEOUT, check=False)
    except OSError as exc:
        # Not an nvenc problem: no encoder at all would work, so say so now.
        raise RenderError(f"cannot run ffmpeg {binary!r}: {exc}") from exc
    except subprocess.TimeoutExpired:
        return f"no answer in {_PROBE_TIMEOUT:g} s", False
    if done.returncode == 0:
        return None, True
    # The first line is the cause ("Cannot load libcuda.so.1"); the rest are consequences.
    lines = [
        _TAG.sub("", line).strip() for line in done.stderr.decode("utf-8", "replace").splitlines()
    ]
    cause = next((line for line in lines if line), "no diagnostics")
    return f"exit {done.returncode}: {cause}", True
