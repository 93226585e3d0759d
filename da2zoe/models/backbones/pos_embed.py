"""Position embedding for an arbitrary patch grid, DINOv2's exact rule."""
import math

import torch
import torch.nn.functional as F
from torch import Tensor

from .pos_embed_traceable import is_exporting, pos_embed_for_grid_traceable


def pos_embed_for_grid(pos_embed: Tensor,
                       grid_size: tuple[int, int],
                       offset: float = 0.1) -> Tensor:
    """Returns the position embedding to add to a ``grid_size`` patch grid.

    Reproduces DINOv2 (and so Depth Anything V1/V2) bit for bit in float64:
    the stored square grid of side ``M`` is used as is only when the new grid
    is ``M x M``; otherwise it is resized bicubically (align_corners=False, no
    antialias) with *scale factors* ``((h + offset) / M, (w + offset) / M)``,
    not an output size. The offset moves every sample point, so resizing even
    to ``M x M`` is not a no-op, and neither the size form nor offset 0 gives
    the same embedding. The first factor belongs to rows.

    The reference always resizes in float32. Here float64 stays float64
    (exact, what the golden ``output/*`` pins down); float32, bfloat16 and
    float16 embeddings are resized in float32 as in the reference.

    Args:
        pos_embed (Tensor): Stored embedding (1, 1 + M*M, D), class entry
            first.
        grid_size (tuple[int, int]): Patch grid (h, w) of the input.
        offset (float): DINOv2's interpolation offset. Defaults to 0.1.

    Returns:
        Tensor: (1, 1 + h*w, D), class entry unchanged and first.
    """
    h, w = grid_size
    num_patches = pos_embed.shape[1] - 1
    side = math.isqrt(num_patches)
    if side * side != num_patches:
        raise ValueError(f'pos_embed has {num_patches} patch entries, not a '
                         'square grid')
    if is_exporting():  # the same rule without a size-dependent branch
        return pos_embed_for_grid_traceable(pos_embed, grid_size, offset)
    # The reference skips the resize when the token count matches and the
    # pixel height equals the width; with 14-multiple inputs that is h == w
    # == side.
    if h == side and w == side:
        return pos_embed
    dims = pos_embed.shape[-1]
    cls_pos, patch_pos = pos_embed[:, :1], pos_embed[:, 1:]
    patch_pos = patch_pos.reshape(1, side, side, dims).permute(0, 3, 1, 2)
    dtype = torch.promote_types(pos_embed.dtype, torch.float32)
    patch_pos = F.interpolate(
        patch_pos.to(dtype),
        scale_factor=((h + offset) / side, (w + offset) / side),
        mode='bicubic',
        align_corners=False)
    patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(1, h * w, dims)
    patch_pos = patch_pos.to(pos_embed.dtype)
    return torch.cat([cls_pos, patch_pos], dim=1)
