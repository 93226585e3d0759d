"""A logistic ranking loss on ordinal point pairs (DA-2K style labels)."""
from typing import List

import torch
import torch.nn.functional as F

from da2zoe.registry import LOSSES
from .weighted_loss import WeightedLoss, to_compute_dtype, zero_loss


@LOSSES.register_module()
class PairRankingLoss(WeightedLoss):
    """``mean softplus(ln d1 - ln d2 + margin)`` over all pairs of a batch.

    Each pair ``(r1, c1, r2, c2)`` says point 1 is closer than point 2, so
    the loss falls as ``d1 / d2`` shrinks below ``exp(-margin)``. Working on
    log depth makes it scale invariant, so metric and relative predictions
    train alike. Depths are clamped to ``log_floor`` before the log, and the
    loss runs in float32 (float64 stays) with autocast disabled. A batch
    without pairs gives a graph-attached zero.

    Args:
        margin (float): Log-ratio margin. Defaults to 0.
        log_floor (float): Smallest depth entering the log. Defaults to 1e-6.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        loss_name (str): Log key. Defaults to ``'loss_pair_rank'``.
    """

    requires_pairs = True

    def __init__(self,
                 margin: float = 0.0,
                 log_floor: float = 1e-6,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_pair_rank'):
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        self.margin = margin
        self.log_floor = log_floor

    def forward(self, pred: torch.Tensor,
                pairs: List[torch.Tensor]) -> torch.Tensor:
        """Computes the weighted loss.

        Args:
            pred (Tensor): Predicted depth (B, 1, H, W).
            pairs (list[Tensor]): One (N_i, 4) integer tensor per image,
                ``(row1, col1, row2, col2)`` in ``pred``'s pixel grid, point 1
                being the closer.

        Returns:
            Tensor: 0-d weighted loss.
        """
        with torch.autocast(device_type=pred.device.type, enabled=False):
            pred = to_compute_dtype(pred)
            batch_idx = [
                torch.full((len(p), ), i, dtype=torch.long, device=pred.device)
                for i, p in enumerate(pairs)
            ]
            if sum(len(b) for b in batch_idx) == 0:
                return zero_loss(pred)
            b = torch.cat(batch_idx)
            rc = torch.cat([p.to(pred.device).long() for p in pairs])
            depth = pred[:, 0]
            near = depth[b, rc[:, 0], rc[:, 1]].clamp(min=self.log_floor)
            far = depth[b, rc[:, 2], rc[:, 3]].clamp(min=self.log_floor)
            loss = F.softplus(torch.log(near) - torch.log(far) + self.margin)
            return self.loss_weight * loss.mean()
