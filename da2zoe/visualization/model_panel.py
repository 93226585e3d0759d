"""Several models' depth of one image side by side, labelled."""
from typing import Mapping, Optional

import numpy as np

from .colorbar import draw_colorbar, label_panel
from .colorize import (
    abs_rel_error_map,
    colorize_depth,
    colorize_error,
    depth_range,
    valid_depth_mask,
)
from .depth_visualizer import _fit, _to_numpy, image_to_hwc
from .error_map import ERROR_CMAP


def _shared_range(gt: Optional[np.ndarray], invalid: Optional[np.ndarray],
                  preds: Mapping[str, np.ndarray]) -> tuple:
    """One colour range: the valid GT's percentiles, else all predictions'."""
    if gt is not None and not invalid.all():
        return depth_range(gt, ~invalid)
    values = np.concatenate([p[valid_depth_mask(p)] for p in preds.values()])
    return depth_range(values, np.ones(values.shape, bool))


def model_panels(image,
                 preds: Mapping[str, np.ndarray],
                 gt_depth=None,
                 gt_mask=None,
                 cmap: str = 'turbo',
                 error_vmax: float = 0.25,
                 colorbar: bool = True) -> np.ndarray:
    """``image | GT | model 1 | model 2 | ...``, plus an error row with GT.

    Every depth panel uses one colour range (the valid GT's robust
    percentiles, else those of all predictions together), so equal depths
    have equal colours across models; each panel carries its model's name.
    With ground truth a second row holds each model's abs-rel error map
    (0 to ``error_vmax``, grey where the GT is invalid), titled with the
    image's mean abs rel, under its depth panel. Panels are drawn at the
    GT's size (the first prediction's without GT); predictions of another
    size are resized bilinearly.

    Args:
        image: (3, H, W) tensor or HxWx3 uint8 RGB.
        preds (Mapping[str, np.ndarray]): Model name -> HxW metres, in the
            order the panels are drawn.
        gt_depth: HxW (or 1xHxW) ground truth metres, optional.
        gt_mask: HxW bool of trusted ground truth, optional.
        cmap (str): Depth colormap. Defaults to ``'turbo'``.
        error_vmax (float): Abs-rel error at the top colour. Defaults to
            0.25.
        colorbar (bool): Draw the depth range on the last depth panel and
            the error scale on the last error panel. Defaults to True.

    Returns:
        np.ndarray: H x ((n + 1 + has_gt) * W) x 3 uint8 RGB (2H high with
        ground truth).

    Raises:
        ValueError: If ``preds`` is empty.
    """
    if not preds:
        raise ValueError('model_panels needs at least one prediction')
    preds = {name: _to_numpy(p).astype(np.float32) for name, p in
             preds.items()}
    preds = {name: p.reshape(p.shape[-2:]) for name, p in preds.items()}
    gt = _to_numpy(gt_depth)
    size = (gt.shape[-2:] if gt is not None else
            next(iter(preds.values())).shape)
    preds = {name: _fit(p, size) for name, p in preds.items()}
    invalid = None
    if gt is not None:
        gt = gt.astype(np.float32).reshape(size)
        mask = (np.ones(size, bool) if gt_mask is None else
                _to_numpy(gt_mask).astype(bool).reshape(size))
        invalid = ~valid_depth_mask(gt, ~mask)
    vmin, vmax = _shared_range(gt, invalid, preds)
    top = [label_panel(_fit(image_to_hwc(image), size), 'image')]
    if gt is not None:
        top.append(label_panel(
            colorize_depth(gt, vmin, vmax, cmap, invalid), 'GT'))
    bottom = [np.zeros_like(top[0]) for _ in top]
    names = list(preds)
    for name in names:
        shown = colorize_depth(preds[name], vmin, vmax, cmap)
        if colorbar and name == names[-1]:
            shown = draw_colorbar(shown, vmin, vmax, cmap)
        top.append(label_panel(shown, name))
        if gt is None:
            continue
        error = abs_rel_error_map(preds[name], gt, ~invalid)
        mean = float(np.nanmean(error)) if not invalid.all() else np.nan
        shown = colorize_error(error, error_vmax, ERROR_CMAP)
        if colorbar and name == names[-1]:
            shown = draw_colorbar(shown, 0.0, error_vmax, ERROR_CMAP, '')
        bottom.append(label_panel(shown, f'{name} abs rel {mean:.3f}'))
    rows = [np.concatenate(top, axis=1)]
    if gt is not None:
        rows.append(np.concatenate(bottom, axis=1))
    return np.concatenate(rows, axis=0)
