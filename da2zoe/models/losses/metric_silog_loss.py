"""Depth Anything V2's scale-invariant log loss for metric fine-tuning."""
import torch

from da2zoe.registry import LOSSES
from .dense_depth_loss import DenseDepthLoss
from .weighted_loss import safe_sqrt


@LOSSES.register_module()
class MetricSILogLoss(DenseDepthLoss):
    """DA-V2's SiLog: ``sqrt(mean(d^2) - lambd * mean(d)^2)``.

    ``d = ln(target) - ln(pred)`` over the valid pixels of the whole batch;
    biased statistics, no epsilon and no x10, as in the reference. Both depths
    are clamped to at least ``log_floor`` so that a non-positive prediction
    (or a zero target wrongly marked valid) gives a finite log instead of
    NaN; a safe square root keeps the gradient finite when every ``d`` is
    equal to 0. One valid pixel is enough for this loss; an empty mask gives
    a graph-attached zero.

    Args:
        lambd (float): Weight of the squared mean. Defaults to 0.5.
        log_floor (float): Smallest depth entering the log. Defaults to 1e-6.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        loss_name (str): Log key. Defaults to ``'loss_metric_silog'``.
    """

    min_valid = 1

    def __init__(self,
                 lambd: float = 0.5,
                 log_floor: float = 1e-6,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_metric_silog'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        self.lambd = lambd
        self.log_floor = log_floor

    def compute(self, pred: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """See :meth:`DenseDepthLoss.compute`."""
        target = torch.masked_select(target, mask).clamp(min=self.log_floor)
        pred = torch.masked_select(pred, mask).clamp(min=self.log_floor)
        d = torch.log(target) - torch.log(pred)
        return safe_sqrt(torch.mean(d**2) - self.lambd * torch.mean(d)**2)
