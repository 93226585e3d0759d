"""Pure depth-error functions and the ZoeDepth evaluation protocol.

Everything here works on tensors in float64 (parity with the NumPy
references), vectorised, on the tensors' device.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from da2zoe.structures.eval_crop import CropSpec, crop_mask
from .alignment import MIN_ALIGN_PIXELS, align_prediction

#: Base of the threshold accuracies: d_k counts max(gt/pred, pred/gt) < 1.25^k.
DELTA_BASE = 1.25

#: Every name :func:`depth_errors` returns, in report order.
METRIC_NAMES = ('d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log',
                'log10', 'silog', 'silog_da2')

#: ZoeDepth reports its scale-invariant log error x100.
ZOEDEPTH_SILOG_SCALE = 100.0
#: DA-V2's silog keeps half of the squared mean log error.
DA2_SILOG_LAMBDA = 0.5


def depth_errors(pred: torch.Tensor,
                 gt: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Standard depth errors of already-selected valid pixels.

    With ``e = ln pred - ln gt``: ``silog`` is ZoeDepth's
    ``100 * sqrt(mean(e^2) - mean(e)^2)`` and ``silog_da2`` DA-V2's
    ``sqrt(mean(e^2) - 0.5 * mean(e)^2)``. Threshold accuracies use a strict
    ``<``. Square-root arguments are clamped at 0 (rounding can push an
    exactly scale-consistent prediction's variance below 0). DA-V2 rounds its
    d1..d3 through float32; these are the exact float64 ratios.

    Args:
        pred (Tensor): (N, ) positive predicted depths, N >= 1.
        gt (Tensor): (N, ) positive ground-truth depths.

    Returns:
        dict[str, Tensor]: 0-d float64 tensors keyed by :data:`METRIC_NAMES`.
    """
    pred, gt = pred.double(), gt.double()
    ratio = torch.maximum(gt / pred, pred / gt)
    diff = gt - pred
    log_err = torch.log(pred) - torch.log(gt)
    mean_sq_log = torch.mean(log_err**2)
    sq_mean_log = torch.mean(log_err)**2
    errors = {
        f'd{k}': (ratio < DELTA_BASE**k).double().mean()
        for k in (1, 2, 3)
    }
    errors.update(
        abs_rel=torch.mean(diff.abs() / gt),
        sq_rel=torch.mean(diff**2 / gt),
        rmse=torch.sqrt(torch.mean(diff**2)),
        rmse_log=torch.sqrt(mean_sq_log),
        log10=torch.mean((torch.log10(gt) - torch.log10(pred)).abs()),
        silog=ZOEDEPTH_SILOG_SCALE *
        torch.sqrt((mean_sq_log - sq_mean_log).clamp(min=0)),
        silog_da2=torch.sqrt(
            (mean_sq_log - DA2_SILOG_LAMBDA * sq_mean_log).clamp(min=0)))
    return errors


def resize_prediction(pred: torch.Tensor, height: int,
                      width: int) -> torch.Tensor:
    """Bilinear (align_corners=True) resize of an (H, W) map when needed.

    Args:
        pred (Tensor): (h, w) prediction.
        height (int): Target height.
        width (int): Target width.

    Returns:
        Tensor: (height, width); ``pred`` itself when already that size.
    """
    if pred.shape[-2:] == (height, width):
        return pred
    return F.interpolate(
        pred[None, None], size=(height, width), mode='bilinear',
        align_corners=True)[0, 0]


def clip_prediction(pred: torch.Tensor, min_depth: float,
                    max_depth: float) -> torch.Tensor:
    """ZoeDepth's clipping: into [min, max], +-inf to the max, NaN to the min.

    (-inf falls to the min in the reference because the lower clip runs
    first.) The lower bound is at least float64's machine epsilon: with
    ``min_depth = 0`` (iBims-1, SUN RGB-D) the reference would let a zero
    prediction through and report inf / NaN log errors.

    Args:
        pred (Tensor): Prediction.
        min_depth (float): Lower evaluation bound.
        max_depth (float): Upper evaluation bound.

    Returns:
        Tensor: A new clipped tensor (the input is left unchanged).
    """
    min_depth = max(min_depth, torch.finfo(torch.float64).eps)
    pred = torch.nan_to_num(pred, nan=min_depth, posinf=max_depth,
                            neginf=min_depth)
    return pred.clamp(min_depth, max_depth)


def evaluate_depth_map(
    pred: torch.Tensor,
    gt: torch.Tensor,
    min_depth: float,
    max_depth: float,
    crop: CropSpec = None,
    mask: Optional[torch.Tensor] = None,
    align: Optional[str] = None,
    pred_space: str = 'depth',
    min_align_pixels: int = MIN_ALIGN_PIXELS,
) -> Tuple[Optional[Dict[str, torch.Tensor]], int]:
    """ZoeDepth's ``compute_metrics`` protocol for one image.

    Resize the prediction to the GT grid, :func:`clip_prediction`, keep
    pixels with ``min_depth < gt < max_depth`` (strict), inside the crop (on
    the GT grid) and inside ``mask`` when given, then :func:`depth_errors`.

    Args:
        pred (Tensor): Prediction with 2-D trailing dims (..., h, w) and a
            single image.
        gt (Tensor): Ground truth (..., H, W), single image.
        min_depth (float): Lower evaluation bound.
        max_depth (float): Upper evaluation bound.
        crop (None | str | Sequence[int]): See
            :mod:`da2zoe.structures.eval_crop`.
        mask (Tensor, optional): Extra validity mask (..., H, W) bool, ANDed
            with the range and crop masks.
        align (str, optional): Fit a relative prediction to the GT on the
            valid pixels before clipping (one of
            :data:`da2zoe.evaluation.alignment.ALIGNMENTS`). Defaults to
            None (metric: no fit).
        pred_space (str): What ``pred`` holds, ``'depth'`` or
            ``'disparity'`` (relative models, aligned only).
        min_align_pixels (int): Fewest valid pixels an aligned image
            needs. Defaults to 16.

    Returns:
        tuple[dict[str, Tensor] | None, int]: Errors (None when no pixel is
        valid, or when the alignment finds the image degenerate: too few
        valid pixels or a constant prediction) and the number of valid
        pixels.
    """
    height, width = gt.shape[-2:]
    gt = gt.reshape(height, width).double()
    pred = pred.reshape(pred.shape[-2:]).double().to(gt.device)
    valid = (gt > min_depth) & (gt < max_depth)
    valid &= crop_mask(crop, height, width, device=gt.device)
    if mask is not None:
        valid &= mask.reshape(height, width).bool().to(gt.device)
    pred = resize_prediction(pred, height, width)
    n_valid = int(valid.sum())
    if n_valid == 0:
        return None, 0
    pred = align_prediction(pred, gt, valid, align, pred_space,
                            min_align_pixels)
    if pred is None:
        return None, n_valid
    pred = clip_prediction(pred, min_depth, max_depth)
    return depth_errors(pred[valid], gt[valid]), n_valid
