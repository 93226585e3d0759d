"""Depth and error maps as colour images."""
from functools import lru_cache
from typing import Optional, Sequence, Tuple

import numpy as np

INVALID_COLOR = (128, 128, 128)


@lru_cache(maxsize=16)
def colormap_lut(cmap: str) -> np.ndarray:
    """A matplotlib colormap as a (256, 3) uint8 RGB lookup table.

    Args:
        cmap (str): Any matplotlib colormap name (``'turbo'``,
            ``'Spectral_r'``, ``'magma'``, ``'viridis'``, ...).

    Returns:
        np.ndarray: (256, 3) uint8, read-only.
    """
    import matplotlib
    try:
        colormap = matplotlib.colormaps[cmap]
    except KeyError:
        raise ValueError(f'unknown colormap {cmap!r}') from None
    lut = (colormap(np.linspace(0.0, 1.0, 256))[:, :3] * 255 + 0.5)
    lut = lut.astype(np.uint8)
    lut.flags.writeable = False
    return lut


def valid_depth_mask(depth: np.ndarray,
                     invalid_mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Finite, positive pixels not in ``invalid_mask``."""
    valid = np.isfinite(depth) & (depth > 0)
    if invalid_mask is not None:
        valid &= ~np.asarray(invalid_mask, dtype=bool).reshape(depth.shape)
    return valid


def depth_range(depth: np.ndarray,
                valid: Optional[np.ndarray] = None,
                percentiles: Sequence[float] = (2, 98)) -> Tuple[float, float]:
    """A robust display range: percentiles of the valid values.

    Args:
        depth (np.ndarray): HxW values.
        valid (np.ndarray, optional): HxW bool; defaults to finite values.
        percentiles (Sequence[float]): Low and high percentile.
            Defaults to (2, 98).

    Returns:
        tuple[float, float]: ``(vmin, vmax)`` with ``vmax > vmin``;
        (0, 1) when nothing is valid.
    """
    valid = np.isfinite(depth) if valid is None else valid
    values = depth[valid]
    if values.size == 0:
        return 0.0, 1.0
    low, high = np.percentile(values, percentiles)
    if not high > low:
        high = low + max(abs(float(low)) * 1e-3, 1e-6)
    return float(low), float(high)


def colorize_depth(depth: np.ndarray,
                   vmin: Optional[float] = None,
                   vmax: Optional[float] = None,
                   cmap: str = 'turbo',
                   invalid_mask: Optional[np.ndarray] = None,
                   percentiles: Sequence[float] = (2, 98)) -> np.ndarray:
    """Maps depth to colours; invalid pixels grey.

    Values are clipped to ``[vmin, vmax]``; the low end gets the colormap's
    first colour. Non-finite, non-positive and masked pixels are grey.

    Args:
        depth (np.ndarray): HxW (or 1xHxW) depth.
        vmin (float, optional): Low end; defaults to the low percentile of
            the valid pixels.
        vmax (float, optional): High end; defaults to the high percentile.
        cmap (str): Matplotlib colormap name. Defaults to ``'turbo'``.
        invalid_mask (np.ndarray, optional): HxW bool, True where the pixel
            must be shown grey (e.g. outside the ground truth's mask).
        percentiles (Sequence[float]): Automatic range percentiles.
            Defaults to (2, 98).

    Returns:
        np.ndarray: HxWx3 uint8 RGB.
    """
    depth = np.asarray(depth, dtype=np.float32)
    depth = depth.reshape(depth.shape[-2:])
    valid = valid_depth_mask(depth, invalid_mask)
    if vmin is None or vmax is None:
        auto_min, auto_max = depth_range(depth, valid, percentiles)
        vmin = auto_min if vmin is None else vmin
        vmax = auto_max if vmax is None else vmax
    scale = 255.0 / max(float(vmax) - float(vmin), 1e-12)
    with np.errstate(invalid='ignore'):
        index = np.clip((depth - float(vmin)) * scale, 0, 255)
    index = np.nan_to_num(index, nan=0.0).astype(np.uint8)
    rgb = colormap_lut(cmap)[index]
    rgb[~valid] = INVALID_COLOR
    return rgb


def abs_rel_error_map(pred: np.ndarray,
                      gt: np.ndarray,
                      mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Per-pixel absolute relative error ``|pred - gt| / gt``.

    Args:
        pred (np.ndarray): HxW predicted depth, at the ground truth's size.
        gt (np.ndarray): HxW ground-truth depth.
        mask (np.ndarray, optional): HxW bool of trusted ground truth.

    Returns:
        np.ndarray: HxW float32, NaN where the ground truth is invalid
        (non-finite, non-positive or outside ``mask``).
    """
    pred = np.asarray(pred, dtype=np.float32).reshape(np.shape(gt)[-2:])
    gt = np.asarray(gt, dtype=np.float32).reshape(pred.shape)
    valid = np.isfinite(gt) & (gt > 0)
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool).reshape(gt.shape)
    error = np.full(gt.shape, np.nan, dtype=np.float32)
    error[valid] = np.abs(pred[valid] - gt[valid]) / gt[valid]
    return error


def colorize_error(error: np.ndarray,
                   vmax: float = 0.25,
                   cmap: str = 'inferno') -> np.ndarray:
    """Colours an error map from 0 to ``vmax``; NaN pixels grey.

    Args:
        error (np.ndarray): HxW errors (NaN = no ground truth).
        vmax (float): Error shown with the top colour. Defaults to 0.25.
        cmap (str): Colormap. Defaults to ``'inferno'``.

    Returns:
        np.ndarray: HxWx3 uint8 RGB.
    """
    error = np.asarray(error, dtype=np.float32)
    # Zero error is valid here, unlike zero depth: shift past the > 0 test.
    shown = np.where(np.isnan(error), np.nan, error + 1.0)
    return colorize_depth(shown, 1.0, 1.0 + vmax, cmap)
