"""Position embedding for a patch grid, transformers' DINOv2 rule."""
import math

import torch
import torch.nn.functional as F
from torch import Tensor

from .pos_embed_traceable import is_exporting, pos_embed_for_grid_traceable


def pos_embed_for_grid_by_size(pos_embed: Tensor,
                               grid_size: tuple[int, int]) -> Tensor:
    """Returns the position embedding as transformers' ``Dinov2Model`` does.

    transformers (``Dinov2Embeddings.interpolate_pos_encoding``, 5.x)
    differs from the original DINOv2 (:func:`pos_embed_for_grid`): it
    resizes bicubically to the output SIZE ``(h, w)`` (align_corners=False,
    no antialias) instead of by the scale factors ``(h + 0.1) / M``, and
    always in float32, even for a float64 model (the embedding is rounded to
    float32 and back). It skips the resize only on the stored ``M x M``
    grid. Matching each source with its own rule keeps both at parity
    (``DINOv2(pos_embed_rule='transformers')`` for transformers weights).

    Args:
        pos_embed (Tensor): Stored embedding (1, 1 + M*M, D), class entry
            first.
        grid_size (tuple[int, int]): Patch grid (h, w) of the input.

    Returns:
        Tensor: (1, 1 + h*w, D), class entry unchanged and first.
    """
    side = math.isqrt(pos_embed.shape[1] - 1)
    if side * side + 1 != pos_embed.shape[1]:
        raise ValueError(f'pos_embed of shape {tuple(pos_embed.shape)} holds '
                         'no square grid after its class entry')
    if is_exporting():  # the same rule without a size-dependent branch
        return pos_embed_for_grid_traceable(pos_embed, grid_size, 0.0)
    h, w = grid_size
    if h == side and w == side:
        return pos_embed
    dims = pos_embed.shape[-1]
    patch_pos = pos_embed[:, 1:].reshape(1, side, side, dims)
    patch_pos = F.interpolate(
        patch_pos.permute(0, 3, 1, 2).to(torch.float32),
        size=(h, w),
        mode='bicubic',
        align_corners=False).to(pos_embed.dtype)
    patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(1, h * w, dims)
    return torch.cat([pos_embed[:, :1], patch_pos], dim=1)
