"""Fitting a relative-depth prediction to the ground truth before scoring.

A relative model (DA3Mono, DA-V2 relative) predicts depth, or disparity,
up to an unknown scale (and shift) per image: its metric errors only mean
something after that is fitted to the image's own ground truth, on the
pixels that are scored. This is the evaluation of a relative model, never
of a metric one: a metric model's number must be reported without it.

The fit space matters: an affine map of disparity is not an affine map of
depth. ``'least_squares'`` fits ``s * depth + t`` to the GT depth;
``'least_squares_disparity'`` fits ``s * disparity + t`` to ``1 / gt``
(MiDaS / Depth Anything's protocol for their disparity outputs) and scores
``1 / (s * disparity + t)``. A prediction in disparity
(``pred_space='disparity'``) is inverted before a depth-space fit, a depth
prediction before a disparity-space fit.
"""
from typing import Optional

import torch

from .least_squares import fit_scale_shift

#: ``None``: no fit (metric models); ``'median'``: one scale, the ratio of
#: medians in depth; ``'least_squares'``: scale and shift in depth;
#: ``'least_squares_disparity'``: scale and shift in disparity (1 / depth).
ALIGNMENTS = (None, 'median', 'least_squares', 'least_squares_disparity')
#: What a model's ``pred_depth`` holds.
PRED_SPACES = ('depth', 'disparity')
#: Fewest scored pixels an aligned image needs (fewer: skipped, counted).
MIN_ALIGN_PIXELS = 16


def check_alignment(align: Optional[str], where: str = 'align',
                    pred_space: str = 'depth') -> None:
    """Refuses an unknown alignment or prediction space, naming the
    allowed ones.

    Args:
        align (str, optional): The alignment.
        where (str): The key or flag it came from, for the message.
        pred_space (str): What the prediction holds, ``'depth'`` or
            ``'disparity'``; a disparity can only be scored aligned.
    """
    if align not in ALIGNMENTS:
        raise ValueError(f'{where}={align!r}: expected one of {ALIGNMENTS}')
    if pred_space not in PRED_SPACES:
        raise ValueError(f'pred_space={pred_space!r}: expected one of '
                         f'{PRED_SPACES}')
    if pred_space == 'disparity' and align is None:
        raise ValueError(f"pred_space='disparity' needs an alignment: set "
                         f'{where} to one of {ALIGNMENTS[1:]}')


def _inverse(values: torch.Tensor) -> torch.Tensor:
    """1 / values where positive, +inf elsewhere (beyond any depth)."""
    return torch.where(values > 0, 1 / values.clamp(min=1e-300),
                       torch.full_like(values, float('inf')))


def align_prediction(pred: torch.Tensor, gt: torch.Tensor,
                     valid: torch.Tensor, align: Optional[str],
                     pred_space: str = 'depth',
                     min_pixels: int = MIN_ALIGN_PIXELS
                     ) -> Optional[torch.Tensor]:
    """``pred`` as depth, fitted to ``gt`` on ``valid`` by ``align``.

    The fit uses the valid pixels where the prediction is finite (and,
    for a space that inverts it, positive); the result applies to every
    pixel. A disparity-space fit gives depth ``1 / (s * disp + t)``, +inf
    where that disparity is not positive (the metric's clip maps +inf to
    the evaluation maximum).

    Args:
        pred (Tensor): (H, W) prediction on the GT grid.
        gt (Tensor): (H, W) ground truth depth.
        valid (Tensor): (H, W) bool, the pixels that will be scored.
        align (str, optional): One of :data:`ALIGNMENTS`.
        pred_space (str): What ``pred`` holds, one of :data:`PRED_SPACES`.
            Defaults to ``'depth'``.
        min_pixels (int): Fewest usable pixels for a fit. Defaults to
            :data:`MIN_ALIGN_PIXELS`.

    Returns:
        Tensor | None: The aligned depth, same shape and dtype; None when
        the image is degenerate for the fit (fewer than ``min_pixels``
        usable pixels, a constant prediction, a non-positive median), so
        the caller can skip it by name.
    """
    check_alignment(align, pred_space=pred_space)
    if align is None:
        return pred
    disparity_fit = align == 'least_squares_disparity'
    if disparity_fit:
        source = pred if pred_space == 'disparity' else _inverse(pred)
        target = _inverse(gt)
    else:
        source = _inverse(pred) if pred_space == 'disparity' else pred
        target = gt
    # An inverted non-positive prediction is +inf: left out here.
    used = valid & torch.isfinite(source) & torch.isfinite(target)
    if int(used.sum()) < max(min_pixels, 2):
        return None
    p, g = source[used], target[used]
    if align == 'median':
        median = p.median()
        return None if median <= 0 else source * (g.median() / median)
    fit = fit_scale_shift(p, g)
    if fit is None:
        return None
    aligned = source * fit[0] + fit[1]
    return _inverse(aligned) if disparity_fit else aligned
