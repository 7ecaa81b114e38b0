"""The warp's kernels: exactly their integer arithmetic, built once, kept whole, loaded without
numba."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from framecast.render import kernels
from framecast.render.kept_files import keep, private_folder
from framecast.render.warp import PlaneMap, PlaneWarper
from tests.render.test_warp import CASES, noise_plane


def taps(scale: float, offset: float, size: int, count: int) -> tuple[np.ndarray, ...]:
    """Neighbours and weights (1/256) of positions ``scale·i + offset``, clamped to the line."""
    pos = np.clip(np.arange(count) * scale + offset, 0.0, size - 1.0)
    low = np.minimum(pos.astype(np.int64), max(size - 2, 0))
    return low, np.minimum(low + 1, size - 1), np.rint((pos - low) * 256).astype(np.uint32)


def reference_warp(src: np.ndarray, m: PlaneMap, width: int, height: int) -> np.ndarray:
    """The warp's arithmetic in numpy, whole planes at once: rows ×256 in 16 bits, then
    columns, one rounding."""
    top, bottom, down = taps(m.sy, m.ty, src.shape[0], height)
    rows = src[top].astype(np.uint32) * (256 - down[:, None]) + src[bottom] * down[:, None]
    left, right, across = taps(m.sx, m.tx, src.shape[1], width)
    total = rows[:, left] * (256 - across) + rows[:, right] * across + (1 << 15)
    return (total >> 16).astype(np.uint8)


@pytest.mark.parametrize(("src_size", "out_size", "m"), CASES)
def test_the_warp_computes_exactly_its_integer_arithmetic(src_size, out_size, m):
    src = noise_plane(*src_size, seed=2)
    out = np.empty(out_size, np.uint8)
    PlaneWarper(src, out_size[1], out_size[0]).warp(m, out)
    assert np.array_equal(out, reference_warp(src, m, out_size[1], out_size[0]))


@pytest.mark.parametrize(
    ("scale", "offset", "size", "count"),
    [(1.37, -0.6, 7, 9), (0.8123, 2.25, 300, 180), (1.0, 420.7, 500, 200), (1.1, 0.3, 1, 4)],
)
def test_a_fresh_build_computes_the_taps_exactly(scale, offset, size, count):
    machine = kernels._target_machine()
    fresh = kernels._link(machine, *kernels._build(machine))
    low, high, weight = (
        np.zeros(count, np.int32),
        np.zeros(count, np.int32),
        np.zeros(count, np.uint32),
    )
    fresh.taps(scale, offset, size, low.ctypes.data, high.ctypes.data, weight.ctypes.data, count)
    expected = taps(scale, offset, size, count)
    assert all(np.array_equal(a, b) for a, b in zip((low, high, weight), expected, strict=True))


def test_a_build_is_read_back_whole(tmp_path: Path):
    symbols = dict.fromkeys(kernels._SIGNATURES, "name")
    assert kernels._write(tmp_path / "k.o", b"\x7fELF code", symbols)
    assert kernels._read(tmp_path / "k.o") == (b"\x7fELF code", symbols)


def test_a_damaged_build_is_not_used(tmp_path: Path):
    symbols = dict.fromkeys(kernels._SIGNATURES, "name")
    kernels._write(tmp_path / "k.o", b"\x7fELF code", symbols)
    data = (tmp_path / "k.o").read_bytes()
    (tmp_path / "k.o").write_bytes(data[:-1] + b"X")
    assert kernels._read(tmp_path / "k.o") is None
    (tmp_path / "k.o").write_bytes(data[:-3])
    assert kernels._read(tmp_path / "k.o") is None


def test_kept_kernels_load_without_numba():
    kernels.row_kernels()  # kept, if this checkout had no build yet
    script = (
        "import sys\n"
        "from framecast.render.kernels import row_kernels\n"
        "row_kernels()\n"
        "print('numba' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_keep_writes_the_whole_file_readable_by_all(tmp_path: Path):
    assert keep(tmp_path / "sub" / "answer.json", b"{}")
    assert (tmp_path / "sub" / "answer.json").read_bytes() == b"{}"
    assert (tmp_path / "sub" / "answer.json").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["answer.json"]  # no leftovers


def test_keep_in_a_folder_it_cannot_write_says_so(tmp_path: Path):
    (tmp_path / "file").write_text("")
    assert keep(tmp_path / "file" / "answer.json", b"{}") is False


def test_the_private_folder_is_refused_when_others_may_write_it(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    folder = private_folder()
    assert folder is not None and folder.parent == tmp_path
    assert folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o777)
    assert private_folder() is None
