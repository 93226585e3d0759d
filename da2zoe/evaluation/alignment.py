"""Fitting a relative-depth prediction to the ground truth before scoring.

A relative model (DA3Mono, DA-V2 relative) predicts depth up to an unknown
scale (and shift) per image: its metric errors only mean something after
that is fitted to the image's own ground truth, on the pixels that are
scored. This is the evaluation of a relative model, never of a metric one:
a metric model's number must be reported without it.
"""
from typing import Optional

import torch

#: ``None``: no fit (metric models); ``'median'``: one scale, the ratio of
#: medians; ``'least_squares'``: scale and shift by least squares in depth.
ALIGNMENTS = (None, 'median', 'least_squares')


def check_alignment(align: Optional[str], where: str = 'align') -> None:
    """Refuses an unknown alignment, naming the allowed ones.

    Args:
        align (str, optional): The alignment.
        where (str): The key or flag it came from, for the message.
    """
    if align not in ALIGNMENTS:
        raise ValueError(f'{where}={align!r}: expected one of {ALIGNMENTS}')


def align_prediction(pred: torch.Tensor, gt: torch.Tensor,
                     valid: torch.Tensor, align: Optional[str]
                     ) -> torch.Tensor:
    """``pred`` with the scale (and shift) that fits it to ``gt`` on ``valid``.

    The fit uses the valid pixels where the prediction is finite; the result
    applies to every pixel. With fewer than two such pixels (or a constant
    prediction for ``'least_squares'``) the prediction is returned as it is.

    Args:
        pred (Tensor): (H, W) prediction on the GT grid.
        gt (Tensor): (H, W) ground truth.
        valid (Tensor): (H, W) bool, the pixels that will be scored.
        align (str, optional): One of :data:`ALIGNMENTS`.

    Returns:
        Tensor: The aligned prediction, same shape and dtype.
    """
    check_alignment(align)
    if align is None:
        return pred
    used = valid & torch.isfinite(pred)
    p, g = pred[used], gt[used]
    if p.numel() < 2:
        return pred
    if align == 'median':
        median = p.median()
        return pred if median <= 0 else pred * (g.median() / median)
    design = torch.stack([p, torch.ones_like(p)], dim=1)
    if torch.linalg.matrix_rank(design) < 2:
        return pred
    scale, shift = torch.linalg.lstsq(design, g[:, None]).solution[:, 0]
    return pred * scale + shift
