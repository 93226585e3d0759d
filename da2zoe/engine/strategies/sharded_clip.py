"""Gradient-norm clipping over the shards of an FSDP model."""
from typing import Iterable, Optional

import torch
from torch.distributed.fsdp import FullyShardedDataParallel


class ShardedGradNormClip:
    """Stands in for ``torch.nn.utils.clip_grad_norm_`` under FSDP.

    Each rank holds a shard of every gradient, so the stock function would
    clip each shard by its own local norm (a different factor per rank).
    ``FullyShardedDataParallel.clip_grad_norm_`` reduces the norm over all
    ranks first: every rank clips by the norm of the whole gradient, as
    DDP does.

    Args:
        model (FullyShardedDataParallel): The root FSDP module.
    """

    def __init__(self, model: FullyShardedDataParallel) -> None:
        self.model = model

    def __call__(self,
                 parameters: Iterable[torch.Tensor],
                 max_norm: float,
                 norm_type: float = 2.0,
                 error_if_nonfinite: bool = False,
                 foreach: Optional[bool] = None) -> torch.Tensor:
        """Clips every gradient of the model; returns the total norm.

        Args:
            parameters (Iterable[Tensor]): Ignored: the root clips all of the
                model's gradients (the optimiser's groups hold exactly the
                parameters that have gradients).
            max_norm (float): Largest allowed total norm.
            norm_type (float): p of the p-norm. Defaults to 2.
            error_if_nonfinite (bool): Not supported by FSDP; must be False.
            foreach (bool, optional): Ignored.
        """
        if error_if_nonfinite:
            raise ValueError('clip_grad.error_if_nonfinite is not supported '
                             'under FSDP (the optimiser wrapper skips a '
                             'non-finite norm instead)')
        return self.model.clip_grad_norm_(max_norm, norm_type)
