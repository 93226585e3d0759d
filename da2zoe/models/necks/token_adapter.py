"""ViT token maps -> a feature pyramid at true strides of the input."""
import math
from collections.abc import Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from da2zoe.registry import NECKS
from .stride_resample import resample_to_stride, stride_grid_size


def token_maps(features: Sequence) -> list[Tensor]:
    """Patch maps of backbone levels given as ``(patch_map, cls_token)``
    pairs (or as bare maps)."""
    return [f[0] if isinstance(f, (tuple, list)) else f for f in features]


@NECKS.register_module()
class TokenAdapter(BaseModule):
    """Turns ViT token maps into a pyramid at strides 8, 16, 32 of the input.

    Geometry: the input is H x W with H, W multiples of ``patch_size`` (14),
    so the tokens form a stride-14 grid of H/14 x W/14 cells. The output
    level of stride s is the grid of ceil(H/s) x ceil(W/s) cells, cell i
    covering input pixels [s i, s (i + 1)) (the last cell may overhang the
    image). This holds for every input size, e.g. 392x518 -> 49x65, 25x33,
    13x17 and 518x686 -> 65x86, 33x43, 17x22.

    Resampling: each output level concatenates its chosen backbone levels
    (``in_indices``) and mixes them with a learned 1x1 conv at token
    resolution (cheap: before any upsampling), then resamples the result
    from the stride-14 grid to the stride-s grid with separable linear
    weights whose scale is exactly s / 14, cell centres aligned (half-pixel
    convention): bilinear interpolation when upsampling (s < 14) and a
    triangle (antialiased bilinear) filter s / 14 tokens wide when
    downsampling, so every token contributes (see
    :func:`~da2zoe.models.necks.stride_resample.linear_resample_matrix`).
    With ``learned_upsample`` the levels finer than the patch first go
    through a transposed conv (kernel = stride = ceil(14 / s), e.g. 14 -> 7
    for s = 8, as DPT does) and are then resampled from that stride.
    Class tokens are not used.

    Args:
        in_channels (int): Token channels D of the backbone.
            Defaults to 384 (vits).
        out_channels (int | Sequence[int]): Channels per output level (one
            int for all). Defaults to 128.
        strides (Sequence[int]): Output strides, finest first.
            Defaults to (8, 16, 32).
        in_indices (Sequence[Sequence[int]]): Backbone levels mixed into
            each output level. The default gives the two shallowest of 4
            levels to stride 8 and the deeper ones to 16 and 32.
            Defaults to ((0, 1), (2,), (3,)).
        patch_size (int): Token stride. Defaults to 14.
        learned_upsample (bool): Transposed-conv upsampling of levels finer
            than the patch before resampling. Defaults to False.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 384,
                 out_channels: int | Sequence[int] = 128,
                 strides: Sequence[int] = (8, 16, 32),
                 in_indices: Sequence[Sequence[int]] = ((0, 1), (2, ), (3, )),
                 patch_size: int = 14,
                 learned_upsample: bool = False,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(out_channels, int):
            out_channels = [out_channels] * len(strides)
        if not len(out_channels) == len(in_indices) == len(strides):
            raise ValueError(
                'out_channels, in_indices and strides need one entry per '
                f'output level, got {len(out_channels)}, {len(in_indices)} '
                f'and {len(strides)}')
        if list(strides) != sorted(strides):
            raise ValueError(f'strides must be finest first, got {strides}')
        self.out_channels = list(out_channels)
        self.strides = list(strides)
        self.in_indices = [tuple(idx) for idx in in_indices]
        self.patch_size = patch_size
        self.projections = nn.ModuleList(
            nn.Conv2d(in_channels * len(idx), c, 1)
            for idx, c in zip(self.in_indices, self.out_channels))
        self.upsample_factors = [
            math.ceil(patch_size / s) if learned_upsample and s < patch_size
            else 1 for s in self.strides
        ]
        self.upsamplers = nn.ModuleList(
            nn.ConvTranspose2d(c, c, k, stride=k) if k > 1 else nn.Identity()
            for c, k in zip(self.out_channels, self.upsample_factors))

    def output_sizes(self, height: int,
                     width: int) -> list[tuple[int, int]]:
        """(h, w) of every output level for an H x W input."""
        return [(stride_grid_size(height, s), stride_grid_size(width, s))
                for s in self.strides]

    def forward(self, features: Sequence) -> tuple[Tensor, ...]:
        """Build the pyramid.

        Args:
            features (Sequence): Backbone levels, each ``(patch_map
                (B, D, H/14, W/14), cls_token (B, D))`` or a bare map.

        Returns:
            tuple[Tensor, ...]: One map per stride, finest first, level i
            of shape (B, out_channels[i], ceil(H/s_i), ceil(W/s_i)).
        """
        maps = token_maps(features)
        grid_h, grid_w = maps[0].shape[-2:]
        sizes = self.output_sizes(grid_h * self.patch_size,
                                  grid_w * self.patch_size)
        outs = []
        for i, idx in enumerate(self.in_indices):
            x = maps[idx[0]] if len(idx) == 1 else torch.cat(
                [maps[j] for j in idx], dim=1)
            x = self.upsamplers[i](self.projections[i](x))
            in_stride = self.patch_size / self.upsample_factors[i]
            outs.append(
                resample_to_stride(x, in_stride, self.strides[i], sizes[i]))
        return tuple(outs)
