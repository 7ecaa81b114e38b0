"""The contracts layer and the registry import without the renderer's heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "cv2", "numba", "boto3", "botocore", "av", "imageio_ffmpeg", "PIL")
LIGHT_MODULES = (
    "framecast.contracts.envelope",
    "framecast.contracts.img2vid",
    "framecast.contracts.concatenate",
    "framecast.contracts.audio",
    "framecast.contracts.caption",
    "framecast.contracts.compose",
    "framecast.compose.timeline",
    "framecast.contracts.webhook",
    "framecast.contracts.upload_urls",
    "framecast.operations",
    "framecast.errors",
)


def test_contracts_and_registry_load_no_heavy_library() -> None:
    script = (
        "import importlib, json, sys\n"
        f"for name in {LIGHT_MODULES!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []


def test_the_check_sees_a_heavy_import() -> None:
    # The same check on a module that does load the renderer: it must name numpy.
    script = "import sys, framecast.render.frames; print('numpy' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True"


def test_the_api_service_loads_no_renderer() -> None:
    # Workers render in their own processes; the API's process only routes and records.
    script = (
        "import json, sys, framecast.api.app, framecast.cli\n"
        "heavy = ('numpy', 'cv2', 'numba', 'av', 'PIL', 'imageio_ffmpeg')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []
