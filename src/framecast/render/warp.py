"""Axis-aligned resampling of one image plane: scale and sub-pixel shift, bilinear, uint8."""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

__all__ = ["PlaneMap", "PlaneWarper", "warp_direct"]

_FLAGS = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP


class PlaneMap(NamedTuple):
    """Output pixel (i, j) samples the source at pixel indices (sx·i + tx, sy·j + ty)."""

    sx: float
    tx: float
    sy: float
    ty: float


def warp_direct(src: np.ndarray, m: PlaneMap, dst: np.ndarray) -> None:
    """Fill ``dst`` with ``src`` resampled by ``m``, in one ``cv2.warpAffine``."""
    matrix = np.array([[m.sx, 0.0, m.tx], [0.0, m.sy, m.ty]])
    size = (dst.shape[1], dst.shape[0])
    cv2.warpAffine(src, matrix, size, dst, _FLAGS, cv2.BORDER_REPLICATE)


class PlaneWarper:
    """The same resampling as :func:`warp_direct`, done as two 1-D passes at a third of the cost.

    warpAffine's cost is per output position, nearly regardless of channels, so each pass
    resamples a plane viewed as 4-channel (four neighbouring columns per position) along its
    other axis: vertical on the source, then, after a cheap transpose, vertical again for what
    was horizontal. Both passes use the same fixed-point bilinear as warpAffine; the only extra
    cost in precision is rounding the intermediate to uint8.
    """

    def __init__(self, src: np.ndarray, width: int, height: int) -> None:
        src_h, src_w = src.shape
        if src_w % 4:
            raise ValueError(f"the source plane's width must be a multiple of 4, got {src_w}")
        self.src, self.width, self.height = src, width, height
        self._rows = -(-height // 4) * 4  # the intermediate's height, padded to whole groups of 4
        self._packed_src = src.reshape(src_h, src_w // 4, 4)
        self._vertical = np.empty((self._rows, src_w // 4, 4), dtype=np.uint8)
        self._transposed = np.empty((src_w, self._rows), dtype=np.uint8)
        self._out_t = np.empty((width, self._rows // 4, 4), dtype=np.uint8)

    def warp(self, m: PlaneMap, dst: np.ndarray) -> None:
        """Fill ``dst`` (height × width) with the source resampled by ``m``."""
        # The vertical pass only needs the source columns the horizontal pass will read (plus
        # one either side for bilinear), in whole groups of 4: a pan over a wide canvas costs
        # what its view costs, not what the canvas does.
        src_w = self.src.shape[1]
        first = max(0, math.floor(min(m.tx, m.tx + m.sx * (self.width - 1))) - 1) // 4 * 4
        last = math.ceil(max(m.tx, m.tx + m.sx * (self.width - 1))) + 2
        last = min(src_w, -(-last // 4) * 4)
        if last <= first:  # the view lies wholly past an edge: replicate that edge column
            first, last = (src_w - 4, src_w) if first >= src_w else (0, 4)
        cols_used = last - first
        vertical = self._vertical[:, : cols_used // 4]
        rows = np.array([[1.0, 0.0, 0.0], [0.0, m.sy, m.ty]])
        cv2.warpAffine(
            self._packed_src[:, first // 4 : last // 4],
            rows,
            (cols_used // 4, self._rows),
            vertical,
            _FLAGS,
            cv2.BORDER_REPLICATE,
        )
        transposed = self._transposed[:cols_used]
        cv2.transpose(vertical.reshape(self._rows, cols_used), transposed)
        cols = np.array([[1.0, 0.0, 0.0], [0.0, m.sx, m.tx - first]])
        cv2.warpAffine(
            transposed.reshape(cols_used, self._rows // 4, 4),
            cols,
            (self._rows // 4, self.width),
            self._out_t,
            _FLAGS,
            cv2.BORDER_REPLICATE,
        )
        cv2.transpose(self._out_t.reshape(self.width, self._rows)[:, : self.height], dst)
