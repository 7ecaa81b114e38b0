"""Axis-aligned resampling of one image plane: scale and sub-pixel shift, bilinear, uint8."""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

from framecast.render.kernels import row_kernels

__all__ = ["PlaneMap", "PlaneWarper", "compile_kernels", "warp_direct"]

_FLAGS = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
# Samples in a band's 16-bit intermediate (64 rows of a 2400-wide canvas): with its transpose,
# ~0.6 MB, what a core's L2 holds. Narrower planes (chroma) get taller bands, fewer calls.
_BAND_SAMPLES = 64 * 2400
_TAP_BYTES = 4  # an entry of a tap array: int32 or uint32


class PlaneMap(NamedTuple):
    """Output pixel (i, j) samples the source at pixel indices (sx·i + tx, sy·j + ty)."""

    sx: float
    tx: float
    sy: float
    ty: float


def warp_direct(src: np.ndarray, m: PlaneMap, dst: np.ndarray) -> None:
    """Fill ``dst`` with ``src`` resampled by ``m``, in one ``cv2.warpAffine`` (the reference)."""
    matrix = np.array([[m.sx, 0.0, m.tx], [0.0, m.sy, m.ty]])
    size = (dst.shape[1], dst.shape[0])
    cv2.warpAffine(src, matrix, size, dst, _FLAGS, cv2.BORDER_REPLICATE)


class PlaneWarper:
    """The same resampling as :func:`warp_direct` (within one code value), several times faster.

    Two 1-D passes that each blend whole rows: vertical on the source, a transpose, vertical
    again for what was horizontal, a transpose back. The intermediate keeps 16 bits, so the
    only rounding is the final one, as in a single warp. The frame is made in bands of rows
    whose intermediates stay in the core's cache: a whole 1080p frame at once spent twice as
    long waiting on memory as computing.
    """

    def __init__(self, src: np.ndarray, width: int, height: int) -> None:
        if src.ndim != 2 or src.dtype != np.uint8:
            raise ValueError(f"the source must be one uint8 plane, got {src.dtype} {src.shape}")
        self.src = np.ascontiguousarray(src)
        self.width, self.height = width, height
        src_w = src.shape[1]
        self._band = min(height, max(8, _BAND_SAMPLES // src_w))
        # Flat buffers: each band views the part it needs as a contiguous 2-D array.
        self._vertical = np.empty(self._band * src_w, dtype=np.uint16)
        self._transposed = np.empty(self._band * src_w, dtype=np.uint16)
        self._out_t = np.empty(self._band * width, dtype=np.uint8)
        self._down = _tap_arrays(height)
        self._across = _tap_arrays(width)
        self._kernels = row_kernels()
        # The kernels take raw addresses: these buffers live as long as the warper does.
        self._src_at, self._vertical_at, self._transposed_at, self._out_t_at = (
            a.ctypes.data for a in (self.src, self._vertical, self._transposed, self._out_t)
        )
        self._down_at = tuple(a.ctypes.data for a in self._down)
        self._across_at = tuple(a.ctypes.data for a in self._across)

    def warp(self, m: PlaneMap, dst: np.ndarray) -> None:
        """Fill ``dst`` (height × width) with the source resampled by ``m``."""
        src_h, src_w = self.src.shape
        # The vertical pass only makes the columns the horizontal pass reads: a pan over a wide
        # canvas costs what its view costs, not what the canvas does.
        ends = [min(max(x, 0.0), src_w - 1.0) for x in (m.tx, m.tx + m.sx * (self.width - 1))]
        first = math.floor(min(ends))
        cols = min(src_w, math.floor(max(ends)) + 2) - first
        kernels = self._kernels
        top, bottom, weight = self._down_at
        kernels.taps(m.sy, m.ty, src_h, top, bottom, weight, self.height)
        left, right, share = self._across_at
        kernels.taps(m.sx, m.tx - first, cols, left, right, share, self.width)
        for row in range(0, self.height, self._band):
            band = min(self._band, self.height - row)
            at = row * _TAP_BYTES
            kernels.blend_rows_u8_to_u16(
                self._src_at + first, src_w, top + at, bottom + at, weight + at,
                self._vertical_at, band, cols,
            )  # fmt: skip
            vertical = self._vertical[: band * cols].reshape(band, cols)
            transposed = self._transposed[: cols * band].reshape(cols, band)
            cv2.transpose(vertical, transposed)
            kernels.blend_rows_u16_to_u8(
                self._transposed_at, band, left, right, share, self._out_t_at, self.width, band
            )
            out_t = self._out_t[: self.width * band].reshape(self.width, band)
            cv2.transpose(out_t, dst[row : row + band])


def _tap_arrays(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.empty(count, np.int32), np.empty(count, np.int32), np.empty(count, np.uint32)


def compile_kernels() -> None:
    """Load the row kernels now (~30 ms; built first, once per machine, in 1–2 s), so a
    worker's first frame doesn't wait for them."""
    row_kernels()
