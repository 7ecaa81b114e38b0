"""What the command line loads: the light commands none of the heavy libraries, a render no
numba (its kernels run from their kept build) and no HTTP client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from framecast.render.warp import compile_kernels
from tests.support.media import gradient_jpeg

HEAVY = ("numpy", "cv2", "numba", "httpx", "PIL", "llvmlite", "pydantic")


def loaded_by(*argv: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after ``framecast argv…`` returns."""
    script = (
        "import json, sys\n"
        "from framecast.cli import main\n"
        "try:\n"
        f"    code = main({list(argv)!r})\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "assert code in (0, None), code\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    env = {**os.environ, "FRAMECAST_ENCODER": "x264"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize("argv", [["--help"], ["serve", "--help"], ["render", "--help"]])
def test_help_loads_none_of_the_heavy_libraries(argv: list[str]) -> None:
    assert loaded_by(*argv) == []


def test_a_render_loads_neither_numba_nor_an_http_client(tmp_path: Path) -> None:
    compile_kernels()  # the kept build a user's first render leaves behind
    (tmp_path / "a.jpg").write_bytes(gradient_jpeg(320, 240))
    argv = ["render", str(tmp_path / "a.jpg"), "--duration", "0.25", "--out", str(tmp_path)]
    loaded = loaded_by(*argv, "--width", "160", "--height", "90")
    assert "numpy" in loaded  # the check sees what a render does load
    assert "numba" not in loaded
    assert "httpx" not in loaded
    assert (tmp_path / "a.mp4").exists()
