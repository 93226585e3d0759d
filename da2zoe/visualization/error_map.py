"""The abs-rel error against ground truth as a picture with its scale."""
from typing import Optional

import numpy as np

from .colorbar import draw_colorbar
from .colorize import abs_rel_error_map, colorize_error

ERROR_CMAP = 'inferno'


def error_map_picture(pred: np.ndarray,
                      gt: np.ndarray,
                      mask: Optional[np.ndarray] = None,
                      vmax: float = 0.25,
                      cmap: str = ERROR_CMAP,
                      colorbar: bool = True) -> np.ndarray:
    """Per-pixel ``|pred - gt| / gt`` coloured from 0 to ``vmax``.

    Zero error is the colormap's first colour (inferno: black), errors of
    ``vmax`` or more its last; pixels without ground truth (non-finite,
    non-positive or outside ``mask``) are grey, a colour inferno never
    takes. The bar at the right edge shows the 0-``vmax`` scale.

    Args:
        pred (np.ndarray): HxW predicted metres, at the ground truth's size.
        gt (np.ndarray): HxW ground-truth metres.
        mask (np.ndarray, optional): HxW bool of trusted ground truth.
        vmax (float): Error at the top colour. Defaults to 0.25.
        cmap (str): Error colormap. Defaults to ``'inferno'`` (the one the
            evaluation panels use).
        colorbar (bool): Draw the scale. Defaults to True.

    Returns:
        np.ndarray: HxWx3 uint8 RGB.

    Raises:
        ValueError: If the sizes differ or ``vmax`` is not positive.
    """
    if not vmax > 0:
        raise ValueError(f'vmax={vmax}: must be > 0')
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape[-2:] != gt.shape[-2:]:
        raise ValueError(f'prediction {pred.shape[-2:]} and ground truth '
                         f'{gt.shape[-2:]} must have the same size')
    picture = colorize_error(abs_rel_error_map(pred, gt, mask), vmax, cmap)
    if colorbar:
        picture = draw_colorbar(picture, 0.0, vmax, cmap, unit='')
    return picture
