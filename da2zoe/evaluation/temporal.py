"""Temporal consistency of depth predicted on consecutive video frames.

No optical flow is used: flow estimated on the test sequence would add its
own errors (worst on the textureless walls where depth flicker shows most),
and with a known scene the ground truth already says how the depth should
change. Instead both metrics look only at **static pixels**: pixels whose
image barely changed between two frames (grey level, 3x3 box-filtered, in
[0, 1], changed by less than ``change_threshold``) and whose depths are
valid. Such a pixel almost always shows the same surface point in both
frames, so a change of its predicted depth is either true motion or flicker.

- ``flicker`` (needs no ground truth): for every pair of consecutive frames
  ``t-1, t``, ``D_t`` is aligned to ``D_{t-1}`` on the static pixels
  (``align``: ``'scale'``, the median ratio, for metric depth;
  ``'scale_shift'``, least squares, for relative depth; or ``'none'``),
  and the metric is the mean over static pixels of
  ``|aligned D_t - D_{t-1}| / D_{t-1}``, averaged over pairs. The alignment
  absorbs the common part of the true depth change of a moving camera; what
  is left of real motion is the ground truth's own score (run the metric on
  the ground-truth depths: the floor of a sequence).
- ``flicker_gt`` (with ground truth ``G``): the same on the change that is
  NOT explained by the true change. The depth expected at ``t`` from the
  previous prediction is ``E_t = D_{t-1} * G_t / G_{t-1}``; the metric is the
  mean of ``|aligned D_t - E_t| / E_t`` over static pixels (``gt_align``,
  ``'none'`` by default, so a metric model's global scale jumps count too).
  It is exact under camera motion for pixels that see the same point, and
  zero for a perfect (or a consistently biased) predictor.

Both are 0 for a perfectly stable prediction and grow linearly with
per-frame multiplicative jitter (a jitter factor ``exp(e_t)`` per frame gives
about ``E|e_t - e_{t-1}|``).
"""
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from .least_squares import fit_scale_shift

#: Alignments of one depth map to another.
ALIGN_MODES = ('none', 'scale', 'scale_shift')


def gray_level(image: np.ndarray) -> np.ndarray:
    """Grey level in [0, 1], 3x3 box-filtered against sensor noise.

    Args:
        image (np.ndarray): HxWx3 (any channel order: the channel mean is
            used) or HxW uint8 image.

    Returns:
        np.ndarray: HxW float32.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3:
        image = image.mean(axis=2)
    return cv2.blur(image / 255.0, (3, 3))


def static_pixels(prev_gray: np.ndarray, gray: np.ndarray,
                  change_threshold: float) -> np.ndarray:
    """Pixels whose grey level changed by less than the threshold.

    Args:
        prev_gray (np.ndarray): HxW grey level of the previous frame
            (:func:`gray_level`).
        gray (np.ndarray): HxW grey level of this frame.
        change_threshold (float): Largest change in [0, 1] still static.

    Returns:
        np.ndarray: HxW bool.
    """
    return np.abs(gray - prev_gray) < change_threshold


def valid_depth(depth: np.ndarray) -> np.ndarray:
    """Finite, positive depth."""
    return np.isfinite(depth) & (depth > 0)


def fit_alignment(source: np.ndarray, target: np.ndarray,
                  mask: np.ndarray, mode: str) -> Tuple[float, float]:
    """Scale (and shift) that bring ``source`` onto ``target`` on ``mask``.

    ``'scale'`` is the median of ``target / source`` (robust to the few
    moving pixels the mask lets through); ``'scale_shift'`` is the least
    squares fit of ``s * source + b`` (falls back to ``'scale'`` when the
    masked source is constant).

    Args:
        source (np.ndarray): HxW depth to move.
        target (np.ndarray): HxW depth to match.
        mask (np.ndarray): HxW bool pixels to fit on (valid in both).
        mode (str): One of ``ALIGN_MODES``.

    Returns:
        tuple[float, float]: ``(scale, shift)``; ``(1, 0)`` for ``'none'``
        or an empty mask.
    """
    if mode not in ALIGN_MODES:
        raise ValueError(f'align must be one of {ALIGN_MODES}, got {mode!r}')
    if mode == 'none' or not mask.any():
        return 1.0, 0.0
    src = source[mask].astype(np.float64)
    dst = target[mask].astype(np.float64)
    if mode == 'scale_shift':
        fit = fit_scale_shift(src, dst)
        if fit is not None:
            return fit
    return float(np.median(dst / src)), 0.0


def _check_sequence(depths: Sequence[np.ndarray],
                    images: Sequence[np.ndarray],
                    gt_depths: Optional[Sequence[np.ndarray]]) -> None:
    if len(depths) != len(images):
        raise ValueError(f'{len(depths)} depth maps for {len(images)} images')
    if gt_depths is not None and len(gt_depths) != len(depths):
        raise ValueError(f'{len(gt_depths)} ground-truth maps for '
                         f'{len(depths)} depth maps')
    shape = np.shape(depths[0]) if len(depths) else None
    for index, depth in enumerate(depths):
        others = [np.shape(images[index])[:2]]
        if gt_depths is not None:
            others.append(np.shape(gt_depths[index]))
        if np.shape(depth) != shape or any(s != shape for s in others):
            raise ValueError(
                f'frame {index}: depth {np.shape(depth)}, image '
                f'{others[0]}' + (f', ground truth {others[1]}'
                                  if gt_depths is not None else '') +
                f' do not match the first depth map {shape}')


def temporal_flicker(depths: Sequence[np.ndarray],
                     images: Sequence[np.ndarray],
                     gt_depths: Optional[Sequence[np.ndarray]] = None,
                     change_threshold: float = 0.04,
                     align: str = 'scale',
                     gt_align: str = 'none',
                     min_pixels: int = 16) -> Dict[str, float]:
    """Flicker of one sequence of depth maps (see the module docstring).

    Args:
        depths (Sequence[np.ndarray]): HxW predicted depth per frame, in
            order.
        images (Sequence[np.ndarray]): The HxWx3 uint8 frames.
        gt_depths (Sequence[np.ndarray], optional): HxW true depth per frame
            (0 or non-finite = unknown); adds ``flicker_gt``.
        change_threshold (float): Largest grey-level change (in [0, 1]) of a
            static pixel. Defaults to 0.04 (about 10 of 255 levels).
        align (str): Alignment for ``flicker``. Defaults to ``'scale'``.
        gt_align (str): Alignment for ``flicker_gt``. Defaults to ``'none'``.
        min_pixels (int): A pair with fewer static valid pixels is skipped
            (a cut, or the whole image moved). Defaults to 16.

    Returns:
        dict[str, float]: ``flicker`` (and ``flicker_gt``), the mean
        ``static_fraction`` of the image, ``num_pairs`` used and
        ``skipped_pairs``; the metrics are NaN when no pair was usable.

    Raises:
        ValueError: If the lists' lengths or the maps' sizes disagree
            (the frame is named) or an alignment is unknown.
    """
    for mode in (align, gt_align):
        if mode not in ALIGN_MODES:
            raise ValueError(
                f'align must be one of {ALIGN_MODES}, got {mode!r}')
    _check_sequence(depths, images, gt_depths)
    flicker, flicker_gt, fractions, skipped = [], [], [], 0
    prev_gray = gray_level(images[0]) if len(images) else None
    for t in range(1, len(depths)):
        gray = gray_level(images[t])
        prev, cur = (np.asarray(depths[t - 1], np.float64),
                     np.asarray(depths[t], np.float64))
        mask = (static_pixels(prev_gray, gray, change_threshold)
                & valid_depth(prev) & valid_depth(cur))
        if gt_depths is not None:
            g0 = np.asarray(gt_depths[t - 1], np.float64)
            g1 = np.asarray(gt_depths[t], np.float64)
            mask &= valid_depth(g0) & valid_depth(g1)
        prev_gray = gray
        if mask.sum() < min_pixels:
            skipped += 1
            continue
        fractions.append(float(mask.mean()))
        scale, shift = fit_alignment(cur, prev, mask, align)
        aligned = scale * cur[mask] + shift
        flicker.append(float(np.mean(np.abs(aligned - prev[mask]) /
                                     prev[mask])))
        if gt_depths is not None:
            expected = prev * np.where(mask, g1, 1.0) / np.where(mask, g0, 1.0)
            scale, shift = fit_alignment(cur, expected, mask, gt_align)
            aligned = scale * cur[mask] + shift
            flicker_gt.append(float(np.mean(
                np.abs(aligned - expected[mask]) / expected[mask])))
    nan = float('nan')
    result = dict(
        flicker=float(np.mean(flicker)) if flicker else nan,
        static_fraction=float(np.mean(fractions)) if fractions else nan,
        num_pairs=len(flicker),
        skipped_pairs=skipped)
    if gt_depths is not None:
        result['flicker_gt'] = (float(np.mean(flicker_gt))
                                if flicker_gt else nan)
    return result
