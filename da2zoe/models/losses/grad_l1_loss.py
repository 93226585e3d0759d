"""ZoeDepth's gradient-matching loss."""
from typing import Tuple

import torch
import torch.nn.functional as F

from da2zoe.registry import LOSSES
from .dense_depth_loss import DenseDepthLoss
from .weighted_loss import zero_loss


def forward_differences(
        x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Horizontal and vertical differences anchored at ``x[..., 1:, 1:]``.

    Args:
        x (Tensor): (..., H, W).

    Returns:
        tuple[Tensor, Tensor]: ``dx``, ``dy``, each (..., H-1, W-1).
    """
    dx = x[..., 1:, 1:] - x[..., 1:, :-1]
    dy = x[..., 1:, 1:] - x[..., :-1, 1:]
    return dx, dy


@LOSSES.register_module()
class GradL1Loss(DenseDepthLoss):
    """L1 between gradient magnitudes and angles of prediction and target.

    As ZoeDepth: on raw depth, magnitude ``dx^2 + dy^2`` (no square root),
    angle ``atan(dy / (dx + eps))`` (the ratio's arctangent, not ``atan2``);
    a difference counts when the pixel and its left and upper neighbours are
    all valid; ``loss = mean|mag_p - mag_t| + mean|ang_p - ang_t|``. The
    differences are selected with that mask *before* the magnitude and angle
    are formed, which changes nothing for valid pixels but keeps garbage
    outside the mask from reaching the gradient. ``mask=None`` means all
    valid (the reference requires a mask).

    Args:
        eps (float): Added to ``dx`` in the angle. Defaults to 1e-10.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        loss_name (str): Log key. Defaults to ``'loss_grad'``.
    """

    def __init__(self,
                 eps: float = 1e-10,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_grad'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        self.eps = eps

    def compute(self, pred: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """See :meth:`DenseDepthLoss.compute`."""
        mask = mask[..., 1:, 1:] & mask[..., 1:, :-1] & mask[..., :-1, 1:]
        if not mask.any():
            return zero_loss(pred)
        mag_p, ang_p = self._magnitude_angle(pred, mask)
        mag_t, ang_t = self._magnitude_angle(target, mask)
        return F.l1_loss(mag_p, mag_t) + F.l1_loss(ang_p, ang_t)

    def _magnitude_angle(
            self, x: torch.Tensor,
            mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        dx, dy = forward_differences(x)
        dx, dy = torch.masked_select(dx, mask), torch.masked_select(dy, mask)
        return dx**2 + dy**2, torch.atan(dy / (dx + self.eps))
