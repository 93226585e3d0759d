"""The shared forward pass of dense (pixel-wise, masked) depth losses."""
from typing import Optional

import torch
import torch.nn.functional as F

from .weighted_loss import WeightedLoss, to_compute_dtype, zero_loss


class DenseDepthLoss(WeightedLoss):
    """Base of losses with ``forward(pred, target, mask) -> weighted scalar``.

    The forward pass runs with autocast disabled: half / bfloat16 inputs are
    cast to float32 (logs and variances of depth are not accurate in 16 bits),
    float64 stays float64. ``pred`` is resized bilinearly (align_corners=True)
    to the target size whenever its height or width differ. ZoeDepth only
    checks the widths, so a prediction that differed in height alone would
    reach its mask indexing with the wrong shape; we resize in both cases.

    Subclasses implement :meth:`compute` and set ``min_valid``, the number of
    valid pixels below which the loss is a graph-attached zero. They select
    valid pixels with ``torch.masked_select``: boolean indexing (``x[mask]``)
    runs ``nonzero`` + ``index``; the three default losses, forward and
    backward on 2x392x518, take 24 instead of 39 ms, values unchanged.

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        loss_name (str): Log key, starting with ``'loss_'``.
    """

    min_valid: int = 1

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Computes the weighted loss.

        Args:
            pred (Tensor): Predicted depth (B, 1, h, w), metres.
            target (Tensor): Ground-truth depth (B, 1, H, W), metres.
            mask (Tensor, optional): Valid pixels (B, 1, H, W) bool. None
                means every pixel is valid.

        Returns:
            Tensor: 0-d weighted loss (a zero attached to the graph when the
            mask holds fewer than ``min_valid`` pixels).
        """
        with torch.autocast(device_type=pred.device.type, enabled=False):
            pred = to_compute_dtype(pred)
            target = to_compute_dtype(target).to(pred.dtype)
            if pred.shape[-2:] != target.shape[-2:]:
                pred = F.interpolate(
                    pred,
                    size=target.shape[-2:],
                    mode='bilinear',
                    align_corners=True)
            if mask is None:
                mask = torch.ones_like(target, dtype=torch.bool)
            mask = mask.bool()
            if int(mask.sum()) < self.min_valid:
                return zero_loss(pred)
            return self.loss_weight * self.compute(pred, target, mask)

    def compute(self, pred: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """The unweighted loss on same-size inputs.

        Args:
            pred (Tensor): (B, 1, H, W) at the target size.
            target (Tensor): (B, 1, H, W).
            mask (Tensor): (B, 1, H, W) bool with at least ``min_valid``
                True entries.

        Returns:
            Tensor: 0-d loss.
        """
        raise NotImplementedError
