"""Temporal smoothing of depth predicted frame by frame on a video.

Each new prediction ``D_t`` is aligned to the previous output ``P`` on the
static pixels (image change below ``change_threshold``, see
:mod:`da2zoe.evaluation.temporal`), then blended:
``out = w * P + (1 - w) * (s * D_t + b)`` where the pixel is static and
``out = s * D_t + b`` where it changed (the history is reset there, so
moving objects are not smeared). ``w`` is the strength (0 = off).

- ``align='scale'`` (metric depth): ``s`` is the median ratio ``P / D_t``.
  The blend then carries the previous output's global scale; to keep a
  moving camera's real depth change, the global scale itself follows an
  exponential moving average of the same strength (the output is divided
  by ``s ** (1 - w)``) instead of staying locked to the first frame.
- ``align='scale_shift'`` (relative depth, whose per-frame scale and shift
  are arbitrary): least-squares ``s, b``; the output keeps the first
  frame's affine frame.
- ``align='none'``: a plain per-pixel moving average.

A frame with too few static pixels (a cut, a fast pan), or of another size,
restarts the history.
"""
from typing import Optional

import numpy as np

from da2zoe.evaluation.temporal import (
    ALIGN_MODES,
    fit_alignment,
    gray_level,
    static_pixels,
    valid_depth,
)


class TemporalSmoother:
    """Exponential moving average of aligned depth on unchanged pixels.

    Args:
        strength (float): Weight of the history in [0, 1); 0 returns every
            prediction unchanged.
        change_threshold (float): Largest grey-level change (in [0, 1]) of
            a pixel still blended with its history. Defaults to 0.04.
        align (str): ``'scale'`` (metric), ``'scale_shift'`` (relative) or
            ``'none'``. Defaults to ``'scale'``.
        min_static_fraction (float): Below this fraction of static pixels
            the history restarts. Defaults to 0.05.
    """

    def __init__(self,
                 strength: float,
                 change_threshold: float = 0.04,
                 align: str = 'scale',
                 min_static_fraction: float = 0.05) -> None:
        if not 0.0 <= strength < 1.0:
            raise ValueError(
                f'temporal smoothing strength must be in [0, 1), got '
                f'{strength}')
        if change_threshold <= 0:
            raise ValueError('change_threshold must be > 0, got '
                             f'{change_threshold}')
        if align not in ALIGN_MODES:
            raise ValueError(
                f'align must be one of {ALIGN_MODES}, got {align!r}')
        self.strength = float(strength)
        self.change_threshold = float(change_threshold)
        self.align = align
        self.min_static_fraction = float(min_static_fraction)
        self.reset()

    def reset(self) -> None:
        """Forgets the history (call between sequences)."""
        self._prev: Optional[np.ndarray] = None
        self._prev_gray: Optional[np.ndarray] = None
        self.last_static_fraction = float('nan')

    def __call__(self, depth: np.ndarray, image: np.ndarray) -> np.ndarray:
        """Smooths one frame's depth.

        Args:
            depth (np.ndarray): HxW prediction of this frame.
            image (np.ndarray): HxWx3 uint8 frame (any channel order).

        Returns:
            np.ndarray: HxW float32 smoothed depth (``depth`` itself when
            the strength is 0).
        """
        if self.strength == 0:
            return depth
        depth = np.asarray(depth, np.float32)
        gray = gray_level(image)
        prev, prev_gray = self._prev, self._prev_gray
        self._prev_gray = gray
        if prev is None or prev.shape != depth.shape:
            self._prev = depth
            return depth
        static = (static_pixels(prev_gray, gray, self.change_threshold)
                  & valid_depth(prev) & valid_depth(depth))
        self.last_static_fraction = float(static.mean())
        if self.last_static_fraction < self.min_static_fraction:
            self._prev = depth
            return depth
        scale, shift = fit_alignment(depth, prev, static, self.align)
        w = self.strength
        aligned = scale * depth + shift
        out = np.where(static, w * prev + (1 - w) * aligned, aligned)
        if self.align == 'scale' and scale > 0:
            out = out / scale**(1 - w)
        out = out.astype(np.float32)
        self._prev = out
        return out
