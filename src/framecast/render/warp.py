"""Axis-aligned resampling of one image plane: scale and sub-pixel shift, bilinear, uint8."""

from __future__ import annotations

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
        self._packed_t = self._transposed.reshape(src_w, self._rows // 4, 4)
        self._out_t = np.empty((width, self._rows // 4, 4), dtype=np.uint8)

    def warp(self, m: PlaneMap, dst: np.ndarray) -> None:
        """Fill ``dst`` (height × width) with the source resampled by ``m``."""
        src_w = self.src.shape[1]
        rows = np.array([[1.0, 0.0, 0.0], [0.0, m.sy, m.ty]])
        cv2.warpAffine(
            self._packed_src,
            rows,
            (src_w // 4, self._rows),
            self._vertical,
            _FLAGS,
            cv2.BORDER_REPLICATE,
        )
        cv2.transpose(self._vertical.reshape(self._rows, src_w), self._transposed)
        cols = np.array([[1.0, 0.0, 0.0], [0.0, m.sx, m.tx]])
        cv2.warpAffine(
            self._packed_t,
            cols,
            (self._rows // 4, self.width),
            self._out_t,
            _FLAGS,
            cv2.BORDER_REPLICATE,
        )
        cv2.transpose(self._out_t.reshape(self.width, self._rows)[:, : self.height], dst)
