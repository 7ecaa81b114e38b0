"""Axis-aligned resampling of one image plane: scale and sub-pixel shift, bilinear, uint8."""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numba
import numpy as np

__all__ = ["PlaneMap", "PlaneWarper", "compile_kernels", "warp_direct"]

_FLAGS = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
# Bilinear weights in 1/256 of a pixel: positions land within 1/512 px of where they should
# (warpAffine's own tables are 1/32 px), and both passes stay in exact integer arithmetic.
_WEIGHT_BITS = 8
_ONE = 1 << _WEIGHT_BITS
# Samples in a band's 16-bit intermediate (64 rows of a 2400-wide canvas): with its transpose,
# ~0.6 MB, what a core's L2 holds. Narrower planes (chroma) get taller bands, fewer calls.
_BAND_SAMPLES = 64 * 2400


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


# The two row passes. Each output row blends two whole source rows with one weight: contiguous
# loads and stores that LLVM vectorises, 0.1–0.3 ns a sample, where warpAffine spends ~3 ns
# working out every pixel's own coordinates. nogil: the frame writer thread runs meanwhile.
@numba.njit(cache=True, nogil=True, boundscheck=False)
def _blend_rows_u8_to_u16(
    src: np.ndarray, first: int, top: np.ndarray, bottom: np.ndarray, weight: np.ndarray,
    out: np.ndarray,
) -> None:  # fmt: skip
    """out[j] = src[top[j]]·(256 − w) + src[bottom[j]]·w over columns first… (kept ×256)."""
    cols = out.shape[1]
    for j in range(out.shape[0]):
        w = np.uint32(weight[j])
        rest = np.uint32(_ONE) - w
        a = src[top[j], first : first + cols]
        b = src[bottom[j], first : first + cols]
        row = out[j]
        for c in range(cols):
            row[c] = np.uint16(np.uint32(a[c]) * rest + np.uint32(b[c]) * w)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _blend_rows_u16_to_u8(
    src: np.ndarray, top: np.ndarray, bottom: np.ndarray, weight: np.ndarray, out: np.ndarray
) -> None:
    """The second pass: blends rows of the ×256 intermediate and rounds once, to uint8."""
    cols = out.shape[1]
    half = np.uint32(1 << (2 * _WEIGHT_BITS - 1))
    for j in range(out.shape[0]):
        w = np.uint32(weight[j])
        rest = np.uint32(_ONE) - w
        a = src[top[j]]
        b = src[bottom[j]]
        row = out[j]
        for c in range(cols):
            total = np.uint32(a[c]) * rest + np.uint32(b[c]) * w + half
            row[c] = np.uint8(total >> np.uint32(2 * _WEIGHT_BITS))


@numba.njit(cache=True, nogil=True)
def _taps(
    scale: float, offset: float, size: int, low: np.ndarray, high: np.ndarray, weight: np.ndarray
) -> None:
    """For positions ``scale·i + offset`` in a line of ``size`` samples: the two neighbours and
    the weight of the second, in 1/256. Positions past an end take the end sample (a
    replicated border, as ``warp_direct``'s)."""
    for i in range(low.shape[0]):
        pos = min(max(scale * i + offset, 0.0), size - 1.0)
        first = min(int(pos), max(size - 2, 0))
        low[i] = first
        high[i] = min(first + 1, size - 1)
        weight[i] = np.uint32(round((pos - first) * _ONE))


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

    def warp(self, m: PlaneMap, dst: np.ndarray) -> None:
        """Fill ``dst`` (height × width) with the source resampled by ``m``."""
        src_h, src_w = self.src.shape
        # The vertical pass only makes the columns the horizontal pass reads: a pan over a wide
        # canvas costs what its view costs, not what the canvas does.
        ends = [min(max(x, 0.0), src_w - 1.0) for x in (m.tx, m.tx + m.sx * (self.width - 1))]
        first = math.floor(min(ends))
        cols = min(src_w, math.floor(max(ends)) + 2) - first
        top, bottom, weight = self._down
        _taps(m.sy, m.ty, src_h, top, bottom, weight)
        left, right, share = self._across
        _taps(m.sx, m.tx - first, cols, left, right, share)
        for row in range(0, self.height, self._band):
            rows = slice(row, row + self._band)
            band = min(self._band, self.height - row)
            vertical = self._vertical[: band * cols].reshape(band, cols)
            _blend_rows_u8_to_u16(self.src, first, top[rows], bottom[rows], weight[rows], vertical)
            transposed = self._transposed[: cols * band].reshape(cols, band)
            cv2.transpose(vertical, transposed)
            out_t = self._out_t[: self.width * band].reshape(self.width, band)
            _blend_rows_u16_to_u8(transposed, left, right, share, out_t)
            cv2.transpose(out_t, dst[rows])


def _tap_arrays(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.empty(count, np.int32), np.empty(count, np.int32), np.empty(count, np.uint32)


def compile_kernels() -> None:
    """Compile the row kernels now (or load them from numba's on-disk cache: ~0.4 s, against
    ~1 s to compile), so a worker's first frame doesn't pay for it."""
    PlaneWarper(np.zeros((2, 2), np.uint8), 2, 2).warp(
        PlaneMap(1.0, 0.0, 1.0, 0.0), np.empty((2, 2), np.uint8)
    )
