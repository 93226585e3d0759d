"""ZoeDepth's scale-invariant log loss."""
import torch

from da2zoe.registry import LOSSES
from .dense_depth_loss import DenseDepthLoss
from .weighted_loss import safe_sqrt


@LOSSES.register_module()
class SILogLoss(DenseDepthLoss):
    """Scale-invariant log loss as ZoeDepth trains with it.

    Over the valid pixels of the whole batch (not per image),
    ``g = ln(pred + eps) - ln(target + eps)`` and
    ``loss = scale * sqrt(var_unbiased(g) + beta * mean(g)^2)``.

    Differences from the reference, all invisible on valid inputs:

    - the prediction is resized when its height *or* width differs from the
      target (the reference looks at widths only);
    - fewer than two valid pixels (the unbiased variance is undefined) give a
      graph-attached zero instead of NaN;
    - predictions are clamped at 0 before the log, so ``ln(pred + eps)`` is
      finite for any output (such pixels then get no gradient);
    - the square root is 0 with a zero gradient where its argument rounds to
      ``<= 0`` (it is a sum of non-negative terms).

    Args:
        beta (float): Weight of the squared mean, i.e. how much of the global
            scale error is penalised. Defaults to 0.15.
        scale (float): Output factor. Defaults to 10.
        eps (float): Added inside both logs. Defaults to 1e-7.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        loss_name (str): Log key. Defaults to ``'loss_silog'``.
    """

    min_valid = 2

    def __init__(self,
                 beta: float = 0.15,
                 scale: float = 10.0,
                 eps: float = 1e-7,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_silog'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        self.beta = beta
        self.scale = scale
        self.eps = eps

    def compute(self, pred: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """See :meth:`DenseDepthLoss.compute`."""
        pred = torch.masked_select(pred, mask).clamp(min=0)
        target = torch.masked_select(target, mask).clamp(min=0)
        g = torch.log(pred + self.eps) - torch.log(target + self.eps)
        dg = torch.var(g) + self.beta * torch.mean(g)**2
        return self.scale * safe_sqrt(dg)
