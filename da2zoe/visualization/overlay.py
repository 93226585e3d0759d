"""Colourised depth blended over the RGB image."""
from typing import Optional

import numpy as np

from .colorize import colorize_depth, depth_range, valid_depth_mask


def overlay_depth(image_rgb: np.ndarray,
                  depth: np.ndarray,
                  alpha: float = 0.5,
                  vmin: Optional[float] = None,
                  vmax: Optional[float] = None,
                  cmap: str = 'turbo') -> np.ndarray:
    """Alpha-blends the colourised depth over the image.

    Every valid pixel is ``round(alpha * colour + (1 - alpha) * image)``
    (float64, then uint8); invalid depth (non-finite, non-positive) shows
    the image alone, so holes stay readable instead of turning grey.

    Args:
        image_rgb (np.ndarray): HxWx3 uint8 RGB, the depth's size.
        depth (np.ndarray): HxW (or 1xHxW) metres.
        alpha (float): Weight of the depth colour, in [0, 1].
            Defaults to 0.5.
        vmin (float, optional): Colour range low end; the 2nd percentile
            of the valid depth when None.
        vmax (float, optional): High end; the 98th percentile when None.
        cmap (str): Depth colormap (the toolbox's ``'turbo'``: blue near,
            red far). Defaults to ``'turbo'``.

    Returns:
        np.ndarray: HxWx3 uint8 RGB.

    Raises:
        ValueError: If ``alpha`` is outside [0, 1] or the sizes differ.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha={alpha}: expected a value in [0, 1]')
    depth = np.asarray(depth, dtype=np.float32)
    depth = depth.reshape(depth.shape[-2:])
    image = np.asarray(image_rgb)
    if image.shape[:2] != depth.shape or image.ndim != 3:
        raise ValueError(f'image {image.shape} and depth {depth.shape} '
                         'must share their height and width')
    valid = valid_depth_mask(depth)
    auto_min, auto_max = depth_range(depth, valid)
    vmin = auto_min if vmin is None else vmin
    vmax = auto_max if vmax is None else vmax
    colour = colorize_depth(depth, vmin, vmax, cmap).astype(np.float64)
    blend = alpha * colour + (1.0 - alpha) * image.astype(np.float64)
    out = image.astype(np.uint8, copy=True)
    out[valid] = np.clip(np.rint(blend[valid]), 0, 255).astype(np.uint8)
    return out
